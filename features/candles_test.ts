import assert from "node:assert/strict";
import {
  assertValidSeries,
  candleAt,
  CandleError,
  ohlcvProblem,
  seriesFromCandles,
  sliceSeries,
} from "./candles.ts";

const ok = { openTime: 1, open: 10, high: 12, low: 9, close: 11, volume: 5 };

Deno.test("a well-formed candle has no problem", () => {
  assert.equal(ohlcvProblem(ok, "row 1"), null);
  assert.equal(ohlcvProblem({ ...ok, open: 5, high: 5, low: 5, close: 5, volume: 0 }, "row 1"), null);
});

Deno.test("validation names the row and the field", () => {
  const cases: [Partial<typeof ok>, RegExp][] = [
    [{ close: NaN }, /^BTCUSDT row 7: close must be a finite number/],
    [{ volume: Infinity }, /^BTCUSDT row 7: volume must be a finite number/],
    [{ low: -1 }, /^BTCUSDT row 7: low must not be negative/],
    [{ high: 8 }, /^BTCUSDT row 7: high \(8\) is below low \(9\)/],
    [{ high: 10.5 }, /^BTCUSDT row 7: high \(10.5\) is below max\(open, close\) \(11\)/],
    [{ low: 10.5 }, /^BTCUSDT row 7: low \(10.5\) is above min\(open, close\) \(10\)/],
  ];
  for (const [change, message] of cases) {
    const problem = ohlcvProblem({ ...ok, ...change }, "BTCUSDT row 7");
    assert.match(problem ?? "", message);
  }
});

Deno.test("a series must ascend in time without duplicates", () => {
  const s = seriesFromCandles("ETHUSDT", [ok, { ...ok, openTime: 2 }, { ...ok, openTime: 2 }]);
  assert.throws(
    () => assertValidSeries(s),
    (e) => e instanceof CandleError && /ETHUSDT candle 2/.test(e.message),
  );
  assertValidSeries(seriesFromCandles("ETHUSDT", [ok, { ...ok, openTime: 5 }]));
});

Deno.test("rows round-trip through the columnar series; missing indicators are NaN", () => {
  const s = seriesFromCandles("X", [{ ...ok, openTime: null }, { ...ok, openTime: 2, rsi: 40 }]);
  assert.equal(candleAt(s, 0).openTime, null);
  assert.ok(Number.isNaN(candleAt(s, 0).rsi));
  assert.equal(candleAt(s, 1).rsi, 40);
  const view = sliceSeries(s, 1, 2);
  assert.equal(view.length, 1);
  view.close[0] = 99; // a view shares memory with its series
  assert.equal(s.close[1], 99);
});
