import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend.ts";
import { loadModel, ModelFileError, saveModel } from "./model_io.ts";
import { buildModel, defaultModelConfig, type ModelConfig } from "./index.ts";

await initBackend("wasm");

function tiny(type: ModelConfig["type"]): ModelConfig {
  return {
    ...defaultModelConfig(type, 6),
    // Built without a training scaler: the channels (tested in input_channels_test.ts) need one.
    volatilityChannels: false,
    dModel: 8,
    heads: 2,
    ffnDim: 16,
    encoderLayers: 1,
    lstmHidden: 4,
    lstmLayers: 2,
  };
}

async function outputs(model: tf.LayersModel, x: tf.Tensor): Promise<Float32Array[]> {
  const ys = model.predict(x) as tf.Tensor[];
  const values = await Promise.all(ys.map((y) => y.data() as Promise<Float32Array>));
  tf.dispose(ys);
  return values;
}

for (const type of ["transformer_lstm", "lightweight_lstm"] as const) {
  Deno.test(`${type}: save/load round-trip gives identical outputs`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "candlecast-model-"));
    try {
      const config = tiny(type);
      const model = buildModel(config, 7);
      const x = tf.randomNormal([3, config.lookback, config.features], 0, 1, "float32", 1);
      const before = await outputs(model, x);
      await saveModel(model, dir);
      assert.deepEqual((await readdir(dir)).sort(), ["model.json", "weights.bin"]);
      const loaded = await loadModel(dir);
      assert.deepEqual(loaded.outputNames, model.outputNames);
      const after = await outputs(loaded, x);
      assert.equal(after.length, before.length);
      for (let i = 0; i < before.length; i++) assert.deepEqual(after[i], before[i]);
      tf.dispose([x]);
      model.dispose();
      loaded.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

Deno.test("loadModel names the missing file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "candlecast-model-"));
  try {
    await assert.rejects(
      loadModel(dir),
      (e: Error) => e instanceof ModelFileError && e.message.includes("model.json"),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

Deno.test({
  name:
    "loadModel refuses a FIFO named model.json or weights.bin unopened (export and --incremental hung on one)",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await mkdtemp(join(tmpdir(), "candlecast-model-"));
    const model = buildModel(tiny("lightweight_lstm"));
    try {
      await saveModel(model, dir);
      for (const name of ["weights.bin", "model.json"]) {
        const fifo = join(dir, name);
        await rm(fifo);
        await new Deno.Command("mkfifo", { args: [fifo] }).output();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const hung = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), 3000)));
        const loading = loadModel(dir).then(() => "loaded", (error: Error) => error);
        const outcome = await Promise.race([loading, hung]);
        clearTimeout(timer);
        if (outcome === "hung") {
          // End the blocked read (read and write: this open itself never waits), so the test reports.
          (await Deno.open(fifo, { read: true, write: true })).close();
          await loading;
        }
        assert.ok(outcome instanceof ModelFileError, `${name}: ${String(outcome)}`);
        assert.match(outcome.message, new RegExp(`${name.replace(".", "\\.")} is a FIFO \\(named pipe\\)`));
      }
    } finally {
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  },
});

Deno.test("loadModel refuses a model.json without a topology, or naming weights outside its folder", async () => {
  const dir = await mkdtemp(join(tmpdir(), "candlecast-model-"));
  try {
    const weights = [{ paths: ["../../secret.bin"], weights: [{ name: "w", shape: [1], dtype: "float32" }] }];
    const cases: [unknown, RegExp][] = [
      [{ weightsManifest: [] }, /not a tfjs layers model \(modelTopology: /],
      [{ modelTopology: {}, weightsManifest: weights }, /weightsManifest\.0\.paths\.0: must be a file name/],
    ];
    for (const [json, message] of cases) {
      await Deno.writeTextFile(join(dir, "model.json"), JSON.stringify(json));
      await assert.rejects(
        loadModel(dir),
        (e: Error) => e instanceof ModelFileError && message.test(e.message),
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
