/**
 * What the training CSV covers in time, against current's data and the held-out days: where a version's data
 * ends, whether current already covers everything a weekly run could fine-tune on (and the summary that says
 * so), and a `--holdout-days` that leaves nothing before it to train on.
 */
import { type CandleSeries } from "../../features/index.ts";
import { utcDay } from "../../base/index.ts";
import { type DataEnds, symbolDataEnd } from "../../ml/checkpoints/index.ts";
import { UsageError } from "../errors.ts";
import { requireCandles as requireTrainingCandles } from "../flags.ts";

/** The newest candle a version was trained on among the given symbols, or null when unrecorded. */
export function dataEnd(data: DataEnds, series: readonly CandleSeries[]): number | null {
  const ends = series.map((s) => symbolDataEnd(data, s.symbol)).filter((t): t is number => t !== undefined);
  return ends.length > 0 ? Math.max(...ends) : data.end_ms;
}

/**
 * When a version's training data already reaches every candle of `series` (so `train --incremental` would find
 * no window labelled after it), where that data ends; null when some symbol has newer candles or the version
 * does not record where its data ends.
 */
export function coveredUntil(series: readonly CandleSeries[], data: DataEnds): number | null {
  for (const s of series) {
    const end = symbolDataEnd(data, s.symbol);
    if (end === undefined || (s.length > 0 && s.openTime[s.length - 1] > end)) return null;
  }
  return dataEnd(data, series);
}

/** The summary of a weekly run with nothing to fine-tune on (current already covers the data before the holdout). */
export function nothingToFineTune(
  current: string,
  covered: number,
  start: number,
  holdoutDays: number,
): string {
  const dates = `its data reaches ${utcDay(covered)}, they start ${utcDay(start)}`;
  return `retrain weekly: nothing to fine-tune: ${current} already covers the data before the held-out ` +
    `${holdoutDays} days (${dates}); kept it (weekly runs fine-tune once newer candles fall before the ` +
    "held-out days; 'retrain --mode monthly' trains from scratch)";
}

/**
 * A training CSV with no candles (a header alone, as a collect stopped before its first page leaves one): retrain
 * collects by the symbols already in it and holds out days by their times. Unchecked, it failed on the
 * newest of no candles: "unexpected failure: Invalid time value … this is a bug", exit 1.
 */
export function requireCandles(
  series: readonly CandleSeries[],
  data: string,
  /** The candles to collect: `--interval`, else current's; 1h when neither is known. */
  interval: string | null = null,
): void {
  // Current's interval, not always 1h: a 30m model's store filled with 1h candles would then be refused as
  // another interval than current's.
  requireTrainingCandles(series, data, "retrain", {
    why: "retrain extends and trains on the candles in it",
    interval,
  });
}

/**
 * Days are held out by open time, and the collect starts at the newest one: without times there is nothing to
 * hold out or to collect after. Checked before the collect too: unchecked there, a file without open times
 * failed on the start date of the newest of none, "unexpected failure: Invalid time value … this is a bug".
 */
export function requireOpenTimes(series: readonly CandleSeries[], data: string): void {
  if (series.every((s) => s.openTime.every(Number.isFinite))) return;
  throw new UsageError(
    `${data} has candles without open times, and retrain holds out the newest --holdout-days by open time`,
    'collect the candles with their open times (the C# export\'s "t"), or train by hand with ' +
      "'candlecast train'",
  );
}

/**
 * `--holdout-days` reaching back to the oldest candle leaves nothing before the held-out days to train on.
 * Unchecked, monthly's train step failed blaming its lookback and weekly kept current as "covering" data up to
 * a date before the data began: the flag's value is what is wrong (exit 2), said against the data's span.
 */
export function holdoutOverAllData(
  series: readonly CandleSeries[],
  holdoutDays: number,
  data: string,
): UsageError {
  const oldest = Math.min(...series.map((s) => s.openTime[0]));
  const newest = Math.max(...series.map((s) => s.openTime[s.length - 1]));
  const spanDays = (newest - oldest) / 86_400_000;
  // The default when the data is long enough, else a fifth of the span: whole days where that is a day or
  // more, else a fraction (a suggested 1 day failed the same way on data spanning less than a day).
  const fifth = spanDays / 5;
  const smaller = fifth >= 1 ? Math.min(14, Math.floor(fifth)) : +fifth.toPrecision(1);
  return new UsageError(
    `--holdout-days ${holdoutDays} covers all of the data: ${data} spans ${+spanDays.toFixed(1)} days ` +
      `(${utcDay(oldest)} → ${utcDay(newest)}), so no candle is left before the held-out days to train on`,
    smaller > 0
      ? `hold out fewer days than the data spans, e.g. --holdout-days ${smaller}, or collect a longer history`
      : "collect a longer history: each symbol has a single candle",
  );
}
