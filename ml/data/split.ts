/**
 * Honest splits (DESIGN "Honest evaluation"): each symbol is cut by time into train, validation and test,
 * and the `horizon` windows before each cut are dropped, so no training label looks at a candle that a later
 * split evaluates on. Fractions become calendar dates shared by every symbol (`calendarCuts`), so no symbol
 * is tested on months another trains on.
 */
import { type CandleSeries, windowEnds } from "../../features/index.ts";
import { ReportedError } from "../../base/index.ts";

export type SplitRule =
  /**
   * The first `train` fraction of the windows, then `validation`, then the rest is test: of all symbols'
   * windows pooled and cut at common dates where every candle has an open time (`calendarCuts`), else of
   * each symbol's own.
   */
  | { readonly kind: "fractions"; readonly train: number; readonly validation: number }
  /** Validation from `validationStart`, test from `testStart` (ms since the epoch, UTC). */
  | { readonly kind: "dates"; readonly validationStart: number; readonly testStart: number };

/** The windows in time order: the first 70 % train, the next 15 % validation, the rest test. */
export const DEFAULT_SPLIT: SplitRule = { kind: "fractions", train: 0.7, validation: 0.15 };

export interface SplitOptions {
  readonly lookback: number;
  readonly horizon: number;
  readonly rule: SplitRule;
  /** Keeps only windows whose label candle opens after this time (ms): `--incremental`'s new data. */
  readonly since?: number;
}

/** Last-candle indices of each split's windows in one series. */
export interface SeriesSplit {
  readonly symbol: string;
  readonly train: Int32Array;
  readonly validation: Int32Array;
  readonly test: Int32Array;
  /** Windows left out because a candle in them has no indicators yet (warm-up). */
  readonly skipped: number;
  /** Windows dropped at the cuts so that labels do not cross into the next split. */
  readonly purged: number;
  /** Windows left out because candles are missing before their label candle (see `windowEnds`). */
  readonly gapped: number;
}

/** A split that cannot be made: a bad rule, or candles without open times where dates must be read. */
export class SplitError extends ReportedError {
  override name = "SplitError";
}

/** Index of the first candle opening at or after `time` (the series length when none does). */
export function firstAtOrAfter(openTime: Float64Array, time: number): number {
  let lo = 0, hi = openTime.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (openTime[mid] < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function requireOpenTimes(s: CandleSeries, why: string, hint: string, exitCode = 1): void {
  if (s.openTime.some(Number.isNaN)) {
    throw new SplitError(`${s.symbol}: some candles have no open_time, which ${why} needs`, hint, exitCode);
  }
}

/** Where open times come from, for the hints below (a C# export without "t" writes none). */
const WITH_TIMES = 'collect the candles with their open times (a C# export\'s "t", or --source binance/csv)';

/**
 * One series' usable windows (past every warm-up) cut by `rule` into train, validation and test, less those
 * whose label would cross a cut (`purged`). Throws a SplitError when dates are needed and an open time is
 * missing.
 */
export function splitSeries(s: CandleSeries, opts: SplitOptions): SeriesSplit {
  const { horizon, rule } = opts;
  const { usable, ends } = candidateEnds(s, opts);
  // b1, b2: the first candle that belongs to validation and to test.
  let b1: number, b2: number;
  if (rule.kind === "fractions") {
    const n = ends.length;
    const { validation: i1, test: i2 } = fractionCuts(n, rule);
    b1 = i1 < n ? ends[i1] : Infinity;
    b2 = i2 < n ? ends[i2] : Infinity;
  } else {
    // The flag is what does not fit this data: a usage error (exit 2), as --interval against a file's candles.
    requireOpenTimes(
      s,
      "--split-dates",
      `${WITH_TIMES}, or leave --split-dates out (fractions need no times)`,
      2,
    );
    b1 = firstAtOrAfter(s.openTime, rule.validationStart);
    b2 = firstAtOrAfter(s.openTime, rule.testStart);
  }
  // A window ending at t is labelled by candle t + horizon: it must stay before the next split's first candle.
  const train = ends.filter((t) => t + horizon < b1);
  const validation = ends.filter((t) => t >= b1 && t + horizon < b2);
  const test = ends.filter((t) => t >= b2);
  const purged = ends.length - train.length - validation.length - test.length;
  return {
    symbol: s.symbol,
    train,
    validation,
    test,
    skipped: usable.skipped,
    purged,
    gapped: usable.gapped,
  };
}

/** Where a fractions rule cuts `n` windows: the indices of the first validation and the first test window. */
export function fractionCuts(
  n: number,
  rule: Extract<SplitRule, { kind: "fractions" }>,
): { validation: number; test: number } {
  return { validation: Math.floor(n * rule.train), test: Math.floor(n * (rule.train + rule.validation)) };
}

/** A series' usable window ends, less those labelled before `since` (`--incremental`'s new data). */
function candidateEnds(
  s: CandleSeries,
  { lookback, horizon, since }: Omit<SplitOptions, "rule">,
): { usable: ReturnType<typeof windowEnds>; ends: Int32Array } {
  const usable = windowEnds(s, { lookback, horizon });
  if (since === undefined) return { usable, ends: usable.ends };
  requireOpenTimes(s, "incremental training", `${WITH_TIMES}, or train from scratch without --incremental`);
  return { usable, ends: usable.ends.filter((t) => s.openTime[t + horizon] > since) };
}

/** Validation and test start dates (ms, UTC) shared by every symbol. */
export interface CalendarCuts {
  readonly validationStart: number;
  readonly testStart: number;
}

/**
 * A fractions rule as dates common to every series: validation starts at the open time of the window end
 * below which the `train` fraction of all series' windows (pooled) lie, test likewise after `validation`
 * more. Cut per symbol instead, a symbol whose candles start later (SOLUSDT from 2020-08) would be validated
 * and tested on months that the others train on, and markets that move together leak across symbols.
 * `undefined` where a candle has no open time (nothing to cut by) or there are no windows: the series are
 * then cut by their own fractions.
 *
 * @example
 * const cuts = calendarCuts(series, { lookback: 50, horizon: 4, rule: DEFAULT_SPLIT });
 * const rule = cuts ? { kind: "dates", ...cuts } : DEFAULT_SPLIT;
 */
export function calendarCuts(
  series: readonly CandleSeries[],
  opts: Omit<SplitOptions, "rule" | "since"> & {
    readonly rule: Extract<SplitRule, { kind: "fractions" }>;
    readonly since?: (symbol: string) => number | undefined;
  },
): CalendarCuts | undefined {
  if (series.some((s) => s.openTime.some(Number.isNaN))) return undefined;
  const times: number[] = [];
  for (const s of series) {
    const { ends } = candidateEnds(s, {
      lookback: opts.lookback,
      horizon: opts.horizon,
      since: opts.since?.(s.symbol),
    });
    for (const t of ends) times.push(s.openTime[t]);
  }
  if (times.length === 0) return undefined;
  const sorted = Float64Array.from(times).sort();
  const at = (fraction: number) => {
    const i = Math.floor(sorted.length * fraction);
    return i < sorted.length ? sorted[i] : Infinity;
  };
  return { validationStart: at(opts.rule.train), testStart: at(opts.rule.train + opts.rule.validation) };
}

/** Checks a rule before any data is read, so a bad flag fails fast. */
export function checkSplitRule(rule: SplitRule): void {
  if (rule.kind === "fractions") {
    const ok = rule.train > 0 && rule.validation > 0 && rule.train + rule.validation < 1;
    if (!ok) throw new SplitError("split fractions must be positive and leave room for a test split");
  } else if (!(rule.validationStart < rule.testStart)) {
    throw new SplitError("the validation start date must come before the test start date");
  }
}
