import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend.ts";
import { dropoutMask, SeededDropout } from "./index.ts";

await initBackend("wasm");

Deno.test("dropoutMask: drops about `rate`, keeps the mean, and depends only on the seed", () => {
  const mask = dropoutMask(200_000, 0.2, 7);
  const dropped = mask.filter((v) => v === 0).length / mask.length;
  assert.ok(Math.abs(dropped - 0.2) < 0.005, `dropped ${dropped}`);
  assert.ok(mask.every((v) => v === 0 || Math.abs(v - 1.25) < 1e-6));
  assert.deepEqual(dropoutMask(50, 0.5, 3), dropoutMask(50, 0.5, 3));
  assert.notDeepEqual(dropoutMask(50, 0.5, 3), dropoutMask(50, 0.5, 4));
});

Deno.test("SeededDropout: identity at inference; a fresh mask per training call, reproducible from the seed", () => {
  const x = tf.ones([4, 16]);
  const run = (layer: SeededDropout, training: boolean) =>
    Array.from((layer.apply(x, { training }) as tf.Tensor).dataSync());
  const a = new SeededDropout({ rate: 0.5, seed: 9 });
  const b = new SeededDropout({ rate: 0.5, seed: 9 });
  assert.ok(run(a, false).every((v) => v === 1));
  const [a1, a2] = [run(a, true), run(a, true)];
  assert.notDeepEqual(a1, a2);
  assert.deepEqual([run(b, true), run(b, true)], [a1, a2]);
});
