import assert from "node:assert/strict";
import { candleAt, type CandleSeries, seriesFromCandles } from "./candles.ts";
import { computeIndicators } from "./indicators.ts";
import { engineerWindow, FEATURE_COUNT } from "./engineer.ts";
import { windowBatch, windowBatches, windowEnds } from "./windows.ts";
import { haveRealData, loadAllRealSeries, loadRealSeries } from "../test/real_data.ts";

function synthetic(n: number): CandleSeries {
  let price = 100;
  const candles = Array.from({ length: n }, (_, i) => {
    const open = price;
    price *= 1 + 0.01 * Math.sin(i * 1.7) + 0.002 * Math.cos(i * 0.3);
    return {
      openTime: i * 3600_000,
      open,
      high: Math.max(open, price) * 1.003,
      low: Math.min(open, price) * 0.997,
      close: price,
      volume: 10 + (i % 7),
    };
  });
  const s = seriesFromCandles("SYN", candles);
  computeIndicators(s);
  return s;
}

Deno.test("window ends skip the indicators' warm-up and windows without a label candle", () => {
  const s = synthetic(200);
  const { ends, skipped } = windowEnds(s, { lookback: 50, horizon: 4 });
  // EMA(50) is the last indicator to start (index 49): the first complete window ends at 49 + 49.
  assert.equal(ends[0], 49 + 49);
  assert.equal(ends[ends.length - 1], 199 - 4);
  assert.equal(ends.length, 199 - 4 - 98 + 1);
  assert.equal(skipped, 98 - 49);
  const ranged = windowEnds(s, { lookback: 50, horizon: 4, from: 100, to: 150 }).ends;
  assert.deepEqual([ranged[0], ranged[ranged.length - 1]], [100, 149]);
});

Deno.test("a gap in indicators (a missing value mid-series) excludes every window containing it", () => {
  const s = synthetic(200);
  s.rsi[120] = NaN;
  const { ends } = windowEnds(s, { lookback: 50, horizon: 0 });
  for (const t of ends) assert.ok(t < 120 || t >= 120 + 50, `window ending at ${t} contains candle 120`);
});

Deno.test("a window whose label candle lies past missing candles is left out and counted, not mislabelled", () => {
  const s = synthetic(200);
  // Candles 150… open 30 hours late: an exchange outage between candle 149 and candle 150.
  for (let i = 150; i < s.length; i++) s.openTime[i] += 30 * 3600_000;
  const { ends, skipped, gapped } = windowEnds(s, { lookback: 50, horizon: 4 });
  // Windows ending at 146…149 would classify a 34-hour return as a 4-candle one.
  assert.deepEqual([146, 147, 148, 149].filter((t) => ends.includes(t)), []);
  assert.ok(ends.includes(145) && ends.includes(150), "the windows either side of the gap stay");
  assert.equal(gapped, 4);
  assert.equal(skipped, 98 - 49);
  assert.equal(ends.length, 199 - 4 - 98 + 1 - 4);
  // Serving has no label: every window stays.
  assert.equal(windowEnds(s, { lookback: 50, horizon: 0 }).gapped, 0);
  // Without open times a gap cannot be seen, and no window is left out for one.
  s.openTime.fill(NaN);
  assert.equal(windowEnds(s, { lookback: 50, horizon: 4 }).gapped, 0);
  assert.equal(windowEnds(s, { lookback: 50, horizon: 4 }).ends.length, 199 - 4 - 98 + 1);
});

// Guards the gap rule counting a single missing candle (the commonest hourly outage), not only long ones.
Deno.test("ONE missing candle inside a window's label horizon leaves that window out; others stay", () => {
  const s = synthetic(200);
  // The candle between 149 and 150 is missing: candles 150… open one hour later than the grid's next slot.
  for (let i = 150; i < s.length; i++) s.openTime[i] += 3600_000;
  const { ends, skipped, gapped } = windowEnds(s, { lookback: 50, horizon: 4 });
  // Windows ending at 146…149 have a label candle 5 hours (not 4 candles) ahead.
  assert.deepEqual([146, 147, 148, 149].filter((t) => ends.includes(t)), []);
  assert.equal(gapped, 4);
  // 145's label candle is 149 (no gap in between); 150 and later lie wholly after the gap.
  assert.ok(ends.includes(145) && ends.includes(150) && ends.includes(195));
  assert.equal(skipped, 98 - 49);
  assert.equal(ends.length, 199 - 4 - 98 + 1 - 4);
});

Deno.test("batches are lazy, cover every window once, and equal windowBatch on the same ends", () => {
  const s = synthetic(300);
  const { ends } = windowEnds(s, { lookback: 50, horizon: 4 });
  const seen: number[] = [];
  for (const b of windowBatches(s, { lookback: 50, horizon: 4, batchSize: 64 })) {
    assert.ok(b.size <= 64);
    assert.equal(b.x.length, b.size * 50 * FEATURE_COUNT);
    seen.push(...b.ends);
  }
  assert.deepEqual(seen, [...ends]);
  const one = windowBatch(s, [ends[10]], 50, 4);
  const again = [...windowBatches(s, { lookback: 50, horizon: 4, batchSize: 64 })][0];
  assert.deepEqual(one.x, again.x.subarray(10 * 50 * FEATURE_COUNT, 11 * 50 * FEATURE_COUNT));
  assert.equal(one.label[0], again.label[10]);
});

Deno.test({
  name: "real data: a window cut from the long series equals the same candles passed alone (bit for bit)",
  ignore: !haveRealData(),
  fn: async () => {
    for (const symbol of ["BTCUSDT", "SOLUSDT"]) {
      const s = await loadRealSeries(symbol);
      const { ends } = windowEnds(s, { lookback: 50, horizon: 0 });
      for (let k = 0; k < 200; k++) {
        const t = ends[Math.floor((k / 200) * ends.length)];
        const alone = seriesFromCandles(
          symbol,
          Array.from({ length: 50 }, (_, j) => candleAt(s, t - 49 + j)),
        );
        assert.deepEqual(
          engineerWindow(s, t - 49, 50),
          engineerWindow(alone, 0, 50),
          `${symbol} window ending at ${t}`,
        );
      }
    }
  },
});

Deno.test({
  name: "real data: every window of all five 1h series has finite features (gaps, zero volume, flat bars)",
  ignore: !haveRealData(),
  fn: async () => {
    const all = await loadAllRealSeries();
    let windows = 0;
    for (const s of all) {
      for (const b of windowBatches(s, { lookback: 50, horizon: 4, batchSize: 4096 })) {
        for (let i = 0; i < b.x.length; i++) {
          if (!Number.isFinite(b.x[i])) {
            const w = Math.floor(i / (50 * FEATURE_COUNT));
            assert.fail(
              `${s.symbol}: feature ${i % FEATURE_COUNT} of the window ending at ${b.ends[w]} is ${b.x[i]}`,
            );
          }
        }
        for (let i = 0; i < b.size; i++) assert.ok(Number.isFinite(b.forwardReturn[i]));
        windows += b.size;
      }
    }
    assert.ok(windows > 240_000, `expected ~244k windows, got ${windows}`);
  },
});
