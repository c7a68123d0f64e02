/** The replaced wasm kernels (ml/runtime/wasm_kernels.ts) give the cpu backend's results. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend.ts";

type Op = (xs: tf.Tensor[]) => tf.Tensor;

/** Runs `op` on wasm and on cpu with the same inputs; returns the largest absolute difference. */
async function wasmVsCpu(shapes: number[][], op: Op): Promise<number> {
  await initBackend("wasm");
  const inputs = shapes.map((s, i) => tf.randomNormal(s, 0, 1, "float32", 11 + i));
  const values = await Promise.all(inputs.map((t) => t.data()));
  const onWasm = await op(inputs).data();
  tf.dispose(inputs);
  await initBackend("cpu");
  const cpuInputs = shapes.map((s, i) => tf.tensor(values[i], s));
  const onCpu = await op(cpuInputs).data();
  tf.dispose(cpuInputs);
  await initBackend("wasm");
  assert.equal(onWasm.length, onCpu.length);
  let diff = 0;
  for (let i = 0; i < onCpu.length; i++) diff = Math.max(diff, Math.abs(onCpu[i] - onWasm[i]));
  return diff;
}

Deno.test("wasm Slice: contiguous and strided boxes, ranks 1–4", async () => {
  const cases: [number[], number[], number[]][] = [
    [[7], [2], [4]],
    [[5, 6], [1, 2], [3, 3]],
    [[50, 2, 8, 4], [7, 1, 0, 0], [1, 1, 8, 4]],
    [[4, 2, 8, 3], [0, 0, 2, 0], [4, 2, 2, 3]],
    [[3, 4, 5], [1, 0, 1], [2, 4, 3]],
  ];
  for (const [shape, begin, size] of cases) {
    assert.equal(
      await wasmVsCpu([shape], ([x]) => tf.slice(x, begin, size)),
      0,
      `slice ${shape} ${begin} ${size}`,
    );
  }
});

Deno.test("wasm Reverse: any set of axes", async () => {
  for (
    const [shape, axes] of [[[5, 3, 4], [0]], [[5, 3, 4], [2]], [[5, 3, 4], [0, 2]], [[2, 3, 4, 5], [1, 2]]]
  ) {
    assert.equal(await wasmVsCpu([shape], ([x]) => tf.reverse(x, axes)), 0, `reverse ${shape} ${axes}`);
  }
});

Deno.test("wasm BatchMatMul: transposes, batches and broadcast batches", async () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[6, 5], [5, 4], false, false],
    [[5, 6], [5, 4], true, false],
    [[6, 5], [4, 5], false, true],
    [[3, 2, 9, 4], [3, 2, 4, 9], false, false],
    [[3, 2, 9, 4], [3, 2, 9, 4], false, true],
    [[3, 9, 4], [3, 9, 5], true, false],
    [[2, 8, 16], [1, 16, 8], false, false],
    [[1, 8, 16], [3, 16, 8], false, false],
    [[300, 6], [300, 10], true, false], // a weight gradient: computed as (bᵀ·a)ᵀ
  ];
  for (const [sa, sb, ta, tb] of cases) {
    const diff = await wasmVsCpu([sa, sb], ([a, b]) => tf.matMul(a, b, ta, tb));
    assert.ok(diff < 1e-4, `matMul ${sa} ${sb} ${ta} ${tb}: ${diff}`);
  }
});
