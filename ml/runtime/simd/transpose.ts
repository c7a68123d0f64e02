/**
 * Transposes that are 2-D at heart, through the SIMD kernel `transpose.wat`: a permutation that keeps the first
 * p axes and rotates the rest ([p…, k…, 0…k−1] shifted) moves [batch, rows, cols] blocks to [batch, cols, rows].
 *
 * @example
 * ```ts
 * const out = simdTranspose(backend)(x, [1, 2, 3, 0]); // [B, T, D, 4H] → [T, D, 4H, B]; null if not 2-D
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapBytes, heapOffset, instantiateKernel, perBackend } from "./heap.ts";
import { nativeKernelsInUse } from "./gemm_tn.ts";
import { TRANSPOSE_WASM } from "./transpose_wasm.ts";

type Kernel = (src: number, dst: number, batch: number, rows: number, cols: number) => void;

/** Below this many elements the stock kernel's fixed cost is no worse. */
const MIN_SIZE = 4096;

/** [batch, rows, cols] when `perm` is a 2-D transpose of `shape` under leading axes kept, else null. */
export function asMatrixTranspose(
  shape: readonly number[],
  perm: readonly number[],
): { batch: number; rows: number; cols: number } | null {
  const n = perm.length;
  let p = 0;
  while (p < n && perm[p] === p) p++;
  if (p >= n - 1) return null; // the identity: not a transpose
  const k = perm[p] - p; // the rest is rotated left by k: perm[p + i] = p + (i + k) mod (n − p)
  for (let i = 0; i < n - p; i++) if (perm[p + i] !== p + ((i + k) % (n - p))) return null;
  const size = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1);
  return { batch: size(0, p), rows: size(p, p + k), cols: size(p + k, n) };
}

/** `shape` and `perm` without the axes of size 1: moving those changes no element's place. */
export function withoutUnitAxes(
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; perm: number[] } {
  const kept = shape.flatMap((size, axis) => size === 1 ? [] : [axis]);
  return {
    shape: kept.map((axis) => shape[axis]),
    perm: perm.filter((a) => shape[a] !== 1).map((a) => kept.indexOf(a)),
  };
}

/**
 * A permutation that swaps the last two axes and reorders the leading ones (e.g. [1, 0, 3, 2]: the LSTM's
 * [T, D, 4H, B] → [D, T, B, 4H]) as one 2-D transpose per [rows, cols] block: for each output block in order,
 * the index of its source block. Null for any other permutation.
 */
export function asBlockTransposes(
  shape: readonly number[],
  perm: readonly number[],
): { sources: number[]; rows: number; cols: number } | null {
  const n = perm.length;
  if (n < 3 || perm[n - 2] !== n - 1 || perm[n - 1] !== n - 2) return null;
  const lead = perm.slice(0, n - 2);
  const strides = new Array<number>(n - 2);
  strides[n - 3] = 1;
  for (let d = n - 4; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
  const outShape = lead.map((axis) => shape[axis]);
  const index = new Array<number>(n - 2).fill(0);
  const sources: number[] = [];
  for (let k = 0; k < tf.util.sizeFromShape(outShape); k++) {
    sources.push(index.reduce((sum, i, d) => sum + i * strides[lead[d]], 0));
    for (let d = n - 3; d >= 0 && ++index[d] === outShape[d]; d--) index[d] = 0;
  }
  return { sources, rows: shape[n - 2], cols: shape[n - 1] };
}

/** x transposed by `perm` with the SIMD kernel, or null where it does not apply (the caller falls back). */
export const simdTranspose: (
  backend: BackendWasm,
) => (x: tf.TensorInfo, perm: readonly number[]) => tf.TensorInfo | null = perBackend((backend) => {
  const kernel = instantiateKernel(TRANSPOSE_WASM, backend).transpose as Kernel;
  return (x, perm) => {
    if (x.dtype !== "float32" || tf.util.sizeFromShape(x.shape) < MIN_SIZE) return null;
    const squeezed = withoutUnitAxes(x.shape, perm);
    const m = asMatrixTranspose(squeezed.shape, squeezed.perm);
    const blocks = m ? null : asBlockTransposes(squeezed.shape, squeezed.perm);
    const [rows, cols] = m ? [m.rows, m.cols] : blocks ? [blocks.rows, blocks.cols] : [0, 0];
    if (rows === 0 || rows % 4 !== 0 || cols % 4 !== 0) return null;
    const out = backend.makeOutput(perm.map((axis) => x.shape[axis]), "float32");
    const [src, dst] = [heapOffset(backend, x), heapOffset(backend, out)];
    // The native twin (../native/transpose.c, 8 × 8 blocks: whole multiples of 8) where it runs: a copy either
    // way, so the same result.
    const native = rows % 8 === 0 && cols % 8 === 0 ? nativeKernelsInUse() : null;
    const heap = native ? heapBytes(backend) : null;
    const move: Kernel = native ? (...args) => native.transpose(heap!, ...args) : kernel;
    if (m) move(src, dst, m.batch, rows, cols);
    else {
      const bytes = rows * cols * 4;
      blocks!.sources.forEach((from, k) => move(src + from * bytes, dst + k * bytes, 1, rows, cols));
    }
    return out;
  };
});
