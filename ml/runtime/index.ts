/** Where tfjs runs and how its models are stored: backend choice, the WASM kernel fixes, model.json + weights.bin. */
export * from "./backend.ts";
export * from "./wasm_kernels.ts";
export * from "./model_io.ts";
/** The trained-model type, for code outside ml/ that holds a model without importing tfjs itself. */
export type { LayersModel } from "@tensorflow/tfjs";
