/**
 * Hand-written WebAssembly SIMD kernels on tfjs-wasm's heap: matrix products, 2-D transposes, LSTM steps,
 * column sums. `../wasm_kernels.ts` puts the products, transposes and sums in place of tfjs-wasm's kernels and
 * `ml/layers`' LSTM step calls the LSTM ones; what is left to other callers is which kernel runs.
 *
 * @example Say which kernel runs the matrix products, and switch to the plain one to compare float rounding
 * ```ts
 * import { fmaSupported, productKernel, useFmaKernels } from "./index.ts";
 *
 * console.log(fmaSupported, productKernel()); // true "WebAssembly SIMD kernel (FMA; native: …)"
 * useFmaKernels(false); // the plain kernel: the same products, rounded as without FMA
 * console.log(productKernel()); // "WebAssembly SIMD kernel (plain)"
 * ```
 */
export {
  fmaInUse,
  fmaSupported,
  matMulBatches,
  nativeInUse,
  productKernel,
  simdMatMul,
  type SimdProduct,
  tnMatMul,
  type TnProduct,
  useFmaKernels,
  useNativeKernels,
} from "./gemm_tn.ts";
export { asMatrixTranspose, simdTranspose } from "./transpose.ts";
export { heapOffset } from "./heap.ts";
export { columnSum } from "./column_sum.ts";
export { lstmBackward, type LstmBackwardResult, lstmForward, type LstmForwardResult } from "./lstm_cell.ts";
