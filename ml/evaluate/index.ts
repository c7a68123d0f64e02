/**
 * Walk-forward evaluation: folds by time, the model and its baselines in the same folds, calibration
 * (temperature scaling, reliability, ECE), the prior-corrected decision rule, a block bootstrap and a backtest.
 *
 * @example Is the model better than a baseline, or is it noise? (block bootstrap over time)
 * ```ts
 * import { blockBootstrap, BOOTSTRAP_BLOCK_CANDLES, timeBlocks } from "./index.ts";
 *
 * const labels = Int8Array.from([0, 1, 2, 1]);
 * const times = [0, 3_600_000, 7_200_000, 10_800_000]; // each window's last open time, ms
 * const model = { probabilities: Float32Array.from([.5, .3, .2, .2, .6, .2, .1, .3, .6, .3, .4, .3]), classes: [0, 1, 2, 1] };
 * const baseline = { probabilities: new Float32Array(12).fill(1 / 3), classes: [1, 1, 1, 1] };
 * const blocks = timeBlocks(times, BOOTSTRAP_BLOCK_CANDLES * 3_600_000); // 4 days of 1h candles a block
 * const { log_loss_diff } = blockBootstrap(labels, model, baseline, blocks, { seed: 1 });
 * // Below 0 favours the model; an interval that includes 0 is a tie.
 * console.log(log_loss_diff.estimate, log_loss_diff.low, log_loss_diff.high);
 * ```
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
export * from "./holdout.ts";
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
  NOT_JUDGED_VERDICT,
  signedDifference,
  tooFewBlocks,
} from "./verdict.ts";
export * from "./tables.ts";
export * from "./served_calls.ts";
export {
  f5,
  noChangeRatio,
  rankCorrelationCell,
  rankNoise,
  returnColumnsNote,
  returnHeadTable,
  returnHeadWords,
  USE_PROBABILITIES,
} from "./return_head.ts";
export * from "./format.ts";
export * from "./predictions_csv.ts";
