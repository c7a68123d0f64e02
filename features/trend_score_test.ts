import assert from "node:assert/strict";
import { seriesFromCandles } from "./candles.ts";
import { trendScore } from "./trend_score.ts";

const base = { openTime: 0, open: 100, high: 110, low: 90, volume: 1, macd: 0, macdSignal: 0 };

Deno.test("trend_score sums ±1 over the five SPEC §4 conditions on the last candle", () => {
  const bullish = seriesFromCandles("T", [
    { ...base, close: 100, ema: 99, macdHist: 0, rsi: 50, stochK: 50, stochD: 50 },
    { ...base, close: 105, ema: 100, macdHist: 0.1, rsi: 60, stochK: 70, stochD: 60 },
  ]);
  assert.equal(trendScore(bullish), 5);
  const mixed = seriesFromCandles("T", [
    { ...base, close: 100, ema: 101, macdHist: 0, rsi: 50, stochK: 50, stochD: 50 },
    // close < ema (−1), ema falling (−1), hist > 0 (+1), rsi = 50 is not > 50 (−1), k > d (+1)
    { ...base, close: 95, ema: 100, macdHist: 0.2, rsi: 50, stochK: 30, stochD: 20 },
  ]);
  assert.equal(trendScore(mixed), -1);
  const bearish = seriesFromCandles("T", [
    { ...base, close: 100, ema: 101, macdHist: 0, rsi: 50, stochK: 50, stochD: 50 },
    { ...base, close: 95, ema: 100, macdHist: -0.2, rsi: 30, stochK: 10, stochD: 20 },
  ]);
  assert.equal(trendScore(bearish), -5);
});

// Guards SPEC §4's strict ">" in every vote: equality (close = ema, flat ema, hist = 0, rsi = 50, k = d) votes −1.
Deno.test("trend_score: each condition at equality votes −1, the other four still +1", () => {
  const prev = { ...base, close: 100, ema: 99, macdHist: 0, rsi: 50, stochK: 50, stochD: 50 };
  const up = { ...base, close: 105, ema: 100, macdHist: 0.1, rsi: 60, stochK: 70, stochD: 60 };
  const cases: [string, Record<string, number>, Record<string, number>][] = [
    ["close = ema", {}, { close: 100 }],
    ["ema = previous ema", { ema: 100 }, {}],
    ["macdHist = 0", {}, { macdHist: 0 }],
    ["rsi = 50", {}, { rsi: 50 }],
    ["stochK = stochD", {}, { stochK: 60 }],
  ];
  for (const [what, before, last] of cases) {
    const s = seriesFromCandles("T", [{ ...prev, ...before }, { ...up, ...last }]);
    assert.equal(trendScore(s), 3, what);
  }
});
