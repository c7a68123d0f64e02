/**
 * collect into an output that already holds other symbols: read one symbol at a time and copied as it is, the
 * file the same as reading it whole and writing it again gave, in less memory.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  CandleError,
  type CandleSeries,
  computeIndicators,
  emptySeries,
  INDICATOR_COLUMNS,
  readTrainingCsv,
  seriesFromCandles,
  writeTrainingCsv,
} from "../../features/index.ts";
import { type KlineRow, seriesSource, syntheticKlines } from "../../test/binance_klines_server.ts";
import { klineNumbers, type Rig, utcMs, withRig } from "../../test/collect_rig.ts";
import { type CollectOptions, runCollect } from "./index.ts";

const START = utcMs("2022-01-01");
const source = seriesSource({});

const collected = (symbol: string, rows: readonly KlineRow[]): CandleSeries => {
  const s = seriesFromCandles(symbol, klineNumbers(rows));
  computeIndicators(s);
  return s;
};

/** `rows` as an OHLCV CSV named for `symbol` beside the output; resolves to its path. */
async function ohlcvCsv(rig: Rig, symbol: string, rows: readonly KlineRow[]): Promise<string> {
  const path = join(dirname(rig.output), `${symbol}-1h.csv`);
  await writeFile(
    path,
    [
      "open_time,open,high,low,close,volume",
      ...rows.map((r) => [r.openTime, r.open, r.high, r.low, r.close, r.volume]),
    ]
      .join("\n") + "\n",
  );
  return path;
}

const csvOptions = (rig: Rig, paths: string[]): CollectOptions => ({
  source: "csv",
  files: paths.map((path) => ({
    path,
    symbol: path.split("/").at(-1)!.split("-")[0],
    symbolFromFileName: true,
  })),
  interval: "1h",
  output: rig.output,
});

Deno.test("collect: into a file of other symbols, with overlapping and new candles, it writes what reading and writing the whole file gave", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const aaa = syntheticKlines("1h", START, 2400, { seed: 5 });
    const bbb = collected("BBBUSDT", syntheticKlines("1h", START, 300, { seed: 6 }));
    bbb.rsi.fill(42); // not what computeIndicators gives: the rows must be kept, not computed again
    const zzz = collected("ZZZUSDT", syntheticKlines("1h", START, 200, { seed: 7, price: 3 }));
    await writeTrainingCsv(rig.output, [collected("AAAUSDT", aaa.slice(0, 1200)), bbb, zzz]);
    const ccc = syntheticKlines("1h", START + 50 * 3_600_000, 500, { seed: 8, price: 7 });
    // AAA: 200 candles already there and 1,200 new ones; CCC new, between BBB and ZZZ by name.
    const report = await runCollect(
      csvOptions(rig, [await ohlcvCsv(rig, "AAAUSDT", aaa.slice(1000)), await ohlcvCsv(rig, "CCCUSDT", ccc)]),
      rig.env,
    );

    // What collect wrote when it read the file whole: the file's series with AAA and CCC over their whole
    // histories, every symbol rendered, sorted by name.
    const expected = join(dirname(rig.output), "expected.csv");
    await writeTrainingCsv(expected, [collected("AAAUSDT", aaa), bbb, collected("CCCUSDT", ccc), zzz]);
    assert.equal(await readFile(rig.output, "utf8"), await readFile(expected, "utf8"));
    assert.deepEqual(report.summaries.map((s) => [s.symbol, s.rows, s.added, s.grid, s.missing]), [
      ["AAAUSDT", 2400, 1200, "1h", 0],
      ["BBBUSDT", 300, 0, "1h", 0],
      ["CCCUSDT", 500, 500, "1h", 0],
      ["ZZZUSDT", 200, 0, "1h", 0],
    ]);

    // Again with nothing new: the file is left as it was.
    const again = await runCollect(
      csvOptions(rig, [await ohlcvCsv(rig, "AAAUSDT", aaa.slice(1000))]),
      rig.env,
    );
    assert.match(rig.env.printed.at(-1)!, /the file already held them and was left as it was/);
    assert.equal(again.summaries.length, 4);
    assert.equal(await readFile(rig.output, "utf8"), await readFile(expected, "utf8"));
  }));

Deno.test("collect: the other symbols' rows are copied byte for byte, not read back and written again", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const bbb = collected("BBBUSDT", syntheticKlines("1h", START, 100, { seed: 6 }));
    bbb.volume[10] = 1;
    await writeTrainingCsv(rig.output, [bbb]);
    // A volume of 1 written with more digits than it needs: the same number, which only a copy keeps as written
    // (writing the series again prints "1").
    const lines = (await readFile(rig.output, "utf8")).split("\n");
    const cells = lines[11].split(",");
    assert.equal(cells[6], "1");
    cells[6] = "1.0000000000000001";
    lines[11] = cells.join(",");
    await writeFile(rig.output, lines.join("\n"));

    await runCollect(
      csvOptions(rig, [await ohlcvCsv(rig, "AAAUSDT", syntheticKlines("1h", START, 50, { seed: 5 }))]),
      rig.env,
    );
    const after = (await readFile(rig.output, "utf8")).split("\n");
    assert.deepEqual(after.filter((line) => line.startsWith("BBBUSDT,")), lines.slice(1, -1));
  }));

Deno.test("collect: a file not laid out as collect writes it is still put in order; a bad row of another symbol still refused", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const bbb = collected("BBBUSDT", syntheticKlines("1h", START, 100, { seed: 6 }));
    const ccc = collected("CCCUSDT", syntheticKlines("1h", START, 100, { seed: 7 }));
    const aaa = syntheticKlines("1h", START, 50, { seed: 5 });
    const expected = join(dirname(rig.output), "expected.csv");
    await writeTrainingCsv(expected, [collected("AAAUSDT", aaa), bbb, ccc]);
    // CCC before BBB (an older candlecast appended symbols), CRLF line ends (edited on Windows).
    await writeTrainingCsv(rig.output, [bbb, ccc]);
    const [header, ...rows] = (await readFile(rig.output, "utf8")).split("\n").slice(0, -1);
    const swapped = [header, ...rows.slice(100), ...rows.slice(0, 100)];
    await writeFile(rig.output, swapped.join("\r\n") + "\r\n");
    const csv = await ohlcvCsv(rig, "AAAUSDT", aaa);
    await runCollect(csvOptions(rig, [csv]), rig.env);
    assert.equal(await readFile(rig.output, "utf8"), await readFile(expected, "utf8"));

    // A row of CCC, which this run does not touch, with its high below its low: refused naming the line, as
    // reading the whole file always did, and nothing written.
    const bad = (await readFile(expected, "utf8")).split("\n");
    const cells = bad[170].split(",");
    assert.equal(cells[0], "CCCUSDT");
    cells[3] = String(Number(cells[4]) / 2);
    bad[170] = cells.join(",");
    await writeFile(rig.output, bad.join("\n"));
    await assert.rejects(
      runCollect(csvOptions(rig, [csv]), rig.env),
      (e) => e instanceof CandleError && /line 171: high .* is below low/.test(e.message),
    );
    assert.equal(await readFile(rig.output, "utf8"), bad.join("\n"));
  }));

/** `rows` hourly candles of one symbol, every indicator filled (a collected series past its warm-up). */
function hourly(symbol: string, rows: number): CandleSeries {
  const s = emptySeries(symbol, rows);
  for (let i = 0; i < rows; i++) {
    const close = 100 + 10 * Math.sin(i / 50) + (i % 7) * 0.013;
    s.openTime[i] = START + i * 3_600_000;
    [s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]] = [close, close * 1.01, close * 0.99, close, 1];
    for (const col of INDICATOR_COLUMNS) s[col][i] = 50 + 10 * Math.cos(i / 17);
  }
  return s;
}

Deno.test("collect: adding a symbol to a file of many holds one of its symbols at a time, not all of them", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    // 24 symbols of 10,000 rows (50 MB of text). Read whole, every row's numbers were held at once: the run held
    // 44–47 MB more at its peak (23–39 MB with 12 such symbols). One symbol at a time it holds 7–15 MB (a symbol's
    // rows, the chunks read and written) with 12 or 24: it does not grow with the file.
    const symbols = Array.from({ length: 24 }, (_, k) => `S${String(k).padStart(2, "0")}USDT`);
    await writeTrainingCsv(rig.output, symbols.map((s) => hourly(s, 10_000)));
    const csv = await ohlcvCsv(rig, "AAAUSDT", syntheticKlines("1h", START, 100, { seed: 5 }));
    const child = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--v8-flags=--expose-gc",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        new URL("../../test/collect_memory_child.ts", import.meta.url).pathname,
        csv,
        rig.output,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(child.stderr);
    assert.ok(child.success, stderr);
    const { grown } = JSON.parse(new TextDecoder().decode(child.stdout)) as { grown: number };
    assert.equal((await readTrainingCsv(rig.output)).length, 25);
    const grownMb = grown / 2 ** 20;
    assert.ok(grownMb < 30, `collect held ${grownMb.toFixed(1)} MB more while it added one symbol to 24`);
  }));

Deno.test("collect: a file read whole (CRLF) that another program renames a file over during the write is refused, kept as it was edited", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    // Not laid out as collect writes it (CRLF), so read whole and every row rendered again: ~9 MB, written in
    // 256 KB pieces with an await each, so the write is under way when the edit lands.
    const symbols = Array.from({ length: 6 }, (_, k) => `S${k}USDT`);
    await writeTrainingCsv(rig.output, symbols.map((s) => hourly(s, 10_000)));
    const crlf = (await readFile(rig.output, "utf8")).replaceAll("\n", "\r\n");
    await writeFile(rig.output, crlf);
    const edited = crlf.replace(/\r\n[^\r]*\r\n$/, "\r\n"); // S5USDT's last row deleted (sed -i '$d')
    const part = join(dirname(rig.output), "edit.part");
    await writeFile(part, edited);
    const csv = await ohlcvCsv(rig, "AAAUSDT", syntheticKlines("1h", START, 100, { seed: 5 }));
    const run = runCollect(csvOptions(rig, [csv]), rig.env);
    const temp = async () => {
      for await (const entry of Deno.readDir(dirname(rig.output))) {
        if (!entry.name.endsWith(".tmp")) continue;
        if ((await Deno.stat(join(dirname(rig.output), entry.name))).size > 0) return true;
      }
      return false;
    };
    while (!(await temp())) await new Promise((resolve) => setTimeout(resolve, 1));
    await Deno.rename(part, rig.output);
    // Before: written over, the deleted row back and the run exiting 0 (helper trial s43).
    await assert.rejects(
      run,
      (e) =>
        e instanceof CandleError &&
        /changed while collect merged into it; nothing was written/.test(e.message),
    );
    assert.equal(await readFile(rig.output, "utf8"), edited);
  }));
