/**
 * A servable checkpoint of a default-size model with its seeded initial weights, exported to ONNX the way
 * `train` does it. Inference speed depends on the graph's shapes, not on the weights' values, so the benches
 * measure the real models before one has been trained. Written by the inference and serve benches.
 */
import { join } from "node:path";
import { CLASSES, FEATURE_NAMES, fitScaler } from "../features/index.ts";
import type { ModelType, Preprocessor } from "../engine/index.ts";
import { type LayersModel } from "../ml/runtime/index.ts";
import { buildModel, defaultModelConfig, FAST_LAYERS } from "../ml/models/index.ts";
import { exportOnnx } from "../ml/onnx/index.ts";

/** The preprocessor.json a bench model is served with; the scaler is fit on `windows` (unscaled features). */
export function benchPreprocessor(type: ModelType, lookback: number, windows: Float32Array): Preprocessor {
  return {
    modelType: type,
    featureNames: [...FEATURE_NAMES],
    lookback,
    horizon: 4,
    labelRule: { kind: "volatility", multiplier: 0.5 },
    classes: [...CLASSES],
    scaler: fitScaler(FEATURE_NAMES, windows),
    clip: 10,
    returnScale: { mean: 0, std: 0.01 },
    temperature: 1,
  };
}

/**
 * Builds the model (seed 42), writes model.onnx, preprocessor.json and manifest.json into `dir` and returns the
 * tfjs model, which the caller disposes. tfjs must be initialised first.
 */
export async function writeUntrainedCheckpoint(
  dir: string,
  type: ModelType,
  lookback: number,
  windows: Float32Array,
  version: string,
  options: { readonly fuseMembers?: boolean; readonly members?: number } = {},
): Promise<LayersModel> {
  const preprocessor = benchPreprocessor(type, lookback, windows);
  const config = defaultModelConfig(type, lookback);
  // The default config's volatility channels (transformer_lstm) are built from the scaler.
  const model = buildModel(
    { ...config, members: options.members ?? config.members },
    42,
    FAST_LAYERS,
    preprocessor,
  );
  try {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeFile(
      join(dir, "model.onnx"),
      exportOnnx(model, preprocessor, { version, fuseMembers: options.fuseMembers }),
    );
    await Deno.writeTextFile(join(dir, "preprocessor.json"), JSON.stringify(preprocessor));
    await Deno.writeTextFile(
      join(dir, "manifest.json"),
      JSON.stringify({ version, created_at: new Date().toISOString() }),
    );
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}
