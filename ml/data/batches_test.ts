import assert from "node:assert/strict";
import type { CandleSeries } from "../../features/index.ts";
import { seededRng } from "../../features/rng.ts";
import { epochOrder, recencyWeights } from "./batches.ts";
import { windowSet } from "./window_set.ts";

const DAY = 86_400_000;

/** A series of `days` daily candles; only open times are read here. */
function daily(days: number, start = Date.UTC(2021, 0, 1)): CandleSeries {
  const openTime = Float64Array.from({ length: days }, (_, i) => start + i * DAY);
  return { symbol: "T", length: days, openTime } as unknown as CandleSeries;
}

Deno.test("recency weights halve every half-life before the newest window, across series", () => {
  const a = daily(31), b = daily(11, Date.UTC(2021, 0, 21)); // b ends on day 30 too
  const set = windowSet([a, b], [Int32Array.of(30, 20, 10, 0), Int32Array.of(10, 0)]);
  const w = recencyWeights(set, 10)!;
  assert.deepEqual([...w].map((x) => +x.toFixed(12)), [1, 0.5, 0.25, 0.125, 1, 0.5]);
  assert.equal(recencyWeights(set, Infinity), null, "off: no weights");
});

Deno.test("recency weights: windows without open times count as new; a set without any is unweighted", () => {
  const s = daily(21);
  s.openTime[20] = NaN;
  const w = recencyWeights(windowSet([s], [Int32Array.of(20, 10, 0)]), 10)!;
  assert.deepEqual([...w], [1, 1, 0.5]);
  const none = daily(5);
  none.openTime.fill(NaN);
  assert.equal(recencyWeights(windowSet([none], [Int32Array.of(4, 3)]), 10), null);
});

Deno.test("weighted epochs draw windows in proportion to their weights, seeded, even when covering the set", () => {
  const weights = Float64Array.of(1, 0, 3, 0.5, 0.5);
  const draws = epochOrder(weights.length, seededRng(7), Infinity, weights);
  assert.equal(draws.length, 5, "min(size, maxWindows) draws");
  const counts = new Float64Array(5);
  const rng = seededRng(11);
  for (let round = 0; round < 20_000; round++) {
    for (const i of epochOrder(5, rng, 2, weights)) counts[i]++;
  }
  const total = counts.reduce((x, y) => x + y);
  [0.2, 0, 0.6, 0.1, 0.1].forEach((p, i) => assert.ok(Math.abs(counts[i] / total - p) < 0.01, `window ${i}`));
  assert.deepEqual(epochOrder(5, seededRng(3), 4, weights), epochOrder(5, seededRng(3), 4, weights));
  // Without weights the order is a permutation cut to maxWindows, as before.
  assert.deepEqual([...epochOrder(5, seededRng(3))].sort(), [0, 1, 2, 3, 4]);
});
