import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { type AttentionWeights, dense, type DenseWeights, layerNormBlock, selfAttention } from "./blocks.ts";
import { encodeModel, GraphBuilder } from "./graph.ts";
import { identity } from "./ops.ts";
import { attentionReference, denseReference, layerNormReference } from "./reference_test_support.ts";
import { maxAbsDiff, pseudoRandom, runOnnx } from "../../test/onnx.ts";

const L = 7, D = 8;

function model(
  g: GraphBuilder,
  outputs: Record<string, { value: string; dims: (number | string)[] }>,
): Uint8Array {
  for (const [name, o] of Object.entries(outputs)) {
    identity(g, o.value, name);
    g.output(name, "float32", o.dims);
  }
  return encodeModel(g.toModel({ docString: "test", producerVersion: "test", metadata: {} }));
}

const denseWeights = (seed: number, inSize: number, outSize: number): DenseWeights => ({
  kernel: pseudoRandom(inSize * outSize, seed, 0.5),
  bias: pseudoRandom(outSize, seed + 1, 0.2),
});

Deno.test("Dense + LayerNorm on [batch, L, in] equal the plain-TS reference and stock tfjs layerNormalization", async () => {
  const batch = 3, IN = 5;
  const w = denseWeights(1, IN, D);
  const gamma = pseudoRandom(D, 3, 1), beta = pseudoRandom(D, 4, 0.3);
  const g = new GraphBuilder("dense_ln");
  const x = g.input("input", "float32", ["batch", L, IN]);
  const y = dense(g, x, w, IN, D);
  const n = layerNormBlock(g, y, { gamma, beta, epsilon: 1e-3 });
  const bytes = model(g, { y: { value: y, dims: ["batch", L, D] }, n: { value: n, dims: ["batch", L, D] } });
  const input = pseudoRandom(batch * L * IN, 2, 3);
  const out = await runOnnx(bytes, { input: { data: input, dims: [batch, L, IN] } });
  const yRef = denseReference(input, batch * L, IN, w.kernel, w.bias, D);
  assert.ok(maxAbsDiff(out.y.data, yRef) < 1e-5);
  assert.ok(maxAbsDiff(out.n.data, layerNormReference(yRef, batch * L, D, gamma, beta, 1e-3)) < 1e-5);

  const layer = tf.layers.layerNormalization({ axis: -1, epsilon: 1e-3, inputShape: [L, D] });
  const t = tf.tensor3d(out.y.data, [batch, L, D]);
  layer.apply(t);
  layer.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta)]);
  const stock = tf.tidy(() => (layer.apply(t) as tf.Tensor).dataSync());
  assert.ok(maxAbsDiff(out.n.data, stock) < 1e-5);
});

Deno.test("multi-head self-attention keeps the batch dynamic and equals the plain-TS reference", async () => {
  const heads = 2;
  const w: AttentionWeights = {
    query: denseWeights(10, D, D),
    key: denseWeights(20, D, D),
    value: denseWeights(30, D, D),
    output: denseWeights(40, D, D),
  };
  const g = new GraphBuilder("mha");
  const x = g.input("input", "float32", ["batch", L, D]);
  const mha = selfAttention(g, x, w, { heads, dModel: D, inputSize: D, steps: L });
  const bytes = model(g, {
    out: { value: mha.output, dims: ["batch", L, D] },
    weights: { value: mha.weights, dims: [1, "batch", heads, L, L] },
  });
  for (const batch of [1, 5]) {
    const input = pseudoRandom(batch * L * D, batch, 1.5);
    const out = await runOnnx(bytes, { input: { data: input, dims: [batch, L, D] } });
    const proj = (d: DenseWeights) => denseReference(input, batch * L, D, d.kernel, d.bias, D);
    const ref = attentionReference(proj(w.query), proj(w.key), proj(w.value), batch, L, L, D, heads);
    const outRef = denseReference(ref.context, batch * L, D, w.output.kernel, w.output.bias, D);
    assert.deepEqual(out.out.dims, [batch, L, D]);
    assert.ok(maxAbsDiff(out.out.data, outRef) < 1e-5);
    assert.ok(maxAbsDiff(out.weights.data, ref.weights) < 1e-6);
  }
});
