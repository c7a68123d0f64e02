/**
 * The training loop and what it needs: loss, Adam with warm-up and clipping, evaluation, progress output.
 *
 * @example Train one model (what `train` does for each member, before calibration and saving)
 * ```ts
 * import { readTrainingCsv } from "../../features/index.ts";
 * import { prepareDataset } from "../data/index.ts";
 * import { buildModel } from "../models/index.ts";
 * import { initBackend } from "../runtime/index.ts";
 * import { defaultRunConfig, trainModel } from "./index.ts";
 *
 * await initBackend(); // tfjs-node when installed, else WebAssembly
 * const { model, training, data } = defaultRunConfig("lightweight_lstm");
 * const dataset = prepareDataset(await readTrainingCsv("data/training_data.csv"), {
 *   lookback: model.lookback,
 *   horizon: data.horizon,
 *   labelRule: data.labelRule,
 *   split: data.split,
 * });
 * const scaling = { scaler: dataset.scaler, clip: data.clip, returnScale: dataset.returnScale };
 * const { bestEpoch, stopReason } = await trainModel(buildModel(model), dataset, scaling, {
 *   ...training,
 *   classWeights: [1, 1, 1], // the default recipe's "none"
 * }, { log: console.log });
 * console.log(`kept epoch ${bestEpoch} (${stopReason})`);
 * ```
 */
export * from "./config.ts";
export * from "./run_config.ts";
export * from "./recorded_run_config.ts";
export * from "./loop.ts";
export * from "./evaluate.ts";
export * from "./loss.ts";
export * from "./adam.ts";
export * from "./forward.ts";
// The progress bar lives in features/ (monitor shows it without loading tfjs); training reports through it.
export { type BatchProgress, etaText, type ProgressOptions, terminalProgress } from "../../base/index.ts";
export * from "./schedule.ts";
export * from "./members.ts";
export * from "./parallel_members.ts";
export { type LayerWeights, layerWeights, setLayerWeights } from "./member_protocol.ts";
export * from "./throughput.ts";
export * from "./gradients.ts";
export { combineParts, Replicas, rowParts } from "./data_parallel.ts";
