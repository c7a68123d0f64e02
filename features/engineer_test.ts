import assert from "node:assert/strict";
import { type Candle, CandleError, seriesFromCandles } from "./candles.ts";
import { assertFeaturesFit, engineerWindow, FEATURE_COUNT, FEATURE_NAMES } from "./engineer.ts";
import { computeIndicators } from "./indicators.ts";

/**
 * Four candles small enough to check by hand. Candle 2 is a flat, zero-volume bar (high = low), like the
 * maintenance halts in the real data.
 */
const CANDLES: Candle[] = [
  {
    openTime: 0,
    open: 100,
    high: 110,
    low: 95,
    close: 105,
    volume: 10,
    ...ind(55, 1, 0.5, 0.5, 100, 60, 50),
  },
  {
    openTime: 1,
    open: 105,
    high: 108,
    low: 100,
    close: 102,
    volume: 20,
    ...ind(45, 0.8, 0.6, 0.2, 100.2, 40, 45),
  },
  {
    openTime: 2,
    open: 103,
    high: 103,
    low: 103,
    close: 103,
    volume: 0,
    ...ind(52, 0.9, 0.66, 0.24, 100.4, 70, 50),
  },
  {
    openTime: 3,
    open: 103,
    high: 107,
    low: 101,
    close: 106,
    volume: 30,
    ...ind(50, 1.1, 0.75, 0.35, 100.5, 80, 63.3),
  },
];

function ind(
  rsi: number,
  macd: number,
  macdSignal: number,
  macdHist: number,
  ema: number,
  k: number,
  d: number,
) {
  return { rsi, macd, macdSignal, macdHist, ema, stochK: k, stochD: d };
}

function sampleStd(values: number[]): number {
  if (values.length < 2) return 0;
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

const features = engineerWindow(seriesFromCandles("TEST", CANDLES), 0, CANDLES.length);
const at = (j: number, name: string) => features[j * FEATURE_COUNT + FEATURE_NAMES.indexOf(name)];

function expectFeatures(j: number, expected: Record<string, number>) {
  for (const [name, value] of Object.entries(expected)) {
    assert.ok(FEATURE_NAMES.includes(name), `unknown feature ${name}`);
    const actual = at(j, name);
    // Stored as float32: compare with a relative tolerance that float32 rounding always meets.
    assert.ok(
      Math.abs(actual - value) <= 1e-6 * Math.max(1, Math.abs(value)),
      `candle ${j} ${name}: got ${actual}, expected ${value}`,
    );
  }
}

Deno.test("the registry has the 35 features of SPEC §5, in order", () => {
  assert.deepEqual(FEATURE_NAMES, [
    "open_rel",
    "high_rel",
    "low_rel",
    "ret",
    "volume_rel",
    "rsi",
    "macd_n",
    "macd_signal_n",
    "macd_hist_n",
    "ema_dist",
    "stoch_k",
    "stoch_d",
    "log_ret",
    "ret_3",
    "hl_ratio",
    "co_ratio",
    "volatility_5",
    "volatility_20",
    "ema_slope",
    "macd_accel",
    "macd_hist_slope",
    "rsi_momentum",
    "rsi_ma_5",
    "volume_log_change",
    "volume_ratio_5_20",
    "volume_z_20",
    "body",
    "upper_shadow",
    "lower_shadow",
    "position_20",
    "position_50",
    "momentum_5",
    "momentum_10",
    "momentum_20",
    "stoch_kd_diff",
  ]);
  assert.equal(FEATURE_COUNT, 35);
});

Deno.test("every feature of the last candle equals its hand-computed value", () => {
  const logRets = [0, Math.log(102 / 105), Math.log(103 / 102), Math.log(106 / 103)];
  const volumes = [10, 20, 0, 30];
  expectFeatures(3, {
    open_rel: 103 / 106 - 1,
    high_rel: 107 / 106 - 1,
    low_rel: 101 / 106 - 1,
    ret: 106 / 103 - 1,
    volume_rel: 30 / 15 - 1,
    rsi: 50,
    macd_n: 1.1 / 106,
    macd_signal_n: 0.75 / 106,
    macd_hist_n: 0.35 / 106,
    ema_dist: 106 / 100.5 - 1,
    stoch_k: 80,
    stoch_d: 63.3,
    log_ret: Math.log(106 / 103),
    ret_3: 106 / 105 - 1,
    hl_ratio: 107 / 101 - 1,
    co_ratio: 106 / 103 - 1,
    volatility_5: sampleStd(logRets),
    volatility_20: sampleStd(logRets),
    ema_slope: 100.5 / 100.4 - 1,
    macd_accel: (1.1 - 2 * 0.9 + 0.8) / 106,
    macd_hist_slope: (0.35 - 0.24) / 106,
    rsi_momentum: 50 - 52,
    rsi_ma_5: (55 + 45 + 52 + 50) / 4,
    volume_log_change: Math.log((30 + 1e-12) / (0 + 1e-12)),
    volume_ratio_5_20: 15 / 15,
    volume_z_20: (30 - 15) / sampleStd(volumes),
    body: (106 - 103) / (107 - 101),
    upper_shadow: (107 - 106) / 6,
    lower_shadow: (103 - 101) / 6,
    position_20: (106 - 95) / (110 - 95),
    position_50: (106 - 95) / (110 - 95),
    momentum_5: 106 / 105 - 1,
    momentum_10: 106 / 105 - 1,
    momentum_20: 106 / 105 - 1,
    stoch_kd_diff: 80 - 63.3,
  });
});

Deno.test("lags before the window's first candle use the first candle; statistics of one value are 0", () => {
  expectFeatures(0, {
    ret: 0,
    log_ret: 0,
    ret_3: 0,
    momentum_20: 0,
    ema_slope: 0,
    macd_accel: 0,
    macd_hist_slope: 0,
    rsi_momentum: 0,
    volume_log_change: 0,
    volume_rel: 0,
    volume_z_20: 0,
    volatility_5: 0,
    volatility_20: 0,
    rsi_ma_5: 55,
    position_20: (105 - 95) / (110 - 95),
  });
  expectFeatures(1, {
    macd_accel: (0.8 - 2 * 1 + 1) / 102,
    volatility_5: sampleStd([0, Math.log(102 / 105)]),
    volume_z_20: (20 - 15) / sampleStd([10, 20]),
  });
});

Deno.test("a flat zero-volume bar gives 0 for body and shadows and finite volume features", () => {
  expectFeatures(2, {
    body: 0,
    upper_shadow: 0,
    lower_shadow: 0,
    hl_ratio: 0,
    volume_log_change: Math.log(1e-12 / (20 + 1e-12)),
    volume_rel: 0 / 10 - 1,
  });
});

Deno.test("rolling windows of 5, 20 and 50 slide inside a longer window", () => {
  // 60 candles whose highs and lows trend so the 20- and 50-candle ranges differ.
  const candles: Candle[] = Array.from({ length: 60 }, (_, i) => {
    const close = 100 + 10 * Math.sin(i / 4) + i / 2;
    return {
      openTime: i,
      open: close - 0.5,
      high: close + 1 + (i % 3),
      low: close - 1 - (i % 5),
      close,
      volume: 100 + ((i * 37) % 23),
      ...ind(40 + (i % 20), 0.1 * i, 0.05 * i, 0.05 * i, 100 + i / 3, (i * 7) % 100, (i * 5) % 100),
    };
  });
  const x = engineerWindow(seriesFromCandles("T", candles), 0, 60);
  const f = (j: number, name: string) => x[j * FEATURE_COUNT + FEATURE_NAMES.indexOf(name)];
  const last = (n: number, j: number) => candles.slice(Math.max(0, j - n + 1), j + 1);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  for (const j of [4, 19, 20, 35, 49, 50, 59]) {
    const c = candles[j];
    const pos = (n: number) => {
      const lo = Math.min(...last(n, j).map((k) => k.low)), hi = Math.max(...last(n, j).map((k) => k.high));
      return (c.close - lo) / (hi - lo);
    };
    const v20 = last(20, j).map((k) => k.volume), v5 = last(5, j).map((k) => k.volume);
    const logRet = (i: number) => (i === 0 ? 0 : Math.log(candles[i].close / candles[i - 1].close));
    const lr = (n: number) => Array.from({ length: Math.min(n, j + 1) }, (_, k) => logRet(j - k));
    const expected: Record<string, number> = {
      position_20: pos(20),
      position_50: pos(50),
      volume_rel: c.volume / mean(v20) - 1,
      volume_ratio_5_20: mean(v5) / mean(v20),
      volume_z_20: (c.volume - mean(v20)) / sampleStd(v20),
      volatility_5: sampleStd(lr(5)),
      volatility_20: sampleStd(lr(20)),
      rsi_ma_5: mean(last(5, j).map((k) => k.rsi)),
      momentum_10: c.close / candles[Math.max(0, j - 10)].close - 1,
      momentum_20: c.close / candles[Math.max(0, j - 20)].close - 1,
    };
    for (const [name, value] of Object.entries(expected)) {
      assert.ok(
        Math.abs(f(j, name) - value) <= 1e-5 * Math.max(1, Math.abs(value)),
        `j=${j} ${name}: ${f(j, name)} vs ${value}`,
      );
    }
  }
});

Deno.test("features are written at the requested offset and nowhere else", () => {
  const s = seriesFromCandles("TEST", CANDLES);
  const out = new Float32Array(10 + 2 * FEATURE_COUNT + 10).fill(-7);
  engineerWindow(s, 2, 2, out, 10);
  assert.ok(out.subarray(0, 10).every((v) => v === -7));
  assert.ok(out.subarray(10 + 2 * FEATURE_COUNT).every((v) => v === -7));
  assert.throws(() => engineerWindow(s, 3, 2), RangeError);
});

Deno.test("assertFeaturesFit names the first candle whose features overflow float32, in any chunk", () => {
  const n = 9000; // past the first chunk of 4096, so a chunk boundary is crossed
  const rows = Array.from({ length: n }, (_, i) => {
    const close = 100 + 10 * Math.sin(i / 7);
    return { openTime: i, open: close, high: close + 1, low: close - 1, close, volume: 10 + (i % 5) };
  });
  const s = seriesFromCandles("X", rows);
  computeIndicators(s);
  assertFeaturesFit(s); // finite everywhere
  // Warm-up NaN indicators are missing values, not overflows.
  assertFeaturesFit(seriesFromCandles("X", rows));

  for (
    const [column, i, value, feature] of [
      ["macd", 6000, 1e300, "macd_n"],
      ["ema", 4100, 1e-300, "ema_dist"], // the first candles of the second chunk
      ["rsi", 50, 1e39, "rsi"],
    ] as const
  ) {
    const broken = seriesFromCandles("X", rows);
    computeIndicators(broken);
    broken[column][i] = value;
    assert.throws(() => assertFeaturesFit(broken, (k) => `x.csv line ${k + 2}`), (e: Error) => {
      assert.ok(e instanceof CandleError, e.message);
      assert.equal(
        e.message,
        `x.csv line ${i + 2}: its values make feature ${feature} overflow (not finite in float32); ` +
          "check the candle's magnitudes",
      );
      assert.ok(e.hint);
      return true;
    });
  }
});

Deno.test("volume that stops (or stays constant) gives SPEC §5's zero rules: ratio 1, z-score 0, not sum drift", () => {
  // A busy stretch, then 25 candles of zero volume (a halted market), or of one constant volume.
  for (const tail of [0, 0.1, 1234.56789]) {
    const candles: Candle[] = Array.from({ length: 50 }, (_, i) => ({
      openTime: i,
      open: 100,
      high: 101,
      low: 99,
      close: 100 + (i % 3),
      volume: i < 25 ? 1234.56789 * (1 + 0.37 * Math.sin(i)) : tail,
      ...ind(50, 0.1, 0.1, 0, 100, 50, 50),
    }));
    const f = engineerWindow(seriesFromCandles("HALT", candles), 0, 50);
    const last = (name: string) => f[49 * FEATURE_COUNT + FEATURE_NAMES.indexOf(name)];
    assert.equal(last("volume_z_20"), 0, `tail ${tail}: volume_z_20 (std20 is 0)`);
    assert.equal(last("volume_ratio_5_20"), 1, `tail ${tail}: volume_ratio_5_20 (SMA5 = SMA20)`);
    assert.equal(last("volume_rel"), 0, `tail ${tail}: volume_rel (v = SMA20)`);
  }
});

// Guards SPEC §5's "0.5 when the range is 0" for position_20 and position_50 (a flat market is mid-range).
Deno.test("position_20 and position_50 are 0.5 over flat candles (range 0), the formula elsewhere", () => {
  // 10 moving candles, then 55 identical flat ones (open = high = low = close): a pegged or halted pair.
  const candles: Candle[] = Array.from({ length: 65 }, (_, i) => {
    const close = i < 10 ? 100 + 3 * Math.sin(i) : 100;
    return {
      openTime: i,
      open: close,
      high: i < 10 ? close + 2 : close,
      low: i < 10 ? close - 2 : close,
      close,
      volume: 10,
      ...ind(50, 0, 0, 0, 100, 50, 50),
    };
  });
  const x = engineerWindow(seriesFromCandles("FLAT", candles), 0, 65);
  const f = (j: number, name: string) => x[j * FEATURE_COUNT + FEATURE_NAMES.indexOf(name)];
  // The last 20 candles are flat from j = 29, the last 50 from j = 59.
  for (const j of [29, 40, 58, 59, 64]) assert.equal(f(j, "position_20"), 0.5, `position_20 at ${j}`);
  for (const j of [59, 64]) assert.equal(f(j, "position_50"), 0.5, `position_50 at ${j}`);
  // Where the 50-candle range still holds a moving candle, position_50 is the formula, not 0.5.
  const window = candles.slice(9, 59); // the 50 candles ending at 58: moving candle 9, then flat ones
  const lo = Math.min(...window.map((c) => c.low)), hi = Math.max(...window.map((c) => c.high));
  assert.ok(Math.abs(f(58, "position_50") - (100 - lo) / (hi - lo)) < 1e-6);
  // A window of nothing but flat candles: every candle's position is 0.5, from the first one.
  const allFlat = engineerWindow(seriesFromCandles("FLAT", candles.slice(10)), 0, 55);
  for (let j = 0; j < 55; j++) {
    assert.equal(allFlat[j * FEATURE_COUNT + FEATURE_NAMES.indexOf("position_20")], 0.5);
    assert.equal(allFlat[j * FEATURE_COUNT + FEATURE_NAMES.indexOf("position_50")], 0.5);
  }
});

// Guards momentum_5's lag of 5 candles (the 4-candle fixture clamps every lag to the first candle).
Deno.test("momentum_5 is close/close[t−5]−1 past the fifth candle, close/close[0]−1 before it", () => {
  const closes = Array.from({ length: 30 }, (_, i) => 100 * (1 + 0.03 * i + 0.02 * Math.sin(i * 1.3)));
  const candles: Candle[] = closes.map((close, i) => ({
    openTime: i,
    open: close,
    high: close + 1,
    low: close - 1,
    close,
    volume: 10,
    ...ind(50, 0, 0, 0, 100, 50, 50),
  }));
  const x = engineerWindow(seriesFromCandles("M", candles), 0, 30);
  for (let j = 0; j < 30; j++) {
    const expected = closes[j] / closes[Math.max(0, j - 5)] - 1;
    const actual = x[j * FEATURE_COUNT + FEATURE_NAMES.indexOf("momentum_5")];
    assert.ok(
      Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected)),
      `j=${j}: ${actual} vs ${expected}`,
    );
  }
});
