/**
 * The baselines every metric sits next to (DESIGN "Honest evaluation"): majority class, persistence of the
 * last candle's direction, logistic regression on the last candle's features, and gradient boosting on the
 * last candle's features with lags t−1 and t−4 (issue 11), all fit on the training split (boosting's iterations
 * chosen on the validation split) and scored on the test split with the same metrics as the model.
 */
import { type Dataset, sampleIndices, type Scaling, seededRng } from "../data/index.ts";
import { computeMetrics, type Metrics } from "../metrics/index.ts";
import { lastCandles } from "./inputs.ts";
import { fitMajority, predictMajority } from "./majority.ts";
import { fitPersistence, predictPersistence } from "./persistence.ts";
import { fitLogistic, predictLogistic } from "./logistic.ts";
import {
  fitGradientBoosting,
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
export * from "./teacher.ts";
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

export function evaluateBaselines(
  dataset: Dataset,
  scaling: Scaling,
  opts: BaselineOptions,
): BaselineMetrics {
  const picks = sampleIndices(dataset.train.size, opts.maxTrainWindows ?? 50_000, seededRng(opts.seed));
  const train = lastCandles(dataset.train, dataset, scaling, picks);
  const test = lastCandles(dataset.test, dataset, scaling);
  const score = (p: Prediction) =>
    computeMetrics(test.labels, p.probabilities, test.returns, p.returns, p.classes);

  const majority = fitMajority(dataset.train.labels, dataset.train.returns);
  const persistence = fitPersistence(train.lastReturn, train.labels, train.returns);
  const logistic = fitLogistic(train.features, train.labels, train.returns, scaling.returnScale, {
    clip: scaling.clip,
  });
  const boosting = fitGradientBoosting(dataset, { seed: opts.seed, ...opts.gradientBoosting });
  return {
    majority: score(predictMajority(majority, test.size)),
    persistence: score(predictPersistence(persistence, test.lastReturn)),
    logistic_regression: score(predictLogistic(logistic, test.features)),
    gradient_boosting: score(predictGradientBoosting(boosting, dataset.test, dataset)),
  };
}
