import assert from "node:assert/strict";
import { blendWords, boostingShare } from "./preprocessor.ts";

Deno.test("a blend is put in the same words everywhere, boosting's share without float noise", () => {
  assert.equal(
    blendWords({ with: "gradient_boosting", weight: 0.5 }),
    "0.5 × the network + 0.5 × gradient boosting",
  );
  // 1 − 0.7 is 0.30000000000000004 in float64: export, models and the reports printed that.
  assert.equal(
    blendWords({ with: "gradient_boosting", weight: 0.7 }),
    "0.7 × the network + 0.3 × gradient boosting",
  );
  assert.equal(boostingShare(0.9), 0.1);
});
