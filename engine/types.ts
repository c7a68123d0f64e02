/**
 * The contract between a loaded model and whoever asks it for predictions (`serve`, `predict`, `evaluate`).
 * The ONNX Runtime engine implements it; server tests implement it with a fake.
 */
import type { Preprocessor } from "./preprocessor.ts";

export interface ModelInfo {
  /** "TransformerLSTMModel" or "LightweightLSTMModel". */
  readonly modelClass: string;
  readonly preprocessor: Preprocessor;
  /** Checkpoint version, e.g. "v3_2026-11-24". */
  readonly version: string;
  /** ISO time the version was created. */
  readonly trainedAt: string;
  /** The interval of the candles it was trained on ("1h"); null when not recorded. */
  readonly interval?: string | null;
  /**
   * How far its candles opened past the interval's UTC grid, in ms: 0 (or absent) for an exchange's, 16 h for
   * 1d candles whose days begin at midnight UTC+8. serve holds the bot's candles to the same grid.
   */
  readonly gridOffsetMs?: number;
  /** metrics.json's test metrics (classes named by argmax), when present. */
  readonly metrics?: unknown;
  /** The same test split scored under the version's decision rule (`rule`), when recorded. */
  readonly servedMetrics?: { readonly rule: string; readonly metrics: unknown };
}

/**
 * The test metrics to show beside answers given under `rule`, and the rule they were scored under: the
 * version's served scores when it was trained for that rule, else argmax's (the class-naming figures —
 * accuracy, macro-F1, per class — differ by rule, so they are labelled: a version served with `prior` but shown
 * argmax's figures looked like a model that names SIDEWAYS 99 % of the time); null when it recorded none.
 */
export function metricsUnder(info: ModelInfo, rule: string): { rule: string; metrics: unknown } | null {
  if (info.servedMetrics?.rule === rule) return info.servedMetrics;
  return info.metrics === undefined ? null : { rule: "argmax", metrics: info.metrics };
}

export interface RawPrediction {
  /** Softmax probabilities in class order DOWN, SIDEWAYS, UP; they sum to 1. */
  readonly probabilities: readonly [number, number, number];
  /** Predicted close[t+h]/close[t] − 1 as a fraction. */
  readonly expectedReturn: number;
  /** Final attention weights over the window's timesteps (index lookback−1 = most recent), or null. */
  readonly attention: Float32Array | null;
}

export interface Predictor {
  readonly info: ModelInfo;
  /** Where inference runs, as /health reports it ("cpu"). */
  readonly device: string;
  /** Predicts `count` windows of UNscaled features, [count, lookback, 35] row-major. */
  predict(x: Float32Array, count: number): Promise<RawPrediction[]>;
  close(): Promise<void>;
}
