import assert from "node:assert/strict";
import { classCounts, classWeights } from "./class_weights.ts";

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

Deno.test("class counts", () => {
  assert.deepEqual(classCounts(Int8Array.from([0, 2, 2, 1, 2])), [1, 1, 3]);
});

Deno.test("balanced weights are n/(k·n_c) and keep the expected weight at 1", () => {
  const counts = [200, 500, 300];
  const w = classWeights(counts, "balanced");
  close(w[0], 1000 / (3 * 200));
  close(w[1], 1000 / (3 * 500));
  close(w[2], 1000 / (3 * 300));
  close(counts.reduce((s, c, k) => s + c * w[k], 0) / 1000, 1);
  // Every class then carries the same total weight.
  close(counts[0] * w[0], counts[1] * w[1]);
});

Deno.test("sqrt weights are milder; none is all ones; an absent class weighs 0", () => {
  const counts = [100, 400, 100];
  const s = classWeights(counts, "sqrt");
  close(s[0] / s[1], 2);
  close(counts.reduce((sum, c, k) => sum + c * s[k], 0) / 600, 1);
  assert.deepEqual(classWeights(counts, "none"), [1, 1, 1]);
  const missing = classWeights([0, 30, 10], "balanced");
  assert.equal(missing[0], 0);
  close(missing[1] * 30, missing[2] * 10);
  assert.throws(() => classWeights([0, 0, 0], "balanced"));
  // A numeric power: balanced is 1, sqrt is 0.5.
  assert.deepEqual(classWeights(counts, 0.5), s);
  const quarter = classWeights(counts, 0.25);
  close(quarter[0] / quarter[1], Math.SQRT2);
});
