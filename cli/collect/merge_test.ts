import assert from "node:assert/strict";
import { seriesFromCandles } from "../../features/index.ts";
import { MergeError, mergeSeries } from "./merge.ts";

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
