/**
 * What walk-forward needs from anything that predicts: fit on a fold's past, optionally fine-tune on the newest
 * data, and predict windows. The model under evaluation and every baseline implement it, so they all see the
 * same folds, the same purged splits and the same test windows.
 */
import type { Dataset, LabelledSet, Scaling } from "../data/index.ts";
import type { EpochRecord, StopReason } from "../train/index.ts";
import type { FoldPlan } from "./folds.ts";
import { ReportedError } from "../../base/index.ts";

export interface FoldData {
  readonly plan: FoldPlan;
  /** Train before the validation block, validation, test: purged at each cut, scaler fit on train. */
  readonly dataset: Dataset;
  /** The fold's own scaling (its training scaler and return scale). */
  readonly scaling: Scaling;
  /** Windows labelled at or after this time (ms) are new since the previous fold: `update` trains on them. */
  readonly newSince: number;
}

export interface FitReport {
  readonly seconds: number;
  readonly trainWindows: number;
  /**
   * Windows each epoch of a neural model drew from those (--max-windows-per-epoch, --epoch-fraction), when
   * fewer: "trained on 2,186,292 windows" read as all of them, from a run that saw 30,000.
   */
  readonly epochWindows?: number;
  /** Continued from the previous weights (an `update` that really fine-tuned) rather than fit afresh. */
  readonly fineTuned?: boolean;
  /** Softmax temperature fit on the validation block (neural models). */
  readonly temperature?: number;
  /**
   * Gradient boosting's iterations kept by early stopping on the validation block; 0 leaves the class priors,
   * which score exactly as majority does.
   */
  readonly iterations?: number;
  readonly history?: readonly EpochRecord[];
  readonly bestEpoch?: number | null;
  readonly stopReason?: StopReason;
}

export interface LearnerOutput {
  /** [n, 3] calibrated probabilities. */
  readonly probabilities: Float32Array;
  readonly returns: Float64Array;
  /** Named classes when they are not the argmax (rule-based baselines). */
  readonly classes?: Int8Array;
}

export interface Learner {
  readonly name: string;
  /** Already trained (a checkpoint): the first fold uses it as it is. */
  readonly pretrained: boolean;
  /**
   * A checkpoint's own training-split class frequencies (its version's `classPriors`): what `serve` divides by
   * under the prior rule, so the prior rule is scored with them while the checkpoint is kept as it is.
   */
  readonly priors?: readonly [number, number, number];
  /** Trains from scratch on the fold's training split. */
  fit(fold: FoldData): Promise<FitReport>;
  /** Continues training on the windows new since the previous fold (weekly retraining). */
  update(fold: FoldData): Promise<FitReport>;
  predict(set: LabelledSet, fold: FoldData): Promise<LearnerOutput>;
  dispose(): void;
}

/**
 * A learner asked for what it cannot do: retrain a checkpoint on ONNX Runtime, predict before fitting, a
 * training stopped before its first epoch.
 */
export class LearnerError extends ReportedError {
  override name = "LearnerError";
}
