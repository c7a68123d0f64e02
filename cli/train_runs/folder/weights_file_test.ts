import assert from "node:assert/strict";
import { decodeWeights, encodeWeights, WeightsFileError } from "./weights_file.ts";

const weights = {
  m1_dense: [
    { shape: [2, 3], values: Float32Array.from([1, -2, 3.5, 1e-30, -0, 7]) },
    { shape: [3], values: Float32Array.from([0.1, 0.2, 0.3]) },
  ],
  m1_norm: [{ shape: [1], values: Float32Array.from([Math.PI]) }],
};

Deno.test("member weights round-trip bit for bit through one file", () => {
  const back = decodeWeights(encodeWeights(weights), "member_1.weights");
  assert.deepEqual(Object.keys(back), Object.keys(weights));
  for (const [name, ws] of Object.entries(weights)) {
    assert.deepEqual(back[name].map((w) => w.shape), ws.map((w) => w.shape));
    assert.deepEqual(back[name].map((w) => [...w.values]), ws.map((w) => [...w.values]));
  }
});

Deno.test("a cut or foreign member weights file is refused naming it", () => {
  const bytes = encodeWeights(weights);
  for (const bad of [bytes.subarray(0, bytes.length - 4), bytes.subarray(0, 6), new Uint8Array(20)]) {
    assert.throws(
      () => decodeWeights(bad, "x/member_2.weights"),
      // A WeightsFileError, which the run folder reports as the run's damage (it was a plain Error, "a bug").
      (error: unknown) =>
        error instanceof WeightsFileError &&
        /x\/member_2\.weights is not a member weights file/.test(error.message),
    );
  }
});

Deno.test("a member weights file holding NaN or infinite values is refused as damaged, naming the layer", () => {
  // Before: decoded as it was; a resume from NaN weights failed with "the training loss became NaN at epoch 1"
  // and the hint to lower --learning-rate, though the run had resumed at epoch 17 from a damaged file.
  for (const bad of [NaN, Infinity, -Infinity]) {
    const values = Float32Array.from([0.1, bad, 0.3]);
    assert.throws(
      () =>
        decodeWeights(
          encodeWeights({ ...weights, m1_norm: [{ shape: [3], values }] }),
          "x/member_1.weights",
        ),
      (error: unknown) =>
        error instanceof WeightsFileError &&
        error.why === "layer m1_norm holds values that are NaN or infinite" &&
        /^x\/member_1\.weights is not a member weights file \(/.test(error.message),
    );
  }
});
