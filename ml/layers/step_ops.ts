/**
 * The handful of ops the LSTM's per-timestep loops use, behind one interface with two implementations:
 * on wasm they call the backend's kernels directly (no Tensor objects, scopes or engine bookkeeping: ~2 µs a
 * kernel instead of ~5, and a step is a dozen tiny kernels), elsewhere they are plain tfjs ops.
 * Values are TensorInfos each owned by the caller: every result must be `free`d or handed to `adopt`.
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { lstmBackward, lstmForward, tnMatMul } from "../runtime/simd/index.ts";

export type Value = tf.TensorInfo;

export interface StepOps {
  slice(x: Value, begin: number[], size: number[]): Value;
  reshape(x: Value, shape: number[]): Value;
  /** 2-D a·b. */
  matMul(a: Value, b: Value): Value;
  /** aᵀ·b for each leading index: a [D, K, M], b [D, K, N] → [D, M, N]. */
  tnMatMul(a: Value, b: Value): Value;
  add(a: Value, b: Value): Value;
  sub(a: Value, b: Value): Value;
  mul(a: Value, b: Value): Value;
  sigmoid(x: Value): Value;
  concat(xs: Value[], axis: number): Value;
  /**
   * Processing step k of a time-ordered [T, D, ...rest] sequence, as [D, ...rest]: direction 0 (forward) at
   * timestep k, direction 1 (backward) at T−1−k.
   */
  pick(seq: Value, k: number): Value;
  /** Stacks per-step [D, ...rest] values into [T, D, ...rest]; `timeOrder` puts direction 1's steps at T−1−k. */
  stackSteps(values: Value[], timeOrder: boolean): Value;
  free(...xs: Value[]): void;
  /** Turns an owned value into an ordinary tracked tensor (ownership passes to it). */
  adopt(x: Value): tf.Tensor;
}

/** The timestep that direction d handles at processing step k. */
function timestep(steps: number, k: number, d: number, timeOrder = true): number {
  return timeOrder && d === 1 ? steps - 1 - k : k;
}

const tensorOps: StepOps = {
  slice: (x, begin, size) => tf.slice(x as tf.Tensor, begin, size),
  reshape: (x, shape) => tf.reshape(x as tf.Tensor, shape),
  matMul: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
  tnMatMul: (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, true, false),
  add: (a, b) => tf.add(a as tf.Tensor, b as tf.Tensor),
  sub: (a, b) => tf.sub(a as tf.Tensor, b as tf.Tensor),
  mul: (a, b) => tf.mul(a as tf.Tensor, b as tf.Tensor),
  sigmoid: (x) => tf.sigmoid(x as tf.Tensor),
  concat: (xs, axis) => tf.concat(xs as tf.Tensor[], axis),
  pick: (seq, k) =>
    tf.tidy(() => {
      const [steps, dirs, ...rest] = seq.shape;
      const parts = Array.from({ length: dirs }, (_, d) =>
        tf.slice(seq as tf.Tensor, [timestep(steps, k, d), d, ...rest.map(() => 0)], [1, 1, ...rest]));
      return tf.reshape(tf.concat(parts, 1), [dirs, ...rest]);
    }),
  stackSteps: (values, timeOrder) =>
    tf.tidy(() => {
      const stacked = tf.stack(values as tf.Tensor[]);
      const [steps, dirs, ...rest] = stacked.shape;
      if (!timeOrder || dirs === 1) return stacked;
      const zeros = rest.map(() => 0);
      const forward = tf.slice(stacked, [0, 0, ...zeros], [steps, 1, ...rest]);
      const backward = tf.reverse(tf.slice(stacked, [0, 1, ...zeros], [steps, 1, ...rest]), 0);
      return tf.concat([forward, backward], 1);
    }),
  free: (...xs) => xs.forEach((x) => (x as tf.Tensor).dispose()),
  adopt: (x) => x as tf.Tensor,
};

type KernelFn = (
  args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap },
) => Value;

function wasmOps(backend: BackendWasm): StepOps {
  const kernel = (name: string) => tf.getKernel(name, "wasm")!.kernelFunc as unknown as KernelFn;
  const [slice, reshape, matMul, add, sub, mul, sigmoid, concat] = [
    "Slice",
    "Reshape",
    "BatchMatMul",
    "Add",
    "Sub",
    "Multiply",
    "Sigmoid",
    "Concat",
  ].map(kernel);
  const none = {};
  return {
    slice: (x, begin, size) => slice({ inputs: { x }, backend, attrs: { begin, size } }),
    reshape: (x, shape) => reshape({ inputs: { x }, backend, attrs: { shape } }),
    matMul: (a, b) => matMul({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } }),
    tnMatMul: (a, b) => tnMatMul(backend)(a, b),
    add: (a, b) => add({ inputs: { a, b }, backend, attrs: none }),
    sub: (a, b) => sub({ inputs: { a, b }, backend, attrs: none }),
    mul: (a, b) => mul({ inputs: { a, b }, backend, attrs: none }),
    sigmoid: (x) => sigmoid({ inputs: { x }, backend, attrs: none }),
    concat: (xs, axis) =>
      concat({ inputs: xs as unknown as tf.NamedTensorInfoMap, backend, attrs: { axis } }),
    // These two move whole blocks with memcpy instead of slicing, concatenating and reversing.
    pick: (seq, k) => {
      const [steps, dirs, ...rest] = seq.shape;
      const block = tf.util.sizeFromShape(rest);
      const out = backend.makeOutput([dirs, ...rest], "float32");
      const [src, dst] = [backend.typedArrayFromHeap(seq), backend.typedArrayFromHeap(out)];
      for (let d = 0; d < dirs; d++) {
        const from = (timestep(steps, k, d) * dirs + d) * block;
        dst.set(src.subarray(from, from + block), d * block);
      }
      return out;
    },
    stackSteps: (values, timeOrder) => {
      const [dirs, ...rest] = values[0].shape;
      const steps = values.length;
      const block = tf.util.sizeFromShape(rest);
      const out = backend.makeOutput([steps, dirs, ...rest], "float32");
      const dst = backend.typedArrayFromHeap(out);
      values.forEach((v, k) => {
        const src = backend.typedArrayFromHeap(v);
        for (let d = 0; d < dirs; d++) {
          dst.set(
            src.subarray(d * block, (d + 1) * block),
            (timestep(steps, k, d, timeOrder) * dirs + d) * block,
          );
        }
      });
      return out;
    },
    free: (...xs) => xs.forEach((x) => backend.disposeData(x.dataId)),
    adopt: (x) => tf.engine().makeTensorFromTensorInfo(x, backend),
  };
}

/** The ops for the active backend. */
export function stepOps(): StepOps {
  return tf.getBackend() === "wasm" ? wasmOps(tf.backend() as BackendWasm) : tensorOps;
}

/** The fused LSTM step loops (wasm only: they run on its heap); each returns null where it does not apply. */
export interface FusedLstm {
  forward: ReturnType<typeof lstmForward>;
  backward: ReturnType<typeof lstmBackward>;
}

/** The fused loops for the active backend, or null off wasm. */
export function fusedLstm(): FusedLstm | null {
  if (tf.getBackend() !== "wasm") return null;
  const backend = tf.backend() as BackendWasm;
  return { forward: lstmForward(backend), backward: lstmBackward(backend) };
}
