/**
 * Walk-forward evaluation: folds by time, the model and its baselines in the same folds, calibration
 * (temperature scaling, reliability, ECE), the prior-corrected decision rule, a block bootstrap and a backtest.
 */
export {
  classPriors,
  decideClass,
  decideClasses,
  DECISION_RULES,
  type DecisionRule,
} from "../../engine/index.ts";
export {
  calibrationFloor,
  expectedCalibrationError,
  fitTemperature,
  logProbabilities,
  type ReliabilityBin,
  reliabilityTable,
  temperatureNll,
  type TemperatureOptions,
  unweightLogits,
} from "../metrics/index.ts";
export * from "./scores.ts";
export * from "./bootstrap.ts";
export * from "./backtest.ts";
export * from "./folds.ts";
export * from "./learner.ts";
export * from "./baseline_learners.ts";
export * from "./network_learner.ts";
export * from "./onnx_learner.ts";
export * from "./model_outputs.ts";
export * from "./calibrate.ts";
export * from "./walk_forward.ts";
export * from "./summary_types.ts";
export * from "./summary.ts";
export {
  enoughBlocks,
  IN_SAMPLE_VERDICT,
  intervalWords,
  judge,
  minimumBlocks,
  signedDifference,
  tooFewBlocks,
} from "./verdict.ts";
export * from "./tables.ts";
export * from "./format.ts";
export * from "./predictions_csv.ts";
