/** The replaced wasm kernels (ml/runtime/wasm_kernels.ts) give the cpu backend's results. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend.ts";
import { useWasmKernelFixes } from "./wasm_kernels.ts";
import { fmaInUse, fmaSupported, useFmaKernels } from "./simd/index.ts";

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
    // Weight gradients aᵀ·b (the SIMD kernel): widths on and off its 4 × 8 tile, one and many 128-row
    // chunks, batches equal and broadcast.
    [[300, 6], [300, 10], true, false],
    [[64, 4], [64, 8], true, false],
    [[1000, 35], [1000, 64], true, false],
    [[257, 64], [257, 3], true, false],
    [[2, 130, 32], [2, 130, 128], true, false],
    [[130, 32], [3, 130, 9], true, false],
    [[1, 130, 32], [3, 130, 9], true, false],
    [[3, 130, 32], [1, 130, 9], true, false],
    // Plain a·b and a·bᵀ on the same kernel (M % 4 = 0, N % 8 = 0): one and several 128-column chunks, K not a
    // multiple of 4 (the packing's scalar tail), batches equal and broadcast.
    [[8, 5], [5, 16], false, false],
    [[300, 35], [35, 64], false, false],
    [[12, 258], [258, 8], false, false],
    [[12, 70], [16, 70], false, true],
    [[20, 257], [24, 257], false, true],
    [[2, 8, 130], [2, 130, 8], false, false],
    [[3, 8, 16], [16, 8], false, false],
    [[8, 16], [3, 16, 8], false, false],
    // Widths off the tile, padded within a quarter (attention's batched 50 × 16 products), and one not.
    [[2, 50, 16], [2, 50, 16], false, true],
    [[2, 50, 50], [2, 50, 16], false, false],
    [[60, 35], [35, 36], false, false],
    [[60, 35], [36, 35], false, true],
    [[2, 50, 16], [2, 16, 3], false, false],
  ];
  // Both builds of the aᵀ·b kernel: the FMA twin (the default where the engine has relaxed SIMD) and the plain.
  for (const fma of [true, false]) {
    useFmaKernels(fma);
    for (const [sa, sb, ta, tb] of cases) {
      const diff = await wasmVsCpu([sa, sb], ([a, b]) => tf.matMul(a, b, ta, tb));
      assert.ok(diff < 1e-4, `matMul ${sa} ${sb} ${ta} ${tb} (fma ${fma}): ${diff}`);
    }
  }
  useFmaKernels(true);
});

Deno.test("wasm _FusedMatMul: a dense layer's x·W + b on the SIMD kernel, other forms on tfjs's own", async () => {
  const cases: [number[], number[], number[] | null, "linear" | "relu"][] = [
    [[300, 35], [35, 64], [64], "linear"], // kernel, bias
    [[12, 258], [258, 16], null, "linear"], // kernel, no bias, several chunks
    [[12, 70], [70, 16], [16], "relu"], // activation: tfjs's own
    [[60, 35], [35, 36], [36], "linear"], // width 36 padded to 40, the bias too
    [[10, 7], [7, 5], [5], "linear"], // padding would waste more than a quarter: tfjs's own
  ];
  for (const fma of [true, false]) {
    useFmaKernels(fma);
    for (const [sa, sb, sbias, activation] of cases) {
      const shapes = sbias ? [sa, sb, sbias] : [sa, sb];
      const diff = await wasmVsCpu(
        shapes,
        ([a, b, bias]) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation }),
      );
      assert.ok(diff < 1e-4, `fused matMul ${sa} ${sb} ${sbias} ${activation} (fma ${fma}): ${diff}`);
    }
  }
  useFmaKernels(true);
});

Deno.test("the pinned Deno runs the FMA twin of the aᵀ·b kernel (relaxed SIMD), so training uses it", async () => {
  await initBackend("wasm");
  assert.ok(fmaSupported, "relaxed SIMD refused: the products fall back to the plain kernel (slower)");
  assert.ok(fmaInUse());
});

Deno.test("wasm Sum: leading axes (bias gradients), with and without keepDims; other axes unchanged", async () => {
  const cases: [number[], number[], boolean][] = [
    [[1, 300, 12], [0, 1], false],
    [[300, 7], [0], false],
    [[6, 50, 4], [0, 1], true],
    [[6, 5, 4], [1], false], // not leading: tfjs-wasm's own kernel
    [[6, 5, 4], [0, 1, 2], false],
  ];
  for (const [shape, axes, keepDims] of cases) {
    const diff = await wasmVsCpu([shape], ([x]) => tf.sum(x, axes, keepDims));
    assert.ok(diff < 1e-4, `sum ${shape} over ${axes}: ${diff}`);
  }
});

Deno.test("wasm Sum over leading axes: float64 sums rounded once, exactly (the SIMD kernel and the loop)", async () => {
  await initBackend("wasm");
  for (const [rows, cols] of [[1000, 256], [3, 4], [129, 36], [50, 7]]) {
    const values = Float32Array.from(
      { length: rows * cols },
      (_, i) => Math.sin(i * 12.9898) * 1e3 ** (i % 3),
    );
    const expected = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expected[c] += values[r * cols + c];
    const x = tf.tensor2d(values, [rows, cols]);
    const sum = tf.sum(x, 0);
    assert.deepEqual(
      Array.from(await sum.data()),
      Array.from(Float32Array.from(expected)),
      `${rows} × ${cols}`,
    );
    tf.dispose([x, sum]);
  }
});

Deno.test("wasm Identity: a clone shares the buffer, and outlives the original", async () => {
  assert.equal(await wasmVsCpu([[4, 3]], ([x]) => tf.clone(x)), 0);
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const y = tf.clone(x);
  x.dispose();
  assert.deepEqual(Array.from(await y.data()), [1, 2, 3, 4]);
  const buffers = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  const before = buffers();
  y.dispose();
  assert.equal(buffers(), before - 1);
});

Deno.test("wasm Cast: to the same dtype shares the buffer; real conversions still convert", async () => {
  await initBackend("wasm");
  const buffers = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  const x = tf.tensor2d([[1.5, -2.5], [3.25, 4]]);
  const before = buffers();
  const same = tf.cast(x, "float32");
  assert.equal(buffers(), before, "a same-dtype cast allocates nothing");
  x.dispose();
  assert.deepEqual(Array.from(await same.data()), [1.5, -2.5, 3.25, 4]);
  const ints = tf.cast(same, "int32");
  assert.equal(ints.dtype, "int32");
  assert.deepEqual(Array.from(await ints.data()), [1, -2, 3, 4]);
  tf.dispose([same, ints]);
});

Deno.test("a training step of both models: same loss and gradients with the replaced kernels as without", async () => {
  await initBackend("wasm");
  const { buildModel, defaultModelConfig } = await import("../models/index.ts");
  const { forward, lossTensors } = await import("../train/index.ts");
  const [batch, lookback] = [24, 12]; // batch·time ≥ 256: the weight-gradient matmul path too
  for (const type of ["transformer_lstm", "lightweight_lstm"] as const) {
    const config = {
      ...defaultModelConfig(type, lookback),
      // Built without a training scaler: the channels (tested in input_channels_test.ts) need one.
      volatilityChannels: false,
      dModel: 16,
      heads: 2,
      ffnDim: 32,
      encoderLayers: 1,
      lstmHidden: 8,
    };
    const model = buildModel(config, 7);
    const x = tf.randomNormal([batch, lookback, config.features], 0, 1, "float32", 3);
    const labels = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 3), "int32");
    const target = tf.randomNormal([batch], 0, 1, "float32", 4) as tf.Tensor1D;
    const options = {
      classWeights: [1, 2, 0.5] as [number, number, number],
      labelSmoothing: 0,
      regressionWeight: 1,
    };
    const step = (fixes: boolean) => {
      useWasmKernelFixes(fixes);
      const { value, grads } = tf.variableGrads(() => {
        const out = forward(model, x, false); // no dropout: both runs must see the same network
        return lossTensors(out.logits, out.regression, labels, target, options).total;
      });
      return { loss: value.dataSync()[0], grads: Object.values(grads).map((g) => g.dataSync()) };
    };
    const [fast, stock] = [step(true), step(false)];
    useWasmKernelFixes(true);
    assert.ok(Math.abs(fast.loss - stock.loss) < 1e-6, `${type} loss ${fast.loss} vs ${stock.loss}`);
    fast.grads.forEach((g, i) => {
      let diff = 0, scale = 0;
      for (let j = 0; j < g.length; j++) {
        diff = Math.max(diff, Math.abs(g[j] - stock.grads[i][j]));
        scale = Math.max(scale, Math.abs(stock.grads[i][j]));
      }
      assert.ok(
        diff <= 1e-5 * Math.max(scale, 1),
        `${type} gradient ${i}: differs by ${diff} (scale ${scale})`,
      );
    });
    model.dispose();
    tf.dispose([x, labels, target]);
  }
});

Deno.test("wasm Transpose: 2-D-at-heart permutations by the SIMD kernel, kept trailing axes as blocks, the rest by tfjs's own", async () => {
  const cases: [number[], number[]][] = [
    [[64, 5, 2, 16], [1, 2, 3, 0]], // [B, T, D, 4H] → [T, D, 4H, B]
    [[5, 2, 16, 64], [3, 0, 1, 2]], // and back
    [[3, 40, 36], [0, 2, 1]], // batched last-two
    [[100, 68], [1, 0]], // 2-D, rows in blocks of 16 with a remainder
    [[50, 2, 8, 16], [1, 0, 2, 3]], // trailing axes kept: block copies
    [[3, 4, 5, 64], [2, 0, 1, 3]],
    [[6, 50, 4, 16], [0, 2, 1, 3]], // neither (blocks of 16): stock kernel
    [[30, 34], [1, 0]], // widths off the 4 × 4 block: stock kernel
    [[50, 1, 64, 32], [1, 0, 3, 2]], // [T, 1, 4H, B] → [1, T, B, 4H]: unit axis dropped, one batched call
    [[10, 2, 16, 16], [1, 0, 3, 2]], // [T, D, 4H, B] → [D, T, B, 4H]: one 2-D transpose per block
  ];
  for (const [shape, perm] of cases) {
    assert.equal(await wasmVsCpu([shape], ([x]) => tf.transpose(x, perm)), 0, `transpose ${shape} ${perm}`);
  }
});
