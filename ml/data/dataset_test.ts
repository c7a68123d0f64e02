import assert from "node:assert/strict";
import {
  type CandleSeries,
  emptySeries,
  FEATURE_NAMES,
  ScalerFitter,
  SERIES_COLUMNS,
  sliceSeries,
  windowBatch,
} from "../../features/index.ts";
import { haveRealData, loadRealSeries } from "../../test/real_data.ts";
import { DatasetError, prepareDataset, prepareDatasetAsync } from "./dataset.ts";
import { DEFAULT_SPLIT } from "./split.ts";
import { classCounts } from "./class_weights.ts";
import { epochOrder, evaluationOrder, modelBatches } from "./batches.ts";
import { seededRng } from "../../features/rng.ts";
import { SYNTHETIC_START, syntheticSeries } from "../../test/evaluation.ts";

const real = haveRealData();
const SHAPE = { lookback: 20, horizon: 4, labelRule: { kind: "volatility", multiplier: 0.5 } } as const;

/** A private copy, so a test may change candles without touching the cached series. */
function copyOf(s: CandleSeries): CandleSeries {
  const c = emptySeries(s.symbol, s.length);
  c.openTime.set(s.openTime);
  for (const col of SERIES_COLUMNS) c[col].set(s[col]);
  return c;
}

async function twoSymbols(): Promise<CandleSeries[]> {
  return [
    copyOf(sliceSeries(await loadRealSeries("BTCUSDT"), 40_000, 40_400)),
    copyOf(sliceSeries(await loadRealSeries("ETHUSDT"), 40_000, 40_300)),
  ];
}

Deno.test({
  name: "the scaler, return scale and class weights come from the training split only",
  ignore: !real,
  async fn() {
    const series = await twoSymbols();
    const d = prepareDataset(series, { ...SHAPE, split: DEFAULT_SPLIT });
    // Refit by hand over the training windows only.
    const fitter = new ScalerFitter(FEATURE_NAMES);
    for (let i = 0; i < d.train.size; i++) {
      const s = series[d.train.seriesIndex[i]];
      fitter.add(windowBatch(s, [d.train.ends[i]], SHAPE.lookback, SHAPE.horizon, SHAPE.labelRule).x);
    }
    const expected = fitter.finish();
    d.scaler.mean.forEach((m, k) => assert.ok(Math.abs(m - expected.mean[k]) < 1e-9 * (1 + Math.abs(m))));
    assert.deepEqual(d.trainClassCounts, classCounts(d.train.labels));

    // Wrecking every candle from the first validation window's last candle on (validation windows look back
    // into training candles, which is fine) changes nothing the training split produced.
    for (let k = 0; k < series.length; k++) {
      const s = series[k];
      const from = d.validation.ends[d.validation.seriesIndex.indexOf(k)];
      for (let i = from; i < s.length; i++) {
        for (const col of ["open", "high", "low", "close"] as const) s[col][i] *= 3;
        s.volume[i] *= 7;
        s.rsi[i] = 100 - s.rsi[i];
      }
    }
    const wrecked = prepareDataset(series, { ...SHAPE, split: DEFAULT_SPLIT });
    assert.deepEqual(wrecked.scaler, d.scaler);
    assert.deepEqual(wrecked.returnScale, d.returnScale);
    assert.deepEqual(wrecked.trainClassCounts, d.trainClassCounts);
    assert.deepEqual(wrecked.train.labels, d.train.labels);
  },
});

Deno.test({
  name: "a given scaler and return scale are kept as they are (fine-tuning)",
  ignore: !real,
  async fn() {
    const series = await twoSymbols();
    const base = prepareDataset(series, { ...SHAPE, split: DEFAULT_SPLIT });
    const scaler = { ...base.scaler, mean: base.scaler.mean.map((m) => m + 1) };
    const returnScale = { mean: 0.5, std: 2 };
    const d = prepareDataset(series, { ...SHAPE, split: DEFAULT_SPLIT, scaler, returnScale });
    assert.equal(d.scaler, scaler);
    assert.equal(d.returnScale, returnScale);
  },
});

Deno.test({
  name: "batches: seeded order, scaled and clipped inputs, standardised targets",
  ignore: !real,
  async fn() {
    const series = await twoSymbols();
    const d = prepareDataset(series, { ...SHAPE, split: DEFAULT_SPLIT });
    const a = epochOrder(d.train.size, seededRng(7)), b = epochOrder(d.train.size, seededRng(7));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, epochOrder(d.train.size, seededRng(8)));
    assert.equal(epochOrder(d.train.size, seededRng(7), 50).length, 50);
    assert.deepEqual([...evaluationOrder(10, seededRng(1))], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    const scaling = { scaler: d.scaler, clip: 3, returnScale: d.returnScale };
    let seen = 0;
    for (const batch of modelBatches(d.train, a, 64, SHAPE, scaling)) {
      assert.ok(batch.x.every((v) => Math.abs(v) <= 3));
      batch.picks.forEach((pick, j) => {
        assert.equal(batch.labels[j], d.train.labels[pick]);
        assert.equal(batch.returns[j], d.train.returns[pick]);
        const z = (d.train.returns[pick] - d.returnScale.mean) / d.returnScale.std;
        assert.ok(Math.abs(batch.target[j] - Math.max(-3, Math.min(3, z))) < 1e-6);
      });
      seen += batch.size;
    }
    assert.equal(seen, d.train.size);
  },
});

Deno.test("an empty split is an error that says what to do", () => {
  const s = emptySeries("X", 10);
  // The reason in the message, what to do in the hint the command prints.
  assert.throws(
    () => prepareDataset([s], { ...SHAPE, split: DEFAULT_SPLIT }),
    (e: DatasetError) => /no windows/.test(e.message) && /more data/.test(e.hint ?? ""),
  );
  // No candles at all (a header-only CSV): not a window length to shrink (the hint said "a smaller --lookback").
  assert.throws(
    () => prepareDataset([emptySeries("X", 0)], { ...SHAPE, split: DEFAULT_SPLIT }),
    (e: DatasetError) =>
      /holds no candles: fill the CSV with 'candlecast collect'/.test(e.hint ?? "") &&
      !/lookback/.test(e.hint ?? ""),
  );
  // A horizon longer than the data: the horizon is what to shrink (the hint said "a smaller --lookback").
  assert.throws(
    () => prepareDataset([emptySeries("X", 100)], { ...SHAPE, horizon: 3000, split: DEFAULT_SPLIT }),
    (e: DatasetError) => /use a smaller --horizon or more data$/.test(e.hint ?? ""),
  );
});

Deno.test("candles that are all warm-up or too few past it say how many a symbol needs, not just 'use more data'", () => {
  // 80 candles a symbol: longer than a window (50 + 4), but EMA(50) has no value for the first 49, so no
  // window is free of warm-up. Before: hint "use more data".
  const series = syntheticSeries(4).map((s) => sliceSeries(s, 0, 80));
  assert.throws(
    () => prepareDataset(series, { ...SHAPE, lookback: 50, split: DEFAULT_SPLIT }),
    (e: DatasetError) => {
      assert.match(e.message, /^the training split has no windows \(2 symbols, 160 candles\)$/);
      assert.equal(
        e.hint,
        "every window holds a candle still in the indicators' warm-up (a symbol's first 49 candles, before " +
          "EMA(50), MACD and the stochastics have their history): a symbol's first window needs 103 candles, " +
          "and the training, validation and test splits many more (the longest symbol has 80); collect more",
      );
      assert.equal(e.exitCode, 1);
      return true;
    },
  );
  // 103 give each symbol a window; 133 give the three splits one each (below).
  const one = syntheticSeries(4).map((s) => sliceSeries(s, 0, 103));
  assert.throws(
    () => prepareDataset(one, { ...SHAPE, lookback: 50, split: DEFAULT_SPLIT }),
    (e: DatasetError) =>
      /a symbol needs at least 133 candles, and the longest has 103; collect more$/.test(e.hint!),
  );
  const enough = syntheticSeries(10).map((s) => sliceSeries(s, 0, 240));
  assert.ok(prepareDataset(enough, { ...SHAPE, lookback: 50, split: DEFAULT_SPLIT }).train.labels.length > 0);
});

Deno.test("windows too few for the split fractions to give validation one say how many candles a symbol needs", () => {
  // User trial: 1 symbol, 120 candles, lookback 50 → 18 windows, a training split, no validation window (the 4
  // windows before each cut are dropped). Before: hint "use more data".
  const at = (candles: number) =>
    prepareDataset(syntheticSeries(10).slice(0, 1).map((s) => sliceSeries(s, 0, candles)), {
      ...SHAPE,
      lookback: 50,
      split: DEFAULT_SPLIT,
    });
  assert.throws(() => at(120), (e: DatasetError) => {
    assert.equal(e.message, "the validation split has no windows (1 symbol, 120 candles)");
    assert.equal(
      e.hint,
      "each of the training, validation and test splits needs a window, and the 4 windows before each cut are " +
        "dropped (their labels look past it): at --lookback 50 and --horizon 4 a symbol needs at least 133 " +
        "candles, and the longest has 120; collect more",
    );
    assert.equal(e.exitCode, 1);
    return true;
  });
  assert.throws(
    () => at(132),
    (e: DatasetError) => /needs at least 133 candles, and the longest has 132/.test(e.hint!),
  );
  const enough = at(133);
  assert.ok(enough.validation.size > 0 && enough.test.size > 0, "the number named is enough");
});

Deno.test("split dates that leave the training split inside the warm-up are the flag's error, naming a date that works", () => {
  // Indicators need ~33 candles of history and the window 20 more: a validation start a day in passed the
  // data-span check, then failed as a runtime error (exit 1) saying only "use more data or other split dates".
  const series = syntheticSeries(20);
  const DAY = 86_400_000;
  const split = {
    kind: "dates",
    validationStart: SYNTHETIC_START + DAY,
    testStart: SYNTHETIC_START + 10 * DAY,
  } as const;
  let earliest = "";
  assert.throws(
    () => prepareDataset(series, { ...SHAPE, split }),
    (e: DatasetError) => {
      earliest = /validation start of (\d{4}-\d\d-\d\d) or later in --split-dates/.exec(e.hint ?? "")?.[1] ??
        "";
      return /the training split has no windows/.test(e.message) && e.exitCode === 2;
    },
  );
  assert.equal(earliest, "2023-06-09");
  // The date it names leaves a training window; the day before does not.
  const at = Date.parse(`${earliest}T00:00Z`);
  assert.ok(
    prepareDataset(series, { ...SHAPE, split: { ...split, validationStart: at } }).train.labels.length > 0,
  );
  assert.throws(() => prepareDataset(series, { ...SHAPE, split: { ...split, validationStart: at - DAY } }));
  // No candles at all stays the data's error (exit 1), whatever the flags.
  assert.throws(
    () => prepareDataset([emptySeries("X", 0)], { ...SHAPE, split }),
    (e: DatasetError) => e.exitCode === 1,
  );
});

Deno.test({
  name: "candles on a schedule (closed at weekends) leave no window, and the error says why",
  ignore: !real,
  async fn() {
    // Daily candles with the weekend missing, as a stock exchange's would be: every 5-candle label spans a
    // Saturday and a Sunday.
    const btc = sliceSeries(await loadRealSeries("BTCUSDT"), 40_000, 41_000);
    const days = copyOf(btc);
    for (let i = 0; i < days.length; i++) {
      const week = Math.floor(i / 5), weekday = i % 5;
      days.openTime[i] = Date.UTC(2021, 0, 4) + (week * 7 + weekday) * 86_400_000;
    }
    assert.throws(
      () => prepareDataset([days], { ...SHAPE, horizon: 5, split: DEFAULT_SPLIT }),
      (e: DatasetError) =>
        /no windows .*left out: candles missing before the label candle/.test(e.message) &&
        // Before: the warm-up's hint, "a symbol's first window needs 103 candles … collect more", on 1,000.
        /^the candles skip times of their interval .*: fill the holes .* or use a longer interval/.test(
          e.hint!,
        ),
    );
  },
});

Deno.test({
  name: "fractions cut every symbol at the same dates: none is trained on months another is tested on",
  ignore: !real,
  async fn() {
    // ETH's candles start 200 hours after BTC's and end with them. Cut per symbol (before), ETH's first 70 %
    // ran into the hours of BTC's test windows.
    const btc = copyOf(sliceSeries(await loadRealSeries("BTCUSDT"), 40_000, 40_600));
    const eth = copyOf(sliceSeries(await loadRealSeries("ETHUSDT"), 40_200, 40_600));
    const d = prepareDataset([btc, eth], { ...SHAPE, split: DEFAULT_SPLIT });
    assert.ok(d.cuts, "series with open times are cut at dates");
    const { validationStart, testStart } = d.cuts;
    const times = (set: typeof d.train) =>
      Array.from(set.ends, (t, i) => set.series[set.seriesIndex[i]].openTime[t]);
    const labelTimes = (set: typeof d.train) =>
      Array.from(set.ends, (t, i) => set.series[set.seriesIndex[i]].openTime[t + SHAPE.horizon]);
    assert.ok(Math.max(...labelTimes(d.train)) < validationStart);
    assert.ok(Math.min(...times(d.validation)) >= validationStart);
    assert.ok(Math.max(...labelTimes(d.validation)) < testStart);
    assert.ok(Math.min(...times(d.test)) >= testStart);
    // Both symbols are tested, on the same hours; the pooled shares stay near 70 / 15 / 15.
    assert.ok(d.symbols.every((s) => s.test > 0 && s.validation > 0 && s.train > 0));
    const total = d.train.size + d.validation.size + d.test.size;
    assert.ok(Math.abs(d.train.size / total - 0.7) < 0.02, `train share ${d.train.size / total}`);
    assert.ok(Math.abs(d.test.size / total - 0.15) < 0.02, `test share ${d.test.size / total}`);
    // Without open times there is nothing to cut by: each symbol by its own fractions, as before.
    const timeless = [btc, eth].map((s) => {
      const c = copyOf(s);
      c.openTime.fill(NaN);
      return c;
    });
    const own = prepareDataset(timeless, { ...SHAPE, split: DEFAULT_SPLIT });
    assert.equal(own.cuts, undefined);
  },
});

Deno.test("prepareDatasetAsync labels exactly as prepareDataset, and stops when its signal is aborted", async () => {
  // 500 days: labelling takes ~0.5 s, so the event loop turns during it (a timer turn every 250 ms).
  const series = syntheticSeries(500);
  const opts = { ...SHAPE, split: DEFAULT_SPLIT };
  const chunks: number[] = [];
  const steps = await prepareDatasetAsync(series, { ...opts, progress: (done) => chunks.push(done) });
  const sync = prepareDataset(series, opts);
  for (const name of ["train", "validation", "test"] as const) {
    assert.deepEqual(steps[name].labels, sync[name].labels, `${name} labels`);
    assert.deepEqual(steps[name].returns, sync[name].returns, `${name} returns`);
    assert.deepEqual(steps[name].ends, sync[name].ends, `${name} windows`);
  }
  assert.deepEqual(steps.scaler, sync.scaler);
  assert.deepEqual(steps.returnScale, sync.returnScale);
  assert.deepEqual(steps.symbols, sync.symbols);
  assert.deepEqual(chunks, Array.from({ length: chunks.length }, (_, k) => k + 1));

  const stop = new AbortController();
  stop.abort();
  await assert.rejects(
    prepareDatasetAsync(series, { ...opts, signal: stop.signal }),
    (e) => e === stop.signal.reason,
  );
});
