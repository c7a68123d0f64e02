/**
 * Matrix products on tfjs-wasm through the hand-written SIMD kernel `gemm_tn.wat`, which reads and writes
 * tfjs's own heap (its module imports the memory tfjs-wasm's module exports): aᵀ·b (weight gradients, the
 * LSTM's per-step products) named for the layout it was first written for, and a·b, a·bᵀ and x·W + b (forward
 * products, input gradients, attention's batched products).
 *
 * @example
 * ```ts
 * const product = tnMatMul(backend);   // once per backend
 * const out = product(a, b);           // a [..., K, M], b [..., K, N] → [..., M, N]
 * const y = simdMatMul(backend)(x, w, false, false, bias);   // x·w + bias, or null where padding would waste
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { COPY_ROWS_WASM } from "./copy_rows_wasm.ts";
import { GEMM_TN_FMA_WASM, GEMM_TN_WASM } from "./gemm_tn_wasm.ts";
import { heapBytes, heapOffset, instantiateKernel, kernelRuns, perBackend, twinKernels } from "./heap.ts";
import {
  type GemmArguments,
  type NativeKernels,
  nativeKernels,
  nativeUnavailable,
} from "../native/library.ts";

/** gemm_tn.wat's export (and its native twin's, less the heap). */
type Gemm = (...args: GemmArguments) => void;

/** Rows per chunk in gemm_tn.wat: its scratch holds one chunk of A and of B. */
const CHUNK = 128;

/** Floats of scratch a padded mp × np product needs: one packed chunk of each operand (as gemm.c's too). */
export const gemmScratchFloats = (mp: number, np: number): number => CHUNK * (mp + np);

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

let nativeWanted = true;

/**
 * Chooses the native twins of the FMA kernels (`../native/`: the products and the LSTM loops; the default
 * where they were built and run) or the WebAssembly ones. Both give the same bits (tests check it); only the
 * speed differs.
 */
export function useNativeKernels(on: boolean): void {
  nativeWanted = on;
}

/** Whether the native kernels run now (they stand in for the FMA twins, so only with FMA). */
export const nativeInUse = (): boolean => nativeWanted && fmaInUse() && nativeKernels() !== null;

/** The native kernels when they run now, else null (the WebAssembly ones run). */
export const nativeKernelsInUse = (): NativeKernels | null => nativeInUse() ? nativeKernels() : null;

/** What runs the matrix products now, in words for `train`'s log and the bench. */
export function productKernel(): string {
  if (nativeInUse()) return "native kernels (AVX2 + FMA)";
  if (!fmaInUse()) return "WebAssembly SIMD kernel (plain)";
  return `WebAssembly SIMD kernel (FMA; native: ${nativeWanted ? nativeUnavailable : "switched off"})`;
}

type CopyRows = (
  src: number,
  srcStride: number,
  dst: number,
  dstStride: number,
  rows: number,
  width: number,
  padded: number,
) => void;

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
 * optional [N] vector added to every row. Widths off the kernel's 4 × 8 tile are padded with zeros in scratch
 * tensors (`copy_rows.wat`: one call per operand, or per matrix). Returns null where padding would waste more
 * than a quarter of the work outside aᵀ·b (a layer of 3 or 4 outputs, a single window): XNNPACK does better.
 */
export const simdMatMul: (backend: BackendWasm) => SimdProduct = perBackend((backend) => {
  const kernels = twinKernels(GEMM_TN_WASM, GEMM_TN_FMA_WASM, backend, fmaInUse);
  const copyRows = instantiateKernel(COPY_ROWS_WASM, backend).copy_rows as CopyRows;
  const offset = (x: tf.TensorInfo) => heapOffset(backend, x);

  /** x viewed as [rows, width] → [rows, padded] with zero columns added (x itself when nothing to add). */
  const padRows = (x: tf.TensorInfo, rows: number, width: number, padded: number): tf.TensorInfo => {
    if (width === padded) return x;
    const out = backend.makeOutput([rows, padded], "float32");
    copyRows(offset(x), width * 4, offset(out), padded * 4, rows, width, padded);
    return out;
  };

  return (a, b, transposeA, transposeB, bias) => {
    const [aRows, aCols] = a.shape.slice(-2);
    const [k, m] = transposeA ? [aRows, aCols] : [aCols, aRows];
    const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const [mp, np] = [roundUp(m, 4), roundUp(n, 8)];
    const tn = transposeA && !transposeB;
    if (!tn && (mp > 1.25 * m || np > 1.25 * n)) return null;
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
    // Stored [K, width] (aᵀ's a, plain b): zero columns; stored [width, K] (plain a, bᵀ's b): zero rows, i.e.
    // each matrix one row of width·K floats padded to padded·K.
    const ap = transposeA ? padRows(a, aBatch * k, m, mp) : padRows(a, aBatch, m * k, mp * k);
    const bp = transposeB ? padRows(b, bBatch, n * k, np * k) : padRows(b, bBatch * k, n, np);
    const biasP = bias ? padRows(bias, 1, n, np) : undefined;
    const cp = mp === m && np === n ? out : backend.makeOutput([batch, mp, np], "float32");
    const scratch = backend.makeOutput([gemmScratchFloats(mp, np)], "float32");
    const native = nativeKernelsInUse();
    const heap = native ? heapBytes(backend) : null;
    const gemm: Gemm = native ? (...args) => native.gemm(heap!, ...args) : kernels().gemm_tn as Gemm;
    const layout = (transposeA ? 0 : 1) | (transposeB ? 2 : 0);
    // Offsets (and the heap's bytes) are read after every allocation: makeOutput may grow the heap.
    const [aBase, bBase, cBase, scratchBase] = [offset(ap), offset(bp), offset(cp), offset(scratch)];
    const biasBase = biasP ? offset(biasP) : 0;
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
      // The first m rows and n columns of each padded product.
      const [cpBase, outBase] = [offset(cp), offset(out)];
      for (let i = 0; i < (mp === m ? 1 : batch); i++) {
        const rows = mp === m ? batch * m : m;
        copyRows(cpBase + i * mp * np * 4, np * 4, outBase + i * m * n * 4, n * 4, rows, n, n);
      }
      backend.disposeData(cp.dataId);
    }
    for (const [padded, original] of [[ap, a], [bp, b], [biasP, bias]]) {
      if (padded && padded !== original) backend.disposeData(padded.dataId);
    }
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
