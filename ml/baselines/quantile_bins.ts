/**
 * Quantile binning for the histogram GBDT: each column's thresholds are fit once on the training rows, and
 * every value becomes a one-byte bin index, so split finding scans at most 255 bins per feature instead of
 * sorted values. Thresholds follow scikit-learn's HistGradientBoosting: midpoints between distinct values when
 * a column has few of them, else the column's quantiles (midpoint interpolation), duplicates removed.
 */
import { finishSteps } from "../../base/index.ts";
import { sampleIndices, seededRng } from "../data/index.ts";

export interface QuantileBins {
  readonly columns: number;
  /** Per column, ascending: a value v falls in bin b = the number of thresholds below v. */
  readonly thresholds: readonly Float64Array[];
}

export interface BinOptions {
  /** At most this many bins per column (≤ 255 so a bin fits a byte). */
  readonly maxBins?: number;
  /** Thresholds are fit on a seeded sample of at most this many rows (as scikit-learn does). */
  readonly sampleRows?: number;
  readonly seed?: number;
}

/** The most bins a column may have, so that a bin index fits in one byte. */
export const MAX_BINS = 255;

/** Fits thresholds on `x` ([rows, columns] row-major). NaN values are ignored here and fall in bin 0. */
export function fitQuantileBins(x: Float32Array, columns: number, opts: BinOptions = {}): QuantileBins {
  return finishSteps(quantileBinsSteps(x, columns, opts));
}

/** `fitQuantileBins`, pausing after each column (a sort of up to 200k values: ~25 ms). */
export function* quantileBinsSteps(
  x: Float32Array,
  columns: number,
  opts: BinOptions = {},
): Generator<undefined, QuantileBins> {
  const { maxBins = MAX_BINS, sampleRows = 200_000, seed = 0 } = opts;
  if (maxBins < 2 || maxBins > MAX_BINS) {
    throw new RangeError(`maxBins must be in 2…${MAX_BINS}, got ${maxBins}`);
  }
  const rows = x.length / columns;
  const picks = sampleIndices(rows, sampleRows, seededRng(seed));
  const column = new Float64Array(picks.length);
  const thresholds: Float64Array[] = [];
  for (let f = 0; f < columns; f++) {
    let m = 0;
    for (let i = 0; i < picks.length; i++) {
      const v = x[picks[i] * columns + f];
      if (!Number.isNaN(v)) column[m++] = v;
    }
    thresholds.push(columnThresholds(column.subarray(0, m).sort(), maxBins));
    yield;
  }
  return { columns, thresholds };
}

/** Thresholds of one sorted column. */
function columnThresholds(sorted: Float64Array, maxBins: number): Float64Array {
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
    if (distinct.length > maxBins) break;
  }
  const out: number[] = [];
  if (distinct.length <= maxBins) {
    for (let i = 1; i < distinct.length; i++) out.push((distinct[i - 1] + distinct[i]) / 2);
  } else {
    // numpy.percentile(…, method="midpoint") at 100·q/maxBins for q = 1 … maxBins − 1.
    const last = sorted.length - 1;
    for (let q = 1; q < maxBins; q++) {
      const at = (q / maxBins) * last;
      const v = (sorted[Math.floor(at)] + sorted[Math.ceil(at)]) / 2;
      if (out.length === 0 || v > out[out.length - 1]) out.push(v);
    }
  }
  return Float64Array.from(out);
}

/** Bins per column (thresholds + 1). */
export function binCounts(bins: QuantileBins): Uint16Array {
  return Uint16Array.from(bins.thresholds, (t) => t.length + 1);
}

/** Maps `x` ([rows, columns]) to bin indices, same layout. */
export function applyQuantileBins(bins: QuantileBins, x: Float32Array): Uint8Array {
  const { columns, thresholds } = bins;
  if (x.length % columns !== 0) {
    throw new RangeError(`expected rows of ${columns} values, got ${x.length} values`);
  }
  const out = new Uint8Array(x.length);
  for (let f = 0; f < columns; f++) {
    const t = thresholds[f];
    for (let o = f; o < x.length; o += columns) {
      const v = x[o];
      if (Number.isNaN(v)) continue; // bin 0: a missing value goes with the smallest ones
      let lo = 0, hi = t.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (v > t[mid]) lo = mid + 1;
        else hi = mid;
      }
      out[o] = lo;
    }
  }
  return out;
}
