/**
 * Evaluation metrics — accuracy, macro-F1, per-class scores, confusion, log-loss, Brier, return MAE and sign —
 * and the calibration maths (temperature scaling, reliability, ECE) that training and evaluation share.
 *
 * @example Score probabilities the way train and evaluate do
 * ```ts
 * import { calibrationOf, computeMetrics } from "./index.ts";
 *
 * const labels = Int8Array.from([0, 1, 2, 1]); // DOWN, SIDEWAYS, UP
 * const probabilities = Float32Array.from([.5, .3, .2, .2, .6, .2, .1, .3, .6, .3, .4, .3]); // [n × 3]
 * const returns = new Float64Array(4); // true and predicted returns, for the regression head's scores
 * const metrics = computeMetrics(labels, probabilities, returns, returns);
 * const { ece, eceFloor } = calibrationOf(probabilities, labels);
 * console.log(metrics.log_loss, metrics.macro_f1, ece, eceFloor);
 * ```
 */
export * from "./classification.ts";
export * from "./calibration.ts";
export * from "./student_t.ts";
export * from "./rank_correlation.ts";
