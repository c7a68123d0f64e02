/**
 * Evaluation metrics — accuracy, macro-F1, per-class scores, confusion, log-loss, Brier, return MAE and sign —
 * and the calibration maths (temperature scaling, reliability, ECE) that training and evaluation share.
 */
export * from "./classification.ts";
export * from "./calibration.ts";
export * from "./student_t.ts";
