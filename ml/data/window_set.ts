/**
 * A set of windows across symbols, held as (series, last-candle index) pairs only: features are engineered
 * per batch on demand, so 244k windows cost 2 MB instead of 1.7 GB.
 */
import {
  type CandleSeries,
  FEATURE_COUNT,
  type LabelRule,
  type WindowBatch,
  windowBatch,
} from "../../features/index.ts";

export interface WindowSet {
  readonly series: readonly CandleSeries[];
  /** Per window: which series it comes from. */
  readonly seriesIndex: Int32Array;
  /** Per window: index of its last candle in that series. */
  readonly ends: Int32Array;
  readonly size: number;
}

export interface WindowShape {
  readonly lookback: number;
  readonly horizon: number;
  readonly labelRule: LabelRule;
}

/** Concatenates each series' window ends, in series order (so a set is in time order within a symbol). */
export function windowSet(series: readonly CandleSeries[], endsPerSeries: readonly Int32Array[]): WindowSet {
  const size = endsPerSeries.reduce((n, e) => n + e.length, 0);
  const seriesIndex = new Int32Array(size), ends = new Int32Array(size);
  let at = 0;
  endsPerSeries.forEach((e, k) => {
    seriesIndex.fill(k, at, at + e.length);
    ends.set(e, at);
    at += e.length;
  });
  return { series, seriesIndex, ends, size };
}

/** The windows at `indices` of `set`, in that order. */
export function subsetOf(set: WindowSet, indices: ArrayLike<number>): WindowSet {
  const seriesIndex = new Int32Array(indices.length), ends = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    seriesIndex[i] = set.seriesIndex[indices[i]];
    ends[i] = set.ends[indices[i]];
  }
  return { series: set.series, seriesIndex, ends, size: indices.length };
}

/**
 * Engineers the windows at positions `picks` of `set` into one batch, in the order given. Windows are
 * grouped by series for `windowBatch` and copied back into place.
 */
export function gatherBatch(set: WindowSet, picks: ArrayLike<number>, shape: WindowShape): WindowBatch {
  const size = picks.length;
  const stride = shape.lookback * FEATURE_COUNT;
  const bySeries = new Map<number, number[]>();
  for (let b = 0; b < size; b++) {
    const k = set.seriesIndex[picks[b]];
    let slots = bySeries.get(k);
    if (!slots) bySeries.set(k, slots = []);
    slots.push(b);
  }
  if (bySeries.size === 1) {
    const [k] = bySeries.keys();
    const ends = Int32Array.from({ length: size }, (_, b) => set.ends[picks[b]]);
    return windowBatch(set.series[k], ends, shape.lookback, shape.horizon, shape.labelRule);
  }
  const x = new Float32Array(size * stride);
  const ends = new Int32Array(size), returns = new Float64Array(size), label = new Int8Array(size);
  for (const [k, slots] of bySeries) {
    const part = windowBatch(
      set.series[k],
      slots.map((b) => set.ends[picks[b]]),
      shape.lookback,
      shape.horizon,
      shape.labelRule,
    );
    slots.forEach((b, j) => {
      x.set(part.x.subarray(j * stride, (j + 1) * stride), b * stride);
      ends[b] = part.ends[j];
      returns[b] = part.forwardReturn[j];
      label[b] = part.label[j];
    });
  }
  return { size, x, ends, forwardReturn: returns, label };
}

/** Visits the whole set in order, `chunk` windows at a time (for passes such as fitting the scaler). */
export function* scanSet(set: WindowSet, shape: WindowShape, chunk = 512): Generator<WindowBatch> {
  for (let i = 0; i < set.size; i += chunk) {
    const n = Math.min(chunk, set.size - i);
    yield gatherBatch(set, Int32Array.from({ length: n }, (_, j) => i + j), shape);
  }
}
