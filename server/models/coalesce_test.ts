import assert from "node:assert/strict";
import { FEATURE_COUNT } from "../../features/index.ts";
import { fakeOutput, FakePredictor } from "../../test/fake_predictor.ts";
import { coalesce } from "./coalesce.ts";

const SIZE = 50 * FEATURE_COUNT;
const window = (seed: number) => new Float32Array(SIZE).map((_, i) => Math.sin(seed * 1000 + i));

Deno.test("concurrent windows share one model call and each gets its own answer", async () => {
  const inner = new FakePredictor({ delayMs: 5 });
  const model = coalesce(inner, 8);
  assert.equal(model.info, inner.info);
  // The first runs alone at once; the ten arriving while it computes share the next calls (≤ 8 windows each).
  const first = model.predict(window(0), 1);
  await new Promise((resolve) => setTimeout(resolve, 1));
  const rest = Array.from({ length: 10 }, (_, k) => model.predict(window(k + 1), 1));
  const outs = await Promise.all([first, ...rest]);
  assert.deepEqual(inner.calls, [1, 8, 2]);
  outs.forEach(([out], k) => assert.deepEqual(out, fakeOutput(window(k), 50)));
});

Deno.test("a multi-window request stays together; a large one bypasses the queue", async () => {
  const inner = new FakePredictor();
  const model = coalesce(inner, 4);
  const two = new Float32Array(2 * SIZE);
  two.set(window(1));
  two.set(window(2), SIZE);
  const [a, b] = await Promise.all([model.predict(two, 2), model.predict(window(3), 1)]);
  assert.deepEqual(inner.calls, [3]);
  assert.deepEqual(a, [fakeOutput(window(1), 50), fakeOutput(window(2), 50)]);
  assert.deepEqual(b, [fakeOutput(window(3), 50)]);
  const big = new Float32Array(4 * SIZE);
  assert.equal((await model.predict(big, 4)).length, 4);
  assert.deepEqual(inner.calls, [3, 4]);
});

Deno.test("a failing call rejects every request in its batch, and the next batch still runs", async () => {
  const inner = new FakePredictor();
  const model = coalesce(inner, 8);
  const predict = inner.predict.bind(inner);
  inner.predict = () => Promise.reject(new Error("boom"));
  const results = await Promise.allSettled([model.predict(window(1), 1), model.predict(window(2), 1)]);
  assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
  inner.predict = predict;
  assert.equal((await model.predict(window(3), 1)).length, 1);
});

Deno.test("maxBatch 1 is the predictor itself", () => {
  const inner = new FakePredictor();
  assert.equal(coalesce(inner, 1), inner);
});
