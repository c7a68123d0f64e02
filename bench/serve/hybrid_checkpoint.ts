/**
 * A servable checkpoint of the default-size hybrid model (transformer_lstm, SPEC §1 defaults) with freshly
 * initialised weights, exported to ONNX the way `train` does it. Serving speed depends on the graph's shapes,
 * not on the weights' values, so the serve bench can measure the real model before one has been trained.
 */
import { initBackend } from "../../ml/runtime/index.ts";
import { writeUntrainedCheckpoint } from "../untrained_checkpoint.ts";

export async function writeHybridCheckpoint(
  dir: string,
  windows: Float32Array,
  lookback = 50,
): Promise<void> {
  await initBackend("wasm");
  const model = await writeUntrainedCheckpoint(dir, "transformer_lstm", lookback, windows, "bench_untrained");
  model.dispose();
}
