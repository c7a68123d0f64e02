/**
 * From walk-forward outcomes to the numbers users read: scores per fold and pooled over all folds for the model
 * and every baseline, the best baseline (lowest pooled log-loss), a block-bootstrap interval for the model's
 * difference to it, the backtest of both against buy-and-hold, and a plain-words verdict.
 */
import { type CandleSeries, commonestStep, plural } from "../../features/index.ts";
import { argmax3, computeMetrics } from "../metrics/index.ts";
import type { EpochRecord, StopReason } from "../train/index.ts";
import {
  type Backtest,
  backtest,
  type BacktestOptions,
  type BacktestSummary,
  buyAndHold,
  feePercent,
  type SymbolSignals,
  YEAR_MS,
} from "./backtest.ts";
import { blockBootstrap, type BootstrapResult, timeBlocks } from "./bootstrap.ts";
import type { FoldAction } from "./folds.ts";
import { CONFIDENCE_THRESHOLDS, type PredictionSet, scorePredictions, type Scores } from "./scores.ts";
import type { FoldOutcome } from "./walk_forward.ts";

/** Bootstrap blocks: this many candles of time (4 days of 1h candles), all symbols together. */
export const BOOTSTRAP_BLOCK_CANDLES = 96;

export interface SummaryOptions {
  /** The learner under evaluation; every other learner is a baseline. */
  readonly model: string;
  readonly horizon: number;
  /** Backtest: enter above this probability (the equity curves use it). */
  readonly threshold: number;
  readonly fee: number;
  readonly short: boolean;
  readonly seed: number;
  readonly resamples?: number;
  /**
   * The newest candle (ms) the evaluated model was trained on, for a checkpoint evaluated as it is. When it
   * reaches into the folds, their scores are in-sample: reported, flagged, and given no verdict.
   */
  readonly trainedUntil?: number;
  /**
   * Labels of planned folds that are not among `outcomes` (an interrupted run): the summary is marked partial
   * and its verdict says it covers the finished folds only.
   */
  readonly missingFolds?: readonly string[];
}

/** Folds a checkpoint has already seen: their scores are in-sample and not evidence. */
export interface InSample {
  /** ISO time of the newest candle the model was trained on. */
  readonly trained_until: string;
  /** Labels of the folds whose test block starts at or before that candle. */
  readonly folds: readonly string[];
  readonly message: string;
}

/** The verdict's word when the folds are in-sample. */
export const IN_SAMPLE_VERDICT = "in-sample: not evidence";

export interface FitSummary {
  readonly seconds: number;
  readonly fine_tuned: boolean;
  readonly train_windows: number;
  readonly temperature?: number;
  readonly best_epoch?: number | null;
  readonly stop_reason?: StopReason;
  readonly history?: readonly EpochRecord[];
}

export interface FoldResult {
  readonly index: number;
  readonly label: string;
  readonly validation_start: string;
  readonly test_start: string;
  readonly test_end: string;
  readonly action: FoldAction;
  readonly windows: { readonly train: number; readonly validation: number; readonly test: number };
  readonly scores: Readonly<Record<string, Scores>>;
  readonly fits: Readonly<Record<string, FitSummary | null>>;
  readonly priors: Readonly<Record<string, readonly number[]>>;
}

export interface Curve {
  readonly times: readonly number[];
  readonly equity: readonly number[];
}

export interface BacktestRow {
  readonly threshold: number;
  readonly model: BacktestSummary;
  readonly baseline: BacktestSummary;
}

export interface BacktestReport {
  readonly fee: number;
  readonly short: boolean;
  readonly horizon: number;
  /** The --trade-threshold. */
  readonly threshold: number;
  readonly rows: readonly BacktestRow[];
  /**
   * Trading the prior-corrected decision instead of a fixed probability: long when it names UP (short when
   * DOWN, with `short`). Calibrated 3-class probabilities seldom pass 0.4, so a fixed threshold often trades
   * nothing; the prior rule is relative to each class's base rate.
   */
  readonly prior_rule: { readonly model: BacktestSummary; readonly baseline: BacktestSummary };
  /** Every learner's trades at the threshold and under the prior rule. */
  readonly learners: Readonly<
    Record<string, { readonly threshold: BacktestSummary; readonly prior_rule: BacktestSummary }>
  >;
  readonly buy_and_hold: BacktestSummary;
  /** What the equity curves trade: the threshold, or the prior rule when the model never passes it. */
  readonly curves_rule: "threshold" | "prior_rule";
  readonly curves: { readonly model: Curve; readonly baseline: Curve; readonly buy_and_hold: Curve };
}

/** Scores of the model and the best baseline on one symbol's test windows. */
export interface SymbolScores {
  readonly symbol: string;
  readonly windows: number;
  readonly scores: Readonly<
    Record<string, { readonly accuracy: number; readonly macro_f1: number; readonly log_loss: number }>
  >;
}

export interface Verdict {
  /**
   * "better", "worse" or "no clear difference", from the bootstrap interval over every fold (the one the
   * tables show); IN_SAMPLE_VERDICT when any fold is in-sample.
   */
  readonly log_loss: string;
  readonly macro_f1: string;
  /**
   * The same words over the out-of-sample folds alone, when a checkpoint had seen only some folds: the verdict
   * the lines give, from a bootstrap over those folds.
   */
  readonly out_of_sample?: { readonly log_loss: string; readonly macro_f1: string };
  /** Labels of the folds the verdict judges: every fold, the out-of-sample ones, or none (all in-sample). */
  readonly folds: readonly string[];
  readonly lines: readonly string[];
}

export interface EvaluationSummary {
  readonly model: string;
  readonly baselines: readonly string[];
  readonly best_baseline: string;
  readonly symbols: readonly string[];
  readonly windows: number;
  readonly folds: readonly FoldResult[];
  /** Every fold's test windows pooled. */
  readonly overall: Readonly<Record<string, Scores>>;
  /** Pooled scores per symbol, for every learner. */
  readonly per_symbol: readonly SymbolScores[];
  readonly bootstrap: BootstrapResult & { readonly baseline: string; readonly block_candles: number };
  readonly backtest: BacktestReport;
  /** Set when the model had seen some folds' data in training (null otherwise); the verdict is withheld. */
  readonly in_sample: InSample | null;
  /** Set when some planned folds did not run (an interrupted evaluation; null otherwise). */
  readonly partial: PartialRun | null;
  readonly verdict: Verdict;
}

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

function namedClasses(p: PredictionSet): Int8Array {
  return p.classes ?? Int8Array.from({ length: p.returns.length }, (_, i) => argmax3(p.probabilities, i * 3));
}

/** Every symbol's predicted windows in time order with P(UP) and P(DOWN), for the backtest. */
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
  return series.map((s, k) => {
    const rows: number[] = [];
    for (let i = 0; i < seriesIndex.length; i++) if (seriesIndex[i] === k) rows.push(i);
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
    return { symbol: s.symbol, windows: rows.length, scores };
  }).filter((s) => s.windows > 0);
}

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
 * The fewest bootstrap blocks that can tell a difference at `level`. Blocks are the independent units of
 * evidence: with B of them, the most lopsided outcome (every block favouring the same learner) has two-sided
 * probability 2 · 2^−B under no difference, so below this count nothing seen could rule chance out. A
 * bootstrap from fewer blocks is no guide either: from one block every resample is the data itself.
 */
export function minimumBlocks(level: number): number {
  return Math.ceil(Math.log2(2 / (1 - level)));
}

/** Whether the bootstrap drew on enough blocks to judge at its level (`minimumBlocks`). */
export function enoughBlocks(b: Pick<BootstrapResult, "blocks" | "level">): boolean {
  return b.blocks >= minimumBlocks(b.level);
}

function judge(low: number, high: number, betterBelow: boolean, enough = true): string {
  if (!enough) return "no clear difference";
  if (betterBelow ? high < 0 : low > 0) return "better";
  if (betterBelow ? low > 0 : high < 0) return "worse";
  return "no clear difference";
}

const pct = (v: number) => `${v >= 0 ? "+" : ""}${(100 * v).toFixed(2)} %`;
const signed = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(4)}`;

/** "fold 2023-11", "folds 2023-11, 2023-12". */
const foldList = (labels: readonly string[]) =>
  `${labels.length === 1 ? "fold" : "folds"} ${labels.join(", ")}`;

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

/** Why some planned folds are missing from a summary: the run was interrupted before they ran. */
export interface PartialRun {
  readonly reason: "interrupted";
  /** Labels of the folds that finished and are scored here. */
  readonly folds_done: readonly string[];
  /** Labels of the planned folds that did not run (or did not finish) and are not in any number here. */
  readonly folds_missing: readonly string[];
}

/** "these 3 folds", "this fold", "the 2 finished folds (2023-12 did not run)". */
function scopeOf(s: Omit<EvaluationSummary, "verdict">): string {
  const n = s.folds.length;
  const what = s.partial
    ? `the ${n === 1 ? "finished fold" : `${plural(n, "finished fold")}`} (${
      foldList(s.partial.folds_missing)
    } did not run)`
    : n === 1
    ? "this fold"
    : `these ${plural(n, "fold")}`;
  return what;
}

/** The model against the best baseline on log-loss and macro-F1, with the bootstrap interval and a word each. */
function differenceLines(s: Omit<EvaluationSummary, "verdict">, logLoss: string, macroF1: string): string[] {
  const m = s.overall[s.model].metrics, b = s.overall[s.best_baseline].metrics;
  const { log_loss_diff: ll, macro_f1_diff: f1 } = s.bootstrap;
  const level = `${Math.round(100 * s.bootstrap.level)} %`;
  return [
    `${s.model} log-loss ${m.log_loss.toFixed(4)} vs ${s.best_baseline} ${b.log_loss.toFixed(4)}: ` +
    `difference ${signed(ll.estimate)} (${level} interval ${signed(ll.low)} … ${
      signed(ll.high)
    }) — ${logLoss}.`,
    `${s.model} macro-F1 ${m.macro_f1.toFixed(4)} vs ${s.best_baseline} ${b.macro_f1.toFixed(4)}: ` +
    `difference ${signed(f1.estimate)} (${level} interval ${signed(f1.low)} … ${
      signed(f1.high)
    }) — ${macroF1}.`,
  ];
}

function judgedVerdict(s: Omit<EvaluationSummary, "verdict">): Omit<Verdict, "folds"> {
  const { log_loss_diff: ll, macro_f1_diff: f1 } = s.bootstrap;
  const enough = enoughBlocks(s.bootstrap);
  const logLoss = judge(ll.low, ll.high, true, enough);
  const macroF1 = judge(f1.low, f1.high, false, enough);
  const row = s.backtest.rows.find((r) => r.threshold === s.backtest.threshold);
  const scope = scopeOf(s);
  const lines = [
    ...differenceLines(s, logLoss, macroF1),
    ...(enough ? [] : [tooFewBlocks(s.bootstrap)]),
    logLoss === "better" && macroF1 !== "worse"
      ? `The model beats the best baseline on log-loss over ${scope}.`
      : `The model does not beat the best baseline (${s.best_baseline}) over ${scope}.`,
  ];
  if (row) lines.push(backtestLine("Backtest", s, row));
  return { log_loss: logLoss, macro_f1: macroF1, lines };
}

/** Why a difference goes unjudged when the test windows span too few bootstrap blocks. */
export function tooFewBlocks(b: Pick<BootstrapResult, "blocks" | "level">): string {
  const blocks = plural(b.blocks, "block"), level = `${Math.round(100 * b.level)} %`;
  return `Only ${blocks} of ${BOOTSTRAP_BLOCK_CANDLES} candles: too few to tell a difference at ${level} ` +
    `(at least ${minimumBlocks(b.level)} are needed), whatever the interval shows; evaluate more folds.`;
}

function backtestLine(title: string, s: Omit<EvaluationSummary, "verdict">, row: BacktestRow): string {
  return `${title} (P > ${s.backtest.threshold}, ${feePercent(s.backtest.fee)} % fee per side${
    s.backtest.short ? ", shorts on" : ", long only"
  }): model ${pct(row.model.total_return)} in ${plural(row.model.trades, "trade")}, ` +
    `${s.best_baseline} ${pct(row.baseline.total_return)} in ${plural(row.baseline.trades, "trade")}, ` +
    `buy-and-hold ${pct(s.backtest.buy_and_hold.total_return)}.`;
}

/**
 * The verdict: over every fold; over the out-of-sample folds alone (`outOfSample`, their own summary) when a
 * checkpoint had seen some; none when it had seen them all.
 */
function verdictOf(
  s: Omit<EvaluationSummary, "verdict">,
  outOfSample?: Omit<EvaluationSummary, "verdict">,
): Verdict {
  const partialLine = s.partial
    ? [
      `Interrupted: only ${foldList(s.partial.folds_done)} finished; ${
        foldList(s.partial.folds_missing)
      } did not run. Every number here covers the finished folds only.`,
    ]
    : [];
  if (!s.in_sample) {
    const v = judgedVerdict(s);
    return { ...v, lines: [...partialLine, ...v.lines], folds: s.folds.map((f) => f.label) };
  }
  // Pooled over every fold (the bootstrap table), the in-sample folds make any difference meaningless.
  const inSample = { log_loss: IN_SAMPLE_VERDICT, macro_f1: IN_SAMPLE_VERDICT };
  if (outOfSample) {
    const v = judgedVerdict(outOfSample);
    const labels = outOfSample.folds.map((f) => f.label);
    return {
      ...inSample,
      out_of_sample: { log_loss: v.log_loss, macro_f1: v.macro_f1 },
      folds: labels,
      lines: [
        ...partialLine,
        `Judged on the out-of-sample ${foldList(labels)} only (${
          plural(outOfSample.windows, "test window")
        }); ${foldList(s.in_sample.folds)} in-sample, left out.`,
        ...v.lines,
        s.in_sample.message,
      ],
    };
  }
  const row = s.backtest.rows.find((r) => r.threshold === s.backtest.threshold);
  return {
    ...inSample,
    folds: [],
    lines: [
      ...partialLine,
      ...differenceLines(s, IN_SAMPLE_VERDICT, IN_SAMPLE_VERDICT),
      `No verdict — ${IN_SAMPLE_VERDICT}. ${s.in_sample.message}`,
      ...(row ? [backtestLine("In-sample backtest", s, row)] : []),
    ],
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
  const overall = Object.fromEntries(names.map((n) => [n, scorePredictions(truth, pooled[n])]));
  if (baselines.length === 0) throw new RangeError("summarize needs at least one baseline to compare with");
  const best = baselines.reduce((a, b) => overall[b].metrics.log_loss < overall[a].metrics.log_loss ? b : a);

  const inSample = inSampleFolds(opts.model, folds, opts.trainedUntil);
  const interval = Math.min(...series.map((s) => commonestStep([s.openTime]) ?? NaN).filter(Number.isFinite));
  const bootstrap = blockBootstrap(
    truth.labels,
    { probabilities: pooled[opts.model].probabilities, classes: namedClasses(pooled[opts.model]) },
    { probabilities: pooled[best].probabilities, classes: namedClasses(pooled[best]) },
    timeBlocks(times, BOOTSTRAP_BLOCK_CANDLES * interval),
    { seed: opts.seed, resamples: opts.resamples },
  );

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
  // A threshold the model never passes draws flat lines; show what trading its decisions would have done.
  const curvesRule: BacktestReport["curves_rule"] = chosen.model.summary.trades === 0 &&
      priorRule.model.summary.trades > 0
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
    bootstrap: { ...bootstrap, baseline: best, block_candles: BOOTSTRAP_BLOCK_CANDLES },
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
