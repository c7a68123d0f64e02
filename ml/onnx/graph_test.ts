import assert from "node:assert/strict";
import { decodeModel, encodeModel, GraphBuilder, IR_VERSION, isCandlecastModelHead, OPSET } from "./graph.ts";
import { add, clip, matMul, softmax } from "./ops.ts";
import { assertOnnxChecks, maxAbsDiff, runOnnx } from "../../test/onnx.ts";

function tinyModel(): Uint8Array {
  const g = new GraphBuilder("tiny");
  const x = g.input("input", "float32", ["batch", 2]);
  const y = g.scoped("head", () => {
    const w = g.floats("kernel", [1, 2, 3, 4, 5, 6], [2, 3]);
    return add(g, matMul(g, x, w), g.floats("bias", [0.5, -0.5, 0], [3]));
  });
  softmax(g, clip(g, y, -10, 10), -1, "probabilities");
  g.output("probabilities", "float32", ["batch", 3]);
  return encodeModel(
    g.toModel({ docString: "a tiny model", producerVersion: "0.0.0", metadata: { lookback: "2" } }),
  );
}

Deno.test("the written model is IR 8 / opset 17 with raw float data, named nodes, doc string and metadata", () => {
  const m = decodeModel(tinyModel());
  assert.equal(Number(m.irVersion), IR_VERSION);
  assert.deepEqual(m.opsetImport.map((o) => [o.domain, Number(o.version)]), [["", OPSET]]);
  assert.equal(m.graph?.docString, "a tiny model");
  assert.deepEqual(m.metadataProps.map((p) => [p.key, p.value]), [["lookback", "2"]]);
  const kernel = m.graph!.initializer!.find((t) => t.name === "head/kernel")!;
  assert.equal(kernel.floatData?.length ?? 0, 0);
  assert.deepEqual([...new Float32Array(Uint8Array.from(kernel.rawData!).buffer)], [1, 2, 3, 4, 5, 6]);
  const names = m.graph!.node!.map((n) => n.name);
  assert.ok(names.every((n) => typeof n === "string" && n.length > 0));
  assert.equal(new Set(names).size, names.length);
  assert.ok(names.includes("head/MatMul") && names.includes("probabilities"));
});

Deno.test("ONNX Runtime runs the written model with a dynamic batch", async () => {
  const out = await runOnnx(tinyModel(), {
    input: { data: Float32Array.of(1, 0, 0, 1, 0, 0), dims: [3, 2] },
  });
  assert.deepEqual(out.probabilities.dims, [3, 3]);
  const expected = [[1.5, 1.5, 3], [4.5, 4.5, 6], [0.5, -0.5, 0]].flatMap((z) => {
    const e = z.map(Math.exp), s = e.reduce((a, b) => a + b);
    return e.map((v) => v / s);
  });
  assert.ok(maxAbsDiff(out.probabilities.data, expected) < 1e-6);
});

Deno.test("the builder refuses dangling inputs, duplicate names and undeclared outputs", () => {
  const g = new GraphBuilder("bad");
  const x = g.input("input", "float32", [1]);
  assert.throws(() => add(g, x, "nothing"), /reads 'nothing'/);
  assert.throws(() => g.input("input", "float32", [1]), /used twice/);
  assert.throws(() => g.output("missing", "float32", [1]), /not produced/);
  assert.throws(() => g.floats("w", [1, 2, 3], [2, 2]), /3 values for shape \[2,2\]/);
});

Deno.test("the ONNX checker accepts the written model with full shape inference", async () => {
  await assertOnnxChecks(tinyModel());
});

Deno.test("a model's first 16 bytes say candlecast wrote it; other files' do not", () => {
  assert.ok(isCandlecastModelHead(tinyModel().subarray(0, 16)));
  assert.ok(!isCandlecastModelHead(new TextEncoder().encode("symbol,open_time,open,high\n")));
  assert.ok(!isCandlecastModelHead(tinyModel().subarray(0, 8)), "too short to tell");
  const foreign = encodeModel({ irVersion: IR_VERSION, producerName: "pytorch" });
  assert.ok(!isCandlecastModelHead(foreign));
});
