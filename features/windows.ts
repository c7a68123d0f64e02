/**
 * Windows of `lookback` candles over a long series, produced lazily in batches: 244k windows × 50 × 35
 * floats would be 1.7 GB, so only the end indices (4 bytes a window) are ever held, and features are
 * engineered per batch on demand.
 */
import { type CandleSeries, hasIndicators } from "./candles.ts";
import { engineerWindow, FEATURE_COUNT, featureIndex } from "./engineer.ts";
import { type Grid, inferGrid } from "./intervals.ts";
import { classify, DEFAULT_LABEL_RULE, forwardReturn, type LabelRule, labelThreshold } from "./labels.ts";

export interface WindowOptions {
  readonly lookback: number;
  /** Candles ahead the label looks; windows without a label candle are left out when > 0. */
  readonly horizon: number;
  /** Only windows whose last candle t satisfies from ≤ t < to (defaults: the whole series). */
  readonly from?: number;
  readonly to?: number;
}

/** The usable windows of a series, and how many were left out and why. */
export interface WindowEnds {
  /** Last-candle index of each usable window, ascending. */
  readonly ends: Int32Array;
  /** Windows left out because a candle in them has no indicators yet (warm-up). */
  readonly skipped: number;
  /**
   * Windows left out because candles are missing between the last candle and the label candle (an exchange
   * outage, a hole in an export): their "return over `horizon` candles" would span more time than that.
   */
  readonly gapped: number;
}

/**
 * True when candles are missing between candle `t` and its label candle `t + horizon` on `grid` (the series'
 * own step, `inferGrid`): the one rule training, evaluation and monitor share for labels across an outage.
 */
export function labelSpansGap(grid: Grid, openTime: ArrayLike<number>, t: number, horizon: number): boolean {
  // h consecutive candles have h − 1 strictly between the first and the last; more means some are missing.
  return grid.missingBetween(openTime[t], openTime[t + horizon]) > horizon - 1;
}

/**
 * Last-candle indices of the usable windows: every candle in the window has all indicators and, with a
 * horizon, the label candle t+horizon exists and lies `horizon` candles of the series' own step after t (no
 * candle missing in between). Series without open times cannot show a gap, and keep every such window.
 */
export function windowEnds(s: CandleSeries, opts: WindowOptions): WindowEnds {
  const { lookback, horizon } = opts;
  const from = Math.max(opts.from ?? 0, lookback - 1);
  const to = Math.min(opts.to ?? s.length, s.length - horizon);
  // The step the gaps are counted on, as collect's gap report counts them; null without open times.
  const grid = horizon > 0 ? inferGrid(s.openTime) : null;
  const ends: number[] = [];
  let skipped = 0, gapped = 0;
  // Length of the run of candles with indicators ending at t: the window is complete when it reaches lookback.
  let run = 0;
  for (let t = 0; t < to; t++) {
    run = hasIndicators(s, t) ? run + 1 : 0;
    if (t < from) continue;
    if (run < lookback) skipped++;
    else if (grid !== null && labelSpansGap(grid, s.openTime, t, horizon)) gapped++;
    else ends.push(t);
  }
  return { ends: Int32Array.from(ends), skipped, gapped };
}

export interface WindowBatch {
  readonly size: number;
  /** Features, [size, lookback, FEATURE_COUNT] row-major, unscaled. */
  readonly x: Float32Array;
  /** Index of each window's last candle in the series. */
  readonly ends: Int32Array;
  /** Forward return r over the horizon (NaN without a horizon). */
  readonly forwardReturn: Float64Array;
  readonly label: Int8Array;
}

const VOLATILITY_20 = featureIndex("volatility_20");

/** Engineers the windows ending at `ends` into one batch, with labels when horizon > 0. */
export function windowBatch(
  s: CandleSeries,
  ends: ArrayLike<number>,
  lookback: number,
  horizon: number,
  rule: LabelRule = DEFAULT_LABEL_RULE,
): WindowBatch {
  const size = ends.length;
  const stride = lookback * FEATURE_COUNT;
  const x = new Float32Array(size * stride);
  const returns = new Float64Array(size).fill(NaN);
  const label = new Int8Array(size);
  for (let b = 0; b < size; b++) {
    const t = ends[b];
    engineerWindow(s, t - lookback + 1, lookback, x, b * stride);
    if (horizon > 0) {
      const r = forwardReturn(s.close, t, horizon);
      const volatility20 = x[b * stride + (lookback - 1) * FEATURE_COUNT + VOLATILITY_20];
      returns[b] = r;
      label[b] = classify(r, labelThreshold(rule, volatility20, horizon));
    }
  }
  return { size, x, ends: Int32Array.from(ends), forwardReturn: returns, label };
}

/** Yields every usable window of the series in order, `batchSize` at a time. */
export function* windowBatches(
  s: CandleSeries,
  opts: WindowOptions & { readonly batchSize: number; readonly labelRule?: LabelRule },
): Generator<WindowBatch> {
  const { ends } = windowEnds(s, opts);
  for (let i = 0; i < ends.length; i += opts.batchSize) {
    yield windowBatch(s, ends.subarray(i, i + opts.batchSize), opts.lookback, opts.horizon, opts.labelRule);
  }
}
