/**
 * A served blend in model.onnx: a small tfjs model exported with gradient boosting's trees gives, on ONNX
 * Runtime, softmax(class_logits) = softmax(ln(w·softmax(logits / T) + (1 − w)·boosting's probabilities) ÷ the
 * blend's temperature) as TypeScript
 * computes them; checkExport passes it and catches other trees; the metadata and doc string say so; a version
 * without a blend exports as before (no ai.onnx.ml, no blend metadata), and a blend without its trees (or trees
 * without a blend) is refused.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { applyScaler, FEATURE_COUNT, FEATURE_NAMES } from "../../features/index.ts";
import { initBackend } from "../runtime/backend.ts";
import type { Preprocessor } from "../../engine/preprocessor.ts";
import { boostedTrees, lagWindows, predictBoostedTrees } from "../baselines/index.ts";
import { boostingModel, edgeRows, fittedGbdt, windowsOf } from "../baselines/boosted_trees_test_support.ts";
import { exportOnnx } from "./export.ts";
import { decodeModel, ML_DOMAIN } from "./graph.ts";
import { checkExport, exportCheckedOnnx } from "./verify.ts";
import { assertOnnxChecks, maxAbsDiff, pseudoRandom, runOnnx, testPreprocessor } from "../../test/onnx.ts";

const L = 6;

await initBackend("cpu");

/** The blend's own temperature: not 1, so a graph that left it out would fail the comparisons. */
const BLEND_T = 0.85;

function preprocessor(blend?: number): Preprocessor {
  return testPreprocessor({
    lookback: L,
    scaler: {
      featureNames: [...FEATURE_NAMES],
      mean: FEATURE_NAMES.map(() => 0.1),
      std: FEATURE_NAMES.map(() => 0.8),
    },
    temperature: 1.4,
    ...(blend === undefined
      ? {}
      : { blend: { with: "gradient_boosting", weight: blend, temperature: BLEND_T } }),
  });
}

/** An LSTM and two dense heads with non-trivial weights: logits far enough from uniform to matter. */
function smallModel(): tf.LayersModel {
  const input = tf.input({ shape: [L, FEATURE_COUNT] });
  const x = tf.layers.lstm({ units: 4, recurrentActivation: "sigmoid" }).apply(input) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 3 }).apply(x) as tf.SymbolicTensor;
  const regression = tf.layers.dense({ units: 1 }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [logits, regression] });
  // Seeded weights only: added to tfjs's unseeded initial ones, a run now and then put the one-window batch's
  // network probabilities within 1e-2 of boosting's and failed the "both sides matter" check (CI, 7635764).
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(pseudoRandom(w.size, 70 + i, 0.8), w.shape)));
  return model;
}

const gbdt = fittedGbdt(10);
const trees = boostedTrees(boostingModel(gbdt), 1.3);
const model = smallModel();
const W = 0.6;
const blended = preprocessor(W);
const bytes = exportOnnx(model, blended, { version: "v1_2026-12-04", boosting: trees });

/**
 * Windows: random ones (batch 7) and ones whose lagged candles sit on the trees' thresholds (NaN made 0: the
 * network's output would be NaN; boosting_test.ts checks the trees on NaN).
 */
const windows = [
  pseudoRandom(7 * L * FEATURE_COUNT, 3, 2),
  windowsOf(edgeRows(gbdt).subarray(0, 300 * trees.columns), L).map((v) => (Number.isNaN(v) ? 0 : v)),
  pseudoRandom(L * FEATURE_COUNT, 4, 2),
];

function softmaxRows(v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(v.length);
  for (let o = 0; o < v.length; o += 3) {
    const m = Math.max(v[o], v[o + 1], v[o + 2]);
    const e = [0, 1, 2].map((c) => Math.exp(v[o + c] - m));
    for (let c = 0; c < 3; c++) out[o + c] = e[c] / (e[0] + e[1] + e[2]);
  }
  return out;
}

async function onnxRun(b: Uint8Array, x: Float32Array) {
  const count = x.length / (L * FEATURE_COUNT);
  return await runOnnx(b, { input: { data: x, dims: [count, L, FEATURE_COUNT] } });
}

function tfjsOutputs(p: Preprocessor, x: Float32Array): { logits: Float32Array; regression: Float32Array } {
  const count = x.length / (L * FEATURE_COUNT);
  return tf.tidy(() => {
    const scaled = applyScaler(p.scaler, x.slice(), p.clip);
    const [logits, regression] =
      (model.predict(tf.tensor3d(scaled, [count, L, FEATURE_COUNT])) as tf.Tensor[])
        .map((y) => y.dataSync() as Float32Array);
    return { logits, regression };
  });
}

Deno.test("ONNX Runtime's softmax(class_logits) is the blend of the network's and boosting's probabilities", async () => {
  for (const x of windows) {
    const count = x.length / (L * FEATURE_COUNT);
    const out = await onnxRun(bytes, x);
    assert.deepEqual(out.class_logits.dims, [count, 3]);
    const tfjs = tfjsOutputs(blended, x);
    const network = softmaxRows(tfjs.logits.map((v) => v / blended.temperature));
    const boosting = predictBoostedTrees(trees, lagWindows(x, L, trees.lags));
    const expected = softmaxRows(network.map((p, j) => Math.log(W * p + (1 - W) * boosting[j]) / BLEND_T));
    const d = maxAbsDiff(softmaxRows(out.class_logits.data), expected);
    console.log(`batch ${count}: max |softmax(class_logits) − blend| ${d.toExponential(2)}`);
    assert.ok(d <= 1e-5, `batch ${count}: ${d}`);
    // The regression output is the network's alone.
    const regression = tfjs.regression.map((v) => v * blended.returnScale.std + blended.returnScale.mean);
    assert.ok(maxAbsDiff(out.regression.data, regression) <= 1e-5);
    // Sanity: both sides matter (the blend is neither the network alone nor boosting alone).
    assert.ok(maxAbsDiff(expected, network) > 1e-2 && maxAbsDiff(expected, boosting) > 1e-2);
  }
});

Deno.test("checkExport passes the blended file and fails it against other trees", async () => {
  const check = await checkExport(model, blended, bytes, { boosting: trees, count: 8 });
  assert.ok(check.ok, JSON.stringify(check.maxDiff));
  console.log(`checkExport max differences: ${JSON.stringify(check.maxDiff)}`);
  const other = boostedTrees(boostingModel(gbdt), 0.5);
  const wrong = await checkExport(model, blended, bytes, { boosting: other, count: 8 });
  assert.ok(!wrong.ok, JSON.stringify(wrong.maxDiff));
  const checked = await exportCheckedOnnx(model, blended, { version: "v1_2026-12-04", boosting: trees });
  assert.deepEqual(checked.bytes, bytes);
  await assert.rejects(() => checkExport(model, blended, bytes), /records a blend, but no boosting trees/);
});

Deno.test("a blended file says so in its metadata and doc string and passes the ONNX checker", async () => {
  const m = decodeModel(bytes);
  const meta = Object.fromEntries(m.metadataProps.map((e) => [e.key, e.value]));
  assert.equal(meta.blend, "gradient_boosting:0.6");
  assert.match(
    m.graph!.docString!,
    /0\.6 × the network's calibrated probabilities \+ 0\.4 × gradient boosting's/,
  );
  // Softmax of class_logits is the blend only at the blend's temperature, which the doc string must name.
  assert.ok(m.graph!.docString!.includes(`÷ ${BLEND_T};`), m.graph!.docString!);
  assert.ok(m.opsetImport.some((o) => o.domain === ML_DOMAIN));
  // SPEC §8's three outputs; this model (lightweight_lstm) has no attention, so its attention is zeros.
  assert.deepEqual(m.graph!.output!.map((o) => o.name), ["class_logits", "regression", "attention"]);
  await assertOnnxChecks(bytes);
});

Deno.test("without a blend the file has no trees, no ai.onnx.ml and no blend metadata; the logits are the network's", async () => {
  const plain = preprocessor();
  const b = exportOnnx(model, plain, { version: "v1_2026-12-04" });
  const m = decodeModel(b);
  assert.deepEqual(m.opsetImport.map((o) => o.domain), [""]);
  assert.ok(!m.graph!.node!.some((n) => n.opType === "TreeEnsembleRegressor"));
  assert.equal(m.metadataProps.find((e) => e.key === "blend"), undefined);
  const x = windows[0];
  const expected = tfjsOutputs(plain, x).logits.map((v) => v / plain.temperature);
  assert.ok(maxAbsDiff((await onnxRun(b, x)).class_logits.data, expected) <= 1e-5);
  assert.ok((await checkExport(model, plain, b)).ok);
});

Deno.test("a blend without its trees, or trees without a blend, is refused", async () => {
  assert.throws(
    () => exportOnnx(model, blended, { version: "v1" }),
    /blends the network with gradient_boosting \(weight 0\.6\), but no boosting trees were given/,
  );
  assert.throws(
    () => exportOnnx(model, preprocessor(), { version: "v1", boosting: trees }),
    /boosting trees were given, but preprocessor\.json records no blend/,
  );
  await assert.rejects(
    () => exportCheckedOnnx(model, blended, { version: "v1" }),
    /no boosting trees were given/,
  );
  await assert.rejects(
    () => checkExport(model, preprocessor(), bytes, { boosting: trees }),
    /records no blend/,
  );
});
