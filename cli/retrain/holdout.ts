/**
 * The held-out days checked before anything is trained: where their labelled windows fall (how many, on how
 * many days, in how many of the held-out difference's blocks), the fewest `--holdout-days` that hold enough,
 * and `--holdout-days` that can decide nothing refused (exit 2). The scoring itself is `ml/evaluate`'s
 * (`holdout.ts` there).
 */
import { type CandleSeries, commonestStep, intervalOf, windowEnds } from "../../features/index.ts";
import { plural } from "../../base/index.ts";
import type { WindowShape } from "../../ml/data/index.ts";
import {
  BLOCK_HORIZONS,
  holdoutBlockDays,
  holdoutStart,
  minimumBlocks,
  timeBlocks,
} from "../../ml/evaluate/index.ts";
import { UsageError } from "../errors.ts";

const DAY = 86_400_000;

/** `holdoutBlockDays` of the series' own candles. */
function blockDaysOf(series: readonly CandleSeries[], horizon: number): number {
  return holdoutBlockDays(commonestStep(series.map((s) => s.openTime)), horizon);
}

/** What the held-out windows fill: how many, on how many days, in how many blocks of `blockDays` days. */
export interface HoldoutCoverage {
  readonly windows: number;
  readonly days: number;
  readonly blocks: number;
  readonly blockDays: number;
}

/**
 * Where the held-out windows of `days` would fall, known before anything is trained: how many labelled windows
 * there are (each symbol's, whose last candle opens at or after `holdoutStart`), how many whole days they fill
 * and in how many of `heldOutDifference`'s blocks (a day each, or several on coarse candles:
 * `holdoutBlockDays`). A label lies `horizon` candles after its window, so on coarse candles the newest days
 * hold none: 14 days of 1w candles, horizon 4, hold no window with a label yet, and 7 days of 1d candles hold
 * windows on 4 days only.
 */
export function holdoutCoverage(
  series: readonly CandleSeries[],
  days: number,
  shape: Pick<WindowShape, "lookback" | "horizon">,
): HoldoutCoverage {
  const blockDays = blockDaysOf(series, shape.horizon);
  return coverageOf(labelledTimes(series, shape), holdoutStart(series, days), blockDays);
}

/**
 * The fewest whole `--holdout-days` whose labelled windows fill at least `blocks` of `heldOutDifference`'s
 * blocks (1: any window at all), below what leaves nothing before them to train on; null when no such number
 * of days does.
 */
export function fewestHoldoutDays(
  series: readonly CandleSeries[],
  shape: Pick<WindowShape, "lookback" | "horizon">,
  blocks: number,
): number | null {
  const times = labelledTimes(series, shape);
  const blockDays = blockDaysOf(series, shape.horizon);
  const oldest = Math.min(...series.map((s) => s.openTime[0]));
  const newest = Math.max(...series.map((s) => s.openTime[s.length - 1]));
  for (let days = 1; newest - days * DAY > oldest; days++) {
    if (coverageOf(times, newest - days * DAY, blockDays).blocks >= blocks) return days;
  }
  return null;
}

/**
 * `--holdout-days` that can decide nothing, refused before anything is trained (exit 2): held-out days holding
 * no labelled window (before: the candidate was trained, then "no labelled windows in the held-out 14 days",
 * exit 1, every run on 1w candles), or, under `clearly-better` with a current to beat, windows in fewer blocks
 * than a clear win is judged from (before: 1d candles with --holdout-days 7 trained a candidate each week and
 * kept current, exit 0, "over 4 days: too few days to judge"). Without a current the candidate is promoted
 * whatever it scores, so only the first condition applies.
 */
export function requireHoldoutWindows(
  series: readonly CandleSeries[],
  shape: Pick<WindowShape, "lookback" | "horizon">,
  opts: {
    readonly holdoutDays: number;
    readonly promoteIf: string;
    readonly data: string;
    /** Whether there is a current model for the candidate to beat. */
    readonly compared: boolean;
  },
): void {
  const { windows, days, blocks, blockDays } = holdoutCoverage(series, opts.holdoutDays, shape);
  const needed = opts.compared && opts.promoteIf === "clearly-better" ? minimumBlocks(0.95) : 1;
  if (blocks >= needed) return;
  if (windows === 0 && labelledTimes(series, shape).length === 0) throw windowOverData(series, shape, opts);
  const interval = intervalOf(series.map((s) => s.openTime));
  const candles = `${interval === null ? "" : `${interval} `}candles`;
  const label = `a window's label is the close ${plural(shape.horizon, "candle")} after its last one`;
  const fewest = fewestHoldoutDays(series, shape, needed);
  // Weekly's default or typed, the flag is the same: named as such, not guessed at.
  const rule = `--promote-if ${opts.promoteIf}${
    opts.promoteIf === "clearly-better" ? " (weekly runs' default)" : ""
  }`;
  // Blocks of several days (coarse candles) are what the interval counts, so the message counts them too.
  const span = BLOCK_HORIZONS === 2 ? "twice that" : `${BLOCK_HORIZONS} times that`;
  const [judged, held] = blockDays === 1 ? [`${needed} held-out days`, `windows on ${days}`] : [
    `${needed} blocks of ${blockDays} held-out days`,
    `windows on ${plural(days, "day")}, in ${plural(blocks, "block")}`,
  ];
  const because = blockDays === 1 ? label : `${label}; a block spans ${span}`;
  const message = windows === 0
    ? `--holdout-days ${opts.holdoutDays}: the held-out days of ${opts.data} hold no labelled window to score ` +
      `a candidate on: ${label}, and on these ${candles} none of the newest ${opts.holdoutDays} days has one yet`
    : `--holdout-days ${opts.holdoutDays}: ${rule} promotes only a clear win, judged from at least ${judged} ` +
      `with labelled windows, and on these ${candles} (${because}) the newest ${opts.holdoutDays} days hold ` +
      `${held}; it could never promote`;
  const also = windows > 0 ? ", or pass --promote-if not-worse" : "";
  throw new UsageError(
    message,
    fewest !== null
      ? `hold out ${fewest} days or more (--holdout-days ${fewest})${also}`
      : `collect a longer history${also}`,
  );
}

/**
 * Data that holds no labelled window anywhere, held out or not: a window (lookback and label) longer than any
 * symbol's candles, or than its run of candles with indicators. Before, this read as coarse candles whose
 * newest days hold no label yet ("none of the newest 14 days has one yet"), for `--lookback 3000` on 2,160
 * candles a symbol (a seat's trial).
 */
function windowOverData(
  series: readonly CandleSeries[],
  shape: Pick<WindowShape, "lookback" | "horizon">,
  opts: { readonly holdoutDays: number; readonly data: string },
): UsageError {
  const longest = Math.max(...series.map((s) => s.length));
  const span = shape.lookback + shape.horizon;
  const why = span > longest
    ? `longer than the data: its longest symbol holds ${plural(longest, "candle")}`
    : `and no symbol holds that many candles in a row with their indicators (the longest holds ${
      plural(longest, "candle")
    })`;
  return new UsageError(
    `--holdout-days ${opts.holdoutDays}: ${opts.data} holds no labelled window at all, held out or not: a ` +
      `window of lookback ${shape.lookback} with its label the close ${plural(shape.horizon, "candle")} ` +
      `after it spans ${span.toLocaleString("en-US")} candles, ${why}`,
    "train with a shorter --lookback (--train-args of a monthly run), or collect a longer history",
  );
}

/** Open times of the last candles of every symbol's labelled windows, newest first. */
function labelledTimes(
  series: readonly CandleSeries[],
  shape: Pick<WindowShape, "lookback" | "horizon">,
): Float64Array {
  const times: number[] = [];
  for (const s of series) {
    for (const t of windowEnds(s, shape).ends) times.push(s.openTime[t]);
  }
  return Float64Array.from(times).sort().reverse();
}

function coverageOf(newestFirst: Float64Array, start: number, blockDays: number): HoldoutCoverage {
  let windows = 0;
  while (windows < newestFirst.length && newestFirst[windows] >= start) windows++;
  const held = newestFirst.subarray(0, windows);
  const count = (ms: number) => (windows === 0 ? 0 : new Set(timeBlocks(held, ms)).size);
  return { windows, days: count(DAY), blocks: count(blockDays * DAY), blockDays };
}
