import assert from "node:assert/strict";
import { seriesFromCandles } from "../features/index.ts";
import { predictBody } from "../test/fake_predictor.ts";
import { windowOf } from "./predict.ts";
import { parsePredictRequest } from "./schemas.ts";

// windowOf writes the series field by field for speed; it must equal the general candle → series path.
Deno.test("windowOf: the last lookback candles, as seriesFromCandles builds them", () => {
  const body = predictBody("ETHUSDT", 60, 7);
  // Open times are optional on the wire: one candle without one is NaN in the series.
  const candles = body.candles.map((c, i) =>
    i === 55 ? c : { ...c, openTime: 1_700_000_000_000 + i * 3_600_000 }
  );
  const parsed = parsePredictRequest({ ...body, candles }, 50);
  assert.ok(parsed.ok);
  const fast = windowOf(parsed.value, 50);
  const slow = seriesFromCandles(
    "ETHUSDT",
    parsed.value.candles.slice(-50).map((c) => ({
      openTime: c.openTime ?? null,
      open: c.open,
      high: c.high,
      low: c.low,
      close: c.close,
      volume: c.volume,
      rsi: c.rsi,
      macd: c.macd,
      macdSignal: c.macdSign,
      macdHist: c.macdHist,
      ema: c.ema,
      stochK: c.stochSlowK,
      stochD: c.stochSlowD,
    })),
  );
  assert.deepEqual(fast, slow);
  assert.equal(fast.length, 50);
  assert.ok(Number.isNaN(fast.openTime[45]));
  assert.equal(fast.openTime[49], 1_700_000_000_000 + 59 * 3_600_000);
  assert.equal(fast.close[49], body.candles[59].close);
});
