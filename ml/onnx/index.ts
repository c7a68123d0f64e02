/**
 * ONNX export (SPEC §8): `exportOnnx(model, preprocessor, {version})` → model.onnx bytes that ONNX Runtime and
 * Microsoft.ML.OnnxRuntime run with input `input` and outputs `class_logits`, `regression`, `attention` (zeros for
 * a model without attention).
 *
 * @example Export a saved version's model, checked against tfjs before it is written
 * ```ts
 * import { readPreprocessorFile } from "../../engine/index.ts";
 * import { loadModel } from "../models/index.ts";
 * import { initBackend } from "../runtime/index.ts";
 * import { exportCheckedOnnx } from "./index.ts";
 *
 * await initBackend();
 * const dir = "checkpoints/current";
 * const { bytes, maxDiff } = await exportCheckedOnnx(await loadModel(dir), await readPreprocessorFile(dir), {
 *   version: "v3_2026-11-24",
 *   interval: "1h",
 * });
 * await Deno.writeFile("trading_model.onnx", bytes);
 * console.log(maxDiff); // largest |ONNX Runtime − tfjs| per output over probe windows
 * ```
 */
export { exportOnnx, type ExportOptions } from "./export.ts";
export {
  decodeModel,
  encodeModel,
  GraphBuilder,
  IR_VERSION,
  isCandlecastModelHead,
  ML_DOMAIN,
  ML_OPSET,
  OPSET,
} from "./graph.ts";
export { boostingProbabilities } from "./boosting.ts";
export {
  blendedLogits,
  checkExport,
  type CheckOptions,
  EXPORT_TOLERANCE,
  exportCheckedOnnx,
  ExportMismatchError,
} from "./verify.ts";
