/**
 * The custom tfjs layers, registered for (de)serialisation on import: any code that loads a saved model must
 * import this module first (`ml/models/model_io.ts` does).
 *
 * @example Import before loading a saved model, so its custom layers deserialise
 * ```ts
 * import "./index.ts"; // registers the layers with tfjs's serialisation
 * import { loadModel } from "../models/index.ts"; // model_io imports it too
 *
 * const model = await loadModel("checkpoints/current");
 * console.log(model.layers.map((l) => l.getClassName()));
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import { AttentionPooling, MultiHeadSelfAttention } from "./attention.ts";
import { SeededDropout } from "./dropout.ts";
import { EnsembleMean } from "./ensemble_mean.ts";
import { LastTimestep } from "./last_timestep.ts";
import { LayerNorm } from "./layer_norm.ts";
import { FastLSTM } from "./lstm.ts";
import { PositionalEncoding } from "./positional_encoding.ts";
import { RecentSteps } from "./recent_steps.ts";
import { VolatilityChannels } from "./volatility_channels.ts";

export {
  AttentionPooling,
  EnsembleMean,
  FastLSTM,
  LastTimestep,
  LayerNorm,
  MultiHeadSelfAttention,
  PositionalEncoding,
  RecentSteps,
  SeededDropout,
  VolatilityChannels,
};
export type { EnsembleMeanArgs, EnsembleMode } from "./ensemble_mean.ts";
export { alignedLength } from "./ensemble_mean.ts";
export type { AttentionArgs } from "./attention.ts";
export type { FastLSTMArgs } from "./lstm.ts";
export type { LayerNormArgs } from "./layer_norm.ts";
export type { RecentStepsArgs } from "./recent_steps.ts";
export type { SeededDropoutArgs } from "./dropout.ts";
export { lstmRecurrence } from "./lstm_recurrence.ts";
export { sinusoidalTable } from "./positional_encoding.ts";
export { dropoutMask, withBatchRowOffset } from "./dropout.ts";
export {
  LONG_VOLATILITY,
  PATH_FEATURES,
  pathScales,
  SHORT_VOLATILITY,
  VOLATILITY_CHANNEL_COUNT,
  VOLATILITY_CHANNEL_NAMES,
  VOLATILITY_FLOOR,
  VOLATILITY_RATIOS,
  VOLATILITY_REFERENCES,
  volatilityChannelCount,
  volatilityChannelNames,
  type VolatilityChannelsArgs,
  type VolatilityConstants,
  volatilityConstants,
  type VolatilityRatio,
  type VolatilityReference,
} from "./volatility_channels.ts";

for (
  const cls of [
    FastLSTM,
    LayerNorm,
    MultiHeadSelfAttention,
    AttentionPooling,
    PositionalEncoding,
    SeededDropout,
    EnsembleMean,
    VolatilityChannels,
    LastTimestep,
    RecentSteps,
  ]
) {
  tf.serialization.registerClass(cls);
}
