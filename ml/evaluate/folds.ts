/**
 * Walk-forward folds by calendar time: the last N complete weeks or months of the data are test blocks, each
 * validated on the calendar months just before it (default 6) and trained on everything earlier. The split module purges `horizon`
 * windows at every cut, so no training or validation label looks into the block being tested, and no test
 * label looks into the next block.
 */
import { type CandleSeries, commonestStep } from "../../features/index.ts";
import { ReportedError } from "../../base/index.ts";

/** The values of `--retrain`; see `RetrainMode`. */
export const RETRAIN_MODES = ["weekly", "monthly", "none"] as const;
/**
 * `monthly`: month blocks, every model trained from scratch before each (issue #7's monthly retrain);
 * `weekly`: week blocks, trained from scratch before the first and fine-tuned on the new week before each next
 * one (issue #7's weekly `--incremental`); `none`: month blocks, trained once before the first and never again.
 */
export type RetrainMode = typeof RETRAIN_MODES[number];

/** What happens to a model before a fold is tested. */
export type FoldAction = "fit" | "update" | "keep";

export interface FoldPlan {
  readonly index: number;
  /** The test block's name: "2023-11" (month) or "2023-W46" (ISO week). */
  readonly label: string;
  /** ms since the epoch, UTC: validation is [validationStart, testStart), test is [testStart, testEnd). */
  readonly validationStart: number;
  readonly testStart: number;
  readonly testEnd: number;
  readonly action: FoldAction;
  readonly retrain: RetrainMode;
}

/**
 * Walk-forward folds that cannot be planned or cut: a fold count below 1, candles without open times, a fold
 * whose splits cannot be prepared.
 */
export class FoldError extends ReportedError {
  override name = "FoldError";
}

const DAY = 24 * 3600 * 1000;

function monthStart(t: number, add = 0): number {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + add, 1);
}

/** Monday 00:00 UTC of the ISO week containing t, moved by `add` weeks. */
function weekStart(t: number, add = 0): number {
  const day = Math.floor(t / DAY);
  const weekday = (new Date(day * DAY).getUTCDay() + 6) % 7; // Monday = 0
  return (day - weekday + 7 * add) * DAY;
}

function isoWeekLabel(start: number): string {
  const thursday = new Date(start + 3 * DAY);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY)) + 1;
  return `${year}-W${String(week).padStart(2, "0")}`;
}

function monthLabel(start: number): string {
  const d = new Date(start);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** The time just after the last candle of the data (its open time plus the usual candle spacing). */
export function dataEnd(series: readonly CandleSeries[]): number {
  let end = -Infinity;
  // A symbol of one candle (a pair listed yesterday) has no step of its own: it takes the data's. Before, its
  // NaN spoilt the end of every symbol, and the whole data was refused as having no open times.
  const shared = commonestStep(series.map((s) => s.openTime)) ?? NaN;
  for (const s of series) {
    if (s.length === 0) continue;
    if (s.openTime.some(Number.isNaN)) {
      throw new FoldError(
        `${s.symbol}: some candles have no open_time; walk-forward folds are calendar blocks and need it`,
      );
    }
    end = Math.max(end, s.openTime[s.length - 1] + (commonestStep([s.openTime]) ?? shared));
  }
  if (!Number.isFinite(end)) throw new FoldError("the data has no candles with open times");
  return end;
}

/** A block counts as complete when the data covers all but this share of it (a few missing final candles). */
export const COMPLETE_SHARE = 0.95;

/** `t` moved by `add` calendar months, the day of the month clamped to the target month's length. */
function addMonths(t: number, add: number): number {
  const d = new Date(t);
  const target = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + add, 1);
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + add + 1, 0)).getUTCDate();
  return target + (Math.min(d.getUTCDate(), lastDay) - 1) * DAY + (t - Date.UTC(
    d.getUTCFullYear(),
    d.getUTCMonth(),
    d.getUTCDate(),
  ));
}

/**
 * `plans` for a checkpoint kept as it is (`--retrain none`) that was trained on data up to `seenUntil`: the
 * baselines fit again at the first fold whose test block it never saw. Fit once at the first fold, they had
 * months less data than the checkpoint on the folds the verdict judges (those it never saw); fit there, they
 * have at least what it had. The checkpoint itself stays as it is (`turnAction`). Unchanged when every fold
 * is unseen or none is.
 */
export function refitAtFirstUnseen(plans: readonly FoldPlan[], seenUntil: number): FoldPlan[] {
  const first = plans.findIndex((p) => p.testStart > seenUntil);
  return plans.map((p) => (first > 0 && p.index === first ? { ...p, action: "fit" } : p));
}

/**
 * Months of validation before each test block. One month (3,580 windows of five 1h series) proved too few:
 * early stopping and the temperature followed that month's noise (ECE 0.036, bench/RESULTS.md § Model
 * quality, round 2), while a version validated on a whole year scored better on the same test months.
 */
export const DEFAULT_VALIDATION_MONTHS = 6;

/**
 * The last `folds` complete calendar blocks before `end`, oldest first, each validated on the
 * `validationMonths` months before it.
 */
export function planFolds(
  end: number,
  folds: number,
  retrain: RetrainMode,
  validationMonths = DEFAULT_VALIDATION_MONTHS,
): FoldPlan[] {
  if (!Number.isInteger(folds) || folds < 1) throw new FoldError("the number of folds must be at least 1");
  if (!Number.isInteger(validationMonths) || validationMonths < 1) {
    throw new FoldError("the validation block must be at least 1 month");
  }
  const weekly = retrain === "weekly";
  const start = (t: number, add: number) => weekly ? weekStart(t, add) : monthStart(t, add);
  // The block running at `end` is a fold only when the data covers (nearly) all of it.
  let lastStart = start(end - 1, 0);
  const lastEnd = start(lastStart, 1);
  if (end < lastStart + COMPLETE_SHARE * (lastEnd - lastStart)) lastStart = start(lastStart, -1);
  const plans: FoldPlan[] = [];
  for (let k = 0; k < folds; k++) {
    const testStart = start(lastStart, k - folds + 1);
    plans.push({
      index: k,
      label: weekly ? isoWeekLabel(testStart) : monthLabel(testStart),
      validationStart: addMonths(testStart, -validationMonths),
      testStart,
      testEnd: start(testStart, 1),
      action: k === 0 ? "fit" : retrain === "monthly" ? "fit" : retrain === "weekly" ? "update" : "keep",
      retrain,
    });
  }
  return plans;
}
