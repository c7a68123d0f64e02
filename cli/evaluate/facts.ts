/**
 * What an evaluation records about how it was made: evaluation.json's `settings` (`evaluationSettings`) and
 * report.html's facts (`evaluationFacts`), so a reader can tell which data, model, folds and code made its
 * numbers.
 */
import { type CandleSeries, describeLabelRule, seriesInterval } from "../../features/index.ts";
import { plural } from "../../base/index.ts";
import { VERSION } from "../../engine/index.ts";
import { runConfigJson } from "../../ml/train/index.ts";
import type { EvaluationSummary, FoldPlan } from "../../ml/evaluate/index.ts";
import type { EvaluateOptions } from "./options.ts";
import type { Subject } from "./subject.ts";
import { describeData, seriesSpan } from "./fold_checks.ts";

/** "2023-08" for one fold, "2023-07 … 2023-09" for several. */
export const foldSpan = (plans: readonly FoldPlan[]) =>
  plans.length === 1 ? plans[0].label : `${plans[0].label} … ${plans.at(-1)!.label}`;

/**
 * evaluation.json's `settings`: the flags as given, with what they resolved to (`workers`: the cores the folds
 * trained on; the run configuration, seed and retrain mode the subject used) and which data made the numbers.
 */
export function evaluationSettings(
  opts: EvaluateOptions,
  subject: Subject,
  series: readonly CandleSeries[],
  /** sha256 of --data as read. */
  dataSha256: string,
  /** The cores the folds trained on (`trainingCores`). */
  workers: number,
  learners: readonly string[],
) {
  return {
    ...opts,
    // Resolved: absent, it read as nothing, though the default is the machine's and the networks' weights
    // depend on it up to float rounding.
    workers,
    config: runConfigJson(subject.recorded ?? subject.config),
    // What seeded the baselines and the bootstrap (a kept checkpoint's config records its own training's).
    seed: subject.config.training.seed,
    retrain: subject.retrain,
    // Which data made these numbers (a script comparing runs read a relative path alone): the file's bytes
    // and the candles' span; report.html's facts say the same.
    data_sha256: dataSha256,
    data_span: dataSpan(series),
    // The candles lookback and horizon count, as a version's manifest records it (null: no open times).
    interval: seriesInterval(series),
    lookback: subject.shape.lookback,
    horizon: subject.shape.horizon,
    label_rule: subject.shape.labelRule,
    clip: subject.clip,
    learners: [...learners],
  };
}

/** `seriesSpan` for evaluation.json: open times as UTC ISO strings (null without times). */
function dataSpan(
  series: readonly CandleSeries[],
): { candles: number; first: string | null; last: string | null } {
  const { candles, first, last } = seriesSpan(series);
  const iso = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString() : null);
  return { candles, first: iso(first), last: iso(last) };
}

/** What report.html's facts are made of, once the folds ran. */
export interface FactsOf {
  readonly opts: EvaluateOptions;
  readonly series: readonly CandleSeries[];
  readonly subject: Subject;
  readonly plans: readonly FoldPlan[];
  /** How many of `plans` finished. */
  readonly foldsDone: number;
  readonly summary: EvaluationSummary;
  /** Whether the lightweight_lstm baseline network ran. */
  readonly lightweight: boolean;
  /** The cores the folds trained on (`trainingCores`). */
  readonly workers: number;
  /** The run's length so far. */
  readonly seconds: number;
  /** The source commit (`sourceCommit`), when the code runs from a git checkout. */
  readonly commit: string | null;
}

/** report.html's facts: the data, the subject's own, the folds, windows, budget, calibration and run time. */
export function evaluationFacts(f: FactsOf): [string, string][] {
  const { opts, subject, plans } = f;
  const facts: [string, string][] = [
    ["data", `${opts.data}: ${describeData(f.series)}`],
    ...subject.facts,
    [
      "folds",
      `${plans.length} × ${subject.retrain === "weekly" ? "week" : "month"} (${
        foldSpan(plans)
      }), retrain ${subject.retrain}; each validated on the ${
        plural(opts.validationMonths, "month")
      } before, horizon purged at every cut`,
    ],
    [
      "windows",
      `lookback ${subject.shape.lookback}, horizon ${subject.shape.horizon}, labels ${
        describeLabelRule(subject.shape.labelRule)
      }`,
    ],
    ["training budget", trainingBudget(subject, f.lightweight, f.workers)],
    [
      "calibration",
      "neural models: logits − ln(class weight), then ÷ a temperature fit on each fold's validation block " +
      "(a checkpoint kept as it is uses its own temperature)",
    ],
    [
      "run time",
      `${(f.seconds / 60).toFixed(1)} min, candlecast ${VERSION}` +
      (f.commit ? ` (commit ${f.commit.slice(0, 12)})` : ""),
    ],
  ];
  const { partial } = f.summary;
  if (partial) {
    facts.unshift([
      "interrupted",
      `only ${plural(f.foldsDone, "fold")} of ${plans.length} finished (${partial.folds_done.join(", ")}); ${
        partial.folds_missing.join(", ")
      } did not run. Every number covers the finished ` +
      "folds only.",
    ]);
  }
  return facts;
}

/**
 * The networks' training budget in words. A checkpoint kept as it is trains nothing: the budget is then the
 * baseline network's, if one runs (not the checkpoint's, with a typed --seed it never had).
 */
function trainingBudget(subject: Subject, lightweight: boolean, workers: number): string {
  const t = subject.config.training;
  const budget = `${t.epochs} epochs × ≤ ${t.maxWindowsPerEpoch.toLocaleString("en-US")} windows ` +
    `(≤ ${Math.round(t.epochFraction * 100)} % of the training set), patience ` +
    `${t.patience}, batch ${t.batchSize}, lr ${t.learningRate}, class weights ${t.classWeighting}, ` +
    `seed ${t.seed}, ${plural(workers, "core")} (--workers)`;
  return !subject.recorded
    ? budget
    : lightweight
    ? `the lightweight_lstm baseline's (the checkpoint is not trained): ${budget}`
    : "none: the checkpoint is kept as it is, and no baseline network runs";
}
