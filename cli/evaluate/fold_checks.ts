/**
 * Refusals said before any training starts: folds that cannot be planned (`planFoldsOrExplain`), folds that
 * leave nothing to train on (`checkRoomToTrain`) and a fold without a test window (`checkTestWindows`), each
 * naming the flags or the data that would work.
 */
import { type CandleSeries, commonestStep, seriesInterval } from "../../features/index.ts";
import { plural, utcDay } from "../../base/index.ts";
import { CommandError, UsageError } from "../errors.ts";
import {
  dataEnd,
  FEW_TRAINING_WINDOWS,
  FoldError,
  type FoldPlan,
  foldWindows,
  planFolds,
} from "../../ml/evaluate/index.ts";
import type { EvaluateOptions } from "./options.ts";
import type { Subject } from "./subject.ts";

/**
 * The calendar folds the flags ask for (`planFolds`), back from the data's end. The flags' ranges are checked
 * before, so a refusal left here is of data without open times: said with what to do.
 */
export function planFoldsOrExplain(
  series: readonly CandleSeries[],
  subject: Pick<Subject, "retrain">,
  opts: EvaluateOptions,
): FoldPlan[] {
  try {
    return planFolds(dataEnd(series), opts.folds, subject.retrain, opts.validationMonths);
  } catch (error) {
    if (error instanceof FoldError) {
      throw new CommandError(
        error.message,
        error.hint ??
          `collect ${opts.data} again with its open times (a C# export's "t", a CSV's open_time column); ` +
            "'candlecast train' takes such data, split per symbol, but evaluate's folds are calendar months or weeks",
      );
    }
    throw error;
  }
}

/**
 * The first fold trains on what comes before its validation block, which starts `--validation-months` months
 * before its test block, `--folds` blocks from the end: when that leaves nothing, the error names both flags
 * and the values that would fit, before any training starts.
 */
export function checkRoomToTrain(
  series: readonly CandleSeries[],
  plans: readonly FoldPlan[],
  subject: Subject,
  opts: EvaluateOptions,
): void {
  const first = plans[0];
  if (foldWindows(series, first, subject.shape).train > 0) return;
  const end = dataEnd(series);
  const begins = Math.min(...series.map((s) => s.openTime[0]));
  // Folds are whole months (weeks), the last one the data nearly covers: data shorter than a block has none
  // at all, and naming a fold before the data began would only confuse.
  const last = plans[plans.length - 1];
  if (last.testStart < begins) {
    const block = subject.retrain === "weekly" ? "week" : "month";
    throw new CommandError(
      `the data (${utcDay(begins)} … ${
        utcDay(end)
      }) holds no complete ${block} to test on: evaluate tests on ` +
        `whole ${block}s, each after ${
          plural(opts.validationMonths, "month")
        } of validation and some training`,
      `use a CSV with more history (at least ${
        opts.validationMonths + 2
      } months for one fold), or 'candlecast ` +
        "train' with --split-dates for a single split",
    );
  }
  // The counts suggested leave the first fold a training set worth the name where any do (FEW_TRAINING_WINDOWS,
  // as train notes): "the most that leave training data" once gave a first fold of 46 windows,
  // whose model was no more than the class shares and was pooled into the verdict.
  const trainWindows = (folds: number, months: number) =>
    foldWindows(series, planFolds(end, folds, subject.retrain, months)[0], subject.shape).train;
  // One fold after one month of validation leaves the most training windows: if not that many, any will do.
  const least = trainWindows(1, 1) >= FEW_TRAINING_WINDOWS ? FEW_TRAINING_WINDOWS : 1;
  const fits = (folds: number, months: number) => trainWindows(folds, months) >= least;
  const dataStart = begins;
  let months = opts.validationMonths - 1;
  while (months >= 1 && !fits(opts.folds, months)) months--;
  let folds = opts.folds - 1;
  while (folds >= 1 && !fits(folds, opts.validationMonths)) folds--;
  const options = [
    months >= 1 ? `--validation-months ${months}` : "",
    folds >= 1 ? `--folds ${folds}` : "",
  ].filter(Boolean);
  // Neither alone may do where both together do (four months of candles: one fold, one month): the most folds
  // first, then the longest validation.
  for (let f = opts.folds - 1; options.length === 0 && f >= 1; f--) {
    for (let m = opts.validationMonths - 1; m >= 1; m--) {
      if (fits(f, m)) {
        options.push(`--folds ${f} --validation-months ${m}`);
        break;
      }
    }
  }
  // Fewer folds or months would do: a usage error (2), as the other refusals that other flags fix.
  const refusal = options.length > 0 ? UsageError : CommandError;
  throw new refusal(
    `nothing to train on before the first fold: fold ${first.label} (test from ${
      utcDay(first.testStart)
    }) is ` +
      `validated on the ${plural(opts.validationMonths, "month")} before it (--validation-months ` +
      `${opts.validationMonths}), from ${utcDay(first.validationStart)}, and the data begins ${
        utcDay(dataStart)
      }` +
      `, too late for a training window of lookback ${subject.shape.lookback} + horizon ${subject.shape.horizon}`,
    options.length > 0
      ? `use ${options.join(" or ")} (the most that leave ${
        least > 1 ? `at least ${least.toLocaleString("en-US")} training windows` : "training data"
      }), or a CSV with more history (fewer validation months make early stopping and the temperature ` +
        "noisier: docs/evaluate.md)"
      : "use a CSV with more history: even one fold with one month of validation leaves nothing to train on",
  );
}

/** "no 1w candle", "a single 1M candle", "only 3 1w candles": digits beside an interval's digits read badly. */
function howMany(n: number, candle: string): string {
  if (n === 0) return `no ${candle}`;
  if (n === 1) return `a single ${candle}`;
  return `only ${plural(n, candle)}`;
}

/**
 * Every fold must hold test windows: a window is tested when its label candle, `horizon` candles after its
 * last one, opens inside the block, so a month of 1w candles (4–5 of them) at horizon 4 holds almost none.
 * Before, evaluate trained every learner on the first fold and then stopped at the next with "the test split
 * has no windows", and its hint (--retrain weekly, more history) could not help. Said before any training.
 */
export function checkTestWindows(
  series: readonly CandleSeries[],
  plans: readonly FoldPlan[],
  subject: Subject,
  opts: EvaluateOptions,
): void {
  const empty = plans.find((plan) => foldWindows(series, plan, subject.shape).test === 0);
  if (!empty) return;
  const block = subject.retrain === "weekly" ? "week" : "month";
  const step = commonestStep(series.map((s) => s.openTime));
  const interval = seriesInterval(series);
  // Month candles have no fixed step: their commonest one is 31 days, which a 30-day month divided into
  // "holds only 0 1M candles". A month block holds one of them, a week block none.
  const perBlock = interval === "1M"
    ? (block === "month" ? 1 : 0)
    : step === null
    ? NaN
    : Math.floor((empty.testEnd - empty.testStart) / step);
  const where = `fold ${empty.label} (test ${utcDay(empty.testStart)} … ${
    utcDay(empty.testEnd)
  }) holds no test window`;
  const { horizon } = subject.shape;
  if (perBlock <= horizon) {
    const candle = interval === null ? "candle" : `${interval} candle`;
    // Month blocks are 28–31 days: the shortest holds this many candles.
    const perMonth = interval === "1M" ? 1 : step === null ? NaN : Math.floor(28 * 86_400_000 / step);
    // A usage error (2), as retrain's refusal of too few held-out days: no history fixes it; other flags
    // or another command do, and the hint names them.
    throw new UsageError(
      `${where}: a window is tested when its label candle, ${
        plural(horizon, "candle")
      } after its last one, ` +
        `opens in the same ${block}, and a ${block} holds ${howMany(perBlock, candle)}`,
      `evaluate tests whole ${block}s; on ${
        interval ?? "these"
      } candles score one split with 'candlecast train ` +
        `--split-dates VALIDATION_START,TEST_START'` +
        (opts.checkpoint || perBlock < 2 ? "" : `, or look fewer candles ahead (--horizon ${perBlock - 1})`) +
        (subject.retrain === "weekly" && perMonth > horizon
          ? ", or use --retrain monthly (month blocks)"
          : ""),
    );
  }
  throw new CommandError(
    `${where}: its candles are too few or missing (${describeData(series)})`,
    "use fewer --folds, or a CSV with more history",
  );
}

/**
 * The candles in a few words: "5 symbols, 10,840 1h candles, 2023-01-01 … 2023-12-31". The interval is named:
 * lookback, horizon and the backtest's holding period count candles, and a report of 30m candles read as one
 * of 1h (evaluate named it nowhere).
 */
export function describeData(series: readonly CandleSeries[]): string {
  const { first, last, candles } = seriesSpan(series);
  const interval = seriesInterval(series);
  return `${plural(series.length, "symbol")}, ${
    plural(candles, interval === null ? "candle" : `${interval} candle`)
  }, ` +
    `${utcDay(first)} … ${utcDay(last)}`;
}

/** The candles read: how many, and the first and last open time over every symbol (ms; NaN without times). */
export function seriesSpan(
  series: readonly CandleSeries[],
): { candles: number; first: number; last: number } {
  return {
    candles: series.reduce((n, s) => n + s.length, 0),
    first: Math.min(...series.map((s) => s.openTime[0])),
    last: Math.max(...series.map((s) => s.openTime[s.length - 1])),
  };
}
