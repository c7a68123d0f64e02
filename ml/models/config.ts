/** The model's hyperparameters as one typed object (nanoGPT style); `train` fills it from flags. */
import { FEATURE_COUNT } from "../../features/index.ts";
import type { ModelType } from "../../engine/index.ts";
import type { VolatilityReference } from "../layers/index.ts";

export interface ModelConfig {
  readonly type: ModelType;
  /** Timesteps per window (candles). */
  readonly lookback: number;
  /** Inputs per timestep: the 35 engineered features, scaled. */
  readonly features: number;
  /** Transformer width (transformer_lstm only). */
  readonly dModel: number;
  /** Attention heads, for the encoder and for the final attention pooling. */
  readonly heads: number;
  /** Transformer feed-forward width. */
  readonly ffnDim: number;
  readonly encoderLayers: number;
  /** LSTM hidden size per direction. */
  readonly lstmHidden: number;
  readonly lstmLayers: number;
  readonly dropout: number;
  /**
   * Independently trained copies averaged into one model (`ensemble.ts`); 1: a single model. Averaging members'
   * probabilities cuts the variance that dominates a net trained for about one pass over noisy labels.
   */
  readonly members: number;
  /**
   * Append volatility-relative channels to the inputs (`input_channels.ts`): each return-like feature divided
   * by its candle's volatility_20, the scale the labels use. Absent in configs written before it: false.
   */
  readonly volatilityChannels: boolean;
  /**
   * What the channels divide by: each candle's own volatility_20 ("candle") or the window's last candle's
   * ("last", the labels' scale for every timestep). Absent in configs written before it: "candle".
   */
  readonly volatilityReference?: VolatilityReference;
  /**
   * What the hybrid's heads read: the attention-pooled summary alone ("pooled"), or beside it the last
   * timestep's BiLSTM output ("pooled_last"), or both and the last candle's input channels
   * ("pooled_last_input"). Absent in configs written before it: "pooled".
   */
  readonly headInput?: HeadInput;
  /**
   * The members' own window lengths, cycled over the members (`[50, 24]`: members 1, 3, 5… read all 50 candles,
   * members 2, 4, 6… the last 24 of them, through `RecentSteps`); each at most `lookback`. Members that see
   * different spans of the past disagree more than members that differ by seed alone, and averaging
   * disagreeing members is what an ensemble is for. Absent: every member reads the whole window.
   */
  readonly memberLookbacks?: readonly number[];
  /**
   * A served blend (`train --blend-boosting`): the network's share of the served probabilities, gradient
   * boosting's calibrated ones (trained beside it, kept in the version, inside model.onnx) the rest. The network
   * itself is built and trained the same with or without it. Absent: the network alone, as before the option.
   */
  readonly boostingBlend?: number;
}

/**
 * The network's share in a blend with gradient boosting (`train --blend-boosting`): equal weights, what was
 * measured (bench/RESULTS.md § "Session 39": the average beat boosting in all three 1h quarters read); no weight
 * was fit, so none was tuned to those quarters.
 */
export const BOOSTING_BLEND_WEIGHT = 0.5;

/** Member k's (1-based) window length: its entry of `memberLookbacks`, cycled, or the model's lookback. */
export function memberLookback(c: ModelConfig, k: number): number {
  const list = c.memberLookbacks;
  return list && list.length > 0 ? list[(k - 1) % list.length] : c.lookback;
}

/** What the heads read (`ModelConfig.headInput`): the pooled summary, + the last timestep, + its inputs. */
export const HEAD_INPUTS = ["pooled", "pooled_last", "pooled_last_input"] as const;
export type HeadInput = typeof HEAD_INPUTS[number];

/**
 * The default architecture for `type` and windows of `lookback` candles, as measured (bench/RESULTS.md):
 * three small members; transformer_lstm adds the volatility channels, and its heads read the last timestep.
 */
export function defaultModelConfig(type: ModelType, lookback: number): ModelConfig {
  return {
    type,
    lookback,
    features: FEATURE_COUNT,
    // Measured (bench/RESULTS.md § model quality, round 2): with the round-2 recipe this small hybrid reaches
    // 1.0367 test log-loss alone, and three of them averaged 1.0335, in 34 minutes on 2 cores; the round-1
    // size (d64, 2 encoder layers, 2 × BiLSTM 64) costs 3.8× more per sample without a measured gain.
    dModel: 32,
    heads: 4,
    ffnDim: 64,
    encoderLayers: 1,
    lstmHidden: 32,
    lstmLayers: 1,
    dropout: 0.1,
    members: 3,
    // Measured for transformer_lstm (bench/RESULTS.md § model quality, round 2, E6): three members with the
    // channels 1.0318 against 1.0335 without, on the same split, at the same cost. lightweight_lstm keeps its
    // round-1 inputs until measured.
    volatilityChannels: type === "transformer_lstm",
    // Measured (same section, E8/E9, 2022/2023 split, 3 members): against the last candle's volatility_20 the
    // test log-loss is unchanged (1.0318) with test ECE 0.022 → 0.017; the heads reading the last timestep too
    // take it to 1.0277 (gradient boosting 1.0311 in the same metrics.json), every member's validation loss down.
    volatilityReference: "last",
    headInput: type === "transformer_lstm" ? "pooled_last" : "pooled",
  };
}

/** Why a config cannot be built, or null. The message names the flag-level field. */
export function modelConfigProblem(c: ModelConfig): string | null {
  const positive: (keyof ModelConfig)[] = [
    "lookback",
    "features",
    "dModel",
    "heads",
    "ffnDim",
    "lstmHidden",
    "lstmLayers",
    "members",
  ];
  for (const key of positive) {
    const v = c[key] as number;
    if (!Number.isInteger(v) || v < 1) return `${key} must be a positive integer, got ${v}`;
  }
  // No encoder layers is a valid ablation: projection → LSTM → attention pooling.
  if (!Number.isInteger(c.encoderLayers) || c.encoderLayers < 0) {
    return `encoderLayers must be a non-negative integer, got ${c.encoderLayers}`;
  }
  for (const steps of c.memberLookbacks ?? []) {
    if (!Number.isInteger(steps) || steps < 2 || steps > c.lookback) {
      return `memberLookbacks must be whole numbers from 2 to lookback (${c.lookback}), got ${steps}`;
    }
  }
  // Cycled over the members: one beyond the members' count would never be used, so it is a mistake.
  if ((c.memberLookbacks?.length ?? 0) > c.members) {
    return `memberLookbacks has ${c.memberLookbacks!.length} window lengths, more than the ensemble's ` +
      `${c.members} (the extra ones would never be used)`;
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) return `dropout must be in [0, 1), got ${c.dropout}`;
  if (c.type === "transformer_lstm") {
    if (c.dModel % c.heads !== 0) return `dModel (${c.dModel}) must be a multiple of heads (${c.heads})`;
    if ((2 * c.lstmHidden) % c.heads !== 0) {
      return `2·lstmHidden (${2 * c.lstmHidden}) must be a multiple of heads (${c.heads})`;
    }
  }
  return null;
}
