/**
 * What other commands use of `train`'s parts: the command itself (`runTraining`, for `../train.ts`, which sits
 * beside this folder), train's flag schema and a version's recorded configuration (for `retrain`, to check
 * `--train-args` as train would before anything runs; for `models`, to check a stopped run's recorded flags
 * as `train --resume` does), and the refusal of training windows that lack a class
 * (for `evaluate`'s folds).
 */
export { configFromVersion, requireRecordedModel } from "./parent.ts";
export { TrainFlagsSchema, type TrainOptions } from "./options.ts";
export { runTraining, type TrainPhase } from "./run.ts";
export { requireEveryClass } from "./preflight.ts";
