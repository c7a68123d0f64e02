import assert from "node:assert/strict";
import { intervalWords, judge, signedDifference } from "./verdict.ts";

Deno.test("a difference that rounds to zero keeps the digits that show its side of 0", () => {
  // "-0.0100 … -0.0000" was judged "better" (its top is below 0) but read as an interval touching 0.
  assert.equal(intervalWords(-0.01, -0.00003), "-0.0100 … -0.00003");
  assert.equal(judge(-0.01, -0.00003, true), "better");
  assert.equal(signedDifference(0.000004), "+0.000004");
  assert.equal(signedDifference(0.0012), "+0.0012");
  assert.equal(signedDifference(-0.004), "-0.0040");
  assert.equal(signedDifference(0), "+0.0000");
  assert.equal(signedDifference(1e-12), "+0.00000000");
  assert.equal(signedDifference(Number.NaN), "–");
});
