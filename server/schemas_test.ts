import assert from "node:assert/strict";
import { parsePredictRequest, type RequestCandle } from "./schemas.ts";

const LOOKBACK = 3;

function body(change: Partial<RequestCandle> = {}, at = 1) {
  const candle = (i: number): RequestCandle => ({
    open: 100 + i,
    high: 103 + i,
    low: 99 + i,
    close: 102 + i,
    volume: 10,
    rsi: 55,
    macd: 0.1,
    macdSign: 0.05,
    macdHist: 0.05,
    ema: 101,
    stochSlowK: 80,
    stochSlowD: 75,
  });
  const candles = [0, 1, 2].map((i) => (i === at ? { ...candle(i), ...change } : candle(i)));
  return { symbol: "BTCUSDT", candles };
}

const detail = (change: Partial<RequestCandle>) => {
  const parsed = parsePredictRequest(body(change), LOOKBACK);
  return parsed.ok ? null : parsed.detail;
};

Deno.test("requests: the candle rule collect applies (features' candleProblem), naming the field", () => {
  assert.equal(detail({}), null);
  assert.equal(
    detail({ open: 0, high: 0, low: 0, close: 0, volume: 0 }),
    "candles[1].open: must be positive, got 0",
  );
  assert.equal(detail({ volume: -1 }), "candles[1].volume: must not be negative, got -1");
  assert.match(
    detail({ high: 1e308 })!,
    /^candles\[1\]\.high: must be at most 1000000000000 .*, got 1e\+308$/,
  );
  assert.equal(detail({ high: 98 }), "candles[1].high: 98 is below low (100)");
  assert.equal(detail({ volume: 0 }), null, "a candle without trades is fine");
});

Deno.test("requests: RSI and the stochastics within 0–100, a hair of rounding allowed", () => {
  assert.equal(detail({ rsi: 100.0005, stochSlowK: -0.0005, stochSlowD: 0 }), null);
  assert.equal(detail({ rsi: 4200 }), "candles[1].rsi: must be within 0–100, got 4200");
  assert.equal(detail({ stochSlowK: -3 }), "candles[1].stochSlowK: must be within 0–100, got -3");
  assert.equal(
    detail({ stochSlowD: 120, rsi: -1 }),
    "candles[1].rsi: must be within 0–100, got -1 (and 1 more field with problems)",
  );
});
