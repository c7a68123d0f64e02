import assert from "node:assert/strict";
import { precisionText } from "./test_split.ts";

const scores = (precision: number) => ({ precision, recall: 0, f1: 0, support: 10 });

Deno.test("the served-rule line gives a class never named no precision, not 0.000", () => {
  const m = {
    predicted_share: { DOWN: 0, SIDEWAYS: 0.9, UP: 0.1 },
    per_class: { DOWN: scores(0), SIDEWAYS: scores(0.5), UP: scores(0.3456) },
    // Columns are the classes named: 270 SIDEWAYS calls, 30 UP calls.
    confusion_matrix: [[0, 90, 10], [0, 135, 10], [0, 45, 10]],
  };
  assert.equal(precisionText(m, "DOWN"), "– (never named)");
  assert.equal(precisionText(m, "UP"), "0.346");
});

Deno.test("the served-rule line gives a precision from fewer than 30 calls with their count", () => {
  // A retrain candidate named UP 4 times in 418 windows; its line read 'UP 0.667 (base rate 0.275)', as if a
  // hit rate 2.4 times the base rate, where report.html and evaluate show such a precision with its count.
  const m = {
    predicted_share: { DOWN: 0.7, SIDEWAYS: 0.29, UP: 0.01 },
    per_class: { DOWN: scores(0.273), SIDEWAYS: scores(0.5), UP: scores(2 / 3) },
    confusion_matrix: [[90, 30, 1], [100, 60, 1], [106, 28, 2]],
  };
  assert.equal(precisionText(m, "UP"), "0.667 from 4 calls");
  assert.equal(precisionText(m, "DOWN"), "0.273");
});
