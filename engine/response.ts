/**
 * A model's raw output plus the request's window → the SPEC §4 /predict response body, field for field.
 * One mapping shared by `serve` and `predict`, so both surfaces reports a prediction the same way.
 */
import { type CandleSeries, CLASSES, type ClassName, trendScore } from "../features/index.ts";
import type { RawPrediction } from "./types.ts";
import { decideClass, type DecisionRule } from "./decision.ts";

export interface PredictResponse {
  readonly symbol: string;
  readonly prediction: ClassName;
  readonly confidence: number;
  readonly probabilities: { readonly down: number; readonly sideways: number; readonly up: number };
  readonly expected_return: number;
  readonly trend_score: number;
  readonly attention_summary: Readonly<Record<string, number>>;
  /** Extra to SPEC §4 (allowed): the checkpoint version that answered, for the bot's logs. */
  readonly model_version: string;
}

/** How many of the largest attention weights the summary keeps (SPEC §4). */
export const ATTENTION_TOP = 3;

/**
 * The largest weights keyed `t-1` (most recent candle, the last index) … `t-lookback`, largest first; ties go
 * to the more recent candle so the summary is deterministic. `{}` for a model without attention.
 */
export function attentionSummary(attention: Float32Array | null): Record<string, number> {
  if (attention === null) return {};
  const n = attention.length;
  const order = Array.from({ length: n }, (_, i) => n - 1 - i); // most recent first; sort is stable
  order.sort((a, b) => attention[b] - attention[a]);
  const summary: Record<string, number> = {};
  for (const i of order.slice(0, ATTENTION_TOP)) summary[`t-${n - i}`] = attention[i];
  return summary;
}

/** How `prediction` is chosen: argmax, or argmax of probabilities ÷ training class priors (`evaluate`). */
export interface Decision {
  readonly rule: DecisionRule;
  readonly priors?: readonly number[];
}
/** The decision of versions from before rules were stored: the most probable class, no priors. */
export const ARGMAX: Decision = { rule: "argmax" };

/**
 * `window` is the candles the model saw (its last is the prediction time); trend_score reads its last candle.
 * `confidence` is always the calibrated probability of the chosen class, whichever rule chose it.
 */
export function predictResponse(
  symbol: string,
  raw: RawPrediction,
  window: CandleSeries,
  modelVersion: string,
  decision: Decision = ARGMAX,
): PredictResponse {
  const [down, sideways, up] = raw.probabilities;
  const best = decideClass(raw.probabilities, decision.rule, decision.priors);
  return {
    symbol,
    prediction: CLASSES[best],
    confidence: raw.probabilities[best],
    probabilities: { down, sideways, up },
    expected_return: raw.expectedReturn,
    trend_score: trendScore(window),
    attention_summary: attentionSummary(raw.attention),
    model_version: modelVersion,
  };
}
