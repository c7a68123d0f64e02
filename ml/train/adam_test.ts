/** The fused Adam (one loop over all weights) gives the update tfjs ops give, step after step. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/index.ts";
import { Adam } from "./adam.ts";

await initBackend("wasm");

/** The same update as `Adam.step`, in tfjs ops (how it was written before it was fused). */
function referenceStep(
  variables: tf.Variable[],
  moments: { m: tf.Variable[]; v: tf.Variable[] },
  grads: tf.Tensor[],
  t: number,
  lr: number,
  clipNorm: number,
  weightDecay: number,
): number {
  const [b1, b2, eps] = [0.9, 0.999, 1e-7];
  const stepSize = lr * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t);
  const norm = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
  const scale = Number.isFinite(clipNorm) && norm > clipNorm ? clipNorm / norm : 1;
  tf.tidy(() =>
    grads.forEach((raw, i) => {
      const g = tf.mul(raw, scale);
      const m = tf.add(tf.mul(moments.m[i], b1), tf.mul(g, 1 - b1));
      const v = tf.add(tf.mul(moments.v[i], b2), tf.mul(tf.square(g), 1 - b2));
      moments.m[i].assign(m);
      moments.v[i].assign(v);
      const decayed = weightDecay > 0 ? tf.mul(variables[i], 1 - lr * weightDecay) : variables[i];
      variables[i].assign(tf.sub(decayed, tf.div(tf.mul(m, stepSize), tf.add(tf.sqrt(v), eps))));
    })
  );
  return norm;
}

for (const [clipNorm, weightDecay] of [[Infinity, 0], [1, 0], [1, 0.01]]) {
  Deno.test(`Adam = the same update in tfjs ops over 6 steps (clip norm ${clipNorm}, weight decay ${weightDecay})`, () => {
    const shapes = [[7, 5], [5], [3, 4, 2]];
    const init = shapes.map((s, i) => tf.randomNormal(s, 0, 1, "float32", 1 + i));
    const fused = init.map((t) => tf.variable(t.clone()));
    const reference = init.map((t) => tf.variable(t.clone()));
    const moments = {
      m: init.map((t) => tf.variable(tf.zerosLike(t))),
      v: init.map((t) => tf.variable(tf.zerosLike(t))),
    };
    const adam = new Adam(fused);
    for (let t = 1; t <= 6; t++) {
      // Gradients of very different sizes, so clipping and the per-weight scaling both matter.
      const grads = shapes.map((s, i) => tf.randomNormal(s, 0, 10 ** (i - 1), "float32", 100 * t + i));
      const lr = 0.05 * t;
      const norm = adam.step(grads, lr, clipNorm, weightDecay);
      const expected = referenceStep(reference, moments, grads, t, lr, clipNorm, weightDecay);
      assert.ok(
        Math.abs(norm - expected) <= 1e-5 * expected,
        `global norm at step ${t}: ${norm} vs ${expected}`,
      );
      tf.dispose(grads);
    }
    fused.forEach((w, i) => {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(w, reference[i]))).dataSync()[0]);
      assert.ok(diff < 1e-6, `variable ${i}: weights differ by ${diff}`);
    });
    assert.equal(adam.steps, 6);
    tf.dispose([...init, ...fused, ...reference, ...moments.m, ...moments.v]);
  });
}

Deno.test("Adam leaves no tensors behind and rejects a gradient list of the wrong length", () => {
  const w = tf.variable(tf.ones([4]));
  const adam = new Adam([w]);
  const g = tf.ones([4]);
  adam.step([g], 0.1);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) adam.step([g], 0.1);
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => adam.step([g, g], 0.1), /2 gradients for 1 variables/);
  tf.dispose([w, g]);
});
