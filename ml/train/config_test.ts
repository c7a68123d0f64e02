import assert from "node:assert/strict";
import { DEFAULT_TRAIN_CONFIG, improves, windowsPerEpoch } from "./config.ts";

Deno.test("an epoch visits at most the cap and at most the fraction of the training windows, never < a batch", () => {
  const c = { maxWindowsPerEpoch: 30_000, epochFraction: 0.2, batchSize: 256 };
  // Five 1h series, train < 2022: the cap binds (19 % of the set).
  assert.equal(windowsPerEpoch(c, 156_812), 30_000);
  // The same series as 4h candles: the fraction binds, 6 epochs stay ~1.2 passes.
  assert.equal(windowsPerEpoch(c, 38_885), 7_777);
  // A tiny set still gets one whole batch an epoch, and never more windows than it has.
  assert.equal(windowsPerEpoch(c, 600), 256);
  assert.equal(windowsPerEpoch(c, 100), 100);
  // Fraction 1 is the behaviour before the option: the cap alone.
  assert.equal(windowsPerEpoch({ ...c, epochFraction: 1 }, 38_885), 30_000);
  assert.equal(windowsPerEpoch(DEFAULT_TRAIN_CONFIG, 156_812), 30_000);
});

Deno.test("an epoch improves when lower than the best by more than minDelta; a score that is not a number never does", () => {
  assert.equal(improves(1.05, undefined, 0), true);
  assert.equal(improves(1.04, 1.05, 0), true);
  assert.equal(improves(1.0495, 1.05, 1e-3), false);
  // Before: a NaN first epoch became the best, and no later epoch could beat it (x < NaN is false).
  assert.equal(improves(NaN, undefined, 0), false);
  assert.equal(improves(Infinity, undefined, 0), false);
  assert.equal(improves(NaN, 1.05, 0), false);
});
