/**
 * The LSTM recurrence's per-step loops on tfjs-wasm with the fused step kernels of `lstm_cell.wat`: each
 * forward step is one recurrent product (`gemm_tn`) and one kernel call, each backward step likewise, where the
 * per-op path (`ml/layers/lstm_recurrence.ts`) makes about fifteen small kernel calls a step. The kernels
 * write every step's values straight into the sequences the backward pass keeps, so nothing is stacked after
 * the loop. Layouts are lstm_recurrence.ts's.
 *
 * @example
 * ```ts
 * const run = lstmForward(backend)(xs, us);       // null where the kernels do not apply: use the per-op path
 * const grads = lstmBackward(backend)(dy, run.sig, run.c2, run.th, ut);
 * ```
 */
import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { fmaInUse, gemmScratchFloats, nativeKernelsInUse, tnMatMul } from "./gemm_tn.ts";
import { heapBytes, heapOffset, perBackend, twinKernels } from "./heap.ts";
import { LSTM_CELL_FMA_WASM, LSTM_CELL_WASM } from "./lstm_cell_wasm.ts";

type Info = tf.TensorInfo;
type Kernel = (...args: number[]) => void;

/** What the forward loop computes: the output in time order, the rest in processing order (step k, D dirs). */
export interface LstmForwardResult {
  /** h [T, D, H, B], time order (direction 1's step k at timestep T−1−k). */
  readonly output: Info;
  /** σ of every gate [T, D, 4H, B]. */
  readonly sig: Info;
  /** ĉ = 2c [T, D, H, B]. */
  readonly c2: Info;
  /** tanh(c) [T, D, H, B]. */
  readonly th: Info;
  /** h [T, D, H, B], processing order. */
  readonly hs: Info;
}

/** The pre-activations' gradients: processing order (for dU) and time order (the input's gradient). */
export interface LstmBackwardResult {
  readonly dZ: Info;
  readonly dXs: Info;
}

/** The step kernels, plain and FMA twin (the sigmoid's polynomial as fused multiply-adds), made per backend. */
const stepKernels = perBackend((backend: BackendWasm) => {
  const kernels = twinKernels(LSTM_CELL_WASM, LSTM_CELL_FMA_WASM, backend, fmaInUse);
  return (name: "forward" | "backward") => kernels()[name] as Kernel;
});

/** The kernels need whole SIMD vectors: H·B a multiple of 4. */
const fits = (units: number, batch: number) => (units * batch) % 4 === 0;

/**
 * The native loops (`../native/lstm.c`, a whole sequence in one call, the same bits) where they run and the
 * shapes suit them: B a multiple of 8 (whole AVX vectors, the product's 8-column tiles), H of 4.
 */
const nativeLoops = (units: number, batch: number) =>
  batch % 8 === 0 && units % 4 === 0 ? nativeKernelsInUse() : null;

/**
 * Runs a native loop with a work tensor of `floats` floats (freed after). The heap's bytes and the work's offset
 * are read after the allocation, which may grow the heap; so must the caller's offsets be, inside `run`.
 */
function withWork(
  backend: BackendWasm,
  floats: number,
  run: (heap: Uint8Array<ArrayBuffer>, work: number) => void,
) {
  const work = backend.makeOutput([floats], "float32");
  run(heapBytes(backend), heapOffset(backend, work));
  backend.disposeData(work.dataId);
}

/**
 * Runs D LSTMs from zero state: `xs` [T, D, 4H, B] (x·W + b in time order, the candidate's block doubled) and
 * `us` [D, H, 4H]. Null when H·B is not a multiple of 4.
 */
export const lstmForward: (backend: BackendWasm) => (xs: Info, us: Info) => LstmForwardResult | null =
  perBackend((backend) => {
    const kernels = stepKernels(backend);
    const product = tnMatMul(backend);
    const off = (x: Info) => heapOffset(backend, x);
    return (xs, us) => {
      const kernel = kernels("forward");
      const [steps, dirs, gates, batch] = xs.shape;
      const units = gates / 4;
      if (!fits(units, batch)) return null;
      const cells = [steps, dirs, units, batch];
      const [output, sig, c2, th, hs] = [cells, xs.shape, cells, cells, cells].map((shape) =>
        backend.makeOutput(shape, "float32")
      );
      const native = nativeLoops(units, batch);
      if (native) {
        withWork(
          backend,
          dirs * gates * batch + gemmScratchFloats(gates, batch),
          (heap, work) =>
            native.lstmForward(
              heap,
              off(xs),
              off(us),
              off(output),
              off(sig),
              off(c2),
              off(th),
              off(hs),
              work,
              steps,
              dirs,
              units,
              batch,
            ),
        );
        return { output, sig, c2, th, hs };
      }
      const cell = units * batch * 4, block = 4 * cell; // bytes of one direction's [H, B] and [4H, B]
      let h: Info | null = null;
      for (let k = 0; k < steps; k++) {
        const back = steps - 1 - k; // the timestep direction 1 handles at step k
        const rec = h ? product(us, h) : null;
        const next = backend.makeOutput([dirs, units, batch], "float32");
        // Offsets are read after the step's allocations: makeOutput may grow the heap.
        kernel(
          off(xs) + k * dirs * block,
          dirs > 1 ? off(xs) + (back * dirs + 1) * block : 0,
          rec ? off(rec) : 0,
          k > 0 ? off(c2) + (k - 1) * dirs * cell : 0,
          off(sig) + k * dirs * block,
          off(c2) + k * dirs * cell,
          off(th) + k * dirs * cell,
          off(hs) + k * dirs * cell,
          off(next),
          off(output) + k * dirs * cell,
          dirs > 1 ? off(output) + (back * dirs + 1) * cell : 0,
          dirs,
          units,
          batch,
        );
        if (rec) backend.disposeData(rec.dataId);
        if (h) backend.disposeData(h.dataId);
        h = next;
      }
      if (h) backend.disposeData(h.dataId);
      return { output, sig, c2, th, hs };
    };
  });

/**
 * Backward through time: `dy` [T, D, H, B] (time order), the forward's `sig`, `c2`, `th` (processing order)
 * and `ut` [D, 4H, H] (the recurrent kernels transposed). Null when H·B is not a multiple of 4.
 */
export const lstmBackward: (
  backend: BackendWasm,
) => (dy: Info, sig: Info, c2: Info, th: Info, ut: Info) => LstmBackwardResult | null = perBackend(
  (backend) => {
    const kernels = stepKernels(backend);
    const product = tnMatMul(backend);
    const off = (x: Info) => heapOffset(backend, x);
    return (dy, sig, c2, th, ut) => {
      const kernel = kernels("backward");
      const [steps, dirs, gates, batch] = sig.shape;
      const units = gates / 4;
      if (!fits(units, batch)) return null;
      const [dZ, dXs] = [0, 1].map(() => backend.makeOutput(sig.shape, "float32"));
      const native = nativeLoops(units, batch);
      if (native) {
        withWork(
          backend,
          2 * dirs * units * batch + gemmScratchFloats(units, batch),
          (heap, work) =>
            native.lstmBackward(
              heap,
              off(dy),
              off(sig),
              off(c2),
              off(th),
              off(ut),
              off(dZ),
              off(dXs),
              work,
              steps,
              dirs,
              units,
              batch,
            ),
        );
        return { dZ, dXs };
      }
      const carried = backend.makeOutput([dirs, units, batch], "float32");
      (backend.typedArrayFromHeap(carried) as Float32Array).fill(0);
      const cell = units * batch * 4, block = 4 * cell;
      let dhn: Info | null = null;
      for (let k = steps - 1; k >= 0; k--) {
        const back = steps - 1 - k;
        const dz = backend.makeOutput([dirs, gates, batch], "float32");
        kernel(
          off(dy) + k * dirs * cell,
          dirs > 1 ? off(dy) + (back * dirs + 1) * cell : 0,
          dhn ? off(dhn) : 0,
          off(sig) + k * dirs * block,
          off(th) + k * dirs * cell,
          k > 0 ? off(c2) + (k - 1) * dirs * cell : 0,
          off(carried),
          off(dz),
          off(dZ) + k * dirs * block,
          off(dXs) + k * dirs * block,
          dirs > 1 ? off(dXs) + (back * dirs + 1) * block : 0,
          dirs,
          units,
          batch,
        );
        if (dhn) backend.disposeData(dhn.dataId);
        dhn = k > 0 ? product(ut, dz) : null; // U·dz: the gradient reaching h_{k−1}
        backend.disposeData(dz.dataId);
      }
      backend.disposeData(carried.dataId);
      return { dZ, dXs };
    };
  },
);
