/** FastLSTM computes exactly what tfjs's own LSTM (sigmoid gates) computes, forwards and backwards. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend.ts";
import { useFmaKernels } from "../runtime/simd/index.ts";
import { FastLSTM, lstmRecurrence } from "./index.ts";

await initBackend("wasm");

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function variables(layer: tf.layers.Layer): tf.Variable[] {
  return layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
}

for (const bidirectional of [false, true]) {
  for (const returnSequences of [true, false]) {
    Deno.test(`FastLSTM = tf.layers.lstm (bidirectional ${bidirectional}, returnSequences ${returnSequences})`, () => {
      const x = tf.randomNormal([3, 7, 5], 0, 1, "float32", 1);
      const fast = new FastLSTM({ units: 4, bidirectional, returnSequences, seed: 3 });
      const cell = tf.layers.lstm({ units: 4, returnSequences, recurrentActivation: "sigmoid" });
      const stock = bidirectional
        ? tf.layers.bidirectional({ layer: cell as tf.RNN, mergeMode: "concat" })
        : cell;
      fast.apply(x);
      stock.apply(x);
      stock.setWeights(fast.getWeights()); // same names, shapes and gate order (i, f, c, o)
      const probe = tf.randomNormal(fast.computeOutputShape(x.shape) as number[], 0, 1, "float32", 5);
      const loss = (layer: tf.layers.Layer) => (input: tf.Tensor) =>
        tf.sum(tf.mul(layer.apply(input) as tf.Tensor, probe)) as tf.Scalar;

      assert.ok(maxDiff(fast.apply(x) as tf.Tensor, stock.apply(x) as tf.Tensor) < 1e-6, "outputs");
      assert.ok(maxDiff(tf.grad(loss(fast))(x), tf.grad(loss(stock))(x)) < 1e-6, "input gradient");
      const fastGrads = tf.variableGrads(() => loss(fast)(x), variables(fast)).grads;
      const stockGrads = tf.variableGrads(() => loss(stock)(x), variables(stock)).grads;
      variables(stock).forEach((v, i) => {
        const mine = fastGrads[variables(fast)[i].name];
        assert.ok(maxDiff(mine, stockGrads[v.name]) < 1e-5, `gradient of ${fast.weights[i].originalName}`);
      });
    });
  }
}

Deno.test("FastLSTM: the same seed gives the same weights, with the forget-gate bias at 1", () => {
  const build = (seed: number) => {
    const layer = new FastLSTM({ units: 3, seed });
    layer.apply(tf.zeros([1, 2, 4]));
    return layer.getWeights();
  };
  const [a, b, c] = [build(1), build(1), build(2)];
  a.forEach((w, i) => assert.equal(maxDiff(w, b[i]), 0));
  assert.ok(maxDiff(a[0], c[0]) > 0);
  assert.deepEqual(Array.from(a[2].dataSync()), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
});

Deno.test("FastLSTM: training steps leave no tensors or wasm buffers behind", () => {
  const layer = new FastLSTM({ units: 4, bidirectional: true, seed: 1 });
  const x = tf.randomNormal([2, 6, 3]);
  layer.apply(x);
  const step = () =>
    tf.tidy(() => tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar).value);
  step().dispose();
  const buffers = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  const [tensors, before] = [tf.memory().numTensors, buffers()];
  for (let i = 0; i < 3; i++) step().dispose();
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(buffers(), before);
});

Deno.test("the fused wasm step kernels (FMA twin and plain) compute what the per-op loops compute, at training sizes and saturated", () => {
  const cases: [number, number, number, number, number][] = [
    // [steps, directions, units, batch, input scale]
    [50, 2, 32, 32, 1],
    [50, 1, 64, 16, 1],
    [9, 2, 3, 4, 1],
    [7, 2, 8, 4, 40], // pre-activations far past where σ saturates (the exp's clamps)
    [5, 1, 3, 3, 1], // H·B = 9, not whole SIMD vectors: the per-op path runs either way
  ];
  for (
    const [[steps, dirs, units, batch, scale], fma] of cases.flatMap((c) => [[c, true], [c, false]] as const)
  ) {
    useFmaKernels(fma);
    const xs = tf.mul(
      tf.randomNormal([steps, dirs, 4 * units, batch], 0, 1, "float32", 11),
      scale,
    ) as tf.Tensor4D;
    const us = tf.randomNormal([dirs, units, 4 * units], 0, 0.3, "float32", 12) as tf.Tensor3D;
    const probe = tf.randomNormal([steps, dirs, units, batch], 0, 1, "float32", 13);
    const run = (fused: boolean) =>
      tf.grads((x: tf.Tensor, u: tf.Tensor) =>
        tf.sum(tf.mul(lstmRecurrence(x as tf.Tensor4D, u as tf.Tensor3D, { fused }), probe))
      )([xs, us]);
    const outputs = [true, false].map((fused) => lstmRecurrence(xs, us, { fused }));
    const what = `[${steps}, ${dirs}, ${units}, ${batch}] ×${scale} (fma ${fma})`;
    // Measured: outputs differ by at most 3.3e-7 (the kernel's own exp against tfjs's sigmoid).
    assert.ok(maxDiff(outputs[0], outputs[1]) < 1e-6, `outputs ${what}: ${maxDiff(outputs[0], outputs[1])}`);
    const [fast, plain] = [run(true), run(false)];
    assert.ok(maxDiff(fast[0], plain[0]) < 1e-5, `input gradient ${what}: ${maxDiff(fast[0], plain[0])}`);
    const relative = maxDiff(fast[1], plain[1]) / Math.max(1, tf.max(tf.abs(plain[1])).dataSync()[0]);
    assert.ok(relative < 1e-5, `recurrent gradient ${what}: ${relative}`);
    tf.dispose([xs, us, probe, ...outputs, ...fast, ...plain]);
  }
  useFmaKernels(true);
});

Deno.test("FastLSTM inputIsData: the same output and weight gradients, without the input-gradient product", async () => {
  const [batch, steps, features, units] = [4, 6, 5, 4];
  const x = tf.randomNormal([batch, steps, features], 0, 1, "float32", 21);
  const layers = [false, true].map((inputIsData) => new FastLSTM({ units, seed: 3, inputIsData }));
  layers.forEach((layer) => layer.apply(x));
  const probe = tf.randomNormal([batch, steps, units], 0, 1, "float32", 22);
  const loss = (layer: tf.layers.Layer) => () =>
    tf.sum(tf.mul(layer.apply(x) as tf.Tensor, probe)) as tf.Scalar;
  const [plain, onData] = layers;
  assert.equal(maxDiff(plain.apply(x) as tf.Tensor, onData.apply(x) as tf.Tensor), 0, "outputs");
  const grads = layers.map((layer) => tf.variableGrads(loss(layer), variables(layer)).grads);
  variables(plain).forEach((v, i) => {
    const diff = maxDiff(grads[0][v.name], grads[1][variables(onData)[i].name]);
    // The same kernels in the same order: the kernel's gradient [in, 4H] and the bias's [4H] are bit for bit.
    assert.equal(diff, 0, `gradient of ${plain.weights[i].originalName}`);
  });
  // What the option saves: a product whose output has the input's shape, [(1,) b·T, features].
  const inputShaped = async (layer: tf.layers.Layer) => {
    const { kernels } = await tf.profile(() => tf.variableGrads(loss(layer), variables(layer)).value);
    const shape = (s: number[] | null) => s?.filter((n) => n !== 1).join();
    return kernels.filter((k) =>
      /MatMul/.test(k.name) && k.outputShapes.some((s) => shape(s) === [batch * steps, features].join())
    ).length;
  };
  // One profile at a time: tfjs's profiler is global.
  assert.equal(await inputShaped(plain), 1);
  assert.equal(await inputShaped(onData), 0);
});

Deno.test("FastLSTM inputIsData survives the layer's config (a saved model reloads with it)", () => {
  const layer = new FastLSTM({ units: 2, inputIsData: true });
  assert.equal(layer.getConfig().inputIsData, true);
  assert.equal(new FastLSTM(layer.getConfig() as never).inputIsData, true);
  assert.equal("inputIsData" in new FastLSTM({ units: 2 }).getConfig(), false);
});
