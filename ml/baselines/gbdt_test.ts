import assert from "node:assert/strict";
import { seededRng } from "../data/index.ts";
import { FEATURE_COUNT } from "../../features/index.ts";
import { applyQuantileBins, fitQuantileBins } from "./quantile_bins.ts";
import { fitGbdt, type GbdtData, predictGbdt } from "./gbdt.ts";
import { fitLogistic, predictLogistic } from "./logistic.ts";

/**
 * Three classes decided by interactions a linear model cannot express: the sign of x0·x1 (XOR) picks UP or
 * DOWN, |x2| > 0.8 overrides to SIDEWAYS; the rest of the 35 columns are noise, and 10 % of labels are flipped.
 */
function nonlinear(n: number, seed: number): GbdtData {
  const rng = seededRng(seed);
  const x = new Float32Array(n * FEATURE_COUNT).map(() => rng() * 2 - 1);
  const labels = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * FEATURE_COUNT;
    labels[i] = Math.abs(x[o + 2]) > 0.8 ? 1 : x[o] * x[o + 1] > 0 ? 2 : 0;
    if (rng() < 0.1) labels[i] = Math.floor(rng() * 3);
  }
  return { x, labels };
}

function logLoss(p: Float32Array, labels: Int8Array): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum -= Math.log(Math.max(p[i * 3 + labels[i]], 1e-15));
  return sum / labels.length;
}

const small = { minSamplesLeaf: 20, patience: 10 };

Deno.test("quantile bins: midpoints between few distinct values, ≤ maxBins quantiles otherwise, NaN in bin 0", () => {
  const x = Float32Array.from([3, 1, 2, 1, NaN, 3]);
  const bins = fitQuantileBins(x, 1);
  assert.deepEqual([...bins.thresholds[0]], [1.5, 2.5]);
  assert.deepEqual([...applyQuantileBins(bins, Float32Array.from([0, 1, 1.5, 2, 9, NaN]))], [
    0,
    0,
    0,
    1,
    2,
    0,
  ]);
  const many = new Float32Array(10_000).map((_, i) => i);
  const wide = fitQuantileBins(many, 1, { maxBins: 16 });
  assert.equal(wide.thresholds[0].length, 15);
  const counts = new Array(16).fill(0);
  for (const b of applyQuantileBins(wide, many)) counts[b]++;
  assert.ok(counts.every((c) => Math.abs(c - 625) <= 1), `equal-frequency bins: ${counts}`);
});

Deno.test("gradient boosting beats logistic regression on a nonlinear (XOR + threshold) task", () => {
  const train = nonlinear(6000, 1), validation = nonlinear(2000, 2), test = nonlinear(4000, 3);
  const m = fitGbdt(train, validation, 3, small);
  const gbdt = logLoss(predictGbdt(m, test.x), test.labels);
  const zero = new Float64Array(train.labels.length);
  const lr = fitLogistic(train.x, train.labels, zero, { mean: 0, std: 1 }, {
    iterations: 300,
    learningRate: 0.05,
  });
  const logistic = logLoss(predictLogistic(lr, test.x).probabilities, test.labels);
  assert.ok(logistic > 1.0, `logistic regression cannot see XOR: ${logistic}`);
  assert.ok(gbdt < logistic - 0.3, `gbdt ${gbdt} vs logistic ${logistic}`);
  assert.ok(m.iterations > 10, `iterations ${m.iterations}`);
});

Deno.test("gradient boosting is deterministic for a seed", () => {
  const train = nonlinear(3000, 4), validation = nonlinear(1000, 5), test = nonlinear(500, 6);
  const a = fitGbdt(train, validation, 3, { ...small, seed: 7, maxIterations: 30 });
  const b = fitGbdt(train, validation, 3, { ...small, seed: 7, maxIterations: 30 });
  assert.deepEqual(a.validationLoss, b.validationLoss);
  assert.deepEqual(predictGbdt(a, test.x), predictGbdt(b, test.x));
});

Deno.test("an option given as undefined keeps its default", () => {
  // Before: spread over the defaults, `maxIterations: undefined` meant no iterations at all.
  const train = nonlinear(3000, 4), validation = nonlinear(1000, 5);
  const a = fitGbdt(train, validation, 3, { ...small, seed: 7, maxIterations: 30 });
  const b = fitGbdt(train, validation, 3, { ...small, seed: 7, maxIterations: 30, learningRate: undefined });
  assert.deepEqual(a.validationLoss, b.validationLoss);
  assert.ok(b.iterations > 0);
});

Deno.test("early stopping keeps the best iteration and stops `patience` rounds after it", () => {
  // Pure noise: validation log-loss stops improving almost at once.
  const rng = seededRng(8);
  const noise = (n: number): GbdtData => ({
    x: new Float32Array(n * 5).map(() => rng()),
    labels: Int8Array.from({ length: n }, () => Math.floor(rng() * 3)),
  });
  const m = fitGbdt(noise(3000), noise(3000), 3, { minSamplesLeaf: 20, patience: 5, maxIterations: 500 });
  const run = m.validationLoss.length - 1;
  assert.ok(run < 500, `stopped early (${run} iterations run)`);
  assert.equal(run, m.iterations + 5);
  assert.equal(m.trees.length, m.iterations);
  const best = Math.min(...m.validationLoss);
  assert.equal(m.validationLoss[m.iterations], best);
  // The kept model reproduces the best validation loss.
  assert.ok(m.validationLoss.slice(m.iterations + 1).every((l) => l >= best));
});

Deno.test("leaves respect minSamplesLeaf and maxLeaves; a constant input predicts the priors", () => {
  const train = nonlinear(4000, 9), validation = nonlinear(1000, 10);
  const m = fitGbdt(train, validation, 3, {
    minSamplesLeaf: 300,
    maxLeaves: 4,
    maxIterations: 3,
    patience: 3,
  });
  for (const round of m.trees) {
    for (const t of round) assert.ok(t.feature.filter((f) => f === -1).length <= 4);
  }
  const flat: GbdtData = {
    x: new Float32Array(600).fill(1),
    labels: Int8Array.from({ length: 600 }, (_, i) => i % 3),
  };
  const c = fitGbdt(flat, flat, 3, { minSamplesLeaf: 10, maxIterations: 5 });
  const p = predictGbdt(c, new Float32Array(2).fill(1));
  for (const v of p) assert.ok(Math.abs(v - 1 / 3) < 1e-6);
});

Deno.test("NaN and infinite inputs train and predict finite probabilities", () => {
  const train = nonlinear(3000, 11), validation = nonlinear(1000, 12);
  for (let i = 0; i < train.x.length; i += 7) train.x[i] = NaN;
  train.x[3] = Infinity;
  const m = fitGbdt(train, validation, 3, { ...small, maxIterations: 10 });
  const p = predictGbdt(m, Float32Array.from({ length: FEATURE_COUNT }, (_, i) => (i % 2 ? NaN : -Infinity)));
  assert.ok(p.every(Number.isFinite));
  assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-6);
});
