import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend.ts";
import { dropoutMask, SeededDropout, withBatchRowOffset } from "./index.ts";

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

Deno.test("dropoutMask: any stretch of the stream equals that stretch of the whole mask", () => {
  const whole = dropoutMask(1000, 0.3, 11);
  assert.deepEqual(dropoutMask(400, 0.3, 11, 600), whole.subarray(600));
  assert.deepEqual(dropoutMask(10, 0.3, 11, 0), whole.subarray(0, 10));
});

Deno.test("SeededDropout: a batch computed in row parts gets the masks it would have had whole", () => {
  const x = tf.ones([6, 3, 4]);
  const whole = new SeededDropout({ rate: 0.5, seed: 5 });
  const part = new SeededDropout({ rate: 0.5, seed: 5 });
  const expected = (whole.apply(x, { training: true }) as tf.Tensor).arraySync() as number[][][];
  const top = part.apply(x.slice([0], [2]), { training: true }) as tf.Tensor;
  part.calls--; // the second part is the same training call's other rows
  const rest = withBatchRowOffset(2, () => part.apply(x.slice([2], [4]), { training: true }) as tf.Tensor);
  assert.deepEqual([...top.arraySync() as number[][][], ...rest.arraySync() as number[][][]], expected);
});
