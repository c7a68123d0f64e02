/**
 * Matrix products on tfjs-wasm through the hand-written SIMD kernel `gemm_tn.wat`, which reads and writes
 * tfjs's own heap (its module imports the memory tfjs-wasm's module exports): aᵀ·b (weight gradients, the
 * LSTM's per-step products) named for the layout it was first written for, and a·b, a·bᵀ and x·W + b (forward
 * products, input gradients) where the kernel's 4 × 8 tile fits.
 *
 * @example
 * ```ts
 * const product = tnMatMul(backend);   // once per backend
 * const out = product(a, b);           // a [..., K, M], b [..., K, N] → [..., M, N]
 * const y = simdMatMul(backend)(x, w, false, false, bias);   // x·w + bias, or null where the tile does not fit
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { GEMM_TN_FMA_WASM, GEMM_TN_WASM } from "./gemm_tn_wasm.ts";
import { heapOffset, instantiateKernel, kernelRuns, perBackend } from "./heap.ts";

type Gemm = (
  a: number,
  b: number,
  c: number,
  k: number,
  m: number,
  n: number,
  scratch: number,
  layout: number,
  bias: number,
) => void;

/** Rows per chunk in gemm_tn.wat: its scratch holds one chunk of A and of B. */
const CHUNK = 128;

/**
 * Whether this engine runs the kernel's FMA twin (`f32x4.relaxed_madd`: relaxed SIMD, V8 ≥ 11.4). It does the
 * same sums in the same order with one rounding per multiply-add instead of two where the CPU has FMA, and
 * runs the products 1.2–1.3× faster (bench/RESULTS.md § Session 11).
 */
export const fmaSupported: boolean = kernelRuns(GEMM_TN_FMA_WASM);

let fmaWanted = true;

/**
 * Chooses the FMA twin (the default, where supported) or the plain kernel for the products that follow. The
 * two differ in float rounding only; tests compare them, and a user can compare runs across machines with it.
 */
export function useFmaKernels(on: boolean): void {
  fmaWanted = on;
}

/** Whether the products run on the FMA twin now. */
export const fmaInUse = (): boolean => fmaSupported && fmaWanted;

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

/**
 * The batch layout of a batched matmul a [..., ·, ·] by b [..., ·, ·]: each operand's number of matrices, the
 * product's (`batch`), and the product's leading shape (the broadcast of both).
 */
export function matMulBatches(
  a: tf.TensorInfo,
  b: tf.TensorInfo,
): { aBatch: number; bBatch: number; batch: number; outer: number[] } {
  const aBatch = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const bBatch = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return { aBatch, bBatch, batch: Math.max(aBatch, bBatch), outer };
}

/**
 * The product function for this backend (made once per backend): op(a)·op(b) + bias as `tf.matMul(a, b,
 * transposeA, transposeB)` computes it, float32, equal leading shapes or one operand without any, `bias` an
 * optional [N] vector added to every row. Returns null where the kernel does not apply: a layout other than
 * aᵀ·b needs M % 4 = 0 and N % 8 = 0, a bias N % 8 = 0 (aᵀ·b pads other widths with zeros in scratch tensors:
 * one copy, where the kernel reads each operand many times over).
 */
export const simdMatMul: (backend: BackendWasm) => SimdProduct = perBackend((backend) => {
  const plain = instantiateKernel(GEMM_TN_WASM, backend).gemm_tn as Gemm;
  const fused = fmaSupported ? instantiateKernel(GEMM_TN_FMA_WASM, backend).gemm_tn as Gemm : plain;
  const offset = (x: tf.TensorInfo) => heapOffset(backend, x);

  /** x [batch, K, width] → [batch, K, padded] with zero columns added (x itself when nothing to add). */
  const padColumns = (x: tf.TensorInfo, batch: number, k: number, padded: number): tf.TensorInfo => {
    const width = x.shape[x.shape.length - 1];
    if (width === padded) return x;
    const out = backend.makeOutput([batch, k, padded], "float32");
    const src = backend.typedArrayFromHeap(x) as Float32Array;
    const dst = backend.typedArrayFromHeap(out) as Float32Array;
    dst.fill(0);
    for (let r = 0; r < batch * k; r++) dst.set(src.subarray(r * width, (r + 1) * width), r * padded);
    return out;
  };

  return (a, b, transposeA, transposeB, bias) => {
    const [aRows, aCols] = a.shape.slice(-2);
    const [k, m] = transposeA ? [aRows, aCols] : [aCols, aRows];
    const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const tn = transposeA && !transposeB;
    if ((!tn && (m % 4 !== 0 || n % 8 !== 0)) || (bias && n % 8 !== 0)) return null;
    const { aBatch, bBatch, batch, outer } = matMulBatches(a, b);
    const out = backend.makeOutput([...outer, m, n], "float32");
    if (k === 0 || m === 0 || n === 0) {
      const values = backend.typedArrayFromHeap(out) as Float32Array;
      values.fill(0);
      if (bias && k === 0) {
        const b0 = backend.typedArrayFromHeap(bias) as Float32Array;
        for (let r = 0; r < batch * m; r++) values.set(b0, r * n);
      }
      return out;
    }
    const [mp, np] = [roundUp(m, 4), roundUp(n, 8)];
    const ap = tn ? padColumns(a, aBatch, k, mp) : a;
    const bp = tn ? padColumns(b, bBatch, k, np) : b;
    const cp = mp === m && np === n ? out : backend.makeOutput([batch, mp, np], "float32");
    const scratch = backend.makeOutput([CHUNK * (mp + np)], "float32");
    const gemm = fmaInUse() ? fused : plain;
    const layout = (transposeA ? 0 : 1) | (transposeB ? 2 : 0);
    // Offsets are read after every allocation: makeOutput may grow (and move the views of) the heap.
    const [aBase, bBase, cBase, scratchBase] = [offset(ap), offset(bp), offset(cp), offset(scratch)];
    const biasBase = bias ? offset(bias) : 0;
    for (let i = 0; i < batch; i++) {
      gemm(
        aBase + (aBatch === 1 ? 0 : i * k * mp * 4),
        bBase + (bBatch === 1 ? 0 : i * k * np * 4),
        cBase + i * mp * np * 4,
        k,
        mp,
        np,
        scratchBase,
        layout,
        biasBase,
      );
    }
    backend.disposeData(scratch.dataId);
    if (cp !== out) {
      const src = backend.typedArrayFromHeap(cp) as Float32Array;
      const dst = backend.typedArrayFromHeap(out) as Float32Array;
      for (let r = 0; r < batch * m; r++) {
        const [i, row] = [Math.floor(r / m), r % m];
        const from = (i * mp + row) * np;
        dst.set(src.subarray(from, from + n), r * n);
      }
      backend.disposeData(cp.dataId);
    }
    if (ap !== a) backend.disposeData(ap.dataId);
    if (bp !== b) backend.disposeData(bp.dataId);
    return out;
  };
});

/**
 * The aᵀ·b product for this backend: a [..., K, M], b [..., K, N] → [..., M, N], any widths (padded inside).
 */
export const tnMatMul: (backend: BackendWasm) => TnProduct = perBackend((backend) => {
  const product = simdMatMul(backend);
  return (a, b) => product(a, b, true, false)!;
});

/** aᵀ·b on the wasm heap. */
export type TnProduct = (a: tf.TensorInfo, b: tf.TensorInfo) => tf.TensorInfo;

/** op(a)·op(b) (+ bias) on the wasm heap, or null where the kernel does not apply. */
export type SimdProduct = (
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias?: tf.TensorInfo,
) => tf.TensorInfo | null;
