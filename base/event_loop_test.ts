import assert from "node:assert/strict";
import { eventLoopTurns, finishSteps, finishStepsTurning } from "./event_loop.ts";

Deno.test("eventLoopTurns: a timer turn once `everyMs` has passed, only a microtask before", async () => {
  let t = 0;
  const turn = eventLoopTurns(250, () => t);
  t = 249;
  assert.equal(turn(), undefined);
  t = 250;
  const pending = turn();
  assert.ok(pending instanceof Promise);
  await pending;
  t = 400;
  assert.equal(turn(), undefined, "counted from the last turn");
  t = 500;
  assert.ok(turn() instanceof Promise);
});

Deno.test("finishSteps and finishStepsTurning run the same steps to the same end; an abort stops the second", async () => {
  function* sum(n: number) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      total += i;
      yield;
    }
    return total;
  }
  assert.equal(finishSteps(sum(1_000)), 499_500);
  assert.equal(await finishStepsTurning(sum(1_000)), 499_500);
  const stop = new AbortController();
  stop.abort();
  let stepsRun = 0;
  const counted = function* () {
    for (;;) (stepsRun++, yield);
  };
  await assert.rejects(finishStepsTurning(counted(), stop.signal), (e) => e === stop.signal.reason);
  assert.equal(stepsRun, 1, "stopped after the step that was running");
});
