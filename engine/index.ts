/**
 * The serving engine: a checkpoint version read and checked (preprocessor.json, manifest.json, model.onnx), run
 * on ONNX Runtime, and its output mapped to SPEC §4 responses; plus the prediction record and the version.
 *
 * @example Score windows with the served version
 * ```ts
 * import { FEATURE_COUNT } from "../features/index.ts";
 * import { loadPredictor } from "./index.ts";
 *
 * const predictor = await loadPredictor("checkpoints/current"); // files checked against manifest.json
 * const { lookback } = predictor.info.preprocessor;
 * // Two windows of UNscaled SPEC §5 features, row-major [2, lookback, 35]: the model scales its own inputs.
 * const [first] = await predictor.predict(new Float32Array(2 * lookback * FEATURE_COUNT), 2);
 * console.log(first.probabilities); // DOWN, SIDEWAYS, UP
 * await predictor.close();
 * ```
 */
export type { ModelInfo, Predictor, RawPrediction } from "./types.ts";
export { metricsUnder } from "./types.ts";
export {
  INPUT_NAME,
  loadPredictor,
  OUTPUT_NAMES,
  type PredictorOptions,
  type SessionTuning,
  softmax3,
} from "./onnx_predictor.ts";
export {
  assertCheckpointDir,
  CheckpointError,
  type CheckpointFiles,
  fileInVersionError,
  isVersionName,
  modelsListChecks,
  readCheckpointFiles,
  readJson as readVersionJson,
  readManifestInfo,
  readManifestWith,
  readPreprocessorFile,
  verifyCheckpointFiles,
  verifyListedFiles,
  versionNumber,
  versionStoreError,
} from "./checkpoint_files.ts";
export {
  describeFileProblems,
  type FileProblems,
  fileProblems,
  hasFileProblems,
  type ManifestBase,
  ManifestBaseSchema,
  ManifestFilesSchema,
  mismatchedFiles,
  sha256Hex,
  verifyVersion,
} from "./manifest.ts";
export { type MetricsFile, MetricsFileSchema, parseMetricsFile, readMetricsFile } from "./metrics_file.ts";
export {
  type Blend,
  BlendSchema,
  blendTag,
  blendWords,
  boostingShare,
  LabelRuleSchema,
  MODEL_CLASS_NAMES,
  MODEL_HAS_ATTENTION,
  MODEL_TYPES,
  type ModelType,
  type Preprocessor,
} from "./preprocessor.ts";
export {
  classPriors,
  decideClass,
  decideClasses,
  DECISION_CHOICES,
  DECISION_RULES,
  type DecisionChoice,
  type DecisionRule,
  effectiveRule,
  TRAINED_DECISION_RULE,
} from "./decision.ts";
export {
  ARGMAX,
  ATTENTION_TOP,
  attentionSummary,
  type Decision,
  type PredictResponse,
  predictResponse,
} from "./response.ts";
export { type PredictionRecord, PredictionRecordSchema } from "./prediction_record.ts";
export { VERSION } from "./version.ts";
export { sourceCommit } from "./source_commit.ts";
export { type Feed, runOnnx } from "./run_once.ts";
export { onnxRuntime } from "./ort.ts";
