import assert from "node:assert/strict";
import { precisionText } from "./test_split.ts";

Deno.test("the served-rule line gives a class never named no precision, not 0.000", () => {
  const scores = (precision: number) => ({ precision, recall: 0, f1: 0, support: 10 });
  const m = {
    predicted_share: { DOWN: 0, SIDEWAYS: 0.9, UP: 0.1 },
    per_class: { DOWN: scores(0), SIDEWAYS: scores(0.5), UP: scores(0.3456) },
  };
  assert.equal(precisionText(m, "DOWN"), "– (never named)");
  assert.equal(precisionText(m, "UP"), "0.346");
});
