import assert from "node:assert/strict";
import { CLASSES, FEATURE_COUNT, FEATURE_NAMES } from "../../features/index.ts";
import { frameModel } from "./frame.ts";
import { decodeModel, encodeModel } from "./graph.ts";
import {
  assertOnnxChecks,
  linearBody,
  linearBodyWeights,
  linearReference,
  maxAbsDiff,
  pseudoRandom,
  runOnnx,
  testPreprocessor,
} from "../../test/onnx.ts";

const p = testPreprocessor();
const w = linearBodyWeights(7);
const bytes = encodeModel(
  frameModel(linearBody(w, p.lookback), {
    preprocessor: p,
    version: "v1_2024-01-01",
    producerVersion: "test",
  }),
);

const dims = (
  v: {
    type?: {
      tensorType?:
        | { shape?: { dim?: { dimValue?: unknown; dimParam?: string | null }[] | null } | null }
        | null;
    } | null;
  },
) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));

Deno.test("the frame declares SPEC §8's input, outputs, metadata and a doc string", () => {
  const m = decodeModel(bytes);
  const graph = m.graph!;
  assert.deepEqual(graph.input!.map((i) => [i.name, dims(i)]), [["input", [
    "batch",
    p.lookback,
    FEATURE_COUNT,
  ]]]);
  assert.deepEqual(graph.output!.map((o) => [o.name, dims(o)]), [
    ["class_logits", ["batch", 3]],
    ["regression", ["batch", 1]],
    ["attention", ["batch", p.lookback]],
  ]);
  const meta = Object.fromEntries(m.metadataProps.map((e) => [e.key, e.value]));
  assert.equal(meta.feature_names, FEATURE_NAMES.join(","));
  assert.equal(meta.classes, CLASSES.join(","));
  assert.equal(meta.lookback, String(p.lookback));
  assert.equal(meta.horizon, String(p.horizon));
  assert.equal(meta.version, "v1_2024-01-01");
  // serve's decision rule and priors travel with the file, so an in-process client names the same class.
  assert.equal(meta.decision_rule, "argmax");
  assert.equal(meta.class_priors, undefined);
  assert.equal(meta.interval, undefined, "left out when the version recorded none");
  const prior = testPreprocessor({ decisionRule: "prior", classPriors: [0.25, 0.5, 0.25] });
  const withRule = decodeModel(
    encodeModel(
      frameModel(linearBody(w, prior.lookback), {
        preprocessor: prior,
        version: "v2",
        producerVersion: "t",
        interval: "30m",
        gridOffsetMs: 900_000,
      }),
    ),
  );
  const ruleMeta = Object.fromEntries(withRule.metadataProps.map((e) => [e.key, e.value]));
  assert.deepEqual([ruleMeta.decision_rule, ruleMeta.class_priors], ["prior", "0.25,0.5,0.25"]);
  // The candles lookback and horizon count: a client without /model/info to ask reads them here.
  assert.equal(ruleMeta.interval, "30m");
  // And the grid they open on, where not the UTC one (a review: an in-process client never learnt it).
  assert.equal(ruleMeta.grid_offset_ms, "900000");
  assert.equal(meta.grid_offset_ms, undefined, "left out on the UTC grid");
  assert.match(graph.docString!, /UNscaled/);
  // The scaler comes first: the input feeds only the scaler's subtraction.
  const readers = graph.node!.filter((n) => n.input!.includes("input"));
  assert.deepEqual(readers.map((n) => [n.opType, n.name]), [["Sub", "scaler/Sub"]]);
});

Deno.test("scaler, clip, temperature and return scale in the graph equal the TS pipeline at batch 1 and 7", async () => {
  for (const count of [1, 7]) {
    // Values up to ±8 against stds near 1 push some features past ±clip, so the clip is exercised.
    const x = pseudoRandom(count * p.lookback * FEATURE_COUNT, count, 8);
    const out = await runOnnx(bytes, { input: { data: x, dims: [count, p.lookback, FEATURE_COUNT] } });
    const ref = linearReference(w, p, x, count);
    assert.deepEqual(out.class_logits.dims, [count, 3]);
    assert.deepEqual(out.regression.dims, [count, 1]);
    assert.deepEqual(out.attention.dims, [count, p.lookback]);
    assert.ok(maxAbsDiff(out.class_logits.data, ref.logits) < 1e-5);
    assert.ok(maxAbsDiff(out.regression.data, ref.regression) < 1e-6);
    assert.ok(maxAbsDiff(out.attention.data, ref.attention) < 1e-6);
  }
});

Deno.test("a model without attention still has SPEC §8's attention output: zeros [batch, lookback]", async () => {
  const plain = encodeModel(
    frameModel(linearBody(w, p.lookback, false), { preprocessor: p, version: "v1", producerVersion: "test" }),
  );
  const m = decodeModel(plain);
  assert.deepEqual(m.graph!.output!.map((o) => [o.name, dims(o)]), [
    ["class_logits", ["batch", 3]],
    ["regression", ["batch", 1]],
    ["attention", ["batch", p.lookback]],
  ]);
  assert.match(m.graph!.docString!, /all zeros: this model has no attention/);
  for (const count of [1, 7]) {
    const x = pseudoRandom(count * p.lookback * FEATURE_COUNT, count, 8);
    const out = await runOnnx(plain, { input: { data: x, dims: [count, p.lookback, FEATURE_COUNT] } });
    assert.deepEqual(out.attention.dims, [count, p.lookback]);
    assert.ok(out.attention.data.every((v: number) => v === 0));
  }
  await assertOnnxChecks(plain);
});

Deno.test("the framed model passes the ONNX checker with full shape inference", async () => {
  await assertOnnxChecks(bytes);
});
