/**
 * One run of an encoded ONNX model on ONNX Runtime, outside the serving predictor: the export check
 * (ml/onnx/verify.ts) and the ONNX writer's tests compare its outputs with what they expect, so ONNX Runtime
 * is imported only in engine/.
 */
import type * as ort from "onnxruntime-node";
import { onnxRuntime } from "./ort.ts";

export interface Feed {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** Runs `bytes` once on ONNX Runtime (one thread, so results are repeatable) and returns every output. */
export async function runOnnx(
  bytes: Uint8Array,
  feeds: Readonly<Record<string, Feed>>,
): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
  const runtime = await onnxRuntime();
  const session = await runtime.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, feed] of Object.entries(feeds)) {
      inputs[name] = new runtime.Tensor("float32", feed.data, [...feed.dims]);
    }
    const results = await session.run(inputs);
    const out: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
    for (const [name, tensor] of Object.entries(results)) {
      out[name] = { data: tensor.data as Float32Array, dims: tensor.dims };
    }
    return out;
  } finally {
    await session.release();
  }
}
