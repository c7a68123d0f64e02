import assert from "node:assert/strict";
import { formatDuration, MAX_TIMER_MS, timerMs } from "./duration.ts";

Deno.test("formatDuration rounds once, then splits: 119.6 s is 2m00s, not 1m60s", () => {
  assert.equal(formatDuration(119.6), "2m00s");
  assert.equal(formatDuration(59.6), "1m00s");
  assert.equal(formatDuration(3599.6), "1h00m");
});

Deno.test("formatDuration: seconds, minutes with seconds, hours with minutes, '?' when unknown", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(9.4), "9s");
  assert.equal(formatDuration(187), "3m07s");
  assert.equal(formatDuration(7500), "2h05m");
  assert.equal(formatDuration(Infinity), "?");
  assert.equal(formatDuration(NaN), "?");
});

Deno.test("formatDuration with tenths: one decimal under 10 s, whole seconds from there on", () => {
  assert.equal(formatDuration(1.23, { tenths: true }), "1.2s");
  assert.equal(formatDuration(9.96, { tenths: true }), "10s");
  assert.equal(formatDuration(119.6, { tenths: true }), "2m00s");
});

Deno.test("timerMs holds a delay past a timer's 32-bit range at the longest one, not at 1 ms", () => {
  assert.equal(timerMs(3_000_000_000), MAX_TIMER_MS);
  assert.equal(timerMs(2000), 2000);
  assert.equal(timerMs(-5), 0);
});
