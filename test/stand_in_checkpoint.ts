/**
 * A servable checkpoint folder (model.onnx, preprocessor.json, manifest.json, metrics.json) holding a small
 * stand-in network in the real SPEC §8 frame, for tests and benches that need the real ONNX Runtime engine
 * before a trained model exists. Its predictions mean nothing; its plumbing is the real one.
 */
import { join } from "node:path";
import type { ModelType } from "../engine/preprocessor.ts";
import { frameModel } from "../ml/onnx/frame.ts";
import { encodeModel } from "../ml/onnx/graph.ts";
import { linearBody, linearBodyWeights, testPreprocessor } from "./onnx.ts";

export interface StandInOptions {
  readonly version?: string;
  readonly lookback?: number;
  readonly modelType?: ModelType;
}

export async function writeStandInCheckpoint(dir: string, options: StandInOptions = {}): Promise<void> {
  const version = options.version ?? "v1_2024-01-01";
  const lookback = options.lookback ?? 50;
  const modelType = options.modelType ?? "transformer_lstm";
  const p = testPreprocessor({ modelType, lookback });
  const model = frameModel(linearBody(linearBodyWeights(5), lookback, modelType === "transformer_lstm"), {
    preprocessor: p,
    version,
    producerVersion: "stand-in",
  });
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(join(dir, "model.onnx"), encodeModel(model));
  await Deno.writeTextFile(join(dir, "preprocessor.json"), JSON.stringify(p));
  await Deno.writeTextFile(
    join(dir, "manifest.json"),
    JSON.stringify({ version, created_at: "2024-01-01T00:00:00.000Z", parent: null }),
  );
  await Deno.writeTextFile(join(dir, "metrics.json"), JSON.stringify({ test: { accuracy: 0.5 } }));
}
