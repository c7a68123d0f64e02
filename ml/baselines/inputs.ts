/** What the baselines look at: the last candle of each window (its 35 features and its own return). */
import { applyScaler, FEATURE_COUNT, featureIndex } from "../../features/index.ts";
import { finishSteps, finishStepsTurning } from "../../base/index.ts";
import {
  gatherBatch,
  type LabelledSet,
  sampleIndices,
  type Scaling,
  seededRng,
  type WindowShape,
} from "../data/index.ts";

export interface LastCandles {
  readonly size: number;
  /** [size, 35], scaled and clipped like the model's input. */
  readonly features: Float32Array;
  /** The last candle's close/prev.close − 1 (unscaled). */
  readonly lastReturn: Float64Array;
  readonly labels: Int8Array;
  readonly returns: Float64Array;
}

const RET = featureIndex("ret");

/** The last candles of the windows at `picks` (all of the set when omitted). */
export function lastCandles(
  set: LabelledSet,
  shape: WindowShape,
  scaling: Scaling,
  picks?: Int32Array,
): LastCandles {
  return finishSteps(lastCandlesSteps(set, shape, scaling, picks));
}

/** `lastCandles`, pausing after each chunk (`finishStepsTurning`: a second of engineering per 50k windows). */
export function* lastCandlesSteps(
  set: LabelledSet,
  shape: WindowShape,
  scaling: Scaling,
  picks: Int32Array = Int32Array.from({ length: set.size }, (_, i) => i),
): Generator<void, LastCandles> {
  const n = picks.length;
  const features = new Float32Array(n * FEATURE_COUNT), lastReturn = new Float64Array(n);
  const labels = new Int8Array(n), returns = new Float64Array(n);
  const stride = shape.lookback * FEATURE_COUNT, lastRow = (shape.lookback - 1) * FEATURE_COUNT;
  const CHUNK = 512;
  for (let i = 0; i < n; i += CHUNK) {
    const part = picks.subarray(i, i + CHUNK);
    const batch = gatherBatch(set, part, shape);
    for (let b = 0; b < batch.size; b++) {
      const row = batch.x.subarray(b * stride + lastRow, (b + 1) * stride);
      lastReturn[i + b] = row[RET];
      features.set(row, (i + b) * FEATURE_COUNT);
      labels[i + b] = set.labels[part[b]];
      returns[i + b] = set.returns[part[b]];
    }
    yield;
  }
  applyScaler(scaling.scaler, features, scaling.clip);
  return { size: n, features, lastReturn, labels, returns };
}

/** Candles before the last whose features the gradient boosting sees beside the last candle's (t−1, t−4). */
export const GBDT_LAGS: readonly number[] = [0, 1, 4];

export interface LaggedCandles {
  readonly size: number;
  /** 35 × lags.length. */
  readonly columns: number;
  /** [size, columns], unscaled (trees split on ranks): lag 0's 35 features, then lag 1's, … */
  readonly features: Float32Array;
  readonly labels: Int8Array;
  readonly returns: Float64Array;
}

/**
 * The features of the last candle of each window at `picks` and of the candles `lags` before it, as the model
 * sees them in that window (lags beyond the window's first candle take the first candle).
 */
export function laggedCandles(
  set: LabelledSet,
  shape: WindowShape,
  lags: readonly number[] = GBDT_LAGS,
  picks?: Int32Array,
): LaggedCandles {
  return finishSteps(laggedCandlesSteps(set, shape, lags, picks));
}

/** `laggedCandles`, pausing after each chunk (`finishStepsTurning`: ~4 s for 170k windows). */
export function* laggedCandlesSteps(
  set: LabelledSet,
  shape: WindowShape,
  lags: readonly number[] = GBDT_LAGS,
  picks: Int32Array = Int32Array.from({ length: set.size }, (_, i) => i),
): Generator<void, LaggedCandles> {
  const n = picks.length, columns = FEATURE_COUNT * lags.length;
  const features = new Float32Array(n * columns);
  const labels = new Int8Array(n), returns = new Float64Array(n);
  const stride = shape.lookback * FEATURE_COUNT;
  const rowsOf = lags.map((lag) => (shape.lookback - 1 - Math.min(lag, shape.lookback - 1)) * FEATURE_COUNT);
  const CHUNK = 512;
  for (let i = 0; i < n; i += CHUNK) {
    const part = picks.subarray(i, i + CHUNK);
    const batch = gatherBatch(set, part, shape);
    for (let b = 0; b < batch.size; b++) {
      const out = (i + b) * columns;
      rowsOf.forEach((row, l) => {
        const from = b * stride + row;
        features.set(batch.x.subarray(from, from + FEATURE_COUNT), out + l * FEATURE_COUNT);
      });
      labels[i + b] = set.labels[part[b]];
      returns[i + b] = set.returns[part[b]];
    }
    yield;
  }
  return { size: n, columns, features, labels, returns };
}

/** How many training windows persistence and the logistic regression are fit on, drawn at random. */
export const BASELINE_TRAIN_WINDOWS = 50_000;

/**
 * The training sample persistence and the logistic regression are fit on: the last candles of at most
 * `maxWindows` training windows drawn with `seed`. One function for `train`'s baselines and `evaluate`'s, so
 * the same split and seed fit the same baselines in both.
 */
export async function baselineTrainSample(
  train: LabelledSet,
  shape: WindowShape,
  scaling: Scaling,
  seed: number,
  maxWindows = BASELINE_TRAIN_WINDOWS,
  /** Aborting it stops the sampling at its next chunk, throwing `signal.reason`. */
  signal?: AbortSignal,
): Promise<LastCandles> {
  const picks = sampleIndices(train.size, maxWindows, seededRng(seed));
  return await finishStepsTurning(lastCandlesSteps(train, shape, scaling, picks), signal);
}
