import assert from "node:assert/strict";
import { seededRng } from "../data/index.ts";
import { studentT975 } from "../metrics/index.ts";
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

Deno.test("the interval is the estimate ± t on (blocks − 1) df times the draws' spread scaled by √(B/(B−1))", () => {
  // Guards against an interval too narrow (a "clear" win or loss from noise) or lopsided about the estimate.
  const good = labelsAndGuesses(400, 0.8, 3), bad = labelsAndGuesses(400, 0.4, 4);
  const halves = Int32Array.from({ length: 400 }, (_, i) => (i < 200 ? 0 : 1));
  const r = blockBootstrap(good.labels, good.scored, bad.scored, halves, { resamples: 20_000 });
  // Per block, the mean log-loss difference; two equal blocks resample to dA, dB or their mean, so the draws'
  // standard deviation is |dA − dB| / (2√2) and, scaled by √2, the half-width is t(1) · |dA − dB| / 2.
  const blockDiff = (from: number) => {
    let sum = 0;
    for (let i = from; i < from + 200; i++) {
      const y = good.labels[i];
      sum += Math.log(bad.scored.probabilities[i * 3 + y]) - Math.log(good.scored.probabilities[i * 3 + y]);
    }
    return sum / 200;
  };
  const [dA, dB] = [blockDiff(0), blockDiff(200)];
  const d = r.log_loss_diff;
  assert.ok(Math.abs(d.estimate - (dA + dB) / 2) < 1e-9, `${d.estimate}`);
  assert.ok(Math.abs((d.estimate - d.low) - (d.high - d.estimate)) < 1e-9, JSON.stringify(d));
  const expected = studentT975(1) * Math.abs(dA - dB) / 2;
  assert.ok(Math.abs((d.high - d.estimate) / expected - 1) < 0.05, `${d.high - d.estimate} vs ${expected}`);
  const f = r.macro_f1_diff;
  assert.ok(Math.abs((f.estimate - f.low) - (f.high - f.estimate)) < 1e-9, JSON.stringify(f));
});

Deno.test("time blocks start at the earliest window, whichever comes first in the set", () => {
  // Guards against day blocks (and the held-out days retrain counts) shifting with the order of the symbols.
  assert.deepEqual([...timeBlocks([12, 0, 9], 10)], [1, 0, 0]);
});
