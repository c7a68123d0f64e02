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
import { heapOffset, instantiateKernel, perBackend } from "./heap.ts";
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

/** x transposed by `perm` with the SIMD kernel, or null where it does not apply (the caller falls back). */
export const simdTranspose: (
  backend: BackendWasm,
) => (x: tf.TensorInfo, perm: readonly number[]) => tf.TensorInfo | null = perBackend((backend) => {
  const kernel = instantiateKernel(TRANSPOSE_WASM, backend).transpose as Kernel;
  return (x, perm) => {
    if (x.dtype !== "float32" || tf.util.sizeFromShape(x.shape) < MIN_SIZE) return null;
    const m = asMatrixTranspose(x.shape, perm);
    if (!m || m.rows % 4 !== 0 || m.cols % 4 !== 0) return null;
    const out = backend.makeOutput(perm.map((axis) => x.shape[axis]), "float32");
    kernel(heapOffset(backend, x), heapOffset(backend, out), m.batch, m.rows, m.cols);
    return out;
  };
});
