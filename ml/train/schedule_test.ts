import assert from "node:assert/strict";
import { learningRateAt } from "./schedule.ts";

Deno.test("one_cycle rises from peak/25 to the peak over 30 % of the run, then falls to ~0", () => {
  const opts = { schedule: "one_cycle" as const, learningRate: 0.002, warmupSteps: 0 };
  const at = (step: number) => learningRateAt(opts, step, 1000);
  assert.ok(Math.abs(at(0) - 0.002 / 25) < 1e-12);
  assert.ok(Math.abs(at(300) - 0.002) < 1e-12);
  assert.ok(at(150) > at(0) && at(150) < at(300));
  assert.ok(at(650) < at(300) && at(650) > at(999));
  assert.ok(at(999) < 0.002 / 1000);
});
