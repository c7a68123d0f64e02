import assert from "node:assert/strict";
import { utcDay, utcMinute } from "./utc_day.ts";

Deno.test("utcDay: the UTC calendar day of a moment; '?' for no time rather than a throw", () => {
  assert.equal(utcDay(Date.UTC(2023, 0, 1, 23, 59)), "2023-01-01");
  assert.equal(utcDay(0), "1970-01-01");
  for (const t of [NaN, Infinity, -Infinity]) assert.equal(utcDay(t), "?");
  // Finite but beyond a Date's range (a damaged manifest's end_ms): before, "Invalid time value" was thrown.
  for (const t of [1e300, -1e300, 8.64e15 + 1, -8.64e15 - 1]) assert.equal(utcDay(t), "?");
  assert.equal(utcDay(8.64e15), "+275760-09-13");
});

Deno.test("utcMinute: a moment to the minute, with its zone; '?' for no time rather than a throw", () => {
  assert.equal(utcMinute(Date.UTC(2022, 10, 5, 13, 0, 59)), "2022-11-05 13:00 UTC");
  assert.equal(utcMinute(0), "1970-01-01 00:00 UTC");
  for (const t of [NaN, Infinity, -Infinity]) assert.equal(utcMinute(t), "?");
  // Before: "Invalid time value" thrown, as from utcDay.
  for (const t of [1e300, -1e300, 8.64e15 + 1]) assert.equal(utcMinute(t), "?");
  assert.equal(utcMinute(-8.64e15), "-271821-04-20 00:00 UTC");
});
