import assert from "node:assert/strict";
import {
  computeIndicators,
  readTrainingCsv,
  seriesFromCandles,
  writeTrainingCsv,
} from "../../features/index.ts";
import {
  faultsAt,
  type KlineRow,
  type KlinesServerOptions,
  seriesSource,
  sharedSource,
  syntheticKlines,
} from "../../test/binance_klines_server.ts";
import { REAL_SYMBOLS, sharedAvailable } from "../../test/shared.ts";
import type { CommandError } from "../errors.ts";
import { type CollectOptions, ManualClock, runCollect } from "./index.ts";
import {
  assertSameCandles,
  HOUR,
  klineNumbers,
  type Rig,
  rowsBetween,
  utcMs,
  withRig,
} from "../../test/collect_rig.ts";

const haveShared = sharedAvailable("data/binance-spot-1h/BTCUSDT-1h.csv");
const shared = sharedSource();
const btc = () => shared("BTCUSDT")!["1h"]!;

Deno.test({
  name: "collect: a date range spans several pages, end exclusive, equal to the source, minimal requests",
  ignore: !haveShared,
  fn: () =>
    withRig("2024-01-01", {}, async ({ server, env, output }) => {
      const report = await runCollect({
        source: "binance",
        symbols: ["BTCUSDT", "ETHUSDT"],
        interval: "1h",
        window: { kind: "dates", startDate: "2019-01-01", endDate: "2019-04-01" },
        baseUrl: server.url,
        output,
      }, env);
      const [from, to] = [utcMs("2019-01-01"), utcMs("2019-04-01")];
      const written = await readTrainingCsv(output);
      assert.deepEqual(written.map((s) => s.symbol), ["BTCUSDT", "ETHUSDT"]);
      for (const s of written) {
        const source = rowsBetween(shared(s.symbol)!["1h"]!, from, to);
        assertSameCandles(s, source);
        assert.equal(s.openTime[0], from);
        assert.equal(s.openTime[s.length - 1], to - HOUR, "the end date is exclusive");
      }
      // Over 2000 candles a symbol: 3 pages each, each starting one ms after the previous page's last open.
      assert.equal(report.requests, 6);
      const source = rowsBetween(btc(), from, to);
      const btcLog = server.log.filter((r) => r.symbol === "BTCUSDT");
      assert.deepEqual(btcLog.map((r) => r.startTime), [
        from,
        source[999].openTime + 1,
        source[1999].openTime + 1,
      ]);
      assert.ok(btcLog.every((r) => r.limit === 1000 && r.endTime === to - 1));
    }),
});

Deno.test({
  name: "collect: --limit above 1000 pages backwards to the latest N closed candles",
  ignore: !haveShared,
  fn: () =>
    withRig("2024-01-01", {}, async ({ server, env, output }) => {
      const report = await runCollect({
        source: "binance",
        symbols: ["SOLUSDT"],
        interval: "1h",
        window: { kind: "latest", count: 2500 },
        baseUrl: server.url,
        output,
      }, env);
      const all = shared("SOLUSDT")!["1h"]!;
      const [written] = await readTrainingCsv(output);
      assertSameCandles(written, all.slice(-2500));
      assert.equal(report.requests, 3);
      assert.deepEqual(server.log.map((r) => r.limit), [1000, 1000, 500]);
    }),
});

Deno.test({
  name: "collect: --months N is the last N calendar months before the clock",
  ignore: !haveShared,
  fn: () =>
    withRig("2023-06-15T12:34", {}, async ({ server, env, output }) => {
      const report = await runCollect({
        source: "binance",
        symbols: ["ETHUSDT"],
        interval: "1h",
        window: { kind: "months", months: 2 },
        baseUrl: server.url,
        output,
      }, env);
      const [written] = await readTrainingCsv(output);
      const source = rowsBetween(
        shared("ETHUSDT")!["1h"]!,
        utcMs("2023-04-15T12:34"),
        utcMs("2023-06-15T11:34"),
      );
      assertSameCandles(written, source);
      assert.equal(written.openTime[0], utcMs("2023-04-15T13:00"));
      assert.equal(
        written.openTime[written.length - 1],
        utcMs("2023-06-15T11:00"),
        "11:00 closed at 11:59:59.999",
      );
      assert.equal(report.requests, Math.ceil(source.length / 1000));
    }),
});

Deno.test({
  name: "collect: the still-open candle the exchange serves is never written",
  ignore: !haveShared,
  fn: () =>
    withRig("2023-06-01T10:30", {}, async ({ server, env, output }) => {
      // The exchange's newest kline is the one opened at 10:00, closing at 10:59:59.999: still open.
      const raw = await (await fetch(`${server.url}/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=2`))
        .json();
      assert.equal(raw.at(-1)[0], utcMs("2023-06-01T10:00"));
      for (
        const window of [{ kind: "latest", count: 5 }, { kind: "dates", startDate: "2023-06-01" }] as const
      ) {
        await runCollect({
          source: "binance",
          symbols: ["BTCUSDT"],
          interval: "1h",
          window,
          baseUrl: server.url,
          output,
        }, env);
        const [written] = await readTrainingCsv(output);
        assert.equal(written.openTime[written.length - 1], utcMs("2023-06-01T09:00"), window.kind);
      }
    }),
});

Deno.test({
  name: "collect: a real outage in the exchange's data is kept as a gap and reported",
  ignore: !haveShared,
  fn: () =>
    withRig("2024-01-01", {}, async ({ server, env, output }) => {
      const report = await runCollect({
        source: "binance",
        symbols: ["BTCUSDT"],
        interval: "1h",
        window: { kind: "dates", startDate: "2018-01-20", endDate: "2018-03-01" },
        baseUrl: server.url,
        output,
      }, env);
      const [written] = await readTrainingCsv(output);
      assertSameCandles(written, rowsBetween(btc(), utcMs("2018-01-20"), utcMs("2018-03-01")));
      const [summary] = report.summaries;
      assert.equal(summary.missing, 33);
      assert.deepEqual(summary.largest, { after: utcMs("2018-02-08T00:00"), missing: 33 });
      assert.match(
        env.printed.join("\n"),
        /33 missing 1h candles in 1 gap \(largest 33 after 2018-02-08 00:00\)/,
      );
      // 960 slots minus 33 missing: one page.
      assert.equal(report.requests, 1);
    }),
});

Deno.test("collect: a gap across a page boundary loses and repeats nothing (synthetic)", () => {
  const start = utcMs("2022-01-01");
  const rows = syntheticKlines("1h", start, 3000, { seed: 7 }).filter((_, i) => i < 990 || i >= 1020);
  return withRig(
    "2023-01-01",
    { source: seriesSource({ XYZUSDT: { "1h": rows } }) },
    async ({ server, env, output }) => {
      const report = await runCollect({
        source: "binance",
        symbols: ["XYZUSDT"],
        interval: "1h",
        // The range ends where the data does: one the exchange's data stops short of takes one request more.
        window: { kind: "dates", startDate: "2022-01-01", endDate: "2022-05-06" },
        baseUrl: server.url,
        output,
      }, env);
      const [written] = await readTrainingCsv(output);
      assertSameCandles(written, rows);
      assert.equal(report.summaries[0].missing, 30);
      assert.equal(report.requests, 3, "2970 candles: 3 pages");
      // Indicators run over the whole fetched history, as if computed on the source in one go.
      const expected = seriesFromCandles("XYZUSDT", rows.map((r) => ({ ...r, ...numbers(r) })));
      computeIndicators(expected);
      for (const col of ["rsi", "macd", "ema", "stochD"] as const) {
        assert.deepEqual(Array.from(written[col]), Array.from(expected[col]), col);
      }
    },
  );
});

Deno.test({
  name: "collect: a range ending exactly on a page boundary takes ceil(n/1000) requests",
  fn: () => {
    const start = utcMs("2022-01-01");
    const rows = syntheticKlines("1d", start, 2000, { seed: 3 });
    return withRig(
      "2030-01-01",
      { source: seriesSource({ XYZUSDT: { "1d": rows } }) },
      async ({ server, env, output }) => {
        const report = await runCollect({
          source: "binance",
          symbols: ["XYZUSDT"],
          interval: "1d",
          window: {
            kind: "dates",
            startDate: "2022-01-01",
            endDate: new Date(start + 2000 * 24 * HOUR).toISOString().slice(0, 10),
          },
          baseUrl: server.url,
          output,
        }, env);
        assert.equal(report.collected, 2000);
        assert.equal(report.requests, 2);
      },
    );
  },
});

Deno.test({
  name: "collect: five real symbols, minimal requests",
  ignore: !haveShared,
  fn: () =>
    withRig("2024-01-01", {}, async ({ server, env, output }) => {
      const report = await runCollect({
        source: "binance",
        symbols: [...REAL_SYMBOLS],
        interval: "1h",
        // The shared candles end on 2023-12-30 at 19:00: a range past that takes one request more per symbol.
        window: { kind: "dates", startDate: "2023-10-01", endDate: "2023-12-30" },
        baseUrl: server.url,
        output,
      }, env);
      const written = await readTrainingCsv(output);
      let minimum = 0;
      for (const s of written) {
        const source = rowsBetween(shared(s.symbol)!["1h"]!, utcMs("2023-10-01"), utcMs("2023-12-30"));
        assertSameCandles(s, source);
        minimum += Math.ceil(source.length / 1000);
      }
      assert.equal(report.requests, minimum);
    }),
});

function numbers(r: { open: string; high: string; low: string; close: string; volume: string }) {
  return {
    open: Number(r.open),
    high: Number(r.high),
    low: Number(r.low),
    close: Number(r.close),
    volume: Number(r.volume),
  };
}

// ---- The exchange's clock, short pages, klines out of order (helper trial s52) ----

/** 2496 synthetic hours, 2022-01-01 to 2022-04-15 (the range's end): three pages. */
const PAGED = syntheticKlines("1h", utcMs("2022-01-01"), 2496, { seed: 21 });
const PAGED_OTHER = syntheticKlines("1h", utcMs("2022-01-01"), 2496, { seed: 22, price: 7 });
const paged = seriesSource({ AAAUSDT: { "1h": PAGED }, BBBUSDT: { "1h": PAGED_OTHER } });
const pagedRange = (rig: Rig, symbols = ["AAAUSDT"]): CollectOptions => ({
  source: "binance",
  symbols,
  interval: "1h",
  window: { kind: "dates", startDate: "2022-01-01", endDate: "2022-04-15" },
  baseUrl: rig.server.url,
  output: rig.output,
});
const pagedLatest = (rig: Rig, count: number): CollectOptions => ({
  ...pagedRange(rig),
  window: { kind: "latest", count },
});
/** The klines every page brings, changed: a look-alike of Binance capping, reordering or repeating them. */
const everyPage =
  (rows: (selected: readonly KlineRow[]) => readonly KlineRow[]): KlinesServerOptions["fault"] => () => ({
    kind: "rows",
    rows,
  });

Deno.test("collect: a host clock ahead of the exchange stores no still-forming candle (closed by the exchange's Date)", () => {
  const rows = syntheticKlines("1h", utcMs("2023-05-25"), 400, { seed: 23 });
  // The exchange (the rig's clock, its Date header) is at 10:58: the 10:00 candle is still forming. The host
  // runs 3 minutes fast, at 11:01, where that candle "closed" at 10:59:59.999.
  return withRig("2023-06-01T10:58", { source: seriesSource({ XYZUSDT: { "1h": rows } }) }, async (rig) => {
    const env = { ...rig.env, clock: new ManualClock(utcMs("2023-06-01T11:01")) };
    for (
      const window of [{ kind: "latest", count: 5 }, { kind: "dates", startDate: "2023-06-01" }] as const
    ) {
      const options = { ...pagedRange(rig, ["XYZUSDT"]), window };
      // Before: 10:00 stored with the values it had at 10:58.
      const report = await runCollect(options, env);
      const [written] = await readTrainingCsv(rig.output);
      assert.equal(written.openTime[written.length - 1], utcMs("2023-06-01T09:00"), window.kind);
      assert.equal(report.requests, window.kind === "latest" ? 2 : 1, window.kind);
      rig.server.log.length = 0;
    }
  });
});

Deno.test("collect: a conflict on the file's last candle says it may have been stored while forming, and how to fix it", () => {
  const rows = syntheticKlines("1h", utcMs("2023-05-25"), 400, { seed: 23 });
  return withRig("2023-06-01T10:58", { source: seriesSource({ XYZUSDT: { "1h": rows } }) }, async (rig) => {
    // The file's newest candle, 09:00, holds other values than the exchange's final ones: stored while forming.
    const stored = klineNumbers(rowsBetween(rows, utcMs("2023-05-25"), utcMs("2023-06-01T10:00")));
    stored[stored.length - 1] = { ...stored[stored.length - 1], close: stored[stored.length - 1].close + 1 };
    stored[stored.length - 1].high = Math.max(
      stored[stored.length - 1].high,
      stored[stored.length - 1].close,
    );
    await writeTrainingCsv(rig.output, [seriesFromCandles("XYZUSDT", stored)]);
    const options = {
      ...pagedRange(rig, ["XYZUSDT"]),
      window: { kind: "dates", startDate: "2023-06-01" },
    } as const;
    await assert.rejects(runCollect(options, rig.env), (error: CommandError) => {
      // Before: "check that the source holds XYZUSDT …; give --replace …", nothing about a forming candle.
      assert.match(
        error.message,
        /: 1 candle already there differs from the source \(XYZUSDT 2023-06-01 09:00 (high|close) .*\); nothing was written; XYZUSDT 2023-06-01 09:00 UTC is the file's last candle of its symbol: it may have been stored while still forming \(by a collect on a host whose clock ran ahead of the exchange's\)$/,
      );
      assert.match(
        error.hint!,
        /^collect --replace overwrites the rows .*\(for retrain, run its collect once by hand with --replace\); then check the host's clock is synchronised \(timedatectl\); if the file's values are the right ones, check the source \(--base-url\) instead$/,
      );
      return true;
    });
    await runCollect({ ...options, replace: true }, rig.env);
    const [written] = await readTrainingCsv(rig.output);
    assert.equal(
      written.close[written.length - 1],
      Number(rows.find((r) => r.openTime === utcMs("2023-06-01T09:00"))!.close),
    );
  });
});

Deno.test("collect: a page shorter than asked for mid-range is paged on from its last kline (forward and backward)", async () => {
  // Before: the first short page ended the collect, exit 0: 400 or 500 candles of 2496.
  await withRig("2023-01-01", {
    source: paged,
    fault: faultsAt({ 1: { kind: "rows", rows: (r) => r.slice(0, 400) } }),
  }, async (rig) => {
    const report = await runCollect(pagedRange(rig), rig.env);
    assertSameCandles((await readTrainingCsv(rig.output))[0], PAGED);
    assert.equal(report.requests, 4);
    assert.equal(rig.server.log[1].startTime, PAGED[399].openTime + 1);
  });
  await withRig("2023-01-01", { source: paged, fault: everyPage((r) => r.slice(0, 500)) }, async (rig) => {
    const report = await runCollect(pagedRange(rig), rig.env);
    assertSameCandles((await readTrainingCsv(rig.output))[0], PAGED);
    assert.equal(report.requests, 5);
    assert.ok(!rig.env.printed.some((l) => /Binance returned/.test(l)), rig.env.printed.join("\n"));
  });
  await withRig(
    "2022-04-15T01:00",
    { source: paged, fault: everyPage((r) => r.slice(-500)) },
    async (rig) => {
      await runCollect(pagedLatest(rig, 2000), rig.env);
      assertSameCandles((await readTrainingCsv(rig.output))[0], PAGED.slice(-2000));
    },
  );
});

Deno.test("collect: an empty page mid-range ends the symbol, keeps what came, and says how many fewer came", () =>
  withRig(
    "2023-01-01",
    { source: paged, fault: faultsAt({ 2: { kind: "rows", rows: () => [] } }) },
    async (rig) => {
      const report = await runCollect(pagedRange(rig), rig.env);
      assertSameCandles((await readTrainingCsv(rig.output))[0], PAGED.slice(0, 1000));
      assert.equal(report.requests, 2);
      // Before: nothing said, exit 0, a file of 1000 of the 2496 candles. The range ended long before the
      // exchange's now: its data there has stopped, and running again later brings nothing more.
      assert.ok(
        rig.env.printed.includes(
          "Binance returned 1,000 of ~2,496 candles asked for AAAUSDT 1h: the exchange has none after " +
            "2022-02-11 15:00 UTC up to the range's end, 2022-04-15 00:00 UTC (delisted or halted?)",
        ),
        rig.env.printed.join("\n"),
      );
    },
  ));

Deno.test("collect: klines out of order in a page are sorted and repeats dropped; two different ones for a time refuse that symbol", async () => {
  const swap = (i: number, j: number) => (rows: readonly KlineRow[]) => {
    const r = [...rows];
    const [a, b] = [(i + r.length) % r.length, (j + r.length) % r.length];
    [r[a], r[b]] = [r[b], r[a]];
    return r;
  };
  // Before: swapped mid-page, a candle silently dropped; at the page's end, "candle 999: open_time … is not
  // after the previous candle's", exit 1, nothing written.
  for (
    const rows of [swap(2, 3), swap(-2, -1), (r: readonly KlineRow[]) => [r[0], r[1], r[1], ...r.slice(2)]]
  ) {
    await withRig(
      "2023-01-01",
      { source: paged, fault: faultsAt({ 1: { kind: "rows", rows } }) },
      async (rig) => {
        await runCollect(pagedRange(rig), rig.env);
        assertSameCandles((await readTrainingCsv(rig.output))[0], PAGED);
      },
    );
  }
  // Another close at 01:00 beside the real one: the exchange contradicts itself; BBBUSDT is still written.
  const differing = (rows: readonly KlineRow[]) =>
    rows[0].openTime === PAGED[0].openTime && rows[0].close === PAGED[0].close
      ? [rows[0], rows[1], { ...rows[1], close: String(Number(rows[1].close) + 0.5) }, ...rows.slice(2)]
      : rows;
  await withRig("2023-01-01", { source: paged, fault: everyPage(differing) }, async (rig) => {
    await assert.rejects(
      runCollect(pagedRange(rig, ["AAAUSDT", "BBBUSDT"]), rig.env),
      (error: CommandError) => {
        assert.match(
          error.message,
          /^AAAUSDT 1h: the exchange \(http:\/\/127\.0\.0\.1:\d+\/api\/v3\/klines\) sent two different klines opening at 2022-01-01 01:00 UTC \(close [\d.]+ and [\d.]+\); AAAUSDT was left out$/,
        );
        assert.match(error.hint!, /the exchange's data contradicts itself there, not this file's/);
        return true;
      },
    );
    const written = await readTrainingCsv(rig.output);
    assert.deepEqual(written.map((s) => s.symbol), ["BBBUSDT"]);
    assertSameCandles(written[0], PAGED_OTHER);
  });
});

Deno.test("collect: the exchange contradicting itself on a later page leaves out every candle of that symbol", () => {
  // The second page of AAAUSDT (from PAGED[1000]) holds two different klines for one open time; the first page,
  // 1000 good candles, was fetched before it.
  const differing: KlinesServerOptions["fault"] = (request) =>
    request.symbol === "AAAUSDT" && request.startTime === PAGED[999].openTime + 1
      ? {
        kind: "rows",
        rows: (r) => [r[0], r[1], { ...r[1], close: String(Number(r[1].close) + 0.5) }, ...r.slice(2)],
      }
      : undefined;
  return withRig("2023-01-01", { source: paged, fault: differing }, async (rig) => {
    await assert.rejects(
      runCollect(pagedRange(rig, ["AAAUSDT", "BBBUSDT"]), rig.env),
      (error: CommandError) => {
        assert.match(
          error.message,
          /^AAAUSDT 1h: the exchange .* sent two different klines opening at 2022-02-11 17:00 UTC/,
        );
        return true;
      },
    );
    assert.equal(
      rig.server.log.filter((r) => r.symbol === "AAAUSDT").length,
      2,
      "the contradiction is on page 2",
    );
    // Without emptying the symbol's pages, the first page's 1000 candles were written.
    const written = await readTrainingCsv(rig.output);
    assert.deepEqual(written.map((s) => s.symbol), ["BBBUSDT"]);
    assertSameCandles(written[0], PAGED_OTHER);
  });
});

Deno.test("collect: data that ends on its own before the range's end: said stopped (delisted?) or late, one request more", async () => {
  // 1500 hours from 2022-01-01: the last opens 2022-03-04 11:00.
  const rows = syntheticKlines("1h", utcMs("2022-01-01"), 1500, { seed: 31 });
  const source = seriesSource({ XYZUSDT: { "1h": rows } });
  const options = (rig: Rig): CollectOptions => ({
    ...pagedRange(rig, ["XYZUSDT"]),
    window: { kind: "dates", startDate: "2022-01-01" },
  });
  // Months later the exchange still has nothing after it: the symbol stopped trading there.
  await withRig("2023-01-01", { source }, async (rig) => {
    const report = await runCollect(options(rig), rig.env);
    assertSameCandles((await readTrainingCsv(rig.output))[0], rows);
    assert.equal(report.requests, 3, "ceil(1500/1000) pages and the empty one that says the data stops");
    // Before: "…; run again later or check --start-date", on every run.
    assert.deepEqual(rig.env.printed.filter((l) => /Binance returned/.test(l)), [
      "Binance returned 1,500 of ~8,760 candles asked for XYZUSDT 1h: the exchange has none after " +
      "2022-03-04 11:00 UTC (delisted or halted?)",
    ]);
  });
  // An hour and a half later, the exchange only one candle behind: it comes later.
  await withRig("2022-03-04T13:30", { source }, async (rig) => {
    await runCollect(options(rig), rig.env);
    assert.deepEqual(rig.env.printed.filter((l) => /Binance returned/.test(l)), [
      "Binance returned 1,500 of ~1,501 candles asked for XYZUSDT 1h; run again later or check --start-date",
    ]);
  });
});

Deno.test("collect: an exchange clock over a minute from the host's is said once a run, which way round", async () => {
  const rows = syntheticKlines("1h", utcMs("2023-05-25"), 400, { seed: 23 });
  const source = seriesSource({ XYZUSDT: { "1h": rows }, ZZZUSDT: { "1h": rows } });
  const notes = (rig: Rig) => rig.env.printed.filter((l) => l.startsWith("note: "));
  const check = "check the host's clock (timedatectl) or the --base-url server's";
  // The exchange (its Date header, the rig's clock) at 10:58; the host's clock as given.
  const cases: [string, string[]][] = [
    // A look-alike a day behind: its newest day was hidden on every run, nothing said.
    ["2023-06-02T10:58", [
      "note: this host's clock is 1 day ahead of the exchange's (its Date header): candles are judged closed by " +
      `the earlier of the two, the exchange's; ${check}`,
    ]],
    ["2023-06-01T08:55", [
      "note: the exchange's clock (Date header) is 2 h 3 min ahead of this host's: candles are judged closed by " +
      `the earlier of the two, this host's; ${check}`,
    ]],
    ["2023-06-01T10:58:45", []],
  ];
  for (const [host, expected] of cases) {
    await withRig("2023-06-01T10:58", { source }, async (rig) => {
      const env = { ...rig.env, clock: new ManualClock(utcMs(host)) };
      const window = { kind: "latest", count: 5 } as const;
      await runCollect({ ...pagedRange(rig, ["XYZUSDT", "ZZZUSDT"]), window }, env);
      assert.deepEqual(notes(rig), expected, host);
    });
  }
});

Deno.test("collect: conflicts on two symbols' last candles say they may have been stored while forming (plural)", () => {
  const rows = syntheticKlines("1h", utcMs("2023-05-25"), 400, { seed: 23 });
  const source = seriesSource({ XYZUSDT: { "1h": rows }, ZZZUSDT: { "1h": rows } });
  return withRig("2023-06-01T10:58", { source }, async (rig) => {
    const stored = klineNumbers(rowsBetween(rows, utcMs("2023-05-25"), utcMs("2023-06-01T10:00")));
    const last = stored[stored.length - 1];
    stored[stored.length - 1] = { ...last, close: last.close + 1, high: Math.max(last.high, last.close + 1) };
    await writeTrainingCsv(rig.output, [
      seriesFromCandles("XYZUSDT", stored),
      seriesFromCandles("ZZZUSDT", stored),
    ]);
    const options = {
      ...pagedRange(rig, ["XYZUSDT", "ZZZUSDT"]),
      window: { kind: "dates", startDate: "2023-06-01" },
    } as const;
    await assert.rejects(runCollect(options, rig.env), (error: CommandError) => {
      // Before: "… are the file's last candles of theirs: it may have been stored while still forming".
      assert.match(
        error.message,
        /; nothing was written; XYZUSDT 2023-06-01 09:00 UTC, ZZZUSDT 2023-06-01 09:00 UTC are the file's last candles of theirs: they may have been stored while still forming \(by a collect on a host whose clock ran ahead of the exchange's\)$/,
      );
      assert.match(error.hint!, /check the source \(--base-url\)/);
      return true;
    });
  });
});

Deno.test("collect: a kline no candle can be is named by its time and refuses its symbol; the others are written", async () => {
  // High below low at 2022-01-01 03:00 in AAAUSDT's first page.
  const broken = (rows: readonly KlineRow[]) =>
    rows.map((r) => r.openTime === PAGED[3].openTime ? { ...r, high: String(Number(r.low) - 1) } : r);
  const fault: KlinesServerOptions["fault"] = (request) =>
    request.symbol === "AAAUSDT" ? { kind: "rows", rows: broken } : undefined;
  await withRig("2023-01-01", { source: paged, fault }, async (rig) => {
    await assert.rejects(
      runCollect(pagedRange(rig, ["AAAUSDT", "BBBUSDT"]), rig.env),
      (error: CommandError) => {
        // Before: "AAAUSDT candle 3: high … is below low …", hint "fix the data named", and nothing written.
        assert.match(
          error.message,
          /^AAAUSDT 1h: the exchange \(http:\/\/127\.0\.0\.1:\d+\/api\/v3\/klines\) sent a kline opening at 2022-01-01 03:00 UTC whose high [\d.]+ is below low \([\d.]+\); AAAUSDT was left out$/,
        );
        assert.match(error.hint!, /the exchange's data is broken there, not a file of yours/);
        return true;
      },
    );
    const written = await readTrainingCsv(rig.output);
    assert.deepEqual(written.map((s) => s.symbol), ["BBBUSDT"]);
    assertSameCandles(written[0], PAGED_OTHER);
  });
});

Deno.test("collect: klines of another interval than asked for (a look-alike API ignoring it) are refused", async () => {
  // 1h klines served for --interval 4h (the rig gives them 4h close times: their steps show it).
  const hourlyAs4h = seriesSource({ AAAUSDT: { "4h": PAGED } });
  await withRig("2023-01-01", { source: hourlyAs4h }, async (rig) => {
    // Before: the 1h candles written as the file's 4h ones, exit 0, with a warning.
    await assert.rejects(
      runCollect({ ...pagedRange(rig), interval: "4h" }, rig.env),
      (error: CommandError) => {
        assert.match(
          error.message,
          /^AAAUSDT 4h: the API \(.*\) sent klines opening 1h apart \(2022-01-01T00:00:00\.000Z, 2022-01-01T01:00:00\.000Z\), not 4h candles: not the interval asked for; nothing more was fetched$/,
        );
        assert.match(error.hint!, /Binance-compatible API that honours the interval parameter/);
        return true;
      },
    );
    assert.equal(await Deno.stat(rig.output).then(() => true, () => false), false, "nothing written");
  });
  // One kline a page (no step to see, as with --limit 1): it lasts one hour, no 4h or 1d candle. A review
  // found a rule by the page's majority letting it through.
  const open = utcMs("2022-01-01");
  const oneHourly = JSON.stringify([[open, "1", "2", "1", "1", "5", open + HOUR - 1, "5", 1, "1", "1", "0"]]);
  for (const interval of ["4h", "1d"] as const) {
    await withRig("2023-01-01", {
      source: paged,
      fault: () => ({ kind: "status", status: 200, body: oneHourly }),
    }, async (rig) => {
      await assert.rejects(
        runCollect({ ...pagedRange(rig), interval }, rig.env),
        new RegExp(
          `AAAUSDT ${interval}: the API \\(.*\\) sent a kline lasting 1h \\(opening at 2022-01-01T00:00:00\\.000Z, closing at 2022-01-01T01:00:00\\.000Z\\), not ${interval} candles`,
        ),
      );
    });
  }
});

/** A 1h kline as Binance's API sends it (prices made up), closing one hour after it opens unless cut short. */
const kline = (
  open: number,
  close = open + HOUR - 1,
) => [open, "100", "102", "99", "101", "5", close, "5", 1, "1", "1", "0"];
const hoursFrom = (from: string, n: number) => Array.from({ length: n }, (_, k) => utcMs(from) + k * HOUR);
/**
 * BTCUSDT's 1h klines of 2018-02-10 and 11 as binance-public-data#77 describes them: on the hour, a kline cut
 * short at 2018-02-10 00:28:14.788, then klines at HH:28:14.789, an hour apart, until 2018-02-11 03:28:14.789
 * (closing 04:00:00.999), then on the hour again: 27 of the 48 off the hour, 21 on it.
 */
const MAINTENANCE = 28 * 60_000 + 14_789;
const FEBRUARY = hoursFrom("2018-02-10", 48).map((t) =>
  t === utcMs("2018-02-10T00:00")
    ? kline(t, t + MAINTENANCE - 1)
    : t > utcMs("2018-02-10T00:00") && t < utcMs("2018-02-11T03:00")
    ? kline(t - HOUR + MAINTENANCE)
    : t === utcMs("2018-02-11T03:00")
    ? kline(1518319694789, 1518321600999)
    : kline(t)
);
/** One page of `klines` for each request: those in its [startTime, endTime]. */
const serving = (klines: readonly (string | number)[][]): KlinesServerOptions["fault"] => (request) => ({
  kind: "status",
  status: 200,
  body: JSON.stringify(
    klines.filter((k) =>
      (k[0] as number) >= (request.startTime ?? 0) && (k[0] as number) <= (request.endTime ?? Infinity)
    ),
  ),
});

Deno.test("collect: Binance's own klines cut short at maintenance are kept, not refused as another interval", async () => {
  // BTCUSDT 1h as Binance's API has them (binance/binance-public-data#77): the kline opening 2018-01-04 03:00
  // closes 14.8 s later, and one opens at 2018-02-11 03:28:14.789 and closes at 04:00:00.999, the next hour's
  // opening 31 minutes after it. A review found e696510's interval check refusing both ("check that --base-url
  // points at a Binance-compatible API", exit 1, nothing written), where they were written with a warning.
  const january = hoursFrom("2018-01-03", 48).map((t) =>
    t === 1515034800000 ? kline(t, 1515034814838) : kline(t)
  );
  for (
    const [klines, from, to] of [[january, "2018-01-03", "2018-01-05"], [
      FEBRUARY,
      "2018-02-10",
      "2018-02-12",
    ]] as const
  ) {
    // One page for the range; the request after it, from past its last kline, gets none.
    await withRig("2018-03-01", { source: paged, fault: serving(klines) }, async (rig) => {
      await runCollect({
        ...pagedRange(rig),
        window: { kind: "dates", startDate: from, endDate: to },
      }, rig.env);
      const [written] = await readTrainingCsv(rig.output);
      assert.equal(written.length, 48, `${from}: every kline written`);
    });
  }
});

Deno.test("collect: Binance's later klines, on the hour, join rows that hold its maintenance stretch off the hour", async () => {
  // After 2018-02-10..12 (27 of its 48 rows at :28:14.789), 2018-03-01..03 on the hour. Before: refused, "lies
  // 1,905,211 ms past the grid of its 27 rows …, which open like 2018-02-11T23:00:00.000Z", the grid taken from
  // the rows most share (the maintenance's), though 21 rows are on the hour (and that example among them).
  const march = hoursFrom("2018-03-01", 48).map((t) => kline(t));
  await withRig("2018-03-05", { source: paged, fault: serving([...FEBRUARY, ...march]) }, async (rig) => {
    const range = (startDate: string, endDate: string): CollectOptions => ({
      ...pagedRange(rig),
      window: { kind: "dates", startDate, endDate },
    });
    await runCollect(range("2018-02-10", "2018-02-12"), rig.env);
    await runCollect(range("2018-03-01", "2018-03-03"), rig.env);
    const [written] = await readTrainingCsv(rig.output);
    assert.equal(written.length, 96, "both ranges' klines written");
    assert.equal(written.openTime[95], utcMs("2018-03-02T23:00"));
    // And the other way round: the maintenance stretch into rows on the hour.
    await Deno.remove(rig.output);
    await runCollect(range("2018-03-01", "2018-03-03"), rig.env);
    await runCollect(range("2018-02-10", "2018-02-12"), rig.env);
    assert.equal((await readTrainingCsv(rig.output))[0].length, 96);
  });
});

Deno.test("collect --limit: candles that stopped long before now are said to have stopped (delisted or halted?), at no extra request", async () => {
  // 1500 hours from 2022-01-01: the last opens 2022-03-04 11:00.
  const rows = syntheticKlines("1h", utcMs("2022-01-01"), 1500, { seed: 31 });
  const source = seriesSource({ XYZUSDT: { "1h": rows } });
  const latest = (rig: Rig, count: number): CollectOptions => ({
    ...pagedRange(rig, ["XYZUSDT"]),
    window: { kind: "latest", count },
  });
  const said = (rig: Rig) => rig.env.printed.filter((l) => /Binance returned/.test(l));
  // Before: exit 0 and not a word that the newest of the "latest" 500 candles was ten months old.
  await withRig("2023-01-01", { source }, async (rig) => {
    const report = await runCollect(latest(rig, 500), rig.env);
    assertSameCandles((await readTrainingCsv(rig.output))[0], rows.slice(-500));
    assert.equal(report.requests, 1, "a full page: the real exchange's answer, trusted as it is");
    assert.deepEqual(said(rig), [
      "Binance returned the 500 candles asked for XYZUSDT 1h: the exchange has none after 2022-03-04 11:00 UTC " +
      "(delisted or halted?)",
    ]);
  });
  // Fewer than asked for as well: both ends said.
  await withRig("2023-01-01", { source }, async (rig) => {
    await runCollect(latest(rig, 2000), rig.env);
    assertSameCandles((await readTrainingCsv(rig.output))[0], rows);
    assert.deepEqual(said(rig), [
      "Binance returned 1,500 of the 2,000 candles asked for XYZUSDT 1h: it has none before them (the symbol's " +
      "history may start there), and none after 2022-03-04 11:00 UTC (delisted or halted?)",
    ]);
  });
  // Two hours on, only the newest closed candle (12:00) and the forming one are not there yet: nothing said.
  await withRig("2022-03-04T14:30", { source }, async (rig) => {
    const report = await runCollect(latest(rig, 500), rig.env);
    assert.equal(report.requests, 1);
    assert.deepEqual(said(rig), []);
  });
});

Deno.test("collect --limit: a look-alike answering endTime alone with the window's oldest klines is paged forward to the newest", async () => {
  // The first 300 of the `limit` klines at or before endTime, as a look-alike behind --base-url answered. Before:
  // each page's newest 700 hours were skipped, the run ended 29 days early with gaps, exit 0.
  const oldest: KlinesServerOptions["fault"] = (request) =>
    request.startTime === undefined ? { kind: "rows", rows: (r) => r.slice(0, 300) } : undefined;
  await withRig("2022-04-15T00:30", { source: paged, fault: oldest }, async (rig) => {
    const report = await runCollect(pagedLatest(rig, 2000), rig.env);
    const [written] = await readTrainingCsv(rig.output);
    assertSameCandles(written, PAGED.slice(-2000));
    assert.equal(report.summaries[0].missing, 0);
    assert.ok(!rig.env.printed.some((l) => /Binance returned/.test(l)), rig.env.printed.join("\n"));
    // Each endTime page (300 klines) and the forward page from its newest that brings the window's other 700.
    assert.deepEqual(rig.server.log.map((r) => r.startTime === undefined ? "end" : "start"), [
      "end",
      "start",
      "end",
      "start",
    ]);
  });
});
