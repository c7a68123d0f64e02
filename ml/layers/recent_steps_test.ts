import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend.ts";
import { EnsembleMean, RecentSteps } from "./index.ts";

await initBackend("wasm");

Deno.test("RecentSteps keeps x[:, T−k:, :] and passes its gradient only there", () => {
  const x = tf.tensor3d(Float32Array.from({ length: 2 * 5 * 2 }, (_, i) => i), [2, 5, 2]);
  const layer = new RecentSteps({ steps: 2, name: "window" });
  const y = layer.apply(x) as tf.Tensor;
  assert.deepEqual(y.shape, [2, 2, 2]);
  assert.deepEqual([...y.dataSync()], [6, 7, 8, 9, 16, 17, 18, 19]);
  assert.deepEqual(layer.computeOutputShape([null, 5, 2] as unknown as tf.Shape), [null, 2, 2]);
  const grad = tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t) as tf.Tensor))(x).dataSync();
  for (let i = 0; i < grad.length; i++) assert.equal(grad[i], Math.floor(i / 2) % 5 >= 3 ? 1 : 0);
  tf.dispose([x, y]);
});

Deno.test("RecentSteps refuses more steps than its input has, and a non-positive count", () => {
  const layer = new RecentSteps({ steps: 6, name: "window" });
  assert.throws(
    () => layer.computeOutputShape([null, 5, 2] as unknown as tf.Shape),
    /keeps 6 steps of a 5-step/,
  );
  assert.throws(() => new RecentSteps({ steps: 0 }), /positive integer/);
});

Deno.test("RecentSteps and EnsembleMean's steps survive serialisation", () => {
  const window = new RecentSteps({ steps: 3, name: "w" });
  const copy = RecentSteps.fromConfig(RecentSteps, window.getConfig()) as RecentSteps;
  assert.equal(copy.steps, 3);
  const mean = new EnsembleMean({ mode: "values", steps: 7, name: "attention" });
  assert.equal((EnsembleMean.fromConfig(EnsembleMean, mean.getConfig()) as EnsembleMean).steps, 7);
  // A mean without steps serialises as it always did (saved models stay byte-identical).
  assert.ok(!("steps" in new EnsembleMean({ mode: "values" }).getConfig()));
});

Deno.test("EnsembleMean aligns shorter attention weights on the last step, zeros before, still summing to 1", () => {
  const long = tf.tensor2d([[0.1, 0.2, 0.3, 0.4]]);
  const short = tf.tensor2d([[0.5, 0.5]]);
  const y = new EnsembleMean({ mode: "values" }).apply([long, short]) as tf.Tensor;
  assert.deepEqual(y.shape, [1, 4]);
  const expected = [0.05, 0.1, 0.4, 0.45];
  [...y.dataSync()].forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-7, `${i}: ${v}`));
  // With `steps`, one short member alone is padded to the model's window.
  const alone = new EnsembleMean({ mode: "values", steps: 4 }).apply([short]) as tf.Tensor;
  assert.deepEqual([...alone.dataSync()], [0, 0, 0.5, 0.5]);
  tf.dispose([long, short, y, alone]);
});
