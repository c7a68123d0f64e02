import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { GraphBuilder } from "./graph.ts";
import { encodeModel } from "./graph.ts";
import { lstmLayer, type LstmWeights, ONNX_FROM_TFJS, onnxLstmTensors } from "./lstm.ts";
import { identity } from "./ops.ts";
import { lstmReference } from "./reference_test_support.ts";
import { maxAbsDiff, pseudoRandom, runOnnx } from "../../test/onnx.ts";

const IN = 5, H = 4, SEQ = 6;

function randomWeights(seed: number, inputSize = IN): LstmWeights {
  return {
    kernel: pseudoRandom(inputSize * 4 * H, seed, 0.6),
    recurrentKernel: pseudoRandom(H * 4 * H, seed + 1, 0.6),
    bias: pseudoRandom(4 * H, seed + 2, 0.5),
  };
}

/** A graph input [batch, SEQ, IN] → (bi)LSTM layers → [batch, SEQ, dirs·H], batch-major like tfjs. */
function lstmModel(layers: readonly LstmWeights[][], order = ONNX_FROM_TFJS): Uint8Array {
  const g = new GraphBuilder("lstm_test");
  const x = g.input("input", "float32", ["batch", SEQ, IN]);
  let seq = x;
  let width = IN;
  layers.forEach((directions, i) => {
    const spec = { directions, inputSize: width, hidden: H, order, returnSequences: true };
    seq = g.scoped(`lstm${i}`, () => lstmLayer(g, seq, spec));
    width = directions.length * H;
  });
  identity(g, seq, "output");
  g.output("output", "float32", ["batch", SEQ, width]);
  const lastSpec = { directions: layers[0], inputSize: IN, hidden: H, order, returnSequences: false };
  identity(g, g.scoped("last", () => lstmLayer(g, x, lastSpec)), "last");
  g.output("last", "float32", ["batch", layers[0].length * H]);
  return encodeModel(g.toModel({ docString: "test", producerVersion: "test", metadata: {} }));
}

function concatLast(a: Float64Array, b: Float64Array, rows: number, width: number): Float64Array {
  const out = new Float64Array(rows * 2 * width);
  for (let r = 0; r < rows; r++) {
    out.set(a.subarray(r * width, (r + 1) * width), r * 2 * width);
    out.set(b.subarray(r * width, (r + 1) * width), r * 2 * width + width);
  }
  return out;
}

Deno.test("onnxLstmTensors re-orders tfjs gates i,f,c,o into ONNX i,o,f,c and transposes to rows", () => {
  // kernel [1, 4H] with H = 1: the values name their tfjs gate.
  const t = onnxLstmTensors(
    [{
      kernel: Float32Array.of(10, 20, 30, 40),
      recurrentKernel: Float32Array.of(1, 2, 3, 4),
      bias: Float32Array.of(5, 6, 7, 8),
    }],
    1,
    1,
  );
  assert.deepEqual([...t.w], [10, 40, 20, 30]);
  assert.deepEqual([...t.r], [1, 4, 2, 3]);
  assert.deepEqual([...t.b], [5, 8, 6, 7, 0, 0, 0, 0]);
});

Deno.test("ONNX LSTM (forward, 2 layers) equals the plain-TS Keras LSTM", async () => {
  const l0 = randomWeights(1), l1 = randomWeights(4, H);
  const batch = 3;
  const x = pseudoRandom(batch * SEQ * IN, 9);
  const onnx = await runOnnx(lstmModel([[l0], [l1]]), { input: { data: x, dims: [batch, SEQ, IN] } });
  const h0 = Float32Array.from(lstmReference(x, batch, SEQ, IN, H, l0));
  const expected = lstmReference(h0, batch, SEQ, H, H, l1);
  assert.deepEqual(onnx.output.dims, [batch, SEQ, H]);
  assert.ok(maxAbsDiff(onnx.output.data, expected) < 1e-5);
});

Deno.test("ONNX bidirectional LSTM equals the plain-TS reference, [forward | backward] in input time", async () => {
  const fwd = randomWeights(11), bwd = randomWeights(21);
  const batch = 2;
  const x = pseudoRandom(batch * SEQ * IN, 3);
  const onnx = await runOnnx(lstmModel([[fwd, bwd]]), { input: { data: x, dims: [batch, SEQ, IN] } });
  const f = lstmReference(x, batch, SEQ, IN, H, fwd), r = lstmReference(x, batch, SEQ, IN, H, bwd, true);
  assert.ok(maxAbsDiff(onnx.output.data, concatLast(f, r, batch * SEQ, H)) < 1e-5);
  // The final state: forward at the last step, backward at the first (where its run ends).
  const last = new Float64Array(batch * 2 * H);
  for (let b = 0; b < batch; b++) {
    last.set(f.subarray(((b * SEQ) + SEQ - 1) * H, ((b * SEQ) + SEQ) * H), b * 2 * H);
    last.set(r.subarray(b * SEQ * H, (b * SEQ + 1) * H), b * 2 * H + H);
  }
  assert.deepEqual(onnx.last.dims, [batch, 2 * H]);
  assert.ok(maxAbsDiff(onnx.last.data, last) < 1e-5);
});

Deno.test("ONNX bidirectional LSTM equals stock tf.layers.bidirectional(lstm) with sigmoid gates", async () => {
  const batch = 4;
  const x = pseudoRandom(batch * SEQ * IN, 5, 2);
  const layer = tf.layers.bidirectional({
    layer: tf.layers.lstm({ units: H, returnSequences: true, recurrentActivation: "sigmoid" }) as tf.RNN,
    mergeMode: "concat",
    inputShape: [SEQ, IN],
  });
  const input = tf.tensor3d(x, [batch, SEQ, IN]);
  const expected = tf.tidy(() => (layer.apply(input) as tf.Tensor).dataSync());
  // Weights come in Keras order: forward kernel, recurrent, bias, then backward.
  const v = layer.getWeights().map((t) => t.dataSync() as Float32Array);
  const onnx = await runOnnx(
    lstmModel([[
      { kernel: v[0], recurrentKernel: v[1], bias: v[2] },
      { kernel: v[3], recurrentKernel: v[4], bias: v[5] },
    ]]),
    { input: { data: x, dims: [batch, SEQ, IN] } },
  );
  input.dispose();
  assert.ok(maxAbsDiff(onnx.output.data, expected) < 1e-5);
});

Deno.test("a wrong gate order (tfjs order kept) is caught by the comparison", async () => {
  const l0 = randomWeights(31);
  const x = pseudoRandom(2 * SEQ * IN, 7);
  const wrong = await runOnnx(lstmModel([[l0]], [0, 1, 2, 3]), { input: { data: x, dims: [2, SEQ, IN] } });
  const expected = lstmReference(x, 2, SEQ, IN, H, l0);
  assert.ok(maxAbsDiff(wrong.output.data, expected) > 1e-2);
});
