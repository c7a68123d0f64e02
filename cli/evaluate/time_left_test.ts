import assert from "node:assert/strict";
import { TimeLeft } from "./time_left.ts";

Deno.test("time left: each remaining turn costs its learner's latest turn; untimed learners are counted", () => {
  let now = 0;
  const clock = new TimeLeft(["network", "majority", "boosting"], () => now);
  // Fold 1 of 2 (6 steps): nothing is known before the first turn ends.
  assert.deepEqual(clock.start(1, 6), { seconds: 0, untimed: 6 });
  now = 1800; // the network trained for 30 min
  assert.deepEqual(clock.start(2, 6), { seconds: 1800, untimed: 4 });
  now = 1800.01; // majority: 10 ms
  assert.deepEqual(clock.start(3, 6).untimed, 2);
  now = 1890; // boosting: ~90 s
  // Fold 2: every learner timed, so the estimate is the fold's sum (not 5 × the average turn: ~8 h).
  const left = clock.start(4, 6);
  assert.equal(left.untimed, 0);
  assert.ok(Math.abs(left.seconds - (1800 + 0.01 + 89.99)) < 1e-6, String(left.seconds));
  // The latest turn counts: a faster second training lowers the estimate.
  now = 1890 + 1200;
  const later = clock.start(5, 6);
  assert.ok(Math.abs(later.seconds - (0.01 + 89.99)) < 1e-6);
});
