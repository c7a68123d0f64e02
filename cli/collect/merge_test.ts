import assert from "node:assert/strict";
import { seriesFromCandles } from "../../features/index.ts";
import { changedIndicatorRows, MergeError, mergeSeries } from "./merge.ts";

const candles = (times: (number | null)[], close = 1) =>
  seriesFromCandles(
    "AAAUSDT",
    times.map((t) => ({ openTime: t, open: close, high: close, low: close, close, volume: 1, rsi: close })),
  );

Deno.test("merge: union by open_time, the new candle wins, nothing duplicated or lost", () => {
  const { series, added } = mergeSeries(candles([1, 2, 3, 7]), candles([3, 4, 5, 8], 2));
  assert.deepEqual(Array.from(series.openTime), [1, 2, 3, 4, 5, 7, 8]);
  assert.deepEqual(Array.from(series.close), [1, 1, 2, 2, 2, 1, 2]);
  assert.equal(added, 3);
  assert.deepEqual(
    mergeSeries(candles([1, 2, 3, 7]), candles([3, 4, 5, 8], 2)).conflicts,
    [{ symbol: "AAAUSDT", openTime: 3, column: "open", existing: 1, incoming: 2 }],
    "the overlapping candle differs: reported for the caller to refuse or count",
  );
  assert.deepEqual(mergeSeries(candles([1, 2]), candles([2, 3])).conflicts, [], "equal candles agree");
  assert.equal(mergeSeries(undefined, candles([1, 2])).added, 2);
  assert.equal(mergeSeries(candles([1, 2]), candles([1, 2])).added, 0);
});

Deno.test("merge: candles without open times only replace identical rows", () => {
  assert.equal(mergeSeries(candles([null, null]), candles([null, null])).added, 0);
  assert.throws(() => mergeSeries(candles([1, 2]), candles([null, null])), MergeError);
  assert.throws(() => mergeSeries(candles([null, null]), candles([null, null], 2)), MergeError);
  assert.throws(() => mergeSeries(candles([null]), candles([5])), MergeError);
});

Deno.test("merge: the rows already stored whose indicators the merge changed are counted, matched by open time", () => {
  const before = candles([1, 2, 3, 5]);
  const after = candles([0, 1, 2, 3, 4, 5, 6]);
  assert.equal(changedIndicatorRows(before, after), 0, "the same values (NaN where both lack one): none");
  after.rsi[2] = 55; // open time 2
  after.ema[5] = 3; // open time 5: NaN before
  after.rsi[6] = 70; // open time 6: not stored before
  assert.equal(changedIndicatorRows(before, after), 2);
  after.rsi[2] = 1 + 1e-12; // float noise within the merge's tolerance
  assert.equal(changedIndicatorRows(before, after), 1);
  assert.equal(
    changedIndicatorRows(candles([null, null]), candles([null, null], 2)),
    0,
    "untimed: not matched",
  );
  const repriced = candles([1, 2, 3, 5], 2); // every price replaced (--replace): new indicators are not news
  repriced.rsi[0] = 9;
  assert.equal(changedIndicatorRows(before, repriced), 0);
});
