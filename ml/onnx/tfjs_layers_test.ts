import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { CLASSES, FEATURE_COUNT, FEATURE_NAMES } from "../../features/index.ts";
import { initBackend } from "../runtime/backend.ts";
import type { Preprocessor } from "../../engine/preprocessor.ts";
import { exportOnnx } from "./export.ts";
import { pseudoRandom } from "../../test/onnx.ts";
import { checkExport } from "./verify.ts";

const L = 6;

await initBackend("cpu");

function preprocessor(): Preprocessor {
  return {
    modelType: "lightweight_lstm",
    featureNames: [...FEATURE_NAMES],
    lookback: L,
    horizon: 4,
    labelRule: { kind: "volatility", multiplier: 0.5 },
    classes: [...CLASSES],
    scaler: {
      featureNames: [...FEATURE_NAMES],
      mean: FEATURE_NAMES.map(() => 0.2),
      std: FEATURE_NAMES.map(() => 1.5),
    },
    clip: 4,
    returnScale: { mean: 0.001, std: 0.02 },
    temperature: 0.8,
  };
}

/** The layers `STOCK_LAYERS` builds from (tfjs's own lstm, bidirectional, layerNormalization), one of each. */
function stockModel(recurrentActivation: "sigmoid" | "hardSigmoid" = "sigmoid"): tf.LayersModel {
  const input = tf.input({ shape: [L, FEATURE_COUNT] });
  const lstm = (returnSequences: boolean) =>
    tf.layers.lstm({ units: 4, returnSequences, recurrentActivation, unitForgetBias: true }) as tf.RNN;
  let x = lstm(true).apply(input) as tf.SymbolicTensor;
  x = tf.layers.layerNormalization({ axis: -1, epsilon: 1e-5 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.bidirectional({ layer: lstm(false), mergeMode: "concat" }).apply(x) as tf.SymbolicTensor;
  // Every activation the exporter maps, on the way to the two outputs.
  const hidden = tf.layers.dense({ units: 6, activation: "gelu" }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 3, activation: "tanh" }).apply(hidden) as tf.SymbolicTensor;
  const regression = tf.layers.dense({ units: 1, activation: "sigmoid" }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [logits, regression] });
  // Non-trivial biases and LayerNorm γ/β, so a mis-mapped one shows.
  model.setWeights(
    model.getWeights().map((w, i) => tf.add(w, tf.tensor(pseudoRandom(w.size, 50 + i, 0.3), w.shape))),
  );
  return model;
}

Deno.test("stock tfjs LSTM, Bidirectional, LayerNormalization and dense activations match on ONNX Runtime", async () => {
  const model = stockModel();
  const p = preprocessor();
  const check = await checkExport(model, p, exportOnnx(model, p, { version: "stock" }), { count: 5 });
  assert.ok(check.ok, JSON.stringify(check.maxDiff));
  // The check itself must be able to fail: a wrong gate order does.
  const wrong = await checkExport(
    model,
    p,
    exportOnnx(model, p, { version: "x", lstmGateOrder: [0, 1, 2, 3] }),
    { count: 5 },
  );
  assert.ok(!wrong.ok);
  model.dispose();
});

Deno.test("an LSTM with hard-sigmoid gates is refused, naming the layer and the reason", () => {
  const model = stockModel("hardSigmoid");
  assert.throws(
    () => exportOnnx(model, preprocessor(), { version: "x" }),
    /recurrentActivation 'hardSigmoid'/,
  );
  model.dispose();
});
