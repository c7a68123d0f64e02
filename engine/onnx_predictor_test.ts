import assert from "node:assert/strict";
import { join } from "node:path";
import { FEATURE_COUNT } from "../features/index.ts";
import type { Preprocessor } from "./preprocessor.ts";
import { frameModel } from "../ml/onnx/frame.ts";
import { decodeModel, encodeModel } from "../ml/onnx/graph.ts";
import {
  linearBody,
  linearBodyWeights,
  linearReference,
  maxAbsDiff,
  pseudoRandom,
  testPreprocessor,
} from "../test/onnx.ts";
import { CheckpointError } from "./checkpoint_files.ts";
import { loadPredictor, softmax3 } from "./onnx_predictor.ts";

const w = linearBodyWeights(3);

async function writeCheckpoint(p: Preprocessor, options: { onnx?: boolean; attention?: boolean } = {}) {
  const dir = await Deno.makeTempDir({ prefix: "candlecast_engine_" });
  if (options.onnx !== false) {
    const model = frameModel(linearBody(w, p.lookback, options.attention ?? true), {
      preprocessor: p,
      version: "v2_2024-02-02",
      producerVersion: "test",
    });
    await Deno.writeFile(join(dir, "model.onnx"), encodeModel(model));
  }
  await Deno.writeTextFile(join(dir, "preprocessor.json"), JSON.stringify(p));
  await Deno.writeTextFile(
    join(dir, "manifest.json"),
    JSON.stringify({ version: "v2_2024-02-02", created_at: "2024-02-02T10:00:00.000Z", parent: null }),
  );
  await Deno.writeTextFile(join(dir, "metrics.json"), JSON.stringify({ test: { accuracy: 0.5 } }));
  return dir;
}

Deno.test("loadPredictor serves a checkpoint: info, softmax probabilities and outputs equal the TS pipeline", async () => {
  // transformer_lstm: the architecture whose attention output carries weights.
  const p = testPreprocessor({ modelType: "transformer_lstm" });
  const dir = await writeCheckpoint(p);
  const predictor = await loadPredictor(dir, { threads: 1 });
  try {
    assert.equal(predictor.device, "cpu");
    assert.equal(predictor.info.modelClass, "TransformerLSTMModel");
    assert.equal(predictor.info.version, "v2_2024-02-02");
    assert.equal(predictor.info.trainedAt, "2024-02-02T10:00:00.000Z");
    assert.deepEqual(predictor.info.metrics, { accuracy: 0.5 });
    assert.equal(predictor.info.preprocessor.lookback, p.lookback);
    for (const count of [1, 7, 64]) {
      const x = pseudoRandom(count * p.lookback * FEATURE_COUNT, 40 + count, 4);
      const out = await predictor.predict(x, count);
      const ref = linearReference(w, p, x, count);
      assert.equal(out.length, count);
      out.forEach((o, i) => {
        assert.ok(Math.abs(o.probabilities.reduce((a, b) => a + b) - 1) < 1e-12);
        assert.ok(maxAbsDiff(o.probabilities, softmax3(ref.logits, 3 * i)) < 1e-5);
        assert.ok(Math.abs(o.expectedReturn - ref.regression[i]) < 1e-6);
        assert.ok(
          maxAbsDiff(o.attention!, ref.attention.subarray(i * p.lookback, (i + 1) * p.lookback)) < 1e-6,
        );
      });
    }
    assert.deepEqual(await predictor.predict(new Float32Array(0), 0), []);
    await assert.rejects(() => predictor.predict(new Float32Array(10), 1), RangeError);
  } finally {
    await predictor.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predict reads windows from a view into a larger buffer (the server packs batches that way)", async () => {
  const p = testPreprocessor();
  const dir = await writeCheckpoint(p);
  const predictor = await loadPredictor(dir);
  try {
    const size = p.lookback * FEATURE_COUNT;
    const buffer = pseudoRandom(5 * size, 9, 3);
    const direct = await predictor.predict(buffer.slice(2 * size, 4 * size), 2);
    const viewed = await predictor.predict(buffer.subarray(2 * size), 2);
    assert.deepEqual(viewed, direct);
  } finally {
    await predictor.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("concurrent predict calls on one predictor each get their own answer (the server overlaps requests)", async () => {
  const p = testPreprocessor();
  const dir = await writeCheckpoint(p);
  const predictor = await loadPredictor(dir, { threads: 2 });
  try {
    const size = p.lookback * FEATURE_COUNT;
    const windows = Array.from({ length: 16 }, (_, i) => pseudoRandom(size, 100 + i, 3));
    const sequential = [];
    for (const w of windows) sequential.push((await predictor.predict(w, 1))[0]);
    const concurrent = await Promise.all(windows.map(async (w) => (await predictor.predict(w, 1))[0]));
    assert.deepEqual(concurrent, sequential);
  } finally {
    await predictor.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a model without attention gives attention null, though its file has the zeros output SPEC §8 lists", async () => {
  const dir = await writeCheckpoint(testPreprocessor(), { attention: false });
  const predictor = await loadPredictor(dir);
  try {
    const [out] = await predictor.predict(new Float32Array(testPreprocessor().lookback * FEATURE_COUNT), 1);
    assert.equal(out.attention, null);
  } finally {
    await predictor.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a lightweight_lstm file from before the zeros output (two outputs) still serves, attention null", async () => {
  const p = testPreprocessor();
  const dir = await writeCheckpoint(p, { attention: false });
  try {
    // Rewrite the file as exports before 2026-12-06 wrote it: class_logits and regression only.
    const path = join(dir, "model.onnx");
    const model = decodeModel(await Deno.readFile(path));
    model.graph!.output = model.graph!.output!.filter((o) => o.name !== "attention");
    await Deno.writeFile(path, encodeModel(model));
    const predictor = await loadPredictor(dir);
    try {
      const [out] = await predictor.predict(new Float32Array(p.lookback * FEATURE_COUNT), 1);
      assert.equal(out.attention, null);
      assert.ok(Math.abs(out.probabilities.reduce((a, b) => a + b) - 1) < 1e-12);
    } finally {
      await predictor.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unservable checkpoints fail with a CheckpointError that names the file and says what to do", async () => {
  await assert.rejects(() => loadPredictor("/nonexistent/candlecast/v1"), (e: Error) => {
    assert.ok(e instanceof CheckpointError);
    assert.match(e.message, /no model at/);
    return true;
  });
  const noOnnx = await writeCheckpoint(testPreprocessor(), { onnx: false });
  await assert.rejects(() => loadPredictor(noOnnx), (e: Error) => {
    assert.ok(e instanceof CheckpointError);
    assert.match(e.message, /model\.onnx: the ONNX model is missing/);
    assert.match(e.hint!, /candlecast export/);
    return true;
  });
  // preprocessor.json says lookback 8 while the graph was built for 6.
  const mismatched = await writeCheckpoint(testPreprocessor());
  await Deno.writeTextFile(
    join(mismatched, "preprocessor.json"),
    JSON.stringify(testPreprocessor({ lookback: 8 })),
  );
  await assert.rejects(() => loadPredictor(mismatched), /does not run on a \[1, 8, 35\] window/);
  await Deno.writeTextFile(join(mismatched, "manifest.json"), "{}");
  await assert.rejects(() => loadPredictor(mismatched), /manifest\.json: version/);
  for (const dir of [noOnnx, mismatched]) await Deno.remove(dir, { recursive: true });
});
