import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend.ts";
import { FEATURE_COUNT } from "../../features/index.ts";
import { buildModel, prefixOf, withAuxiliaryHead } from "../models/index.ts";
import { haveRealData } from "../../test/real_data.ts";
import {
  scalingOf,
  TINY_LOOKBACK,
  tinyDataset,
  tinyModelConfig,
  tinyTrainConfig,
} from "../../test/tiny_training.ts";
import { combineParts, Replicas, rowParts } from "./data_parallel.ts";
import { batchGradients, type BatchPart } from "./gradients.ts";
import { trainModel } from "./loop.ts";

await initBackend("wasm");

Deno.test("rowParts: contiguous near-equal parts covering every row, none empty", () => {
  assert.deepEqual(rowParts(10, 3), [[0, 4], [4, 7], [7, 10]]);
  assert.deepEqual(rowParts(256, 2), [[0, 128], [128, 256]]);
  assert.deepEqual(rowParts(1, 2), [[0, 1]]);
});

Deno.test("combineParts: the parts' means weighted by their rows are the whole batch's mean", () => {
  const a = { loss: 1, hits: 2, grads: [Float32Array.of(1, 2)] };
  const b = { loss: 4, hits: 1, grads: [Float32Array.of(4, -1)] };
  const c = combineParts([a, b], [2, 1]);
  assert.equal(c.loss, 2);
  assert.equal(c.hits, 3);
  assert.deepEqual(Array.from(c.grads[0]), [2, 1]);
});

function randomBatch(size: number, auxWidth: number): BatchPart {
  let s = 12345;
  const next = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  return {
    size,
    x: Float32Array.from({ length: size * TINY_LOOKBACK * FEATURE_COUNT }, () => 4 * next() - 2),
    labels: Int8Array.from({ length: size }, () => Math.floor(3 * next())),
    target: Float32Array.from({ length: size }, () => 2 * next() - 1),
    auxiliary: Float32Array.from({ length: size * auxWidth }, () => 2 * next() - 1),
  };
}

Deno.test("Replicas: a batch computed in parts on two cores has the whole batch's loss and gradients", async () => {
  const loss = {
    classWeights: [1.2, 0.8, 1] as [number, number, number],
    labelSmoothing: 0,
    regressionWeight: 0.3,
    auxiliaryWeight: 0.1,
  };
  const auxWidth = 8;
  // Two copies of one model (same seed: same weights and dropout seeds), each with the auxiliary head.
  const trainerOf = () => {
    const model = buildModel({ ...tinyModelConfig(), dropout: 0.2 }, 3);
    return withAuxiliaryHead(model, 3, auxWidth, prefixOf(model));
  };
  const whole = trainerOf(), split = trainerOf();
  const varsOf = (m: tf.LayersModel) => m.trainableWeights.map((w) => w.read() as tf.Variable);
  const replicas = await Replicas.start(1, "wasm", split);
  try {
    const batch = randomBatch(37, auxWidth);
    // Twice: the second step's dropout masks (fresh ones) must match as well.
    for (let step = 0; step < 2; step++) {
      const expected = batchGradients(whole, varsOf(whole), batch, TINY_LOOKBACK, loss);
      const got = await replicas.gradients(split, varsOf(split), batch, TINY_LOOKBACK, loss);
      assert.ok(Math.abs(got.loss - expected.loss) < 1e-5, `loss ${got.loss} vs ${expected.loss}`);
      assert.equal(got.hits, expected.hits);
      expected.grads.forEach((g, i) => {
        for (let j = 0; j < g.length; j++) {
          assert.ok(
            Math.abs(got.grads[i][j] - g[j]) <= 1e-5 * Math.max(1, Math.abs(g[j])),
            `step ${step}, variable ${i}[${j}]: ${got.grads[i][j]} vs ${g[j]}`,
          );
        }
      });
    }
  } finally {
    replicas.dispose();
  }
});

Deno.test({
  name:
    "trainModel with dataParallel 2: the plain path's training up to float rounding, reproducible by seed",
  ignore: !haveRealData(),
  async fn() {
    const data = await tinyDataset();
    const run = async (dataParallel: number) => {
      const model = buildModel(tinyModelConfig(), 1);
      const result = await trainModel(
        model,
        data,
        scalingOf(data),
        tinyTrainConfig(data, { epochs: 2 }),
        {},
        {
          dataParallel,
        },
      );
      model.dispose();
      return result.history.map((r) => [r.loss, r.val_loss]);
    };
    const plain = await run(1), first = await run(2), second = await run(2);
    assert.deepEqual(second, first);
    plain.flat().forEach((v, i) =>
      assert.ok(Math.abs(v - first.flat()[i]) < 1e-3, `${v} vs ${first.flat()[i]}`)
    );
  },
});
