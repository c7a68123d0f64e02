import assert from "node:assert/strict";
import { classify, DOWN, forwardReturn, labelThreshold, SIDEWAYS, UP } from "./labels.ts";
import { seriesFromCandles } from "./candles.ts";
import { windowBatch } from "./windows.ts";
import { FEATURE_COUNT, featureIndex } from "./engineer.ts";

Deno.test("forward return and class on a hand-made series (fixed threshold)", () => {
  const close = [100, 101, 102, 100.5, 104, 99, 100.2];
  assert.equal(forwardReturn(close, 0, 4), 104 / 100 - 1);
  const rule = { kind: "fixed", threshold: 0.01 } as const;
  const t = labelThreshold(rule, 123, 4);
  assert.equal(t, 0.01);
  assert.equal(classify(forwardReturn(close, 0, 4), t), UP); // +4 %
  assert.equal(classify(forwardReturn(close, 1, 4), t), DOWN); // 99/101 − 1 = −1.98 %
  assert.equal(classify(forwardReturn(close, 0, 3), t), SIDEWAYS); // +0.5 %
});

Deno.test("the volatility rule scales τ by 0.5·volatility_20·√h and ties are SIDEWAYS", () => {
  const rule = { kind: "volatility", multiplier: 0.5 } as const;
  assert.equal(labelThreshold(rule, 0.02, 4), 0.5 * 0.02 * 2);
  assert.equal(classify(0.02, 0.02), SIDEWAYS);
  assert.equal(classify(-0.02, 0.02), SIDEWAYS);
  assert.equal(classify(0.0201, 0.02), UP);
  assert.equal(classify(-0.0201, 0.02), DOWN);
});

Deno.test("window labels use the last candle's in-window volatility_20", () => {
  const closes = [100, 102, 99, 103, 101, 104, 100, 105, 110, 90, 100];
  const s = seriesFromCandles(
    "T",
    closes.map((c, i) => ({
      openTime: i,
      open: c,
      high: c,
      low: c,
      close: c,
      volume: 1,
      rsi: 50,
      macd: 0,
      macdSignal: 0,
      macdHist: 0,
      ema: c,
      stochK: 50,
      stochD: 50,
    })),
  );
  const lookback = 6, horizon = 2;
  const b = windowBatch(s, [5, 6, 7, 8], lookback, horizon);
  for (let i = 0; i < b.size; i++) {
    const t = b.ends[i];
    const logRets = Array.from({ length: lookback }, (_, k) => {
      const j = t - lookback + 1 + k;
      return k === 0 ? 0 : Math.log(closes[j] / closes[j - 1]);
    });
    const m = logRets.reduce((a, v) => a + v, 0) / lookback;
    const vol = Math.sqrt(logRets.reduce((a, v) => a + (v - m) ** 2, 0) / (lookback - 1));
    assert.ok(
      Math.abs(
        b.x[i * lookback * FEATURE_COUNT + (lookback - 1) * FEATURE_COUNT + featureIndex("volatility_20")] -
          vol,
      ) < 1e-6,
    );
    const r = closes[t + horizon] / closes[t] - 1;
    assert.equal(b.forwardReturn[i], r);
    const tau = 0.5 * vol * Math.sqrt(horizon);
    assert.equal(b.label[i], r > tau ? UP : r < -tau ? DOWN : SIDEWAYS, `window ending at ${t}`);
  }
});
