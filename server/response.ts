/**
 * A model's raw output plus the request's window → the SPEC §4 /predict response body. Kept in `server/`
 * until `ml/engine/response.ts` lands; then this file should re-export that one (one mapping for serve,
 * predict and evaluate).
 */
import { type CandleSeries, CLASSES, trendScore } from "../features/index.ts";
import type { RawPrediction } from "../ml/engine/types.ts";

export interface PredictResponse {
  readonly symbol: string;
  readonly prediction: "DOWN" | "SIDEWAYS" | "UP";
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
 * The largest weights keyed `t-1` (most recent candle) … `t-lookback`, largest first; ties go to the more
 * recent candle so the summary is deterministic.
 */
export function attentionSummary(attention: Float32Array | null): Record<string, number> {
  if (attention === null) return {};
  const n = attention.length;
  const order = Array.from({ length: n }, (_, i) => n - 1 - i); // most recent first
  order.sort((a, b) => attention[b] - attention[a]);
  const summary: Record<string, number> = {};
  for (const i of order.slice(0, ATTENTION_TOP)) summary[`t-${n - i}`] = attention[i];
  return summary;
}

/** `window` is the `lookback` candles the model saw; trend_score reads its last candle. */
export function predictResponse(
  symbol: string,
  raw: RawPrediction,
  window: CandleSeries,
  modelVersion: string,
): PredictResponse {
  const [down, sideways, up] = raw.probabilities;
  let best = 0;
  for (let k = 1; k < 3; k++) if (raw.probabilities[k] > raw.probabilities[best]) best = k;
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
