import assert from "node:assert/strict";
import { applyScaler, fitScaler, ScalerFitter, ScalerSchema } from "./scaler.ts";

Deno.test("scaler: mean and population std per feature; batches give the same fit as one pass", () => {
  const names = ["a", "b"];
  const rows = new Float32Array([1, 10, 2, 10, 3, 10, 4, 10]);
  const s = fitScaler(names, rows);
  assert.deepEqual(s.mean, [2.5, 10]);
  assert.ok(Math.abs(s.std[0] - Math.sqrt(1.25)) < 1e-12);
  assert.equal(s.std[1], 1, "a constant feature gets std 1 so it passes through as x − mean");
  const fitter = new ScalerFitter(names);
  fitter.add(rows.subarray(0, 2));
  fitter.add(rows.subarray(2, 8));
  const batched = fitter.finish();
  assert.ok(Math.abs(batched.mean[0] - 2.5) < 1e-12 && Math.abs(batched.std[0] - s.std[0]) < 1e-12);
  assert.equal(fitter.count, 4);
});

Deno.test("scaler: standardises in place and clips to ±clip", () => {
  const s = { featureNames: ["a"], mean: [10], std: [2] };
  assert.deepEqual([...applyScaler(s, new Float32Array([12, 8, 1000]), 10)], [1, -1, 10]);
});

Deno.test("scaler: JSON round trip, and a malformed file is refused", () => {
  const s = fitScaler(["a", "b"], new Float32Array([1, 2, 3, 5]));
  assert.deepEqual(ScalerSchema.parse(JSON.parse(JSON.stringify(s))), s);
  assert.throws(() => ScalerSchema.parse({ featureNames: ["a"], mean: [1, 2], std: [1] }));
  assert.throws(() => ScalerSchema.parse({ featureNames: ["a"], mean: [1], std: [0] }));
});

// Guards the lower clip: a value far below the mean is bounded to −clip, as one far above is to +clip.
Deno.test("scaler: clips below at −clip too", () => {
  const s = { featureNames: ["a"], mean: [10], std: [2] };
  assert.deepEqual([...applyScaler(s, new Float32Array([-1000, 10 - 2 * 3, 1000]), 3)], [-3, -3, 3]);
  assert.deepEqual([...applyScaler(s, new Float32Array([-1000, 8]), 10)], [-10, -1]);
});
