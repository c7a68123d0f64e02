import assert from "node:assert/strict";
import {
  addMonths,
  candlesBetween,
  closedOpenTimeBound,
  closeTimeOf,
  gridOf,
  inferGrid,
  nextOpenTime,
} from "./intervals.ts";
import { utcMs } from "../../test/collect_rig.ts";

Deno.test("intervals: the newest closed candle at a time, fixed and monthly", () => {
  const now = utcMs("2024-03-15T10:30");
  assert.equal(closedOpenTimeBound(now, "1h"), utcMs("2024-03-15T09:30"), "09:00 closed, 10:00 open");
  assert.equal(
    closedOpenTimeBound(utcMs("2024-03-15T10:00"), "1h"),
    utcMs("2024-03-15T09:00"),
    "09:00 closed at 09:59:59.999",
  );
  assert.equal(closedOpenTimeBound(now, "1M"), utcMs("2024-03-01") - 1, "February is the last closed month");
  // Weeks open on Mondays: 2024-03-11 opened 4 days ago and is still open; 2024-03-04 closed.
  const bound = closedOpenTimeBound(now, "1w");
  assert.ok(bound >= utcMs("2024-03-04") && bound < utcMs("2024-03-11"));
});

Deno.test("intervals: calendar months", () => {
  assert.equal(
    addMonths(utcMs("2024-03-31T12:00"), -1),
    utcMs("2024-02-29T12:00"),
    "clamped to February's end",
  );
  assert.equal(addMonths(utcMs("2023-12-15"), 2), utcMs("2024-02-15"));
  assert.equal(nextOpenTime(utcMs("2024-12-01"), "1M"), utcMs("2025-01-01"));
  assert.equal(closeTimeOf(utcMs("2024-02-01"), "1M"), utcMs("2024-03-01") - 1);
  assert.equal(candlesBetween(utcMs("2024-01-01"), utcMs("2024-06-01"), "1M"), 6);
  assert.equal(gridOf("1M").missingBetween(utcMs("2024-01-01"), utcMs("2024-04-01")), 2);
});

Deno.test("intervals: gaps on a grid, and grids inferred from data", () => {
  const h = 3_600_000;
  assert.equal(gridOf("1h").missingBetween(0, h), 0);
  assert.equal(gridOf("1h").missingBetween(0, 34 * h), 33);
  assert.equal(candlesBetween(0, 10 * h - 1, "1h"), 10);
  assert.equal(inferGrid([0, 4 * h, 8 * h, 16 * h])?.label, "4h");
  assert.equal(inferGrid([0, 90_000, 180_000])?.label, "90s");
  assert.equal(inferGrid([utcMs("2024-01-01"), utcMs("2024-02-01"), utcMs("2024-03-01")])?.label, "1M");
  assert.equal(inferGrid([5]), null);
  assert.equal(inferGrid([NaN, NaN]), null);
});
