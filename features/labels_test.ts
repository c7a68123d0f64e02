import assert from "node:assert/strict";
import { classify, DEFAULT_LABEL_RULE, DOWN, forwardReturn, labelThreshold, SIDEWAYS, UP } from "./labels.ts";
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

// Guards τ being read from volatility_20[t] (the window's last candle), not the candle before it.
Deno.test("window labels take τ from volatility_20[t] even when the previous candle's differs", () => {
  // Flat, then a 10 % jump on the last window candle (t = 5): volatility_20[t] ≈ 0.039 but volatility_20[t−1]
  // is 0, so a +0.9 % or −0.9 % return is SIDEWAYS under SPEC §6 and would be UP/DOWN under the earlier τ.
  const flat = { volume: 1, rsi: 50, macd: 0, macdSignal: 0, macdHist: 0, stochK: 50, stochD: 50 };
  const lookback = 6, horizon = 2;
  for (const [after, expected] of [[111, SIDEWAYS], [109, SIDEWAYS], [120, UP], [100, DOWN]] as const) {
    const closes = [100, 100, 100, 100, 100, 110, 110, after];
    const s = seriesFromCandles(
      "T",
      closes.map((c, i) => ({ openTime: i, open: c, high: c, low: c, close: c, ema: c, ...flat })),
    );
    const b = windowBatch(s, [5], lookback, horizon);
    const logRets = [0, 0, 0, 0, 0, Math.log(1.1)];
    const m = logRets.reduce((a, v) => a + v, 0) / lookback;
    const vol = Math.sqrt(logRets.reduce((a, v) => a + (v - m) ** 2, 0) / (lookback - 1));
    const r = after / 110 - 1;
    const tau = 0.5 * vol * Math.sqrt(horizon);
    assert.equal(r > tau ? UP : r < -tau ? DOWN : SIDEWAYS, expected, "the fixture itself follows SPEC §6");
    assert.equal(b.label[0], expected, `close ${after} after 110: r = ${r}, τ = ${tau}`);
  }
});

// Guards the default multiplier being SPEC §6's 0.5: returns between 0.5 and 0.6 of volatility_20·√h decide it.
Deno.test("the default label rule is τ = 0.5·volatility_20·√h: a return just past it is UP or DOWN", () => {
  assert.deepEqual(DEFAULT_LABEL_RULE, { kind: "volatility", multiplier: 0.5 });
  const vol = 0.02, h = 4; // 0.5·vol·√h = 0.02; 0.6·vol·√h would be 0.024
  const tau = labelThreshold(DEFAULT_LABEL_RULE, vol, h);
  assert.ok(Math.abs(tau - 0.02) < 1e-15, `τ = ${tau}`);
  assert.equal(classify(0.022, tau), UP);
  assert.equal(classify(-0.022, tau), DOWN);
  assert.equal(classify(0.019, tau), SIDEWAYS);
  // windowBatch without a rule labels with the same default.
  const closes = [100, 100, 100, 100, 100, 110, 110];
  const flat = { volume: 1, rsi: 50, macd: 0, macdSignal: 0, macdHist: 0, stochK: 50, stochD: 50 };
  const logRets = [0, 0, 0, 0, 0, Math.log(1.1)];
  const m = logRets.reduce((a, v) => a + v, 0) / logRets.length;
  const vol6 = Math.sqrt(logRets.reduce((a, v) => a + (v - m) ** 2, 0) / (logRets.length - 1));
  // A return 10 % above 0.5·vol·√1 and so below 0.6·vol·√1.
  closes[6] = 110 * (1 + 0.55 * vol6);
  const s = seriesFromCandles(
    "T",
    closes.map((c, i) => ({ openTime: i, open: c, high: c, low: c, close: c, ema: c, ...flat })),
  );
  assert.equal(windowBatch(s, [5], 6, 1).label[0], UP);
});
