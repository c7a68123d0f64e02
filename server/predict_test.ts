import assert from "node:assert/strict";
import { SERIES_COLUMNS, type SeriesColumn, seriesFromCandles } from "../features/index.ts";
import { FakePredictor, predictBody } from "../test/fake_predictor.ts";
import { predictBodies, symbolOf, windowOf } from "./predict.ts";
import { parsePredictRequest, REQUEST_FIELDS } from "./schemas.ts";

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
  // The reference reads fields through the schema's name table, not a second hand-written mapping.
  const slow = seriesFromCandles(
    "ETHUSDT",
    parsed.value.candles.slice(-50).map((c) => ({
      openTime: c.openTime ?? null,
      ...Object.fromEntries(SERIES_COLUMNS.map((name) => [name, c[REQUEST_FIELDS[name]]])) as Record<
        SeriesColumn,
        number
      >,
    })),
  );
  assert.deepEqual(fast, slow);
  assert.equal(fast.length, 50);
  assert.ok(Number.isNaN(fast.openTime[45]));
  assert.equal(fast.openTime[49], 1_700_000_000_000 + 59 * 3_600_000);
  assert.equal(fast.close[49], body.candles[59].close);
});

/** 2023-11-14T22:00Z: on the 1h UTC grid (1_700_000_000_000 is 22:13:20, off it). */
const T0 = Date.UTC(2023, 10, 14, 22);

Deno.test("a window on another interval than the model's is a 422; gaps and missing times are not", async () => {
  const model = new FakePredictor({ version: "v3_2026-12-01", interval: "1h" });
  const body = predictBody("BTCUSDT", 50, 3);
  const timed = (stepOf: (i: number) => number) => ({
    ...body,
    candles: body.candles.map((c, i) => ({ ...c, openTime: T0 + stepOf(i) })),
  });
  const H = 3_600_000;
  const [fourHourly, withGap, hourly, untimed] = await predictBodies(model, [
    timed((i) => i * 4 * H),
    timed((i) => (i < 30 ? i : i + 20) * H), // a 20-hour hole after a reconnect: still hourly candles
    timed((i) => i * H),
    body,
  ], ["requests[0]", "", "", ""]);
  // Before: answered, as confidently as a 1h window.
  assert.deepEqual(fourHourly.ok ? null : fourHourly.failure, {
    symbol: "BTCUSDT",
    status: 422,
    detail:
      "requests[0].candles: their open times are 4h apart, but model v3_2026-12-01 was trained on 1h candles",
  });
  assert.ok(withGap.ok && hourly.ok && untimed.ok);
  // A feed that leaves out the hours without trades: more 3h steps than 1h ones, every step whole hours.
  // Before: "their open times are 3h apart, but … trained on 1h candles", which sent the bot's developer
  // after the wrong problem (a memecoin trader's trial). Candles with no two an hour apart still are 2h ones.
  const sparse = (i: number) => Math.floor(i / 3) * 7 + (i % 3) * 3; // steps 3h, 3h, 1h, 3h, 3h, 1h, …
  const [illiquid, twoHourly] = await predictBodies(model, [
    timed((i) => sparse(i) * H),
    timed((i) => i * 2 * H),
  ]);
  assert.ok(illiquid.ok, illiquid.ok ? "" : illiquid.failure.detail);
  // One stray hour among 4h steps is a 4h feed still (a review): refused as before.
  const [stray] = await predictBodies(model, [timed((i) => (i === 0 ? 0 : 1 + (i - 1) * 4) * H)]);
  assert.equal(
    stray.ok ? "answered" : stray.failure.detail,
    "candles: their open times are 4h apart, but model v3_2026-12-01 was trained on 1h candles",
  );
  assert.equal(
    twoHourly.ok ? "answered" : twoHourly.failure.detail,
    "candles: their open times are 2h apart, but model v3_2026-12-01 was trained on 1h candles",
  );
  // Monthly candles (28–31 days apart, on the 1st of each month) are a "1M" model's own.
  const monthly = {
    ...body,
    candles: body.candles.map((c, i) => ({ ...c, openTime: Date.UTC(2019, i, 1) })),
  };
  const monthModel = new FakePredictor({ version: "v2_2026-12-05", interval: "1M" });
  const [months] = await predictBodies(monthModel, [monthly]);
  assert.ok(months.ok, months.ok ? "" : months.failure.detail);
  // Before: a fixed 30-day step (08-31, 09-30, …), candles on the 15th, or the last one 3 days late were
  // answered as months and logged at times no 1M candle of the exchange has (monitor: "not found").
  const D = 24 * H;
  const thirtyDays = {
    ...body,
    candles: body.candles.map((c, i) => ({ ...c, openTime: Date.UTC(2019, 0, 1) + i * 30 * D })),
  };
  const fifteenths = {
    ...body,
    candles: body.candles.map((c, i) => ({ ...c, openTime: Date.UTC(2019, i, 15) })),
  };
  const lateMonth = {
    ...body,
    candles: body.candles.map((c, i) => ({ ...c, openTime: Date.UTC(2019, i, i === 49 ? 4 : 1) })),
  };
  const [fixed, mid, lastLate] = await predictBodies(monthModel, [thirtyDays, fifteenths, lateMonth]);
  const monthDetail = (n: number, t: number) =>
    `candles[${n}].openTime: ${t} (${new Date(t).toISOString()}) is not the start of a calendar month (the ` +
    "1st, 00:00 UTC), where 1M candles open (model v2_2026-12-05's interval); send each candle's open time";
  assert.equal(fixed.ok ? "answered" : fixed.failure.detail, monthDetail(1, Date.UTC(2019, 0, 31)));
  assert.equal(mid.ok ? "answered" : mid.failure.detail, monthDetail(0, Date.UTC(2019, 0, 15)));
  assert.equal(lastLate.ok ? "answered" : lastLate.failure.detail, monthDetail(49, Date.UTC(2019, 49, 4)));
  // A version that recorded no interval is not checked.
  const [unrecorded] = await predictBodies(new FakePredictor(), [timed((i) => i * 4 * H)]);
  assert.ok(unrecorded.ok);
  // The last candle 30 minutes late: before, answered (read as a gap) and logged at a time no 1h candle of
  // the exchange has, which monitor never joins. Named as the client indexed it, in a longer request too.
  const late = timed((i) => i * H + (i === 49 ? H / 2 : 0));
  const longer = { ...late, candles: [...body.candles.slice(0, 5), ...late.candles] };
  const [halfHour, inLonger] = await predictBodies(model, [late, longer], ["", "requests[1]"]);
  const detail = (n: number) =>
    `candles[${n}].openTime: ${
      T0 + 49 * H + H / 2
    } opens 90m after the previous candle's, not a whole number of 1h candles (model v3_2026-12-01's interval); ` +
    "send each candle's open time";
  assert.equal(halfHour.ok ? "answered" : halfHour.failure.detail, detail(49));
  assert.equal(inLonger.ok ? "answered" : inLonger.failure.detail, `requests[1].${detail(54)}`);
});

Deno.test("candles stamped off the UTC grid of the model's interval (local times, close times) are a 422", async () => {
  const H = 3_600_000, D = 24 * H;
  const ist = 5.5 * H; // India's local time, UTC+5:30
  const body = predictBody("BTCUSDT", 50, 3);
  const stamped = (first: number, step: number) => ({
    ...body,
    candles: body.candles.map((c, i) => ({ ...c, openTime: first + i * step })),
  });
  const hourly = new FakePredictor({ version: "v3_2026-12-01", interval: "1h" });
  const daily = new FakePredictor({ version: "v4_2026-12-01", interval: "1d" });
  const weekly = new FakePredictor({ version: "v5_2026-12-01", interval: "1w" });
  const [local, closeTimes, inBatch, utc] = await predictBodies(hourly, [
    stamped(T0 + ist, H),
    stamped(T0 + H - 1, H),
    stamped(T0 + ist, H),
    stamped(T0, H),
  ], ["", "", "requests[2]", ""]);
  const at = (t: number) => `candles[0].openTime: ${t} (${new Date(t).toISOString()})`;
  // Before: answered, and logged at a time monitor never finds among the exchange's candles ("not found").
  assert.equal(
    local.ok ? "answered" : local.failure.detail,
    `${
      at(T0 + ist)
    }: open times are 30 min past the 1h UTC grid (2023-11-15T03:00:00.000Z is on it), where ` +
      "model v3_2026-12-01's candles and the exchange's open: send UTC open times, not local ones",
  );
  assert.equal(
    closeTimes.ok ? "answered" : closeTimes.failure.detail,
    `${
      at(T0 + H - 1)
    } is 1 ms before a candle of the 1h UTC grid opens (2023-11-14T23:00:00.000Z): a close ` +
      "time (each candle's last millisecond); send each candle's open time",
  );
  assert.match(inBatch.ok ? "answered" : inBatch.failure.detail, /^requests\[2\]\.candles\[0\]\.openTime: /);
  // An offset no time zone has (7 s): not called local time.
  const [seconds] = await predictBodies(hourly, [stamped(T0 + 7_000, H)]);
  assert.match(
    seconds.ok ? "answered" : seconds.failure.detail,
    /: open times are 7 s past the 1h UTC grid .*: send each candle's open time as the exchange stamps it \(Unix ms, UTC\)$/,
  );
  assert.ok(utc.ok, "UTC open times are answered as before");
  // The grid has an origin: days at 00:00 UTC, weeks on Monday 00:00 UTC (2023-11-13), not the epoch's Thursday.
  const monday = Date.UTC(2023, 10, 13);
  const [localDay] = await predictBodies(daily, [stamped(monday + ist, D)]);
  assert.match(
    localDay.ok ? "answered" : localDay.failure.detail,
    /: open times are 5 h 30 min past the 1d UTC grid/,
  );
  const [weeks, thursdays] = await predictBodies(weekly, [
    stamped(monday, 7 * D),
    stamped(monday + 3 * D, 7 * D),
  ]);
  assert.ok(weeks.ok, weeks.ok ? "" : weeks.failure.detail);
  assert.match(
    thursdays.ok ? "answered" : thursdays.failure.detail,
    /: open times are 3 days past the 1w UTC grid/,
  );
  // Weeks begun on Sunday are no zone's local times; before, "send UTC open times, not local ones" (a seat's
  // trial). 16 h past on 1d may be a zone 8 h west (any quarter-hour offset on 1d may be one): local times still.
  const [sundays] = await predictBodies(weekly, [stamped(monday + 6 * D, 7 * D)]);
  assert.match(
    sundays.ok ? "answered" : sundays.failure.detail,
    /: open times are 6 days past the 1w UTC grid .*: send each candle's open time as the exchange stamps it/,
  );
  const [afternoons] = await predictBodies(daily, [stamped(monday + 16 * H, D)]);
  assert.match(
    afternoons.ok ? "answered" : afternoons.failure.detail,
    /16 h past the 1d UTC grid .*not local ones$/,
  );
  // Candles without open times, a grid exchanges do not agree on (3d), and an unrecorded interval: not checked.
  const [untimed] = await predictBodies(hourly, [body]);
  const [threeDay] = await predictBodies(new FakePredictor({ interval: "3d" }), [
    stamped(monday + ist, 3 * D),
  ]);
  const [unrecorded] = await predictBodies(new FakePredictor(), [stamped(T0 + ist, H)]);
  assert.ok(untimed.ok && threeDay.ok && unrecorded.ok);
});

Deno.test("a last candle that has not closed by the server's clock (forming, or stamped east of UTC) is a 422", async () => {
  const H = 3_600_000;
  const body = predictBody("BTCUSDT", 50, 3);
  // The window's last candle opens at `lastOpen`, 1h apart before it.
  const endingAt = (lastOpen: number) => ({
    ...body,
    candles: body.candles.map((c, i) => ({ ...c, openTime: lastOpen - (49 - i) * H })),
  });
  const hourly = new FakePredictor({ version: "v3_2026-12-01", interval: "1h" });
  const now = T0 + 5 * H + 30_000; // 30 s after the candle opening at T0 + 4h closed
  const [closed, forming, utcPlus3, batched] = await predictBodies(
    hourly,
    [
      endingAt(T0 + 4 * H),
      endingAt(T0 + 5 * H),
      endingAt(T0 + 7 * H),
      endingAt(T0 + 5 * H),
    ],
    ["", "", "", "requests[3]"],
    "version",
    now,
  );
  assert.ok(closed.ok, closed.ok ? "" : closed.failure.detail);
  // Before: answered and logged at the forming hour (a year ahead too), which monitor joins with no candle.
  assert.equal(
    forming.ok ? "answered" : forming.failure.detail,
    `candles[49].openTime: ${T0 + 5 * H} (2023-11-15T03:00:00.000Z) opens a 1h candle that closes at ` +
      "2023-11-15T04:00:00.000Z, after this server's clock (2023-11-15T03:00:30.000Z): send closed candles " +
      "only (an exchange's klines end with the candle still forming: drop it) and UTC open times (a zone east " +
      "of UTC puts them ahead); if that candle has closed, this server's clock is behind",
  );
  assert.match(
    utcPlus3.ok ? "answered" : utcPlus3.failure.detail,
    /closes at 2023-11-15T06:00:00\.000Z, after/,
  );
  assert.match(batched.ok ? "answered" : batched.failure.detail, /^requests\[3\]\.candles\[49\]\.openTime: /);
  // A minute's grace for the two hosts' clocks: a candle closing 59 s after this server's now still counts.
  const [graced] = await predictBodies(hourly, [endingAt(T0 + 4 * H)], [""], "version", T0 + 5 * H - 59_000);
  const [late] = await predictBodies(hourly, [endingAt(T0 + 4 * H)], [""], "version", T0 + 5 * H - 61_000);
  assert.ok(graced.ok);
  assert.ok(!late.ok);
  // A 1m candle: a tenth of it (6 s) at most; half of it passed a forming candle for its last 30 s.
  const minutely = new FakePredictor({ version: "v5_2026-12-01", interval: "1m" });
  const M = 60_000;
  const minutes = (lastOpen: number) => ({
    ...body,
    candles: body.candles.map((c, i) => ({ ...c, openTime: lastOpen - (49 - i) * M })),
  });
  const [forming1m] = await predictBodies(minutely, [minutes(T0)], [""], "version", T0 + 31_000);
  const [closing1m] = await predictBodies(minutely, [minutes(T0)], [""], "version", T0 + 55_000);
  assert.ok(!forming1m.ok, "29 s before its close");
  assert.ok(closing1m.ok, "within a tenth of a candle of its close");
  // A 3m candle: 18 s; a minute's grace passed its last third.
  const threeMinutes = new FakePredictor({ version: "v6_2026-12-01", interval: "3m" });
  const every3m = (lastOpen: number) => ({
    ...body,
    candles: body.candles.map((c, i) => ({ ...c, openTime: lastOpen - (49 - i) * 3 * M })),
  });
  const [forming3m] = await predictBodies(threeMinutes, [every3m(T0)], [""], "version", T0 + 125_000);
  const [closing3m] = await predictBodies(threeMinutes, [every3m(T0)], [""], "version", T0 + 165_000);
  assert.equal(forming3m.ok ? "ok" : forming3m.refusal, "forming", "55 s before its close");
  assert.ok(closing3m.ok, "15 s before its close");
  // Months close at the next month's start; candles without open times and unrecorded intervals: not checked.
  const monthly = new FakePredictor({ version: "v4_2026-12-01", interval: "1M" });
  const months = (lastMonth: number) => ({
    ...body,
    // Date.UTC(2020, 45) is 2023-10-01: month indices past 11 roll into later years.
    candles: body.candles.map((c, i) => ({ ...c, openTime: Date.UTC(2020, lastMonth - 49 + i, 1) })),
  });
  const inNovember = Date.UTC(2023, 10, 14);
  const [october, november] = await predictBodies(
    monthly,
    [months(45), months(46)],
    ["", ""],
    "version",
    inNovember,
  );
  assert.ok(october.ok, october.ok ? "" : october.failure.detail);
  assert.match(
    november.ok ? "answered" : november.failure.detail,
    /opens a 1M candle that closes at 2023-12-01T00:00:00\.000Z/,
  );
  const [untimed] = await predictBodies(hourly, [body], [""], "version", 0);
  const [unrecorded] = await predictBodies(new FakePredictor(), [endingAt(T0 + 5 * H)], [""], "version", now);
  assert.ok(untimed.ok && unrecorded.ok);
});

Deno.test("a version of a step Binance has no name for (45m, 2d: a CSV's candles) gets the step and closed-candle checks", async () => {
  const M = 60_000, D = 24 * 60 * M;
  const body = predictBody("SIMUSDT", 50, 3);
  const stepping = (lastOpen: number, step: number, lastStep = step) => ({
    ...body,
    candles: body.candles.map((c, i) => ({
      ...c,
      openTime: i === 49 ? lastOpen : lastOpen - lastStep - (48 - i) * step,
    })),
  });
  const now = T0 + 30 * D;
  for (const [interval, step] of [["45m", 45 * M], ["2d", 2 * D]] as const) {
    const model = new FakePredictor({ version: "v2_2026-12-06", interval });
    const closedOpen = now - 2 * step; // its candle closed a step before now
    const [closed, future, halfStep, offGrid] = await predictBodies(
      model,
      [
        stepping(closedOpen, step),
        stepping(now + 3 * D, step), // opens days ahead: not closed
        stepping(closedOpen, step, step + step / 3), // the last step not whole candles
        stepping(closedOpen + 7_000, step), // 7 s off whatever grid: no exchange's to hold it to
      ],
      ["", "", "", ""],
      "version",
      now,
    );
    // Before: all four answered (serve checked Binance's interval names only; a seat's trial).
    assert.ok(closed.ok, `${interval}: ${closed.ok ? "" : closed.failure.detail}`);
    assert.match(
      future.ok ? "answered" : future.failure.detail,
      new RegExp(`opens a ${interval} candle that closes`),
    );
    assert.match(
      halfStep.ok ? "answered" : halfStep.failure.detail,
      new RegExp(`not a whole number of ${interval} candles`),
    );
    assert.ok(offGrid.ok, `${interval}: ${offGrid.ok ? "" : offGrid.failure.detail}`);
  }
});

Deno.test("a version whose candles opened off the UTC grid (16:00 UTC days) takes the bot's candles on that grid", async () => {
  const H = 3_600_000, D = 24 * H;
  const body = predictBody("BTCUSDT", 50, 3);
  const daysFrom = (first: number) => ({
    ...body,
    candles: body.candles.map((c, i) => ({ ...c, openTime: first + i * D })),
  });
  // An exchange whose days begin at midnight UTC+8: its 1d candles open at 16:00 UTC.
  const model = new FakePredictor({ version: "v2_2026-12-06", interval: "1d", gridOffsetMs: 16 * H });
  const monday = Date.UTC(2023, 10, 13);
  const [own, utc, closes] = await predictBodies(model, [
    daysFrom(monday + 16 * H),
    daysFrom(monday),
    daysFrom(monday + 16 * H - 1),
  ]);
  // Before: its own candles were "16 h past the 1d UTC grid …: send UTC open times, not local ones".
  assert.ok(own.ok, own.ok ? "" : own.failure.detail);
  assert.equal(
    utc.ok ? "answered" : utc.failure.detail,
    `candles[0].openTime: ${monday} (2023-11-13T00:00:00.000Z): open times are 8 h past the 1d grid model ` +
      "v2_2026-12-06's candles opened on (16 h past the UTC one) (2023-11-12T16:00:00.000Z is on it): send " +
      "candles of the feed the model was trained on, each stamped with its open time",
  );
  assert.match(
    closes.ok ? "answered" : closes.failure.detail,
    /is 1 ms before a candle of the 1d grid model/,
  );
  // A recorded offset past one candle (a hand-edited 40 h on 1d) is taken within it: 16 h, never "-8 h".
  const edited = new FakePredictor({ version: "v2_2026-12-06", interval: "1d", gridOffsetMs: 40 * H });
  const [ownEdited, utcEdited] = await predictBodies(edited, [daysFrom(monday + 16 * H), daysFrom(monday)]);
  assert.ok(ownEdited.ok, ownEdited.ok ? "" : ownEdited.failure.detail);
  assert.match(
    utcEdited.ok ? "answered" : utcEdited.failure.detail,
    /open times are 8 h past the 1d grid .*\(16 h past the UTC one\)/,
  );
});

Deno.test("the not-closed refusal names the clock its caller reads: this server's by default, another when named", async () => {
  const H = 3_600_000;
  const body = predictBody("BTCUSDT", 50, 3);
  const forming = { ...body, candles: body.candles.map((c, i) => ({ ...c, openTime: T0 - (49 - i) * H })) };
  const hourly = new FakePredictor({ version: "v3_2026-12-01", interval: "1h" });
  const now = T0 + 30 * 60_000;
  const [served] = await predictBodies(hourly, [forming], [""], "version", now);
  const [local] = await predictBodies(hourly, [forming], [""], "version", now, "this machine's clock");
  assert.match(
    served.ok ? "answered" : served.failure.detail,
    /after this server's clock \(.*this server's clock is behind$/,
  );
  // `candlecast predict` runs on no server: it said "this server's clock is behind" of the user's own machine.
  const detail = local.ok ? "answered" : local.failure.detail;
  assert.match(detail, /, after this machine's clock \(2023-11-14T22:30:00\.000Z\): send closed candles/);
  assert.match(detail, /; if that candle has closed, this machine's clock is behind$/);
  assert.doesNotMatch(detail, /server/);
});

Deno.test("a refusal by the candle time checks says which one (forming, future, off_grid, interval); others none", async () => {
  const H = 3_600_000;
  const body = predictBody("BTCUSDT", 50, 3);
  const endingAt = (lastOpen: number, step = H) => ({
    ...body,
    candles: body.candles.map((c, i) => ({ ...c, openTime: lastOpen - (49 - i) * step })),
  });
  const hourly = new FakePredictor({ version: "v3_2026-12-01", interval: "1h" });
  const now = T0 + 30 * 60_000; // half-way through the candle opening at T0
  const outcomes = await predictBodies(
    hourly,
    [
      endingAt(T0 - H), // closed
      endingAt(T0), // forming: opened before the clock, closes after it
      endingAt(T0 + 3 * H), // opens hours ahead (UTC+3 stamps, or a clock behind)
      endingAt(T0 - 1.5 * H), // 30 min off the 1h UTC grid (local time, +5:30)
      endingAt(T0 - 4 * H, 4 * H), // 4h candles to a 1h model
      predictBody("BTCUSDT", 10, 3), // too few candles: no time check's
    ],
    ["", "", "", "", "", ""],
    "version",
    now,
  );
  assert.deepEqual(
    outcomes.map((o) => o.ok ? "ok" : o.refusal ?? "other"),
    ["ok", "forming", "future", "off_grid", "interval", "other"],
  );
  // A 1m candle opened a few seconds ahead of the clock (the bot's clock ahead): forming, within the grace.
  const minutely = new FakePredictor({ version: "v5_2026-12-01", interval: "1m" });
  const [ahead] = await predictBodies(minutely, [endingAt(T0, 60_000)], [""], "version", T0 - 5_000);
  assert.equal(ahead.ok ? "ok" : ahead.refusal, "forming");
});

// The request's log line kept a symbol sent in NFD (a Hangul syllable as its jamo) while the answer and the
// predictions log gave it composed (a docs seat).
Deno.test("symbolOf gives a body's symbol in NFC, as the parsed body has it", () => {
  assert.equal(symbolOf({ symbol: "비트USDT".normalize("NFD") }), "비트USDT".normalize("NFC"));
  assert.equal(symbolOf({ symbol: "btcusdt" }), "btcusdt");
  assert.equal(symbolOf({ symbol: 5 }), null);
});
