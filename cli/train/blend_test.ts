import assert from "node:assert/strict";
import { join } from "node:path";
import { FEATURE_COUNT } from "../../features/index.ts";
import { haveRealData } from "../../test/real_data.ts";
import {
  INPUT_NAME,
  loadPredictor,
  OUTPUT_NAMES,
  readPreprocessorFile,
  runOnnx,
} from "../../engine/index.ts";
import { exportOnnx } from "../../ml/onnx/index.ts";
import { loadModel } from "../../ml/models/index.ts";
import {
  BOOSTING_FILE,
  lagWindows,
  predictBoostedTrees,
  readBoostedTrees,
} from "../../ml/baselines/index.ts";
import { readManifest, sha256Hex } from "../../ml/checkpoints/index.ts";
import { softmaxRows } from "../../ml/metrics/index.ts";
import { csvOf, options } from "./run_test_support.ts";
import { runExport } from "../export.ts";
import { runTraining } from "./run.ts";

const real = haveRealData();

/** Windows spread around the scaler's range ([count, lookback, 35], unscaled), from a fixed stream. */
function probeWindows(mean: readonly number[], std: readonly number[], lookback: number, count: number) {
  const x = new Float32Array(count * lookback * FEATURE_COUNT);
  let s = 7;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const k = i % FEATURE_COUNT;
    x[i] = mean[k] + std[k] * ((s / 2 ** 32) * 4 - 2);
  }
  return x;
}

Deno.test({
  name:
    "train --blend-boosting serves half the network and half its calibrated boosting, and a fine-tune keeps it",
  ignore: !real,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-blend-" });
    const checkpoints = join(dir, "checkpoints");
    const lines: string[] = [];
    const first = await runTraining(
      options(await csvOf(dir, "a.csv", 400), checkpoints, { epochs: "1", blendBoosting: true }),
      { out: (l) => lines.push(l) },
    );
    assert.equal(first.onnxError, undefined);
    const manifest = await readManifest(first.dir);
    assert.ok(manifest.files[BOOSTING_FILE], "boosting.json is hashed in the manifest");
    assert.equal((manifest.hyperparameters as { model: Record<string, unknown> }).model.boostingBlend, 0.5);
    const preprocessor = await readPreprocessorFile(first.dir);
    const { temperature: blendT, ...blend } = preprocessor.blend!;
    assert.deepEqual(blend, { with: "gradient_boosting", weight: 0.5 });
    // The blend's own temperature, fit on validation (an average of calibrated probabilities is not calibrated).
    assert.ok(blendT > 0 && blendT !== 1, String(blendT));
    const trees = await readBoostedTrees(first.dir);
    assert.ok(trees.trees.length > 0 && trees.temperature > 0);

    // The report scores the served blend and the network alone; metrics.json keeps both, `test` the served.
    assert.ok(lines.some((l) => /^ {2}model \(served blend\) /.test(l)), lines.join("\n"));
    assert.ok(lines.some((l) => /^ {2}network alone /.test(l)));
    assert.ok(lines.some((l) => l.startsWith("blend: 0.5 × the network + 0.5 × gradient boosting")));
    const metrics = JSON.parse(await Deno.readTextFile(join(first.dir, "metrics.json")));
    assert.equal(metrics.blend.with, "gradient_boosting");
    assert.equal(metrics.blend.temperature, blendT);
    assert.equal(typeof metrics.network_test.log_loss, "number");
    assert.notEqual(metrics.test.log_loss, metrics.network_test.log_loss);

    // What serve and predict answer (model.onnx on ONNX Runtime) is the blend computed here from its parts.
    const count = 5, lookback = preprocessor.lookback;
    const x = probeWindows(preprocessor.scaler.mean, preprocessor.scaler.std, lookback, count);
    const predictor = await loadPredictor(first.dir);
    const served = await predictor.predict(x, count);
    await predictor.close();
    // The network alone: the same version exported without its blend, on ONNX Runtime too.
    const model = await loadModel(first.dir);
    const { blend: _, ...alone } = preprocessor;
    const bytes = exportOnnx(model, alone, { version: "alone" });
    model.dispose();
    const outputs = await runOnnx(bytes, {
      [INPUT_NAME]: { data: x, dims: [count, lookback, FEATURE_COUNT] },
    });
    const network = softmaxRows(outputs[OUTPUT_NAMES.logits].data as Float32Array);
    const boosting = predictBoostedTrees(trees, lagWindows(x, lookback, trees.lags));
    const mixed = network.map((p, j) => Math.log(0.5 * p + 0.5 * boosting[j]));
    const blended = softmaxRows(mixed, blendT);
    let apart = 0;
    for (let i = 0; i < count; i++) {
      for (let c = 0; c < 3; c++) {
        const blend = blended[i * 3 + c];
        assert.ok(
          Math.abs(served[i].probabilities[c] - blend) < 1e-5,
          `${served[i].probabilities[c]} vs ${blend}`,
        );
        apart = Math.max(apart, Math.abs(network[i * 3 + c] - boosting[i * 3 + c]));
      }
    }
    assert.ok(apart > 1e-3, "the two parts differ, so the check above tells a blend from either alone");

    // `candlecast export` writes the same blend from the version's files (boosting.json with the weights).
    const exported = join(dir, "exported.onnx");
    await runExport({ checkpoint: first.dir, output: exported });
    const again = await runOnnx(await Deno.readFile(exported), {
      [INPUT_NAME]: { data: x, dims: [count, lookback, FEATURE_COUNT] },
    });
    const reExported = softmaxRows(again[OUTPUT_NAMES.logits].data as Float32Array);
    for (let i = 0; i < count; i++) {
      for (let c = 0; c < 3; c++) {
        assert.ok(Math.abs(reExported[i * 3 + c] - served[i].probabilities[c]) < 1e-6);
      }
    }

    // A fine-tune serves what its parent serves: the same boosting, byte for byte, and the blend recorded.
    const second = await runTraining(
      options(await csvOf(dir, "b.csv", 700), checkpoints, { incremental: true, epochs: "1" }),
      { out: () => {} },
    );
    assert.equal(second.onnxError, undefined);
    const kept = await readManifest(second.dir);
    assert.equal(kept.files[BOOSTING_FILE], manifest.files[BOOSTING_FILE]);
    assert.equal(
      await sha256Hex(await Deno.readFile(join(second.dir, BOOSTING_FILE))),
      manifest.files[BOOSTING_FILE],
    );
    assert.deepEqual((await readPreprocessorFile(second.dir)).blend, preprocessor.blend);

    // --config-from keeps a recorded blend; --no-blend-boosting drops it.
    const plain = await runTraining(
      options(join(dir, "a.csv"), checkpoints, {
        configFrom: first.dir,
        blendBoosting: false,
        promote: false,
      }),
      { out: () => {} },
    );
    assert.equal((await readPreprocessorFile(plain.dir)).blend, undefined);
    assert.equal((await readManifest(plain.dir)).files[BOOSTING_FILE], undefined);
    await Deno.remove(dir, { recursive: true });
  },
});
