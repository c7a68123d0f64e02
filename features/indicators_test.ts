import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { type CandleSeries, emptySeries, INDICATOR_COLUMNS } from "./candles.ts";
import {
  computeIndicators,
  ema,
  fillMissingIndicators,
  indicatorsOf,
  macd,
  rsi,
  stochastic,
  zeroFilledIndicators,
} from "./indicators.ts";
import { seededRng } from "./rng.ts";
import { sharedAvailable, sharedPath } from "../test/shared.ts";

const FIXTURES = "fixtures/indicators/";
const haveFixtures = sharedAvailable(FIXTURES + "input.csv");

function readColumns(file: string): Record<string, number[]> {
  const rows: Record<string, string>[] = parse(readFileSync(sharedPath(FIXTURES + file), "utf8"), {
    columns: true,
  });
  const columns: Record<string, number[]> = {};
  for (const key of Object.keys(rows[0])) {
    columns[key] = rows.map((r) => (r[key] === "" ? NaN : Number(r[key])));
  }
  return columns;
}

/**
 * Every value of every column must match TA-Lib: same warm-up (NaN exactly where TA-Lib is empty) and
 * values within the README's tolerance (absolute, or relative for the price-scaled EMA/MACD).
 */
function assertMatches(name: string, actual: Float64Array, expected: number[], abs: number, relTol = 0) {
  assert.equal(actual.length, expected.length, `${name}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i])) {
      assert.ok(Number.isNaN(actual[i]), `${name}[${i}]: TA-Lib has no value yet, we gave ${actual[i]}`);
      continue;
    }
    const diff = Math.abs(actual[i] - expected[i]);
    const ok = diff <= abs || (relTol > 0 && diff <= relTol * Math.abs(expected[i]));
    assert.ok(ok, `${name}[${i}]: ${actual[i]} vs TA-Lib ${expected[i]} (diff ${diff})`);
  }
}

function firstValid(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) return i;
  return -1;
}

const input = haveFixtures ? readColumns("input.csv") : {};

Deno.test({ name: "RSI(14) equals TA-Lib on every candle", ignore: !haveFixtures }, () => {
  const expected = readColumns("talib_rsi14.csv");
  const actual = rsi(input.close, 14);
  assert.equal(firstValid(actual), 14);
  assertMatches("rsi", actual, expected.rsi, 1e-9);
});

Deno.test({ name: "EMA(50) equals TA-Lib on every candle", ignore: !haveFixtures }, () => {
  const expected = readColumns("talib_ema50.csv");
  const actual = ema(input.close, 50);
  assert.equal(firstValid(actual), 49);
  assertMatches("ema", actual, expected.ema, 1e-8, 1e-12);
});

Deno.test({
  name: "MACD(12,26,9) equals TA-Lib on every candle, including its seeding",
  ignore: !haveFixtures,
}, () => {
  const expected = readColumns("talib_macd_12_26_9.csv");
  const actual = macd(input.close, 12, 26, 9);
  for (const col of [actual.macd, actual.signal, actual.hist]) assert.equal(firstValid(col), 33);
  assertMatches("macd", actual.macd, expected.macd, 1e-8, 1e-12);
  assertMatches("signal", actual.signal, expected.signal, 1e-8, 1e-12);
  assertMatches("hist", actual.hist, expected.hist, 1e-8, 1e-12);
});

Deno.test({ name: "slow Stochastic(14,3,3) equals TA-Lib on every candle", ignore: !haveFixtures }, () => {
  const expected = readColumns("talib_stoch_14_3_3.csv");
  const actual = stochastic(input.high, input.low, input.close, 14, 3, 3);
  assert.equal(firstValid(actual.k), 17);
  assert.equal(firstValid(actual.d), 17);
  assertMatches("slowk", actual.k, expected.slowk, 1e-9);
  assertMatches("slowd", actual.d, expected.slowd, 1e-9);
});

Deno.test({
  name: "every indicator is TA-Lib's double to the bit on the fixtures (%.17g), the stochastic's SMAs too",
  ignore: !haveFixtures,
}, () => {
  // Before: slowK and slowD summed their SMA's window in another order than TA_INT_SMA and differed from
  // TA-Lib by up to 2.6e-13 on 561 of 583 candles (the tolerance above let it pass).
  const stoch = stochastic(input.high, input.low, input.close, 14, 3, 3);
  const m = macd(input.close, 12, 26, 9);
  const columns: [string, Float64Array, number[]][] = [
    ["rsi", rsi(input.close, 14), readColumns("talib_rsi14.csv").rsi],
    ["ema", ema(input.close, 50), readColumns("talib_ema50.csv").ema],
    ["macd", m.macd, readColumns("talib_macd_12_26_9.csv").macd],
    ["signal", m.signal, readColumns("talib_macd_12_26_9.csv").signal],
    ["hist", m.hist, readColumns("talib_macd_12_26_9.csv").hist],
    ["slowk", stoch.k, readColumns("talib_stoch_14_3_3.csv").slowk],
    ["slowd", stoch.d, readColumns("talib_stoch_14_3_3.csv").slowd],
  ];
  for (const [name, actual, expected] of columns) {
    const off = expected.flatMap((v, i) => (Object.is(actual[i], v) ? [] : [i]));
    assert.deepEqual(off, [], `${name}: not TA-Lib's double at ${off.length} candles, first ${off[0]}`);
  }
});

Deno.test("indicators on a series shorter than their warm-up are all NaN, not errors", () => {
  const close = [1, 2, 3, 4, 5];
  for (const values of [rsi(close), ema(close), macd(close).macd, stochastic(close, close, close).k]) {
    assert.equal(values.length, 5);
    assert.ok(values.every(Number.isNaN));
  }
});

Deno.test("RSI is 0 on a flat series (TA-Lib's convention when gain + loss = 0)", () => {
  const values = rsi(new Array(30).fill(100));
  assert.equal(values[14], 0);
  assert.equal(values[29], 0);
});

Deno.test("RSI keeps its ratio through a long flat stretch: gain + loss is tested against 0, not a price band", () => {
  // One tick up at 1.0000, then 400 flat candles (a stablecoin overnight): the averages decay by 13/14 a candle
  // and pass TA-Lib's ±1e-14 band after ~275 candles, its ±1e-8 one after ~89; the ratio stays 100 here.
  const close = Array.from({ length: 420 }, (_, i) => (i < 20 ? 1 : 1.0001));
  const values = rsi(close);
  assert.equal(values[100], 100);
  assert.equal(values[419], 100);
  // A series quoted near 1e-8 moves by ~1e-10: under TA-Lib's old ±1e-8 band it read 0 throughout.
  const tiny = Array.from({ length: 60 }, (_, i) => 1e-8 * (1 + 0.01 * Math.sin(i)));
  assert.ok(rsi(tiny).slice(14).every((v) => v > 0 && v < 100));
});

Deno.test("Stochastic fastK is 0 when the 14-bar range is 0", () => {
  const flat = new Array(30).fill(7);
  const { k, d } = stochastic(flat, flat, flat);
  assert.equal(k[20], 0);
  assert.equal(d[20], 0);
});

/** MACD as it was computed before its columns were worked out in place: four temporaries. */
function macdWithTemporaries(close: ArrayLike<number>, fast = 12, slow = 26, signal = 9) {
  const n = close.length;
  const out = {
    macd: new Float64Array(n).fill(NaN),
    signal: new Float64Array(n).fill(NaN),
    hist: new Float64Array(n).fill(NaN),
  };
  const start = slow - 1;
  const first = start + signal - 1;
  if (n <= first) return out;
  const emaFrom = (
    values: ArrayLike<number>,
    period: number,
    at: number,
    seed: number,
    into: Float64Array,
  ) => {
    const k = 2 / (period + 1);
    let prev = seed;
    into[at] = prev;
    for (let i = at + 1; i < values.length; i++) into[i] = prev = (values[i] - prev) * k + prev;
  };
  const mean = (values: ArrayLike<number>, from: number, to: number) => {
    let sum = 0;
    for (let i = from; i < to; i++) sum += values[i];
    return sum / (to - from);
  };
  const fastEma = new Float64Array(n).fill(NaN);
  const slowEma = new Float64Array(n).fill(NaN);
  emaFrom(close, slow, start, mean(close, 0, slow), slowEma);
  emaFrom(close, fast, start, mean(close, start - fast + 1, start + 1), fastEma);
  const line = new Float64Array(n);
  for (let i = start; i < n; i++) line[i] = fastEma[i] - slowEma[i];
  const signalLine = new Float64Array(n).fill(NaN);
  emaFrom(line, signal, first, mean(line, start, first + 1), signalLine);
  for (let i = first; i < n; i++) {
    out.macd[i] = line[i];
    out.signal[i] = signalLine[i];
    out.hist[i] = line[i] - signalLine[i];
  }
  return out;
}

Deno.test("each indicator writes into the columns it is given, allocating no full-length column of its own", () => {
  const close = Array.from({ length: 100 }, (_, i) => 100 + Math.sin(i / 5) * 10);
  const column = () => new Float64Array(100).fill(42);
  for (const f of [rsi, ema]) {
    const out = column();
    assert.equal(f(close, 14, out), out);
    assert.ok(Number.isNaN(out[0]) && !Number.isNaN(out[99]));
  }
  const m = { macd: column(), signal: column(), hist: column() };
  const got = macd(close, 12, 26, 9, m);
  assert.ok(got.macd === m.macd && got.signal === m.signal && got.hist === m.hist);
  const st = { k: column(), d: column() };
  const k = stochastic(close, close, close, 14, 3, 3, st);
  assert.ok(k.k === st.k && k.d === st.d);
});

Deno.test("computeIndicators fills a series' columns in place with exactly the values indicatorsOf returns", () => {
  const random = seededRng(7);
  for (const n of [0, 5, 33, 34, 35, 500]) {
    const s = emptySeries("X", n);
    let price = 100;
    for (let i = 0; i < n; i++) {
      price *= 1 + (random() - 0.5) * 0.02;
      s.close[i] = price;
      s.high[i] = price * (1 + random() * 0.01);
      s.low[i] = price * (1 - random() * 0.01);
    }
    // What the columns held before (a C# export's values, another run's) is overwritten, the warm-up too.
    for (const col of INDICATOR_COLUMNS) s[col].fill(42);
    computeIndicators(s);
    const expected = indicatorsOf(s);
    for (const col of INDICATOR_COLUMNS) {
      s[col].forEach((v, i) => assert.ok(Object.is(v, expected[col][i]), `n=${n} ${col}[${i}]: ${v}`));
    }
    // The in-place MACD gives bit for bit what the one with temporaries gave (the CSVs written do not change).
    const before = macdWithTemporaries(s.close);
    for (const key of ["macd", "signal", "hist"] as const) {
      before[key].forEach((v, i) =>
        assert.ok(
          Object.is(v, s[key === "macd" ? "macd" : key === "signal" ? "macdSignal" : "macdHist"][i]),
          `n=${n} ${key}[${i}]`,
        )
      );
    }
  }
});

/** 120 candles of a seeded random walk (±1 % a candle, wicks within 1 %), for indicators that move. */
function movingSeries(seed: number): CandleSeries {
  const random = seededRng(seed);
  const s = emptySeries("X", 120);
  let price = 100;
  for (let i = 0; i < s.length; i++) {
    price *= 1 + (random() - 0.5) * 0.02;
    s.close[i] = price;
    s.high[i] = price * (1 + random() * 0.01);
    s.low[i] = price * (1 - random() * 0.01);
  }
  return s;
}

Deno.test("fillMissingIndicators: a supplied 0 in TA-Lib's warm-up is left empty; supplied readings are kept", () => {
  const s = movingSeries(11);
  const expected = indicatorsOf(s);
  // A C# export: its TA library's warm-up slots are 0 in every column, then its own readings (here TA-Lib's
  // + 1, to tell them from computed ones), and one missing reading after the warm-up.
  for (const col of INDICATOR_COLUMNS) {
    s[col].set(expected[col].map((v) => (Number.isNaN(v) ? 0 : v + 1)));
  }
  s.rsi[60] = NaN;
  // An export starting after the bot's own warm-up: its values in TA-Lib's warm-up are readings, a 0 among
  // them too (a %K of 0 is the close at the 14 candles' low), since no leading run of zeros comes first.
  const macdWarmUp = expected.macd.findIndex((v) => !Number.isNaN(v));
  for (let i = 0; i < macdWarmUp; i++) s.macd[i] = i === 4 ? 0 : 0.5;
  fillMissingIndicators(s);
  for (const col of INDICATOR_COLUMNS) {
    s[col].forEach((v, i) => {
      const want = col === "macd" && i < macdWarmUp
        ? (i === 4 ? 0 : 0.5)
        : col === "rsi" && i === 60
        ? expected.rsi[60]
        : Number.isNaN(expected[col][i])
        ? NaN
        : expected[col][i] + 1;
      assert.ok(Object.is(v, want), `${col}[${i}]: ${v}, expected ${want}`);
    });
  }
});

Deno.test("zeroFilledIndicators: a column of 0 past the warm-up is no reading where the candles give others; real zeros are", () => {
  // Before: such a column (a C# bot whose indicator step never ran) was kept as readings of 0 on every candle.
  const s = movingSeries(12);
  const expected = indicatorsOf(s);
  for (const col of INDICATOR_COLUMNS) s[col].fill(0);
  assert.deepEqual(zeroFilledIndicators(s), [
    "rsi",
    "macd",
    "macdSignal",
    "macdHist",
    "ema",
    "stochK",
    "stochD",
  ]);
  // Missing values among the zeros change nothing; one reading past the warm-up, or zeros only in the
  // warm-up (fillMissingIndicators' rule), and the column is the bot's.
  s.rsi[50] = NaN;
  s.macd[40] = 0.3;
  for (const col of ["stochK", "stochD"] as const) {
    s[col].set(expected[col].map((v) => (Number.isNaN(v) ? 0 : v)));
  }
  assert.deepEqual(zeroFilledIndicators(s), ["rsi", "macdSignal", "macdHist", "ema"]);
  // A value in TA-Lib's warm-up is no reason either way: the column past it is what counts.
  s.macdHist[5] = 0.7;
  assert.deepEqual(zeroFilledIndicators(s), ["rsi", "macdSignal", "macdHist", "ema"]);

  // Zeros the candles give too are readings: a flat market (MACD 0, RSI 0: no close ever above the last, and
  // the computed MACD off 0 only by rounding) and a steady fall closing at each candle's low (%K, %D 0).
  const flat = emptySeries("FLAT", 80);
  flat.close.fill(0.1);
  flat.high.fill(0.1);
  flat.low.fill(0.1);
  for (const col of INDICATOR_COLUMNS) flat[col].fill(0);
  assert.deepEqual(zeroFilledIndicators(flat), ["ema"]);
  const fall = emptySeries("FALL", 80);
  for (let i = 0; i < fall.length; i++) {
    fall.close[i] = fall.low[i] = 100 * 0.99 ** i;
    fall.high[i] = fall.close[i] * 1.005;
  }
  for (const col of ["rsi", "stochK", "stochD"] as const) fall[col].fill(0);
  assert.deepEqual(zeroFilledIndicators(fall), []);
  // Too short for any value past the warm-up: nothing to judge.
  const short = emptySeries("SHORT", 10);
  short.close.fill(1);
  short.rsi.fill(0);
  assert.deepEqual(zeroFilledIndicators(short), []);
});
