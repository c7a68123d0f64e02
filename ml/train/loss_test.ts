import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { lossSums, lossTensors } from "./loss.ts";
import { Adam } from "./adam.ts";
import { learningRateAt } from "./schedule.ts";

await tf.setBackend("cpu");

const close = (a: number, b: number, eps = 1e-5) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);

const logits = [2, 0, -1, 0.5, 0.5, 0.5];
const labels = [0, 2];
const regression = [0.5, -1];
const target = [1, -1];
const weights: [number, number, number] = [2, 1, 0.5];

function ce(row: number[], y: number, smoothing = 0): number {
  const max = Math.max(...row);
  const logZ = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
  return row.reduce((s, v, k) => s - ((k === y ? 1 - smoothing : 0) + smoothing / 3) * (v - logZ), 0);
}

Deno.test("the loss is the class-weighted cross-entropy plus the weighted MSE", () => {
  const expectedCe = (2 * ce(logits.slice(0, 3), 0) + 0.5 * ce(logits.slice(3), 2)) / 2;
  const expectedMse = (0.25 + 0) / 2;
  const out = tf.tidy(() => {
    const t = lossTensors(
      tf.tensor2d(logits, [2, 3]),
      tf.tensor2d(regression, [2, 1]),
      tf.tensor1d(labels, "int32"),
      tf.tensor1d(target),
      { classWeights: weights, labelSmoothing: 0, regressionWeight: 3 },
    );
    return [t.total, t.crossEntropy, t.mse].map((x) => x.dataSync()[0]);
  });
  close(out[1], expectedCe);
  close(out[2], expectedMse);
  close(out[0], expectedCe + 3 * expectedMse);
  const sums = lossSums(
    Float32Array.from(logits),
    Float32Array.from(regression),
    Int8Array.from(labels),
    Float32Array.from(target),
    weights,
  );
  close(sums.crossEntropy / 2, expectedCe);
  close(sums.squaredError / 2, expectedMse);
});

Deno.test("label smoothing mixes ε/3 into every class", () => {
  const value = tf.tidy(() =>
    lossTensors(
      tf.tensor2d(logits, [2, 3]),
      tf.tensor2d(regression, [2, 1]),
      tf.tensor1d(labels, "int32"),
      tf.tensor1d(target),
      { classWeights: [1, 1, 1], labelSmoothing: 0.1, regressionWeight: 0 },
    ).total.dataSync()[0]
  );
  close(value, (ce(logits.slice(0, 3), 0, 0.1) + ce(logits.slice(3), 2, 0.1)) / 2);
});

Deno.test("distillation mixes the teacher's probabilities into the class target by α", () => {
  const teacher = [0.2, 0.5, 0.3, 0.1, 0.6, 0.3];
  const total = (alpha: number, withTeacher = true) =>
    tf.tidy(() =>
      lossTensors(
        tf.tensor2d(logits, [2, 3]),
        tf.tensor2d(regression, [2, 1]),
        tf.tensor1d(labels, "int32"),
        tf.tensor1d(target),
        { classWeights: weights, labelSmoothing: 0, distillWeight: alpha, regressionWeight: 0 },
        undefined,
        withTeacher ? tf.tensor2d(teacher, [2, 3]) : undefined,
      ).total.dataSync()[0]
    );
  const softCe = (row: number[], q: number[]) => {
    const max = Math.max(...row);
    const logZ = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    return -row.reduce((s, v, k) => s + q[k] * (v - logZ), 0);
  };
  const mixed = (y: number, t: number[], alpha: number) =>
    t.map((p, k) => (k === y ? 1 - alpha : 0) + alpha * p);
  const expected = (alpha: number) =>
    (2 * softCe(logits.slice(0, 3), mixed(0, teacher.slice(0, 3), alpha)) +
      0.5 * softCe(logits.slice(3), mixed(2, teacher.slice(3), alpha))) / 2;
  close(total(0.4), expected(0.4));
  close(total(0), expected(0));
  // Without a teacher the labels alone count, whatever α says.
  close(total(0.4, false), expected(0));
});

Deno.test("Adam clips by global norm and warms up linearly", () => {
  const w = tf.variable(tf.tensor1d([0, 0]));
  const adam = new Adam([w]);
  const g = tf.tensor1d([30, 40]);
  const norm = adam.step([g], 0.1, 1);
  close(norm, 50);
  // The first Adam step moves every weight by ≈ lr against the gradient's sign, whatever its size.
  const moved = w.dataSync();
  close(moved[0], -0.1, 1e-4);
  close(moved[1], -0.1, 1e-4);
  adam.dispose();
  tf.dispose([w, g]);
  const warmup = (step: number, warmupSteps: number) =>
    learningRateAt({ schedule: "warmup", learningRate: 1, warmupSteps }, step, 1000);
  close(warmup(0, 4), 0.25);
  close(warmup(3, 4), 1);
  close(warmup(100, 4), 1);
  close(warmup(0, 0), 1);
});
