/**
 * ONNX export (SPEC §8): `exportOnnx(model, preprocessor, {version})` → model.onnx bytes that ONNX Runtime and
 * Microsoft.ML.OnnxRuntime run with input `input` and outputs `class_logits`, `regression`[, `attention`].
 */
export { exportOnnx, type ExportOptions } from "./export.ts";
export { decodeModel, encodeModel, GraphBuilder, IR_VERSION, isCandlecastModelHead, OPSET } from "./graph.ts";
export { checkExport, EXPORT_TOLERANCE, exportCheckedOnnx, ExportMismatchError } from "./verify.ts";
