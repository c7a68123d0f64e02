import assert from "node:assert/strict";
import {
  addMonths,
  candleLengthOf,
  candlesBetween,
  closedOpenTimeBound,
  closeTimeOf,
  commonestStep,
  fitsWithGaps,
  gridOf,
  gridOffsetOf,
  inferGrid,
  intervalOf,
  nextOpenTime,
  offsetText,
  pastUtcGrid,
  sameInterval,
  shortestStep,
  shortSteps,
  zoneOffset,
} from "./intervals.ts";
import { utcMs } from "../test/collect_rig.ts";

const HOUR = 3_600_000;
const times = (first: number, step: number, n: number) =>
  Float64Array.from({ length: n }, (_, i) => first + i * step);

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
  // Names recorded by older versions read as what they are.
  assert.ok(sameInterval("1M", "31d") && sameInterval("28d", "1M") && sameInterval("90000ms", "90s"));
  assert.ok(sameInterval("60m", "1h") && !sameInterval("1h", "4h") && !sameInterval("1M", "1w"));
  assert.ok(!sameInterval("1M", "32d") && !sameInterval("x", "x1") && sameInterval("x", "x"));
  // The commonest step, whatever the outages and missing times (evaluate's folds and backtest read it too).
  assert.equal(commonestStep([[0, h, 2 * h, 10 * h, 11 * h, NaN]]), h);
  assert.equal(commonestStep([[5]]), null);
  // A tie goes to the shorter step (1h candles with every third missing), not to the one seen first.
  assert.equal(commonestStep([[0, 2 * h, 3 * h, 5 * h, 6 * h]]), h);
  // Collect's grid and a checkpoint's recorded interval are one name (they were two rules until session 20).
  const off = times(0, 31 * 24 * h, 5);
  assert.equal(inferGrid(off)?.label, "31d");
  assert.equal(inferGrid(off)?.missingBetween(0, 3 * 31 * 24 * h), 2);
  assert.equal(inferGrid(times(0, 90 * 60_000, 5))?.label, intervalOf([times(0, 90 * 60_000, 5)]));
  assert.equal(inferGrid([5]), null);
  assert.equal(inferGrid([NaN, NaN]), null);
});

Deno.test("intervalOf names the interval as collect --interval takes it back (retrain passes it on)", () => {
  const start = Date.UTC(2021, 0, 1);
  assert.equal(intervalOf([times(start, HOUR, 100)]), "1h");
  assert.equal(intervalOf([times(start, 30 * 60_000, 100)]), "30m");
  assert.equal(intervalOf([times(start, 4 * HOUR, 100)]), "4h");
  assert.equal(intervalOf([times(start, 24 * HOUR, 100)]), "1d");
  assert.equal(intervalOf([times(start, 72 * HOUR, 100)]), "3d");
  assert.equal(intervalOf([times(Date.UTC(2021, 0, 4), 168 * HOUR, 100)]), "1w");
  // Binance's 1M candles open on the 1st of each month, 28 to 31 days apart (the commonest gap is 31 days).
  const months = Float64Array.from({ length: 40 }, (_, i) => Date.UTC(2019, i, 1));
  assert.equal(intervalOf([months, months.slice(5)]), "1M");
  // A 31-day step that does not follow the calendar is not a month.
  assert.equal(intervalOf([times(start, 31 * 24 * HOUR, 40)]), "31d");
  assert.equal(intervalOf([new Float64Array([NaN, NaN])]), null);
});

Deno.test("intervals: steps shorter than a grid, and a file that is one interval's candles with gaps", () => {
  const h = 3_600_000;
  // 1h candles before 4h ones: two 1h steps and one of 2h, none of which a 4h grid can hold.
  const mixed = [0, h, 2 * h, 4 * h, 8 * h, 12 * h];
  assert.deepEqual(shortSteps(mixed, gridOf("4h")), { count: 3, from: 0, to: h });
  assert.equal(shortSteps(mixed, gridOf("1h")), null);
  assert.equal(shortSteps([0, NaN, h], gridOf("4h")), null, "no open time is no step");
  // Months are 28 to 31 days: a 30-day step is one, a 7-day step is not.
  const months = [Date.UTC(2024, 0, 1), Date.UTC(2024, 1, 1), Date.UTC(2024, 1, 8)];
  assert.deepEqual(shortSteps(months, gridOf("1M")), { count: 1, from: months[1], to: months[2] });
  assert.equal(shortestStep(mixed), h);
  assert.equal(shortestStep([5]), null);
  assert.ok(fitsWithGaps(mixed, "1h"), "every step a whole number of hours, the shortest one");
  assert.ok(!fitsWithGaps(mixed, "4h") && !fitsWithGaps(mixed, "30m"), "the shortest step is 1h");
  assert.ok(!fitsWithGaps([0, h, 2.5 * h], "1h"), "a step of 1.5h is no whole number of hours");
  assert.ok(!fitsWithGaps([5], "1h") && !fitsWithGaps(months, "1M"));
});

Deno.test("intervals: how far an open time is past the UTC grid exchanges use", () => {
  const ist = 5.5 * HOUR; // India's local time, UTC+5:30
  assert.equal(pastUtcGrid(utcMs("2024-03-15T10:00") + ist, HOUR), 30 * 60_000);
  assert.equal(pastUtcGrid(utcMs("2024-03-15") + ist, 24 * HOUR), ist);
  assert.equal(pastUtcGrid(utcMs("2024-03-15T10:00"), HOUR), 0);
  assert.equal(pastUtcGrid(utcMs("2024-03-15T10:59:59.999"), HOUR), HOUR - 1, "a close time");
  // Weeks open on Mondays (2024-03-11), not on the epoch's Thursday; 3d has no grid exchanges agree on.
  assert.equal(pastUtcGrid(utcMs("2024-03-11"), 7 * 24 * HOUR), 0);
  assert.equal(pastUtcGrid(utcMs("2024-03-14"), 7 * 24 * HOUR), 3 * 24 * HOUR);
  assert.equal(pastUtcGrid(utcMs("2024-03-11"), 3 * 24 * HOUR), null);
  assert.deepEqual(
    [ist, 30 * 60_000, 2 * HOUR, 6 * 24 * HOUR, 15_000, 250].map(offsetText),
    ["5 h 30 min", "30 min", "2 h", "6 days", "15 s", "250 ms"],
  );
});

Deno.test("candleLengthOf: Binance's fixed intervals and the steps a CSV may have (45m, 2d); none for months", () => {
  assert.equal(candleLengthOf("1h"), 3_600_000);
  assert.equal(candleLengthOf("45m"), 2_700_000);
  assert.equal(candleLengthOf("2d"), 2 * 86_400_000);
  assert.equal(candleLengthOf("90s"), 90_000);
  assert.equal(candleLengthOf("1M"), null);
  assert.equal(candleLengthOf("weekly"), null);
  assert.equal(candleLengthOf("0m"), null);
});

Deno.test("zoneOffset: quarter hours from 12 h west to 14 h east of UTC are zones; 7 s and 6 days are not", () => {
  const H = 3_600_000, D = 24 * H;
  assert.ok(zoneOffset(30 * 60_000, H)); // India on 1h
  assert.ok(zoneOffset(5.75 * H, D)); // Nepal on 1d
  assert.ok(zoneOffset(19 * H, D)); // 5 h west on 1d
  assert.ok(!zoneOffset(7_000, H));
  assert.ok(!zoneOffset(6 * D, 7 * D)); // weeks begun on Sunday
  assert.ok(!zoneOffset(3 * D, 7 * D));
  assert.ok(zoneOffset(7 * D - 5 * H, 7 * D)); // 5 h west on 1w
});

Deno.test("gridOffsetOf: the candles' commonest offset past their interval's UTC grid; null without an agreed one", () => {
  const H = 3_600_000, D = 24 * H;
  const days = (first: number, n: number) => Array.from({ length: n }, (_, i) => first + i * D);
  assert.equal(gridOffsetOf([days(Date.UTC(2023, 0, 1), 30)], "1d"), 0);
  assert.equal(gridOffsetOf([days(Date.UTC(2023, 0, 1) + 16 * H, 30)], "1d"), 16 * H);
  // The commonest wins: one stray candle does not move it.
  assert.equal(
    gridOffsetOf([[...days(Date.UTC(2023, 0, 1) + 16 * H, 30), Date.UTC(2023, 5, 1)]], "1d"),
    16 * H,
  );
  assert.equal(gridOffsetOf([days(0, 30)], "3d"), null);
  assert.equal(gridOffsetOf([days(0, 30)], "2d"), null);
  assert.equal(gridOffsetOf([days(0, 30)], null), null);
  assert.equal(gridOffsetOf([[NaN, NaN]], "1d"), null);
});
