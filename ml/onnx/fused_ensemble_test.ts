/**
 * The fused ensemble export (fused_ensemble.ts) against the members exported as separate branches (the
 * exporter's general path, tfjs_model.ts): the same outputs on the same windows, at a fraction of the nodes.
 * Parity with tfjs itself is export_test.ts's job (every ensemble there now goes through the fused path).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { FEATURE_COUNT, FEATURE_NAMES, fitScaler } from "../../features/index.ts";
import { VERSION } from "../../engine/index.ts";
import { initBackend } from "../runtime/backend.ts";
import { buildModel, defaultModelConfig, FAST_LAYERS, STOCK_LAYERS } from "../models/index.ts";
import type { ModelType } from "../../engine/preprocessor.ts";
import { fusableMembers, fusedEnsembleBody } from "./fused_ensemble.ts";
import { frameModel } from "./frame.ts";
import { decodeModel, encodeModel } from "./graph.ts";
import { tfjsBody } from "./tfjs_model.ts";
import { maxAbsDiff, pseudoRandom, runOnnx, testPreprocessor } from "../../test/onnx.ts";

await initBackend("wasm");

const LOOKBACK = 20;

function model(type: ModelType, members: number, channels: boolean, kit = FAST_LAYERS) {
  const x = pseudoRandom(64 * LOOKBACK * FEATURE_COUNT, 9, 2);
  const p = testPreprocessor({
    modelType: type,
    lookback: LOOKBACK,
    scaler: fitScaler(FEATURE_NAMES, x),
  });
  const config = {
    ...defaultModelConfig(type, LOOKBACK),
    members,
    volatilityChannels: channels,
    volatilityReference: "last" as const,
  };
  const m = buildModel(config, 5, kit, channels ? p : undefined);
  // Non-trivial weights everywhere (fresh biases and LayerNorm γ/β would hide a misplaced block).
  m.setWeights(m.weights.map((v, i) => {
    const w = v.read();
    return tf.tidy(() => tf.add(w, tf.tensor(pseudoRandom(w.size, 300 + i, 0.2), w.shape)));
  }));
  return { m, p, x };
}

for (
  const [type, members, channels] of [["transformer_lstm", 3, true], ["lightweight_lstm", 3, false]] as const
) {
  Deno.test(`${type} × ${members}: fused and branch-per-member graphs agree to 1e-5 with far fewer nodes`, async () => {
    const { m, p, x } = model(type, members, channels);
    assert.equal(fusableMembers(m), members);
    const encode = (body: ReturnType<typeof tfjsBody>) =>
      encodeModel(frameModel(body, { preprocessor: p, version: "v1", producerVersion: VERSION }));
    const fused = encode(fusedEnsembleBody(m));
    const branches = encode(tfjsBody(m));
    const nodes = (bytes: Uint8Array) => decodeModel(bytes).graph!.node!.length;
    for (const count of [1, 64]) {
      const feed = {
        input: { data: x.slice(0, count * LOOKBACK * FEATURE_COUNT), dims: [count, LOOKBACK, FEATURE_COUNT] },
      };
      const a = await runOnnx(fused, feed), b = await runOnnx(branches, feed);
      for (const name of Object.keys(b)) {
        const d = maxAbsDiff(a[name].data as Float32Array, b[name].data as Float32Array);
        assert.ok(d <= 1e-5, `batch ${count}: ${name} differs by ${d}`);
      }
    }
    const [n, nb] = [nodes(fused), nodes(branches)];
    assert.ok(n < 0.6 * nb, `fused graph has ${n} nodes, the branches ${nb}`);
    m.dispose();
  });
}

Deno.test("a single model and an ensemble of stock tfjs layers are not fused (exported branch by branch)", () => {
  const single = model("transformer_lstm", 1, false);
  assert.equal(fusableMembers(single.m), 0);
  const stock = model("lightweight_lstm", 2, false, STOCK_LAYERS);
  assert.equal(fusableMembers(stock.m), 0);
  single.m.dispose();
  stock.m.dispose();
});
