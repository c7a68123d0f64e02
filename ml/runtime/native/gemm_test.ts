/** The native product gives the WebAssembly FMA kernel's bits, and is used wherever it was built. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend.ts";
import { fmaSupported, nativeInUse, useNativeKernels } from "../simd/index.ts";
import { NATIVE_LIBRARY, nativeGemm, nativeUnavailable } from "./gemm.ts";

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
      let differing = 0;
      for (let i = 0; i < onWasm.length; i++) if (!Object.is(onNative[i], onWasm[i])) differing++;
      assert.equal(differing, 0, `${name}: ${differing} of ${onWasm.length} values differ`);
    }
  },
});

Deno.test("native product: off when asked, and says why", () => {
  // Runs in its own process (test/isolated.ts), so the setting cannot leak into the test above.
  if (!built) {
    assert.equal(nativeGemm(), null);
    assert.match(nativeUnavailable ?? "", /not built/);
    console.log(
      `native kernels not built (${NATIVE_LIBRARY}): bash scripts/setup.sh builds them where cc exists`,
    );
    return;
  }
  assert.notEqual(nativeGemm(), null);
  assert.equal(nativeUnavailable, null);
});
