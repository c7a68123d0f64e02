/**
 * RSI(14), MACD(12,26,9), EMA(50) and slow Stochastic(14,3,3), reproducing TA-Lib's C code: the same
 * first valid index, seeding and arithmetic order, so a model trained on our CSVs sees the numbers the
 * C# bot (which uses TA-Lib conventions) sends. Warm-up values are NaN.
 *
 * Each function writes into `out` when given one (a series' own columns: `computeIndicators`), every value of
 * it, so collecting a 3M-candle file does not allocate a second set of columns (and MACD's four temporaries)
 * beside the series' for the GC to free late: they were ~170 MB of its peak memory (helper trial s35).
 */
import {
  BOUNDED_INDICATORS,
  type CandleSeries,
  emaWarmUpZeros,
  INDICATOR_COLUMNS,
  type IndicatorColumn,
} from "./candles.ts";

/**
 * RSI with Wilder smoothing; first value at index `period`. 0 when the average gain + loss is exactly 0 (a flat
 * series). TA-Lib's C code tests it against a fixed band instead (TA_IS_ZERO: ±1e-14 since 0.6.1, ±1e-8
 * before), kept out on purpose: the band is in price units (TA-Lib issue #253), so under ±1e-8 a series quoted
 * near 1e-8 (a token priced in BTC) is RSI 0 on every candle, and under ±1e-14 a stablecoin at 1.0000 whose last
 * tick was ~275 flat candles ago drops from its ratio (59.7 in the s47 trial's series) to 0. Elsewhere, on all
 * of the fixtures, the values are TA-Lib's to the bit.
 */
export function rsi(
  close: ArrayLike<number>,
  period = 14,
  out: Float64Array = new Float64Array(close.length),
): Float64Array {
  const n = close.length;
  out.fill(NaN);
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
export function ema(
  close: ArrayLike<number>,
  period = 50,
  out: Float64Array = new Float64Array(close.length),
): Float64Array {
  out.fill(NaN);
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
 * seeded with the mean of the first `signal` MACD values; all three columns start at slow+signal−2. The two
 * EMAs and the line are worked out in `out`'s own columns (no temporaries), each value as before.
 */
export function macd(close: ArrayLike<number>, fast = 12, slow = 26, signal = 9, out?: Macd): Macd {
  const n = close.length;
  const result = out ?? { macd: new Float64Array(n), signal: new Float64Array(n), hist: new Float64Array(n) };
  const { macd: line, signal: signalLine, hist } = result;
  for (const column of [line, signalLine, hist]) column.fill(NaN);
  const start = slow - 1;
  const first = start + signal - 1;
  if (n <= first) return result;
  // The slow EMA in `hist`, the fast one in `signalLine`, their difference (the MACD line) in `line`.
  emaFrom(close, slow, start, mean(close, 0, slow), hist);
  emaFrom(close, fast, start, mean(close, start - fast + 1, start + 1), signalLine);
  for (let i = start; i < n; i++) line[i] = signalLine[i] - hist[i];
  // The fast EMA is no longer needed: the signal EMA of the line replaces it from `first` on.
  emaFrom(line, signal, first, mean(line, start, first + 1), signalLine);
  for (let i = first; i < n; i++) hist[i] = line[i] - signalLine[i];
  // The line before `first` only seeded the signal; all three columns start at `first`.
  for (const column of [line, signalLine, hist]) column.fill(NaN, start, first);
  return result;
}

export interface Stochastic {
  k: Float64Array;
  d: Float64Array;
}

/**
 * Simple moving average over `period` values of `values`, defined where all of them are; into `out`. The running
 * sum is TA-Lib's (TA_INT_SMA): the new value added, the mean taken, then the oldest value subtracted. Adding and
 * subtracting in the other order rounds differently: slowK/slowD were up to 2.6e-13 off TA-Lib's on 561 of the
 * fixtures' 583 candles (inside their 1e-9 tolerance, but every other indicator here is TA-Lib's to the bit).
 */
function sma(values: Float64Array, period: number, firstValid: number, out: Float64Array): Float64Array {
  out.fill(NaN);
  let sum = 0;
  for (let i = firstValid; i < values.length; i++) {
    sum += values[i];
    if (i - firstValid >= period - 1) {
      out[i] = sum / period;
      sum -= values[i - period + 1];
    }
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
  out?: Stochastic,
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
  const slowK = sma(fastK, slowKPeriod, kPeriod - 1, out?.k ?? new Float64Array(n));
  const slowD = sma(slowK, slowDPeriod, kPeriod + slowKPeriod - 2, out?.d ?? new Float64Array(n));
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

/** Fills the series' indicator columns from its prices, overwriting what was there (computed in place). */
export function computeIndicators(s: CandleSeries): void {
  rsi(s.close, 14, s.rsi);
  macd(s.close, 12, 26, 9, { macd: s.macd, signal: s.macdSignal, hist: s.macdHist });
  ema(s.close, 50, s.ema);
  stochastic(s.high, s.low, s.close, 14, 3, 3, { k: s.stochK, d: s.stochD });
}

/**
 * Computes only the indicator values that are missing (NaN), keeping those a source supplied
 * (the C# export carries its own). A supplied 0 where TA-Lib has no value yet (its warm-up, the series' first
 * candles) and part of the column's leading run of zeros is the bot's TA library's placeholder, not a
 * reading, and is left empty as SPEC §2 asks: an RSI, MACD or stochastic of exactly 0 was otherwise written to
 * the training CSV as if measured. A supplied non-zero value there (an export that starts after the bot's own
 * warm-up), and a 0 after it, are readings and kept.
 *
 * @example
 * ```ts
 * const s = emptySeries("BTCUSDT", 100); // prices filled in; every indicator NaN (missing)
 * s.rsi.fill(0, 0, 14); // a C# export's RSI(14) warm-up slots, 0 from its TA library
 * fillMissingIndicators(s); // s.rsi[0…13] NaN (TA-Lib's warm-up), s.rsi[14…] computed
 * ```
 */
export function fillMissingIndicators(s: CandleSeries): void {
  const computed = indicatorsOf(s);
  for (const col of INDICATOR_COLUMNS) {
    const target = s[col];
    // Only the leading run of zeros, as for EMA (`emaWarmUpZeros`): a 0 after a reading is one (a %K of 0).
    const zeros = emaWarmUpZeros(target);
    for (let i = 0; i < s.length; i++) {
      if (Number.isNaN(target[i]) || (i < zeros && Number.isNaN(computed[col][i]))) {
        target[i] = computed[col][i];
      }
    }
  }
}

/**
 * The indicator columns of `s` (a source's own values, in time order) that hold no reading at all: exactly 0 on
 * every candle past TA-Lib's warm-up (missing values aside), where the values computed from its candles are
 * not. That is a C# property never set (`default(double)`), serialized by a bot whose indicator step did not
 * run, not a market: a real RSI, %K or %D of 0 throughout is one the candles give too (no close above the last
 * since the start; each close at its 14 candles' low), and so is a MACD of 0 (flat prices). Kept, such columns
 * were written to the training CSV as readings of 0 on every candle (a user seat's export: 267 of 300 rows).
 * "Not 0" allows the rounding a flat series' computed values carry: 1e-9 of the scale (100 for RSI and the
 * stochastics, the largest |close| for MACD's price-unit columns).
 *
 * @example
 * ```ts
 * const s = emptySeries("BTCUSDT", 100); // prices filled in, moving
 * s.rsi.fill(0); // the bot's export, its indicator step never run
 * zeroFilledIndicators(s); // ["rsi"]: read it as missing, and fillMissingIndicators computes it
 * ```
 */
export function zeroFilledIndicators(s: CandleSeries): IndicatorColumn[] {
  // Only a column whose last value given is 0 can be one: an export with the bot's readings (most) is not
  // computed a second time (a million candles' seven columns are 56 MB).
  const lastGiven = (col: IndicatorColumn) => s[col].findLast((v) => !Number.isNaN(v));
  if (!INDICATOR_COLUMNS.some((col) => lastGiven(col) === 0)) return [];
  const computed = indicatorsOf(s);
  let priceScale = 0;
  for (let i = 0; i < s.length; i++) priceScale = Math.max(priceScale, Math.abs(s.close[i]) || 0);
  const bounded: readonly string[] = BOUNDED_INDICATORS;
  return INDICATOR_COLUMNS.filter((col) => {
    const given = s[col], calc = computed[col];
    const tolerance = 1e-9 * (bounded.includes(col) ? 100 : priceScale);
    let zeros = 0, otherwise = false;
    for (let i = 0; i < s.length; i++) {
      // TA-Lib's warm-up (the bot's 0 placeholders there are fillMissingIndicators' rule) and missing values.
      if (Number.isNaN(calc[i]) || Number.isNaN(given[i])) continue;
      if (given[i] !== 0) return false;
      zeros++;
      if (Math.abs(calc[i]) > tolerance) otherwise = true;
    }
    return zeros > 0 && otherwise;
  });
}
