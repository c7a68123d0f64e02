import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  CandleError,
  type CandleSeries,
  computeIndicators,
  readTrainingCsv,
  seriesFromCandles,
  writeTrainingCsv,
} from "../../features/index.ts";
import { type HeldLock, lockFile, lockPathFor } from "../../base/index.ts";
import { type KlineRow, seriesSource, syntheticKlines } from "../../test/binance_klines_server.ts";
import { CommandError, InterruptedError, UsageError } from "../errors.ts";
import {
  type CollectOptions,
  type CollectStage,
  parseCollectFlags,
  runCollect,
  stopNotice,
  type Window,
} from "./index.ts";
import {
  assertSameCandles,
  HOUR,
  klineNumbers,
  type Rig,
  rowsBetween,
  utcMs,
  withRig,
} from "../../test/collect_rig.ts";

const START = utcMs("2022-01-01");
const ROWS = syntheticKlines("1h", START, 2400, { seed: 5 }); // 2022-01-01 … 2022-04-11
const source = seriesSource({ AAAUSDT: { "1h": ROWS } });

const dates = (rig: Rig, startDate: string, endDate?: string, output = rig.output): CollectOptions => ({
  source: "binance",
  symbols: ["AAAUSDT"],
  interval: "1h",
  window: { kind: "dates", startDate, endDate },
  baseUrl: rig.server.url,
  output,
});

/** `rows` as an OHLCV CSV (the layout of ../shared/data) at `path`; resolves to `path`. */
async function writeOhlcvCsv(path: string, rows: readonly KlineRow[]): Promise<string> {
  await writeFile(
    path,
    [
      "open_time,open,high,low,close,volume",
      ...rows.map((r) => [r.openTime, r.open, r.high, r.low, r.close, r.volume].join(",")),
    ].join("\n"),
  );
  return path;
}

/** A C# export (SPEC §3) of 60 synthetic candles per symbol, each at its own interval. */
const mixedExport = (intervals: Record<string, "1h" | "4h">) =>
  JSON.stringify(
    Object.entries(intervals).map(([symbol, interval]) => ({
      symbol,
      candles: klineNumbers(syntheticKlines(interval, START, 60, { seed: 9 })).map((r) => ({
        t: r.openTime,
        o: r.open,
        h: r.high,
        l: r.low,
        c: r.close,
        v: r.volume,
      })),
    })),
  );

Deno.test("collect: re-running changes nothing; later and overlapping ranges merge into one history", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    await runCollect(dates(rig, "2022-01-01", "2022-02-01"), rig.env);
    const first = await readFile(rig.output, "utf8");
    const again = await runCollect(dates(rig, "2022-01-01", "2022-02-01"), rig.env);
    assert.equal(await readFile(rig.output, "utf8"), first, "a re-run leaves the file byte for byte");
    assert.equal(again.summaries[0].added, 0);

    const later = await runCollect(dates(rig, "2022-01-20", "2022-03-01"), rig.env);
    assert.equal(
      later.summaries[0].added,
      rowsBetween(ROWS, utcMs("2022-02-01"), utcMs("2022-03-01")).length,
    );
    const [merged] = await readTrainingCsv(rig.output);
    assertSameCandles(merged, rowsBetween(ROWS, START, utcMs("2022-03-01")));

    // Indicators are recomputed over the merged history: the file equals a one-shot collection.
    const oneShot = join(dirname(rig.output), "one_shot.csv");
    await runCollect(dates(rig, "2022-01-01", "2022-03-01", oneShot), rig.env);
    assert.equal(await readFile(rig.output, "utf8"), await readFile(oneShot, "utf8"));
    assert.match(
      rig.env.printed.at(-2)!,
      /AAAUSDT {2}1,416 rows {2}\(\+672\) {2}2022-01-01 00:00 → 2022-02-28 23:00 UTC {2}no gaps/,
    );
  }));

Deno.test("collect: other symbols already in the file are kept as they were", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    // The same interval: one training CSV holds one (a 4h symbol beside 1h ones is refused, tested below).
    const other = seriesFromCandles("ZZZUSDT", klineNumbers(syntheticKlines("1h", START, 60, { seed: 9 })));
    other.rsi.fill(42); // not what computeIndicators would give: proves it is left alone
    await writeTrainingCsv(rig.output, [other]);
    const report = await runCollect(dates(rig, "2022-01-01", "2022-01-03"), rig.env);
    // The new symbol is not appended after ZZZUSDT: the file (and its summary) lists symbols sorted by name.
    assert.deepEqual(
      (await readFile(rig.output, "utf8")).split("\n").slice(1, -1).map((row) => row.split(",")[0])
        .filter((symbol, i, all) => symbol !== all[i - 1]),
      ["AAAUSDT", "ZZZUSDT"],
    );
    const [aaa, zzz] = await readTrainingCsv(rig.output);
    assert.equal(zzz.symbol, "ZZZUSDT");
    assert.deepEqual(Array.from(zzz.rsi), Array.from(other.rsi));
    assertSameCandles(aaa, rowsBetween(ROWS, START, utcMs("2022-01-03")));
    assert.deepEqual(report.summaries.map((s) => [s.symbol, s.rows, s.added, s.grid]), [
      ["AAAUSDT", 48, 48, "1h"],
      ["ZZZUSDT", 60, 0, "1h"],
    ]);
  }));

Deno.test("collect: an output that is not a training CSV is refused, not overwritten", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    await writeFile(rig.output, "name,age\nbob,3\n");
    // A usage error (exit 2) naming --output, whose hint is to choose another or move the file, not "make one".
    await assert.rejects(
      runCollect(dates(rig, "2022-01-01", "2022-01-03"), rig.env),
      (e) =>
        e instanceof UsageError && /^--output: .* is not a training CSV/.test(e.message) &&
        /choose another --output/.test(e.hint ?? ""),
    );
    assert.equal(await readFile(rig.output, "utf8"), "name,age\nbob,3\n");
  }));

Deno.test("collect: a training CSV a spreadsheet re-saved with ';' and decimal commas is named, with the fix", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    // Excel on a de-DE or fr-FR host saves a CSV so. Before: "is not a training CSV (its first line must be the
    // header …)", hint "choose another --output, or move that file away": it is collect's own file.
    const text =
      "\ufeffsymbol;open_time;open;high;low;close;volume;rsi;macd;macd_signal;macd_hist;ema;stoch_k;" +
      "stoch_d\r\nAAAUSDT;1640995200000;100,5;101;99;100;10;;;;;;;\r\n";
    await writeFile(rig.output, text);
    await assert.rejects(
      runCollect(dates(rig, "2022-01-01", "2022-01-03"), rig.env),
      (e) =>
        e instanceof UsageError &&
        /^--output: .* its columns are separated by ';', not commas/.test(e.message) &&
        /sed -i\.bak -e 's\/,\/\.\/g' -e 's\/;\/,\/g'/.test(e.hint ?? ""),
    );
    assert.equal(await readFile(rig.output, "utf8"), text);
  }));

Deno.test("collect: an empty file at --output is written as a new training CSV", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    // `: > data.csv` in a script. Before: "the file is empty", hint "make one with 'candlecast collect'".
    await writeFile(rig.output, "");
    await runCollect(dates(rig, "2022-01-01", "2022-01-03"), rig.env);
    const series = await readTrainingCsv(rig.output);
    assert.deepEqual(series.map((s) => [s.symbol, s.length]), [["AAAUSDT", 48]]);
  }));

Deno.test("collect: a window without closed candles is an error, and writes nothing", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    await assert.rejects(
      runCollect(dates(rig, "2020-01-01", "2020-02-01"), rig.env),
      (error: CommandError) => {
        assert.ok(error instanceof CommandError);
        assert.equal(error.message, "no closed candles to collect for AAAUSDT 1h (2020-01-01 → 2020-02-01)");
        return true;
      },
    );
    await assert.rejects(Deno.stat(rig.output), Deno.errors.NotFound);
  }));

Deno.test("collect --source csv: headered OHLCV and Binance dumps in ms or µs give the same training rows", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const rows = ROWS.slice(0, 200);
    const dir = dirname(rig.output);
    const headered = [
      "open_time,open,high,low,close,volume",
      ...rows.map((r) => [r.openTime, r.open, r.high, r.low, r.close, r.volume].join(",")),
    ].join("\n");
    const dump = (scale: number) =>
      rows.map((r) =>
        [
          r.openTime * scale,
          r.open,
          r.high,
          r.low,
          r.close,
          r.volume,
          r.openTime * scale + HOUR * scale - 1,
          "1",
          5,
          "1",
          "1",
          "0",
        ]
          .join(",")
      ).join("\n");
    const files = { "headered.csv": headered, "dump_ms.csv": dump(1), "dump_us.csv": dump(1000) };
    const texts: string[] = [];
    for (const [name, text] of Object.entries(files)) {
      await writeFile(join(dir, name), text);
      const output = join(dir, `out_${name}`);
      const report = await runCollect(
        { source: "csv", files: [{ path: join(dir, name), symbol: "AAAUSDT" }], output },
        rig.env,
      );
      assert.equal(report.summaries[0].grid, "1h", "interval inferred for the gap count");
      const [written] = await readTrainingCsv(output);
      assertSameCandles(written, rows, name);
      const expected = seriesFromCandles("AAAUSDT", klineNumbers(rows));
      computeIndicators(expected);
      assert.deepEqual(
        Array.from(written.macdHist),
        Array.from(expected.macdHist),
        `${name}: indicators computed`,
      );
      texts.push(await readFile(output, "utf8"));
    }
    assert.equal(texts[1], texts[0]);
    assert.equal(texts[2], texts[0]);
  }));

Deno.test("collect --source json: the bot's indicators are kept, missing ones computed, merged by t", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const rows = klineNumbers(ROWS.slice(0, 120));
    const computed = seriesFromCandles("AAAUSDT", rows);
    computeIndicators(computed);
    // The bot sends RSI on even candles only (a value of its own), nothing else.
    const exportJson = [{
      Symbol: "AAAUSDT",
      Candles: rows.map((r, i) => ({
        T: r.openTime,
        O: r.open,
        H: r.high,
        L: r.low,
        C: r.close,
        V: r.volume,
        ...(i % 2 === 0 ? { RSI: 12.5 } : {}),
      })),
    }];
    const jsonPath = join(dirname(rig.output), "export.json");
    await writeFile(jsonPath, JSON.stringify(exportJson));
    const options: CollectOptions = { source: "json", jsonPath, output: rig.output, interval: "1h" };
    await runCollect(options, rig.env);
    const [written] = await readTrainingCsv(rig.output);
    for (let i = 0; i < 120; i++) {
      assert.ok(Object.is(written.rsi[i], i % 2 === 0 ? 12.5 : computed.rsi[i]), `rsi[${i}]`);
      assert.ok(Object.is(written.ema[i], computed.ema[i]), `ema[${i}]`);
    }
    const first = await readFile(rig.output, "utf8");
    rig.env.printed.length = 0;
    await runCollect(options, rig.env);
    assert.equal(await readFile(rig.output, "utf8"), first, "re-running the export changes nothing");
    assert.ok(!rig.env.printed.some((line) => line.startsWith("note:")), rig.env.printed.join("\n"));
    // The same candles from the exchange: the rows' indicators are computed over the history, the bot's RSI on
    // the 60 even rows replaced. Before: "+24" alone, nothing said of the 60.
    await runCollect({
      source: "binance",
      symbols: ["AAAUSDT"],
      interval: "1h",
      window: { kind: "dates", startDate: "2022-01-01", endDate: "2022-01-07" },
      baseUrl: rig.server.url,
      output: rig.output,
    }, rig.env);
    assert.ok(
      rig.env.printed.includes(
        `note: AAAUSDT: the indicators of 60 rows already in ${rig.output} were recomputed from prices over the ` +
          "symbol's whole history (values a C# export gave, or computed before earlier candles were added, are " +
          "replaced)",
      ),
      rig.env.printed.join("\n"),
    );
  }));

Deno.test("collect --source json: an indicator the export gives as 0 on every candle past the warm-up is computed, with a warning", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    // Before: the bot's indicator step had not run, C# wrote each unset double as 0, and the training CSV got
    // RSI, MACD, its signal and histogram and both stochastics of exactly 0 on every row, without a word.
    const rows = klineNumbers(ROWS.slice(0, 120));
    const computed = seriesFromCandles("AAAUSDT", rows);
    computeIndicators(computed);
    const zeros = { Rsi: 0, Macd: 0, MacdSign: 0, MacdHist: 0, Ema: 0, StochSlowK: 0, StochSlowD: 0 };
    const exportJson = [
      {
        symbol: "AAAUSDT",
        // Out of time order: the zeros are judged on the candles sorted, not as the file lists them.
        candles: rows.map((r, i) => ({
          t: r.openTime,
          o: r.open,
          h: r.high,
          l: r.low,
          c: r.close,
          v: r.volume,
          i,
        }))
          .reverse()
          .map(({ i: _, ...c }) => ({ ...c, ...zeros })),
      },
      {
        // The bot's own readings (here MACD 0 in its warm-up slots and a value after): kept, no warning.
        symbol: "BBBUSDT",
        candles: rows.map((r, i) => ({
          t: r.openTime,
          o: r.open,
          h: r.high,
          l: r.low,
          c: r.close,
          v: r.volume,
          Macd: i < 33 ? 0 : 0.25,
        })),
      },
    ];
    const jsonPath = join(dirname(rig.output), "export.json");
    await writeFile(jsonPath, JSON.stringify(exportJson));
    // The latest 60 candles: the zeros are judged over all 120 the export gives, the 60 before read as warm-up.
    await runCollect({
      source: "json",
      jsonPath,
      output: rig.output,
      interval: "1h",
      window: { kind: "latest", count: 60 },
    }, rig.env);
    const warnings = rig.env.printed.filter((line) => line.startsWith("warning:"));
    assert.deepEqual(warnings, [
      `warning: ${jsonPath}: AAAUSDT: Rsi, Macd, MacdSign, MacdHist, StochSlowK and StochSlowD are 0 on every ` +
      "candle past the indicators' warm-up, where its candles give other values (did the bot's indicator step " +
      "run?): read as missing and computed from the candles, as null ones are",
    ]);
    const [a, b] = await readTrainingCsv(rig.output);
    assert.equal(a.length, 60);
    for (const col of ["rsi", "macd", "macdSignal", "macdHist", "ema", "stochK", "stochD"] as const) {
      for (let i = 0; i < 60; i++) {
        assert.ok(Object.is(a[col][i], computed[col][60 + i]), `AAAUSDT ${col}[${i}]: ${a[col][i]}`);
      }
    }
    for (let i = 0; i < 60; i++) assert.equal(b.macd[i], 0.25, `BBBUSDT macd[${i}]`);
  }));

Deno.test("collect --source json: an all-zero export collected over the zeros an older collect wrote says its rows are computed", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    // Before: the note said these rows' indicators "are now the export's own where it gives them", while the
    // export's zeros were read as missing and the values written were computed from the candles.
    const rows = klineNumbers(ROWS.slice(0, 120));
    const zeroed = ["rsi", "macd", "macdSignal", "macdHist", "stochK", "stochD"] as const;
    const computed = seriesFromCandles("AAAUSDT", rows);
    computeIndicators(computed);
    // What a collect before 96bb3c7 wrote of such an export: the zeros past TA-Lib's warm-up kept as readings, the
    // EMA's leading zeros read as missing and computed. BBBUSDT's export gives its EMA.
    const older = (symbol: string) => {
      const s = seriesFromCandles(symbol, rows);
      computeIndicators(s);
      for (const col of zeroed) s[col].forEach((v, i) => s[col][i] = Number.isNaN(v) ? NaN : 0);
      return s;
    };
    await writeTrainingCsv(rig.output, [older("AAAUSDT"), older("BBBUSDT")]);
    const exportJson = ["AAAUSDT", "BBBUSDT"].map((symbol) => ({
      symbol,
      candles: rows.map((r, i) => ({
        t: r.openTime,
        o: r.open,
        h: r.high,
        l: r.low,
        c: r.close,
        v: r.volume,
        Rsi: 0,
        Macd: 0,
        MacdSign: 0,
        MacdHist: 0,
        StochSlowK: 0,
        StochSlowD: 0,
        Ema: symbol === "AAAUSDT" || Number.isNaN(computed.ema[i]) ? 0 : computed.ema[i],
      })),
    }));
    const jsonPath = join(dirname(rig.output), "export.json");
    await writeFile(jsonPath, JSON.stringify(exportJson));
    await runCollect({ source: "json", jsonPath, output: rig.output, interval: "1h" }, rig.env);
    const changed = rows.filter((_, i) => zeroed.some((col) => !Number.isNaN(computed[col][i]))).length;
    const notes = rig.env.printed.filter((line) => line.startsWith("note:"));
    const keys = "Rsi, Macd, MacdSign, MacdHist, StochSlowK and StochSlowD";
    const zeros = "as 0 on every candle past the warm-up (read as missing, as the warning above says)";
    assert.deepEqual(notes, [
      `note: AAAUSDT: the indicators of ${changed} rows already in ${rig.output} are now computed from the ` +
      `candles: the export gives ${keys} ${zeros} and no other indicator values (what was there is replaced)`,
      `note: BBBUSDT: the indicators of ${changed} rows already in ${rig.output} are now the export's own where ` +
      `it gives them, and computed from the candles for ${keys}, which it gives ${zeros} (what was there is ` +
      "replaced)",
    ]);
    // And so they are.
    for (const written of await readTrainingCsv(rig.output)) {
      for (const col of [...zeroed, "ema"] as const) {
        for (let i = 0; i < rows.length; i++) {
          assert.ok(Object.is(written[col][i], computed[col][i]), `${written.symbol} ${col}[${i}]`);
        }
      }
    }
  }));

Deno.test("collect: one pair spelled in NFD by one source and NFC by another is one symbol in the training CSV", () => {
  const [nfc, nfd] = ["한국USDT".normalize("NFC"), "한국USDT".normalize("NFD")];
  return withRig("2023-01-01", { source: seriesSource({ [nfc]: { "1h": ROWS } }) }, async (rig) => {
    // Before: a training CSV an older collect wrote under the NFD spelling (a name typed on macOS) and the
    // exchange's NFC rows were "2 symbols", as were an export's NFD entry and the NFC rows.
    const older = seriesFromCandles(nfd, klineNumbers(ROWS.slice(0, 100)));
    computeIndicators(older);
    await writeTrainingCsv(rig.output, [older]);
    await runCollect({
      source: "binance",
      symbols: [nfc],
      interval: "1h",
      window: { kind: "dates", startDate: "2022-01-03", endDate: "2022-01-08" },
      baseUrl: rig.server.url,
      output: rig.output,
    }, rig.env);
    const summary = rig.env.printed.find((line) => line.startsWith(`${rig.output}: `));
    assert.match(summary!, /: 168 rows for 1 symbol \(68 new/);
    const text = await readFile(rig.output, "utf8");
    assert.ok(!text.includes(nfd), "the file is rewritten in NFC");
    const jsonPath = join(dirname(rig.output), "export.json");
    const candles = klineNumbers(ROWS.slice(160, 170)).map((r) => ({
      t: r.openTime,
      o: r.open,
      h: r.high,
      l: r.low,
      c: r.close,
      v: r.volume,
    }));
    await writeFile(jsonPath, JSON.stringify([{ symbol: nfd, candles }]));
    await runCollect({ source: "json", jsonPath, output: rig.output, interval: "1h" }, rig.env);
    const [only, ...others] = await readTrainingCsv(rig.output);
    assert.deepEqual([only.symbol, only.length, others.length], [nfc, 170, 0]);
  });
});

Deno.test("collect --source json: candles out of order or repeated are sorted and dropped with a note, as a CSV's rows", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const dir = dirname(rig.output);
    const candles = klineNumbers(ROWS.slice(0, 200)).map((r, i) => ({
      t: r.openTime,
      o: r.open,
      h: r.high,
      l: r.low,
      c: r.close,
      v: r.volume,
      ...(i % 3 === 0 ? { Rsi: 40 + (i % 7) } : {}), // the bot's own values travel with their candle
    }));
    const exportOf = (list: readonly unknown[]) =>
      JSON.stringify([{ symbol: "AAAUSDT", candles: list }, {
        symbol: "BBBUSDT",
        candles: candles.slice(0, 80),
      }]);
    const clean = join(dir, "clean.json");
    await writeFile(clean, exportOf(candles));
    await runCollect({ source: "json", jsonPath: clean, output: join(dir, "clean.out.csv") }, rig.env);
    // Two exports joined, the later half first, 20 candles in both.
    const joined = join(dir, "joined.json");
    await writeFile(joined, exportOf([...candles.slice(100), ...candles.slice(0, 120)]));
    rig.env.printed.length = 0;
    // Before: refused at "AAAUSDT candles[100]: t … is not after the previous candle's … (candles must be in
    // time order)", where the same candles as a CSV were sorted.
    await runCollect({ source: "json", jsonPath: joined, output: join(dir, "joined.out.csv") }, rig.env);
    assert.equal(
      await readFile(join(dir, "joined.out.csv"), "utf8"),
      await readFile(join(dir, "clean.out.csv"), "utf8"),
    );
    assert.ok(
      rig.env.printed.includes(
        `${joined}: AAAUSDT: 100 candles out of time order sorted into place; ` +
          "20 repeated candles (the same t and values again) dropped",
      ),
      rig.env.printed.join("\n"),
    );
    assert.ok(!rig.env.printed.some((line) => line.includes("BBBUSDT:")), "a symbol in order has no note");
    // One t twice with other values (or another of the bot's indicators) is two candles for one time: refused
    // naming both, nothing written.
    for (const change of [{ v: candles[110].v + 1 }, { Rsi: 55 }]) {
      const conflicting = join(dir, "conflict.json");
      await writeFile(
        conflicting,
        exportOf([
          ...candles.slice(100),
          ...candles.slice(0, 120).map((c, i) => (i === 110 ? { ...c, ...change } : c)),
        ]),
      );
      await assert.rejects(
        runCollect({ source: "json", jsonPath: conflicting, output: join(dir, "c.out.csv") }, rig.env),
        (error: Error) => {
          assert.ok(error instanceof CandleError && error.exitCode === 1, error.message);
          assert.match(
            error.message,
            new RegExp(
              `^${conflicting}: AAAUSDT candles\\[10\\] and ${conflicting}: AAAUSDT candles\\[210\\] both open at `,
            ),
          );
          return true;
        },
      );
      await assert.rejects(readFile(join(dir, "c.out.csv")), { code: "ENOENT" });
    }
  }));

Deno.test("collect --source json: candles without t only merge where they cannot collide", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const jsonPath = join(dirname(rig.output), "export.json");
    const candles = klineNumbers(ROWS.slice(0, 60)).map((r) => ({
      o: r.open,
      h: r.high,
      l: r.low,
      c: r.close,
      v: r.volume,
    }));
    await writeFile(jsonPath, JSON.stringify([{ symbol: "AAAUSDT", candles }]));
    const options: CollectOptions = { source: "json", jsonPath, output: rig.output };
    await runCollect(options, rig.env);
    let [written]: CandleSeries[] = await readTrainingCsv(rig.output);
    assert.equal(written.length, 60);
    assert.ok(Number.isNaN(written.openTime[0]), "open_time empty without t");
    await runCollect(options, rig.env); // the same export again: nothing to merge, nothing lost
    [written] = await readTrainingCsv(rig.output);
    assert.equal(written.length, 60);
    await writeFile(jsonPath, JSON.stringify([{ symbol: "AAAUSDT", candles: candles.slice(1) }]));
    await assert.rejects(runCollect(options, rig.env), (error: CommandError) => {
      assert.match(error.message, /AAAUSDT: candles without open times cannot be merged with the 60 rows/);
      assert.match(error.hint!, /another --output/);
      return true;
    });
  }));

Deno.test("collect --source csv: another symbol's file never silently rewrites a history (issue 14.1)", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const btc = syntheticKlines("1h", START, 300, { seed: 3, price: 42_000 });
    await writeTrainingCsv(rig.output, [seriesFromCandles("BTCUSDT", klineNumbers(btc))]);
    const before = await readFile(rig.output, "utf8");
    // ETH candles over BTC's last 100 hours and 20 beyond, in a file named as Binance's dumps are.
    const eth = syntheticKlines("1h", btc[200].openTime, 120, { seed: 4, price: 2_200 });
    const csvPath = join(dirname(rig.output), "ETHUSDT-1h.csv");
    await writeFile(
      csvPath,
      [
        "open_time,open,high,low,close,volume",
        ...eth.map((r) => [r.openTime, r.open, r.high, r.low, r.close, r.volume]),
      ]
        .join("\n"),
    );
    const flags = (typed: Record<string, unknown>) =>
      parseCollectFlags(
        { source: "csv", csvPath, output: rig.output, interval: "30m", ...typed },
        new Set(["source", "csvPath", "output", ...Object.keys(typed)]),
      );

    // Without --symbol the file name says ETHUSDT, and the run says so: BTC's rows stay as they were.
    const named = await runCollect(flags({}), rig.env);
    assert.ok(rig.env.printed.some((line) => /symbol ETHUSDT taken from the file name/.test(line)));
    assert.deepEqual(named.summaries.map((s) => [s.symbol, s.rows, s.added, s.replaced]), [
      ["BTCUSDT", 300, 0, 0],
      ["ETHUSDT", 120, 120, 0],
    ]);
    const [btcAfter] = await readTrainingCsv(rig.output);
    assertSameCandles(btcAfter, btc);
    const withEth = await readFile(rig.output, "utf8");

    // Told it is BTCUSDT, the 100 overlapping candles contradict the file: exit 1, nothing written.
    rig.env.printed.length = 0;
    await assert.rejects(runCollect(flags({ symbol: "BTCUSDT" }), rig.env), (error: CommandError) => {
      assert.ok(error instanceof CommandError);
      assert.equal(error.exitCode, 1);
      assert.match(
        error.message,
        new RegExp(
          `: 100 candles already there differ from the source \\(BTCUSDT ${
            new Date(btc[200].openTime).toISOString().slice(0, 16).replace("T", " ")
          } open ${btc[200].open} → ${eth[0].open}; .* and 97 more\\); nothing was written$`,
        ),
      );
      assert.match(error.hint!, /--symbol names it.*--replace/);
      return true;
    });
    assert.equal(await readFile(rig.output, "utf8"), withEth, "the file is byte for byte as before");
    // The name and --symbol disagree, and the run says so first: into a new history (a new symbol, a new
    // file) no conflict would catch it. Before, nothing was said.
    assert.match(
      rig.env.printed[0],
      /^warning: .*ETHUSDT-1h\.csv is named for ETHUSDT, but its candles are collected as BTCUSDT \(--symbol\); /,
    );

    // --replace overwrites them, and the summary says how many and flags the jump into ETH's prices.
    rig.env.printed.length = 0;
    const replaced = await runCollect(flags({ symbol: "BTCUSDT", replace: true }), rig.env);
    const [b] = replaced.summaries;
    assert.deepEqual([b.symbol, b.rows, b.added, b.replaced], ["BTCUSDT", 320, 20, 100]);
    assert.equal(b.jumps, 1);
    const summary = rig.env.printed.at(-1)!;
    assert.match(summary, /BTCUSDT {2}320 rows {2}\(\+20, 100 replaced\)/);
    assert.match(summary, /warning: BTCUSDT has 1 close-to-close jump beyond ×3 .* holds BTCUSDT/);
    assert.notEqual(before, await readFile(rig.output, "utf8"));
  }));

Deno.test("collect: one conflicting candle is named in the singular ('1 candle already there differs')", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const rows = klineNumbers(syntheticKlines("1h", START, 100, { seed: 3, price: 42_000 }));
    await writeTrainingCsv(rig.output, [seriesFromCandles("BTCUSDT", rows)]);
    const csvPath = join(dirname(rig.output), "edited.csv");
    await writeFile(
      csvPath,
      [
        "open_time,open,high,low,close,volume",
        ...rows.map((
          r,
          i,
        ) => [r.openTime, r.open, r.high, r.low, r.close, i === 50 ? r.volume + 1 : r.volume]),
      ].join("\n"),
    );
    const options = parseCollectFlags(
      { source: "csv", csvPath, output: rig.output, symbol: "BTCUSDT" },
      new Set(["source", "csvPath", "output", "symbol"]),
    );
    // Before: "1 candle already there differ from the source".
    await assert.rejects(runCollect(options, rig.env), (error: CommandError) => {
      assert.ok(error instanceof CommandError);
      assert.match(error.message, /: 1 candle already there differs from the source \(BTCUSDT .* volume /);
      return true;
    });
  }));

Deno.test("collect --source csv: a conflict on the file's last candle is the source's to check, not a forming candle", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const rows = klineNumbers(syntheticKlines("1h", START, 100, { seed: 3, price: 42_000 }));
    await writeTrainingCsv(rig.output, [seriesFromCandles("BTCUSDT", rows)]);
    const csvPath = join(dirname(rig.output), "edited.csv");
    await writeFile(
      csvPath,
      [
        "open_time,open,high,low,close,volume",
        ...rows.map((
          r,
          i,
        ) => [r.openTime, r.open, r.high, r.low, r.close, i === 99 ? r.volume + 1 : r.volume]),
      ].join("\n"),
    );
    await assert.rejects(
      runCollect(
        { source: "csv", files: [{ path: csvPath, symbol: "BTCUSDT" }], output: rig.output },
        rig.env,
      ),
      (error: CommandError) => {
        assert.ok(error instanceof CommandError);
        // Before: "… is the file's last candle of its symbol: it may have been stored while still forming (by a
        // collect on a host whose clock ran ahead of the exchange's)", and --replace and timedatectl as the fix.
        assert.match(
          error.message,
          /: 1 candle already there differs from the source \(BTCUSDT .* volume .*\); nothing was written$/,
        );
        assert.match(
          error.hint!,
          /^check that the source holds BTCUSDT \(with --source csv, --symbol names it\); give --replace/,
        );
        return true;
      },
    );
  }));

Deno.test("collect --source csv: an all-zero candle or high=1e308 is refused naming the row (issue 13.10)", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const rows = ROWS.slice(0, 40).map((r) =>
      [r.openTime, r.open, r.high, r.low, r.close, r.volume].join(",")
    );
    const csvPath = join(dirname(rig.output), "AAAUSDT-1h.csv");
    const broken: [string, RegExp][] = [
      [`${ROWS[7].openTime},0,0,0,0,0`, /AAAUSDT-1h\.csv line 9: open must be positive, got 0/],
      [
        `${ROWS[7].openTime},${ROWS[7].open},1e308,${ROWS[7].low},${ROWS[7].close},1`,
        /AAAUSDT-1h\.csv line 9: high must be at most 1000000000000 .*, got 1e\+308/,
      ],
    ];
    for (const [row, message] of broken) {
      const lines = [...rows];
      lines[7] = row;
      await writeFile(csvPath, ["open_time,open,high,low,close,volume", ...lines].join("\n"));
      await assert.rejects(
        runCollect(
          { source: "csv", files: [{ path: csvPath, symbol: "AAAUSDT" }], output: rig.output },
          rig.env,
        ),
        message,
      );
      await assert.rejects(Deno.stat(rig.output), Deno.errors.NotFound, "nothing written");
    }
  }));

Deno.test("collect: one interval per training CSV; 4h candles into a file of 1h ones are refused, nothing written", () =>
  withRig("2023-01-01", {
    source: seriesSource({
      AAAUSDT: { "1h": ROWS },
      BBBUSDT: { "4h": syntheticKlines("4h", START, 300, { seed: 7 }) },
    }),
  }, async (rig) => {
    await runCollect(dates(rig, "2022-01-01", "2022-01-03"), rig.env);
    const before = await Deno.readTextFile(rig.output);
    const fourHours: CollectOptions = {
      source: "binance",
      symbols: ["BBBUSDT"],
      interval: "4h",
      window: { kind: "dates", startDate: "2022-01-01", endDate: "2022-01-10" },
      baseUrl: rig.server.url,
      output: rig.output,
    };
    await assert.rejects(runCollect(fourHours, rig.env), (error: CommandError) => {
      assert.match(error.message, /holds 1h candles and these are 4h: one training CSV holds one interval/);
      assert.match(error.hint ?? "", /another --output/);
      return true;
    });
    assert.equal(await Deno.readTextFile(rig.output), before, "the file is as it was");
  }));

Deno.test("collect: candles of the file's interval but off its grid (close times, a half-hour shift) are refused", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    // Before: merged as new candles, each 1 ms (or 30 min) from a twin, and the file's interval became
    // "3599999ms" (or 30m), so every model trained on it refused the bot's real 1h windows.
    await runCollect(dates(rig, "2022-01-01", "2022-01-03"), rig.env);
    const before = await Deno.readTextFile(rig.output);
    const csvPath = join(dirname(rig.output), "AAAUSDT-1h.csv");
    const write = (symbolRows: readonly KlineRow[], shift: number) =>
      writeFile(
        csvPath,
        [
          "open_time,open,high,low,close,volume",
          ...symbolRows.map((r) => [r.openTime + shift, r.open, r.high, r.low, r.close, r.volume].join(",")),
        ].join("\n"),
      );
    const cases = [
      [
        HOUR - 1,
        /AAAUSDT-1h\.csv line 2: .* holds AAAUSDT 1h candles opening like 2022-01-02T01:00:00\.000Z, and this one opens at 2022-01-02T00:59:59\.999Z, 1 ms away/,
      ],
      [
        HOUR / 2,
        /opening like 2022-01-02T00:00:00\.000Z, and this one opens at 2022-01-02T00:30:00\.000Z, 1,800,000 ms away/,
      ],
    ] as const;
    for (const [shift, seen] of cases) {
      await write(ROWS.slice(24, 96), shift);
      await assert.rejects(
        runCollect(
          { source: "csv", files: [{ path: csvPath, symbol: "AAAUSDT" }], output: rig.output },
          rig.env,
        ),
        (error: CommandError) => {
          assert.match(error.message, seen);
          assert.match(error.hint ?? "", /open time \(not its close time/);
          return true;
        },
      );
      assert.equal(await Deno.readTextFile(rig.output), before, "the file is as it was");
    }
    // Another symbol on its own grid (a UTC+8 exchange's days, say) sits beside no candle of its own: merged.
    await write(ROWS.slice(24, 96), HOUR / 2);
    await runCollect(
      { source: "csv", files: [{ path: csvPath, symbol: "BBBUSDT" }], output: rig.output },
      rig.env,
    );
    // Its rows again, as they are: nothing new, nothing refused.
    await runCollect(
      { source: "csv", files: [{ path: csvPath, symbol: "BBBUSDT" }], output: rig.output },
      rig.env,
    );
    // On the grid, the first symbol's candles extend the file as before.
    await write(ROWS.slice(24, 96), 0);
    await runCollect(
      { source: "csv", files: [{ path: csvPath, symbol: "AAAUSDT" }], output: rig.output },
      rig.env,
    );
  }));

Deno.test("collect: one symbol's candles on two grids (:00, then :30) are refused wherever they meet, naming the first off it", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    // Before: each of these exited 0, the 1.5 h step called "1 missing 1h candle", and every window across it
    // read the :30 candles as the :00 ones' next hours.
    const dir = dirname(rig.output);
    const half = (rows: readonly KlineRow[]) => rows.map((r) => ({ ...r, openTime: r.openTime + HOUR / 2 }));
    const onHour = await writeOhlcvCsv(join(dir, "on_hour.csv"), ROWS.slice(0, 300));
    const later = await writeOhlcvCsv(join(dir, "later.csv"), half(ROWS.slice(300, 600)));
    const csv = (output: string, ...paths: string[]): CollectOptions => ({
      source: "csv",
      files: paths.map((path) => ({ path, symbol: "AAAUSDT" })),
      output,
    });
    const refused = (message: string, hint: RegExp) => (error: Error) => {
      assert.ok(error instanceof CommandError && error.exitCode === 1, String(error));
      assert.equal(error.message, message);
      assert.match(error.hint ?? "", hint);
      return true;
    };
    // Merged into an output holding the :00 ones.
    await runCollect(csv(rig.output, onHour), rig.env);
    const before = await readFile(rig.output, "utf8");
    await assert.rejects(
      runCollect(csv(rig.output, later), rig.env),
      refused(
        `${later} line 2: AAAUSDT's 1h candle opening 2022-01-13T12:30:00.000Z lies 30 min past the grid of its ` +
          `300 rows in ${rig.output}, which open like 2022-01-13T11:00:00.000Z: one symbol's candles lie on one ` +
          "grid; nothing was written",
        /^give each candle its open time on that grid \(UTC, in ms: not its close time or a local time\), or collect these candles into another --output$/,
      ),
    );
    assert.equal(await readFile(rig.output, "utf8"), before, "the file is as it was");
    // In one file, and from two files of one run, into a new output.
    const fresh = join(dir, "fresh.csv");
    const both = join(dir, "both.csv");
    await writeFile(
      both,
      (await readFile(onHour, "utf8")) + "\n" +
        (await readFile(later, "utf8")).split("\n").slice(1).join("\n"),
    );
    const inOne = (where: string) =>
      `${where}: AAAUSDT's 1h candle opening 2022-01-13T12:30:00.000Z lies 30 min past the grid of its other ` +
      "candles, which open like 2022-01-13T11:00:00.000Z (300 of 600 on it): one symbol's candles lie on one " +
      "grid; nothing was written";
    const hint =
      /^leave out the candles off that grid, or give them their open times on it .* go into another --output$/;
    await assert.rejects(runCollect(csv(fresh, both), rig.env), refused(inOne(`${both} line 302`), hint));
    await assert.rejects(
      runCollect(csv(fresh, onHour, later), rig.env),
      refused(inOne(`${later} line 2`), hint),
    );
    await assert.rejects(
      runCollect(csv(fresh, later, onHour), rig.env),
      refused(inOne(`${later} line 2`), hint),
    );
    await assert.rejects(Deno.stat(fresh), Deno.errors.NotFound);
    // Only a window of the file on one grid: its warm-up candles before the window are on the other.
    await assert.rejects(
      runCollect({ ...csv(fresh, both), window: { kind: "dates", startDate: "2022-01-20" } }, rig.env),
      refused(
        inOne(`${both} line 302`).replace(
          "12:30:00.000Z",
          "12:30:00.000Z, before --start-date 2022-01-20 and read only for the indicators' warm-up,",
        ),
        hint,
      ),
    );
    // Another symbol's rows on their own grid are not compared, and candles on the file's grid still extend it.
    await runCollect(
      { source: "csv", files: [{ path: later, symbol: "BBBUSDT" }], output: rig.output },
      rig.env,
    );
    await runCollect(
      csv(rig.output, await writeOhlcvCsv(join(dir, "next.csv"), ROWS.slice(300, 400))),
      rig.env,
    );
  }));

Deno.test("collect: a warm-up candle before the window refused for its grid says it is read only for the indicators' warm-up", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    // 100 candles at :30, then 299 on the hour (win.csv); the window on the hour alone. Before: "line 2: …
    // opening 2022-01-01T00:30:00.000Z lies 30 min past the grid of its other candles", the date typed unsaid.
    const path = await writeOhlcvCsv(
      join(dirname(rig.output), "win.csv"),
      [
        ...ROWS.slice(0, 100).map((r) => ({ ...r, openTime: r.openTime + HOUR / 2 })),
        ...ROWS.slice(101, 400),
      ],
    );
    const refusal = (window: Window | undefined, aside: string) =>
      assert.rejects(
        runCollect(
          { source: "csv", files: [{ path, symbol: "AAAUSDT" }], output: rig.output, window },
          rig.env,
        ),
        (error: Error) => {
          assert.ok(error instanceof CommandError && error.exitCode === 1, String(error));
          assert.equal(
            error.message,
            `${path} line 2: AAAUSDT's 1h candle opening 2022-01-01T00:30:00.000Z${aside} lies 30 min past the ` +
              "grid of its other candles, which open like 2022-01-05T05:00:00.000Z (299 of 399 on it): one " +
              "symbol's candles lie on one grid; nothing was written",
          );
          return true;
        },
      );
    const warmUp = "and read only for the indicators' warm-up,";
    await refusal({ kind: "dates", startDate: "2022-01-06" }, `, before --start-date 2022-01-06 ${warmUp}`);
    await refusal({ kind: "latest", count: 100 }, `, before the latest 100 candles (--limit 100) ${warmUp}`);
    // The whole file collected: the candle is one of those collected, said as before.
    await refusal(undefined, "");
    await assert.rejects(Deno.stat(rig.output), Deno.errors.NotFound);
  }));

Deno.test("collect: candles from Binance into rows on another grid are refused, as the off-grid warning says", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const dir = dirname(rig.output);
    const local = await writeOhlcvCsv(
      join(dir, "local.csv"),
      ROWS.slice(0, 48).map((r) => ({ ...r, openTime: r.openTime + HOUR / 2 })),
    );
    await runCollect(
      { source: "csv", files: [{ path: local, symbol: "AAAUSDT" }], output: rig.output },
      rig.env,
    );
    assert.ok(
      rig.env.printed.some((line) =>
        /candles collected from an exchange into the same file will be refused/.test(line)
      ),
    );
    const before = await readFile(rig.output, "utf8");
    // Days after the file's last row: no candle of the file less than a step away (which was all that was checked).
    await assert.rejects(runCollect(dates(rig, "2022-01-10", "2022-01-12"), rig.env), (error: Error) => {
      assert.ok(error instanceof CommandError, String(error));
      assert.equal(
        error.message,
        "AAAUSDT's 1h candle opening 2022-01-10T00:00:00.000Z lies 30 min past the grid of its 48 rows in " +
          `${rig.output}, which open like 2022-01-02T23:30:00.000Z: one symbol's candles lie on one grid; nothing ` +
          "was written",
      );
      return true;
    });
    assert.equal(await readFile(rig.output, "utf8"), before);
  }));

Deno.test("collect --source json: a symbol's candles on two grids are refused, naming the candle", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const path = join(dirname(rig.output), "export.json");
    const candles = klineNumbers(ROWS.slice(0, 60)).map((r, i) => ({
      t: r.openTime + (i < 30 ? 0 : HOUR / 2),
      o: r.open,
      h: r.high,
      l: r.low,
      c: r.close,
      v: r.volume,
    }));
    await writeFile(path, JSON.stringify([{ symbol: "AAAUSDT", candles }]));
    await assert.rejects(
      runCollect({ source: "json", jsonPath: path, output: rig.output }, rig.env),
      (error: Error) => {
        assert.ok(error instanceof CommandError, String(error));
        assert.match(
          error.message,
          new RegExp(
            `^${
              path.replace(/[.\\/]/g, "\\$&")
            }: AAAUSDT candles\\[30\\]: AAAUSDT's 1h candle opening 2022-01-02T06:30:00\\.000Z lies 30 min past`,
          ),
        );
        return true;
      },
    );
  }));

Deno.test("collect: a new history stamped with close times is refused; one half an hour off the UTC grid is warned about", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const dir = dirname(rig.output);
    const shifted = (ms: number) => ROWS.slice(0, 100).map((r) => ({ ...r, openTime: r.openTime + ms }));
    // Before: written without a word ("2022-01-01 00:59 → …, no gaps"); only a later collect from Binance into
    // the file, or monitor joining the bot's on-the-hour candles, found out.
    const closeTimes = await writeOhlcvCsv(join(dir, "close.csv"), shifted(HOUR - 1));
    const output = join(dir, "fresh.csv");
    await assert.rejects(
      runCollect({ source: "csv", files: [{ path: closeTimes, symbol: "AAAUSDT" }], output }, rig.env),
      (error: Error) => {
        assert.ok(error instanceof CommandError);
        assert.equal(
          error.message,
          "AAAUSDT's 1h candles are stamped like 2022-01-01T00:59:59.999Z, 1 ms before the grid candles open on " +
            "(2022-01-01T01:00:00.000Z): those are close times (each candle's last millisecond); nothing was written",
        );
        assert.match(error.hint!, /open time \(a Binance kline dump's first column/);
        return true;
      },
    );
    await assert.rejects(Deno.stat(output), Deno.errors.NotFound);
    rig.env.printed.length = 0;
    const local = await writeOhlcvCsv(join(dir, "local.csv"), shifted(HOUR / 2));
    await runCollect({ source: "csv", files: [{ path: local, symbol: "AAAUSDT" }], output }, rig.env);
    assert.ok(
      rig.env.printed.some((line) =>
        line.startsWith(
          "warning: AAAUSDT's 1h candles open 30 min past the UTC grid exchanges use (2022-01-01T00:30:00.000Z, " +
            "not 2022-01-01T00:00:00.000Z)",
        )
      ),
      rig.env.printed.join("\n"),
    );
    rig.env.printed.length = 0;
    const onGrid = await writeOhlcvCsv(join(dir, "grid.csv"), shifted(0));
    await runCollect({ source: "csv", files: [{ path: onGrid, symbol: "BBBUSDT" }], output }, rig.env);
    assert.ok(!rig.env.printed.some((line) => line.includes("UTC grid")), rig.env.printed.join("\n"));
  }));

Deno.test("collect: temp files a killed collect left beside the output are removed at start (issue 13.11)", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const dead = 2 ** 22 + 99; // above pid_max: a writer that is gone
    const orphan = `${rig.output}.${dead}.abcdef01.tmp`;
    await writeFile(orphan, "symbol,open_time\nhalf a fi");
    await runCollect(dates(rig, "2022-01-01", "2022-01-03"), rig.env);
    if (Deno.build.os === "linux") {
      await assert.rejects(Deno.stat(orphan), Deno.errors.NotFound);
      assert.ok(rig.env.notices.some((n) => n.includes("removed 1 temp file left by a killed run")));
    }
  }));

Deno.test("collect: Ctrl-C writes every candle fetched so far, checked and merged, then fails with exit 130", async () => {
  const two = seriesSource({
    AAAUSDT: { "1h": ROWS },
    BBBUSDT: { "1h": syntheticKlines("1h", START, 2400, { seed: 6 }) },
  });
  const stop = new AbortController(), stop5xx = new AbortController();
  // The press comes while the third page (AAAUSDT's last) is on its way.
  await withRig(
    "2023-01-01",
    { source: two, fault: (r) => void (r.n === 3 && stop.abort()) },
    async (rig) => {
      const options = { ...dates(rig, "2022-01-01", "2022-04-01"), symbols: ["AAAUSDT", "BBBUSDT"] };
      await assert.rejects(
        runCollect(options, { ...rig.env, signal: stop.signal }),
        (error: InterruptedError) => {
          assert.ok(error instanceof InterruptedError);
          assert.equal(error.exitCode, 130);
          assert.match(
            error.message,
            /^collect interrupted; the 2,000 candles fetched were written to .*training\.csv \(nothing yet for BBBUSDT\)$/,
          );
          assert.equal(
            error.hint,
            "the same command again completes the file (it fetches the whole range again; rows already there are " +
              "kept, not doubled)",
          );
          return true;
        },
      );
      const [written, ...others] = await readTrainingCsv(rig.output);
      assert.equal(others.length, 0);
      assertSameCandles(written, ROWS.slice(0, 2000));
      assert.match(rig.env.printed.join("\n"), /AAAUSDT {2}2,000 rows/);
      // The same command again fetches the rest.
      await runCollect(options, rig.env);
      const [a, b] = await readTrainingCsv(rig.output);
      assertSameCandles(a, rowsBetween(ROWS, START, utcMs("2022-04-01")));
      assert.equal(b.symbol, "BBBUSDT");
    },
  );
  // Pressed while the exchange answered BBBUSDT with 500s (collect retrying): BBBUSDT was not found empty, it
  // was not fetched. It said "BBBUSDT: no closed candles for BBBUSDT 1h …" and left it out of "nothing yet for".
  await withRig("2023-01-01", {
    source: two,
    fault: (r) => {
      if (r.n < 4) return undefined;
      if (r.n === 5) stop5xx.abort();
      return { kind: "status", status: 500 };
    },
  }, async (rig) => {
    const options = { ...dates(rig, "2022-01-01", "2022-04-01"), symbols: ["AAAUSDT", "BBBUSDT"] };
    await assert.rejects(
      runCollect(options, { ...rig.env, signal: stop5xx.signal }),
      (error: InterruptedError) => {
        assert.equal(error.exitCode, 130);
        assert.match(
          error.message,
          /^collect interrupted; the 2,160 candles fetched were written to .*training\.csv \(nothing yet for BBBUSDT\)$/,
        );
        return true;
      },
    );
    assert.ok(
      !rig.env.printed.some((line) => line.includes("no closed candles")),
      rig.env.printed.join("\n"),
    );
  });
  // Pressed before the first candle came: nothing is written.
  await withRig("2023-01-01", { source }, async (rig) => {
    const early = new AbortController();
    early.abort();
    await assert.rejects(
      runCollect(dates(rig, "2022-01-01", "2022-02-01"), { ...rig.env, signal: early.signal }),
      (error: InterruptedError) => {
        assert.equal(error.exitCode, 130);
        assert.match(
          error.message,
          /^collect interrupted before any candle was fetched; nothing was written$/,
        );
        return true;
      },
    );
    await assert.rejects(Deno.stat(rig.output), Deno.errors.NotFound);
  });
});

Deno.test("collect: Ctrl-C after every candle was read lets the write finish, then fails with exit 130", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const csv = await writeOhlcvCsv(join(dirname(rig.output), "AAAUSDT-1h.csv"), ROWS.slice(0, 200));
    // The press comes with the first line printed once the file was read (its symbol taken from its name),
    // before the merge and the write. It exited 0, as a run never pressed.
    const stop = new AbortController();
    const print = (text: string) => {
      stop.abort();
      rig.env.print(text);
    };
    await assert.rejects(
      runCollect(
        {
          source: "csv",
          files: [{ path: csv, symbol: "AAAUSDT", symbolFromFileName: true }],
          output: rig.output,
        },
        { ...rig.env, print, signal: stop.signal },
      ),
      (error: InterruptedError) => {
        assert.ok(error instanceof InterruptedError);
        assert.equal(error.exitCode, 130);
        assert.match(
          error.message,
          /^collect interrupted after every candle was read; .*training\.csv was written whole with the 200 candles read$/,
        );
        assert.match(
          error.hint ?? "",
          /^nothing is left to collect: the run finished its work before it stopped/,
        );
        return true;
      },
    );
    const [written, ...others] = await readTrainingCsv(rig.output);
    assert.equal(others.length, 0);
    assertSameCandles(written, ROWS.slice(0, 200));
    assert.match(rig.env.printed.join("\n"), /AAAUSDT {2}200 rows/);
  }));

Deno.test("collect: Ctrl-C while files are read writes them whole (a read is not cut short) and says so, exit 130", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const dir = dirname(rig.output);
    const files = [
      { path: await writeOhlcvCsv(join(dir, "AAAUSDT-1h.csv"), ROWS.slice(0, 200)), symbol: "AAAUSDT" },
      { path: await writeOhlcvCsv(join(dir, "BBBUSDT-1h.csv"), ROWS.slice(0, 100)), symbol: "BBBUSDT" },
    ];
    // Pressed before the first file is read. Before: "collect interrupted; the 300 candles read were written to
    // …" and no hint line, as if part of the files were missing; and "pressed while reading" is not "stopped".
    const stop = new AbortController();
    stop.abort();
    await assert.rejects(
      runCollect({ source: "csv", files, output: rig.output }, { ...rig.env, signal: stop.signal }),
      (error: Error) => {
        assert.ok(error instanceof InterruptedError, error.message);
        assert.equal(error.exitCode, 130);
        assert.match(
          error.message,
          /^collect interrupted after every candle was read; .*training\.csv was written whole with the 300 candles read$/,
        );
        assert.equal(
          error.hint,
          "nothing is left to collect: the run finished its work before it stopped (exit 130 says only that it " +
            "was stopped on request)",
        );
        return true;
      },
    );
    assert.deepEqual((await readTrainingCsv(rig.output)).map((s) => s.length), [200, 100]);
  }));

/** 200 candles of AAAUSDT to collect from a CSV into `rig.output`, whose lock another collect holds. */
async function csvBehindHeldLock(rig: Rig): Promise<{ fromCsv: CollectOptions; other: HeldLock }> {
  const csv = await writeOhlcvCsv(join(dirname(rig.output), "AAAUSDT-1h.csv"), ROWS.slice(0, 200));
  const fromCsv: CollectOptions = {
    source: "csv",
    files: [{ path: csv, symbol: "AAAUSDT" }],
    output: rig.output,
  };
  const other = await lockFile(lockPathFor(rig.output), "collect into it", { waitMs: 0 });
  return { fromCsv, other };
}

Deno.test("collect: what Ctrl-C will do, said when pressed, follows the run: no merge promised while it waits for another collect's lock", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    // Another collect holds the output; the press comes while this one waits for it. The line said then was
    // "the candles fetched so far will be merged into …", and the run ended "nothing was written".
    const { fromCsv, other } = await csvBehindHeldLock(rig);
    const stop = new AbortController();
    const said: string[] = [];
    const stage = (now: CollectStage) => {
      said.push(stopNotice(fromCsv, now));
      if (now.step === "waiting") stop.abort();
    };
    try {
      await assert.rejects(
        runCollect(fromCsv, { ...rig.env, signal: stop.signal, stage }),
        (error: InterruptedError) => {
          assert.ok(error instanceof InterruptedError);
          assert.match(
            error.message,
            /^collect interrupted while waiting for .*training\.csv, in use by .*; nothing was written \(the candles read were not merged\)$/,
          );
          return true;
        },
      );
    } finally {
      other.release();
    }
    assert.deepEqual(said, [
      `stopping; the candles read will not be merged: ${rig.output} is in use by another run, so nothing will be written`,
    ]);
    await assert.rejects(Deno.stat(rig.output), Deno.errors.NotFound);

    // From Binance, the lock free: nothing promised before the first candle, then the merge of those fetched.
    const fromBinance = dates(rig, "2022-01-01", "2022-02-01");
    const stages: CollectStage[] = [];
    await runCollect(fromBinance, { ...rig.env, stage: (now) => void stages.push(now) });
    assert.equal(
      stopNotice(fromBinance, { step: "gathering", candles: 0 }),
      `stopping; no candle has been fetched yet, so nothing will be written to ${rig.output}`,
    );
    assert.deepEqual(stages.map((s) => s.step), ["gathering", "writing"]);
    assert.deepEqual(stages.map((s) => s.candles), [744, 744]);
    for (const now of stages) {
      assert.equal(
        stopNotice(fromBinance, now),
        `stopping; the candles fetched so far will be merged into ${rig.output}`,
      );
    }
    assert.equal(
      stopNotice(fromBinance, { step: "waiting", candles: 744 }),
      `stopping; the candles fetched will not be merged: ${rig.output} is in use by another run, so nothing will be written`,
    );
    // Files are read to their end whenever pressed, then merged: "read", not "fetched".
    assert.equal(
      stopNotice(fromCsv, { step: "gathering", candles: 0 }),
      `stopping once the files are read; their candles will be merged into ${rig.output}`,
    );
    const fromJson: CollectOptions = { source: "json", jsonPath: "candle_export.json", output: rig.output };
    assert.equal(
      stopNotice(fromJson, { step: "writing", candles: 80 }),
      `stopping; the candles read will be merged into ${rig.output}`,
    );
  }));

Deno.test("collect: Ctrl-C pressed before the output's lock is found busy keeps its promise: the run waits, then merges", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    // Pressed while the files were read ("their candles will be merged"); another collect holds the output and
    // lets go a moment later. Before, the wait was given up at once: "nothing was written".
    const { fromCsv, other } = await csvBehindHeldLock(rig);
    const stop = new AbortController();
    stop.abort();
    const steps: string[] = [];
    const release = setTimeout(() => other.release(), 300);
    try {
      await assert.rejects(
        runCollect(fromCsv, { ...rig.env, signal: stop.signal, stage: (now) => void steps.push(now.step) }),
        (error: InterruptedError) => {
          assert.ok(error instanceof InterruptedError);
          assert.doesNotMatch(error.message, /nothing was written/);
          return true;
        },
      );
    } finally {
      clearTimeout(release);
      other.release();
    }
    assert.ok(steps.includes("waiting") && steps.at(-1) === "writing", steps.join(", "));
    const [written, ...others] = await readTrainingCsv(rig.output);
    assert.equal(others.length, 0);
    assertSameCandles(written, ROWS.slice(0, 200));
  }));

Deno.test("collect --source csv: open times in seconds or ns give the rows of the same file in ms", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const rows = ROWS.slice(0, 100);
    const dir = dirname(rig.output);
    const texts: string[] = [];
    for (
      const [name, time] of [
        ["ms.csv", (t: number) => String(t)],
        ["s.csv", (t: number) => String(t / 1000)],
        ["ns.csv", (t: number) => `${t}000000`],
      ] as const
    ) {
      const csvPath = join(dir, name);
      await writeFile(
        csvPath,
        [
          "open_time,open,high,low,close,volume",
          ...rows.map((r) => [time(r.openTime), r.open, r.high, r.low, r.close, r.volume].join(",")),
        ].join("\n"),
      );
      const output = join(dir, `out_${name}`);
      const report = await runCollect({
        source: "csv",
        files: [{ path: csvPath, symbol: "AAAUSDT" }],
        output,
      }, rig.env);
      assert.equal(report.summaries[0].grid, "1h", name);
      texts.push(await readFile(output, "utf8"));
    }
    assert.match(texts[0], /\nAAAUSDT,1640995200000,/);
    assert.equal(texts[1], texts[0]);
    assert.equal(texts[2], texts[0]);
  }));

Deno.test("collect: --interval on a file must be the step its open times show, or the one-interval rule is bypassed", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const dir = dirname(rig.output);
    const csv = (name: string, rows: readonly KlineRow[]) => writeOhlcvCsv(join(dir, name), rows);
    const hourly = await csv("AAAUSDT-1h.csv", ROWS.slice(0, 200));
    await runCollect(
      { source: "csv", files: [{ path: hourly, symbol: "AAAUSDT" }], output: rig.output },
      rig.env,
    );
    const before = await readFile(rig.output, "utf8");
    // 4h candles told they are 1h: they would pass the one-interval check and read as 3 gaps in every 4.
    const fourHourly = await csv("BBBUSDT-4h.csv", syntheticKlines("4h", START, 100, { seed: 8 }));
    const refused: [CollectOptions, string, string][] = [
      [
        {
          source: "csv",
          files: [{ path: fourHourly, symbol: "BBBUSDT" }],
          interval: "1h",
          output: rig.output,
        },
        `--interval 1h: ${fourHourly} holds 4h candles (its most common step between open times); nothing ` +
        "was written",
        "give --interval 4h",
      ],
      [
        { source: "csv", files: [{ path: hourly, symbol: "AAAUSDT" }], interval: "4h", output: rig.output },
        `--interval 4h: ${hourly} holds 1h candles (its most common step between open times); nothing was written`,
        "give --interval 1h",
      ],
    ];
    const jsonPath = join(dir, "export.json");
    await writeFile(
      jsonPath,
      mixedExport({ AAAUSDT: "4h", CCCUSDT: "1h" }),
    );
    refused.push([
      { source: "json", jsonPath, interval: "4h", output: rig.output },
      `--interval 4h: ${jsonPath} holds 1h candles (CCCUSDT's most common step between open times); nothing ` +
      "was written",
      "give --interval 1h",
    ]);
    for (const [options, message, hint] of refused) {
      await assert.rejects(runCollect(options, rig.env), (error: Error) => {
        assert.ok(error instanceof UsageError, error.message);
        assert.equal(error.message, message);
        assert.match(error.hint!, new RegExp(`^${hint}, or leave --interval out`));
        return true;
      });
      assert.equal(await readFile(rig.output, "utf8"), before, "nothing written");
    }
    // The step it names is accepted.
    const again = await runCollect(
      { source: "csv", files: [{ path: hourly, symbol: "AAAUSDT" }], interval: "1h", output: rig.output },
      rig.env,
    );
    assert.equal(again.summaries[0].grid, "1h");
  }));

Deno.test("collect --source csv: a file named for one interval holding another is collected as it is, and says so", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const dir = dirname(rig.output);
    const csv = (name: string, rows: readonly KlineRow[]) => writeOhlcvCsv(join(dir, name), rows);
    // Before: 30m candles in a file named …-1h.csv were collected as 30m without a word, and a model trained on
    // them looks 2 hours ahead where its user meant 4.
    const misnamed = await csv("SOLUSDT-1h.csv", syntheticKlines("30m", START, 200, { seed: 6 }));
    const kept = await runCollect(
      { source: "csv", files: [{ path: misnamed, symbol: "SOLUSDT" }], output: rig.output },
      rig.env,
    );
    assert.equal(kept.summaries[0].grid, "30m");
    assert.ok(
      rig.env.printed.includes(
        `warning: ${misnamed} is named for 1h candles, but its open times step 30m: collected as 30m; check ` +
          "that it is the file you meant",
      ),
      rig.env.printed.join("\n"),
    );
    // The same step spelt otherwise is no mismatch; neither is a name that states no interval.
    for (const name of ["ADAUSDT-60m.csv", "raw-ada.csv"]) {
      rig.env.printed.length = 0;
      const path = await csv(name, syntheticKlines("1h", START, 200, { seed: 7 }));
      await runCollect({
        source: "csv",
        files: [{ path, symbol: "ADAUSDT" }],
        output: join(dir, `${name}.out.csv`),
      }, rig.env);
      assert.ok(!rig.env.printed.some((line) => line.includes("is named for")), rig.env.printed.join("\n"));
    }
    // Calendar months named 1M say nothing; equal 30-day steps named 1M are no months (before: nothing said,
    // and a model trained on them recorded 30d).
    const day = 86_400_000;
    const thirtyDays = syntheticKlines("1d", START, 12, { seed: 8 }).map((r, i) => ({
      ...r,
      openTime: START + i * 30 * day,
    }));
    for (
      const [name, rows, said] of [
        ["BBBUSDT-1M.csv", syntheticKlines("1M", START, 12, { seed: 9 }), false],
        ["CCCUSDT-1M.csv", thirtyDays, true],
      ] as const
    ) {
      rig.env.printed.length = 0;
      const path = await csv(name, rows);
      const symbol = name.slice(0, 7);
      await runCollect(
        { source: "csv", files: [{ path, symbol }], output: join(dir, `${name}.out.csv`) },
        rig.env,
      );
      const line =
        `warning: ${path} is named for 1M candles, but its open times step 30d: collected as 30d; ` +
        "check that it is the file you meant";
      assert.equal(rig.env.printed.includes(line), said, rig.env.printed.join("\n"));
      if (!said) {
        assert.ok(!rig.env.printed.some((l) => l.includes("is named for")), rig.env.printed.join("\n"));
      }
    }
  }));

Deno.test("collect --source csv: monthly files joined out of order, each with its header, a day in two, give the clean file's rows", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const dir = dirname(rig.output);
    const rows = ROWS.slice(0, 300);
    const clean = await writeOhlcvCsv(join(dir, "clean.csv"), rows);
    await runCollect(
      { source: "csv", files: [{ path: clean, symbol: "AAAUSDT" }], output: join(dir, "clean.out.csv") },
      rig.env,
    );
    // `cat` of a later month before an earlier one, each with its header, and 24 candles in both.
    const text = (part: readonly KlineRow[]) =>
      [
        "open_time,open,high,low,close,volume",
        ...part.map((r) => [r.openTime, r.open, r.high, r.low, r.close, r.volume].join(",")),
      ]
        .join("\n") + "\n";
    const joined = join(dir, "AAAUSDT-1h-joined.csv");
    await writeFile(joined, text(rows.slice(150)) + text(rows.slice(0, 174)));
    rig.env.printed.length = 0;
    // Before: refused at "line 152 (open_time): "open_time" is not a finite number", then, with the header
    // gone, at the first row out of order, with the hint to "collect it again".
    const collected = await runCollect({
      source: "csv",
      files: [{ path: joined, symbol: "AAAUSDT" }],
      output: join(dir, "joined.out.csv"),
    }, rig.env);
    assert.equal(collected.summaries[0].added, 300);
    assert.equal(
      await readFile(join(dir, "joined.out.csv"), "utf8"),
      await readFile(join(dir, "clean.out.csv"), "utf8"),
    );
    assert.ok(
      rig.env.printed.includes(
        `${joined}: 150 rows out of time order sorted into place; 24 repeated rows (the same candle again) dropped`,
      ),
      rig.env.printed.join("\n"),
    );
    // A time in both parts with other prices is two candles for one time: refused naming both by their lines
    // in the file (before: "data row 11 and … data row 311", off by the headers: lines 12 and 313).
    const edited = rows.slice(0, 174).map((
      r,
      i,
    ) => (i === 160 ? { ...r, volume: String(Number(r.volume) + 1) } : r));
    const conflicting = join(dir, "conflict.csv");
    await writeFile(conflicting, text(rows.slice(150)) + text(edited));
    await assert.rejects(
      runCollect(
        { source: "csv", files: [{ path: conflicting, symbol: "AAAUSDT" }], output: join(dir, "c.out.csv") },
        rig.env,
      ),
      (error: Error) => {
        assert.match(
          error.message,
          new RegExp(`^${conflicting} line 12 and ${conflicting} line 313 both open at `),
        );
        return true;
      },
    );
  }));

Deno.test("collect: indicators it computes that overflow a float32 feature are refused before writing", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    // Closes near 1e11, then one of 1e-30: its own prices pass every check (and its features, without
    // indicators), but the MACD computed over the history makes macd/close 1e39, past float32.
    const rows = Array.from({ length: 80 }, (_, i) => {
      const close = i === 79 ? 1e-30 : 1e11 * (1 + 0.05 * Math.sin(i / 3));
      return [START + i * HOUR, close, close, close, close, 1].join(",");
    });
    const csvPath = join(dirname(rig.output), "AAAUSDT-1h.csv");
    await writeFile(csvPath, ["open_time,open,high,low,close,volume", ...rows].join("\n"));
    await assert.rejects(
      runCollect(
        { source: "csv", files: [{ path: csvPath, symbol: "AAAUSDT" }], output: rig.output },
        rig.env,
      ),
      (error: Error) => {
        assert.match(
          error.message,
          /^AAAUSDT candle 79 \(2022-01-04 07:00 UTC\): its values make feature macd\w* overflow \(not finite in float32\)/,
        );
        return true;
      },
    );
    await assert.rejects(Deno.stat(rig.output), Deno.errors.NotFound, "nothing written");
  }));

Deno.test("collect --source json: an export whose symbols have different intervals is refused, nothing written", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const jsonPath = join(dirname(rig.output), "mixed.json");
    await writeFile(
      jsonPath,
      mixedExport({ AAAUSDT: "1h", CCCUSDT: "4h" }),
    );
    await assert.rejects(
      runCollect({ source: "json", jsonPath, output: rig.output }, rig.env),
      (e: Error) => {
        assert.ok(e instanceof CommandError, e.message);
        assert.equal(
          e.message,
          "AAAUSDT is 1h and CCCUSDT is 4h: one training CSV holds one interval; nothing was written",
        );
        assert.match(e.hint!, /its own --output/);
        return true;
      },
    );
    await assert.rejects(Deno.stat(rig.output), Deno.errors.NotFound, "nothing written");
  }));
