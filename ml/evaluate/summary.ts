/**
 * From walk-forward outcomes to the numbers users read: scores per fold and pooled over all folds for the model
 * and every baseline, the best baseline (lowest pooled log-loss), a block-bootstrap interval for the model's
 * difference to it, the backtest of both against buy-and-hold, and a plain-words verdict.
 */
import { type CandleSeries, commonestStep } from "../../features/index.ts";
import {
  argmax3,
  blockCalibrationFloor,
  calibrationOf,
  computeMetrics,
  LOG_LOSS_FLOOR,
  MIN_FLOOR_BLOCKS,
} from "../metrics/index.ts";
import { blockBootstrap, BOOTSTRAP_BLOCK_CANDLES, timeBlocks } from "./bootstrap.ts";
import { type PredictionSet, scorePredictions, type Scores } from "./scores.ts";
import type { DecisionRule } from "../../engine/index.ts";
import type { FoldOutcome } from "./walk_forward.ts";
import type {
  BlendSummary,
  EvaluationSummary,
  FitSummary,
  FoldResult,
  InSample,
  SummaryOptions,
  SymbolScores,
} from "./summary_types.ts";
import { foldList, verdictOf } from "./verdict.ts";
import { backtestSection, type WindowPlaces } from "./summary_backtest.ts";

export { thinCurve } from "./summary_backtest.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** What happened to a learner before a fold, in words: "trained", "fine-tuned" or "as is". */
export function fitAction(fit: FitSummary | null): string {
  return fit === null ? "as is" : fit.fine_tuned ? "fine-tuned" : "trained";
}

function pool(outcomes: readonly FoldOutcome[], name: string): PredictionSet {
  const parts = outcomes.map((o) => o.predictions[name]);
  const n = parts.reduce((s, p) => s + p.returns.length, 0);
  const probabilities = new Float32Array(n * 3),
    returns = new Float64Array(n),
    priorClasses = new Int8Array(n);
  const ruled = parts.some((p) => p.classes !== undefined);
  const classes = ruled ? new Int8Array(n) : undefined;
  let at = 0;
  for (const p of parts) {
    const m = p.returns.length;
    probabilities.set(p.probabilities, at * 3);
    returns.set(p.returns, at);
    priorClasses.set(p.priorClasses, at);
    if (classes) {
      for (let i = 0; i < m; i++) {
        classes[at + i] = p.classes ? p.classes[i] : argmax3(p.probabilities, i * 3);
      }
    }
    at += m;
  }
  return { probabilities, returns, priorClasses, classes };
}

function concat<T extends Int8Array | Int32Array | Float64Array>(
  parts: readonly T[],
  make: (n: number) => T,
): T {
  const out = make(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p as never, at);
    at += p.length;
  }
  return out;
}

/**
 * The classes a learner names under `rule`: a rule-based baseline's own (it has no probabilities worth
 * re-ruling), else the prior rule's or the argmax.
 */
function namedClasses(p: PredictionSet, rule: DecisionRule): Int8Array {
  if (p.classes) return p.classes;
  return rule === "prior"
    ? p.priorClasses
    : Int8Array.from({ length: p.returns.length }, (_, i) => argmax3(p.probabilities, i * 3));
}

/** A learner's pooled macro-F1 on the classes `namedClasses` gives under `rule`. */
function macroF1Under(scores: Scores, p: PredictionSet, rule: DecisionRule): number {
  return rule === "prior" && !p.classes ? scores.prior_rule.macro_f1 : scores.metrics.macro_f1;
}

function perSymbol(
  series: readonly CandleSeries[],
  seriesIndex: Int32Array,
  truth: { labels: Int8Array; returns: Float64Array },
  pooled: Readonly<Record<string, PredictionSet>>,
): SymbolScores[] {
  return series.flatMap((s, k) => {
    const rows: number[] = [];
    for (let i = 0; i < seriesIndex.length; i++) if (seriesIndex[i] === k) rows.push(i);
    // A symbol with no test window (delisted before the folds, listed during the last one) has no scores: it
    // is left out here, before scoring, where scoring nothing ended the whole evaluation after every fold.
    if (rows.length === 0) return [];
    const labels = Int8Array.from(rows, (i) => truth.labels[i]);
    const zeros = new Float64Array(rows.length);
    const scores = Object.fromEntries(
      Object.entries(pooled).map(([name, p]) => {
        const probabilities = new Float32Array(rows.length * 3);
        rows.forEach((i, j) => probabilities.set(p.probabilities.subarray(i * 3, i * 3 + 3), j * 3));
        const classes = p.classes && Int8Array.from(rows, (i) => p.classes![i]);
        const m = computeMetrics(labels, probabilities, zeros, zeros, classes);
        return [name, { accuracy: m.accuracy, macro_f1: m.macro_f1, log_loss: m.log_loss }];
      }),
    );
    return [{ symbol: s.symbol, windows: rows.length, scores }];
  });
}

/**
 * Which folds a model trained up to `trainedUntil` has seen, or null when none. A fold is in-sample when that
 * data end reaches into its test block (`trainedUntil` ≥ the block's start): the model was then fit on candles
 * the fold scores it on. The horizon moves nothing: a version's labels look `horizon` candles ahead but never
 * past its own data end (its last `horizon` candles have no label), and the validation block before a test
 * block is not what a kept checkpoint is scored on.
 */
export function inSampleFolds(
  model: string,
  folds: readonly Pick<FoldResult, "label" | "test_start">[],
  trainedUntil: number | undefined,
): InSample | null {
  if (trainedUntil === undefined) return null;
  const seen = folds.filter((f) => Date.parse(f.test_start) <= trainedUntil);
  if (seen.length === 0) return null;
  const until = iso(trainedUntil);
  const fresh = folds.filter((f) => Date.parse(f.test_start) > trainedUntil).map((f) => f.label);
  const labels = seen.map((f) => f.label);
  return {
    trained_until: until,
    folds: labels,
    message: `${model} was trained on data up to ${until.slice(0, 10)}, after fold ${seen[0].label} begins ` +
      `(${seen[0].test_start.slice(0, 10)}): its scores on ${
        fresh.length === 0 ? (folds.length === 1 ? "that fold" : "every fold") : foldList(labels)
      } are in-sample and say nothing about new data. ` +
      (fresh.length === 0
        ? "Evaluate on folds after that date (a CSV with newer candles), or without --checkpoint to train " +
          "fresh models in the folds."
        : `The verdict is judged on ${foldList(fresh)} only.`),
  };
}

/**
 * The folds' blends (`WalkForwardOptions.blend`, each with its own temperature) pooled and scored, with bootstrap
 * intervals against both parts (the same blocks and seed as the model's); null unless every fold has one.
 */
function blendOf(
  labels: Int8Array,
  outcomes: readonly FoldOutcome[],
  pooled: Readonly<Record<string, PredictionSet>>,
  model: string,
  blocks: Int32Array,
  opts: Pick<SummaryOptions, "seed" | "resamples" | "blend">,
): BlendSummary | null {
  const spec = opts.blend;
  if (!spec || spec.model !== model || !pooled[spec.with] || outcomes.some((o) => !o.blend)) return null;
  const probabilities = new Float32Array(labels.length * 3);
  let at = 0;
  for (const o of outcomes) {
    probabilities.set(o.blend!.probabilities, at);
    at += o.blend!.probabilities.length;
  }
  const argmax = (p: Float32Array) => Int8Array.from({ length: labels.length }, (_, i) => argmax3(p, i * 3));
  const mixed = { probabilities, classes: argmax(probabilities) };
  const versus = (p: Float32Array) =>
    blockBootstrap(labels, mixed, { probabilities: p, classes: argmax(p) }, blocks, {
      seed: opts.seed,
      resamples: opts.resamples,
    }).log_loss_diff;
  let loss = 0;
  // Floored as every other log-loss and the bootstrap beside it are: at 1e-15 a blend that gave a realised class
  // ~0 scored up to 34.5 for it where its interval's difference counted 16.1.
  for (let i = 0; i < labels.length; i++) {
    loss -= Math.log(Math.max(probabilities[i * 3 + labels[i]], LOG_LOSS_FLOOR));
  }
  return {
    with: "gradient_boosting",
    weight: spec.weight,
    temperatures: outcomes.map((o) => o.blend!.temperature),
    boosting_temperatures: outcomes.map((o) => o.blend!.withTemperature),
    log_loss: loss / labels.length,
    ece: calibrationOf(probabilities, labels).ece,
    log_loss_diff: {
      gradient_boosting: versus(pooled[spec.with].probabilities),
      model: versus(pooled[model].probabilities),
    },
  };
}

/** Every fold's test windows end to end, in fold order: what happened, and where and when each window is. */
interface PooledWindows extends WindowPlaces {
  readonly truth: { readonly labels: Int8Array; readonly returns: Float64Array };
  /** Each window's last open time (ms), which the bootstrap's blocks are cut by. */
  readonly times: Float64Array;
}

function pooledWindows(outcomes: readonly FoldOutcome[]): PooledWindows {
  const truth = {
    labels: concat(outcomes.map((o) => o.test.labels), (n) => new Int8Array(n)),
    returns: concat(outcomes.map((o) => o.test.returns), (n) => new Float64Array(n)),
  };
  const seriesIndex = concat(outcomes.map((o) => o.test.seriesIndex), (n) => new Int32Array(n));
  const ends = concat(outcomes.map((o) => o.test.ends), (n) => new Int32Array(n));
  const times = concat(outcomes.map((o) => o.test.times), (n) => new Float64Array(n));
  return { truth, seriesIndex, ends, times };
}

/** Each fold as the summary reports it: its dates and windows, every learner's scores and fit, the priors. */
function foldResults(outcomes: readonly FoldOutcome[], names: readonly string[]): FoldResult[] {
  return outcomes.map((o) => ({
    index: o.plan.index,
    label: o.plan.label,
    validation_start: iso(o.plan.validationStart),
    test_start: iso(o.plan.testStart),
    test_end: iso(o.plan.testEnd),
    action: o.plan.action,
    windows: o.windows,
    scores: Object.fromEntries(names.map((n) => [n, scorePredictions(o.test, o.predictions[n])])),
    fits: Object.fromEntries(names.map((n) => {
      const f = o.fits[n];
      return [
        n,
        f && {
          seconds: f.seconds,
          fine_tuned: f.fineTuned ?? false,
          train_windows: f.trainWindows,
          temperature: f.temperature,
          iterations: f.iterations,
          best_epoch: f.bestEpoch,
          stop_reason: f.stopReason,
          history: f.history,
        },
      ];
    })),
    priors: o.priors,
  }));
}

/** Every learner's scores on the pooled windows, with the ECE floors read from the bootstrap's blocks. */
function overallScores(
  truth: PooledWindows["truth"],
  pooled: Readonly<Record<string, PredictionSet>>,
  blocks: Int32Array,
): EvaluationSummary["overall"] {
  // The pooled scores' ECE floor is also read from the bootstrap's blocks, where windows' dependence shows. From
  // fewer than MIN_FLOOR_BLOCKS blocks no bin can be read that way and blockCalibrationFloor hands back the
  // independent floor, a lower bound, under a column that promises an upper estimate: a quarter of 6h or 12h
  // candles (2–4 blocks) printed both columns equal. Not measured, it is NaN ("–", null in evaluation.json).
  const measurable = blocks.reduce((m, b) => Math.max(m, b + 1), 0) >= MIN_FLOOR_BLOCKS;
  return Object.fromEntries(
    Object.keys(pooled).map((n) => {
      const scores = scorePredictions(truth, pooled[n]);
      const floor = (chosen?: Int8Array) =>
        measurable ? blockCalibrationFloor(pooled[n].probabilities, truth.labels, blocks, 10, chosen) : NaN;
      return [n, {
        ...scores,
        ece_floor_blocks: floor(),
        prior_rule: { ...scores.prior_rule, ece_floor_blocks: floor(pooled[n].priorClasses) },
      }];
    }),
  );
}

/**
 * The model against the best baseline by block bootstrap (macro-F1 on the classes each names under the
 * version's rule), and its log-loss against every baseline from the same blocks and seed.
 */
function bootstrapSection(
  labels: Int8Array,
  pooled: Readonly<Record<string, PredictionSet>>,
  overall: EvaluationSummary["overall"],
  best: string,
  blocks: Int32Array,
  opts: Pick<SummaryOptions, "model" | "decisionRule" | "seed" | "resamples">,
): EvaluationSummary["bootstrap"] {
  const baselines = Object.keys(pooled).filter((n) => n !== opts.model);
  // macro-F1 is compared on the classes the model's version names when served, the baseline's under the same
  // rule: argmax would judge calls no user receives (under it the model names SIDEWAYS almost always).
  const rule = opts.decisionRule;
  const scored = (n: string) => ({
    probabilities: pooled[n].probabilities,
    classes: namedClasses(pooled[n], rule),
  });
  const modelScored = scored(opts.model);
  const against = (n: string) =>
    blockBootstrap(labels, modelScored, scored(n), blocks, {
      seed: opts.seed,
      resamples: opts.resamples,
    });
  const bootstrap = against(best);
  // Log-loss against every baseline, each from the same blocks and seed: "ahead of gradient boosting" is a claim
  // users read even when boosting is not the best baseline, and it deserves an interval too.
  const logLossVs = Object.fromEntries(
    baselines.map((n) => [n, (n === best ? bootstrap : against(n)).log_loss_diff]),
  );
  return {
    ...bootstrap,
    baseline: best,
    block_candles: BOOTSTRAP_BLOCK_CANDLES,
    decision_rule: rule,
    log_loss_diff_by_baseline: logLossVs,
    macro_f1: {
      model: macroF1Under(overall[opts.model], pooled[opts.model], rule),
      baseline: macroF1Under(overall[best], pooled[best], rule),
    },
  };
}

/**
 * The evaluation's summary from its folds: every learner's scores per fold and pooled, the model against the
 * best baseline (lowest pooled log-loss) by bootstrap and backtest, and the verdict, judged on out-of-sample
 * folds only. Throws when no fold ran.
 */
export function summarize(
  series: readonly CandleSeries[],
  outcomes: readonly FoldOutcome[],
  opts: SummaryOptions,
): EvaluationSummary {
  if (outcomes.length === 0) throw new Error("no folds were evaluated");
  const names = Object.keys(outcomes[0].predictions);
  const baselines = names.filter((n) => n !== opts.model);
  const folds = foldResults(outcomes, names);
  const windows = pooledWindows(outcomes);
  const pooled = Object.fromEntries(names.map((n) => [n, pool(outcomes, n)]));
  const interval = Math.min(...series.map((s) => commonestStep([s.openTime]) ?? NaN).filter(Number.isFinite));
  const blocks = timeBlocks(windows.times, BOOTSTRAP_BLOCK_CANDLES * interval);
  const overall = overallScores(windows.truth, pooled, blocks);
  if (baselines.length === 0) throw new RangeError("summarize needs at least one baseline to compare with");
  const best = baselines.reduce((a, b) => overall[b].metrics.log_loss < overall[a].metrics.log_loss ? b : a);
  const inSample = inSampleFolds(opts.model, folds, opts.trainedUntil);
  const bootstrap = bootstrapSection(windows.truth.labels, pooled, overall, best, blocks, opts);
  const blend = blendOf(windows.truth.labels, outcomes, pooled, opts.model, blocks, opts);
  const trades = backtestSection(series, windows, pooled, best, interval, opts);
  const summary = {
    model: opts.model,
    baselines,
    best_baseline: best,
    symbols: series.map((s) => s.symbol),
    windows: windows.truth.labels.length,
    folds,
    overall,
    per_symbol: perSymbol(series, windows.seriesIndex, windows.truth, pooled),
    bootstrap,
    blend,
    in_sample: inSample,
    partial: opts.missingFolds && opts.missingFolds.length > 0
      ? {
        reason: "interrupted" as const,
        folds_done: folds.map((f) => f.label),
        folds_missing: [...opts.missingFolds],
      }
      : null,
    backtest: trades,
  };
  // Some folds in-sample, some not: the verdict is judged on the out-of-sample ones alone.
  const seen = new Set(inSample?.folds ?? []);
  const fresh = outcomes.filter((o) => !seen.has(o.plan.label));
  const outOfSample = inSample && fresh.length > 0
    ? summarize(series, fresh, { ...opts, trainedUntil: undefined })
    : undefined;
  return { ...summary, verdict: verdictOf(summary, outOfSample) };
}
