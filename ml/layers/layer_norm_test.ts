import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend.ts";
import { LayerNorm } from "./index.ts";

await initBackend("wasm");

Deno.test("LayerNorm = tf.layers.layerNormalization, outputs and gradients", () => {
  const x = tf.randomNormal([4, 6, 8], 1, 3, "float32", 1);
  const mine = new LayerNorm({ epsilon: 1e-5 });
  const stock = tf.layers.layerNormalization({ axis: -1, epsilon: 1e-5 });
  mine.apply(x);
  stock.apply(x);
  const weights = [tf.randomNormal([8], 1, 0.2, "float32", 2), tf.randomNormal([8], 0, 0.2, "float32", 3)];
  mine.setWeights(weights);
  stock.setWeights(weights);
  const diff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
  assert.ok(diff(mine.apply(x) as tf.Tensor, stock.apply(x) as tf.Tensor) < 1e-5);
  const probe = tf.randomNormal([4, 6, 8], 0, 1, "float32", 4);
  const loss = (layer: tf.layers.Layer) => (input: tf.Tensor) =>
    tf.sum(tf.mul(layer.apply(input) as tf.Tensor, probe)) as tf.Scalar;
  assert.ok(diff(tf.grad(loss(mine))(x), tf.grad(loss(stock))(x)) < 1e-4);
});
