/**
 * Candles as the rest of candlecast sees them: a columnar series of float64 arrays per symbol.
 * Columns (not row objects) because features, windows and indicators scan millions of values and
 * typed arrays keep that allocation-free; `Candle` rows exist only at the edges (JSON, HTTP, CSV rows).
 */
import { readFile } from "node:fs/promises";

/** The indicator columns, in the training CSV's order (SPEC §2). NaN marks a warm-up value. */
export const INDICATOR_COLUMNS = [
  "rsi",
  "macd",
  "macdSignal",
  "macdHist",
  "ema",
  "stochK",
  "stochD",
] as const;
export const PRICE_COLUMNS = ["open", "high", "low", "close", "volume"] as const;
export const SERIES_COLUMNS = [...PRICE_COLUMNS, ...INDICATOR_COLUMNS] as const;

export type IndicatorColumn = typeof INDICATOR_COLUMNS[number];
export type PriceColumn = typeof PRICE_COLUMNS[number];
export type SeriesColumn = typeof SERIES_COLUMNS[number];

export interface Ohlcv {
  /** Candle open, ms since the epoch (UTC); null when the source has no time. */
  openTime: number | null;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** One candle with its indicators; an indicator is NaN during its warm-up. */
export type Candle = Ohlcv & Record<IndicatorColumn, number>;

/** One symbol's candles, ascending in time. `openTime` holds NaN where the source had no time. */
export type CandleSeries =
  & { readonly symbol: string; readonly length: number; readonly openTime: Float64Array }
  & { readonly [K in SeriesColumn]: Float64Array };

/** A series whose every column (open times included) is `column(name)`: the one place the columns are listed. */
function seriesOf(
  symbol: string,
  length: number,
  column: (name: SeriesColumn | "openTime") => Float64Array,
): CandleSeries {
  // Assigned in one fixed order, so every series shares one object shape (the feature loops stay monomorphic).
  const columns = { openTime: column("openTime") } as {
    -readonly [K in SeriesColumn | "openTime"]: Float64Array;
  };
  for (const name of SERIES_COLUMNS) columns[name] = column(name);
  return { symbol, length, ...columns };
}

/** Allocates a series of `length` candles, every value NaN. */
export function emptySeries(symbol: string, length: number): CandleSeries {
  return seriesOf(symbol, length, () => new Float64Array(length).fill(NaN));
}

/** Builds a series from rows; missing indicator fields become NaN. */
export function seriesFromCandles(
  symbol: string,
  candles: readonly (Ohlcv & Partial<Record<IndicatorColumn, number>>)[],
): CandleSeries {
  const s = emptySeries(symbol, candles.length);
  candles.forEach((c, i) => {
    s.openTime[i] = c.openTime ?? NaN;
    for (const col of PRICE_COLUMNS) s[col][i] = c[col];
    for (const col of INDICATOR_COLUMNS) s[col][i] = c[col] ?? NaN;
  });
  return s;
}

export function candleAt(s: CandleSeries, i: number): Candle {
  const t = s.openTime[i];
  const candle = { openTime: Number.isNaN(t) ? null : t } as Candle;
  for (const name of SERIES_COLUMNS) candle[name] = s[name][i];
  return candle;
}

/** A view of candles [start, end) sharing memory with `s` (no copy). */
export function sliceSeries(s: CandleSeries, start: number, end: number): CandleSeries {
  return seriesOf(s.symbol, end - start, (name) => s[name].subarray(start, end));
}

/** True when every indicator of candle i is known (i.e. past every warm-up). */
export function hasIndicators(s: CandleSeries, i: number): boolean {
  for (const col of INDICATOR_COLUMNS) if (Number.isNaN(s[col][i])) return false;
  return true;
}

/**
 * Why an OHLCV candle is unusable, or null when it is fine. `where` names the candle in the message
 * ("BTCUSDT row 12") so a user can find it in their file.
 */
export function ohlcvProblem(c: Ohlcv, where: string): string | null {
  for (const col of PRICE_COLUMNS) {
    if (!Number.isFinite(c[col])) return `${where}: ${col} must be a finite number, got ${c[col]}`;
    if (c[col] < 0) return `${where}: ${col} must not be negative, got ${c[col]}`;
  }
  if (c.high < c.low) return `${where}: high (${c.high}) is below low (${c.low})`;
  if (c.high < Math.max(c.open, c.close)) {
    return `${where}: high (${c.high}) is below max(open, close) (${Math.max(c.open, c.close)})`;
  }
  if (c.low > Math.min(c.open, c.close)) {
    return `${where}: low (${c.low}) is above min(open, close) (${Math.min(c.open, c.close)})`;
  }
  return null;
}

export class CandleError extends Error {
  override name = "CandleError";
}

/** A candle file's text, or a CandleError naming the file ("no such file" rather than an OS error code). */
export async function readCandleFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new CandleError(
      code === "ENOENT" ? `${path}: no such file` : `${path}: ${(error as Error).message}`,
    );
  }
}

/** Throws a CandleError naming the first bad candle of the series. */
export function assertValidSeries(
  s: CandleSeries,
  describe = (i: number) => `${s.symbol} candle ${i}`,
): void {
  for (let i = 0; i < s.length; i++) {
    // Only the OHLCV fields, written out: a full Candle per row costs seconds on a million-candle collect.
    const row = {
      openTime: null,
      open: s.open[i],
      high: s.high[i],
      low: s.low[i],
      close: s.close[i],
      volume: s.volume[i],
    };
    const problem = ohlcvProblem(row, describe(i));
    if (problem) throw new CandleError(problem);
  }
  for (let i = 1; i < s.length; i++) {
    const [prev, cur] = [s.openTime[i - 1], s.openTime[i]];
    if (!Number.isNaN(prev) && !Number.isNaN(cur) && cur <= prev) {
      throw new CandleError(
        `${
          describe(i)
        }: open_time ${cur} is not after the previous candle's ${prev} (candles must ascend, no duplicates)`,
      );
    }
  }
}
