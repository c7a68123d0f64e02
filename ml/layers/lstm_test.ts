/** FastLSTM computes exactly what tfjs's own LSTM (sigmoid gates) computes, forwards and backwards. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend.ts";
import { FastLSTM } from "./index.ts";

await initBackend("wasm");

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function variables(layer: tf.layers.Layer): tf.Variable[] {
  return layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
}

for (const bidirectional of [false, true]) {
  for (const returnSequences of [true, false]) {
    Deno.test(`FastLSTM = tf.layers.lstm (bidirectional ${bidirectional}, returnSequences ${returnSequences})`, () => {
      const x = tf.randomNormal([3, 7, 5], 0, 1, "float32", 1);
      const fast = new FastLSTM({ units: 4, bidirectional, returnSequences, seed: 3 });
      const cell = tf.layers.lstm({ units: 4, returnSequences, recurrentActivation: "sigmoid" });
      const stock = bidirectional
        ? tf.layers.bidirectional({ layer: cell as tf.RNN, mergeMode: "concat" })
        : cell;
      fast.apply(x);
      stock.apply(x);
      stock.setWeights(fast.getWeights()); // same names, shapes and gate order (i, f, c, o)
      const probe = tf.randomNormal(fast.computeOutputShape(x.shape) as number[], 0, 1, "float32", 5);
      const loss = (layer: tf.layers.Layer) => (input: tf.Tensor) =>
        tf.sum(tf.mul(layer.apply(input) as tf.Tensor, probe)) as tf.Scalar;

      assert.ok(maxDiff(fast.apply(x) as tf.Tensor, stock.apply(x) as tf.Tensor) < 1e-6, "outputs");
      assert.ok(maxDiff(tf.grad(loss(fast))(x), tf.grad(loss(stock))(x)) < 1e-6, "input gradient");
      const fastGrads = tf.variableGrads(() => loss(fast)(x), variables(fast)).grads;
      const stockGrads = tf.variableGrads(() => loss(stock)(x), variables(stock)).grads;
      variables(stock).forEach((v, i) => {
        const mine = fastGrads[variables(fast)[i].name];
        assert.ok(maxDiff(mine, stockGrads[v.name]) < 1e-5, `gradient of ${fast.weights[i].originalName}`);
      });
    });
  }
}

Deno.test("FastLSTM: the same seed gives the same weights, with the forget-gate bias at 1", () => {
  const build = (seed: number) => {
    const layer = new FastLSTM({ units: 3, seed });
    layer.apply(tf.zeros([1, 2, 4]));
    return layer.getWeights();
  };
  const [a, b, c] = [build(1), build(1), build(2)];
  a.forEach((w, i) => assert.equal(maxDiff(w, b[i]), 0));
  assert.ok(maxDiff(a[0], c[0]) > 0);
  assert.deepEqual(Array.from(a[2].dataSync()), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
});

Deno.test("FastLSTM: training steps leave no tensors or wasm buffers behind", () => {
  const layer = new FastLSTM({ units: 4, bidirectional: true, seed: 1 });
  const x = tf.randomNormal([2, 6, 3]);
  layer.apply(x);
  const step = () =>
    tf.tidy(() => tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar).value);
  step().dispose();
  const buffers = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  const [tensors, before] = [tf.memory().numTensors, buffers()];
  for (let i = 0; i < 3; i++) step().dispose();
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(buffers(), before);
});
