/**
 * Everything measured about one model's predictions on one set of windows: the shared metrics of ml/metrics
 * (argmax rule), the same classification scores under the prior-corrected rule, calibration (ECE and the
 * reliability table) and the precision of confident UP/DOWN calls.
 */
import { DOWN, UP } from "../../features/index.ts";
import { calibrationOf, computeMetrics, type Metrics, type ReliabilityBin } from "../metrics/index.ts";

/** The probabilities above which a confident call is counted, and the backtest's entry thresholds. */
export const CONFIDENCE_THRESHOLDS = [0.4, 0.5, 0.6, 0.7] as const;

/** A model's output for n windows, in class order DOWN, SIDEWAYS, UP. */
export interface PredictionSet {
  /** [n, 3] calibrated probabilities. */
  readonly probabilities: Float32Array;
  /** Predicted forward return per window (a fraction). */
  readonly returns: Float64Array;
  /** The classes the model names, when not the argmax (rule-based baselines). */
  readonly classes?: Int8Array;
  /** The classes named by the prior-corrected rule (probabilities ÷ the fold's training priors, argmax). */
  readonly priorClasses: Int8Array;
}

/** The truth for the same n windows. */
export interface Truth {
  readonly labels: Int8Array;
  readonly returns: Float64Array;
}

export interface CallPrecision {
  /** Windows where the class probability exceeded the threshold. */
  readonly count: number;
  /** Share of those whose true class was the called one (NaN without calls). */
  readonly precision: number;
}

export interface ConfidentCalls {
  readonly threshold: number;
  readonly up: CallPrecision;
  readonly down: CallPrecision;
}

export type DecisionMetrics = Pick<
  Metrics,
  "accuracy" | "macro_f1" | "per_class" | "predicted_share" | "confusion_matrix"
>;

export interface Scores {
  /** Argmax (or the model's own classes) with every metric of ml/metrics. */
  readonly metrics: Metrics;
  /**
   * The prior-corrected decision rule's classification scores, and the calibration of what it serves as
   * `confidence`: the probability of the class it names (`ece` above bins the top class's).
   */
  readonly prior_rule: DecisionMetrics & {
    readonly ece: number;
    readonly ece_floor: number;
    /** As `Scores.ece_floor_blocks`, for this ECE. */
    readonly ece_floor_blocks?: number;
  };
  readonly ece: number;
  /** The ECE a perfectly calibrated model would show on these windows from sampling alone (`calibrationFloor`). */
  readonly ece_floor: number;
  /**
   * The floor with windows' dependence measured from the bootstrap's blocks (`blockCalibrationFloor`): an upper
   * estimate of the ECE's noise. Pooled scores only: a fold holds too few blocks. NaN (null in evaluation.json)
   * when the pooled windows span fewer than MIN_FLOOR_BLOCKS blocks, where no bin could be read from them.
   */
  readonly ece_floor_blocks?: number;
  readonly reliability: readonly ReliabilityBin[];
  readonly confident_calls: readonly ConfidentCalls[];
  /** Share of windows truly UP / DOWN: what a confident call's precision must beat. */
  readonly base_rate: { readonly up: number; readonly down: number };
}

/** Precision of "P(class) > threshold" calls for UP and DOWN at each threshold. */
export function confidentCalls(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  thresholds: readonly number[] = CONFIDENCE_THRESHOLDS,
): ConfidentCalls[] {
  return thresholds.map((threshold) => {
    const call = (k: number): CallPrecision => {
      let count = 0, hits = 0;
      for (let i = 0; i < labels.length; i++) {
        if (probabilities[i * 3 + k] > threshold) {
          count++;
          if (labels[i] === k) hits++;
        }
      }
      return { count, precision: count > 0 ? hits / count : NaN };
    };
    return { threshold, up: call(UP), down: call(DOWN) };
  });
}

/**
 * Every score of one predictor on one set of windows: the shared metrics (its own classes), the
 * prior-corrected rule's, calibration, confident calls and the base rates they must beat.
 */
export function scorePredictions(
  truth: Truth,
  p: PredictionSet,
  thresholds: readonly number[] = CONFIDENCE_THRESHOLDS,
): Scores {
  const metrics = computeMetrics(truth.labels, p.probabilities, truth.returns, p.returns, p.classes);
  const prior = computeMetrics(truth.labels, p.probabilities, truth.returns, p.returns, p.priorClasses);
  const { reliability, ece, eceFloor } = calibrationOf(p.probabilities, truth.labels);
  const served = calibrationOf(p.probabilities, truth.labels, p.priorClasses);
  const n = Math.max(truth.labels.length, 1);
  let up = 0, down = 0;
  for (const y of truth.labels) {
    if (y === UP) up++;
    else if (y === DOWN) down++;
  }
  return {
    metrics,
    prior_rule: {
      accuracy: prior.accuracy,
      macro_f1: prior.macro_f1,
      per_class: prior.per_class,
      predicted_share: prior.predicted_share,
      confusion_matrix: prior.confusion_matrix,
      ece: served.ece,
      ece_floor: served.eceFloor,
    },
    ece,
    ece_floor: eceFloor,
    reliability,
    confident_calls: confidentCalls(p.probabilities, truth.labels, thresholds),
    base_rate: { up: up / n, down: down / n },
  };
}
