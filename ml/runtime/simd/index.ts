/** Hand-written WebAssembly SIMD kernels on tfjs-wasm's heap: weight-gradient products and 2-D transposes. */
export { matMulBatches, tnMatMul, type TnProduct } from "./gemm_tn.ts";
export { asMatrixTranspose, simdTranspose } from "./transpose.ts";
export { heapOffset } from "./heap.ts";
