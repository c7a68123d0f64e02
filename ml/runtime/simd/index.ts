/** Hand-written WebAssembly SIMD kernels on tfjs-wasm's heap: aᵀ·b products, 2-D transposes, LSTM steps. */
export {
  fmaInUse,
  fmaSupported,
  matMulBatches,
  simdMatMul,
  type SimdProduct,
  tnMatMul,
  type TnProduct,
  useFmaKernels,
} from "./gemm_tn.ts";
export { asMatrixTranspose, simdTranspose } from "./transpose.ts";
export { heapOffset } from "./heap.ts";
export { lstmBackward, type LstmBackwardResult, lstmForward, type LstmForwardResult } from "./lstm_cell.ts";
