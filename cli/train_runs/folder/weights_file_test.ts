import assert from "node:assert/strict";
import { decodeWeights, encodeWeights } from "./weights_file.ts";

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
      /x\/member_2\.weights is not a member weights file/,
    );
  }
});
