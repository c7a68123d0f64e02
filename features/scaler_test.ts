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

// The exported graph scales in float32, an operation at a time (ml/onnx/frame.ts: Sub a float32 mean, Mul a
// float32 1/std). Training used to compute in float64 and round once: 1 float32 step apart for about a third of
// these values, which the volatility channels' floor magnified past SPEC §8's 1e-4 on candles that stood still.
Deno.test("scaler: standardises bit for bit as float32 arithmetic does, the exported graph's", () => {
  const mean = [1e-4, 0.0123456789, -3.3e-3, 57.123456789, 1.7e-9];
  const std = [0.0137, 0.91, 3.3e-3, 12.5, 4.4e-9];
  const s = { featureNames: mean.map((_, k) => `f${k}`), mean, std };
  let seed = 7;
  const x = Float32Array.from({ length: 5 * 400 }, (_, i) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return mean[i % 5] + std[i % 5] * ((seed / 2 ** 32) * 8 - 4);
  });
  const f32 = new Float32Array(1);
  const step = (v: number) => (f32[0] = v, f32[0]);
  const expected = x.map((v, i) => step(step(v - step(mean[i % 5])) * step(1 / std[i % 5])));
  const scaled = applyScaler(s, x.slice());
  const differing = scaled.filter((v, i) => v !== expected[i]).length;
  assert.equal(differing, 0, `${differing} of ${x.length} values differ from float32 arithmetic`);
});
