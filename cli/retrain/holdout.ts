/**
 * The held-out period that decides a promotion: the newest `days` of every symbol, which the candidate is not
 * trained on and the current model (trained earlier) has not seen. Both are scored there on ONNX Runtime,
 * exactly as `serve` would answer (each version's classes named by its own decision rule and priors), with the
 * candidate's labels, beside the gradient-boosting baseline.
 */
import { type CandleSeries, windowEnds } from "../../features/index.ts";
import {
  DatasetError,
  gatherBatch,
  type LabelledSet,
  prepareDataset,
  SplitError,
  windowSet,
  type WindowShape,
} from "../../ml/data/index.ts";
import { fitGradientBoosting, predictGradientBoosting } from "../../ml/baselines/index.ts";
import {
  decideClasses,
  type DecisionRule,
  effectiveRule,
  loadPredictor,
  type Preprocessor,
} from "../../engine/index.ts";
import {
  blockBootstrap,
  type BootstrapResult,
  OnnxLearner,
  type Scored,
  timeBlocks,
} from "../../ml/evaluate/index.ts";
import { computeMetrics, type Metrics } from "../../ml/metrics/index.ts";

const DAY = 86_400_000;
const CHUNK = 1024;

/** Start of the held-out period: `days` before the newest candle of any symbol. */
export function holdoutStart(series: readonly CandleSeries[], days: number): number {
  const newest = Math.max(...series.map((s) => s.openTime[s.length - 1]));
  return newest - days * DAY;
}

/** Every labelled window whose last candle opens at or after `start`. */
export function holdoutSet(series: readonly CandleSeries[], start: number, shape: WindowShape): LabelledSet {
  const ends = series.map((s) => {
    let from = s.length;
    while (from > 0 && s.openTime[from - 1] >= start) from--;
    return windowEnds(s, { lookback: shape.lookback, horizon: shape.horizon, from }).ends;
  });
  const set = windowSet(series, ends);
  // Labels need each window's features (volatility_20); engineer them a chunk at a time, as the models will,
  // so a held-out fortnight of 1m candles does not materialise gigabytes of features.
  const labels = new Int8Array(set.size), returns = new Float64Array(set.size);
  for (let i = 0; i < set.size; i += CHUNK) {
    const picks = Int32Array.from({ length: Math.min(CHUNK, set.size - i) }, (_, j) => i + j);
    const batch = gatherBatch(set, picks, shape);
    labels.set(batch.label, i);
    returns.set(batch.forwardReturn, i);
  }
  return { ...set, labels, returns };
}

/**
 * Holdout metrics of one version, with the decision rule its classification scores were taken under, and what
 * they were computed from (the probabilities and the classes named, per window) for `heldOutDifference`.
 */
export type ServedMetrics = Metrics & { readonly rule: DecisionRule; readonly scored: Scored };

/**
 * Scores a version's calibrated probabilities on the set as `serve` answers with its default
 * `--decision version`: the classes its stored rule names (`prior` divides by its own training priors; a
 * version from before the rule was stored: argmax). Log-loss and the return metrics do not depend on the rule.
 */
export function scoreServed(
  set: Pick<LabelledSet, "labels" | "returns">,
  probabilities: ArrayLike<number>,
  returns: ArrayLike<number>,
  preprocessor: Pick<Preprocessor, "decisionRule" | "classPriors">,
): ServedMetrics {
  const rule = effectiveRule("version", preprocessor.decisionRule);
  if (rule === "prior" && !preprocessor.classPriors) {
    throw new Error("preprocessor.json names the 'prior' decision rule but stores no classPriors");
  }
  const predicted = decideClasses(probabilities, rule, preprocessor.classPriors);
  return {
    ...computeMetrics(set.labels, probabilities, set.returns, returns, predicted),
    rule,
    scored: { probabilities, classes: predicted },
  };
}

/**
 * The candidate's log-loss and macro-F1 minus current's on the held-out windows, with 95 % intervals from
 * `evaluate`'s block bootstrap over whole days (every symbol's windows of a day together: neighbouring windows
 * share candles and markets move together). Fourteen days of five 1h series hold ~1,650 windows but only
 * fourteen such blocks: replayed (session 31), the intervals spanned ±0.02–0.03 for weekly fine-tunes that
 * had won by 0.002–0.006, and ±0.004–0.015 for monthly candidates, so a summary that printed the two scores
 * alone read as a verdict it was not.
 */
export function heldOutDifference(
  set: Pick<LabelledSet, "labels" | "seriesIndex" | "ends" | "size"> & {
    readonly series: readonly Pick<CandleSeries, "openTime">[];
  },
  candidate: Pick<ServedMetrics, "scored">,
  current: Pick<ServedMetrics, "scored">,
): BootstrapResult {
  const times = Float64Array.from(
    { length: set.size },
    (_, i) => set.series[set.seriesIndex[i]].openTime[set.ends[i]],
  );
  return blockBootstrap(set.labels, candidate.scored, current.scored, timeBlocks(times, DAY));
}

/** A checkpoint's metrics on the set, from its model.onnx, under its own served rule (`scoreServed`). */
export async function scoreCheckpoint(dir: string, set: LabelledSet): Promise<ServedMetrics> {
  const predictor = await loadPredictor(dir, { threads: 1 });
  try {
    const out = await new OnnxLearner(dir, predictor).predict(set);
    return scoreServed(set, out.probabilities, out.returns, predictor.info.preprocessor);
  } finally {
    await predictor.close();
  }
}

/**
 * The gradient-boosting baseline's metrics on the held-out set: fit on every window before `start` (the
 * newest 15 % of that time validates its iterations), so it sees what the candidate sees. Null when there is
 * too little data before the held-out period to split.
 */
export function scoreGradientBoosting(
  series: readonly CandleSeries[],
  start: number,
  shape: WindowShape,
  set: LabelledSet,
): Metrics | null {
  const earliest = Math.min(...series.map((s) => s.openTime[0]));
  const validationStart = start - Math.round(0.15 * (start - earliest));
  let data;
  try {
    data = prepareDataset(series, { ...shape, split: { kind: "dates", validationStart, testStart: start } });
  } catch (error) {
    if (error instanceof DatasetError || error instanceof SplitError) return null;
    throw error;
  }
  const out = predictGradientBoosting(fitGradientBoosting(data), set, shape);
  return computeMetrics(set.labels, out.probabilities, set.returns, out.returns);
}
