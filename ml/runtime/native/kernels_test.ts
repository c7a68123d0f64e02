/** The native kernels give the WebAssembly FMA kernels' bits, and are used wherever they were built. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { fmaSupported, lstmBackward, lstmForward, nativeInUse, useNativeKernels } from "../simd/index.ts";
import { NATIVE_LIBRARY, nativeKernels, nativeUnavailable } from "./library.ts";

const built = (() => {
  try {
    return Deno.statSync(NATIVE_LIBRARY).isFile;
  } catch {
    return false;
  }
})();

/** op(a)·op(b) (+ bias) through the registered wasm kernels, on the native or the WebAssembly product. */
async function product(
  native: boolean,
  shapes: number[][],
  op: (xs: tf.Tensor[]) => tf.Tensor,
): Promise<Float32Array> {
  useNativeKernels(native);
  try {
    const inputs = shapes.map((s, i) => tf.randomNormal(s, 0, 1, "float32", 5 + i));
    const out = op(inputs);
    const values = await out.data() as Float32Array;
    tf.dispose([...inputs, out]);
    return values;
  } finally {
    useNativeKernels(true);
  }
}

Deno.test({
  name: "native product: bit for bit the WebAssembly FMA kernel's, every layout, bias, chunks and batches",
  ignore: !built,
  fn: async () => {
    await initBackend("wasm");
    assert.ok(fmaSupported);
    assert.ok(nativeInUse(), `built but not used: ${nativeUnavailable}`);
    const cases: [string, number[][], (xs: tf.Tensor[]) => tf.Tensor][] = [
      // aᵀ·b with K over several 128-row chunks (weight gradients), widths on and off the 4 × 8 tile.
      ["aᵀ·b", [[1600, 64], [1600, 256]], ([a, b]) => tf.matMul(a, b, true, false)],
      ["aᵀ·b, odd widths", [[300, 35], [300, 36]], ([a, b]) => tf.matMul(a, b, true, false)],
      ["aᵀ·b, batched", [[2, 130, 8], [2, 130, 40]], ([a, b]) => tf.matMul(a, b, true, false)],
      // a·b, a·bᵀ (forward products, input gradients), attention's batched shapes.
      ["a·b", [[200, 64], [64, 256]], ([a, b]) => tf.matMul(a, b)],
      ["a·bᵀ", [[200, 256], [64, 256]], ([a, b]) => tf.matMul(a, b, false, true)],
      ["a·bᵀ batched", [[8, 50, 16], [8, 50, 16]], ([a, b]) => tf.matMul(a, b, false, true)],
      ["a·b batched, K 300", [[3, 20, 300], [3, 300, 24]], ([a, b]) => tf.matMul(a, b)],
      // A dense layer's x·W + b (the bias starts every row).
      [
        "x·W + b",
        [[300, 35], [35, 64], [64]],
        ([a, b, bias]) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias }),
      ],
      [
        "x·W + b, K 258",
        [[12, 258], [258, 16], [16]],
        ([a, b, bias]) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias }),
      ],
    ];
    for (const [name, shapes, op] of cases) {
      const onNative = await product(true, shapes, op);
      const onWasm = await product(false, shapes, op);
      assert.equal(onNative.length, onWasm.length, name);
      const n = differing(onNative, onWasm);
      assert.equal(n, 0, `${name}: ${n} of ${onWasm.length} values differ`);
    }
  },
});

/** How many values of two same-length arrays differ in their bits. */
function differing(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

Deno.test({
  name: "native transpose: the WebAssembly kernel's result, 2-D, batched, block-wise and off the 8 × 8 grid",
  ignore: !built,
  fn: async () => {
    await initBackend("wasm");
    const cases: [number[], number[]][] = [
      [[256, 50, 1, 64], [1, 2, 3, 0]], // [B, T, D·4H] → [T, D, 4H, B]: rows 256, cols 3,200
      [[50, 2, 256, 32], [3, 0, 1, 2]], // and back: rows 25,600, cols 32 (many sweeps of 128 rows)
      [[50, 2, 256, 32], [1, 0, 3, 2]], // block transposes: each [256, 32] block to its place
      [[3, 136, 40], [0, 2, 1]], // a batch of matrices, rows not a multiple of 128
      [[60, 36], [1, 0]], // 36 columns: not a multiple of 8, the WebAssembly kernel does it
    ];
    for (const [shape, perm] of cases) {
      const onNative = await product(true, [shape], ([x]) => tf.transpose(x, perm));
      const onWasm = await product(false, [shape], ([x]) => tf.transpose(x, perm));
      const n = differing(onNative, onWasm);
      assert.equal(n, 0, `transpose ${shape} by ${perm}: ${n} values differ`);
    }
  },
});

Deno.test({
  name:
    "native LSTM loops: bit for bit the step-by-step WebAssembly path, forward and backward, 1 and 2 directions",
  ignore: !built,
  fn: async () => {
    await initBackend("wasm");
    const backend = tf.backend() as BackendWasm;
    const read = (x: tf.TensorInfo) => (backend.typedArrayFromHeap(x) as Float32Array).slice();
    for (
      const [steps, dirs, units, batch] of [[7, 1, 64, 32], [5, 2, 32, 16], [9, 2, 16, 8], [3, 1, 4, 24]]
    ) {
      const shape = `T ${steps}, D ${dirs}, H ${units}, B ${batch}`;
      const xs = tf.randomNormal([steps, dirs, 4 * units, batch], 0, 1, "float32", 1);
      const us = tf.randomNormal([dirs, units, 4 * units], 0, 0.3, "float32", 2);
      const ut = tf.transpose(us, [0, 2, 1]);
      const dy = tf.randomNormal([steps, dirs, units, batch], 0, 1, "float32", 3);
      const runs = [true, false].map((native) => {
        useNativeKernels(native);
        try {
          const f = lstmForward(backend)(xs, us)!;
          const b = lstmBackward(backend)(dy, f.sig, f.c2, f.th, ut)!;
          const values = [f.output, f.sig, f.c2, f.th, f.hs, b.dZ, b.dXs].map(read);
          for (const x of [f.output, f.sig, f.c2, f.th, f.hs, b.dZ, b.dXs]) backend.disposeData(x.dataId);
          return values;
        } finally {
          useNativeKernels(true);
        }
      });
      const names = ["output", "sig", "c2", "th", "hs", "dZ", "dXs"];
      names.forEach((name, i) => assert.equal(differing(runs[0][i], runs[1][i]), 0, `${shape}: ${name}`));
      // Not trivially equal: the values move, and the gradients are not all zero.
      assert.ok(runs[0][6].some((v) => v !== 0), `${shape}: dXs all zero`);
      tf.dispose([xs, us, ut, dy]);
    }
  },
});

Deno.test("native kernels: used where built, never where not, and the log says why", async () => {
  if (!built) {
    assert.equal(nativeKernels(), null);
    assert.match(nativeUnavailable ?? "", /not built/);
    console.log(
      `native kernels not built (${NATIVE_LIBRARY}): bash scripts/setup.sh builds them where cc exists`,
    );
  } else {
    assert.notEqual(nativeKernels(), null);
    assert.equal(nativeUnavailable, null);
  }
  // Switched off from the environment (a fresh process: the library is loaded once per process), training
  // runs on the WebAssembly kernels and its backend line says so.
  const probe = `
    import { describeBackend, initBackend } from ${
    JSON.stringify(new URL("../index.ts", import.meta.url).href)
  };
    console.log(describeBackend(await initBackend("wasm")));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", probe],
    env: { CANDLECAST_NATIVE_KERNELS: "0", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.equal(out.code, 0);
  assert.equal(
    new TextDecoder().decode(out.stdout).trim(),
    "wasm (cpu); matrix products: WebAssembly SIMD kernel (FMA; native: CANDLECAST_NATIVE_KERNELS=0)",
  );
});
