/**
 * Training data: honest time splits, lazily engineered and scaled batches, class weights, seeded shuffling.
 *
 * @example Windows split by time, with the scaler fit on the training split only
 * ```ts
 * import { readTrainingCsv } from "../../features/index.ts";
 * import { prepareDataset } from "./index.ts";
 *
 * const dataset = prepareDataset(await readTrainingCsv("data/training_data.csv"), {
 *   lookback: 50,
 *   horizon: 4,
 *   labelRule: { kind: "volatility", multiplier: 0.5 },
 *   split: { kind: "dates", validationStart: Date.parse("2022-01-01"), testStart: Date.parse("2023-01-01") },
 * });
 * console.log(dataset.train.size, dataset.validation.size, dataset.test.size, dataset.trainClassCounts);
 * ```
 */
export { permutation, type Rng, sampleIndices, seededRng, shuffleInPlace } from "../../features/index.ts";
export * from "./split.ts";
export * from "./window_set.ts";
export * from "./dataset.ts";
export * from "./batches.ts";
export * from "./class_weights.ts";
export * from "./auxiliary.ts";
