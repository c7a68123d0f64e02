/** How to train, as one typed object (the model's shape is `ModelConfig`, separately). */
import type { ClassVector } from "../data/index.ts";
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
  readonly classWeights: ClassVector;
  /** ε of label smoothing: targets become (1 − ε)·one-hot + ε/3. */
  readonly labelSmoothing: number;
  /** Weight of the regression MSE next to the cross-entropy. */
  readonly regressionWeight: number;
  /** Weight of each auxiliary target's MSE (volatility-scaled return, log volatility ratio); 0: no head. */
  readonly auxiliaryWeight: number;
  /** Each epoch visits a fresh random subset of this many training windows (Infinity: all). */
  readonly maxWindowsPerEpoch: number;
  /** Validation scores a fixed random subset of this many windows (Infinity: all). */
  readonly maxValidationWindows: number;
  readonly evalBatchSize: number;
  readonly seed: number;
}

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
  regressionWeight: 0.3,
  auxiliaryWeight: 0.3,
  maxWindowsPerEpoch: 30_000,
  maxValidationWindows: 20_000,
  evalBatchSize: 256,
  seed: 42,
};
