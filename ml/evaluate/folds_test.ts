import assert from "node:assert/strict";
import { emptySeries } from "../../features/index.ts";
import { dataEnd, FoldError, planFolds, refitAtFirstUnseen } from "./folds.ts";
import { blendAction, turnAction } from "./walk_forward.ts";

const at = (s: string) => Date.parse(s + "Z");
const day = (ms: number) => new Date(ms).toISOString().slice(0, 16);

Deno.test("monthly folds are the last complete calendar months, each validated on the months before", () => {
  const plans = planFolds(at("2024-01-01T00:00"), 3, "monthly");
  assert.deepEqual(plans.map((p) => p.label), ["2023-10", "2023-11", "2023-12"]);
  assert.deepEqual(plans.map((p) => p.action), ["fit", "fit", "fit"]);
  assert.equal(day(plans[0].validationStart), "2023-04-01T00:00");
  assert.equal(day(plans[2].testStart), "2023-12-01T00:00");
  assert.equal(day(plans[2].testEnd), "2024-01-01T00:00");
  // A month still running at the end of the data is not a fold, unless only its last hours are missing.
  assert.deepEqual(planFolds(at("2023-12-20T05:00"), 1, "monthly").map((p) => p.label), ["2023-11"]);
  assert.deepEqual(planFolds(at("2023-12-30T20:00"), 1, "monthly").map((p) => p.label), ["2023-12"]);
  assert.deepEqual(planFolds(at("2023-12-01T00:00"), 1, "monthly").map((p) => p.label), ["2023-11"]);
});

Deno.test("weekly folds are ISO weeks (Monday 00:00 UTC), fine-tuned after the first", () => {
  // 2023-12-31 is a Sunday: the week of Monday 2023-12-25 ends at 2024-01-01 00:00.
  const plans = planFolds(at("2024-01-01T00:00"), 2, "weekly");
  assert.deepEqual(plans.map((p) => p.label), ["2023-W51", "2023-W52"]);
  assert.deepEqual(plans.map((p) => p.action), ["fit", "update"]);
  assert.equal(day(plans[1].testStart), "2023-12-25T00:00");
  assert.equal(day(plans[1].validationStart), "2023-06-25T00:00");
  assert.deepEqual(planFolds(at("2024-01-01T00:00"), 2, "none").map((p) => p.action), ["fit", "keep"]);
});

Deno.test("dataEnd is one candle after the last, and refuses series without open times", () => {
  const s = emptySeries("X", 3);
  s.openTime.set([0, 3_600_000, 7_200_000]);
  assert.equal(dataEnd([s]), 3 * 3_600_000);
  // A symbol of one candle (listed yesterday) takes the data's step. Before: NaN, and the data was refused.
  const listed = emptySeries("NEW", 1);
  listed.openTime.set([10 * 3_600_000]);
  assert.equal(dataEnd([s, listed]), 11 * 3_600_000);
  assert.throws(() => dataEnd([listed]), FoldError, "one candle alone has no step to go by");
  s.openTime[1] = NaN;
  assert.throws(() => dataEnd([s]), FoldError);
  assert.throws(() => planFolds(0, 0, "monthly"), FoldError);
});

Deno.test("the validation block is the given number of calendar months before each test block", () => {
  const monthly = planFolds(at("2024-01-01T00:00"), 3, "monthly");
  assert.deepEqual(monthly.map((p) => day(p.validationStart)), [
    "2023-04-01T00:00",
    "2023-05-01T00:00",
    "2023-06-01T00:00",
  ]);
  assert.equal(
    day(planFolds(at("2024-01-01T00:00"), 1, "monthly", 12)[0].validationStart),
    "2022-12-01T00:00",
  );
  // Weekly test blocks keep their Monday; a 31st moves to the shorter month's last day.
  assert.equal(day(planFolds(at("2024-01-01T00:00"), 1, "weekly", 1)[0].validationStart), "2023-11-25T00:00");
  assert.equal(day(planFolds(at("2023-08-07T00:00"), 1, "weekly", 1)[0].validationStart), "2023-06-30T00:00");
  assert.throws(() => planFolds(at("2024-01-01T00:00"), 1, "monthly", 0), FoldError);
});

Deno.test("a checkpoint kept as it is: the baselines fit again at the first fold it never saw, the checkpoint never", () => {
  // Fit once at the first fold (data to 2023-07 here), the baselines had three months less than a checkpoint
  // trained to 2023-10-31 on the folds the verdict judges, 2023-11 and 2023-12, and the verdict did not say so.
  const plans = planFolds(at("2024-01-01T00:00"), 3, "none");
  const seen = at("2023-10-31T23:00");
  const refit = refitAtFirstUnseen(plans, seen);
  assert.deepEqual(refit.map((p) => p.action), ["fit", "fit", "keep"]);
  const checkpoint = { pretrained: true }, baseline = { pretrained: false };
  assert.deepEqual(refit.map((p) => turnAction(p, checkpoint)), ["keep", "keep", "keep"]);
  assert.deepEqual(refit.map((p) => turnAction(p, baseline)), ["fit", "fit", "keep"]);
  // A blend of the two fits its temperatures again where boosting trained again, not only where the model did
  // (it kept the first fold's, fit for another boosting, on the folds judged).
  assert.deepEqual(refit.map((p) => blendAction(p, checkpoint, baseline)), ["fit", "fit", "keep"]);
  // Every fold unseen, or every fold seen: fit once, as before.
  assert.deepEqual(refitAtFirstUnseen(plans, at("2022-12-31T23:00")).map((p) => p.action), [
    "fit",
    "keep",
    "keep",
  ]);
  assert.deepEqual(refitAtFirstUnseen(plans, at("2024-01-01T00:00")).map((p) => p.action), [
    "fit",
    "keep",
    "keep",
  ]);
  // Fine-tuned weekly, a checkpoint still starts as it is and then updates, as before.
  const weekly = planFolds(at("2024-01-01T00:00"), 2, "weekly");
  assert.deepEqual(weekly.map((p) => turnAction(p, checkpoint)), ["keep", "update"]);
});
