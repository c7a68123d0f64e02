/**
 * Where tfjs runs: backend choice and the WASM kernel fixes.
 *
 * @example Pick the backend before building or loading a model
 * ```ts
 * import { initBackend } from "./index.ts";
 *
 * const backend = await initBackend("auto"); // or name one: "tensorflow", "wasm", "cpu"
 * console.log(backend.backend, backend.device); // "wasm" "cpu"
 * ```
 */
export * from "./backend.ts";
export * from "./wasm_kernels.ts";
/** The trained-model type, for code outside ml/ that holds a model without importing tfjs itself. */
export type { LayersModel } from "@tensorflow/tfjs";
