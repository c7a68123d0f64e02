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
import {
  type Backtest,
  backtest,
  type BacktestOptions,
  buyAndHold,
  type SymbolSignals,
  YEAR_MS,
} from "./backtest.ts";
import { blockBootstrap, BOOTSTRAP_BLOCK_CANDLES, timeBlocks } from "./bootstrap.ts";
import { CONFIDENCE_THRESHOLDS, type PredictionSet, scorePredictions, type Scores } from "./scores.ts";
import type { DecisionRule } from "../../engine/index.ts";
import type { FoldOutcome } from "./walk_forward.ts";
import type {
  BacktestReport,
  BlendSummary,
  Curve,
  EvaluationSummary,
  FitSummary,
  FoldResult,
  InSample,
  SummaryOptions,
  SymbolScores,
} from "./summary_types.ts";
import { foldList, verdictOf } from "./verdict.ts";

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

/** The prior rule's decisions as 0/1 "probabilities": above any threshold in (0, 1) exactly when named. */
function ruleAsProbabilities(p: PredictionSet): PredictionSet {
  const probabilities = new Float32Array(p.priorClasses.length * 3);
  p.priorClasses.forEach((c, i) => void (probabilities[i * 3 + c] = 1));
  return { ...p, probabilities };
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

/** Every symbol's predicted windows in time order with P(UP) and P(DOWN), for the backtest. */
function signalsOf(
  series: readonly CandleSeries[],
  seriesIndex: Int32Array,
  ends: Int32Array,
  p: PredictionSet,
): SymbolSignals[] {
  return series.map((s, k) => {
    const rows = [];
    for (let i = 0; i < ends.length; i++) if (seriesIndex[i] === k) rows.push(i);
    rows.sort((a, b) => ends[a] - ends[b]);
    return {
      symbol: s.symbol,
      openTime: s.openTime,
      close: s.close,
      ends: Int32Array.from(rows, (i) => ends[i]),
      pUp: Float64Array.from(rows, (i) => p.probabilities[i * 3 + 2]),
      pDown: Float64Array.from(rows, (i) => p.probabilities[i * 3]),
    };
  }).filter((s) => s.ends.length > 0);
}

/** At most `points` points of a curve (every k-th, always keeping the last), as plain arrays for JSON. */
export function thinCurve(b: Backtest, points = 800): Curve {
  const { times, equity } = b.curve;
  const step = Math.max(1, Math.ceil(times.length / points));
  const t: number[] = [], e: number[] = [];
  for (let i = 0; i < times.length; i += step) {
    t.push(times[i]);
    e.push(equity[i]);
  }
  if (times.length > 0 && (times.length - 1) % step !== 0) {
    t.push(times[times.length - 1]);
    e.push(equity[equity.length - 1]);
  }
  return { times: t, equity: e };
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
  const folds: FoldResult[] = outcomes.map((o) => ({
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
  const truth = {
    labels: concat(outcomes.map((o) => o.test.labels), (n) => new Int8Array(n)),
    returns: concat(outcomes.map((o) => o.test.returns), (n) => new Float64Array(n)),
  };
  const seriesIndex = concat(outcomes.map((o) => o.test.seriesIndex), (n) => new Int32Array(n));
  const ends = concat(outcomes.map((o) => o.test.ends), (n) => new Int32Array(n));
  const times = concat(outcomes.map((o) => o.test.times), (n) => new Float64Array(n));
  const pooled = Object.fromEntries(names.map((n) => [n, pool(outcomes, n)]));
  const interval = Math.min(...series.map((s) => commonestStep([s.openTime]) ?? NaN).filter(Number.isFinite));
  const blocks = timeBlocks(times, BOOTSTRAP_BLOCK_CANDLES * interval);
  // The pooled scores' ECE floor is also read from the bootstrap's blocks, where windows' dependence shows. From
  // fewer than MIN_FLOOR_BLOCKS blocks no bin can be read that way and blockCalibrationFloor hands back the
  // independent floor, a lower bound, under a column that promises an upper estimate: a quarter of 6h or 12h
  // candles (2–4 blocks) printed both columns equal. Not measured, it is NaN ("–", null in evaluation.json).
  const measurable = blocks.reduce((m, b) => Math.max(m, b + 1), 0) >= MIN_FLOOR_BLOCKS;
  const overall = Object.fromEntries(names.map((n) => {
    const scores = scorePredictions(truth, pooled[n]);
    const floor = (chosen?: Int8Array) =>
      measurable ? blockCalibrationFloor(pooled[n].probabilities, truth.labels, blocks, 10, chosen) : NaN;
    return [n, {
      ...scores,
      ece_floor_blocks: floor(),
      prior_rule: { ...scores.prior_rule, ece_floor_blocks: floor(pooled[n].priorClasses) },
    }];
  }));
  if (baselines.length === 0) throw new RangeError("summarize needs at least one baseline to compare with");
  const best = baselines.reduce((a, b) => overall[b].metrics.log_loss < overall[a].metrics.log_loss ? b : a);

  const inSample = inSampleFolds(opts.model, folds, opts.trainedUntil);
  // macro-F1 is compared on the classes the model's version names when served, the baseline's under the same
  // rule: argmax would judge calls no user receives (under it the model names SIDEWAYS almost always).
  const rule = opts.decisionRule;
  const scored = (n: string) => ({
    probabilities: pooled[n].probabilities,
    classes: namedClasses(pooled[n], rule),
  });
  const modelScored = scored(opts.model);
  const against = (n: string) =>
    blockBootstrap(truth.labels, modelScored, scored(n), blocks, {
      seed: opts.seed,
      resamples: opts.resamples,
    });
  const bootstrap = against(best);
  // Log-loss against every baseline, each from the same blocks and seed: "ahead of gradient boosting" is a claim
  // users read even when boosting is not the best baseline, and it deserves an interval too.
  const logLossVs = Object.fromEntries(
    baselines.map((n) => [n, (n === best ? bootstrap : against(n)).log_loss_diff]),
  );

  const blend = blendOf(truth.labels, outcomes, pooled, opts.model, blocks, opts);

  const trade = (threshold: number): BacktestOptions => ({
    threshold,
    horizon: opts.horizon,
    fee: opts.fee,
    short: opts.short,
    periodsPerYear: YEAR_MS / interval,
  });
  const modelSignals = signalsOf(series, seriesIndex, ends, pooled[opts.model]);
  const baselineSignals = signalsOf(series, seriesIndex, ends, pooled[best]);
  const thresholds = [...new Set([...CONFIDENCE_THRESHOLDS, opts.threshold])].sort((a, b) => a - b);
  const rows = thresholds.map((threshold) => ({
    threshold,
    model: backtest(modelSignals, trade(threshold)),
    baseline: backtest(baselineSignals, trade(threshold)),
  }));
  const hold = buyAndHold(modelSignals, trade(opts.threshold));
  const chosen = rows.find((r) => r.threshold === opts.threshold)!;
  const ruled = (name: string) =>
    backtest(signalsOf(series, seriesIndex, ends, ruleAsProbabilities(pooled[name])), trade(0.5));
  const priorRule = { model: ruled(opts.model), baseline: ruled(best) };
  const learnerTrades = Object.fromEntries(names.map((n) => [n, {
    threshold: n === opts.model
      ? chosen.model.summary
      : n === best
      ? chosen.baseline.summary
      : backtest(signalsOf(series, seriesIndex, ends, pooled[n]), trade(opts.threshold)).summary,
    prior_rule: n === opts.model
      ? priorRule.model.summary
      : n === best
      ? priorRule.baseline.summary
      : ruled(n).summary,
  }]));
  // The curves trade what is served: the prior rule's calls where it is the version's rule (the verdict's
  // headline trades them too), and where a threshold the model never passes would draw flat lines.
  const curvesRule: BacktestReport["curves_rule"] = priorRule.model.summary.trades > 0 &&
      (rule === "prior" || chosen.model.summary.trades === 0)
    ? "prior_rule"
    : "threshold";
  const drawn = curvesRule === "prior_rule" ? priorRule : chosen;

  const summary = {
    model: opts.model,
    baselines,
    best_baseline: best,
    symbols: series.map((s) => s.symbol),
    windows: truth.labels.length,
    folds,
    overall,
    per_symbol: perSymbol(series, seriesIndex, truth, pooled),
    bootstrap: {
      ...bootstrap,
      baseline: best,
      block_candles: BOOTSTRAP_BLOCK_CANDLES,
      decision_rule: rule,
      log_loss_diff_by_baseline: logLossVs,
      macro_f1: {
        model: macroF1Under(overall[opts.model], pooled[opts.model], rule),
        baseline: macroF1Under(overall[best], pooled[best], rule),
      },
    },
    blend,
    in_sample: inSample,
    partial: opts.missingFolds && opts.missingFolds.length > 0
      ? {
        reason: "interrupted" as const,
        folds_done: folds.map((f) => f.label),
        folds_missing: [...opts.missingFolds],
      }
      : null,
    backtest: {
      fee: opts.fee,
      short: opts.short,
      horizon: opts.horizon,
      threshold: opts.threshold,
      rows: rows.map((r) => ({
        threshold: r.threshold,
        model: r.model.summary,
        baseline: r.baseline.summary,
      })),
      prior_rule: { model: priorRule.model.summary, baseline: priorRule.baseline.summary },
      learners: learnerTrades,
      buy_and_hold: hold.summary,
      curves_rule: curvesRule,
      curves: {
        model: thinCurve(drawn.model),
        baseline: thinCurve(drawn.baseline),
        buy_and_hold: thinCurve(hold),
      },
    },
  };
  // Some folds in-sample, some not: the verdict is judged on the out-of-sample ones alone.
  const seen = new Set(inSample?.folds ?? []);
  const fresh = outcomes.filter((o) => !seen.has(o.plan.label));
  const outOfSample = inSample && fresh.length > 0
    ? summarize(series, fresh, { ...opts, trainedUntil: undefined })
    : undefined;
  return { ...summary, verdict: verdictOf(summary, outOfSample) };
}
