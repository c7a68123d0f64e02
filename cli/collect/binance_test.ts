import assert from "node:assert/strict";
import { computeIndicators, readTrainingCsv, seriesFromCandles } from "../../features/index.ts";
import { seriesSource, sharedSource, syntheticKlines } from "../../test/binance_klines_server.ts";
import { REAL_SYMBOLS, sharedAvailable } from "../../test/shared.ts";
import { runCollect } from "./index.ts";
import { assertSameCandles, HOUR, rowsBetween, utcMs, withRig } from "../../test/collect_rig.ts";

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
        window: { kind: "dates", startDate: "2022-01-01", endDate: "2023-01-01" },
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
        window: { kind: "dates", startDate: "2023-10-01", endDate: "2024-01-01" },
        baseUrl: server.url,
        output,
      }, env);
      const written = await readTrainingCsv(output);
      let minimum = 0;
      for (const s of written) {
        const source = rowsBetween(shared(s.symbol)!["1h"]!, utcMs("2023-10-01"), utcMs("2024-01-01"));
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
