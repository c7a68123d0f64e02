/**
 * Candles as the rest of candlecast sees them: a columnar series of float64 arrays per symbol.
 * Columns (not row objects) because features, windows and indicators scan millions of values and
 * typed arrays keep that allocation-free; `Candle` rows exist only at the edges (JSON, HTTP, CSV rows).
 */
import { readFile } from "node:fs/promises";
import { folderNotFileError, ReportedError } from "../base/index.ts";

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
/** The OHLCV columns of a series, in the training CSV's order. */
export const PRICE_COLUMNS = ["open", "high", "low", "close", "volume"] as const;
/** Every number column of a series but the open time: prices, then indicators (the training CSV's order). */
export const SERIES_COLUMNS = [...PRICE_COLUMNS, ...INDICATOR_COLUMNS] as const;

/**
 * The training CSV's header (SPEC §2): a file whose first line is not exactly this is refused. Here, not in
 * `training_csv.ts`, as the raw-candle reader (`ohlcv_csv.ts`, which that module imports) tells it apart too.
 */
export const TRAINING_CSV_HEADER = [
  "symbol",
  "open_time",
  "open",
  "high",
  "low",
  "close",
  "volume",
  "rsi",
  "macd",
  "macd_signal",
  "macd_hist",
  "ema",
  "stoch_k",
  "stoch_d",
] as const;

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

/** Candle `i` of `s` as a row, for the edges that want one (HTTP, JSON); a NaN open time becomes null. */
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
 * No market quotes a price above this (BTC in IDR is ~1e9) or trades a volume above MAX_VOLUME in one candle.
 * A value past them is a broken row (`high=1e308`), and it would overflow the float32 features downstream
 * (high/close − 1 becomes Infinity) so that training fails with NaN loss far from the cause.
 */
export const MAX_PRICE = 1e12;
/** The largest volume a candle may trade; see MAX_PRICE. */
export const MAX_VOLUME = 1e18;

/**
 * What is wrong with a candle's OHLCV, by field. `value` problems concern one number (not finite, not
 * positive, too large); `shape` problems the bar: high ≥ max(open, close) ≥ min(open, close) ≥ low. The
 * features divide by prices and by the bar's range, so zero prices and inverted bars are refused.
 */
export interface CandleProblem {
  readonly field: PriceColumn;
  readonly kind: "value" | "shape";
  readonly value: number;
  /** "must be positive", "is below low (9)": reads after the field (and, for a shape, its value). */
  readonly rule: string;
}

/**
 * The one OHLCV rule candlecast applies wherever candles come in: collect (CSV, the C# export, Binance), the
 * training CSV reader, and serve's request schema. Null when the candle is fine.
 */
export function candleProblem(c: Omit<Ohlcv, "openTime">): CandleProblem | null {
  for (const field of PRICE_COLUMNS) {
    const value = c[field];
    const problem = (rule: string): CandleProblem => ({ field, kind: "value", value, rule });
    if (!Number.isFinite(value)) return problem("must be a finite number");
    if (field === "volume") {
      if (value < 0) return problem("must not be negative");
      if (value > MAX_VOLUME) return problem(`must be at most ${MAX_VOLUME} (no market trades that much)`);
    } else {
      if (value <= 0) return problem("must be positive");
      if (value > MAX_PRICE) return problem(`must be at most ${MAX_PRICE} (no market quotes that price)`);
    }
  }
  const top = Math.max(c.open, c.close), bottom = Math.min(c.open, c.close);
  const shape = (field: PriceColumn, rule: string): CandleProblem => ({
    field,
    kind: "shape",
    value: c[field],
    rule,
  });
  if (c.high < c.low) return shape("high", `is below low (${c.low})`);
  if (c.high < top) return shape("high", `is below max(open, close) (${top})`);
  if (c.low > bottom) return shape("low", `is above min(open, close) (${bottom})`);
  return null;
}

/** The problem as a message after the field's name: "must be positive, got 0" or "8 is below low (9)". */
export function describeCandleProblem(p: CandleProblem): string {
  return p.kind === "value" ? `${p.rule}, got ${p.value}` : `${p.value} ${p.rule}`;
}

/**
 * Why an OHLCV candle is unusable, or null when it is fine. `where` names the candle in the message
 * ("BTCUSDT row 12") so a user can find it in their file.
 */
export function ohlcvProblem(c: Ohlcv, where: string): string | null {
  const p = candleProblem(c);
  if (!p) return null;
  return p.kind === "value"
    ? `${where}: ${p.field} ${p.rule}, got ${p.value}`
    : `${where}: ${p.field} (${p.value}) ${p.rule}`;
}

/** Indicators bounded to 0–100 by construction (RSI, the stochastics), by their request field names too. */
export const BOUNDED_INDICATORS = ["rsi", "stochK", "stochD"] as const;
/** Slack for rounding in the client's own indicator code (float32 TA libraries land a hair outside). */
export const BOUNDED_TOLERANCE = 1e-3;

/** Why a 0–100 indicator value is out of range, or null (NaN, a warm-up value, is not this check's concern). */
export function boundedIndicatorProblem(value: number): string | null {
  if (value < -BOUNDED_TOLERANCE || value > 100 + BOUNDED_TOLERANCE) {
    return `must be within 0–100, got ${value}`;
  }
  return null;
}

/** Candles before EMA(50)'s first value (TA-Lib's lookback, the longest of the four indicators'). */
export const EMA_WARM_UP = 49;

/**
 * Why an EMA value is impossible, or null (NaN, a warm-up value, passes). An average of positive prices is
 * positive; 0 is what a C# bot's TA library leaves in the slots before EMA(50)'s first value (`new double[n]`
 * filled from `outBegIdx`): a symbol with 60 candles of history sent 39 such zeros in its window and got a 200,
 * the features reading them as a flat market (close/ema − 1 is 0 where ema is 0). Each reader adds its remedy.
 */
export function emaProblem(value: number): string | null {
  if (value <= 0) {
    return `must be positive (an average of positive prices is), got ${value}; 0 is what an indicator ` +
      "library leaves before EMA(50)'s first value";
  }
  return null;
}

/**
 * How many of a symbol's EMA values, from its first candle, are exactly 0 (all of them when every one is): the
 * slots a C# TA library leaves before EMA(50)'s first value. The file readers (the C# export, and a training CSV
 * an older collect wrote from one) read that run as missing, as null or an empty cell is, where `emaProblem`
 * would refuse it; a 0 after a value is no warm-up and stays refused.
 *
 * @example
 * ```ts
 * emaWarmUpZeros([0, 0, 101.5, 0]); // 2
 * ```
 */
export function emaWarmUpZeros(ema: ArrayLike<number | undefined>): number {
  let i = 0;
  while (i < ema.length && ema[i] === 0) i++;
  return i;
}

/**
 * Why candle `i`'s RSI or stochastics are outside 0–100 (`boundedIndicatorProblem`), or its EMA is not positive
 * (`emaProblem`), or null. Serve refuses such a candle (422), so a training CSV holding one (a C# export's own
 * indicators, a file edited by hand) trained on inputs the bot can never send: `rsi 150` was read, collected
 * and trained on without a word.
 */
export function boundedSeriesProblem(s: CandleSeries, i: number, where: string): string | null {
  for (const field of BOUNDED_INDICATORS) {
    const message = boundedIndicatorProblem(s[field][i]);
    if (message) return `${where}: ${TRAINING_CSV_NAMES[field]} ${message}`;
  }
  const ema = emaProblem(s.ema[i]);
  return ema ? `${where}: ema ${ema}` : null;
}

/** The training CSV's column names of the 0–100 indicators (the series' fields are camelCase). */
const TRAINING_CSV_NAMES: Record<(typeof BOUNDED_INDICATORS)[number], string> = {
  rsi: "rsi",
  stochK: "stoch_k",
  stochD: "stoch_d",
};

export const BOUNDED_HINT =
  "RSI and the stochastics lie within 0–100 by construction, and an EMA above 0, and serve refuses a candle " +
  "outside (422): fix the indicator code or the row named, or collect the candles again without their " +
  "indicators so collect computes them";

/** Candles that cannot be used as they are: the data's to fix (exit 1). */
export class CandleError extends ReportedError {
  override name = "CandleError";
  constructor(message: string, hint = "fix the data named, or collect it again", exitCode = 1) {
    super(message, hint, exitCode);
  }
}

/**
 * The line endings the CSV readers (training CSV, OHLCV file and text) accept, in any mix within one file.
 * Left to itself csv-parse takes the first line's ending for the whole file, so a CRLF file with one LF line
 * (a row edited in another editor, files joined with `cat`) read two rows as one record and failed on a cell
 * holding "\n". "\r\n" comes before "\r" so a Windows ending is one delimiter, not a record and an empty line;
 * a lone "\r" (classic Mac) stays accepted as csv-parse's own detection accepted it.
 */
export const CSV_RECORD_DELIMITERS: readonly string[] = ["\r\n", "\n", "\r"];

/**
 * `text` without a leading UTF-8 byte order mark, which Windows tools write (.NET's `Encoding.UTF8`, Excel's
 * "CSV UTF-8"): kept, it is a character of the first header name or a token JSON.parse refuses. Every file
 * reader strips it (the parsers of the OHLCV CSV and the C# export, `readTrainingCsv` through csv-parse's
 * `bom` option, `predict --input`), as `serve`'s `Request.json()` does.
 */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A candle file's text, or a CandleError naming the file ("no such file" rather than an OS error code). */
export async function readCandleFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw candleFileError(path, error);
  }
}

/** What failing to open or read a candle file means for the user, as a CandleError (or a folder-not-file one). */
export function candleFileError(path: string, error: unknown): Error {
  const code = (error as { code?: string }).code;
  if (code === "EISDIR") return folderNotFileError(path);
  // The machine's refusal (a file this user may not read) is not the data's fault: "fix the data named" sent
  // a user to edit a file they cannot open. It goes to the caller's mapping of such errors, as the training
  // CSV reader's does.
  if (code === "EACCES" || code === "EPERM" || error instanceof Deno.errors.PermissionDenied) {
    return error instanceof Error ? error : new Error(String(error));
  }
  return new CandleError(
    code === "ENOENT" ? `${path}: no such file` : `${path}: ${(error as Error).message}`,
  );
}

/**
 * A number written with a decimal comma ("42000,5", "1.234,5"): what .NET's `ToString()` (or Excel) gives on a
 * host whose culture has one (de-DE, tr-TR, fr-FR, most of Europe and South America).
 */
export const DECIMAL_COMMA = /^[-+]?(\d+|\d{1,3}(\.\d{3})+),\d+$/;

/** The fix for a decimal comma, said where one is found: the user's data was written in the host's culture. */
export const DECIMAL_COMMA_HINT =
  "write numbers with '.' as the decimal mark and no thousands separator: a " +
  "host whose culture has a " +
  "decimal comma (de-DE, tr-TR, fr-FR) formats them so; in C#, x.ToString(CultureInfo.InvariantCulture)";

/** A number in JavaScript's hexadecimal, binary or octal notation, which `Number` reads ("0x10" is 16). */
const NON_DECIMAL = /^\s*0[xbo]/i;

/**
 * Parses one CSV cell as a number (both CSV readers use it); "" is allowed only where `optional`. Decimal
 * notation only, exponents and a leading sign or point included: `Number` also read "0x10" as 16 and "0b11" as
 * 3, which no exporter of candles writes for a price.
 */
export function parseNumberCell(cell: string, optional: boolean, where: string): number {
  if (cell === "") {
    if (optional) return NaN;
    throw new CandleError(`${where}: value is empty`);
  }
  const value = Number(cell);
  // The regex only for a cell that can be such a number (a "0x"-like start, or a space first): this runs on
  // every cell of a million-row file.
  const [first, second] = [cell.charCodeAt(0), cell.charCodeAt(1) | 0x20];
  if (
    Number.isFinite(value) && (first <= 32 || (first === 48 && (second === 0x78 || second === 0x62 ||
      second === 0x6f))) &&
    NON_DECIMAL.test(cell)
  ) {
    throw new CandleError(
      `${where}: "${cell}" is not a decimal number (0x, 0b and 0o write hexadecimal, binary and octal)`,
      "write numbers in decimal, with '.' as the decimal mark (16, not 0x10), as the file's other numbers are",
    );
  }
  if (!Number.isFinite(value)) {
    // A quoted "38807,709" survives the comma split; said as what it is, with the fix, not "fix the data".
    if (DECIMAL_COMMA.test(cell.trim())) {
      throw new CandleError(
        `${where}: "${cell}" is not a finite number: a decimal comma`,
        DECIMAL_COMMA_HINT,
      );
    }
    throw new CandleError(`${where}: "${cell}" is not a finite number`);
  }
  return value;
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
    const bounded = boundedSeriesProblem(s, i, describe(i));
    if (bounded) throw new CandleError(bounded, BOUNDED_HINT);
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

/** A file's candles in time order (`inTimeOrder`), with what it took to get there. */
export interface TimeOrdered {
  readonly series: CandleSeries;
  /** Row i of `series` is row `source[i]` of the input, for messages that name the file's rows. */
  readonly source: Int32Array;
  /** Rows that stood before an earlier candle in the input (sorted into place). */
  readonly moved: number;
  /** Rows dropped as exact repeats of another (same open time, same values). */
  readonly repeats: number;
}

/**
 * Candles read from a file, sorted by open time with rows repeated verbatim dropped: what joining monthly and
 * daily dumps end to end gives (`cat` in the wrong order, a day in two files). Two rows of one open time
 * whose values differ are two different candles, so they are refused, naming both (`describe(i)`: input row
 * i). A series with any row untimed is returned as it is (its order is its only time).
 *
 * @example
 * ```ts
 * const s = seriesFromCandles("BTCUSDT", [
 *   { openTime: 2, open: 1, high: 1, low: 1, close: 1, volume: 1 },
 *   { openTime: 1, open: 1, high: 1, low: 1, close: 1, volume: 1 },
 *   { openTime: 2, open: 1, high: 1, low: 1, close: 1, volume: 1 },
 * ]);
 * const { series, moved, repeats } = inTimeOrder(s, (i) => `row ${i + 1}`);
 * [Array.from(series.openTime), moved, repeats]; // [[1, 2], 1, 1]
 * ```
 */
export function inTimeOrder(s: CandleSeries, describe: (i: number) => string): TimeOrdered {
  const n = s.length;
  const identity = Int32Array.from({ length: n }, (_, i) => i);
  const t = s.openTime;
  let ascending = true;
  for (let i = 1; i < n && ascending; i++) ascending = t[i] > t[i - 1];
  if (ascending || t.some(Number.isNaN)) return { series: s, source: identity, moved: 0, repeats: 0 };
  const order = identity.slice().sort((a, b) => t[a] - t[b] || a - b);
  const keep: number[] = [];
  let repeats = 0;
  for (const i of order) {
    const last = keep.at(-1);
    if (last !== undefined && t[i] === t[last]) {
      const same = SERIES_COLUMNS.every((c) => Object.is(s[c][i], s[c][last]) || s[c][i] === s[c][last]);
      if (!same) {
        throw new CandleError(
          `${describe(last)} and ${describe(i)} both open at ${
            new Date(t[i]).toISOString()
          } with different values: two candles for one time`,
          "keep the right one (two files of different symbols or intervals joined into one?) and run it " +
            "again; local times repeat an hour where daylight saving ends: if that is the cause, convert them " +
            "to UTC rather than delete a candle",
        );
      }
      repeats++;
      continue;
    }
    keep.push(i);
  }
  let moved = 0, latest = -1;
  for (const i of keep) i < latest ? moved++ : (latest = i);
  const source = Int32Array.from(keep);
  const series = seriesOf(s.symbol, keep.length, (name) => Float64Array.from(keep, (i) => s[name][i]));
  return { series, source, moved, repeats };
}
