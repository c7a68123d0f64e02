/**
 * The handful of ops the LSTM's per-timestep loops use, behind one interface with two implementations:
 * on wasm they call the backend's kernels directly (no Tensor objects, scopes or engine bookkeeping: ~2 µs a
 * kernel instead of ~5, and a step is a dozen tiny kernels), elsewhere they are plain tfjs ops.
 * Values are TensorInfos each owned by the caller: every result must be `free`d or handed to `adopt`.
 */
import * as tf from "@tensorflow/tfjs";

export type Value = tf.TensorInfo;

export interface StepOps {
  slice(x: Value, begin: number[], size: number[]): Value;
  reshape(x: Value, shape: number[]): Value;
  /** 2-D a·b. */
  matMul(a: Value, b: Value): Value;
  add(a: Value, b: Value): Value;
  sub(a: Value, b: Value): Value;
  mul(a: Value, b: Value): Value;
  sigmoid(x: Value): Value;
  concat(xs: Value[], axis: number): Value;
  free(...xs: Value[]): void;
  /** Turns an owned value into an ordinary tracked tensor (ownership passes to it). */
  adopt(x: Value): tf.Tensor;
}

const tensorOps: StepOps = {
  slice: (x, begin, size) => tf.slice(x as tf.Tensor, begin, size),
  reshape: (x, shape) => tf.reshape(x as tf.Tensor, shape),
  matMul: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
  add: (a, b) => tf.add(a as tf.Tensor, b as tf.Tensor),
  sub: (a, b) => tf.sub(a as tf.Tensor, b as tf.Tensor),
  mul: (a, b) => tf.mul(a as tf.Tensor, b as tf.Tensor),
  sigmoid: (x) => tf.sigmoid(x as tf.Tensor),
  concat: (xs, axis) => tf.concat(xs as tf.Tensor[], axis),
  free: (...xs) => xs.forEach((x) => (x as tf.Tensor).dispose()),
  adopt: (x) => x as tf.Tensor,
};

type KernelFn = (
  args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap },
) => Value;

function wasmOps(backend: tf.KernelBackend): StepOps {
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
    add: (a, b) => add({ inputs: { a, b }, backend, attrs: none }),
    sub: (a, b) => sub({ inputs: { a, b }, backend, attrs: none }),
    mul: (a, b) => mul({ inputs: { a, b }, backend, attrs: none }),
    sigmoid: (x) => sigmoid({ inputs: { x }, backend, attrs: none }),
    concat: (xs, axis) =>
      concat({ inputs: xs as unknown as tf.NamedTensorInfoMap, backend, attrs: { axis } }),
    free: (...xs) => xs.forEach((x) => backend.disposeData(x.dataId)),
    adopt: (x) => tf.engine().makeTensorFromTensorInfo(x, backend),
  };
}

/** The ops for the active backend. */
export function stepOps(): StepOps {
  return tf.getBackend() === "wasm" ? wasmOps(tf.backend()) : tensorOps;
}
