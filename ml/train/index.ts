/** The training loop and what it needs: loss, Adam with warm-up and clipping, evaluation, progress output. */
export * from "./config.ts";
export * from "./run_config.ts";
export * from "./loop.ts";
export * from "./evaluate.ts";
export * from "./loss.ts";
export * from "./adam.ts";
export * from "./forward.ts";
export * from "./progress.ts";
export * from "./schedule.ts";
export * from "./members.ts";
export * from "./parallel_members.ts";
export { type LayerWeights, layerWeights, setLayerWeights } from "./member_protocol.ts";
export * from "./throughput.ts";
export * from "./gradients.ts";
export { combineParts, Replicas, rowParts } from "./data_parallel.ts";
