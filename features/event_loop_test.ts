import assert from "node:assert/strict";
import { eventLoopTurns } from "./event_loop.ts";

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
