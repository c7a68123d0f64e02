import assert from "node:assert/strict";
import { confidentCalls, scorePredictions } from "./scores.ts";

Deno.test("confident calls count probabilities strictly above each threshold and their precision", () => {
  const p = [
    0.1,
    0.3,
    0.6, // UP 0.6, true UP
    0.1,
    0.4,
    0.5, // UP 0.5, true SIDEWAYS
    0.7,
    0.2,
    0.1, // DOWN 0.7, true DOWN
    0.45,
    0.1,
    0.45, // DOWN and UP 0.45, true UP
  ];
  const calls = confidentCalls(p, [2, 1, 0, 2], [0.4, 0.5, 0.6]);
  assert.deepEqual(calls[0].up, { count: 3, precision: 2 / 3 });
  assert.deepEqual(calls[0].down, { count: 2, precision: 0.5 });
  assert.deepEqual(calls[1].up, { count: 1, precision: 1 }); // 0.5 is not above 0.5
  assert.deepEqual(calls[2].down, { count: 1, precision: 1 });
  assert.equal(calls[2].up.count, 0);
  assert.ok(Number.isNaN(calls[2].up.precision));
});

Deno.test("scores put the argmax and the prior-corrected rule side by side", () => {
  const probabilities = Float32Array.from([0.2, 0.45, 0.35, 0.3, 0.5, 0.2, 0.2, 0.5, 0.3]);
  const labels = Int8Array.from([2, 1, 2]);
  const s = scorePredictions(
    { labels, returns: new Float64Array(3) },
    { probabilities, returns: new Float64Array(3), priorClasses: Int8Array.from([2, 1, 2]) },
  );
  assert.equal(s.metrics.accuracy, 1 / 3);
  assert.equal(s.prior_rule.accuracy, 1);
  assert.deepEqual(s.base_rate, { up: 2 / 3, down: 0 });
  assert.equal(s.confident_calls.length, 4);
  assert.ok(s.ece >= 0 && s.ece <= 1);
  assert.ok(s.ece_floor > 0 && s.ece_floor < 1);
});

Deno.test("the prior rule's ECE bins the probability of the class it names, the confidence it serves", () => {
  // SIDEWAYS on top at 0.40 in every window; the prior rule names DOWN (0.33); DOWN came 1 time in 4.
  const probabilities = Float32Array.from(Array.from({ length: 4 }, () => [0.33, 0.4, 0.27]).flat());
  const labels = Int8Array.from([0, 1, 1, 2]);
  const s = scorePredictions(
    { labels, returns: new Float64Array(4) },
    { probabilities, returns: new Float64Array(4), priorClasses: Int8Array.from([0, 0, 0, 0]) },
  );
  assert.ok(Math.abs(s.ece - 0.1) < 1e-6, String(s.ece)); // the top class: |0.5 − 0.4|
  assert.ok(Math.abs(s.prior_rule.ece - 0.08) < 1e-6, String(s.prior_rule.ece)); // the named: |0.25 − 0.33|
  assert.ok(s.prior_rule.ece_floor > 0 && s.prior_rule.ece_floor !== s.ece_floor);
});
