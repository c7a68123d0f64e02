import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  computeIndicators,
  INDICATOR_COLUMNS,
  readTrainingCsv,
  seriesFromCandles,
} from "../../features/index.ts";
import { type KlineRow, seriesSource, syntheticKlines } from "../../test/binance_klines_server.ts";
import {
  assertSameCandles,
  klineNumbers,
  type Rig,
  rowsBetween,
  utcMs,
  withRig,
} from "../../test/collect_rig.ts";
import { CommandError, UsageError } from "../errors.ts";
import { type CollectOptions, runCollect, type Window } from "./index.ts";
import { closedOnly } from "./file_window.ts";

const START = utcMs("2022-01-01");
const ROWS = syntheticKlines("1h", START, 1200, { seed: 11 }); // 2022-01-01 … 2022-02-20
const source = seriesSource({ AAAUSDT: { "1h": ROWS } });

/** The whole file's indicators: what every row of a window cut from it must carry. */
const WHOLE = seriesFromCandles("AAAUSDT", klineNumbers(ROWS));
computeIndicators(WHOLE);

async function writeCsv(rig: Rig): Promise<string> {
  const path = join(dirname(rig.output), "AAAUSDT-1h.csv");
  await writeFile(
    path,
    [
      "open_time,open,high,low,close,volume",
      ...ROWS.map((r) => [r.openTime, r.open, r.high, r.low, r.close, r.volume].join(",")),
    ].join("\n"),
  );
  return path;
}

const csv = (csvPath: string, window: Window | undefined, output: string): CollectOptions => ({
  source: "csv",
  files: [{ path: csvPath, symbol: "AAAUSDT" }],
  window,
  output,
});

/** The written rows are exactly `rows`, each with the indicators the whole file gives it. */
async function assertWindow(output: string, rows: readonly KlineRow[]): Promise<void> {
  const [written] = await readTrainingCsv(output);
  assertSameCandles(written, rows);
  const offset = ROWS.indexOf(rows[0]);
  for (const col of INDICATOR_COLUMNS) {
    assert.deepEqual(
      Array.from(written[col]),
      Array.from(WHOLE[col].subarray(offset, offset + rows.length)),
      `${col}: the whole file's values`,
    );
  }
}

Deno.test("collect --source csv --start-date/--end-date: the window's rows, with the whole file's indicators", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const path = await writeCsv(rig);
    const report = await runCollect(
      csv(path, { kind: "dates", startDate: "2022-01-10", endDate: "2022-01-20" }, rig.output),
      rig.env,
    );
    const window = rowsBetween(ROWS, utcMs("2022-01-10"), utcMs("2022-01-20"));
    assert.equal(window.length, 240);
    assert.equal(report.collected, 240);
    // Without the warm-up from the file's earlier candles, the first 49 rows had no EMA(50) and the rest
    // differed from TA-Lib's over the file.
    await assertWindow(rig.output, window);

    // A later window merged in: the file as one window would have written it, byte for byte.
    await runCollect(csv(path, { kind: "dates", startDate: "2022-01-20" }, rig.output), rig.env);
    const onePass = join(dirname(rig.output), "one_pass.csv");
    await runCollect(csv(path, { kind: "dates", startDate: "2022-01-10" }, onePass), rig.env);
    assert.equal(await readFile(rig.output, "utf8"), await readFile(onePass, "utf8"));
    await assertWindow(rig.output, rowsBetween(ROWS, utcMs("2022-01-10"), Infinity));
  }));

Deno.test("collect --source csv: windows merged with a gap between them, in either order, get the whole file's indicators", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const path = await writeCsv(rig);
    const early: Window = { kind: "dates", startDate: "2022-01-10", endDate: "2022-01-12" };
    const late: Window = { kind: "dates", startDate: "2022-01-20", endDate: "2022-01-22" };
    // The output skips 01-12 … 01-20. Only the file's candles before the output's first row were read as
    // warm-up: the later window's indicators ran on from 01-11 23:00 across the gap (RSI 12 where the file
    // gives 55 on a real file), and collecting the earlier window second spoilt the later rows already written.
    // The file's candles in the gap are warm-up too.
    for (const [name, order] of [["forward.csv", [early, late]], ["backward.csv", [late, early]]] as const) {
      const output = join(dirname(rig.output), name);
      for (const window of order) await runCollect(csv(path, window, output), rig.env);
      const [written] = await readTrainingCsv(output);
      assert.equal(written.length, 96);
      for (let i = 0; i < written.length; i++) {
        const k = ROWS.findIndex((r) => r.openTime === written.openTime[i]);
        for (const col of INDICATOR_COLUMNS) {
          assert.ok(
            Object.is(written[col][i], WHOLE[col][k]),
            `${name}: ${col} of row ${i}: ${written[col][i]} ≠ ${WHOLE[col][k]}`,
          );
        }
      }
    }
  }));

Deno.test("collect --source csv --limit/--months: the latest candles of the file, by binance's rule", () =>
  withRig("2022-02-25", { source }, async (rig) => {
    const path = await writeCsv(rig);
    await runCollect(csv(path, { kind: "latest", count: 100 }, rig.output), rig.env);
    await assertWindow(rig.output, ROWS.slice(-100));
    const months = join(dirname(rig.output), "months.csv");
    await runCollect(csv(path, { kind: "months", months: 1 }, months), rig.env);
    await assertWindow(months, rowsBetween(ROWS, utcMs("2022-01-25"), Infinity));
    // More than the file holds is the whole file, as binance gives what it has.
    const all = join(dirname(rig.output), "all.csv");
    await runCollect(csv(path, { kind: "latest", count: 5000 }, all), rig.env);
    await assertWindow(all, ROWS);
  }));

Deno.test("collect --source csv: a window the file has no candles in is an error naming its span, nothing written", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const path = await writeCsv(rig);
    for (
      const window of [
        { kind: "dates", startDate: "2021-01-01", endDate: "2021-06-01" },
        { kind: "dates", startDate: "2022-06-01" },
        { kind: "months", months: 3 },
      ] as Window[]
    ) {
      await assert.rejects(runCollect(csv(path, window, rig.output), rig.env), (error: CommandError) => {
        assert.ok(error instanceof CommandError && !(error instanceof UsageError), String(error));
        assert.equal(error.exitCode, 1);
        assert.match(
          error.message,
          new RegExp(
            `^${path} has no candles in .*; it holds AAAUSDT 2022-01-01 00:00 → 2022-02-19 23:00 UTC$`,
          ),
        );
        assert.match(error.hint!, /inside the file's span/);
        return true;
      });
    }
    await assert.rejects(Deno.stat(rig.output), Deno.errors.NotFound);
    // A start date after today is the flag's error, as with binance.
    await assert.rejects(
      runCollect(csv(path, { kind: "dates", startDate: "2024-01-01" }, rig.output), rig.env),
      (error: UsageError) =>
        error instanceof UsageError && /--start-date: 2024-01-01 is in the future/.test(error.message),
    );
  }));

Deno.test("collect --source json with a window: the bot's indicators kept, warm-up from the export's earlier candles", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const rows = klineNumbers(ROWS.slice(0, 200));
    const jsonPath = join(dirname(rig.output), "export.json");
    // The bot sends RSI on even candles only (a value of its own), nothing else.
    const exported = (withTime: boolean) =>
      JSON.stringify([{
        symbol: "AAAUSDT",
        candles: rows.map((r, i) => ({
          ...(withTime ? { t: r.openTime } : {}),
          o: r.open,
          h: r.high,
          l: r.low,
          c: r.close,
          v: r.volume,
          ...(i % 2 === 0 ? { rsi: 12.5 } : {}),
        })),
      }]);
    await writeFile(jsonPath, exported(true));
    const options: CollectOptions = {
      source: "json",
      jsonPath,
      window: { kind: "latest", count: 60 },
      output: rig.output,
    };
    await runCollect(options, rig.env);
    const [written] = await readTrainingCsv(rig.output);
    assert.equal(written.length, 60);
    assert.equal(written.openTime[0], rows[140].openTime);
    for (let i = 0; i < 60; i++) {
      assert.ok(Object.is(written.rsi[i], (140 + i) % 2 === 0 ? 12.5 : WHOLE.rsi[140 + i]), `rsi[${i}]`);
      assert.ok(Object.is(written.ema[i], WHOLE.ema[140 + i]), `ema[${i}]`);
    }
    // Without open times there is nothing to cut by: the flag's error (exit 2), nothing written.
    await writeFile(jsonPath, exported(false));
    await assert.rejects(
      runCollect({ ...options, output: join(dirname(rig.output), "untimed.csv") }, rig.env),
      (error: UsageError) => {
        assert.ok(error instanceof UsageError);
        assert.match(
          error.message,
          /^--limit: .*export\.json has AAAUSDT candles without an open time \("t"\)/,
        );
        assert.match(error.hint!, /drop --limit to collect the whole file/);
        return true;
      },
    );
  }));

Deno.test("collect --source json with a window: a symbol it selects nothing of is named with its span, not as one without closed candles", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const jsonPath = join(dirname(rig.output), "export.json");
    const candles = (rows: readonly KlineRow[]) =>
      klineNumbers(rows).map((r) => ({
        t: r.openTime,
        o: r.open,
        h: r.high,
        l: r.low,
        c: r.close,
        v: r.volume,
      }));
    await writeFile(
      jsonPath,
      JSON.stringify([
        { symbol: "AAAUSDT", candles: candles(ROWS.slice(0, 200)) },
        { symbol: "BBBUSDT", candles: candles(ROWS.slice(0, 50)) }, // ends 2022-01-03 01:00
      ]),
    );
    const window: Window = { kind: "dates", startDate: "2022-01-05" };
    await runCollect({ source: "json", jsonPath, window, output: rig.output }, rig.env);
    // Before: "BBBUSDT: no closed candles for …export.json", though all 50 of its candles had closed.
    assert.ok(
      !rig.env.printed.some((line) => line.includes("no closed candles")),
      rig.env.printed.join("\n"),
    );
    assert.ok(
      rig.env.printed.includes(
        `${jsonPath}: BBBUSDT has no candles in 2022-01-05 → its end (UTC); ` +
          "it holds 2022-01-01 00:00 → 2022-01-03 01:00 UTC",
      ),
      rig.env.printed.join("\n"),
    );
    const written = await readTrainingCsv(rig.output);
    assert.deepEqual(written.map((s) => [s.symbol, s.length]), [["AAAUSDT", 200 - 96]]);
  }));

Deno.test("collect --source csv: a last candle still open when the file was read is left out, and said so", () =>
  withRig("2022-02-19T23:30", { source }, async (rig) => {
    const path = await writeCsv(rig);
    // Exported at 23:30: the 23:00 candle's close and volume are half an hour's, not the candle's.
    const report = await runCollect(csv(path, undefined, rig.output), rig.env);
    assert.equal(report.collected, ROWS.length - 1);
    const [written] = await readTrainingCsv(rig.output);
    assertSameCandles(written, ROWS.slice(0, -1));
    assert.ok(
      rig.env.printed.includes(
        `${path}: AAAUSDT: its last candle (from 2022-02-19 23:00 UTC) had not closed by 2022-02-19 23:30 UTC; ` +
          "left out (a later collect takes it once closed)",
      ),
      rig.env.printed.join("\n"),
    );
    // Once it has closed, the same file adds it.
    rig.clock.advance(utcMs("2022-02-20") - rig.clock.now());
    await runCollect(csv(path, undefined, rig.output), rig.env);
    assertSameCandles((await readTrainingCsv(rig.output))[0], ROWS);
    // A file whose every candle opens after now: its times are wrong, not "no candles".
    rig.clock.advance(utcMs("2021-06-01") - rig.clock.now());
    await assert.rejects(
      runCollect(csv(path, undefined, join(dirname(rig.output), "future.csv")), rig.env),
      (error: CommandError) => {
        assert.equal(error.exitCode, 1);
        assert.match(
          error.message,
          /AAAUSDT-1h\.csv: AAAUSDT has a candle opening at .* after this machine's/,
        );
        return true;
      },
    );
  }));

Deno.test("collect --source csv: candles opening after the clock (local times east of UTC) are refused", () =>
  withRig("2022-02-19T23:10", { source }, async (rig) => {
    // The file's last candle opens at 23:00 UTC; read 9 h "early", as a UTC+9 export's times put it.
    const path = await writeCsv(rig);
    rig.clock.advance(utcMs("2022-02-19T14:10") - rig.clock.now());
    const output = join(dirname(rig.output), "tokyo.csv");
    // Before: its last 9 candles were left out as "not closed" ("a later collect takes them") and the rest
    // written 9 h off as UTC, exit 0.
    await assert.rejects(runCollect(csv(path, undefined, output), rig.env), (error: CommandError) => {
      assert.equal(error.exitCode, 1);
      assert.equal(
        error.message,
        `${path}: AAAUSDT has a candle opening at 2022-02-19 23:00 UTC, 8.8 h after this machine's clock ` +
          "(2022-02-19 14:10 UTC); no exchange candle opens in the future",
      );
      assert.match(error.hint ?? "", /local times east of UTC .* this machine's clock is behind/);
      return true;
    });
    await assert.rejects(readFile(output), { code: "ENOENT" }, "nothing written");
    // Within 5 minutes (a clock a little behind the exporting host's) the candle is only not closed yet, left
    // out as before (a review: serve's 6 s grace on 1m refused a cron's fresh export, exit 1).
    rig.clock.advance(utcMs("2022-02-19T22:56") - rig.clock.now());
    await runCollect(csv(path, undefined, output), rig.env);
    assertSameCandles((await readTrainingCsv(output))[0], ROWS.slice(0, -2));
  }));

Deno.test("closedOnly: a symbol with a single candle, still open, is judged by the file's other symbols' step", () => {
  const hourly = seriesFromCandles("AAAUSDT", klineNumbers(ROWS));
  const now = ROWS[ROWS.length - 1].openTime + 3_600_000; // every AAAUSDT candle has closed
  // A symbol listed half an hour ago: one candle, opened 30 min before now, so not closed on a 1h file.
  const listed = seriesFromCandles("NEWUSDT", klineNumbers([{ ...ROWS[0], openTime: now - 1_800_000 }]));
  const { series, dropped } = closedOnly([hourly, listed], undefined, now);
  // Before: one candle shows no step, so it was kept, a half-formed candle the next collect would conflict with.
  assert.deepEqual(series.map((s) => [s.symbol, s.length]), [["AAAUSDT", ROWS.length], ["NEWUSDT", 0]]);
  assert.equal(dropped.length, 1);
  assert.match(dropped[0], /^NEWUSDT: its last candle .* had not closed/);
  // Alone in its file there is no step to judge by: it is kept as before.
  assert.equal(closedOnly([listed], undefined, now).series[0].length, 1);
});
