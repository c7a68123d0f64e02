import assert from "node:assert/strict";
import { computeMetrics, macroF1, MetricsAccumulator, softmaxRows } from "./classification.ts";
import { averageRanks, spearman } from "./rank_correlation.ts";

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);

Deno.test("metrics of four hand-checked predictions", () => {
  // true:      DOWN  DOWN  SIDEWAYS  UP
  // predicted: DOWN  UP    SIDEWAYS  UP
  const labels = [0, 0, 1, 2];
  const p = [
    [0.7, 0.2, 0.1],
    [0.2, 0.3, 0.5],
    [0.1, 0.8, 0.1],
    [0.25, 0.25, 0.5],
  ];
  const m = computeMetrics(labels, p.flat(), [-0.02, -0.01, 0.001, 0.03], [-0.01, 0.01, 0.0, 0.01]);
  assert.equal(m.windows, 4);
  close(m.accuracy, 0.75);
  assert.deepEqual(m.confusion_matrix, [[1, 0, 1], [0, 1, 0], [0, 0, 1]]);
  // DOWN: P 1, R 0.5, F1 2/3; SIDEWAYS: 1, 1, 1; UP: P 0.5, R 1, F1 2/3.
  close(m.per_class.DOWN.precision, 1);
  close(m.per_class.DOWN.recall, 0.5);
  close(m.per_class.UP.precision, 0.5);
  close(m.macro_f1, (2 / 3 + 1 + 2 / 3) / 3);
  assert.equal(m.per_class.DOWN.support, 2);
  close(m.predicted_share.UP, 0.5);
  close(m.log_loss, -(Math.log(0.7) + Math.log(0.2) + Math.log(0.8) + Math.log(0.5)) / 4);
  const brier = [
    0.3 ** 2 + 0.2 ** 2 + 0.1 ** 2,
    0.8 ** 2 + 0.3 ** 2 + 0.5 ** 2,
    0.1 ** 2 + 0.2 ** 2 + 0.1 ** 2,
    0.25 ** 2 + 0.25 ** 2 + 0.5 ** 2,
  ];
  close(m.brier, brier.reduce((a, b) => a + b) / 4);
  close(m.regression_mae, (0.01 + 0.02 + 0.001 + 0.02) / 4);
  // Signs: −/−, −/+, +/0, +/+ → 2 of 4.
  close(m.sign_accuracy, 0.5);
  // Predicting no change (0) misses by |true| each time: the yardstick beside regression_mae.
  close(m.no_change_mae, (0.02 + 0.01 + 0.001 + 0.03) / 4);
  // Ranks: predicted 1, 3.5, 2, 3.5 (the two 0.01 tie at the mean of ranks 3 and 4); true 1, 2, 3, 4. Centred
  // on 2.5: Σdx·dy = 2.25 − 0.5 − 0.25 + 1.5 = 3, Σdx² = 4.5, Σdy² = 5 → 3 / √22.5 (scipy's spearmanr too).
  close(m.return_rank_correlation!, 3 / Math.sqrt(22.5));
});

Deno.test("accumulating in batches equals computing at once", () => {
  const labels = [2, 1, 0, 1, 2];
  const p = softmaxRows([1, 2, 3, 0, 0, 0, 3, 1, 0, -1, 2, 0, 0.5, 0.2, 0.9]);
  const r = [0.01, 0, -0.02, 0.003, 0.02], q = [0.005, 0.001, -0.01, -0.002, 0.01];
  const acc = new MetricsAccumulator({ rankCorrelation: true });
  acc.add(labels.slice(0, 2), p.subarray(0, 6), r.slice(0, 2), q.slice(0, 2));
  acc.add(labels.slice(2), p.subarray(6), r.slice(2), q.slice(2));
  assert.deepEqual(acc.result(), computeMetrics(labels, p, r, q));
});

Deno.test("batches past the kept returns' first buffer give the rank correlation of the whole set", () => {
  const n = 3000;
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  const p = softmaxRows(Array.from({ length: 3 * n }, (_, i) => Math.sin(i)));
  const r = Array.from({ length: n }, (_, i) => Math.sin(0.7 * i) / 100);
  const q = Array.from({ length: n }, (_, i) => Math.round(Math.sin(0.7 * i + 0.3) * 10) / 1000); // ties
  const acc = new MetricsAccumulator({ rankCorrelation: true });
  for (let i = 0; i < n; i += 700) {
    const end = Math.min(n, i + 700);
    acc.add(labels.slice(i, end), p.subarray(3 * i, 3 * end), r.slice(i, end), q.slice(i, end));
  }
  const whole = computeMetrics(labels, p, r, q);
  assert.deepEqual(acc.result(), whole);
  close(whole.return_rank_correlation!, spearman(q, r));
  assert.ok(whole.return_rank_correlation! > 0.5);
});

Deno.test("by default the accumulator keeps counters only: no rank correlation, the rest the same", () => {
  // monitor keeps one accumulator per day and version over a whole log: it must not hold every window.
  const labels = [2, 1, 0];
  const p = softmaxRows([1, 2, 3, 0, 0, 0, 3, 1, 0]);
  const r = [0.01, -0.002, -0.02], q = [0.001, 0.004, -0.01]; // ranks 3 2 1 against 2 3 1
  const acc = new MetricsAccumulator();
  acc.add(labels, p, r, q);
  const counted = acc.result();
  assert.ok(!("return_rank_correlation" in counted));
  const { return_rank_correlation, ...rest } = computeMetrics(labels, p, r, q);
  assert.deepEqual(counted, rest);
  close(return_rank_correlation!, 0.5);
  close(counted.no_change_mae, 0.032 / 3);
});

Deno.test("Spearman ranks ties at their mean rank, as scipy's spearmanr", () => {
  // Ranks x: 3.5 3.5 1.5 1.5 5, y: 4 3 2 1 5; centred on 3: Σdx·dy 9, Σdx² 9, Σdy² 10 → 9 / √90.
  close(spearman([2, 2, 1, 1, 3], [5, 4, 3, 1, 9]), 9 / Math.sqrt(90));
  assert.deepEqual([...averageRanks([0.5, -1, 0.5, 0.5, 2])], [3, 1, 3, 3, 5]);
  close(spearman([1, 2, 3], [10, 30, 20]), 0.5);
  close(spearman([3, 2, 1], [1, 2, 3]), -1);
  // Undefined, not 0: a constant prediction (majority's) ranks nothing; one pair; a value that is no number.
  assert.ok(Number.isNaN(spearman([0.001, 0.001, 0.001], [0.01, -0.02, 0.03])));
  assert.ok(Number.isNaN(spearman([1], [2])));
  assert.ok(Number.isNaN(spearman([1, NaN, 3], [1, 2, 3])));
  assert.throws(() => spearman([1, 2], [1]), RangeError);
});

Deno.test("softmax rows sum to one and respect the temperature", () => {
  const p = softmaxRows([0, Math.log(2), Math.log(4)]);
  close(p[0], 1 / 7, 1e-6);
  close(p[2], 4 / 7, 1e-6);
  const flat = softmaxRows([0, Math.log(2), Math.log(4)], 1e9);
  close(flat[0], 1 / 3, 1e-6);
});

Deno.test("macroF1 of a confusion: every class named right is 1; a class never named scores 0", () => {
  close(macroF1([5, 0, 0, 0, 5, 0, 0, 0, 5]), 1);
  // DOWN: precision 2/6, recall 1, F1 0.5; SIDEWAYS 1; UP never named: 0.
  close(macroF1([2, 0, 0, 0, 3, 0, 4, 0, 0]), (0.5 + 1 + 0) / 3);
});
