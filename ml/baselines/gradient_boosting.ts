/**
 * The gradient-boosting baseline (issue 11): the histogram GBDT of gbdt.ts on the 35 unscaled features of each
 * window's last candle and of the candles t−1 and t−4, trained on the training split with its iterations chosen
 * on the validation split. Its expected return is the class probabilities times each class's mean training
 * return (the classifier is the point; a second boosted regressor would double the cost for a side metric).
 */
import { finishStepsTurning, plural } from "../../base/index.ts";
import { type Dataset, type LabelledSet, sampleIndices, seededRng, type WindowShape } from "../data/index.ts";
import { type GbdtModel, type GbdtOptions, gbdtRounds, predictGbdt } from "./gbdt.ts";
import { GBDT_LAGS, laggedCandles, laggedCandlesSteps } from "./inputs.ts";
import type { Prediction } from "./prediction.ts";

export interface GradientBoostingOptions extends GbdtOptions {
  /** Fit on at most this many training windows (a seeded sample); the 2018–2021 1h split has ~157k. */
  readonly maxTrainWindows?: number;
  /** Early stopping looks at most at this many validation windows (a seeded sample). */
  readonly maxValidationWindows?: number;
  /** Aborting it stops the fit at its next step, throwing `signal.reason` (evaluate's Ctrl-C). */
  readonly signal?: AbortSignal;
}

export interface GradientBoostingModel {
  readonly gbdt: GbdtModel;
  readonly lags: readonly number[];
  /** Mean forward return of each class on the training windows. */
  readonly classMeanReturn: readonly number[];
  readonly trainWindows: number;
  readonly seconds: number;
}

const CLASSES = 3;

/** The splits the baseline needs: training and validation windows of one shape. */
export type GradientBoostingData = Pick<Dataset, "train" | "validation"> & WindowShape;

/**
 * Fits the GBDT on a seeded sample of the training windows (400k at most) with early stopping on a sample of
 * the validation windows (100k), plus each class's mean training return.
 */
export async function fitGradientBoosting(
  data: GradientBoostingData,
  opts: GradientBoostingOptions = {},
): Promise<GradientBoostingModel> {
  const t0 = performance.now();
  const seed = opts.seed ?? 0;
  const trainPicks = sampleIndices(data.train.size, opts.maxTrainWindows ?? 400_000, seededRng(seed));
  const validPicks = sampleIndices(
    data.validation.size,
    opts.maxValidationWindows ?? 100_000,
    seededRng(seed + 1),
  );
  // Minutes on big data: the event loop turns between chunks of windows, binned columns and iterations, so a
  // second Ctrl-C quits meanwhile (the inputs and the binning alone were ~8 s unheard on the five 1h series).
  const { signal } = opts;
  const train = await finishStepsTurning(laggedCandlesSteps(data.train, data, GBDT_LAGS, trainPicks), signal);
  const validation = await finishStepsTurning(
    laggedCandlesSteps(data.validation, data, GBDT_LAGS, validPicks),
    signal,
  );
  const gbdt = await finishStepsTurning(
    gbdtRounds(
      { x: train.features, labels: train.labels },
      { x: validation.features, labels: validation.labels },
      CLASSES,
      opts,
    ),
    signal,
  );
  const sums = [0, 0, 0], counts = [0, 0, 0];
  for (let i = 0; i < train.size; i++) {
    sums[train.labels[i]] += train.returns[i];
    counts[train.labels[i]]++;
  }
  return {
    gbdt,
    lags: GBDT_LAGS,
    classMeanReturn: sums.map((s, c) => (counts[c] > 0 ? s / counts[c] : 0)),
    trainWindows: train.size,
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * Why boosting that kept no iteration scores exactly as majority does: early stopping found no tree that
 * lowered the validation log-loss, so only the log class priors are left. One sentence for every output that
 * says it (`keptIterationsText`, evaluate's per-fold table note).
 */
export const NO_ITERATION_KEPT =
  "no tree improved the validation log-loss, so it gives the training class shares, as majority does";

/**
 * "37 iterations kept", and for none why boosting then scores exactly as majority does (`NO_ITERATION_KEPT`).
 * Said by evaluate's fold lines, train's line and report.html, retrain's reference, since identical scores to
 * the last digit otherwise read as a bug.
 */
export function keptIterationsText(iterations: number): string {
  return `${plural(iterations, "iteration")} kept` + (iterations === 0 ? ` (${NO_ITERATION_KEPT})` : "");
}

/** Probabilities and expected returns of every window of `set`, in its order. */
export function predictGradientBoosting(
  m: GradientBoostingModel,
  set: LabelledSet,
  shape: WindowShape,
): Prediction {
  const x = laggedCandles(set, shape, m.lags).features;
  const probabilities = predictGbdt(m.gbdt, x);
  const returns = new Float64Array(set.size);
  for (let i = 0; i < set.size; i++) {
    for (let c = 0; c < CLASSES; c++) returns[i] += probabilities[i * CLASSES + c] * m.classMeanReturn[c];
  }
  return { probabilities, returns };
}
