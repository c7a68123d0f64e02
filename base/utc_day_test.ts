import assert from "node:assert/strict";
import { utcDay } from "./utc_day.ts";

Deno.test("utcDay: the UTC calendar day of a moment; '?' for no time rather than a throw", () => {
  assert.equal(utcDay(Date.UTC(2023, 0, 1, 23, 59)), "2023-01-01");
  assert.equal(utcDay(0), "1970-01-01");
  for (const t of [NaN, Infinity, -Infinity]) assert.equal(utcDay(t), "?");
});
