/** Training data: honest time splits, lazily engineered and scaled batches, class weights, seeded shuffling. */
export { permutation, type Rng, sampleIndices, seededRng, shuffleInPlace } from "../../features/index.ts";
export * from "./split.ts";
export * from "./window_set.ts";
export * from "./dataset.ts";
export * from "./batches.ts";
export * from "./class_weights.ts";
export * from "./auxiliary.ts";
