/**
 * Batches as the model sees them: features engineered on demand, standardised with the training scaler and
 * clipped to ±clip (outlier bars would otherwise dominate the gradients); the regression target is the
 * standardised forward return, clipped the same way.
 */
import { applyScaler, type Scaler } from "../../features/index.ts";
import { permutation, type Rng } from "../../features/index.ts";
import { gatherBatch, type WindowSet, type WindowShape } from "./window_set.ts";
import type { ReturnScale } from "./dataset.ts";

export interface ModelBatch {
  readonly size: number;
  /** [size, lookback, 35], scaled and clipped. */
  readonly x: Float32Array;
  readonly labels: Int8Array;
  /** (r − mean) / std, clipped to ±clip. */
  readonly target: Float32Array;
  /** The raw forward return r. */
  readonly returns: Float64Array;
  /** Position of each window in its set. */
  readonly picks: Int32Array;
}

export interface Scaling {
  readonly scaler: Scaler;
  readonly clip: number;
  readonly returnScale: ReturnScale;
}

/** Yields the windows of `set` at `order`'s positions, `batchSize` at a time (the last batch may be short). */
export function* modelBatches(
  set: WindowSet,
  order: Int32Array,
  batchSize: number,
  shape: WindowShape,
  scaling: Scaling,
): Generator<ModelBatch> {
  const { scaler, clip, returnScale } = scaling;
  for (let i = 0; i < order.length; i += batchSize) {
    const picks = order.subarray(i, i + batchSize);
    const batch = gatherBatch(set, picks, shape);
    const target = new Float32Array(batch.size);
    for (let b = 0; b < batch.size; b++) {
      const z = (batch.forwardReturn[b] - returnScale.mean) / returnScale.std;
      target[b] = Math.max(-clip, Math.min(clip, z));
    }
    yield {
      size: batch.size,
      x: applyScaler(scaler, batch.x, clip),
      labels: batch.label,
      target,
      returns: batch.forwardReturn,
      picks,
    };
  }
}

/**
 * One epoch's visiting order: a seeded shuffle, cut to `maxWindows` (a fresh random subset every epoch). With
 * `weights` (see `recencyWeights`), `min(size, maxWindows)` windows drawn with replacement, each with
 * probability proportional to its weight: drawing with replacement lets the weights act even when an epoch
 * covers the whole set (small data), where a subset without replacement would be every window again.
 */
export function epochOrder(
  size: number,
  rng: Rng,
  maxWindows = Infinity,
  weights?: Float64Array,
): Int32Array {
  if (weights) return weightedDraws(weights, Math.min(size, maxWindows), rng);
  const order = permutation(size, rng);
  return maxWindows < size ? order.subarray(0, maxWindows) : order;
}

/** `count` indices drawn with replacement, index i with probability weights[i] / Σ weights. */
function weightedDraws(weights: Float64Array, count: number, rng: Rng): Int32Array {
  const cumulative = new Float64Array(weights.length);
  let total = 0;
  for (let i = 0; i < weights.length; i++) cumulative[i] = total += weights[i];
  const draws = new Int32Array(count);
  for (let d = 0; d < count; d++) {
    const u = rng() * total;
    let lo = 0, hi = weights.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    draws[d] = lo;
  }
  return draws;
}

const DAY_MS = 86_400_000;

/**
 * Per window of `set`: 2^(−age / halfLifeDays), the age measured from the set's newest window, so a window a
 * half-life older than the newest is drawn half as often. Markets change regime; older candles say less about
 * the months a model will serve (FreqAI's `weight_factor` weights training data the same way). Null when the
 * half-life is Infinity (off) or no window has an open time (every window counts the same).
 */
export function recencyWeights(set: WindowSet, halfLifeDays: number): Float64Array | null {
  if (!Number.isFinite(halfLifeDays)) return null;
  const times = new Float64Array(set.size);
  let newest = -Infinity;
  for (let i = 0; i < set.size; i++) {
    times[i] = set.series[set.seriesIndex[i]].openTime[set.ends[i]];
    if (times[i] > newest) newest = times[i];
  }
  if (newest === -Infinity) return null;
  const weights = new Float64Array(set.size);
  for (let i = 0; i < set.size; i++) {
    // A window without a time (a source without times) counts as new: it is never starved.
    const age = Number.isNaN(times[i]) ? 0 : (newest - times[i]) / DAY_MS;
    weights[i] = Math.pow(2, -age / halfLifeDays);
  }
  return weights;
}

/** The set in its own order, optionally a fixed seeded subsample (validation that must cost little). */
export function evaluationOrder(size: number, rng: Rng, maxWindows = Infinity): Int32Array {
  if (maxWindows >= size) return Int32Array.from({ length: size }, (_, i) => i);
  return permutation(size, rng).subarray(0, maxWindows).sort();
}

/** Rows `picks` of a row-major matrix of `width` columns, in that order (a batch's teacher rows, a fold's rows). */
export function gatherRows(matrix: Float32Array, width: number, picks: ArrayLike<number>): Float32Array {
  const out = new Float32Array(picks.length * width);
  for (let i = 0; i < picks.length; i++) {
    out.set(matrix.subarray(picks[i] * width, (picks[i] + 1) * width), i * width);
  }
  return out;
}
