import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend.ts";
import { FastLSTM } from "../layers/index.ts";
import {
  buildModel,
  defaultModelConfig,
  type ModelConfig,
  modelConfigProblem,
  weightsLowerBound,
} from "./index.ts";
import { FAST_LAYERS, type LayerKit } from "./layer_kit.ts";

await initBackend("wasm");

const tiny = (type: ModelConfig["type"]): ModelConfig => ({
  ...defaultModelConfig(type, 5),
  // Built without a training scaler: the channels (tested in input_channels_test.ts) need one.
  volatilityChannels: false,
  dModel: 8,
  heads: 2,
  ffnDim: 16,
  encoderLayers: 1,
  lstmHidden: 4,
  members: 1,
});

Deno.test("transformer_lstm: outputs class_logits [b,3], regression [b,1], attention [b,T] summing to 1", () => {
  const model = buildModel(tiny("transformer_lstm"), 1);
  assert.equal(model.name, "TransformerLSTMModel");
  assert.deepEqual(model.outputNames, ["class_logits", "regression", "attention"]);
  const [logits, regression, attention] = model.predict(tf.randomNormal([2, 5, 35])) as tf.Tensor[];
  assert.deepEqual([logits.shape, regression.shape, attention.shape], [[2, 3], [2, 1], [2, 5]]);
  for (const row of attention.arraySync() as number[][]) {
    assert.ok(Math.abs(row.reduce((a, b) => a + b) - 1) < 1e-5);
    assert.ok(row.every((w) => w >= 0));
  }
  model.dispose();
});

Deno.test("lightweight_lstm: outputs class_logits and regression only", () => {
  const model = buildModel(tiny("lightweight_lstm"), 1);
  assert.equal(model.name, "LightweightLSTMModel");
  assert.deepEqual(model.outputNames, ["class_logits", "regression"]);
  const outputs = model.predict(tf.randomNormal([2, 5, 35])) as tf.Tensor[];
  assert.deepEqual(outputs.map((o) => o.shape), [[2, 3], [2, 1]]);
  model.dispose();
});

Deno.test("buildModel: the seed fixes every initial weight", () => {
  for (const type of ["transformer_lstm", "lightweight_lstm"] as const) {
    const weights = (seed: number) =>
      buildModel(tiny(type), seed).getWeights().map((w) => Array.from(w.dataSync()));
    assert.deepEqual(weights(3), weights(3));
    assert.notDeepEqual(weights(3), weights(4));
  }
});

Deno.test("modelConfigProblem names the bad field", () => {
  assert.equal(modelConfigProblem(defaultModelConfig("transformer_lstm", 50)), null);
  assert.match(modelConfigProblem({ ...tiny("transformer_lstm"), heads: 3 })!, /dModel \(8\).*heads \(3\)/);
  assert.match(modelConfigProblem({ ...tiny("lightweight_lstm"), lstmHidden: 0 })!, /lstmHidden/);
  assert.match(modelConfigProblem({ ...tiny("lightweight_lstm"), dropout: 1 })!, /dropout/);
  assert.throws(() => buildModel({ ...tiny("transformer_lstm"), heads: 3 }), /model config/);
});

Deno.test("headInput pooled_last: the heads read [pooled | last timestep]; no field (an old config) is pooled alone", () => {
  const pooled = buildModel({ ...tiny("transformer_lstm"), headInput: "pooled" }, 1);
  const { headInput: _, ...oldConfig } = tiny("transformer_lstm");
  const old = buildModel(oldConfig as ModelConfig, 1);
  assert.deepEqual(old.layers.map((l) => l.name), pooled.layers.map((l) => l.name));
  assert.ok(!pooled.layers.some((l) => l.name === "last_step"));
  const skip = buildModel({ ...tiny("transformer_lstm"), headInput: "pooled_last" }, 1);
  const d = tiny("transformer_lstm").dModel, lstmOut = 2 * tiny("transformer_lstm").lstmHidden;
  // The pooled summary is d wide (the pooling's output projection), the last BiLSTM step 2·hidden.
  assert.deepEqual(skip.getLayer("class_hidden").getWeights()[0].shape, [d + lstmOut, d]);
  assert.deepEqual(pooled.getLayer("class_hidden").getWeights()[0].shape, [d, d]);
  // No new weights: the same seed gives every shared layer the same initial values.
  assert.deepEqual(
    skip.getLayer("input_projection").getWeights()[0].dataSync(),
    pooled.getLayer("input_projection").getWeights()[0].dataSync(),
  );
  [pooled, old, skip].forEach((m) => m.dispose());
});

Deno.test("headInput pooled_last_input: the heads also read the last candle's input channels", () => {
  const c = tiny("transformer_lstm");
  const wide = buildModel({ ...c, headInput: "pooled_last_input" }, 1);
  assert.deepEqual(wide.getLayer("class_hidden").getWeights()[0].shape, [
    c.dModel + 2 * c.lstmHidden + c.features,
    c.dModel,
  ]);
  const x = tf.randomNormal([2, c.lookback, c.features], 0, 1, "float32", 3);
  // The head input's tail is exactly the input's last timestep (no channels in this config).
  const headInput = tf.model({
    inputs: wide.inputs,
    outputs: wide.getLayer("head_input").output as tf.SymbolicTensor,
  });
  const h = headInput.predict(x) as tf.Tensor;
  const tail = h.slice([0, c.dModel + 2 * c.lstmHidden], [2, c.features]);
  const last = x.slice([0, c.lookback - 1, 0], [2, 1, c.features]).reshape([2, c.features]);
  assert.deepEqual(tail.arraySync(), last.arraySync());
  [x, h, tail, last].forEach((t) => t.dispose());
  wide.dispose();
});

Deno.test("lightweight_lstm: skipping the input channels' gradient changes no weight's gradient", () => {
  const config = { ...tiny("lightweight_lstm"), lstmLayers: 2 };
  const everyGradient: LayerKit = {
    ...FAST_LAYERS,
    lstm: (args) => new FastLSTM({ ...args, inputIsData: false }),
  };
  const models = [buildModel(config, 4), buildModel(config, 4, everyGradient)];
  const x = tf.randomNormal([3, 5, 35], 0, 1, "float32", 6);
  const grads = models.map((model) => {
    const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const { grads } = tf.variableGrads(() => {
      const [logits, regression] = model.apply(x, { training: false }) as tf.Tensor[];
      return tf.add(tf.sum(tf.square(logits)), tf.sum(regression)) as tf.Scalar;
    }, vars);
    return vars.map((v) => grads[v.name]);
  });
  assert.equal(grads[0].length, grads[1].length);
  grads[0].forEach((g, i) =>
    assert.equal(tf.max(tf.abs(tf.sub(g, grads[1][i]))).dataSync()[0], 0, `weight ${i}`)
  );
  models.forEach((m) => m.dispose());
});

Deno.test("weightsLowerBound never passes a built model's weights, and holds most of the default's", () => {
  const configs: ModelConfig[] = [
    tiny("transformer_lstm"),
    { ...tiny("transformer_lstm"), encoderLayers: 2, lstmLayers: 2, members: 2 },
    tiny("lightweight_lstm"),
    { ...tiny("lightweight_lstm"), lstmLayers: 2, lstmHidden: 16 },
    { ...defaultModelConfig("transformer_lstm", 50), volatilityChannels: false },
    { ...defaultModelConfig("lightweight_lstm", 50), volatilityChannels: false },
  ];
  for (const config of configs) {
    const model = buildModel(config, 1);
    const actual = model.countParams();
    const bound = weightsLowerBound(config);
    assert.ok(bound <= actual, `${config.type}: ${bound} ≤ ${actual}`);
    if (config.lookback === 50) assert.ok(bound >= 0.8 * actual, `${config.type}: ${bound} near ${actual}`);
    model.dispose();
  }
});
