import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emptySeries } from "./candles.ts";
import { trainingCsvText } from "./training_csv.ts";
import { scanTrainingCsv, writeTrainingCsvSpliced } from "./training_csv_splice.ts";

function series(symbol: string, rows: number, price: number) {
  const s = emptySeries(symbol, rows);
  for (let i = 0; i < rows; i++) {
    s.openTime[i] = 1_600_000_000_000 + i * 3_600_000;
    [s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]] = [price, price * 1.5, price / 2, price, 0.25];
    s.rsi[i] = i < 2 ? NaN : 50 + i / 3; // empty in warm-up, as collect writes it
  }
  return s;
}

Deno.test("scanTrainingCsv: a file as collect writes it gives the symbols asked for and where the others lie", async () => {
  const dir = await mkdtemp(join(tmpdir(), "candlecast-scan-"));
  try {
    const path = join(dir, "training.csv");
    const text = trainingCsvText([
      series("AAAUSDT", 3, 1e-7),
      series("BBBUSDT", 4, 2),
      series("CCCUSDT", 2, 300),
    ]);
    await writeFile(path, text);
    const others: string[] = [];
    const layout = await scanTrainingCsv(path, new Set(["BBBUSDT", "ZZZUSDT"]), (s) => others.push(s.symbol));
    assert.ok(layout);
    assert.deepEqual(others, ["AAAUSDT", "CCCUSDT"]);
    assert.deepEqual(layout.wanted.map((s) => [s.symbol, s.length]), [["BBBUSDT", 4]]);
    const lines = text.split("\n");
    assert.deepEqual(
      layout.others.map((o) => [o.symbol, text.slice(o.start, o.end)]),
      [["AAAUSDT", lines.slice(1, 4).join("\n") + "\n"], ["CCCUSDT", lines.slice(8, 10).join("\n") + "\n"]],
    );
    // Written back with BBB's series: the file as it was.
    await writeTrainingCsvSpliced(layout, layout.wanted);
    assert.equal(await readFile(path, "utf8"), text);

    // Any other layout is left to readTrainingCsv, which puts it in order or says what is wrong.
    const variants: Record<string, string> = {
      "CRLF line ends": text.replaceAll("\n", "\r\n"),
      "a byte order mark": "\uFEFF" + text,
      "no newline at the end": text.slice(0, -1),
      "an empty line": text.replace("\nBBBUSDT", "\n\nBBBUSDT"),
      "symbols out of order": [lines[0], ...lines.slice(4, 8), ...lines.slice(1, 4), ...lines.slice(8)].join(
        "\n",
      ),
      "a symbol's rows apart": [lines[0], lines[2], lines[1], ...lines.slice(3)].join("\n"),
      "rows out of time order": [lines[0], lines[4], lines[6], lines[5], ...lines.slice(1, 4), lines[7]].join(
        "\n",
      ),
      "a quoted symbol": text.replace("\nAAAUSDT,", '\n"AAAUSDT",'),
      "a number not as String writes it": text.replace(",0.25,", ",0.250,"),
      "a number in another form": text.replace(",1e-7,", ",0.0000001,"),
      "a bad row": text.replace(",0.25,", ",-1,"),
      "another header": text.replace("symbol,", "Symbol,"),
    };
    for (const [what, variant] of Object.entries(variants)) {
      await writeFile(path, variant);
      assert.equal(await scanTrainingCsv(path, new Set(["BBBUSDT"]), () => {}), null, what);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

Deno.test("writeTrainingCsvSpliced refuses a file that changed since its scan at the same size, writing nothing", async () => {
  const dir = await mkdtemp(join(tmpdir(), "candlecast-scan-"));
  try {
    const path = join(dir, "training.csv");
    const text = trainingCsvText([series("AAAUSDT", 3, 2), series("BBBUSDT", 4, 2)]);
    await writeFile(path, text);
    const layout = await scanTrainingCsv(path, new Set(["BBBUSDT"]), () => {});
    assert.ok(layout);
    // AAA's volume edited to another of the same length (sed -i writes a new file and renames it over):
    // before, only the size was compared, and the edited row was copied unchecked, under the scan's summary.
    const edited = text.replace("AAAUSDT,1600000000000,2,3,1,2,0.25,", "AAAUSDT,1600000000000,2,3,1,2,0.75,");
    assert.notEqual(edited, text);
    assert.equal(edited.length, text.length);
    await writeFile(join(dir, "edit.tmp"), edited);
    await Deno.rename(join(dir, "edit.tmp"), path);
    await assert.rejects(
      writeTrainingCsvSpliced(layout, layout.wanted),
      /changed while collect merged into it/,
    );
    assert.equal(await readFile(path, "utf8"), edited);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** 60,000 rows of `series`, their RSI kept within 0–100. */
function long(symbol: string, price: number) {
  const s = series(symbol, 60_000, price);
  for (let i = 2; i < s.length; i++) s.rsi[i] = 50 + (i % 30) / 3;
  return s;
}

Deno.test("writeTrainingCsvSpliced refuses a file renamed over its path while the merge was being written, keeping it", async () => {
  const dir = await mkdtemp(join(tmpdir(), "candlecast-scan-"));
  try {
    const path = join(dir, "training.csv");
    // ~6 MB of other symbols' rows: copied in 64 KB pieces, each written with an await, so the write is well
    // under way when the edit below lands.
    const text = trainingCsvText([
      long("AAAUSDT", 2),
      series("BBBUSDT", 4, 2),
      long("CCCUSDT", 3),
    ]);
    await writeFile(path, text);
    const layout = await scanTrainingCsv(path, new Set(["BBBUSDT"]), () => {});
    assert.ok(layout);
    const edited = text.replace("AAAUSDT,1600000000000,2,3,1,2,0.25,", "AAAUSDT,1600000000000,2,3,1,2,0.75,");
    await writeFile(join(dir, "edit.part"), edited);
    const writing = writeTrainingCsvSpliced(layout, layout.wanted);
    // Once the temporary file has its first bytes, the copy has opened the old file and checked it: the edit
    // (sed -i: a new file renamed over the path) is invisible to the file it reads. It was renamed over in turn,
    // the edit lost and the merge reported as written (helper trial s43: 3 of 3 such edits lost).
    const temp = async () => {
      for await (const entry of Deno.readDir(dir)) {
        if (entry.name.endsWith(".tmp") && (await Deno.stat(join(dir, entry.name))).size > 0) return true;
      }
      return false;
    };
    while (!(await temp())) await new Promise((resolve) => setTimeout(resolve, 1));
    await Deno.rename(join(dir, "edit.part"), path);
    await assert.rejects(writing, /changed while collect merged into it; nothing was written/);
    assert.equal(await readFile(path, "utf8"), edited);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["training.csv"]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
