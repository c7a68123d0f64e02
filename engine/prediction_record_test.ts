import assert from "node:assert/strict";
import { PredictionRecordSchema } from "./prediction_record.ts";

const record = {
  time: "2026-01-01T01:00:05.000Z",
  symbol: "BTCUSDT",
  last_candle_time: 1767225600000,
  last_close: 87000.5,
  version: "v3_2026-01-01",
  version_created_at: "2026-01-01T00:00:00.000Z",
  prediction: "UP",
  probabilities: { down: 0.2, sideways: 0.3, up: 0.5 },
  expected_return: 0.001,
};

Deno.test("a prediction record's version is a folder name, and its creation time a time: a forged line is unreadable", () => {
  assert.equal(PredictionRecordSchema.safeParse(record).success, true);
  assert.equal(PredictionRecordSchema.safeParse({ ...record, version: "v9_gone" }).success, true);
  // A hand-made version serve takes: a name with spaces or accents, a created_at with an offset or a date.
  // Persian's zero-width non-joiner and Hebrew's right-to-left mark are ordinary spelling (a review).
  for (const version of ["my model v2", "modèle_été", "مدل\u200cمن", "\u200fמודל"]) {
    assert.equal(PredictionRecordSchema.safeParse({ ...record, version }).success, true, version);
  }
  for (const created of ["2026-01-01T00:00:00+00:00", "2026-01-01"]) {
    const handMade = { ...record, version_created_at: created };
    assert.equal(PredictionRecordSchema.safeParse(handMade).success, true, created);
  }
  // Before: monitor looked for "../../etc" outside --checkpoints and printed escape sequences raw.
  // A bidi override shows the name in another order than stored.
  for (
    const version of [
      "../../etc",
      "..",
      "v1_\u001b[31mRED\u001b[0m",
      "v1/../v2",
      "v1\\..\\v2",
      "",
      "v1\u202e2v",
    ]
  ) {
    assert.equal(
      PredictionRecordSchema.safeParse({ ...record, version }).success,
      false,
      JSON.stringify(version),
    );
  }
  const forgedTime = { ...record, version_created_at: "\u001b[31mX" };
  assert.equal(PredictionRecordSchema.safeParse(forgedTime).success, false);
  // Logs written before the field existed have none.
  const { version_created_at: _, ...older } = record;
  assert.equal(PredictionRecordSchema.safeParse(older).success, true);
});

Deno.test("a prediction record's time is a UTC time and its probabilities 0 … 1 summing to 1: others are unreadable", () => {
  // Before: one line's "banana" time took the served version's last week, and its warning, away; a line's
  // probabilities of 5, −3 and 1e308 gave a log-loss of −157.
  for (const time of ["2026-01-01T01:00:05Z", "2026-01-01T01:00Z", "2026-01-01T01:00:05.123456Z"]) {
    assert.equal(PredictionRecordSchema.safeParse({ ...record, time }).success, true, time);
  }
  for (
    const time of [
      "banana",
      "",
      "2026-01-01",
      "2026-13-01T00:00:00Z",
      "2026-01-01T01:00:05+02:00",
      "2026-11-31T12:00:05.000Z",
      "2026-01-01T24:00:00Z",
    ]
  ) {
    assert.equal(PredictionRecordSchema.safeParse({ ...record, time }).success, false, time);
  }
  for (
    const probabilities of [
      { down: 5, sideways: -3, up: 1e308 },
      { down: 0.5, sideways: 0.5, up: 0.5 },
      { down: -0.1, sideways: 0.6, up: 0.5 },
    ]
  ) {
    assert.equal(PredictionRecordSchema.safeParse({ ...record, probabilities }).success, false);
  }
  const rounded = { ...record, probabilities: { down: 0.33, sideways: 0.33, up: 0.33 } };
  assert.equal(PredictionRecordSchema.safeParse(rounded).success, true);
});
