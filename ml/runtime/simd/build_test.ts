/** The committed kernel modules match their WAT sources (a .wat edit without `scripts/build_wasm.ts` fails). */
import assert from "node:assert/strict";
import { buildModule, fmaTwin, kernelSources } from "../../../scripts/build_wasm.ts";

Deno.test("each ml/runtime/simd/*_wasm.ts is scripts/build_wasm.ts's output for its .wat", async () => {
  const kernels = await kernelSources();
  assert.ok(kernels.length > 0);
  for (const { wat, source, output } of kernels) {
    const expected = await buildModule(wat, source);
    const committed = await Deno.readTextFile(output).catch(() => "");
    assert.equal(committed, expected, `${output.pathname} is stale: run scripts/build_wasm.ts`);
  }
});

Deno.test("the FMA twin fuses a·b + c of locals and constants, in either order, and nothing else", () => {
  const source = "(local.set $c (f32x4.add (local.get $c) (f32x4.mul (local.get $x) (local.get $b0))))\n" +
    "(local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.5e-3))))\n" +
    "(local.set $q (f32x4.add (f32x4.mul (local.get $p) (v128.load (local.get $a))) (local.get $q)))";
  assert.equal(
    fmaTwin(source),
    "(local.set $c (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c)))\n" +
      "(local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (f32x4.splat (f32.const 1.5e-3))))\n" +
      "(local.set $q (f32x4.add (f32x4.mul (local.get $p) (v128.load (local.get $a))) (local.get $q)))",
  );
  assert.equal(fmaTwin("(f32x4.mul (local.get $a) (local.get $b))"), null);
});
