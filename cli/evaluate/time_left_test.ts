import assert from "node:assert/strict";
import { foldStageLine, TimeLeft } from "./time_left.ts";

const fold = (action: string) => ["network", "majority", "boosting"].map((l) => `${l} ${action}`);

Deno.test("time left: each remaining turn costs its learner's latest turn; untimed learners are counted", () => {
  let now = 0;
  const clock = new TimeLeft([...fold("trains"), ...fold("trains")], () => now);
  // Fold 1 of 2 (6 steps): nothing is known before the first turn ends.
  assert.deepEqual(clock.start(1), { seconds: 0, untimed: 6 });
  now = 1800; // the network trained for 30 min
  assert.deepEqual(clock.start(2), { seconds: 1800, untimed: 4 });
  now = 1800.01; // majority: 10 ms
  assert.deepEqual(clock.start(3).untimed, 2);
  now = 1890; // boosting: ~90 s
  // Fold 2: every learner timed, so the estimate is the fold's sum (not 5 × the average turn: ~8 h).
  const left = clock.start(4);
  assert.equal(left.untimed, 0);
  assert.ok(Math.abs(left.seconds - (1800 + 0.01 + 89.99)) < 1e-6, String(left.seconds));
  // The latest turn counts: a faster second training lowers the estimate.
  now = 1890 + 1200;
  const later = clock.start(5);
  assert.ok(Math.abs(later.seconds - (0.01 + 89.99)) < 1e-6);
});

Deno.test("time left: a turn that only predicts is not estimated by that learner's training", () => {
  // --retrain none: fold 1 trains, folds 2 and 3 only predict. Before, the estimate said ~50 min left after a
  // 24-minute training whose later turns took seconds.
  let now = 0;
  const clock = new TimeLeft([...fold("trains"), ...fold("predicts"), ...fold("predicts")], () => now);
  clock.start(1);
  now = 1440; // the network trained for 24 min
  assert.deepEqual(clock.start(2), { seconds: 0, untimed: 8 });
  now = 1441;
  clock.start(3);
  now = 1500;
  clock.start(4);
  now = 1520; // the network predicted one fold in 20 s
  const left = clock.start(5);
  assert.equal(left.untimed, 4, "majority and boosting have not predicted without training yet");
  assert.equal(left.seconds, 20, "the last fold's network turn");
});

Deno.test("time left: a turn's step line says the time so far, and the time left once any turn left is timed", () => {
  let now = 0;
  const clock = new TimeLeft([...fold("trains"), ...fold("trains")], () => now);
  const fold1 = { index: 0, label: "2023-08" } as Parameters<typeof foldStageLine>[0]["fold"];
  const stage = (step: number, learner: string) => ({ step, steps: 6, fold: fold1, folds: 2, learner });
  assert.equal(
    foldStageLine(stage(1, "network"), clock, 0.4),
    "step 1/6: fold 1/2 2023-08, network (0s so far)",
  );
  now = 1800;
  assert.equal(
    foldStageLine(stage(2, "majority"), clock, 1800),
    "step 2/6: fold 1/2 2023-08, majority (30m00s so far, ~30m00s left + 4 turns of learners not yet timed)",
  );
});
