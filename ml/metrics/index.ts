/** Evaluation metrics: accuracy, macro-F1, per-class scores, confusion, log-loss, Brier, return MAE and sign. */
export * from "./classification.ts";
