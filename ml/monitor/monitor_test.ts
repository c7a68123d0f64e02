import assert from "node:assert/strict";
import {
  CLASSES,
  computeIndicators,
  DEFAULT_LABEL_RULE,
  FEATURE_NAMES,
  seriesFromCandles,
  windowBatch,
} from "../../features/index.ts";
import { simulateMarket } from "../../features/market_simulator.ts";
import type { Preprocessor } from "../../engine/preprocessor.ts";
import type { PredictionRecord } from "../../engine/index.ts";
import { candleOfPrediction, dominantShifts, joinOutcomes } from "./join.ts";
import { MIN_WEEK_PREDICTIONS, monitorReport, ScoresTally, staleAfterMs, staleLogWarning } from "./report.ts";

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 1);
const series = seriesFromCandles(
  "SIMUSDT",
  simulateMarket({ seed: 3, start: START, intervalMs: HOUR, count: 400, startPrice: 100, baseVolume: 10 }),
);
computeIndicators(series);

const preprocessor: Preprocessor = {
  modelType: "lightweight_lstm",
  featureNames: FEATURE_NAMES,
  lookback: 50,
  horizon: 4,
  labelRule: DEFAULT_LABEL_RULE,
  classes: CLASSES,
  scaler: { featureNames: FEATURE_NAMES, mean: FEATURE_NAMES.map(() => 0), std: FEATURE_NAMES.map(() => 1) },
  clip: 10,
  returnScale: { mean: 0, std: 1 },
  temperature: 1,
};

/** A prediction made just after candle t closed, saying `prediction` with probability 0.6. */
function madeAt(t: number, prediction: PredictionRecord["prediction"], withTime: boolean): PredictionRecord {
  const p = { down: 0.2, sideways: 0.2, up: 0.2, [prediction.toLowerCase()]: 0.6 };
  return {
    time: new Date(series.openTime[t] + HOUR + 5_000).toISOString(),
    symbol: "SIMUSDT",
    last_candle_time: withTime ? series.openTime[t] : null,
    last_close: series.close[t],
    version: "v1",
    prediction,
    probabilities: { down: p.down, sideways: p.sideways, up: p.up },
    expected_return: 0.001,
  };
}

Deno.test("a prediction is placed on its candle by open time, or by the close it was sent", () => {
  for (const t of [60, 200, 390]) {
    assert.equal(candleOfPrediction(series, madeAt(t, "UP", true)), t);
    assert.equal(candleOfPrediction(series, madeAt(t, "UP", false)), t);
  }
  assert.equal(candleOfPrediction(series, { ...madeAt(200, "UP", false), last_close: -1 }), -1);
  // A real candle's open time with another window's close (a forged /predict): not that candle's prediction.
  // Before: scored on the candle, and the bot's own prediction of it dropped as a repeat.
  const forged = { ...madeAt(200, "UP", true), last_close: series.close[200] * 0.5 };
  assert.equal(candleOfPrediction(series, forged), -1);
  // The same price written with its last digit rounded otherwise still matches.
  const rounded = { ...madeAt(200, "UP", true), last_close: series.close[200] * (1 + 1e-12) };
  assert.equal(candleOfPrediction(series, rounded), 200);
  // Counted apart, so a bot sending still-open candles (or another feed) reads why it is not scored.
  // One matched too early for the lookback (candle 10 of a 50-candle window) is unmatched, not "another close".
  const early = madeAt(10, "UP", true);
  const joined = joinOutcomes(
    [forged, early, madeAt(210, "UP", true)],
    [series],
    new Map([["v1", preprocessor]]),
  );
  assert.deepEqual([joined.joined.length, joined.unmatched, joined.unmatchedClose], [1, 2, 1]);
});

Deno.test("predictions about candles after the data's last are counted apart: by the time sent, else served", () => {
  const last = series.length - 1;
  const after = (ahead: number, withTime: boolean) => {
    const r = madeAt(last, "UP", withTime);
    const shift = ahead * HOUR;
    return {
      ...r,
      time: new Date(Date.parse(r.time) + shift).toISOString(),
      last_candle_time: r.last_candle_time === null ? null : r.last_candle_time + shift,
      last_close: -1, // no candle of the data has it
    };
  };
  const joined = joinOutcomes(
    // Sent with a time one candle past the last; without one, served two candles past (one past is within the
    // clock skew the close match allows, so it is not called newer: a late prediction about the last candle).
    [after(1, true), after(2, false), after(1, false), { ...madeAt(200, "UP", true), last_close: -1 }],
    [series],
    new Map([["v1", preprocessor]]),
  );
  assert.deepEqual([joined.unmatched, joined.unmatchedAfterData, joined.unmatchedClose], [4, 2, 1]);
});

Deno.test("predictions sent with local times west of UTC are counted by the hours their closes say", () => {
  // A New York bot (UTC−4) stamps the 16:00 UTC candle 12:00: its close is candle t + 4's (a locale seat: 24
  // such predictions were "at a candle's open time with another close", three causes, none the real one).
  const west = (t: number, hours: number) => ({
    ...madeAt(t + hours, "UP", true),
    last_candle_time: series.openTime[t],
  });
  const sent = [100, 101, 102, 103, 104, 105].map((t) => west(t, 4));
  const joined = joinOutcomes(
    [...sent, west(106, 5), { ...madeAt(107, "UP", true), last_close: -1 }],
    [series],
    new Map([["v1", preprocessor]]),
  );
  assert.deepEqual([joined.unmatched, joined.unmatchedClose], [8, 8]);
  assert.deepEqual([...joined.unmatchedHoursWest], [[4, 6], [5, 1]]);
  // Too few, or spread over shifts as chance matches of a forming candle's price are (a review: 70 of 1,098
  // such ADAUSDT predictions matched a later close, over all 14 shifts): none named.
  const few = joinOutcomes(sent.slice(0, 4), [series], new Map([["v1", preprocessor]]));
  assert.deepEqual([few.unmatchedClose, few.unmatchedHoursWest.size], [4, 0]);
  assert.deepEqual(dominantShifts(new Map([[1, 291], [2, 119], [3, 72], [4, 40], [5, 30]]), 568), new Map());
  assert.deepEqual(dominantShifts(new Map([[4, 3], [9, 3]]), 6), new Map());
  assert.deepEqual(dominantShifts(new Map([[5, 40], [4, 60], [9, 1]]), 101), new Map([[4, 60], [5, 40]]));
});

Deno.test("a prediction for a symbol sent in lower case is joined with collect's upper-case candles", () => {
  // Before: counted "not found", with the advice to collect candles the CSV already held.
  const result = joinOutcomes(
    [{ ...madeAt(100, "UP", true), symbol: "simusdt" }],
    [series],
    new Map([["v1", preprocessor]]),
  );
  assert.equal(result.unmatched, 0);
  assert.deepEqual(result.joined.map((j) => j.t), [100]);
});

Deno.test("a symbol a Turkish-culture bot upper-cased (SİMUSDT, dotted İ) is joined with collect's SIMUSDT", () => {
  // .NET's "simusdt".ToUpper() on a tr-TR host gives "SİMUSDT"; serve takes it as sent. Before: counted "not
  // found", its outcomes never scored, with the advice to collect candles the CSV already held.
  const result = joinOutcomes(
    [{ ...madeAt(100, "UP", true), symbol: "SİMUSDT" }],
    [series],
    new Map([["v1", preprocessor]]),
  );
  assert.equal(result.unmatched, 0);
  assert.deepEqual(result.joined.map((j) => j.t), [100]);
});

Deno.test("a prediction for a symbol logged in NFD (a Hangul syllable as its jamo) is joined with collect's NFC candles", () => {
  // Before: 한국usdt in NFD was looked up as it came, found no candles (collect writes NFC) and joined 0.
  const korean = seriesFromCandles(
    "한국USDT".normalize("NFC"),
    simulateMarket({ seed: 3, start: START, intervalMs: HOUR, count: 400, startPrice: 100, baseVolume: 10 }),
  );
  computeIndicators(korean);
  const result = joinOutcomes(
    [{ ...madeAt(100, "UP", true), symbol: "한국usdt".normalize("NFD") }],
    [korean],
    new Map([["v1", preprocessor]]),
  );
  assert.equal(result.unmatched, 0);
  assert.deepEqual(result.joined.map((j) => j.t), [100]);
});

Deno.test("a candle asked about again (a polling bot, a retry) is scored once per version, however it was spelt", () => {
  // Before: each repeat was scored, weighing candles by how often the bot asked and making a week of a few
  // candles look like thousands of predictions, its interval too narrow and its warnings noise.
  const asked = [
    ...Array.from({ length: 100 }, () => madeAt(100, "UP", true)),
    { ...madeAt(100, "UP", false), symbol: "simusdt" }, // the same candle, by its close, in lower case
    madeAt(101, "DOWN", true),
    { ...madeAt(100, "UP", true), version: "v2" }, // another version's prediction is its own
  ];
  const result = joinOutcomes(asked, [series], new Map([["v1", preprocessor], ["v2", preprocessor]]));
  assert.deepEqual(result.joined.map((j) => [j.record.version, j.t]), [["v1", 100], ["v1", 101], [
    "v2",
    100,
  ]]);
  assert.equal(result.repeats, 100);
});

Deno.test("a prediction whose horizon spans missing candles is counted, not scored as a 4-candle outcome", () => {
  // An outage: candles 201… open 30 hours late, so the label candle of a prediction at 198 is 34 hours on.
  const openTime = Float64Array.from(series.openTime, (t, i) => (i > 200 ? t + 30 * HOUR : t));
  const s = { ...series, openTime };
  const records = [198, 200, 201, 150].map((t) => ({
    ...madeAt(t, "UP", true),
    last_candle_time: openTime[t],
  }));
  const result = joinOutcomes(records, [s], new Map([["v1", preprocessor]]));
  assert.equal(result.gapped, 2);
  assert.deepEqual(result.joined.map((j) => j.t), [201, 150]);
});

Deno.test("outcomes use the version's own label rule; recent, unknown and unmatched ones are counted", () => {
  const truth = (t: number) => CLASSES[windowBatch(series, [t], 50, 4, DEFAULT_LABEL_RULE).label[0]];
  const records = [
    madeAt(100, truth(100), true), // right
    madeAt(150, truth(150), false), // right
    madeAt(250, truth(250) === "UP" ? "DOWN" : "UP", true), // wrong
    madeAt(397, "UP", true), // label candle 401 not in the data yet
    { ...madeAt(120, "UP", true), version: "v0" }, // checkpoint gone
    { ...madeAt(120, "UP", true), symbol: "NOPEUSDT" },
    // Sent with C#'s ToUnixTimeSeconds() before serve refused it: unmatched, and counted as such.
    { ...madeAt(130, "UP", true), last_candle_time: Math.floor(series.openTime[130] / 1000) },
  ];
  const result = joinOutcomes(records, [series], new Map([["v1", preprocessor]]));
  assert.equal(result.joined.length, 3);
  assert.equal(result.pending, 1);
  assert.equal(result.unmatched, 2);
  assert.equal(result.unmatchedWrongUnit, 1);
  assert.deepEqual([...result.unknownVersions], [["v0", 1]]);
  assert.deepEqual(result.joined.map((j) => CLASSES[j.label]), [truth(100), truth(150), truth(250)]);
  assert.equal(result.joined[0].realisedReturn, series.close[104] / series.close[100] - 1);
  assert.equal(result.inSample, 0);

  // A version trained on candles up to 160 has seen the outcomes of the windows at 100 and 150 (labels at
  // 104 and 154): those are in-sample, counted and not scored.
  const seen = joinOutcomes(
    records,
    [series],
    new Map([["v1", preprocessor]]),
    new Map([["v1", series.openTime[160]]]),
  );
  assert.equal(seen.inSample, 2);
  assert.deepEqual(seen.joined.map((j) => j.t), [250]);

  const report = monitorReport(
    result.joined,
    new Map([["v1", { accuracy: 0.9, macro_f1: 0.9, log_loss: 0.3 }]]),
  );
  const v1 = report.byVersion[0];
  assert.equal(v1.scores.predictions, 3);
  assert.ok(Math.abs(v1.scores.accuracy - 2 / 3) < 1e-12);
  assert.ok(Math.abs(v1.scores.mean_confidence - 0.6) < 1e-12);
  assert.ok(Math.abs(v1.scores.log_loss - -(2 * Math.log(0.6) + Math.log(0.2)) / 3) < 1e-9);
  // Three predictions are too few to judge: before, one wrong call of three was a warning (and exit 1 with
  // --fail-on-warning) from an interval of three resampled predictions.
  assert.deepEqual(report.warnings, []);
  assert.equal(
    report.unjudged[0].message,
    "v1: the last week to 2026-01-11 has only 3 scored predictions, too few to judge against its test split " +
      `(monitor needs ${MIN_WEEK_PREDICTIONS})`,
  );
  assert.deepEqual(report.byDay.map((d) => d.version), ["v1", "v1", "v1"].slice(0, report.byDay.length));
});

Deno.test("a single wrong prediction is not a week worse than test; a full week that is gets the warning", () => {
  const joined = (n: number, right: (i: number) => boolean) =>
    Array.from({ length: n }, (_, i) => {
      const record = madeAt(60 + (i % 300), "UP", true);
      return { record, t: 60 + (i % 300), realisedReturn: 0, label: right(i) ? 2 : 0 } as const;
    });
  const test = new Map([["v1", { accuracy: 0.45, macro_f1: 0.3, log_loss: 1.05 }]]);
  // Before: macro-F1 0.000 "(95 % interval 0.000 … 0.000)" and log-loss 1.609 beside a zero-width interval.
  const one = monitorReport(joined(1, () => false), test);
  assert.deepEqual(one.warnings, []);
  assert.equal(one.unjudged.length, 1);
  // A week of 96 predictions, four in five wrong, is judged and warned about.
  const week = monitorReport(joined(MIN_WEEK_PREDICTIONS, (i) => i % 5 === 0), test);
  assert.deepEqual(week.unjudged, []);
  assert.match(week.warnings[0].message, /\(96 predictions\) is worse than its test split: macro-F1 /);
});

Deno.test("the ECE monitor prints is the served confidence's: binned by the named class's probability", () => {
  // A prior rule's call: DOWN named at 0.33 while SIDEWAYS is on top at 0.40; DOWN came once in four.
  const tally = new ScoresTally();
  for (const [t, label] of [[100, 0], [110, 1], [120, 1], [130, 2]] as const) {
    const record = { ...madeAt(t, "DOWN", true), probabilities: { down: 0.33, sideways: 0.4, up: 0.27 } };
    tally.add({ record, t, realisedReturn: 0, label });
  }
  const scores = tally.result();
  assert.ok(Math.abs(scores.mean_confidence - 0.33) < 1e-12);
  // |0.25 − 0.33|, what the bot read; before: SIDEWAYS's |0.5 − 0.4| = 0.1, beside a confidence of 0.33.
  assert.ok(Math.abs(scores.ece - 0.08) < 1e-12, String(scores.ece));
  assert.ok(Math.abs(scores.ece_floor - Math.sqrt(2 / Math.PI) * Math.sqrt(4 * 0.33 * 0.67) / 4) < 1e-12);
});

Deno.test("a log that stopped while the candles went on is a warning on the served version, past 2 days or 3 candles", () => {
  const day = 86_400_000;
  const candle = Date.UTC(2023, 11, 30, 19);
  // Before: "ok", exit 0 under --fail-on-warning, however old the newest prediction.
  const stale = staleLogWarning("v3_2026-01-01", candle - 10.8 * day, candle, 3_600_000)!;
  assert.equal(stale.version, "v3_2026-01-01");
  assert.deepEqual(stale.worse, []);
  assert.match(
    stale.message,
    /^v3_2026-01-01: no prediction logged after 2023-12-19 23:48 UTC, while the candles reach 2023-12-30 19:00 UTC \(10\.8 days later\): check that serve still logs/,
  );
  assert.equal(staleLogWarning("v3_2026-01-01", candle - 1.5 * day, candle, 3_600_000), null);
  // Daily candles: three of them, not two days.
  assert.equal(staleAfterMs(day), 3 * day);
  assert.equal(staleLogWarning("v3_2026-01-01", candle - 2.5 * day, candle, day), null);
  assert.notEqual(staleLogWarning("v3_2026-01-01", candle - 3.5 * day, candle, day), null);
});

Deno.test("a week whose interval holds the test score is not worse than test; one wholly past it is", () => {
  // Guards against warning (and exiting 1 under --fail-on-warning) on weeks that chance alone explains.
  const rows = Array.from({ length: MIN_WEEK_PREDICTIONS }, (_, i) => {
    const t = 60 + i, label = (i * 7) % 3, right = i % 5 < 3;
    const record = madeAt(t, CLASSES[right ? label : (label + 1) % 3], true);
    return { record, t, realisedReturn: 0, label: label as 0 | 1 | 2 };
  });
  const probe = monitorReport(rows, new Map([["v1", { accuracy: 0.5, macro_f1: 0, log_loss: 99 }]]));
  const ci = probe.byVersion[0].lastWeekInterval!;
  assert.ok(ci.macro_f1[0] < ci.macro_f1[1] && ci.log_loss[0] < ci.log_loss[1]);
  const mid = (r: readonly [number, number]) => (r[0] + r[1]) / 2;
  const inside = monitorReport(
    rows,
    new Map([["v1", { accuracy: 0.5, macro_f1: mid(ci.macro_f1), log_loss: mid(ci.log_loss) }]]),
  );
  assert.deepEqual(inside.warnings, []);
  const past = monitorReport(
    rows,
    new Map([["v1", { accuracy: 0.5, macro_f1: ci.macro_f1[1] + 0.01, log_loss: ci.log_loss[0] - 0.01 }]]),
  );
  assert.deepEqual(past.warnings.map((w) => w.worse), [["macro_f1", "log_loss"]]);
});

Deno.test("the first and last candles a prediction can be scored on: a full lookback, a label candle in the data", () => {
  // Guards against dropping (or mis-scoring) the predictions at the edges of the data as unmatched or pending.
  const records = [49, 48, 395, 396].map((t) => madeAt(t, "UP", true));
  const result = joinOutcomes(records, [series], new Map([["v1", preprocessor]]));
  assert.deepEqual(result.joined.map((j) => j.t), [49, 395]);
  assert.deepEqual([result.unmatched, result.pending], [1, 1]);
  assert.equal(result.joined[1].realisedReturn, series.close[399] / series.close[395] - 1);
});

Deno.test("a version that trained on a prediction's label candle has it in-sample; one a candle short does not", () => {
  // Guards against scoring live predictions whose outcome the model saw in training (flattering its live scores).
  const records = [madeAt(200, "UP", true)];
  const on = joinOutcomes(
    records,
    [series],
    new Map([["v1", preprocessor]]),
    new Map([["v1", series.openTime[204]]]),
  );
  assert.deepEqual([on.inSample, on.joined.length], [1, 0]);
  const before = joinOutcomes(
    records,
    [series],
    new Map([["v1", preprocessor]]),
    new Map([["v1", series.openTime[203]]]),
  );
  assert.deepEqual([before.inSample, before.joined.length], [0, 1]);
});

Deno.test("the last week is the 7 days up to a version's newest prediction, not 8", () => {
  // Guards against judging a version's "last week" on older predictions than the week the warning names.
  const rows = [60, 230, 240].map((t) => ({
    record: madeAt(t, "UP", true),
    t,
    realisedReturn: 0,
    label: 2 as const,
  }));
  const v1 = monitorReport(rows, new Map()).byVersion[0];
  assert.deepEqual([v1.scores.predictions, v1.lastWeek?.predictions], [3, 2]);
});

Deno.test("a close that differs past its last digit's rounding is another candle's, not this one's", () => {
  // Guards against scoring a prediction made on another feed's (or a still-open candle's) close as this candle's.
  const off = { ...madeAt(200, "UP", true), last_close: series.close[200] * (1 + 1e-6) };
  assert.equal(candleOfPrediction(series, off), -1);
});

Deno.test("the per-day rows go by day, then by version number (v5 before v12), as the per-version table", () => {
  const joined = ["v12_2026-12-01", "v5_2026-06-01", "v10_2026-10-01", "custom"].map((version) => {
    const record = { ...madeAt(60, "UP", true), version };
    return { record, t: 60, realisedReturn: 0, label: 2 } as const;
  });
  const report = monitorReport(joined, new Map());
  // Before: by text, "v10, v12, v5" (a year's trial of monthly retrains).
  assert.deepEqual(report.byDay.map((d) => d.version), [
    "v5_2026-06-01",
    "v10_2026-10-01",
    "v12_2026-12-01",
    "custom",
  ]);
});
