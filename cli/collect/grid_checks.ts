/**
 * collect's checks of candles against their time grid, each said before anything is written: one interval
 * per training CSV, candles of the file's interval off its grid (close times, local time), a new history off
 * the UTC grid exchanges use, `--interval` against the step a file shows; and the one-line remarks on what
 * reading a file changed (rows sorted, repeats dropped) or what its name says against its candles.
 */
import {
  type CandleSeries,
  fitsWithGaps,
  type Grid,
  gridOf,
  inferGrid,
  type Interval,
  isInterval,
  isMonthLong,
  isMonthStart,
  offsetText,
  pastUtcGrid,
  sameInterval,
  shortestStep,
  shortSteps,
  stepName,
  type TimeOrdered,
} from "../../features/index.ts";
import { plural } from "../../base/index.ts";
import { firstAtOrAfter } from "../../ml/data/index.ts";
import { CommandError, UsageError } from "../errors.ts";
import { intervalFromFileName } from "./options.ts";

/**
 * One interval per training CSV: features, labels (`--horizon` candles ahead) and the model's lookback all
 * count candles, so 4h rows beside 1h rows would train one model on two time scales, and merged into one
 * symbol's 1h rows they would pass for gaps. Compared by each side's most common step.
 */
export function refuseMixedIntervals(
  existing: readonly CandleSeries[],
  incoming: readonly CandleSeries[],
  grid: Grid | null,
  output: string,
  /** The file's step when `existing` holds only some of its symbols (collect read the others one by one). */
  fileGrid: Grid | null | undefined = existing.map((s) => inferGrid(s.openTime)).find((g) => g !== null),
  /** Where an incoming candle is (file and line), for the refusal of one beside a row (`refuseNearTwins`). */
  locate?: Locate,
): void {
  // The incoming symbols among themselves first (a C# export may hold 1h BTC beside 4h ETH).
  const steps = grid ? [] : incoming.flatMap((s) => {
    const g = inferGrid(s.openTime);
    return g ? [{ symbol: s.symbol, label: g.label }] : [];
  });
  const other = steps.find((x) => x.label !== steps[0].label);
  if (other) {
    throw new CommandError(
      `${steps[0].symbol} is ${
        steps[0].label
      } and ${other.symbol} is ${other.label}: one training CSV holds ` +
        "one interval; nothing was written",
      "collect each interval into its own --output",
    );
  }
  const newGrid = grid ?? incoming.map((s) => inferGrid(s.openTime)).find((g) => g !== null);
  if (fileGrid && newGrid && fileGrid.label !== newGrid.label && !fitsGiven(existing, grid)) {
    throw new CommandError(
      `${output} holds ${fileGrid.label} candles and these are ${newGrid.label}: one training CSV holds one ` +
        "interval; nothing was written",
      `collect ${newGrid.label} candles into another --output`,
    );
  }
  // A file that is the given interval's candles with gaps is that interval's: compared by its most common step
  // (4h, where 4h candles followed 1h ones), the next 1h candle of a top-up read as a twin and was refused.
  const twinGrid = grid && fitsGiven(existing, grid) ? grid : fileGrid;
  if (twinGrid?.stepMs) refuseNearTwins(existing, incoming, twinGrid.stepMs, twinGrid.label, output, locate);
}

/**
 * True when `--interval` (`grid`) was given and the output's rows of the symbols collected are that interval's
 * candles with gaps (`fitsWithGaps`), as a file collected with it is: the same command run again read the file
 * by its most common step (4h, where 4h candles followed 1h ones) and refused its own output.
 */
function fitsGiven(existing: readonly CandleSeries[], grid: Grid | null): boolean {
  const label = grid?.label ?? "";
  return isInterval(label) && existing.some((s) => s.length > 1) &&
    existing.every((s) => s.length < 2 || fitsWithGaps(s.openTime, label));
}

/**
 * Candles of the file's interval that open elsewhere on its grid (stamped with their close times, or in local
 * time half an hour off) would not extend a symbol's rows but interleave with them: each 1h candle beside a
 * twin 1 ms or 30 minutes away, which the file's interval (the commonest step) and every window then read
 * wrongly. Refused where that would happen: an incoming candle less than one step from one of the same
 * symbol's rows without being on it. Other symbols, and rows already there, are not compared.
 */
function refuseNearTwins(
  existing: readonly CandleSeries[],
  incoming: readonly CandleSeries[],
  stepMs: number,
  label: string,
  output: string,
  locate?: Locate,
): void {
  for (const s of incoming) {
    const own = existing.find((e) => e.symbol === s.symbol);
    if (!own || own.length === 0) continue;
    for (const t of s.openTime) {
      if (!Number.isFinite(t)) continue;
      const near = nearestOpenTime(own.openTime, t);
      if (near === t || !(Math.abs(near - t) < stepMs)) continue;
      // Named by file and line where the source says (a docs seat's check: refuseOffGrid's refusals were, this
      // one, which comes first for a candle inside the rows' span, was not).
      const where = locate?.(s.symbol, t);
      throw new CommandError(
        `${where ? `${where}: ` : ""}${output} holds ${s.symbol} ${label} candles opening like ${
          iso(near)
        }, and this one opens at ${iso(t)}, ${
          Math.abs(t - near).toLocaleString("en-US")
        } ms away: merged, it would sit beside that candle ` +
          "instead of extending the file; nothing was written",
        "give each candle's open time (not its close time; UTC, in ms), as the file's candles have, or collect " +
          "these into another --output",
      );
    }
  }
}

const iso = (t: number) => new Date(t).toISOString();

/**
 * Where a source's candle opening at `t` is ("BTCUSDT-1h.csv line 302", "export.json: BTCUSDT candles[7]"), or
 * null where the source does not say (Binance's candles, a time it does not hold).
 */
export type Locate = (symbol: string, t: number) => string | null;

/**
 * `name(source[i])` for the candle opening at `t` in ascending `times` (null: none there), `source` mapping
 * their order to the file's (null: the same). Holds the times and that map only, not the candles.
 */
export function locateIn(
  times: Float64Array,
  source: Int32Array | null,
  name: (i: number) => string,
): (t: number) => string | null {
  return (t) => {
    const i = firstAtOrAfter(times, t);
    return i < times.length && times[i] === t ? name(source === null ? i : source[i]) : null;
  };
}

/** Where a time lies within a candle `stepMs` long of the grid through 0: from 0 to `stepMs` − 1. */
const phase = (t: number, stepMs: number) => ((t % stepMs) + stepMs) % stepMs;

/**
 * The phase most of `times` share (`phase`), a tie going to the earliest candle's, with how many share it;
 * null when none has a time.
 */
function commonestPhase(times: Float64Array, stepMs: number): { phase: number; count: number } | null {
  const first = times.findIndex(Number.isFinite);
  if (first < 0) return null;
  const p0 = phase(times[first], stepMs);
  let i = first;
  while (i < times.length && (Number.isNaN(times[i]) || phase(times[i], stepMs) === p0)) i++;
  // Every one on one grid: the common case, without counting.
  if (i === times.length) return { phase: p0, count: times.filter(Number.isFinite).length };
  const counts = new Map<number, { count: number; at: number }>();
  times.forEach((t, k) => {
    if (Number.isNaN(t)) return;
    const p = phase(t, stepMs);
    const seen = counts.get(p);
    if (seen) seen.count++;
    else counts.set(p, { count: 1, at: k });
  });
  let best: { phase: number; count: number; at: number } | null = null;
  for (const [p, { count, at }] of counts) {
    if (best === null || count > best.count || (count === best.count && at < best.at)) {
      best = { phase: p, count, at };
    }
  }
  return best && { phase: best.phase, count: best.count };
}

/** The first of ascending `times` off phase `p` (NaN skipped), or -1. */
function firstOff(times: Float64Array, stepMs: number, p: number): number {
  for (let i = 0; i < times.length; i++) {
    if (!Number.isNaN(times[i]) && phase(times[i], stepMs) !== p) return i;
  }
  return -1;
}

/** `refuseOffGrid`'s optional inputs. */
export interface OffGridOptions {
  /**
   * The output's grid (`readExisting`'s `fileGrid`); left out, that of the first of `existing` whose open times
   * show one.
   */
  readonly fileGrid?: Grid | null;
  /** Where a candle came from (its file and line), said before it; null where not known. */
  readonly locate?: Locate;
  /** False for Binance, whose candles are refused only when none opens on a grid the rows hold (below). */
  readonly strict?: boolean;
  /** Said after a candle's open time, where it says something of it. */
  readonly aside?: Locate;
}

/**
 * One symbol's candles lie on one grid: for a fixed-length interval (not months), every open time a file source
 * brings for a symbol (across the files of a run, warm-up candles before a window included) shares one offset
 * within a candle with the others and with the symbol's rows already in the output. `refuseNearTwins` compared
 * an incoming candle only with the nearest row less than a step away, and `checkUtcGrid` a new symbol's first
 * candle: 300 1h candles on :00 and 300 later ones on :30, merged into a file, in one file or from two, were
 * written, exit 0, the 1.5 h step between them said to be "1 missing candle", and every window across it read
 * as 1h candles. Refused (exit 1), naming the first candle off the grid (its file and line where `locate` knows
 * them) and the grid it should be on: the one most of the symbol's rows in the output share, else the one most
 * of the source's candles share (a tie going to the earliest candle's).
 *
 * Not `strict` (Binance), the exchange's candles are its own: refused only when none of them opens on a grid
 * any of the symbol's rows in the output opens on, since its history has stretches off its grid (BTCUSDT's 1h
 * klines of 2018-02-10, 27 of 48 28 min 14.789 s past the hour after a maintenance), which a file's shorter steps
 * already refuse (`refuseShortSteps`): by the rows' commonest grid alone, those 48 rows refused the next month's
 * klines, on the hour as 21 of them are. For the same reason rows already in the output are not held to their
 * own grid, only read for it. The example row a refusal gives opens on the grid it names.
 *
 * `aside`, where it says something of a candle (a file's candle before the window typed, read only for the
 * indicators' warm-up), is said after the candle's open time.
 */
export function refuseOffGrid(
  existing: readonly CandleSeries[],
  incoming: readonly CandleSeries[],
  grid: Grid | null,
  output: string,
  {
    fileGrid = existing.map((s) => inferGrid(s.openTime)).find((g) => g !== null),
    locate = () => null,
    strict = true,
    aside = () => null,
  }: OffGridOptions = {},
): void {
  for (const s of incoming) {
    const own = existing.find((e) => e.symbol === s.symbol);
    const g = grid ?? fileGrid ?? inferGrid(s.openTime) ?? (own ? inferGrid(own.openTime) : null);
    const step = g?.stepMs;
    if (!g || !step) continue; // months have no fixed length; a single candle shows no step
    const at = (t: number) => {
      const where = locate(s.symbol, t);
      const note = aside(s.symbol, t);
      return `${where === null ? "" : `${where}: `}${s.symbol}'s ${g.label} candle opening ${iso(t)}${
        note === null ? "" : `, ${note},`
      }`;
    };
    const past = (t: number, p: number) => offsetText(phase(phase(t, step) - p, step));
    const held = own ? commonestPhase(own.openTime, step) : null;
    if (own && held) {
      // The exchange's grid is the rows' when any of its candles opens on a grid any of them opens on.
      if (!strict) {
        const phases = new Set<number>();
        for (const t of own.openTime) if (!Number.isNaN(t)) phases.add(phase(t, step));
        if (s.openTime.some((t) => Number.isNaN(t) || phases.has(phase(t, step)))) continue;
      }
      const i = firstOff(s.openTime, step, held.phase);
      if (i < 0) continue;
      const t = s.openTime[i];
      const timed = own.openTime.filter(Number.isFinite).length;
      throw new CommandError(
        `${at(t)} lies ${past(t, held.phase)} past the grid of ${
          held.count === timed
            ? `its ${plural(held.count, "row")}`
            : `${held.count} of its ${plural(timed, "row")}`
        } in ${output}, ` +
          `which open like ${
            iso(nearestOnPhase(own.openTime, t, step, held.phase))
          }: one symbol's candles lie ` +
          "on one grid; nothing was written",
        "give each candle its open time on that grid (UTC, in ms: not its close time or a local time), or " +
          "collect these candles into another --output",
      );
    }
    if (!strict) continue;
    const common = commonestPhase(s.openTime, step);
    if (common === null) continue;
    const i = firstOff(s.openTime, step, common.phase);
    if (i < 0) continue;
    const t = s.openTime[i];
    const onGrid = s.openTime.findLast((u, k) => k < i && !Number.isNaN(u)) ??
      s.openTime.find((u) => !Number.isNaN(u) && phase(u, step) === common.phase)!;
    const timed = s.openTime.filter(Number.isFinite).length;
    throw new CommandError(
      `${at(t)} lies ${past(t, common.phase)} past the grid of its other candles, which open like ` +
        `${iso(onGrid)} (${common.count.toLocaleString("en-US")} of ${
          timed.toLocaleString("en-US")
        } on it): one symbol's candles lie on one grid; nothing was written`,
      "leave out the candles off that grid, or give them their open times on it (UTC, in ms: not close times " +
        "or local times); candles on another grid (another source, another time zone) go into another --output",
    );
  }
}

const DAY_MS = 86_400_000;

/**
 * A new symbol's history checked against the UTC grid exchanges open candles on (for steps that divide a day:
 * 1h candles at :00, 15m ones at :00/:15/…). `refuseNearTwins` compares incoming candles with the rows a file
 * already holds; a first collect has none, so a file stamped with close times (every 1h candle at :59:59.999)
 * was written without a word, and only a later collect from Binance, or `monitor` joining the bot's candles,
 * found out. Close times are refused; another offset (local time half an hour off) is self-consistent data
 * and only warned about.
 */
export function checkUtcGrid(
  existing: readonly CandleSeries[],
  incoming: readonly CandleSeries[],
  print: (line: string) => void,
  /** `--interval`'s grid when given: a file of 1h candles with 4h steps among them is on the 1h grid. */
  given: Grid | null = null,
): void {
  for (const s of incoming) {
    if ((existing.find((e) => e.symbol === s.symbol)?.length ?? 0) > 0) continue;
    const grid = given ?? inferGrid(s.openTime);
    const first = s.openTime.find(Number.isFinite);
    const offset = grid?.stepMs && first !== undefined ? pastUtcGrid(first, grid.stepMs) : null;
    if (!grid?.stepMs || first === undefined || offset === null || offset === 0) continue;
    const onGrid = iso(first - offset);
    if (offset === grid.stepMs - 1) {
      throw new CommandError(
        `${s.symbol}'s ${grid.label} candles are stamped like ${
          iso(first)
        }, 1 ms before the grid candles open ` +
          `on (${
            iso(first + 1)
          }): those are close times (each candle's last millisecond); nothing was written`,
        "give each candle's open time (a Binance kline dump's first column, not its seventh, close_time)",
      );
    }
    print(
      `warning: ${s.symbol}'s ${grid.label} candles open ${
        offsetText(offset)
      } past the UTC grid exchanges use ` +
        `(${
          iso(first)
        }, not ${onGrid}): a model trained on them takes the bot's candles on this grid only (serve ` +
        "refuses UTC-grid ones, and monitor matches no others with these rows), and candles collected from " +
        "an exchange into the same file will be refused; give open times in UTC if these are local",
    );
  }
}

/**
 * The open time in ascending `times` nearest to `t` of those at phase `p` of a `stepMs` grid (NaN when there is
 * none): the example of the grid a refusal names, which the nearest row of all may not be on.
 */
function nearestOnPhase(times: Float64Array, t: number, stepMs: number, p: number): number {
  const i = firstAtOrAfter(times, t);
  const on = (k: number) => !Number.isNaN(times[k]) && phase(times[k], stepMs) === p;
  let after = i;
  while (after < times.length && !on(after)) after++;
  let before = i - 1;
  while (before >= 0 && !on(before)) before--;
  if (before < 0) return after < times.length ? times[after] : NaN;
  if (after >= times.length) return times[before];
  return t - times[before] <= times[after] - t ? times[before] : times[after];
}

/** The open time in ascending `times` nearest to `t` (NaN when there is none). */
function nearestOpenTime(times: Float64Array, t: number): number {
  const i = firstAtOrAfter(times, t);
  const after = i < times.length ? times[i] : NaN;
  const before = i > 0 ? times[i - 1] : NaN;
  if (Number.isNaN(after)) return before;
  if (Number.isNaN(before)) return after;
  return t - before <= after - t ? before : after;
}

/**
 * `--interval` on a file names the grid its gaps are counted on and the interval the one-per-file rule
 * compares; it must be the step the file's open times show. Otherwise 4h candles collected with
 * `--interval 1h` would pass for 1h ones with three gaps in four, beside a file of real 1h candles. It may
 * also be the file's shortest step when every step is a whole number of it (1h candles with outages as long
 * as the candles, or 4h candles mixed in): those are its candles with gaps, counted and warned of as such.
 * A file without open times (or with one candle) shows no step, and the flag is taken as given. Then, with the
 * flag or without, no step may be shorter than one candle of the file's interval (`refuseShortSteps`).
 */
export function refuseOtherInterval(
  interval: Interval | undefined,
  series: readonly CandleSeries[],
  path: string,
): void {
  for (const s of series) {
    refuseShiftedMonths(s, path);
    const shown = inferGrid(s.openTime);
    if (!shown) continue;
    const whose = series.length > 1 ? `${s.symbol}'s` : "its";
    if (interval && shown.label !== gridOf(interval).label && !fitsWithGaps(s.openTime, interval)) {
      throw new UsageError(
        `--interval ${interval}: ${path} holds ${shown.label} candles (${whose} most common step between open ` +
          "times); nothing was written",
        offerShortest(s.openTime, shown.label) ??
          `give --interval ${shown.label}, or leave --interval out: a file's interval is read from its open times`,
      );
    }
    refuseShortSteps(s, interval ? gridOf(interval) : shown, interval !== undefined, path, whose);
  }
}

/**
 * Calendar months stamped off their first instant in UTC, all by one offset under a day: close times (each
 * month's last millisecond) or local month starts (UTC+8's at 16:00 UTC the day before). Their steps are
 * 28–31 days but not between month starts, so they read as "31d" candles with shorter steps, refused with a
 * hint to drop 5 months in 12 or to give `--interval 31d`, which no flag takes. Said as what they are.
 */
function refuseShiftedMonths(s: CandleSeries, path: string): void {
  const t = Array.from(s.openTime).filter(Number.isFinite);
  if (t.length < 3) return;
  if (!t.slice(1).every((v, i) => isMonthLong(v - t[i]))) return;
  // The offset from the nearest month start: this month's (d ≥ 0) or the next one's (d < 0).
  const d0 = new Date(t[0]);
  const starts = [
    Date.UTC(d0.getUTCFullYear(), d0.getUTCMonth(), 1),
    Date.UTC(d0.getUTCFullYear(), d0.getUTCMonth() + 1, 1),
  ];
  const shift = starts.map((m) => t[0] - m).find((d) => d !== 0 && Math.abs(d) < DAY_MS);
  if (shift === undefined) return;
  if (!t.every((v) => isMonthStart(v - shift))) return;
  const first = iso(t[0]);
  if (shift === -1) {
    throw new CommandError(
      `${s.symbol}'s monthly candles in ${path} are stamped like ${first}, 1 ms before a month begins: those ` +
        "are close times (each candle's last millisecond); nothing was written",
      "give each candle's open time (a Binance kline dump's first column, not its seventh, close_time)",
    );
  }
  throw new CommandError(
    `${s.symbol}'s monthly candles in ${path} open ${offsetText(Math.abs(shift))} ${
      shift < 0 ? "before" : "after"
    } each month begins in UTC (${first}, not ${iso(t[0] - shift)}): month starts in a local time zone, ` +
      "which months in UTC, as exchanges and candlecast count them, cannot be; nothing was written",
    "give open times in UTC (the 1st of each month, 00:00 UTC)",
  );
}

/**
 * The hint for a file whose most common step (`label`) has shorter ones beside it, every step a whole number of
 * the shortest (1h candles, then 4h ones): `--interval` its shortest step, the one it is accepted at; offering
 * its most common step led to the refusal of the steps shorter than that. Null for any other file.
 */
function offerShortest(openTimes: Float64Array, label: string): string | null {
  const name = stepName(shortestStep(openTimes)!);
  if (name === label || !isInterval(name) || !fitsWithGaps(openTimes, name)) return null;
  return `give --interval ${name}, its shortest step, of which every step is a whole number (its ${label} ` +
    "steps are then counted as gaps)";
}

/**
 * Two candles closer than one interval cannot both be candles of it, and a step shorter than the grid counts
 * no candle missing: 200 1h candles before 325 4h ones were collected as 4h with "no gaps", the 1h ones off the
 * 4h grid. Refused, naming how many such steps and the first; the hint offers `--interval` the shorter step
 * when the file can be that interval's candles with gaps (`fitsWithGaps`).
 */
function refuseShortSteps(s: CandleSeries, grid: Grid, given: boolean, path: string, whose: string): void {
  const short = shortSteps(s.openTime, grid);
  if (!short) return;
  const name = stepName(shortestStep(s.openTime)!);
  const steps =
    `${plural(short.count, "step")} between ${whose} open times ${short.count === 1 ? "is" : "are"} ` +
    `shorter than ${grid.label}`;
  throw new CommandError(
    `${
      given
        ? `--interval ${grid.label}: in ${path}, ${steps}`
        : `${path} holds ${grid.label} candles (${whose} most common step between open times), but ${steps}`
    } (the first: ${iso(short.from)} → ${iso(short.to)}, ${stepName(short.to - short.from)} apart): two ` +
      `candles less than ${grid.label} apart cannot both be ${grid.label} candles; nothing was written`,
    (isInterval(name) && fitsWithGaps(s.openTime, name)
      ? `one file holds one interval: collect the ${name} and ${grid.label} candles from separate files; if ` +
        `they are all ${name} candles with gaps, give --interval ${name}`
      : `one file holds one interval: leave out the candles less than ${grid.label} after the one before, or ` +
        "collect each interval from its own file") +
      // Lord Howe's half-hour daylight saving change made a 1h file step 30m; --interval 30m then collected
      // 1h candles as 30m ones with a gap at every step (a locale seat).
      "; local times step short where daylight saving ends: if that is the cause, convert them to UTC",
  );
}

/**
 * Says what putting a file's rows in time order changed (monthly dumps joined out of order, a day twice);
 * `unit` is what the file holds them as (a CSV's rows, an export's candles).
 */
export function remarkReordered(
  path: string,
  { moved, repeats }: TimeOrdered,
  print: (line: string) => void,
  unit: "row" | "candle" = "row",
): void {
  const done = [
    moved > 0 ? `${plural(moved, unit)} out of time order sorted into place` : "",
    repeats > 0
      ? `${plural(repeats, `repeated ${unit}`)} (${
        unit === "row" ? "the same candle" : "the same t and values"
      } again) dropped`
      : "",
  ].filter(Boolean);
  if (done.length > 0) print(`${path}: ${done.join("; ")}`);
}

/**
 * A file named for one interval (`SOLUSDT-1h.csv`) whose open times step by another is most often the wrong
 * download; its candles are still collected at the step they show (the file, not its name, is the data), and
 * this line says so before a model is trained on a time scale the user did not mean. `--interval` given is
 * checked by `refuseOtherInterval` instead.
 */
export function remarkNamedInterval(path: string, series: CandleSeries, print: (line: string) => void): void {
  const named = intervalFromFileName(path);
  const grid = inferGrid(series.openTime);
  // Equal steps of 28–31 days are not months: a file named 1M whose candles are 30 days apart (home-made
  // "monthly" buckets) gets the line too, where sameInterval (kept lenient for versions saved before a780cd7)
  // agreed with it and a model then recorded 30d.
  const months = named === "1M" || grid?.label === "1M";
  if (named === null || grid === null || (months ? named === grid.label : sameInterval(named, grid.label))) {
    return;
  }
  print(
    `warning: ${path} is named for ${named} candles, but its open times step ${grid.label}: collected as ` +
      `${grid.label}; check that it is the file you meant`,
  );
}
