/** How to train, as one typed object (the model's shape is `ModelConfig`, separately). */
import type { AuxiliaryHorizons, ClassVector } from "../data/index.ts";
import type { LrSchedule } from "./schedule.ts";

export interface TrainConfig {
  readonly epochs: number;
  readonly batchSize: number;
  /** The peak rate of `one_cycle`, the base rate of `warmup`. */
  readonly learningRate: number;
  readonly schedule: LrSchedule;
  /** `warmup` only: linear learning-rate warm-up over this many updates (0: none). */
  readonly warmupSteps: number;
  /** Decoupled weight decay (AdamW); 0: plain Adam. */
  readonly weightDecay: number;
  /** Gradients are rescaled when their global norm exceeds this (Infinity: never). */
  readonly clipNorm: number;
  /**
   * Epochs without an improvement of more than `minDelta` in the validation log-loss of calibrated
   * probabilities (what is served) before stopping; the best such epoch's weights are kept.
   */
  readonly patience: number;
  readonly minDelta: number;
  /**
   * A member resumed by `train --resume`: the whole epochs it had done (its epochs are numbered after them in
   * the log, and one_cycle goes on after them over `epochs` more) and the best score it had reached, which the
   * model's weights hold when training starts. An epoch is best, and patience counts, against that score; the
   * weights it started from are kept unless one beats it.
   */
  readonly resumedFrom?: { readonly epochs: number; readonly bestScore: number };
  readonly classWeights: ClassVector;
  /** ε of label smoothing: targets become (1 − ε)·one-hot + ε/3. */
  readonly labelSmoothing: number;
  /**
   * α of distillation: class targets become (1 − α)·(smoothed) label + α·the gradient-boosting teacher's out-of-fold
   * probabilities (`outOfFoldBoosting`); 0: the labels alone.
   */
  readonly distillWeight: number;
  /** Weight of the regression MSE next to the cross-entropy. */
  readonly regressionWeight: number;
  /**
   * Weight of each kind of auxiliary target (scaled return, log volatility ratio), shared by the horizons;
   * 0: no head.
   */
  readonly auxiliaryWeight: number;
  /** The auxiliary targets' horizons: the label's only, or every one from 1 to it (sharing the weight). */
  readonly auxiliaryHorizons: AuxiliaryHorizons;
  /** Each epoch visits a fresh random subset of at most this many training windows (Infinity: all). */
  readonly maxWindowsPerEpoch: number;
  /**
   * …and of at most this fraction of them (1: no limit), so the schedule spans about `epochs × epochFraction`
   * passes whatever the data's size (see `windowsPerEpoch`).
   */
  readonly epochFraction: number;
  /**
   * Windows are drawn with probability halving every this many days of age before the newest training window
   * (`recencyWeights`); Infinity: uniformly, without replacement.
   */
  readonly recencyHalfLife: number;
  /** Validation scores a fixed random subset of this many windows (Infinity: all). */
  readonly maxValidationWindows: number;
  readonly evalBatchSize: number;
  readonly seed: number;
}

/** The loop's defaults but the class weights (which come from the training split's counts). */
export const DEFAULT_TRAIN_CONFIG: Omit<TrainConfig, "classWeights"> = {
  epochs: 6,
  batchSize: 256,
  learningRate: 0.002,
  schedule: "one_cycle",
  warmupSteps: 200,
  weightDecay: 1e-4,
  clipNorm: 1,
  patience: 3,
  minDelta: 0,
  labelSmoothing: 0,
  distillWeight: 0,
  regressionWeight: 0.3,
  auxiliaryWeight: 0.3,
  auxiliaryHorizons: "all",
  maxWindowsPerEpoch: 30_000,
  epochFraction: 1,
  recencyHalfLife: Infinity,
  maxValidationWindows: 20_000,
  evalBatchSize: 256,
  seed: 42,
};

/**
 * Windows one epoch visits: at most `maxWindowsPerEpoch` and at most `epochFraction` of the training set, never
 * less than one batch. The fraction (default 1: off) makes `epochs` a number of passes on any data size. It was
 * measured and not made the default (bench/RESULTS.md, session 6): at 0.2, 4h candles trained 2.75× faster at
 * the same test log-loss, but daily candles (6,066 training windows, 30 steps in all) ended undertrained
 * (1.0561 against 1.0505 with whole 30,000-window epochs, ECE 0.068 against 0.028), and out of time on 4h
 * candles (`evaluate --retrain none`, 2023-Q4) whole epochs scored 1.0365 against 1.0453 (session 7).
 */
export function windowsPerEpoch(
  config: Pick<TrainConfig, "maxWindowsPerEpoch" | "epochFraction" | "batchSize">,
  trainWindows: number,
): number {
  const byFraction = Math.max(config.batchSize, Math.ceil(config.epochFraction * trainWindows));
  return Math.min(trainWindows, config.maxWindowsPerEpoch, byFraction);
}

/**
 * Early stopping's rule, shared by the loop and `train --resume`'s run folder so both keep the same best epoch:
 * an epoch's validation score improves on the best so far (`undefined`: none yet) when it is lower by more than
 * `minDelta`. A score that is not a finite number (a model whose outputs overflowed on validation) never
 * improves, so it cannot become the best and block every later epoch (`x < NaN` is always false).
 *
 * @example
 * improves(1.05, undefined, 0); // true
 * improves(NaN, undefined, 0); // false
 * improves(1.05, 1.0501, 1e-3); // false: not lower by more than minDelta
 */
export function improves(score: number, best: number | undefined, minDelta: number): boolean {
  return Number.isFinite(score) && (best === undefined || score < best - minDelta);
}
