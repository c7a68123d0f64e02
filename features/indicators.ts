/**
 * RSI(14), MACD(12,26,9), EMA(50) and slow Stochastic(14,3,3), reproducing TA-Lib's C code: the same
 * first valid index, seeding and arithmetic order, so a model trained on our CSVs sees the numbers the
 * C# bot (which uses TA-Lib conventions) sends. Warm-up values are NaN.
 */
import { type CandleSeries, INDICATOR_COLUMNS, type IndicatorColumn } from "./candles.ts";

/** RSI with Wilder smoothing; first value at index `period`. */
export function rsi(close: ArrayLike<number>, period = 14): Float64Array {
  const n = close.length;
  const out = new Float64Array(n).fill(NaN);
  if (n <= period) return out;
  let gain = 0, loss = 0;
  for (let i = 1; i <= period; i++) {
    const d = close[i] - close[i - 1];
    if (d > 0) gain += d;
    else loss -= d;
  }
  gain /= period;
  loss /= period;
  const value = () => (gain + loss === 0 ? 0 : 100 * (gain / (gain + loss)));
  out[period] = value();
  for (let i = period + 1; i < n; i++) {
    const d = close[i] - close[i - 1];
    gain = (gain * (period - 1) + (d > 0 ? d : 0)) / period;
    loss = (loss * (period - 1) + (d < 0 ? -d : 0)) / period;
    out[i] = value();
  }
  return out;
}

/**
 * EMA continuing from `seed` (the value at `seedIndex`) over values[seedIndex+1 …]; writes from seedIndex.
 * TA-Lib's update order, ((x − prev)·k) + prev, is kept for bit-level agreement.
 */
function emaFrom(
  values: ArrayLike<number>,
  period: number,
  seedIndex: number,
  seed: number,
  out: Float64Array,
) {
  const k = 2 / (period + 1);
  let prev = seed;
  out[seedIndex] = prev;
  for (let i = seedIndex + 1; i < values.length; i++) {
    prev = (values[i] - prev) * k + prev;
    out[i] = prev;
  }
}

function mean(values: ArrayLike<number>, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i];
  return sum / (to - from);
}

/** EMA seeded at index period−1 with the simple mean of the first `period` values. */
export function ema(close: ArrayLike<number>, period = 50): Float64Array {
  const out = new Float64Array(close.length).fill(NaN);
  if (close.length < period) return out;
  emaFrom(close, period, period - 1, mean(close, 0, period), out);
  return out;
}

export interface Macd {
  macd: Float64Array;
  signal: Float64Array;
  hist: Float64Array;
}

/**
 * MACD with TA-Lib's seeding quirk: both EMAs start at index slow−1; the slow one is seeded with the mean of
 * the first `slow` closes, the fast one with the mean of the `fast` closes ending there. The signal EMA is
 * seeded with the mean of the first `signal` MACD values; all three columns start at slow+signal−2.
 */
export function macd(close: ArrayLike<number>, fast = 12, slow = 26, signal = 9): Macd {
  const n = close.length;
  const out = {
    macd: new Float64Array(n).fill(NaN),
    signal: new Float64Array(n).fill(NaN),
    hist: new Float64Array(n).fill(NaN),
  };
  const start = slow - 1;
  const first = start + signal - 1;
  if (n <= first) return out;
  const fastEma = new Float64Array(n).fill(NaN);
  const slowEma = new Float64Array(n).fill(NaN);
  emaFrom(close, slow, start, mean(close, 0, slow), slowEma);
  emaFrom(close, fast, start, mean(close, start - fast + 1, start + 1), fastEma);
  const line = new Float64Array(n);
  for (let i = start; i < n; i++) line[i] = fastEma[i] - slowEma[i];
  const signalLine = new Float64Array(n).fill(NaN);
  emaFrom(line, signal, first, mean(line, start, first + 1), signalLine);
  for (let i = first; i < n; i++) {
    out.macd[i] = line[i];
    out.signal[i] = signalLine[i];
    out.hist[i] = line[i] - signalLine[i];
  }
  return out;
}

export interface Stochastic {
  k: Float64Array;
  d: Float64Array;
}

/** Simple moving average over `period` values of `values`, defined where all of them are. */
function sma(values: Float64Array, period: number, firstValid: number): Float64Array {
  const out = new Float64Array(values.length).fill(NaN);
  let sum = 0;
  for (let i = firstValid; i < values.length; i++) {
    sum += values[i];
    if (i - firstValid >= period) sum -= values[i - period];
    if (i - firstValid >= period - 1) out[i] = sum / period;
  }
  return out;
}

/**
 * Slow Stochastic: fastK over `kPeriod` bars including the current one (0 when the range is 0),
 * slowK = SMA(fastK, slowK), slowD = SMA(slowK, slowD); both emitted from the index where slowD starts.
 */
export function stochastic(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  kPeriod = 14,
  slowKPeriod = 3,
  slowDPeriod = 3,
): Stochastic {
  const n = close.length;
  const fastK = new Float64Array(n).fill(NaN);
  for (let i = kPeriod - 1; i < n; i++) {
    let hh = -Infinity, ll = Infinity;
    for (let j = i - kPeriod + 1; j <= i; j++) {
      if (high[j] > hh) hh = high[j];
      if (low[j] < ll) ll = low[j];
    }
    const range = (hh - ll) / 100;
    fastK[i] = range !== 0 ? (close[i] - ll) / range : 0;
  }
  const slowK = sma(fastK, slowKPeriod, kPeriod - 1);
  const slowD = sma(slowK, slowDPeriod, kPeriod + slowKPeriod - 2);
  const first = kPeriod + slowKPeriod + slowDPeriod - 3;
  for (let i = 0; i < Math.min(first, n); i++) slowK[i] = NaN;
  return { k: slowK, d: slowD };
}

/** Every indicator column computed from the series' prices (SPEC §2 order). */
export function indicatorsOf(s: CandleSeries): Record<IndicatorColumn, Float64Array> {
  const m = macd(s.close);
  const st = stochastic(s.high, s.low, s.close);
  return {
    rsi: rsi(s.close),
    macd: m.macd,
    macdSignal: m.signal,
    macdHist: m.hist,
    ema: ema(s.close),
    stochK: st.k,
    stochD: st.d,
  };
}

/** Fills the series' indicator columns from its prices, overwriting what was there. */
export function computeIndicators(s: CandleSeries): void {
  const computed = indicatorsOf(s);
  for (const col of INDICATOR_COLUMNS) s[col].set(computed[col]);
}

/**
 * Computes only the indicator values that are missing (NaN), keeping those a source supplied
 * (the C# export carries its own).
 */
export function fillMissingIndicators(s: CandleSeries): void {
  const computed = indicatorsOf(s);
  for (const col of INDICATOR_COLUMNS) {
    const target = s[col];
    for (let i = 0; i < s.length; i++) if (Number.isNaN(target[i])) target[i] = computed[col][i];
  }
}
