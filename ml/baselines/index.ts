/**
 * The baselines every metric sits next to (DESIGN "Honest evaluation"): majority class, persistence of the
 * last candle's direction, logistic regression on the last candle's features, and gradient boosting on the
 * last candle's features with lags t−1 and t−4 (issue 11), all fit on the training split (boosting's iterations
 * chosen on the validation split) and scored on the test split with the same metrics as the model.
 *
 * @example The baselines on a dataset, scored like the model
 * ```ts
 * import { readTrainingCsv } from "../../features/index.ts";
 * import { DEFAULT_SPLIT, prepareDataset } from "../data/index.ts";
 * import { evaluateBaselines } from "./index.ts";
 *
 * const dataset = prepareDataset(await readTrainingCsv("data/training_data.csv"), {
 *   lookback: 50,
 *   horizon: 4,
 *   labelRule: { kind: "volatility", multiplier: 0.5 },
 *   split: DEFAULT_SPLIT,
 * });
 * const scaling = { scaler: dataset.scaler, clip: 5, returnScale: dataset.returnScale };
 * const scores = await evaluateBaselines(dataset, scaling, { seed: 42 }); // test split; boosting early-stopped on validation
 * console.log(scores.gradient_boosting.log_loss, scores.majority.log_loss);
 * ```
 */
import type { Dataset, Scaling } from "../data/index.ts";
import { computeMetrics, type Metrics } from "../metrics/index.ts";
import { finishStepsTurning } from "../../base/index.ts";
import { baselineTrainSample, lastCandlesSteps } from "./inputs.ts";
import { fitMajority, predictMajority } from "./majority.ts";
import { fitPersistence, predictPersistence } from "./persistence.ts";
import { fitLogisticSteps, predictLogistic } from "./logistic.ts";
import {
  fitGradientBoosting,
  type GradientBoostingModel,
  type GradientBoostingOptions,
  predictGradientBoosting,
} from "./gradient_boosting.ts";
import type { Prediction } from "./prediction.ts";

export * from "./majority.ts";
export * from "./persistence.ts";
export * from "./logistic.ts";
export * from "./inputs.ts";
export * from "./quantile_bins.ts";
export * from "./gbdt.ts";
export * from "./gradient_boosting.ts";
export * from "./boosted_trees.ts";
export * from "./teacher.ts";
export * from "./boosting_file.ts";
export type { Prediction } from "./prediction.ts";

export interface BaselineOptions {
  readonly seed: number;
  /** The logistic regression trains on at most this many training windows (a seeded sample). */
  readonly maxTrainWindows?: number;
  /** Gradient boosting's settings (it trains on every training window up to its own cap). */
  readonly gradientBoosting?: GradientBoostingOptions;
}

export type BaselineName = "majority" | "persistence" | "logistic_regression" | "gradient_boosting";
export type BaselineMetrics = Readonly<Record<BaselineName, Metrics>>;

/** Each baseline's test-split output, with the truth it is scored against. */
export interface BaselinePredictions {
  readonly labels: Int8Array;
  readonly returns: Float64Array;
  readonly predictions: Readonly<Record<BaselineName, Prediction>>;
  /** The fitted gradient boosting (a served blend keeps it: `train --blend-boosting`). */
  readonly boosting: GradientBoostingModel;
}

/** Fits every baseline on the training split (boosting's iterations on validation) and predicts the test split. */
export async function predictBaselines(
  dataset: Dataset,
  scaling: Scaling,
  opts: BaselineOptions,
): Promise<BaselinePredictions> {
  // Seconds each on big data (engineering the sampled windows, 300 passes of the logistic regression): the
  // event loop turns meanwhile, so a second Ctrl-C quits train while its baselines are fit.
  const train = await baselineTrainSample(dataset.train, dataset, scaling, opts.seed, opts.maxTrainWindows);
  const test = await finishStepsTurning(lastCandlesSteps(dataset.test, dataset, scaling));
  const majority = fitMajority(dataset.train.labels, dataset.train.returns);
  const persistence = fitPersistence(train.lastReturn, train.labels, train.returns);
  const logistic = await finishStepsTurning(
    fitLogisticSteps(train.features, train.labels, train.returns, scaling.returnScale, {
      clip: scaling.clip,
    }),
  );
  const boosting = await fitGradientBoosting(dataset, { seed: opts.seed, ...opts.gradientBoosting });
  return {
    labels: test.labels,
    returns: test.returns,
    predictions: {
      majority: predictMajority(majority, test.size),
      persistence: predictPersistence(persistence, test.lastReturn),
      logistic_regression: predictLogistic(logistic, test.features),
      gradient_boosting: predictGradientBoosting(boosting, dataset.test, dataset),
    },
    boosting,
  };
}

/**
 * The baselines' test metrics. With `decide`, the classes are the ones that rule names from each baseline's
 * probabilities (e.g. the served prior rule), so a model's served decisions are compared like with like.
 */
export function scoreBaselines(
  p: Omit<BaselinePredictions, "boosting">,
  decide?: (probabilities: Float32Array) => Int8Array,
): BaselineMetrics {
  // A rule-based baseline (its own `classes`: persistence) is judged by the calls it makes: its "probabilities"
  // (class shares after each direction) re-ruled by prior named DOWN after every rising candle, mean reversion.
  const score = (q: Prediction) =>
    computeMetrics(
      p.labels,
      q.probabilities,
      p.returns,
      q.returns,
      decide && !q.classes ? decide(q.probabilities) : q.classes,
    );
  return {
    majority: score(p.predictions.majority),
    persistence: score(p.predictions.persistence),
    logistic_regression: score(p.predictions.logistic_regression),
    gradient_boosting: score(p.predictions.gradient_boosting),
  };
}

/**
 * `scoreBaselines` of `predictBaselines`: each baseline's test metrics with its own classes (argmax, or
 * persistence's direction), no decision rule applied.
 */
export async function evaluateBaselines(
  dataset: Dataset,
  scaling: Scaling,
  opts: BaselineOptions,
): Promise<BaselineMetrics> {
  return scoreBaselines(await predictBaselines(dataset, scaling, opts));
}
