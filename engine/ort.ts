/**
 * ONNX Runtime's binding, loaded on first use. Every command reaches engine/ (its version, decision rules,
 * checkpoint readers), but only those that run a model need the native library: loading it at import time made
 * `candlecast --version` and `collect` ask for --allow-ffi and pay for the binding they never use.
 */
import type * as Ort from "onnxruntime-node";

export type OnnxRuntime = typeof Ort;

let loading: Promise<OnnxRuntime> | null = null;

/** The onnxruntime-node module, imported once per process on the first call. */
export function onnxRuntime(): Promise<OnnxRuntime> {
  return loading ??= import("onnxruntime-node");
}
