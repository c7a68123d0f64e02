import assert from "node:assert/strict";
import { intervalOf } from "./manifest.ts";

const HOUR = 3_600_000;
const times = (first: number, step: number, n: number) =>
  Float64Array.from({ length: n }, (_, i) => first + i * step);

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
