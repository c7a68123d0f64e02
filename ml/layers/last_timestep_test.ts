import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend.ts";
import { LastTimestep } from "./index.ts";

await initBackend("wasm");

Deno.test("LastTimestep returns x[:, T−1, :] and passes its gradient only there", () => {
  const x = tf.tensor3d(Float32Array.from({ length: 2 * 4 * 3 }, (_, i) => i), [2, 4, 3]);
  const layer = new LastTimestep({ name: "last" });
  const y = layer.apply(x) as tf.Tensor;
  assert.deepEqual(y.shape, [2, 3]);
  assert.deepEqual([...y.dataSync()], [9, 10, 11, 21, 22, 23]);
  assert.deepEqual(layer.computeOutputShape([null, 4, 3] as unknown as tf.Shape), [null, 3]);
  const grad = tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t) as tf.Tensor))(x);
  const g = grad.dataSync();
  for (let b = 0; b < 2; b++) {
    for (let t = 0; t < 4; t++) {
      for (let d = 0; d < 3; d++) assert.equal(g[(b * 4 + t) * 3 + d], t === 3 ? 1 : 0);
    }
  }
  tf.dispose([x, y, grad]);
});
