import assert from "node:assert/strict";
import { computeIndicators, seriesFromCandles, sliceSeries } from "../../features/index.ts";
import { simulateMarket } from "../../features/market_simulator.ts";
import { haveRealData, loadRealSeries } from "../../test/real_data.ts";
import { checkSplitRule, DEFAULT_SPLIT, SplitError, splitSeries } from "./split.ts";

const real = haveRealData();
const HORIZON = 4, LOOKBACK = 20;

async function btc(start: number, count: number) {
  return sliceSeries(await loadRealSeries("BTCUSDT"), start, start + count);
}

const max = (a: Int32Array) => a.reduce((m, v) => Math.max(m, v), -Infinity);
const min = (a: Int32Array) => a.reduce((m, v) => Math.min(m, v), Infinity);

Deno.test({
  name: "fraction split: no label candle of an earlier split reaches a later split's windows",
  ignore: !real,
  async fn() {
    const s = await btc(30_000, 600);
    const p = splitSeries(s, { lookback: LOOKBACK, horizon: HORIZON, rule: DEFAULT_SPLIT });
    // The label of a window ending at t is candle t + horizon.
    assert.ok(max(p.train) + HORIZON < min(p.validation));
    assert.ok(max(p.validation) + HORIZON < min(p.test));
    // Exactly `horizon` windows are dropped before each cut.
    assert.equal(p.purged, 2 * HORIZON);
    // One outage in these 600 candles: the HORIZON windows whose label spans it are left out, and counted.
    assert.equal(p.gapped, HORIZON);
    const total = p.train.length + p.validation.length + p.test.length + p.purged + p.gapped;
    assert.equal(total, 600 - LOOKBACK + 1 - HORIZON);
    assert.ok(Math.abs(p.train.length / total - 0.7) < 0.02);
    assert.ok(Math.abs(p.test.length / total - 0.15) < 0.02);
    assert.equal(p.skipped, 0);
  },
});

Deno.test({
  name: "date split: validation and test start at the dates, train labels end before them",
  ignore: !real,
  async fn() {
    const all = await loadRealSeries("BTCUSDT");
    const d1 = Date.parse("2022-01-01T00:00:00Z"), d2 = Date.parse("2022-01-10T00:00:00Z");
    const startIndex = all.openTime.findIndex((t) => t >= d1) - 300;
    const s = sliceSeries(all, startIndex, startIndex + 600);
    const p = splitSeries(s, {
      lookback: LOOKBACK,
      horizon: HORIZON,
      rule: { kind: "dates", validationStart: d1, testStart: d2 },
    });
    assert.ok(p.train.every((t) => s.openTime[t + HORIZON] < d1));
    assert.ok(p.validation.every((t) => s.openTime[t] >= d1 && s.openTime[t + HORIZON] < d2));
    assert.ok(p.test.every((t) => s.openTime[t] >= d2));
    assert.equal(s.openTime[min(p.validation)], d1);
    assert.equal(s.openTime[min(p.test)], d2);
    assert.equal(p.purged, 2 * HORIZON);
  },
});

Deno.test({
  name: "since keeps only windows labelled after the given time",
  ignore: !real,
  async fn() {
    const s = await btc(30_000, 600);
    const since = s.openTime[400];
    const p = splitSeries(s, { lookback: LOOKBACK, horizon: HORIZON, rule: DEFAULT_SPLIT, since });
    for (const part of [p.train, p.validation, p.test]) {
      assert.ok(part.every((t) => s.openTime[t + HORIZON] > since));
    }
    assert.equal(min(p.train), 400 - HORIZON + 1);
  },
});

Deno.test("windows with warm-up indicators are skipped and counted", async () => {
  if (!real) return;
  const s = await btc(0, 300); // the first 49 candles of the history have no indicators
  const p = splitSeries(s, { lookback: LOOKBACK, horizon: HORIZON, rule: DEFAULT_SPLIT });
  assert.ok(p.skipped > 0);
  assert.ok(min(p.train) - LOOKBACK + 1 >= 49);
});

Deno.test({
  name:
    "real data: windows whose label spans Binance's 2018-02-08 outage are left out of every split and counted",
  ignore: !real,
  async fn() {
    const all = await loadRealSeries("BTCUSDT");
    // 33 candles are missing after 2018-02-08 00:00 (collect's gap report on this file).
    const before = all.openTime.indexOf(Date.parse("2018-02-08T00:00:00Z"));
    assert.equal(all.openTime[before + 1] - all.openTime[before], 34 * 3600_000);
    const s = sliceSeries(all, before - 300, before + 300);
    const p = splitSeries(s, { lookback: LOOKBACK, horizon: HORIZON, rule: DEFAULT_SPLIT });
    const hour = 3600_000;
    for (const part of [p.train, p.validation, p.test]) {
      assert.ok(part.every((t) => s.openTime[t + HORIZON] - s.openTime[t] === HORIZON * hour));
    }
    // The HORIZON windows ending on the last HORIZON candles before the gap.
    assert.equal(p.gapped, HORIZON);
    const total = p.train.length + p.validation.length + p.test.length + p.purged + p.gapped;
    assert.equal(total, 600 - LOOKBACK + 1 - HORIZON - p.skipped);
  },
});

Deno.test("bad split rules are refused", () => {
  assert.throws(() => checkSplitRule({ kind: "fractions", train: 0.9, validation: 0.1 }), SplitError);
  assert.throws(() => checkSplitRule({ kind: "dates", validationStart: 5, testStart: 5 }), SplitError);
  checkSplitRule(DEFAULT_SPLIT);
});

Deno.test("dates on candles without open times: exit 2 naming --split-dates, with a hint (there was none, exit 1)", () => {
  const s = seriesFromCandles(
    "SIMUSDT",
    simulateMarket({ seed: 3, start: 0, intervalMs: 3_600_000, count: 200, startPrice: 100, baseVolume: 50 }),
  );
  computeIndicators(s);
  const untimed = { ...s, openTime: s.openTime.map(() => NaN) };
  assert.throws(
    () =>
      splitSeries(untimed, {
        lookback: LOOKBACK,
        horizon: HORIZON,
        rule: { kind: "dates", validationStart: 1, testStart: 2 },
      }),
    (e: Error) =>
      e instanceof SplitError && e.exitCode === 2 &&
      /^SIMUSDT: some candles have no open_time, which --split-dates needs$/.test(e.message) &&
      /leave --split-dates out \(fractions need no times\)$/.test(e.hint ?? ""),
  );
  // Fractions need no times.
  splitSeries(untimed, { lookback: LOOKBACK, horizon: HORIZON, rule: DEFAULT_SPLIT });
});
