/**
 * A servable checkpoint of the default-size hybrid model (transformer_lstm, SPEC §1 defaults) with freshly
 * initialised weights, exported to ONNX the way `train` does it. Serving speed depends on the graph's shapes,
 * not on the weights' values, so the serve bench can measure the real model before one has been trained.
 */
import { join } from "node:path";
import { CLASSES, FEATURE_NAMES, fitScaler } from "../../features/index.ts";
import { initBackend } from "../../ml/runtime/backend.ts";
import { buildModel, defaultModelConfig } from "../../ml/models/index.ts";
import { exportOnnx } from "../../ml/onnx/index.ts";
import type { Preprocessor } from "../../engine/preprocessor.ts";

export async function writeHybridCheckpoint(
  dir: string,
  windows: Float32Array,
  lookback = 50,
): Promise<void> {
  await initBackend("wasm");
  const model = buildModel(defaultModelConfig("transformer_lstm", lookback), 42);
  const preprocessor: Preprocessor = {
    modelType: "transformer_lstm",
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
  try {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeFile(
      join(dir, "model.onnx"),
      exportOnnx(model, preprocessor, { version: "bench_untrained" }),
    );
    await Deno.writeTextFile(join(dir, "preprocessor.json"), JSON.stringify(preprocessor));
    await Deno.writeTextFile(
      join(dir, "manifest.json"),
      JSON.stringify({ version: "bench_untrained", created_at: new Date().toISOString() }),
    );
  } finally {
    model.dispose();
  }
}
