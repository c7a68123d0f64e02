/** Where tfjs runs: backend choice and the WASM kernel fixes. */
export * from "./backend.ts";
export * from "./wasm_kernels.ts";
/** The trained-model type, for code outside ml/ that holds a model without importing tfjs itself. */
export type { LayersModel } from "@tensorflow/tfjs";
