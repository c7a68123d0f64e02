/**
 * ONNX Runtime's binding, loaded on first use. Every command reaches engine/ (its version, decision rules,
 * checkpoint readers), but only those that run a model need the native library: loading it at import time made
 * `candlecast --version` and `collect` ask for --allow-ffi and pay for the binding they never use.
 */
import type * as Ort from "onnxruntime-node";
import { CheckpointError } from "./checkpoint_files.ts";

export type OnnxRuntime = typeof Ort;

let loaded: Promise<OnnxRuntime> | null = null;

/**
 * The onnxruntime-node module, imported once per process on the first call. A failed import is not kept (the
 * next call tries again), and one refused for want of a permission says which: Deno words it as a bare
 * "Requires ffi access", which reached users as "unexpected failure … this is a bug".
 */
export function onnxRuntime(): Promise<OnnxRuntime> {
  loaded ??= import("onnxruntime-node").catch((error) => {
    loaded = null;
    const text = error instanceof Error ? error.message : String(error);
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      throw new CheckpointError(
        `ONNX Runtime cannot be loaded: ${text.split("\n")[0]}`,
        "run it with --allow-ffi ('deno task cli' and the compiled binary grant it)",
      );
    }
    throw error;
  });
  return loaded;
}
