/** The committed kernel modules match their WAT sources (a .wat edit without `scripts/build_wasm.ts` fails). */
import assert from "node:assert/strict";
import { assemble, kernelSources, moduleText } from "../../../scripts/build_wasm.ts";

Deno.test("each ml/runtime/simd/*_wasm.ts is scripts/build_wasm.ts's output for its .wat", async () => {
  const kernels = await kernelSources();
  assert.ok(kernels.length > 0);
  for (const { wat, source, output } of kernels) {
    const expected = moduleText(wat, await assemble(wat, source));
    const committed = await Deno.readTextFile(output).catch(() => "");
    assert.equal(committed, expected, `${output.pathname} is stale: run scripts/build_wasm.ts`);
  }
});
