/**
 * `--start-date`/`--end-date`, `--months` and `--limit` on a file source (csv, json): the candles the window
 * selects, by the rule `--source binance` fetches by (`klineRequest`), the file's other candles kept as
 * indicator warm-up. RSI and the EMAs carry every earlier candle in their value, so a window cut from a
 * longer file would otherwise start its history afresh: its first ~50 rows empty and the next ones off from
 * what TA-Lib gives over the whole file (and from what the bot computes over its long history).
 */
import {
  type CandleSeries,
  closedOpenTimeBound,
  emptySeries,
  type Grid,
  gridOf,
  INDICATOR_COLUMNS,
  inferGrid,
  type Interval,
  SERIES_COLUMNS,
  sliceSeries,
} from "../../features/index.ts";
import { plural } from "../../base/index.ts";
import { CommandError, UsageError } from "../errors.ts";
import type { KlineRequest } from "./binance.ts";
import type { Locate } from "./grid_checks.ts";
import type { Window } from "./options.ts";
import { utc } from "./summary.ts";

/**
 * How far after this machine's clock a file's candle may open before the file is refused: a clock a few minutes
 * behind the exporting host's only leaves its newest candles out as not closed (a cron exporting and collecting
 * as a 1m candle opens), while local times east of UTC are at least an hour ahead. serve's grace
 * (`closeGraceMs`, 6 s on 1m) guards something else, a forming candle passing as closed, which collect leaves
 * out in any case.
 */
const AHEAD_TOLERANCE_MS = 5 * 60_000;

/**
 * A file's candles that have closed by `now` (those of an export taken mid-candle, or stamped ahead, left out),
 * on `interval` or the step each symbol's open times show; `dropped` names what was left out. Binance sends
 * only closed candles, and the help says collect takes only those: a half-formed last candle's close and volume
 * are not the candle's, and the next collect would then conflict with the finished one.
 */
export function closedOnly(
  all: readonly CandleSeries[],
  interval: Interval | undefined,
  now: number,
): { series: CandleSeries[]; dropped: string[]; ahead: { symbol: string; openTime: number } | null } {
  const dropped: string[] = [];
  let ahead: { symbol: string; openTime: number } | null = null;
  // A symbol with one candle shows no step of its own; a file holds one interval, so its other symbols' step
  // is the one to judge that candle by (else a still-open candle of a newly listed symbol was kept).
  const fileGrid = interval
    ? gridOf(interval)
    : all.map((s) => inferGrid(s.openTime)).find((g) => g !== null) ?? null;
  const series = all.map((s) => {
    const grid: Grid | null = interval ? fileGrid : inferGrid(s.openTime) ?? fileGrid;
    if (s.length === 0 || grid === null || s.openTime.some(Number.isNaN)) return s;
    const bound = grid.stepMs === null ? closedOpenTimeBound(now, "1M") : now - grid.stepMs;
    const keep = firstAtOrAfter(s.openTime, bound + 1);
    if (keep === s.length) return s;
    // A candle opening well after the clock (`AHEAD_TOLERANCE_MS`) is no candle an exchange has sent: local
    // times east of UTC, or this machine's clock behind. Said apart from "not closed", whose "a later collect
    // takes them" would keep the file's shifted candles. The last such candle is named: how far ahead it is
    // says by how much the times are off.
    const last = s.openTime[s.length - 1];
    if (last > now + AHEAD_TOLERANCE_MS && (ahead === null || last > ahead.openTime)) {
      ahead = { symbol: s.symbol, openTime: last };
    }
    const left = s.length - keep;
    dropped.push(
      `${s.symbol}: ${left === 1 ? "its last candle" : `its last ${left} candles`} (from ${
        utc(s.openTime[keep])
      } UTC) had not closed by ${utc(now)} UTC; left out (a later collect takes ${
        left === 1 ? "it" : "them"
      } once closed)`,
    );
    return sliceSeries(s, 0, keep);
  });
  return { series, dropped, ahead };
}

/**
 * The refusal of a file holding a candle that opens after this machine's clock (`closedOnly`'s `ahead`):
 * the file's times or the clock are wrong, and which cannot be told from here.
 */
export function aheadOfClockError(
  path: string,
  ahead: { symbol: string; openTime: number },
  now: number,
): Error {
  const hours = (ahead.openTime - now) / 3_600_000;
  const by = hours >= 48
    ? `${Math.round(hours / 2.4) / 10} days`
    : hours >= 1
    ? `${Math.round(hours * 10) / 10} h`
    : `${Math.round(hours * 60)} min`;
  return new CommandError(
    `${path}: ${ahead.symbol} has a candle opening at ${
      utc(ahead.openTime)
    } UTC, ${by} after this machine's ` +
      `clock (${utc(now)} UTC); no exchange candle opens in the future`,
    "open times must be UTC (ms since the epoch): local times east of UTC put them ahead (UTC+9 by 9 h), so " +
      "convert the file's times to UTC; if they are UTC, this machine's clock is behind: set it right (NTP)",
  );
}

/**
 * The candles of `s` (ascending open times) that `request` selects: those opening in [start, end), or the
 * last `count`. A file whose candles have no open times (a C# export without `t`) cannot be cut by date.
 */
export function selectWindow(
  s: CandleSeries,
  request: KlineRequest,
  flag: string,
  path: string,
): CandleSeries {
  if (s.length > 0 && s.openTime.some(Number.isNaN)) {
    throw new UsageError(
      `${flag}: ${path} has ${s.symbol} candles without an open time ("t"), so no window can be cut from them`,
      `drop ${flag} to collect the whole file, or have the bot export each candle's open time as "t"`,
    );
  }
  if (request.kind === "latest") return sliceSeries(s, Math.max(0, s.length - request.count), s.length);
  return sliceSeries(s, firstAtOrAfter(s.openTime, request.start), firstAtOrAfter(s.openTime, request.end));
}

/**
 * What `refuseOffGrid` says of a file's candle that the window typed leaves out and the indicators' warm-up
 * reads (one before the symbol's first candle in the window): "before --start-date 2022-01-06 and read only for
 * the indicators' warm-up". A refusal naming only the candle left the user looking for it among the candles
 * asked for. Null for any other candle, and without a window (every candle is collected).
 */
export function warmUpAside(
  series: readonly CandleSeries[],
  fileCandles: ReadonlyMap<string, CandleSeries> | undefined,
  window: Window | undefined,
): Locate {
  if (window === undefined || fileCandles === undefined) return () => null;
  const starts = new Map(series.filter((s) => s.length > 0).map((s) => [s.symbol, s.openTime[0]]));
  const typed = window.kind === "dates"
    ? `--start-date ${window.startDate}`
    : window.kind === "months"
    ? `the last ${plural(window.months, "month")} (--months ${window.months})`
    : `the latest ${plural(window.count, "candle")} (--limit ${window.count})`;
  return (symbol, t) => {
    const start = starts.get(symbol);
    return start !== undefined && t < start
      ? `before ${typed} and read only for the indicators' warm-up`
      : null;
  };
}

/** Index of the first time ≥ `t` in ascending `times` (binary search: a dump may hold millions). */
function firstAtOrAfter(times: Float64Array, t: number): number {
  let lo = 0, hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A window that selects nothing from any symbol: said with the file's span, since the dates the user typed
 * are the thing to change (an empty success would leave an old training CSV looking refreshed).
 */
export function emptyWindowError(path: string, window: string, all: readonly CandleSeries[]): CommandError {
  const spans = all.filter((s) => s.length > 0).map((s) =>
    `${s.symbol} ${utc(s.openTime[0])} → ${utc(s.openTime[s.length - 1])} UTC`
  );
  return new CommandError(
    `${path} has no candles in ${window}` + (spans.length > 0 ? `; it holds ${spans.join(", ")}` : ""),
    "choose dates inside the file's span (--end-date is exclusive), or drop the window to collect the whole file",
  );
}

/**
 * Fills `series`' indicators (ownIndicators: only the missing ones, keeping those the source sent) as if the
 * file's candles that `series` lacks came with it: those before its first row, and those in its gaps (an
 * output holding an earlier window, a gap, then this one, in either order), so each row gets what the whole
 * file gives it. `file` is read, never written.
 */
export function indicatorsOverFile(
  series: CandleSeries,
  file: CandleSeries | undefined,
  fill: (s: CandleSeries) => void,
): void {
  // Untimed rows (an export without "t" merged before) have no place among the file's.
  if (!file || file.length === 0 || series.openTime.some(Number.isNaN)) return fill(series);
  const t = series.openTime;
  // The file's candles at an open time `series` has no row for, in time order; none after its last row (the
  // indicators look back only).
  const last = series.length > 0 ? t[series.length - 1] : Infinity;
  const extra: number[] = [];
  for (let i = 0, j = 0; i < file.length && file.openTime[i] < last; i++) {
    const at = file.openTime[i];
    while (j < series.length && t[j] < at) j++;
    if (j === series.length || t[j] !== at) extra.push(i);
  }
  if (extra.length === 0) return fill(series);
  const joined = emptySeries(series.symbol, series.length + extra.length);
  const rowOf = new Int32Array(series.length); // where row i of `series` sits in `joined`
  for (let k = 0, a = 0, b = 0; k < joined.length; k++) {
    const fromFile = b < extra.length && (a === series.length || file.openTime[extra[b]] < t[a]);
    const [from, i] = fromFile ? [file, extra[b++]] : [series, a];
    if (!fromFile) rowOf[a++] = k;
    joined.openTime[k] = from.openTime[i];
    for (const col of SERIES_COLUMNS) joined[col][k] = from[col][i];
  }
  fill(joined);
  for (const col of INDICATOR_COLUMNS) {
    for (let i = 0; i < series.length; i++) series[col][i] = joined[col][rowOf[i]];
  }
}
