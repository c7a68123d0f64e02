import assert from "node:assert/strict";
import { seededRng } from "../data/index.ts";
import { blockBootstrap, timeBlocks } from "./bootstrap.ts";

function labelsAndGuesses(n: number, hitRate: number, seed: number) {
  const rng = seededRng(seed);
  const labels = Int8Array.from({ length: n }, () => Math.floor(rng() * 3));
  const classes = labels.map((y) => (rng() < hitRate ? y : (y + 1) % 3));
  const probabilities = new Float32Array(n * 3).fill(0.2);
  classes.forEach((c, i) => (probabilities[i * 3 + c] = 0.6));
  return { labels, scored: { probabilities, classes } };
}

Deno.test("time blocks group windows by span and are numbered densely across gaps", () => {
  assert.deepEqual([...timeBlocks([0, 5, 10, 11, 100, 12], 10)], [0, 0, 1, 1, 2, 1]);
});

Deno.test("a predictor compared with itself differs by exactly 0", () => {
  const { labels, scored } = labelsAndGuesses(2_000, 0.5, 1);
  const blocks = Int32Array.from({ length: labels.length }, (_, i) => Math.floor(i / 50));
  const r = blockBootstrap(labels, scored, scored, blocks, { resamples: 200 });
  for (const d of [r.macro_f1_diff, r.log_loss_diff]) {
    assert.deepEqual([d.estimate, d.low, d.high], [0, 0, 0]);
  }
  assert.equal(r.blocks, 40);
});

Deno.test("a clearly better predictor gets an interval that excludes 0 on its side", () => {
  const good = labelsAndGuesses(3_000, 0.8, 2);
  const rng = seededRng(9);
  const badClasses = good.labels.map((y) => (rng() < 0.4 ? y : (y + 2) % 3));
  const badProbabilities = new Float32Array(good.labels.length * 3).fill(0.2);
  badClasses.forEach((c, i) => (badProbabilities[i * 3 + c] = 0.6));
  const blocks = Int32Array.from({ length: good.labels.length }, (_, i) => Math.floor(i / 30));
  const r = blockBootstrap(
    good.labels,
    good.scored,
    { probabilities: badProbabilities, classes: badClasses },
    blocks,
    {
      resamples: 300,
      seed: 4,
    },
  );
  assert.ok(r.macro_f1_diff.low > 0, JSON.stringify(r.macro_f1_diff));
  assert.ok(r.log_loss_diff.high < 0, JSON.stringify(r.log_loss_diff));
  assert.ok(
    r.macro_f1_diff.low <= r.macro_f1_diff.estimate && r.macro_f1_diff.estimate <= r.macro_f1_diff.high,
  );
  // Same seed, same interval.
  const again = blockBootstrap(
    good.labels,
    good.scored,
    { probabilities: badProbabilities, classes: badClasses },
    blocks,
    {
      resamples: 300,
      seed: 4,
    },
  );
  assert.deepEqual(again, r);
});

Deno.test("one block gives no interval (unbounded); two give a wide one from Student's t on one degree", () => {
  const good = labelsAndGuesses(400, 0.8, 3), bad = labelsAndGuesses(400, 0.4, 4);
  const one = blockBootstrap(good.labels, good.scored, bad.scored, new Int32Array(400), { resamples: 100 });
  assert.equal(one.blocks, 1);
  assert.deepEqual([one.log_loss_diff.low, one.log_loss_diff.high], [-Infinity, Infinity]);
  // Before: every resample of one block is the data itself, so the percentiles were the estimate twice.
  const halves = Int32Array.from({ length: 400 }, (_, i) => (i < 200 ? 0 : 1));
  const two = blockBootstrap(good.labels, good.scored, bad.scored, halves, { resamples: 200 });
  const width = two.log_loss_diff.high - two.log_loss_diff.low;
  assert.ok(Number.isFinite(width) && width > 0, `${width}`);
});
