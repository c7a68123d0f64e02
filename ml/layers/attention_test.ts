/** The attention layers against the formulas in ml/layers/README.md, written out in plain loops. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend.ts";
import { AttentionPooling, MultiHeadSelfAttention } from "./index.ts";

await initBackend("wasm");

type Matrix = number[][];
const [B, T, D, HEADS] = [3, 6, 8, 2];
const DK = D / HEADS;

/** Gives the layer random weights and returns them by name (vectors and matrices alike, for brevity). */
function randomWeights(layer: tf.layers.Layer): Record<string, number[] & Matrix> {
  layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.5, "float32", 100 + i)));
  const named = layer.weights.map((
    w,
    i,
  ) => [w.originalName.split("/").pop()!, layer.getWeights()[i].arraySync()]);
  return Object.fromEntries(named) as unknown as Record<string, number[] & Matrix>;
}

const affine = (x: number[], m: Matrix, b: number[]) =>
  b.map((bj, j) => x.reduce((s, xi, i) => s + xi * m[i][j], bj));
const softmax = (v: number[]) => {
  const e = v.map((x) => Math.exp(x - Math.max(...v)));
  const z = e.reduce((a, b) => a + b);
  return e.map((x) => x / z);
};
const head = (v: number[], h: number) => v.slice(h * DK, (h + 1) * DK);
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

function maxDiff(t: tf.Tensor, expected: number[][] | number[][][]): number {
  return tf.max(tf.abs(tf.sub(t, tf.tensor(expected)))).dataSync()[0];
}

Deno.test("AttentionPooling: pooled output and per-timestep weights (summing to 1) as documented", () => {
  const x = tf.randomNormal([B, T, D], 0, 1, "float32", 1);
  const layer = new AttentionPooling({ heads: HEADS, seed: 1 });
  layer.apply(x);
  const w = randomWeights(layer);
  const [out, attention] = layer.apply(x) as tf.Tensor[];
  const expectedOut: number[][] = [], expectedAttention: number[][] = [];
  for (const rows of x.arraySync() as number[][][]) {
    const keys = rows.map((r) => affine(r, w.key_kernel, w.key_bias));
    const values = rows.map((r) => affine(r, w.value_kernel, w.value_bias));
    const pooled = new Array(D).fill(0), mean = new Array(T).fill(0);
    for (let h = 0; h < HEADS; h++) {
      const p = softmax(keys.map((k) => dot(head(k, h), head(w.query, h)) / Math.sqrt(DK)));
      p.forEach((pt, t) => {
        mean[t] += pt / HEADS;
        for (let j = h * DK; j < (h + 1) * DK; j++) pooled[j] += pt * values[t][j];
      });
    }
    expectedOut.push(affine(pooled, w.output_kernel, w.output_bias));
    expectedAttention.push(mean);
  }
  assert.ok(maxDiff(out, expectedOut) < 1e-5);
  assert.ok(maxDiff(attention, expectedAttention) < 1e-6);
  for (const row of attention.arraySync() as number[][]) {
    assert.ok(Math.abs(row.reduce((a, b) => a + b) - 1) < 1e-5);
  }
});

Deno.test("MultiHeadSelfAttention: softmax(QKᵀ/√dk)V per head, then the output projection", () => {
  const x = tf.randomNormal([B, T, D], 0, 1, "float32", 2);
  const layer = new MultiHeadSelfAttention({ heads: HEADS, seed: 2 });
  layer.apply(x);
  const w = randomWeights(layer);
  const expected = (x.arraySync() as number[][][]).map((rows) => {
    const q = rows.map((r) => affine(r, w.query_kernel, w.query_bias));
    const k = rows.map((r) => affine(r, w.key_kernel, w.key_bias));
    const v = rows.map((r) => affine(r, w.value_kernel, w.value_bias));
    return rows.map((_, t) => {
      const context = new Array(D).fill(0);
      for (let h = 0; h < HEADS; h++) {
        const p = softmax(k.map((ks) => dot(head(q[t], h), head(ks, h)) / Math.sqrt(DK)));
        p.forEach((ps, s) => {
          for (let j = h * DK; j < (h + 1) * DK; j++) context[j] += ps * v[s][j];
        });
      }
      return affine(context, w.output_kernel, w.output_bias);
    });
  });
  assert.ok(maxDiff(layer.apply(x) as tf.Tensor, expected) < 1e-5);
});
