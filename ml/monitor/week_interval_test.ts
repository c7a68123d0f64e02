import assert from "node:assert/strict";
import { WeekSample } from "./week_interval.ts";

Deno.test("the week's interval covers its own estimate, narrows with more predictions, and is seeded", () => {
  const week = (n: number) => {
    const s = new WeekSample();
    // A model right 45 % of the time, giving the realised class probability 0.4.
    for (let i = 0; i < n; i++) s.add(i % 3, (i * 7) % 20 < 9 ? i % 3 : (i + 1) % 3, 0.4);
    return s;
  };
  const small = week(100).interval(), large = week(3000).interval();
  for (const ci of [small, large]) {
    assert.ok(ci.log_loss[0] <= -Math.log(0.4) + 1e-12 && -Math.log(0.4) <= ci.log_loss[1] + 1e-12);
    assert.ok(ci.macro_f1[0] <= ci.macro_f1[1]);
  }
  assert.ok(large.macro_f1[1] - large.macro_f1[0] < small.macro_f1[1] - small.macro_f1[0]);
  assert.deepEqual(week(500).interval(), week(500).interval());
});

Deno.test("a few predictions still get an interval of some width, not their own point repeated", () => {
  const s = new WeekSample();
  for (const [label, named, p] of [[0, 0, 0.6], [1, 2, 0.2], [2, 2, 0.6]] as const) s.add(label, named, p);
  const ci = s.interval();
  assert.ok(ci.log_loss[1] - ci.log_loss[0] > 0.5, JSON.stringify(ci));
});
