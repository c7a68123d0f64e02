/**
 * `volatilityChannels` in the model builders: the first layer of each architecture sees 35 + 16 (or 17) values, a
 * config without the field (an old manifest) builds exactly what `false` builds, the channels change every
 * member's input, an ensemble shares one channels layer, and firstMembers keeps its statistics.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { FEATURE_COUNT, featureIndex } from "../../features/index.ts";
import { VOLATILITY_CHANNEL_COUNT } from "../layers/index.ts";
import { initBackend } from "../runtime/backend.ts";
import {
  buildModel,
  defaultModelConfig,
  FAST_LAYERS,
  firstMembers,
  type InputScaling,
  inputScalingOf,
  inputWidth,
  memberViews,
  type ModelConfig,
  VOLATILITY_LAYER,
} from "./index.ts";

await initBackend("wasm");

const tiny = (type: ModelConfig["type"], members = 1, volatilityChannels = false): ModelConfig => ({
  ...defaultModelConfig(type, 5),
  dModel: 8,
  heads: 2,
  ffnDim: 16,
  encoderLayers: 1,
  lstmHidden: 4,
  members,
  volatilityChannels,
});

/** Plausible statistics: returns around 0 with std 0.01, volatilities around 0.008 with std 0.004. */
const VOL5 = featureIndex("volatility_5"), VOL20 = featureIndex("volatility_20");
const SCALING: InputScaling = {
  scaler: {
    mean: Array.from({ length: FEATURE_COUNT }, (_, i) => (i === VOL5 || i === VOL20 ? 0.008 : 0)),
    std: Array.from({ length: FEATURE_COUNT }, (_, i) => (i === VOL5 || i === VOL20 ? 0.004 : 0.01)),
  },
  clip: 5,
};

const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

Deno.test("volatilityChannels: the first layer of either architecture sees 35 + 16 (candle) or 35 + 17 (last) values", () => {
  const width = FEATURE_COUNT + VOLATILITY_CHANNEL_COUNT;
  const candle = (type: ModelConfig["type"]) => ({
    ...tiny(type, 1, true),
    volatilityReference: "candle" as const,
  });
  assert.equal(inputWidth(candle("transformer_lstm")), width);
  assert.equal(inputWidth(tiny("transformer_lstm")), FEATURE_COUNT);
  // A config from before the option (no volatilityReference) had the own-candle channels.
  const { volatilityReference: _, ...old } = tiny("transformer_lstm", 1, true);
  assert.equal(inputWidth(old as ModelConfig), width);
  assert.equal(inputWidth({ ...tiny("transformer_lstm", 1, true), volatilityReference: "last" }), width + 1);
  const hybrid = buildModel(candle("transformer_lstm"), 1, FAST_LAYERS, SCALING);
  assert.deepEqual(hybrid.getLayer("input_projection").getWeights()[0].shape, [width, 8]);
  const lstm = buildModel(candle("lightweight_lstm"), 1, FAST_LAYERS, SCALING);
  assert.deepEqual(lstm.getLayer("lstm1").getWeights()[0].shape, [width, 16]);
  // The model's input stays the 35 scaled features.
  assert.deepEqual(hybrid.inputs[0].shape, [null, 5, FEATURE_COUNT]);
  hybrid.dispose();
  lstm.dispose();
});

Deno.test("volatilityChannels: refused without the training scaler", () => {
  assert.throws(
    () => buildModel(tiny("transformer_lstm", 1, true), 1),
    /volatilityChannels needs the training scaler/,
  );
});

Deno.test("a config without volatilityChannels (an old manifest) builds exactly the model `false` builds", () => {
  for (const type of ["transformer_lstm", "lightweight_lstm"] as const) {
    const { volatilityChannels: _, ...old } = tiny(type, 2);
    const a = buildModel(old as ModelConfig, 3), b = buildModel(tiny(type, 2), 3, FAST_LAYERS, SCALING);
    assert.ok(!a.layers.some((l) => l.name === VOLATILITY_LAYER));
    assert.deepEqual(a.layers.map((l) => l.name), b.layers.map((l) => l.name));
    assert.deepEqual(weightsOf(a), weightsOf(b));
    const x = tf.randomNormal([3, 5, FEATURE_COUNT], 0, 1, "float32", 9);
    assert.deepEqual(
      (a.predict(x) as tf.Tensor[]).map((y) => y.arraySync()),
      (b.predict(x) as tf.Tensor[]).map((y) => y.arraySync()),
    );
    a.dispose();
    b.dispose();
  }
});

Deno.test("an ensemble shares one channels layer that feeds every member; firstMembers keeps its statistics", () => {
  const config = tiny("transformer_lstm", 3, true);
  const model = buildModel(config, 2, FAST_LAYERS, SCALING);
  assert.equal(model.layers.filter((l) => l.name === VOLATILITY_LAYER).length, 1);
  for (const member of memberViews(model)) {
    assert.ok(member.model.layers.some((l) => l.name === VOLATILITY_LAYER));
  }
  // Every member reads the channels: the same weights under another volatility_20 scale change each
  // member's output (the channels divide by it; the 35 scaled inputs are the same).
  const calmer: InputScaling = {
    ...SCALING,
    scaler: { ...SCALING.scaler, mean: SCALING.scaler.mean.map((m, i) => (i === VOL20 ? m / 2 : m)) },
  };
  const other = buildModel(config, 2, FAST_LAYERS, calmer);
  assert.deepEqual(weightsOf(other), weightsOf(model));
  const x = tf.randomNormal([2, 5, FEATURE_COUNT], 0, 1, "float32", 4);
  memberViews(model).forEach((member, k) => {
    const a = (member.model.predict(x) as tf.Tensor[])[0].arraySync();
    const b = (memberViews(other)[k].model.predict(x) as tf.Tensor[])[0].arraySync();
    assert.notDeepEqual(a, b, `member ${k + 1} ignores the channels`);
  });
  other.dispose();
  const kept = firstMembers(model, config, 2, 2);
  assert.deepEqual(inputScalingOf(kept), inputScalingOf(model));
  assert.deepEqual(inputScalingOf(kept)!.scaler.std, SCALING.scaler.std);
  assert.equal(inputScalingOf(buildModel(tiny("transformer_lstm"), 2)), undefined);
  kept.dispose();
  model.dispose();
});
