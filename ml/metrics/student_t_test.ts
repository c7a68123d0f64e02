import assert from "node:assert/strict";
import { standardDeviation, studentT975 } from "./student_t.ts";

Deno.test("Student's t 97.5 % quantiles: the table's, and the normal's in the limit", () => {
  assert.equal(studentT975(3), 3.182);
  assert.equal(studentT975(10), 2.228);
  for (const [df, t] of [[12, 2.179], [20, 2.086], [34, 2.032], [120, 1.98]] as const) {
    assert.ok(Math.abs(studentT975(df) - t) < 0.003 * t, `${df}: ${studentT975(df)} vs ${t}`);
  }
  assert.ok(Math.abs(studentT975(1e9) - 1.96) < 1e-3);
});

Deno.test("the sample standard deviation divides by n − 1, and a single value has none", () => {
  assert.equal(standardDeviation(new Float64Array([1, 2, 3])), 1);
  assert.equal(standardDeviation(new Float64Array([5])), 0);
});
