import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend.ts";
import {
  buildModel,
  defaultModelConfig,
  disposeAuxiliaryHead,
  firstMembers,
  memberViews,
  type ModelConfig,
  prefixOf,
  withAuxiliaryHead,
} from "./index.ts";

await initBackend("wasm");

const tiny = (type: ModelConfig["type"], members: number): ModelConfig => ({
  ...defaultModelConfig(type, 5),
  // Built without a training scaler: the channels (tested in input_channels_test.ts) need one.
  volatilityChannels: false,
  dModel: 8,
  heads: 2,
  ffnDim: 16,
  encoderLayers: 1,
  lstmHidden: 4,
  members,
});

const softmax = (row: number[]) => {
  const e = row.map((v) => Math.exp(v));
  const z = e.reduce((a, b) => a + b);
  return e.map((v) => v / z);
};

Deno.test("an ensemble's class_logits are the log of its members' averaged probabilities", () => {
  const model = buildModel(tiny("transformer_lstm", 3), 7);
  assert.deepEqual(model.outputNames, ["class_logits", "regression", "attention"]);
  const members = memberViews(model);
  assert.deepEqual(members.map((m) => m.prefix), ["m1_", "m2_", "m3_"]);
  const x = tf.randomNormal([4, 5, 35], 0, 1, "float32", 3);
  const [logits, regression] = model.predict(x) as tf.Tensor[];
  const parts = members.map((m) => m.model.predict(x) as tf.Tensor[]);
  const probs = logits.arraySync() as number[][];
  const memberProbs = parts.map((p) => (p[0].arraySync() as number[][]).map(softmax));
  probs.forEach((row, i) => {
    const mean = [0, 1, 2].map((k) => memberProbs.reduce((s, m) => s + m[i][k], 0) / 3);
    row.forEach((v, k) => assert.ok(Math.abs(Math.exp(v) - mean[k]) < 1e-5));
  });
  const returns = regression.arraySync() as number[][];
  returns.forEach(([r], i) => {
    const mean = parts.reduce((s, p) => s + (p[1].arraySync() as number[][])[i][0], 0) / 3;
    assert.ok(Math.abs(r - mean) < 1e-5);
  });
  // Members differ: independent initialisation is what makes the average worth having.
  assert.notDeepEqual(parts[0][0].arraySync(), parts[1][0].arraySync());
  tf.dispose([x, logits, regression, ...parts.flat()]);
  model.dispose();
});

Deno.test("a member's view trains the ensemble's own layers; firstMembers keeps the trained ones", () => {
  const config = tiny("lightweight_lstm", 3);
  const model = buildModel(config, 2);
  const [first] = memberViews(model);
  assert.equal(prefixOf(first.model), "m1_");
  const kernel = model.getLayer("m1_class_logits").getWeights()[0];
  const bumped = tf.add(kernel, 1);
  first.model.getLayer("m1_class_logits").setWeights([
    bumped,
    model.getLayer("m1_class_logits").getWeights()[1],
  ]);
  assert.deepEqual(model.getLayer("m1_class_logits").getWeights()[0].arraySync(), bumped.arraySync());
  const kept = firstMembers(model, config, 2, 2);
  assert.deepEqual(memberViews(kept).map((m) => m.prefix), ["m1_", "m2_"]);
  assert.deepEqual(kept.getLayer("m1_class_logits").getWeights()[0].arraySync(), bumped.arraySync());
  tf.dispose([bumped]);
  kept.dispose();
  model.dispose();
});

Deno.test("the auxiliary head is a training-only output; disposing it frees exactly its weights", () => {
  const model = buildModel(tiny("transformer_lstm", 1), 4);
  const before = tf.memory().numTensors;
  const trainer = withAuxiliaryHead(model, 4, 2);
  assert.deepEqual(trainer.outputNames, ["class_logits", "regression", "attention", "auxiliary"]);
  const x = tf.zeros([2, 5, 35]);
  const out = trainer.predict(x) as tf.Tensor[];
  assert.deepEqual(out[3].shape, [2, 2]);
  tf.dispose([x, ...out]);
  disposeAuxiliaryHead(trainer);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(model.outputNames, ["class_logits", "regression", "attention"]);
  model.dispose();
});

Deno.test("members with shorter windows read only the last candles; attention stays over the whole window", () => {
  const config: ModelConfig = { ...tiny("transformer_lstm", 3), memberLookbacks: [5, 3] };
  const model = buildModel(config, 4);
  assert.deepEqual(model.layers.filter((l) => /window$/.test(l.name)).map((l) => l.name), ["m2_window"]);
  const x = tf.randomNormal([4, 5, 35], 0, 1, "float32", 8);
  // The same windows with their two oldest candles changed.
  const older = tf.concat([
    tf.randomNormal([4, 2, 35], 0, 1, "float32", 9),
    tf.slice(x, [0, 2, 0], [4, 3, 35]),
  ], 1);
  const [a, b] = [x, older].map((input) =>
    memberViews(model).map((m) => m.model.predict(input) as tf.Tensor[])
  );
  const same = (s: tf.Tensor, t: tf.Tensor) => tf.max(tf.abs(tf.sub(s, t))).dataSync()[0] < 1e-6;
  assert.ok(same(a[1][0], b[1][0]), "member 2 (3 candles) saw the older candles");
  assert.ok(!same(a[0][0], b[0][0]) && !same(a[2][0], b[2][0]), "members 1 and 3 read all 5 candles");
  assert.deepEqual(a[1][2].shape, [4, 3]);
  const [, , attention] = model.predict(x) as tf.Tensor[];
  assert.deepEqual(attention.shape, [4, 5]);
  const rows = attention.arraySync() as number[][];
  const m1 = a[0][2].arraySync() as number[][], m3 = a[2][2].arraySync() as number[][];
  rows.forEach((row, i) => {
    assert.ok(Math.abs(row.reduce((s, v) => s + v) - 1) < 1e-5);
    // The two oldest candles' weight comes from the 5-candle members alone.
    for (const t of [0, 1]) assert.ok(Math.abs(row[t] - (m1[i][t] + m3[i][t]) / 3) < 1e-6);
  });
  // An interrupted run keeps the first members with their windows.
  const kept = firstMembers(model, config, 4, 2);
  assert.deepEqual(kept.layers.filter((l) => /window$/.test(l.name)).map((l) => l.name), ["m2_window"]);
  tf.dispose([x, older, attention, ...a.flat(), ...b.flat()]);
  kept.dispose();
  model.dispose();
});

Deno.test("member windows longer than the model's, or shorter than 2 candles, are refused", () => {
  for (const memberLookbacks of [[6], [5, 1]]) {
    assert.throws(
      () => buildModel({ ...tiny("lightweight_lstm", 2), memberLookbacks }, 1),
      /memberLookbacks must be whole numbers from 2 to lookback \(5\)/,
    );
  }
});
