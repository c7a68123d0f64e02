import assert from "node:assert/strict";
import { buildModel } from "../ml/models/index.ts";
import { initBackend } from "../ml/runtime/backend.ts";
import { referenceConfig } from "./reference_config.ts";

// bench:train broke silently when the default model gained volatility channels (they need a fitted scaler):
// the reference sizes must keep building without one, at the parameter counts RESULTS.md compares to PyTorch
// (PyTorch's LSTMs carry a second bias: 334,724 and 67,716 there).
await initBackend("wasm");

Deno.test("bench:train's reference models build without a scaler, at the sizes compared to PyTorch", () => {
  for (const [type, parameters] of [["transformer_lstm", 333_700], ["lightweight_lstm", 67_204]] as const) {
    const model = buildModel(referenceConfig(type, 50), 42);
    assert.equal(model.countParams(), parameters, type);
    model.dispose();
  }
});
