/**
 * tfjs-wasm kernels replaced by faster equivalents (measured in DESIGN.md and bench/RESULTS.md; the same
 * results, bit for bit, except Sum, which adds in float64 and rounds once, and aᵀ·b, which sums in its own
 * order; `wasm_kernels_test.ts` checks each against the cpu backend and a whole training step against
 * tfjs-wasm's own kernels):
 * - BatchMatMul and _FusedMatMul (a dense layer's x·W + b): products go to a SIMD kernel of our own
 *   (`simd/gemm_tn.wat`, FMA where the engine has relaxed SIMD): weight gradients aᵀ·b always, plain a·b and
 *   a·bᵀ where padding the widths to its 4 × 8 tile adds at most a quarter, 1.1–2× XNNPACK at training
 *   shapes. The rest: the wasm kernel reaches XNNPACK only without transposes, else it runs a scalar loop
 *   4–16× slower, so transpose the operand first (a cheap copy) and multiply plain.
 * - Reverse: the stock kernel computes an index per element (~80 ms for a [50, 32, 512] sequence); reversing
 *   leading axes is a handful of block copies.
 * - Slice: the stock kernel copies the WHOLE input to JS before taking its piece (`readSync`), so taking one
 *   timestep per step of a recurrence is quadratic. Read the input through a view of the wasm heap instead.
 * - Sum over leading axes (bias gradients; a SIMD kernel, `simd/column_sum.wat`, where the kept width is a
 *   multiple of 4), Identity, Cast to the same dtype and Transpose: see `fastSum`, `fastIdentity`, `fastCast`
 *   and `fastTranspose`.
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { columnSum, heapOffset, matMulBatches, simdMatMul, simdTranspose, tnMatMul } from "./simd/index.ts";

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: tf.NamedAttrMap;
}
type WasmKernel = (args: KernelArgs) => tf.TensorInfo;

interface Swap {
  original: tf.KernelConfig;
  fast: tf.KernelConfig;
}
let swaps: Swap[] | null = null;

function swap(name: string, make: (original: WasmKernel) => WasmKernel): Swap {
  const original = tf.getKernel(name, "wasm");
  if (!original) throw new Error(`tfjs-wasm has no ${name} kernel to replace`);
  const fast = {
    ...original,
    kernelFunc: make(original.kernelFunc as unknown as WasmKernel) as unknown as tf.KernelFunc,
  };
  return { original, fast };
}

function register(config: tf.KernelConfig): void {
  tf.unregisterKernel(config.kernelName, "wasm");
  tf.registerKernel(config);
}

function transposeLastTwo(x: tf.TensorInfo, backend: BackendWasm, transpose: WasmKernel): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose({ inputs: { x }, backend, attrs: { perm } });
}

/** The parts of BackendWasm's internals the batched matmul needs (stable across tfjs 4.x). */
interface WasmInternals {
  dataIdNextNumber: number;
  wasm: {
    cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
  };
}

/**
 * One XNNPACK matmul per batch element, on views of the operands' memory (no copies): the stock kernel runs
 * batched matmuls (attention, stacked LSTM directions) as a scalar loop, 5–10× slower.
 */
function perBatchMatMul(backend: BackendWasm): (a: tf.TensorInfo, b: tf.TensorInfo) => tf.TensorInfo {
  const internals = backend as unknown as WasmInternals;
  const matMul = internals.wasm.cwrap("BatchMatMul", null, [
    "number",
    "array",
    "number",
    "number",
    "array",
    "number",
    "number",
    "number",
    "number",
  ]);
  const view = (base: number, offset: number, size: number): number => {
    const id = internals.dataIdNextNumber++;
    internals.wasm.tfjs.registerTensor(id, size, base + offset * 4);
    return id;
  };
  return (a, b) => {
    const [m, k] = a.shape.slice(-2);
    const n = b.shape[b.shape.length - 1];
    const { aBatch, bBatch, batch, outer } = matMulBatches(a, b);
    const out = backend.makeOutput([...outer, m, n], "float32");
    const [aBase, bBase, oBase] = [a, b, out].map((x) => heapOffset(backend, x));
    const aShape = new Uint8Array(new Int32Array([1, m, k]).buffer);
    const bShape = new Uint8Array(new Int32Array([1, k, n]).buffer);
    for (let i = 0; i < batch; i++) {
      const aId = view(aBase, aBatch === 1 ? 0 : i * m * k, m * k);
      const bId = view(bBase, bBatch === 1 ? 0 : i * k * n, k * n);
      const oId = view(oBase, i * m * n, m * n);
      matMul(aId, aShape, 3, bId, bShape, 3, false, false, oId);
      internals.wasm.tfjs.disposeData(aId);
      internals.wasm.tfjs.disposeData(bId);
      internals.wasm.tfjs.disposeData(oId);
    }
    return out;
  };
}

/**
 * aᵀ·b goes to the SIMD kernel when float32, with equal or broadcast batches and a reduction worth it: from
 * [1024, 50, 50]ᵀ·[1024, 50, 16] (attention's gradients, 13 ms against 24 by transpose + per-batch XNNPACK)
 * to [12,800, 64]ᵀ·[12,800, 256] (a dense layer's weight gradient at batch 256).
 */
function tnEligible(a: tf.TensorInfo, b: tf.TensorInfo): boolean {
  return simdOperands(a, b) && a.shape[a.shape.length - 2] >= 16;
}

/** Float32 operands with equal or broadcast batches: what the SIMD kernel takes in any layout. */
function simdOperands(a: tf.TensorInfo, b: tf.TensorInfo): boolean {
  const { aBatch, bBatch } = matMulBatches(a, b);
  return a.dtype === "float32" && b.dtype === "float32" &&
    (aBatch === bBatch || aBatch === 1 || bBatch === 1);
}

/**
 * x·W + b of a dense layer (`ml/layers/common.ts`: no activation, bias [N] or none) on the SIMD kernel, which
 * starts each row's sums from the bias; anything else (activations, transposed a) to tfjs's own.
 */
function fastFusedMatMul(original: WasmKernel): WasmKernel {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const { transposeA, transposeB, activation } = args.attrs;
    const n = b!.shape[transposeB ? b!.shape.length - 2 : b!.shape.length - 1];
    const plainBias = !bias || (bias.dtype === "float32" && tf.util.sizeFromShape(bias.shape) === n);
    if (
      !transposeA && (activation === undefined || activation === "linear") && !preluActivationWeights &&
      plainBias && simdOperands(a!, b!)
    ) {
      const out = simdMatMul(args.backend)(a!, b!, false, Boolean(transposeB), bias);
      if (out) return out;
    }
    return original(args);
  };
}

function fastBatchMatMul(original: WasmKernel): WasmKernel {
  // Looked up per call: the registered Transpose is the fast one or tfjs's own (`useWasmKernelFixes`).
  const transpose: WasmKernel = (args) =>
    (tf.getKernel("Transpose", "wasm")!.kernelFunc as unknown as WasmKernel)(args);
  let batched: ((a: tf.TensorInfo, b: tf.TensorInfo) => tf.TensorInfo) | null = null;
  const plain = (a: tf.TensorInfo, b: tf.TensorInfo, backend: BackendWasm, attrs: tf.NamedAttrMap) =>
    original({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
  return ({ inputs, backend, attrs }) => {
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    // A weight gradient aᵀ·b (a [K, M], b [K, N], K = batch·time): the SIMD kernel reads both operands in
    // place, where XNNPACK would need a transposed copy and runs the long reduction at a third of its speed.
    if (attrs.transposeA && !attrs.transposeB && tnEligible(a, b)) {
      return tnMatMul(backend)(a, b);
    }
    // a·b and a·bᵀ (forward products, input gradients, attention): the same kernel unless padding would waste.
    if (!attrs.transposeA && simdOperands(a, b)) {
      const out = simdMatMul(backend)(a, b, false, Boolean(attrs.transposeB));
      if (out) return out;
    }
    const a2 = attrs.transposeA ? transposeLastTwo(a, backend, transpose) : a;
    const b2 = attrs.transposeB ? transposeLastTwo(b, backend, transpose) : b;
    const aBatch = tf.util.sizeFromShape(a2.shape.slice(0, -2));
    const bBatch = tf.util.sizeFromShape(b2.shape.slice(0, -2));
    // Per-batch calls pay a few microseconds each: worth it unless the matrices are tiny.
    const perBatch = Math.max(aBatch, bBatch) > 1 && (aBatch === bBatch || aBatch === 1 || bBatch === 1) &&
      a2.dtype === "float32" && a2.shape[a2.shape.length - 2] * a2.shape[a2.shape.length - 1] >= 64;
    let out: tf.TensorInfo;
    if (perBatch) {
      batched ??= perBatchMatMul(backend);
      out = batched(a2, b2);
    } else {
      out = plain(a2, b2, backend, attrs);
    }
    if (a2 !== a) backend.disposeData(a2.dataId);
    if (b2 !== b) backend.disposeData(b2.dataId);
    return out;
  };
}

/** Copies the box [begin, begin+size) of x into out, one contiguous innermost run at a time. */
function copyBox(
  src: Float32Array | Int32Array | Uint8Array,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  dst: Float32Array | Int32Array | Uint8Array,
): void {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
  // Merge trailing axes that are taken whole, so the innermost run is as long as possible.
  let inner = rank - 1;
  while (inner > 0 && begin[inner] === 0 && size[inner] === shape[inner]) inner--;
  const run = size[inner] * strides[inner];
  const index = new Array<number>(inner).fill(0);
  let out = 0;
  for (;;) {
    let offset = begin[inner] * strides[inner];
    for (let d = 0; d < inner; d++) offset += (begin[d] + index[d]) * strides[d];
    if (run >= 64) {
      dst.set(src.subarray(offset, offset + run), out);
    } else {
      // A subarray per short run costs more than copying it.
      for (let j = 0; j < run; j++) dst[out + j] = src[offset + j];
    }
    out += run;
    let d = inner - 1;
    while (d >= 0 && ++index[d] === size[d]) index[d--] = 0;
    if (d < 0) return;
  }
}

function fastSlice(original: WasmKernel): WasmKernel {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype === "string" || x.shape.length === 0) return original({ inputs, backend, attrs });
    const [begin, size] = tf.slice_util.parseSliceParams(
      x as unknown as tf.Tensor,
      attrs.begin as number | number[],
      attrs.size as number | number[] | undefined,
    );
    const out = backend.makeOutput(size, x.dtype);
    if (size.some((s) => s === 0)) return out;
    copyBox(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
    return out;
  };
}

function fastReverse(original: WasmKernel): WasmKernel {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype === "string" || x.shape.length === 0) return original({ inputs, backend, attrs });
    const axes = new Set(tf.util.parseAxisParam(attrs.dims as number | number[], x.shape));
    const shape = x.shape;
    const last = Math.max(...axes);
    // Copy whole runs of the trailing axes that are not reversed.
    const run = tf.util.sizeFromShape(shape.slice(last + 1));
    const out = backend.makeOutput(shape, x.dtype);
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    const outer = shape.slice(0, last + 1);
    const index = new Array<number>(outer.length).fill(0);
    const count = tf.util.sizeFromShape(outer);
    for (let k = 0; k < count; k++) {
      let from = 0;
      for (let d = 0; d < outer.length; d++) {
        from = from * outer[d] + (axes.has(d) ? outer[d] - 1 - index[d] : index[d]);
      }
      dst.set(src.subarray(from * run, (from + 1) * run), k * run);
      for (let d = outer.length - 1; d >= 0 && ++index[d] === outer[d]; d--) index[d] = 0;
    }
    return out;
  };
}

/**
 * Sum over leading axes (bias gradients: [batch·time, features] → [features]): tfjs-wasm transposes the reduced
 * axes innermost first, a full copy (~40 ms for [12,800, 512]). Adding row after row into a float64
 * accumulator reads the input once, in order (and rounds once, at the end).
 */
function fastSum(original: WasmKernel): WasmKernel {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((a, b) => a - b);
    const leading = axes.every((axis, i) => axis === i);
    if (x.dtype !== "float32" || !leading || axes.length === 0 || axes.length === x.shape.length) {
      return original({ inputs, backend, attrs });
    }
    const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
    const kept = x.shape.slice(axes.length);
    const cols = tf.util.sizeFromShape(kept);
    const outShape = attrs.keepDims ? [...axes.map(() => 1), ...kept] : kept;
    const simd = columnSum(backend)(x, rows, cols, outShape);
    if (simd) return simd;
    const out = backend.makeOutput(outShape, "float32");
    const src = backend.typedArrayFromHeap(x) as Float32Array;
    const acc = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) acc[c] += src[base + c];
    }
    (backend.typedArrayFromHeap(out) as Float32Array).set(acc);
    return out;
  };
}

/**
 * Identity (`clone`, and what tfjs's gradients of add/addN/casts hand back): tfjs-wasm copies the buffer
 * (~0.5 ms for a [256, 50, 64] activation, 77 of them a hybrid step at batch 256). Tensors are immutable, so the
 * result can share the input's buffer under a reference count, as tfjs's cpu backend and `Reshape` do.
 */
function fastIdentity(original: WasmKernel): WasmKernel {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype === "string") return original({ inputs, backend, attrs });
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
  };
}

/**
 * Cast to the dtype a tensor already has (tfjs's gradients cast float32 to float32: 24 a hybrid step, ~0.2 ms
 * each at batch 256): shares the buffer as `fastIdentity` does; real conversions go to tfjs-wasm's own.
 */
function fastCast(original: WasmKernel): WasmKernel {
  const identity = fastIdentity(original);
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    return x.dtype === args.attrs.dtype ? identity(args) : original(args);
  };
}

/**
 * Transpose: tfjs-wasm computes an index per element. Two shapes of permutation are common in training and
 * cheap to do otherwise:
 * - 2-D at heart (the LSTM's layout changes [B, T, D·4H] ↔ [T, D, 4H, B], 6.5 M floats each at batch 256;
 *   matmul operands): the SIMD kernel moves 4 × 4 blocks at a time;
 * - trailing axes kept (e.g. [T, D, 4H, B] → [D, T, 4H, B]): whole blocks of them move with one copy each.
 */
function fastTranspose(original: WasmKernel): WasmKernel {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    const perm = attrs.perm as number[];
    const out = simdTranspose(backend)(x, perm) ?? blockTranspose(backend, x, perm);
    return out ?? original({ inputs, backend, attrs });
  };
}

/** Moves blocks of the trailing axes that `perm` keeps in place (≥ 64 elements a block), or null. */
function blockTranspose(backend: BackendWasm, x: tf.TensorInfo, perm: number[]): tf.TensorInfo | null {
  const n = perm.length;
  let kept = n;
  while (kept > 0 && perm[kept - 1] === kept - 1) kept--;
  const block = tf.util.sizeFromShape(x.shape.slice(kept));
  if (x.dtype === "string" || kept === n || kept < 2 || block < 64) return null;
  const outer = x.shape.slice(0, kept);
  const outShape = perm.map((axis) => x.shape[axis]);
  const out = backend.makeOutput(outShape, x.dtype);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const strides = new Array<number>(kept);
  strides[kept - 1] = 1;
  for (let d = kept - 2; d >= 0; d--) strides[d] = strides[d + 1] * outer[d + 1];
  // Walk the output's outer index in order; its source block is at Σ index[i]·strides[perm[i]].
  const index = new Array<number>(kept).fill(0);
  const count = tf.util.sizeFromShape(outer);
  for (let k = 0; k < count; k++) {
    let from = 0;
    for (let i = 0; i < kept; i++) from += index[i] * strides[perm[i]];
    dst.set(src.subarray(from * block, (from + 1) * block), k * block);
    for (let i = kept - 1; i >= 0 && ++index[i] === outShape[i]; i--) index[i] = 0;
  }
  return out;
}

/** Idempotent; call before `tf.setBackend("wasm")` so the replacements' setup runs with the backend's. */
export function installWasmKernelFixes(): void {
  if (swaps) return;
  swaps = [
    swap("BatchMatMul", fastBatchMatMul),
    swap("_FusedMatMul", fastFusedMatMul),
    swap("Slice", fastSlice),
    swap("Reverse", fastReverse),
    swap("Sum", fastSum),
    swap("Identity", fastIdentity),
    swap("Cast", fastCast),
    swap("Transpose", fastTranspose),
  ];
  for (const s of swaps) register(s.fast);
}

/** Switches between the replacements and tfjs's own kernels (bench:train measures both). */
export function useWasmKernelFixes(on: boolean): void {
  installWasmKernelFixes();
  for (const s of swaps!) register(on ? s.fast : s.original);
}
