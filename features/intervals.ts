/**
 * Binance's kline intervals and the time grid they lay down. Every interval is a fixed duration except `1M`,
 * whose candles open on the 1st of each UTC month, so grid arithmetic goes through these helpers.
 */
import { plural } from "../base/index.ts";

export const INTERVALS = [
  "1m",
  "3m",
  "5m",
  "15m",
  "30m",
  "1h",
  "2h",
  "4h",
  "6h",
  "8h",
  "12h",
  "1d",
  "3d",
  "1w",
  "1M",
] as const;
export type Interval = typeof INTERVALS[number];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const FIXED_MS: Record<Exclude<Interval, "1M">, number> = {
  "1m": MINUTE,
  "3m": 3 * MINUTE,
  "5m": 5 * MINUTE,
  "15m": 15 * MINUTE,
  "30m": 30 * MINUTE,
  "1h": HOUR,
  "2h": 2 * HOUR,
  "4h": 4 * HOUR,
  "6h": 6 * HOUR,
  "8h": 8 * HOUR,
  "12h": 12 * HOUR,
  "1d": DAY,
  "3d": 3 * DAY,
  "1w": 7 * DAY,
};

/** True when `value` is one of Binance's interval names (case matters: `1m` is a minute, `1M` a month). */
export function isInterval(value: string): value is Interval {
  return (INTERVALS as readonly string[]).includes(value);
}

/** `t` moved by `months` calendar months (UTC), the day clamped to the target month's length. */
export function addMonths(t: number, months: number): number {
  const d = new Date(t);
  const [year, month] = [d.getUTCFullYear(), d.getUTCMonth() + months];
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const timeOfDay = t - Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return Date.UTC(year, month, Math.min(d.getUTCDate(), lastDay)) + timeOfDay;
}

/** Open time of the candle that follows the one opening at `openTime`. */
export function nextOpenTime(openTime: number, interval: Interval): number {
  return interval === "1M" ? addMonths(openTime, 1) : openTime + FIXED_MS[interval];
}

/** Binance's close time of a candle: the last millisecond before the next one opens. */
export function closeTimeOf(openTime: number, interval: Interval): number {
  return nextOpenTime(openTime, interval) - 1;
}

/**
 * The latest open time a closed candle can have at `now`. A candle is closed once its close time
 * (next open − 1) is before now; for fixed intervals that is every open time ≤ now − duration, whatever the
 * grid's phase (weeks open on Mondays), and for months every month before the current one.
 */
export function closedOpenTimeBound(now: number, interval: Interval): number {
  if (interval !== "1M") return now - FIXED_MS[interval];
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - 1;
}

/**
 * How far past a clock a candle may close and still count as closed (serve, predict; collect's files have
 * their own 5 minutes, cli/collect/file_window.ts):
 * the host that stamped it and this one keep time apart (NTP holds them within milliseconds; a minute leaves
 * room for a clock that drifts). At most a tenth of the candle (`closeGraceMs`).
 */
const CLOSE_GRACE_MS = 60_000;

/**
 * The grace for a candle `lengthMs` long (null: a month): a minute, or a tenth of the candle below 10m, since a
 * minute would pass a forming 3m candle for a third of its life (a bot that forgot to drop it).
 *
 * @example
 * ```ts
 * closeGraceMs(3_600_000); // 60_000
 * closeGraceMs(180_000); // 18_000
 * ```
 */
export function closeGraceMs(lengthMs: number | null): number {
  return lengthMs === null ? CLOSE_GRACE_MS : Math.min(CLOSE_GRACE_MS, lengthMs / 10);
}

/** Candles of this interval that open in [first, last] on the grid through `first` (for progress). */
export function candlesBetween(first: number, last: number, interval: Interval): number {
  if (last < first) return 0;
  if (interval !== "1M") return Math.floor((last - first) / FIXED_MS[interval]) + 1;
  let n = 0;
  for (let t = first; t <= last; t = addMonths(t, 1)) n++;
  return n;
}

/** A time grid gaps are counted on: a Binance interval, or a step inferred from data without one. */
export interface Grid {
  readonly label: string;
  /** The fixed length of a candle in ms; null for months (`1M`), which have none. */
  readonly stepMs: number | null;
  /** Candles missing strictly between two consecutive open times. */
  missingBetween(a: number, b: number): number;
}

/** The grid gaps are counted on for `interval`: fixed steps, or calendar months for `1M`. */
export function gridOf(interval: Interval): Grid {
  if (interval === "1M") {
    return {
      label: interval,
      stepMs: null,
      missingBetween(a, b) {
        const [da, db] = [new Date(a), new Date(b)];
        const months = (db.getUTCFullYear() - da.getUTCFullYear()) * 12 + db.getUTCMonth() - da.getUTCMonth();
        return Math.max(0, months - 1);
      },
    };
  }
  return stepGrid(interval, FIXED_MS[interval]);
}

function stepGrid(label: string, stepMs: number): Grid {
  return { label, stepMs, missingBetween: (a, b) => Math.max(0, Math.round((b - a) / stepMs) - 1) };
}

/**
 * The commonest positive step between consecutive open times across `series`; null when there is none.
 * Outage gaps are rarer than the candles' own step, so they do not move it. The one count every reader of
 * candle data uses (collect's gap report, the interval a checkpoint records, monitor's join).
 */
export function commonestStep(series: readonly ArrayLike<number>[]): number | null {
  const counts = new Map<number, number>();
  for (const t of series) {
    for (let i = 1; i < t.length; i++) {
      const step = t[i] - t[i - 1];
      if (step > 0) counts.set(step, (counts.get(step) ?? 0) + 1); // NaN > 0 is false
    }
  }
  let [best, bestCount] = [0, 0];
  // A tie goes to the shorter step: 1h candles with every third one missing show as many 1h steps as 2h ones,
  // and are 1h candles with gaps; by the first step seen they were 2h candles, two of each three 1h apart.
  for (const [step, count] of counts) {
    if (count > bestCount || (count === bestCount && step < best)) [best, bestCount] = [step, count];
  }
  return bestCount > 0 ? best : null;
}

/** The shortest a step between two candles on `grid` can be: its length, or 28 days for months (`1M`). */
export function shortestGridStep(grid: Grid): number {
  return grid.stepMs ?? 28 * DAY;
}

/** Steps between consecutive open times shorter than a grid allows: how many, and the first one's two times. */
export interface ShortSteps {
  count: number;
  /** Open times of the two candles of the first such step. */
  from: number;
  to: number;
}

/**
 * The steps in ascending `openTimes` shorter than one candle of `grid`; null when there are none. Two candles
 * closer than one interval cannot both be candles of it (1h candles in a file of 4h), and a step shorter than
 * the grid counts no candle missing, so without this they passed as the grid's own.
 */
export function shortSteps(openTimes: ArrayLike<number>, grid: Grid): ShortSteps | null {
  const least = shortestGridStep(grid);
  let found: ShortSteps | null = null;
  for (let i = 1; i < openTimes.length; i++) {
    const step = openTimes[i] - openTimes[i - 1];
    if (!(step > 0 && step < least)) continue; // NaN (no open time) compares false
    if (found) found.count++;
    else found = { count: 1, from: openTimes[i - 1], to: openTimes[i] };
  }
  return found;
}

/** The shortest positive step between consecutive open times; null when there is none. */
export function shortestStep(openTimes: ArrayLike<number>): number | null {
  let least = Infinity;
  for (let i = 1; i < openTimes.length; i++) {
    const step = openTimes[i] - openTimes[i - 1];
    if (step > 0 && step < least) least = step;
  }
  return Number.isFinite(least) ? least : null;
}

/**
 * True when ascending `openTimes` can be candles of the fixed-length `interval` with gaps: its shortest step is
 * one candle and every step a whole number of them (1h candles with 4h between some). False for months, whose
 * steps are no fixed length, and when there is no step to see.
 */
export function fitsWithGaps(openTimes: ArrayLike<number>, interval: Interval): boolean {
  if (interval === "1M" || shortestStep(openTimes) !== FIXED_MS[interval]) return false;
  const step = FIXED_MS[interval];
  for (let i = 1; i < openTimes.length; i++) {
    const d = openTimes[i] - openTimes[i - 1];
    if (d > 0 && d % step !== 0) return false;
  }
  return true;
}

/**
 * Where a grid of `stepMs` starts, for the steps whose grid exchanges agree on: those that divide a day start at
 * midnight UTC; weeks on Monday 00:00 UTC (Binance's 1w candles; 1970-01-01 was a Thursday). Null for others
 * (3d, whose grid is the exchange's own choice). collect's check of a new history (cli/collect/grid_checks.ts),
 * serve's of a request's open times and monitor's of predictions it cannot find all read this one definition.
 */
export function gridOrigin(stepMs: number): number | null {
  if (DAY % stepMs === 0) return 0;
  return stepMs === 7 * DAY ? 4 * DAY : null;
}

/**
 * How far `t` opens past the UTC grid of candles `stepMs` long (`gridOrigin`'s), from 0 (on it) to
 * `stepMs` − 1 (a close time: a candle's last millisecond); null where that grid has no agreed origin. A 1h
 * candle stamped in India's local time (UTC+5:30) is 30 min past; a 1d one, 5 h 30 min.
 */
export function pastUtcGrid(t: number, stepMs: number): number | null {
  const origin = gridOrigin(stepMs);
  if (origin === null) return null;
  return (((t - origin) % stepMs) + stepMs) % stepMs;
}

/**
 * How far the candles of `series` open past the UTC grid of `interval` (`pastUtcGrid`), their commonest offset:
 * 0 for an exchange's candles (Binance's), 16 h for the 1d candles of an exchange whose days begin at midnight
 * UTC+8; null where the grid has no agreed origin (3d, 1M, steps no exchange names) or nothing has a time.
 * A version records it (manifest.json `grid_offset_ms`, when not 0), and serve then takes the bot's candles
 * on that grid: held to the UTC one, a model trained on such candles refused its own (a seat's trial).
 *
 * @example
 * ```ts
 * gridOffsetOf([[16 * 3_600_000, 40 * 3_600_000]], "1d"); // 57_600_000: 16 h past midnight UTC
 * ```
 */
export function gridOffsetOf(series: readonly ArrayLike<number>[], interval: string | null): number | null {
  if (interval === null || !isInterval(interval) || interval === "1M") return null;
  const step = FIXED_MS[interval];
  if (gridOrigin(step) === null) return null;
  const counts = new Map<number, number>();
  for (const t of series) {
    for (let i = 0; i < t.length; i++) {
      if (!Number.isFinite(t[i])) continue;
      const past = pastUtcGrid(t[i], step)!;
      counts.set(past, (counts.get(past) ?? 0) + 1);
    }
  }
  let best: number | null = null, most = 0;
  for (const [past, n] of counts) if (n > most || (n === most && past < best!)) [best, most] = [past, n];
  return best;
}

/**
 * Whether open times `past` ms past the UTC grid of candles `stepMs` long could be a time zone's local times:
 * zones sit whole quarter hours off UTC, from 12 h west to 14 h east, so a 1h candle 30 min past could be
 * India's, and a 1w one 6 days past (weeks begun on Sunday) or a 1d one 7 s past is no zone's.
 */
export function zoneOffset(past: number, stepMs: number): boolean {
  return past % (15 * MINUTE) === 0 && (past <= 14 * HOUR || past >= stepMs - 12 * HOUR);
}

/** An offset within a candle as people say it: "30 min", "5 h 30 min", "6 days", "250 ms". */
export function offsetText(ms: number): string {
  if (ms % DAY === 0) return plural(ms / DAY, "day");
  if (ms >= HOUR && ms % HOUR === 0) return `${ms / HOUR} h`;
  if (ms > HOUR && ms % MINUTE === 0) return `${Math.floor(ms / HOUR)} h ${(ms % HOUR) / MINUTE} min`;
  if (ms % MINUTE === 0) return `${ms / MINUTE} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms.toLocaleString("en-US")} ms`;
}

/** True when `ms` is the first instant of a calendar month, UTC (where Binance's 1M candles open). */
export function isMonthStart(ms: number): boolean {
  const d = new Date(ms);
  return d.getUTCDate() === 1 && ms % DAY === 0;
}

/** Months are 28 to 31 days long. */
export const isMonthLong = (step: number) => step >= 28 * DAY && step <= 31 * DAY;

/** True when every month-long step in `series` joins two month starts: candles on the calendar, not a fixed step. */
function onMonthStarts(series: readonly ArrayLike<number>[]): boolean {
  for (const t of series) {
    for (let i = 1; i < t.length; i++) {
      if (isMonthLong(t[i] - t[i - 1]) && !(isMonthStart(t[i]) && isMonthStart(t[i - 1]))) return false;
    }
  }
  return true;
}

const UNITS: readonly [number, string][] = [
  [7 * DAY, "w"],
  [DAY, "d"],
  [HOUR, "h"],
  [MINUTE, "m"],
  [1000, "s"],
];

/**
 * A fixed step in the largest unit it is a whole number of, Binance's names ("4h", "1w") where it has one:
 * 14,400,000 → "4h", 5,400,000 → "90m".
 */
export function stepName(step: number): string {
  for (const [ms, unit] of UNITS) if (step % ms === 0) return `${step / ms}${unit}`;
  return `${step}ms`;
}

/**
 * The candle interval of `series` as Binance names it ("1h", "1M"), from the commonest step between open
 * times; null when there is no step to see. Candles that open on the 1st of months (28–31 days apart) are
 * `1M`, the name `collect --interval` takes back (retrain passes a checkpoint's interval on), not "31d"; a
 * fixed 31-day step off the calendar stays "31d". Steps Binance has no name for are named in the largest
 * whole unit ("90m", "2d", "90s").
 *
 * @example
 * ```ts
 * intervalOf([[0, 3_600_000, 7_200_000, 14_400_000]]); // "1h": the one outage gap does not move it
 * ```
 */
export function intervalOf(series: readonly ArrayLike<number>[]): string | null {
  const step = commonestStep(series);
  return step === null ? null : nameOf(series, step);
}

/**
 * `intervalOf` over each series' open times: the interval of candles as a training CSV's reader returns them.
 *
 * @example
 * ```ts
 * seriesInterval([{ openTime: [0, 3_600_000, 7_200_000] }]); // "1h"
 * ```
 */
export function seriesInterval(series: readonly { readonly openTime: ArrayLike<number> }[]): string | null {
  return intervalOf(series.map((s) => s.openTime));
}

/** `intervalOf`'s name for `series` whose commonest step is `step`. */
function nameOf(series: readonly ArrayLike<number>[], step: number): string {
  return isMonthLong(step) && onMonthStarts(series) ? "1M" : stepName(step);
}

/** The length in ms of a name `intervalOf` gives ("4h", "90s", "1500ms"); NaN for "1M" and anything else. */
function fixedLength(name: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(name);
  if (m === null) return NaN;
  const unit = m[2] === "ms" ? 1 : UNITS.find(([, u]) => u === m[2])![0];
  return Number(m[1]) * unit;
}

/**
 * The fixed length in ms of the candles an interval name records: Binance's names ("4h", "1w") and the ones
 * `intervalOf` gives steps Binance has none for ("45m", "2d"), which a CSV's candles can have and a version
 * then records; null for months ("1M") and for names of no length.
 *
 * @example
 * ```ts
 * candleLengthOf("45m"); // 2_700_000
 * candleLengthOf("1M"); // null: months have no fixed length
 * ```
 */
export function candleLengthOf(name: string): number | null {
  if (isInterval(name)) return name === "1M" ? null : FIXED_MS[name];
  const ms = fixedLength(name);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

/**
 * Whether two interval names mean the same candles: the same name, the same fixed length written two ways
 * (versions saved before session 20 named 90-second data "90000ms"), or months — "1M" against the 28–31 days
 * versions saved before a780cd7 recorded monthly candles as.
 */
export function sameInterval(a: string, b: string): boolean {
  if (a === b) return true;
  const [la, lb] = [fixedLength(a), fixedLength(b)];
  if (a === "1M" || b === "1M") return isMonthLong(a === "1M" ? lb : la);
  return Number.isFinite(la) && la === lb;
}

/**
 * The interval of `series` when it means other candles than `expected` (a version's recorded interval, a
 * flag); null when they agree, or when either is unknown (no step to see, nothing recorded). The one check
 * train --incremental, evaluate --checkpoint, retrain and serve make before mixing a model with candles.
 *
 * @example
 * ```ts
 * otherInterval([[0, 4 * 3_600_000, 8 * 3_600_000]], "1h"); // "4h"
 * ```
 */
export function otherInterval(
  series: readonly ArrayLike<number>[],
  expected: string | null | undefined,
): string | null {
  if (!expected) return null;
  const ours = intervalOf(series);
  return ours === null || sameInterval(ours, expected) ? null : ours;
}

/**
 * The grid of a series that came without an interval (CSV, C# export), named as `intervalOf` names it. Null
 * when there is no step to see.
 */
export function inferGrid(openTimes: ArrayLike<number>): Grid | null {
  const step = commonestStep([openTimes]);
  if (step === null) return null;
  const name = nameOf([openTimes], step);
  return isInterval(name) ? gridOf(name) : stepGrid(name, step);
}
