/** The inference engine: a checkpoint's model.onnx on ONNX Runtime, and the mapping to SPEC §4 responses. */
export type { ModelInfo, Predictor, RawPrediction } from "./types.ts";
export {
  INPUT_NAME,
  loadPredictor,
  OUTPUT_NAMES,
  type PredictorOptions,
  softmax3,
} from "./onnx_predictor.ts";
export {
  CheckpointError,
  mismatchedFiles,
  readCheckpointFiles,
  sha256Hex,
  verifyCheckpointFiles,
} from "./checkpoint_files.ts";
export {
  ARGMAX,
  ATTENTION_TOP,
  attentionSummary,
  type Decision,
  type PredictResponse,
  predictResponse,
} from "./response.ts";
