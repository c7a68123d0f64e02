/**
 * The model module's public surface: build either model from one typed config. Outputs, in order:
 * `class_logits` [b, 3] (raw logits, DOWN/SIDEWAYS/UP), `regression` [b, 1] (standardised return) and, for
 * transformer_lstm, `attention` [b, lookback] (final attention over timesteps, mean over heads, sums to 1).
 * Input: [b, lookback, 35] scaled features (with `volatilityChannels`, the model appends its own channels).
 *
 * @example Build the default hybrid and save it (tfjs format; `ml/onnx` exports it)
 * ```ts
 * import { initBackend } from "../runtime/index.ts";
 * import { buildModel, defaultModelConfig, saveModel } from "./index.ts";
 *
 * await initBackend();
 * const model = buildModel(defaultModelConfig("transformer_lstm", 50), 42); // seeded: the same weights each time
 * model.summary();
 * await saveModel(model, "/tmp/untrained");
 * ```
 */
import type * as tf from "@tensorflow/tfjs";
import { memberLookback, type ModelConfig, modelConfigProblem } from "./config.ts";
import { FAST_LAYERS, type LayerKit } from "./layer_kit.ts";
import { buildLightweightLstm } from "./lightweight_lstm.ts";
import { buildTransformerLstm } from "./transformer_lstm.ts";
import { buildEnsemble } from "./ensemble.ts";
import type { InputScaling } from "./input_channels.ts";

export {
  BOOSTING_BLEND_WEIGHT,
  defaultModelConfig,
  HEAD_INPUTS,
  type HeadInput,
  memberLookback,
  type ModelConfig,
  modelConfigProblem,
} from "./config.ts";
export type { ModelType } from "../../engine/index.ts";
export { FAST_LAYERS, type LayerKit, STOCK_LAYERS } from "./layer_kit.ts";
export {
  ATTENTION_BUDGET_BYTES,
  attentionBytes,
  batchFitProblem,
  largestBatch,
  longestLookback,
  type MemoryProblem,
  scoringBatch,
  trainingStateBytes,
  WEIGHT_BUDGET_BYTES,
  weightsFitProblem,
  weightsLowerBound,
} from "./memory.ts";

/**
 * Builds the model `config` describes; `seed` fixes every initial weight and dropout mask. `scaling` (the
 * training scaler and input clip) is needed only by a config with `volatilityChannels`.
 */
export function buildModel(
  config: ModelConfig,
  seed = 42,
  kit: LayerKit = FAST_LAYERS,
  scaling?: InputScaling,
): tf.LayersModel {
  const problem = modelConfigProblem(config);
  if (problem) throw new Error(`model config: ${problem}`);
  // A single member with its own shorter window is built as an ensemble of one (its RecentSteps layer).
  if (config.members > 1 || memberLookback(config, 1) < config.lookback) {
    return buildEnsemble(config, seed, kit, scaling);
  }
  return config.type === "transformer_lstm"
    ? buildTransformerLstm(config, seed, kit, scaling)
    : buildLightweightLstm(config, seed, kit, scaling);
}
export { AUXILIARY_OUTPUT, disposeAuxiliaryHead, withAuxiliaryHead } from "./auxiliary_head.ts";
export {
  buildEnsemble,
  firstMembers,
  isEnsemble,
  type Member,
  memberPrefix,
  memberSeed,
  memberViews,
  prefixOf,
} from "./ensemble.ts";
export type { MemberOutputs } from "./heads.ts";
export {
  hasVolatilityChannels,
  type InputScaling,
  inputScalingOf,
  inputWidth,
  VOLATILITY_LAYER,
} from "./input_channels.ts";
export { fileSystemIO, loadModel, MODEL_JSON, ModelFileError, saveModel, WEIGHTS_BIN } from "./model_io.ts";
