/** How to train, as one typed object (the model's shape is `ModelConfig`, separately). */
import type { ClassVector } from "../data/index.ts";

export interface TrainConfig {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Linear learning-rate warm-up over this many updates (0: none). */
  readonly warmupSteps: number;
  /** Gradients are rescaled when their global norm exceeds this (Infinity: never). */
  readonly clipNorm: number;
  /** Epochs without a validation-loss improvement of more than `minDelta` before stopping. */
  readonly patience: number;
  readonly minDelta: number;
  readonly classWeights: ClassVector;
  /** ε of label smoothing: targets become (1 − ε)·one-hot + ε/3. */
  readonly labelSmoothing: number;
  /** Weight of the regression MSE next to the cross-entropy. */
  readonly regressionWeight: number;
  /** Each epoch visits a fresh random subset of this many training windows (Infinity: all). */
  readonly maxWindowsPerEpoch: number;
  /** Validation scores a fixed random subset of this many windows (Infinity: all). */
  readonly maxValidationWindows: number;
  readonly evalBatchSize: number;
  readonly seed: number;
}

export const DEFAULT_TRAIN_CONFIG: Omit<TrainConfig, "classWeights"> = {
  epochs: 100,
  batchSize: 32,
  learningRate: 0.001,
  warmupSteps: 200,
  clipNorm: 1,
  patience: 10,
  minDelta: 0,
  labelSmoothing: 0,
  regressionWeight: 1,
  maxWindowsPerEpoch: Infinity,
  maxValidationWindows: Infinity,
  evalBatchSize: 256,
  seed: 42,
};
