/**
 * Hand-written WebAssembly SIMD kernels on tfjs-wasm's heap: matrix products, 2-D transposes, LSTM steps,
 * column sums.
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
