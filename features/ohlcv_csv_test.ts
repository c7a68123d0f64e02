import assert from "node:assert/strict";
import { join } from "node:path";
import { CandleError, TRAINING_CSV_HEADER } from "./candles.ts";
import {
  ohlcvCsvCutShortWarning,
  parseOhlcvCsv,
  readOhlcvCsv,
  refuseTrainingCsvAsRaw,
  unendedLastLine,
} from "./ohlcv_csv.ts";

const TEXT = "open_time,open,high,low,close,volume\n1000,1,2,0.5,1.5,10\n2000,1.5,2.5,1,2,11\n";

Deno.test("readOhlcvCsv streams a file to the series parseOhlcvCsv makes of its text, byte order mark dropped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-ohlcv-" });
  try {
    const path = join(dir, "raw.csv");
    await Deno.writeTextFile(path, "\uFEFF" + TEXT);
    const read = await readOhlcvCsv(path, "X");
    const parsed = parseOhlcvCsv(TEXT, "X", path);
    assert.equal(read.length, 2);
    for (const col of ["openTime", "open", "high", "low", "close", "volume"] as const) {
      assert.deepEqual(Array.from(read[col]), Array.from(parsed[col]), col);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readOhlcvCsv names the file and line of a bad row, and says plainly when the path is missing, a folder or empty", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-ohlcv-" });
  try {
    const bad = join(dir, "bad.csv");
    await Deno.writeTextFile(bad, TEXT + "3000,1,x,1,1,1\n");
    await assert.rejects(readOhlcvCsv(bad, "X"), (e: Error) => {
      assert.equal(e.message, `${bad} line 4 (high): "x" is not a finite number`);
      return true;
    });
    const quote = join(dir, "quote.csv");
    await Deno.writeTextFile(quote, TEXT + '3000,"1,1,1,1,1\n');
    await assert.rejects(readOhlcvCsv(quote, "X"), new RegExp(`^CandleError: ${quote}: not valid CSV \\(`));
    await assert.rejects(readOhlcvCsv(join(dir, "none.csv"), "X"), {
      message: `${join(dir, "none.csv")}: no such file`,
    });
    await assert.rejects(readOhlcvCsv(dir, "X"), { message: `${dir} is a folder, not a file` });
    const empty = join(dir, "empty.csv");
    await Deno.writeTextFile(empty, "");
    // A usage error naming what to give. Before: exit 1, "fix the data named, or collect it again" (collect's).
    await assert.rejects(readOhlcvCsv(empty, "X"), (e: Error) => {
      assert.ok(e instanceof CandleError, e.message);
      assert.equal(e.message, `${empty}: the file is empty`);
      assert.equal(e.exitCode, 2);
      assert.match(
        e.hint ?? "",
        /^name a file of candles \(open_time,open,high,low,close,volume, or a Binance/,
      );
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("LF and CRLF lines mixed in one file are each a row, in the streamed file and in text", async () => {
  // Enough rows (~150 KB) that the stream's chunks end inside and between "\r\n" pairs somewhere.
  const lines = ["open_time,open,high,low,close,volume"].concat(
    Array.from({ length: 4000 }, (_, i) => `${1000 * (i + 1)},1,2,0.5,1.5,${i}`),
  );
  const expected = parseOhlcvCsv(lines.join("\n") + "\n", "X");
  assert.equal(expected.length, 4000);
  // Mostly CRLF with every third line LF, starting either way: csv-parse alone took the first line's ending
  // for the whole file.
  const mixes = [
    lines.map((line, i) => line + (i % 3 === 1 ? "\n" : "\r\n")).join(""),
    lines.map((line, i) => line + (i % 3 === 0 ? "\n" : "\r\n")).join(""),
  ];
  const dir = await Deno.makeTempDir({ prefix: "candlecast-ohlcv-" });
  try {
    for (const [m, mixed] of mixes.entries()) {
      const path = join(dir, `mixed${m}.csv`);
      await Deno.writeTextFile(path, mixed);
      for (const got of [await readOhlcvCsv(path, "X"), parseOhlcvCsv(mixed, "X", path)]) {
        for (const col of ["openTime", "open", "high", "low", "close", "volume"] as const) {
          assert.deepEqual(Array.from(got[col]), Array.from(expected[col]), `${path} ${col}`);
        }
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the header again further down (monthly files joined end to end) is skipped; later lines keep their numbers", () => {
  const joined = TEXT + "OPEN_TIME,open,high,low,close,volume\n3000,2,3,1.5,2.5,12\n4000,2,x,1,1,1\n";
  assert.throws(() => parseOhlcvCsv(joined, "X", "joined.csv"), {
    message: 'joined.csv line 6 (high): "x" is not a finite number',
  });
  const headerless =
    "1000,1,2,0.5,1.5,10,1999,5,4,5,6,0\nopen_time,open,high,low,close,volume\n2000,1.5,2.5,1,2,11\n";
  assert.deepEqual(Array.from(parseOhlcvCsv(headerless, "X").openTime), [1000, 2000]);
  // Any other text where a number belongs is still refused, naming its line.
  assert.throws(() => parseOhlcvCsv(TEXT + "time,open,high,low,close,volume\n", "X", "t.csv"), {
    message: 't.csv line 4 (open_time): "time" is not a finite number',
  });
});

Deno.test("a spreadsheet's export, other column names and dates as open times say what to change, not just 'fix the data'", () => {
  const refused = (text: string, message: string, hint: RegExp) =>
    assert.throws(() => parseOhlcvCsv(text, "X", "f.csv"), (e: CandleError) => {
      assert.equal(e.message, message);
      assert.match(e.hint!, hint);
      return true;
    });
  // Semicolons and decimal commas (a European spreadsheet's CSV): the separator is named, with a conversion.
  refused(
    "open_time;open;high;low;close;volume\n1000;1,5;2;0,5;1,5;10\n",
    `f.csv: its columns are separated by ';', not commas (header "open_time;open;high;low;close;volume")`,
    /comma-separated with '\.' as the decimal mark .* sed -e 's\/,\/\.\/g' -e 's\/;\/,\/g'$/,
  );
  refused(
    "open_time\topen\thigh\tlow\tclose\tvolume\n",
    `f.csv: its columns are separated by tabs, not commas (header "open_time\\topen\\thigh\\tlow\\tclose\\tvolume")`,
    /comma-separated/,
  );
  refused(
    "timestamp,open,high,low,close,volume\n1000,1,2,0.5,1.5,10\n",
    'f.csv: unexpected header "timestamp,open,high,low,close,volume"; expected open_time,open,high,low,close,volume ' +
      "or a Binance kline dump without a header",
    /^name the first six columns open_time,open,high,low,close,volume, in that order/,
  );
  // ISO times (pandas' to_csv of a datetime index): the ms they would be, read as UTC when no zone is given.
  refused(
    "open_time,open,high,low,close,volume\n2017-08-17T04:00:00Z,1,2,0.5,1.5,10\n",
    'f.csv line 2 (open_time): "2017-08-17T04:00:00Z" is a date; open times are numbers, ms since the epoch',
    /\(2017-08-17T04:00:00Z is 1502942400000\)/,
  );
  refused(
    "open_time,open,high,low,close,volume\n2017-08-17 04:00:00,1,2,0.5,1.5,10\n",
    'f.csv line 2 (open_time): "2017-08-17 04:00:00" is a date; open times are numbers, ms since the epoch',
    /\(2017-08-17 04:00:00 read as UTC is 1502942400000\)/,
  );
  // Without a header (df.to_csv(path, header=False)) the first row's date was read as a header's first name:
  // 'unexpected header "2017-08-17 04:00:00,1,2,…"' and the hint to rename the columns.
  refused(
    "2017-08-17 04:00:00,1,2,0.5,1.5,10\n2017-08-17 05:00:00,1,2,0.5,1.5,10\n",
    'f.csv line 1 (open_time): "2017-08-17 04:00:00" is a date; open times are numbers, ms since the epoch',
    /\(2017-08-17 04:00:00 read as UTC is 1502942400000\)/,
  );
});

Deno.test("a raw CSV's header of the wrong shape is a usage error (2), as an empty file is; a bad row stays 1", () => {
  const code = (text: string) => {
    try {
      parseOhlcvCsv(text, "X", "f.csv");
    } catch (error) {
      assert.ok(error instanceof CandleError, String(error));
      return error.exitCode;
    }
    return 0;
  };
  // Before: each header here exited 1, beside 2 for an empty file and for a training CSV given as raw candles.
  for (
    const header of [
      "open_time,open,high,low,close", // a column missing
      "open_time,open,high,low,clse,volume", // one misspelt
      "open_time;open;high;low;close;volume", // another separator
      "idx,open_time,open,high,low,close,volume", // a column before open_time
    ]
  ) assert.equal(code(`${header}\n1000,1,2,0.5,1.5,10\n`), 2, header);
  assert.equal(code(TEXT.replace("1.5,10", "x,10")), 1, "a bad value is the data's to fix");
});

Deno.test("pandas' unnamed index column before open_time is left out; a named one says to drop it", async () => {
  // df.to_csv(path) writes the index first, unnamed; read back and written again, it is "Unnamed: 0". Before:
  // "line 1 (open_time): value is empty" and the hint to "fix the data named".
  const rows = TEXT.split("\n").slice(1).filter(Boolean);
  for (const first of ["", "Unnamed: 0"]) {
    const text = [`${first},open_time,open,high,low,close,volume`, ...rows.map((r, i) => `${i},${r}`)].join(
      "\n",
    );
    const joined = `${text}\n${text}\n`; // two such files joined: the second header is skipped as well
    const dir = await Deno.makeTempDir({ prefix: "candlecast-ohlcv-" });
    try {
      const path = join(dir, "pandas.csv");
      await Deno.writeTextFile(path, text);
      for (const got of [parseOhlcvCsv(text, "X"), await readOhlcvCsv(path, "X")]) {
        assert.deepEqual(Array.from(got.openTime), [1000, 2000], JSON.stringify(first));
        assert.deepEqual(Array.from(got.volume), [10, 11]);
      }
      assert.deepEqual(Array.from(parseOhlcvCsv(joined, "X").openTime), [1000, 2000, 1000, 2000]);
      // A bad row still names its line in the file.
      assert.throws(() => parseOhlcvCsv(`${text}\n2,3000,1,x,1,1,1\n`, "X", "p.csv"), {
        message: 'p.csv line 4 (high): "x" is not a finite number',
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  assert.throws(() => parseOhlcvCsv(`idx,${TEXT}`, "X", "f.csv"), (e: CandleError) => {
    assert.equal(
      e.message,
      'f.csv: a column "idx" comes before open_time,open,high,low,close,volume (header ' +
        '"idx,open_time,open,high,low,close,volume")',
    );
    assert.match(e.hint!, /^remove that first column, .*df\.to_csv\(path, index=False\)\)$/);
    return true;
  });
});

Deno.test("a file longer than one block of rows is read whole, each row in place, a bad row past it named by its line", () => {
  const n = 70_000; // more than BLOCK_ROWS (65,536)
  const lines = Array.from(
    { length: n },
    (_, i) => `${1000 * (i + 1)},${i + 2},${i + 4},${i + 1},${i + 3},${i % 7}`,
  );
  const s = parseOhlcvCsv(["open_time,open,high,low,close,volume", ...lines].join("\n"), "X");
  assert.equal(s.length, n);
  for (const i of [0, 65_535, 65_536, n - 1]) {
    assert.deepEqual(
      [s.openTime[i], s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]],
      [1000 * (i + 1), i + 2, i + 4, i + 1, i + 3, i % 7],
      `row ${i}`,
    );
  }
  const bad = ["open_time,open,high,low,close,volume", ...lines, "1,1,x,1,1,1"].join("\n");
  assert.throws(() => parseOhlcvCsv(bad, "X", "big.csv"), {
    message: `big.csv line ${n + 2} (high): "x" is not a finite number`,
  });
});

Deno.test("raw candles with a symbol column are named as such where raw candles are read, not as a training CSV", async () => {
  // Before: "… is already a training CSV (symbol,open_time,…,stoch_d)", hint "give it to train", which refused it.
  const header = "symbol,open_time,open,high,low,close,volume";
  const isSymbolColumn = (e: CandleError) => {
    assert.ok(e instanceof CandleError && e.exitCode === 2, String(e));
    assert.match(
      e.message,
      /^(?:\S+\/)?export\.csv: its "symbol" column is not read \(header "symbol,open_time,/i,
    );
    assert.match(e.hint!, /^split it into one file per symbol named like BTCUSDT-1h\.csv .* drop the column/);
    return true;
  };
  assert.throws(
    () => parseOhlcvCsv(`${header}\nBTCUSDT,1000,1,2,0.5,1.5,3\n`, "BTCUSDT", "export.csv"),
    isSymbolColumn,
  );
  // From the first line alone, before collect asks the file's name for a symbol; the whole training header is
  // still a training CSV, a training header cut short is not.
  const dir = await Deno.makeTempDir({ prefix: "candlecast-ohlcv-" });
  const path = join(dir, "export.csv");
  try {
    await Deno.writeTextFile(
      path,
      `\ufeff"Symbol",open_time,open,high,low,close,volume\r\nBTCUSDT,1000,1,2,0.5,1.5,3\r\n`,
    );
    assert.throws(() => refuseTrainingCsvAsRaw(path), isSymbolColumn);
    await Deno.writeTextFile(path, `${TRAINING_CSV_HEADER.join(",")}\n`);
    assert.throws(() => refuseTrainingCsvAsRaw(path), /is already a training CSV/);
    await Deno.writeTextFile(path, `${header},rsi\n`);
    assert.throws(() => refuseTrainingCsvAsRaw(path), isSymbolColumn);
    await Deno.writeTextFile(
      path,
      "open_time,open,high,low,close,volume,symbol\n1000,1,2,0.5,1.5,3,BTCUSDT\n",
    );
    refuseTrainingCsvAsRaw(path); // a column after the six is ignored, as any is
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("open times a spreadsheet rounded into scientific notation are named as such, exact ones are read", () => {
  const HOUR = 3_600_000;
  const start = Date.UTC(2023, 5, 1);
  const rows = (times: readonly string[]) =>
    "open_time,open,high,low,close,volume\n" +
    times.map((t, i) => `${t},${10 + i},${12 + i},${9 + i},${11 + i},5\n`).join("");
  // Excel's General format: 1685577600000 saved as 1.68558E+12, hours apart falling on one time.
  const hourly = Array.from({ length: 24 }, (_, i) => (start + i * HOUR).toExponential(5).toUpperCase());
  // Before: "… data row 1 and … data row 2 both open at … with different values: two candles for one time",
  // hint "keep the right one (two files of different symbols or intervals joined into one?)".
  assert.throws(() => parseOhlcvCsv(rows(hourly), "X", "excel.csv"), (e: CandleError) => {
    assert.match(
      e.message,
      /^excel\.csv line 2 \(open_time\): "1\.68558E\+12" is in scientific notation, as a spreadsheet saves numbers: the open times were rounded, and \d+ rows open at the time of another$/,
    );
    assert.equal(
      e.hint,
      "re-export them as whole milliseconds (1685577600000, not 1.68558E+12); in a spreadsheet, format the " +
        "open_time column as a number with no decimals before saving",
    );
    return true;
  });
  // Daily candles do not collide, but each is up to 83 minutes off: refused all the same.
  const daily = Array.from({ length: 10 }, (_, i) => (start + i * 24 * HOUR).toExponential(5));
  assert.throws(() => parseOhlcvCsv(rows(daily), "X", "d.csv"), /the open times were rounded$/);
  // Exact scientific notation (R's write.csv trims zeros: 1.6848e+12 is 2023-05-23 00:00; numpy's savetxt
  // writes 18 decimals) is read as the numbers it states.
  const exact = [Date.UTC(2023, 4, 23), Date.UTC(2023, 4, 23, 1), Date.UTC(2023, 4, 23, 2)];
  const written = [["1.6848e+12", "1.6848036e+12", "1.6848072e+12"], exact.map((t) => t.toExponential(18))];
  for (const times of written) assert.deepEqual(Array.from(parseOhlcvCsv(rows(times), "X").openTime), exact);
  // Exact notation with one time written twice (other values) is a real duplicate, not a spreadsheet's rounding.
  const twice = rows([...written[1], written[1][2]]);
  const duplicate = (() => {
    try {
      parseOhlcvCsv(twice, "X", "dup.csv");
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  })();
  assert.ok(duplicate === null || !/spreadsheet/.test(duplicate), duplicate ?? "");
});

Deno.test("a file that ends mid-line: a bad last row says so; a last row that reads is taken, with a warning to print", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-ohlcv-" });
  try {
    const cut = join(dir, "cut.csv");
    // Cut inside the volume: five columns. Before: "line 4: expected at least 6 columns, found 5", nothing more.
    const short = `${TEXT}3000,2,3,1.5,2.5`;
    await Deno.writeTextFile(cut, short);
    const endsMidLine =
      `${cut} line 4: expected at least 6 columns, found 5 (the file ends mid-line: was it cut short?)`;
    await assert.rejects(readOhlcvCsv(cut, "X"), (e: Error) => {
      assert.ok(e instanceof CandleError && e.exitCode === 1, String(e));
      assert.equal(e.message, endsMidLine);
      return true;
    });
    assert.throws(() => parseOhlcvCsv(short, "X", cut), { message: endsMidLine });
    // Cut after a comma: the empty volume is the cut too.
    await Deno.writeTextFile(cut, `${TEXT}3000,2,3,1.5,2.5,`);
    await assert.rejects(readOhlcvCsv(cut, "X"), {
      message: `${cut} line 4 (volume): value is empty (the file ends mid-line: was it cut short?)`,
    });
    // A bad value no cut leaves is said as it is, and so is the same cut row with its line ending, or followed
    // by another row.
    await Deno.writeTextFile(cut, `${TEXT}3000,2,x,1.5,2.5,1`);
    await assert.rejects(readOhlcvCsv(cut, "X"), {
      message: `${cut} line 4 (high): "x" is not a finite number`,
    });
    await Deno.writeTextFile(
      cut,
      `${short}
`,
    );
    await assert.rejects(readOhlcvCsv(cut, "X"), {
      message: `${cut} line 4: expected at least 6 columns, found 5`,
    });
    await Deno.writeTextFile(
      cut,
      `${short}
4000,2,3,1.5,2.5,1`,
    );
    await assert.rejects(readOhlcvCsv(cut, "X"), {
      message: `${cut} line 4: expected at least 6 columns, found 5`,
    });
    // A bad row before text the parser fails on is still the one named.
    await Deno.writeTextFile(
      cut,
      `${short}
4000,"2,3,1.5,2.5,1\n`,
    );
    await assert.rejects(readOhlcvCsv(cut, "X"), {
      message: `${cut} line 4: expected at least 6 columns, found 5`,
    });

    // Cut inside the volume's decimals (740.9 of 740.97838): a number still, read as one, not refused (a file
    // whose writer leaves out the final newline ends the same way). Before: collected without a word.
    const mid = join(dir, "mid.csv");
    await Deno.writeTextFile(mid, `${TEXT}3000,2,3,1.5,2.5,740.9`);
    assert.deepEqual(Array.from((await readOhlcvCsv(mid, "X")).volume), [10, 11, 740.9]);
    assert.equal(await unendedLastLine(mid), "3000,2,3,1.5,2.5,740.9");
    assert.equal(
      await ohlcvCsvCutShortWarning(mid),
      `warning: ${mid} ends mid-line, no line ending after its last row ("3000,2,3,1.5,2.5,740.9"): was it cut ` +
        "short? If so, that row's last value may be cut too (a copy or download that stopped); if the tool that " +
        "wrote it leaves out the final line ending, ignore this",
    );
    // Ending as a file should, with blank or all-empty lines after the rows, or ^Z: nothing to say.
    for (const end of ["\n", "\r\n", "\r", "\n\n  ", "\n,,,,,", "\r\n\x1a"]) {
      await Deno.writeTextFile(mid, `${TEXT}3000,2,3,1.5,2.5,740.97838${end}`);
      assert.equal(await ohlcvCsvCutShortWarning(mid), null, JSON.stringify(end));
    }
    assert.equal(await unendedLastLine(join(dir, "none.csv")), null);
    assert.equal(await unendedLastLine(dir), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rows whose every cell is empty (a spreadsheet's blank rows) are skipped; a row with some cells is not", async () => {
  // Before: "line 4 (open): value is empty", exit 1, for rows Excel saves below the data.
  const blank = `${TEXT},,,,,\r\n, , ,"",,\n,,,,,`;
  assert.deepEqual(Array.from(parseOhlcvCsv(blank, "X", "excel.csv").openTime), [1000, 2000]);
  const dir = await Deno.makeTempDir({ prefix: "candlecast-ohlcv-" });
  try {
    const path = join(dir, "excel.csv");
    await Deno.writeTextFile(path, `${TEXT},,,,,\n3000,2,3,1.5,2.5,1\n,,,,,\n`);
    assert.deepEqual(Array.from((await readOhlcvCsv(path, "X")).openTime), [1000, 2000, 3000]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.throws(() => parseOhlcvCsv(`${TEXT}3000,,,,,\n`, "X", "f.csv"), {
    message: "f.csv line 4 (open): value is empty",
  });
});

Deno.test("a headerless first line of text-dated candles (MetaTrader) is named as a data row, not a header to rename", () => {
  const isDataRow = (text: string, example: RegExp | null) => {
    assert.throws(() => parseOhlcvCsv(text, "X", "mt4.csv"), (e: CandleError) => {
      assert.ok(e instanceof CandleError && e.exitCode === 2, String(e));
      assert.match(
        e.message,
        /^mt4\.csv: its first line ".*" looks like a data row with its date and time written as text \(as MetaTrader's export writes them, without a header\), not a header: collect needs each open time in ms since the epoch, under the header open_time,open,high,low,close,volume$/,
      );
      assert.match(e.hint!, /^write the date and time as one open_time column of ms since 1970-01-01 UTC/);
      assert.match(e.hint!, /put the header open_time,open,high,low,close,volume first; MetaTrader writes/);
      if (example) assert.match(e.hint!, example);
      else assert.doesNotMatch(e.hint!, /read as UTC/);
      return true;
    });
  };
  // Before: 'unexpected header "2023.12.14,04:00,…"', hint "name the first six columns open_time,…".
  isDataRow(
    "2023.12.14,04:00,42713.86,42788,42682.78,42710.39,851.15307\n2023.12.14,05:00,1,2,0.5,1.5,3\n",
    /\(2023\.12\.14 04:00 read as UTC is 1702526400000\)/,
  );
  isDataRow(
    "2023.12.14 04:00,42713.86,42788,42682.78,42710.39,851\n",
    /\(2023\.12\.14 04:00 read as UTC is 1702526400000\)/,
  );
  isDataRow("14.12.2023,04:00,42713.86,42788,42682.78,42710.39,851\n", null); // which is the day is not known
  isDataRow("2023.12.14 04:00:00.5,42713.86,42788,42682.78,42710.39,851\n", null); // no time said wrong
  isDataRow("2023.02.30,04:00,42713.86,42788,42682.78,42710.39,851\n", null);
  isDataRow("Dec 14 2023,42713.86,42788,42682.78,42710.39,851\n", null);
  // A header is still a header.
  assert.throws(() => parseOhlcvCsv("Date,Open,High,Low,Close,Volume\n1,2,3,1,2,3\n", "X", "yf.csv"), {
    message:
      'yf.csv: unexpected header "Date,Open,High,Low,Close,Volume"; expected open_time,open,high,low,' +
      "close,volume or a Binance kline dump without a header",
  });
});

Deno.test("JSON given as an OHLCV CSV is a usage error (2) naming --source json, not 'not valid CSV'", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-ohlcv-" });
  try {
    const pretty =
      '[\n  {\n    "symbol": "BTCUSDT",\n    "candles": [{"o": 1, "h": 2, "l": 0.5, "c": 1.5, "v": 3}]\n  }\n]\n';
    const oneLine = '{"symbol": "BTCUSDT", "candles": []}';
    const isJson = (path: string, first: string) => (e: Error) => {
      assert.ok(e instanceof CandleError, String(e));
      assert.equal(e.exitCode, 2);
      assert.equal(e.message, `${path} looks like JSON (it starts with ${first}), not a CSV of candles`);
      assert.match(e.hint ?? "", /^if it is the C# bot's candle export, use --source json --json-path /);
      return true;
    };
    const path = join(dir, "candle export.json");
    await Deno.writeTextFile(path, "\uFEFF" + pretty);
    // Before: "not valid CSV (Invalid Closing Quote: got ":" at line 3 …)", exit 1, "fix the data named".
    await assert.rejects(readOhlcvCsv(path, "BTCUSDT"), isJson(path, "["));
    assert.throws(() => refuseTrainingCsvAsRaw(path), isJson(path, "["));
    assert.throws(() => refuseTrainingCsvAsRaw(path), (e: Error) => {
      assert.ok(
        (e as CandleError).hint?.includes(`--json-path "${path}" (without --symbol`),
        String(e),
      );
      return true;
    });
    assert.throws(() => parseOhlcvCsv(pretty, "BTCUSDT", "export.json"), isJson("export.json", "["));
    assert.throws(() => parseOhlcvCsv(oneLine, "BTCUSDT", "export.json"), isJson("export.json", "{"));
    const single = join(dir, "single.json");
    await Deno.writeTextFile(single, oneLine + "\n");
    await assert.rejects(readOhlcvCsv(single, "BTCUSDT"), isJson(single, "{"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Asserts that `text` is refused (exit 1) with `message` and a hint matching `hint`. */
const refusedRow = (text: string, message: string, hint: RegExp) =>
  assert.throws(() => parseOhlcvCsv(text, "X", "f.csv"), (e: CandleError) => {
    assert.ok(e instanceof CandleError && e.exitCode === 1, String(e));
    assert.equal(e.message, message);
    assert.match(e.hint!, hint);
    return true;
  });
const commaHint = /^a decimal comma or thousands separator\? write numbers with '\.' as the decimal mark/;

Deno.test("a row of more cells than the header (an unquoted decimal comma or thousands separator) is refused, naming its line", async () => {
  // Before: "…,2,5,12" stored close 2 and volume 5, exit 0; the 12 was ignored.
  refusedRow(
    `${TEXT}3000,2,3,1.5,2,5,12\n`,
    'f.csv line 4: 7 cells where the header names 6 columns ("3000,2,3,1.5,2,5,12")',
    commaHint,
  );
  refusedRow(
    `${TEXT}3000,2,3,1.5,2.5,1,200.5\n`,
    'f.csv line 4: 7 cells where the header names 6 columns ("3000,2,3,1.5,2.5,1,200.5")',
    commaHint,
  );
  // A header that names more columns than the six: each row has them all.
  const wide = "open_time,open,high,low,close,volume,trades\n1000,1,2,0.5,1.5,10,7\n";
  assert.deepEqual(Array.from(parseOhlcvCsv(wide, "X").volume), [10]);
  refusedRow(
    `${wide}2000,1,2,0.5,1,5,10,7\n`,
    'f.csv line 3: 8 cells where the header names 7 columns ("2000,1,2,0.5,1,5,10,7")',
    commaHint,
  );
  // A row leaving out an empty cell after the six (a spreadsheet's), read since the row holds the six.
  assert.deepEqual(Array.from(parseOhlcvCsv(`${wide}2000,1,2,0.5,1.5,11\n`, "X").volume), [10, 11]);
  // A Binance dump without a header: its rows are as wide as its first line.
  const dump = "1000,1,2,0.5,1.5,10,1999,5,4,5,6,0\n";
  refusedRow(
    `${dump}2000,1,2,0.5,1,5,10,2999,5,4,5,6,0\n`,
    'f.csv line 2: 13 cells where line 1 has 12 ("2000,1,2,0.5,1,5,10,2999,5,4,5,6,0")',
    commaHint,
  );
  // Files joined end to end, each with its own header: each row is held to the header above it.
  const joined = `${TEXT}${wide}`;
  assert.deepEqual(Array.from(parseOhlcvCsv(joined, "X").openTime), [1000, 2000, 1000]);
  refusedRow(
    `${joined}3000,1,2,0.5,1,5,10,7\n`,
    'f.csv line 6: 8 cells where the header names 7 columns ("3000,1,2,0.5,1,5,10,7")',
    commaHint,
  );

  // What reads as before: a trailing comma on every line, or on the rows alone or the header alone; empty cells
  // a spreadsheet adds after the last column; all-empty rows; a named column left empty.
  const same = (text: string) =>
    assert.deepEqual(Array.from(parseOhlcvCsv(text, "X", "f.csv").close), [1.5, 2], JSON.stringify(text));
  same(TEXT.replaceAll("\n", ",\n"));
  same(TEXT.replace("volume\n", "volume,\n"));
  same(TEXT.replace("1.5,10\n", "1.5,10,\n").replace("2,11\n", "2,11,,,\n"));
  same(`${TEXT},,,,,\n,,,,,,,\n`);
  same("open_time,open,high,low,close,volume,note\n1000,1,2,0.5,1.5,10,\n2000,1.5,2.5,1,2,11,late\n");
  // A row as wide as the header that also holds a trailing comma beyond a shifted cell is still refused.
  refusedRow(
    TEXT.replaceAll("\n", ",\n") + "3000,2,3,1.5,2,5,12,\n",
    'f.csv line 4: 7 cells where the header names 6 columns ("3000,2,3,1.5,2,5,12,")',
    commaHint,
  );

  // Streamed from a file, as collect reads it: the same words, with the file's path.
  const dir = await Deno.makeTempDir({ prefix: "candlecast-ohlcv-" });
  try {
    const path = join(dir, "shifted.csv");
    await Deno.writeTextFile(path, `${TEXT}3000,2,3,1.5,2,5,12\n4000,2,3,1.5,2.5,1\n`);
    await assert.rejects(readOhlcvCsv(path, "X"), {
      message: `${path} line 4: 7 cells where the header names 6 columns ("3000,2,3,1.5,2,5,12")`,
    });
    // A last row cut short of the cells every row holds is said to be where the file ends mid-line.
    await Deno.writeTextFile(path, `${TEXT}3000,2,3,1.5,2.5`);
    await assert.rejects(readOhlcvCsv(path, "X"), {
      message:
        `${path} line 4: expected at least 6 columns, found 5 (the file ends mid-line: was it cut short?)`,
    });
    const eight = "open_time,open,high,low,close,volume\n1000,1,2,0.5,1.5,10,1.2,7\n";
    await Deno.writeTextFile(path, `${eight}2000,1,2,0.5,1.5,10,1.2`);
    await assert.rejects(readOhlcvCsv(path, "X"), {
      message:
        `${path} line 3: 7 cells where line 2 has 8 and the header names 6 columns ("2000,1,2,0.5,1.5,10,1.2") ` +
        "(the file ends mid-line: was it cut short?)",
    });
    // Cut after the six: the row is what the cut left, not line 2's shift.
    await Deno.writeTextFile(path, `${eight}2000,1,2,0.5,1.5,10`);
    await assert.rejects(readOhlcvCsv(path, "X"), {
      message:
        `${path} line 3: 6 cells where line 2 has 8 and the header names 6 columns ("2000,1,2,0.5,1.5,10") ` +
        "(the file ends mid-line: was it cut short?)",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rows all wider than a header naming the six are read, the unnamed cells ignored; a row off the rows' own width is refused", () => {
  const six = "open_time,open,high,low,close,volume\n";
  // A Kraken export fixed as the headerless refusal said (volume moved to the sixth column, the six named), and
  // a Binance dump with the six names on top. Before (84283f5): "line 2: 8 cells where the header names 6
  // columns", the decimal-comma hint, exit 1; the parent read both.
  const kraken = `${six}1502942400,4261.48,4313.62,4261.32,4308.83,47.181009,4290.1,120\n` +
    "1502946000,4308.83,4328.69,4291.37,4315.32,23.234916,4310.2,98\n" +
    "1502949600,4315.32,4330,4300,4320,20.1,4310.2,90\n";
  assert.deepEqual(Array.from(parseOhlcvCsv(kraken, "X").volume), [47.181009, 23.234916, 20.1]);
  const dump = `${six}1000,1,2,0.5,1.5,10,1999,5,4,5,6,0\n2000,1.5,2.5,1,2,11,2999,5,4,5,6,0\n`;
  assert.deepEqual(Array.from(parseOhlcvCsv(dump, "X").volume), [10, 11]);
  assert.deepEqual(Array.from(parseOhlcvCsv(dump.replaceAll("\n", ",\n"), "X").volume), [10, 11]);
  // Among them, a row one cell wider (a decimal comma) or narrower is refused, by the rows' own width.
  refusedRow(
    `${dump}3000,2,3,1.5,2,5,12,3999,5,4,5,6,0\n`,
    'f.csv line 4: 13 cells where line 2 has 12 and the header names 6 columns ("3000,2,3,1.5,2,5,12,3999,5,4,5,6,0")',
    commaHint,
  );
  refusedRow(
    `${dump}3000,2,3,1.5,2.5,12,3999,5,4,5,6\n`,
    'f.csv line 4: 11 cells where line 2 has 12 and the header names 6 columns ("3000,2,3,1.5,2.5,12,3999,5,4,5,6")',
    /^a cell missing\? .*unnamed columns after the six are ignored only when every row has them/,
  );
  // The first row the wide one among rows of the header's six: that row is named, as the shifted one.
  refusedRow(
    `${six}1000,1,2,0.5,1,5,10\n2000,1.5,2.5,1,2,11\n3000,2,3,1.5,2.5,12\n`,
    'f.csv line 2: 7 cells where the header names 6 columns and line 3 has 6 ("1000,1,2,0.5,1,5,10")',
    /^a decimal comma or thousands separator in line 2\? .*name every column in the header/,
  );
  // The shifted row of the original report (an unquoted "4036,3" for 4036.3) among rows of six: refused.
  refusedRow(
    `${six}1503000000000,4040,4050,4030,4036.3,54.912335\n1503003600000,4036.3,4040,4020,4036,3,54.912335\n`,
    'f.csv line 3: 7 cells where the header names 6 columns ("1503003600000,4036.3,4040,4020,4036,3,54.912335")',
    commaHint,
  );
});

Deno.test("a row leaving out empty cells of named columns after the six is read; one short of the six, or one cell too many, is refused", () => {
  const refused = (text: string, message: string) =>
    assert.throws(() => parseOhlcvCsv(text, "X", "f.csv"), (e: CandleError) => {
      assert.ok(e instanceof CandleError && e.exitCode === 1, String(e));
      assert.equal(e.message, message);
      return true;
    });
  // Excel saves an empty last column as a trailing comma on its first rows only; a header naming more columns
  // than rows fill. Before (84283f5): "line 18: 6 cells where the header names 7 columns", exit 1.
  const note = "open_time,open,high,low,close,volume,note\n1000,1,2,0.5,1.5,10,\n2000,1.5,2.5,1,2,11,\n";
  const excel = `${note}3000,2,3,1.5,2.5,12\n4000,2.5,3,2,2.5,13\n`;
  assert.deepEqual(Array.from(parseOhlcvCsv(excel, "X").volume), [10, 11, 12, 13]);
  assert.deepEqual(Array.from(parseOhlcvCsv(`\ufeff${excel}`, "X").volume), [10, 11, 12, 13]);
  const extra =
    "open_time,open,high,low,close,volume,quote_volume,trades\n1000,1,2,0.5,1.5,10\n2000,1.5,2.5,1,2,11\n";
  assert.deepEqual(Array.from(parseOhlcvCsv(extra, "X").volume), [10, 11]);
  // A row short of the six is refused as before.
  refused(
    `${extra}3000,2,3,1.5,2.5\n4000,2.5,3,2,2.5,13\n`,
    "f.csv line 4: expected at least 6 columns, found 5",
  );
  // A row of 8 among rows of 7 and 6 under 7 names: the shifted close, whether its note is empty or not.
  refused(
    `${excel}5000,2.5,3,2,2,5,14,\n`,
    'f.csv line 6: 8 cells where the header names 7 columns ("5000,2.5,3,2,2,5,14,")',
  );
  refused(
    `${excel}5000,2.5,3,2,2,5,14,late\n`,
    'f.csv line 6: 8 cells where the header names 7 columns ("5000,2.5,3,2,2,5,14,late")',
  );
  refused(
    `${note}5000,2.5,3,2,2,5,14,\n3000,2,3,1.5,2.5,12\n`,
    'f.csv line 4: 8 cells where the header names 7 columns ("5000,2.5,3,2,2,5,14,")',
  );
});

Deno.test("a file without a header is read only as a Binance kline dump (12 columns); another width is a usage error", () => {
  // A Kraken OHLC export (time in s, o, h, l, c, vwap, volume, count): before, its vwap was stored as the volume.
  const kraken = "1502942400,4261.48,4313.62,4261.32,4308.83,4290.1,47.181009,120\n" +
    "1502946000,4308.83,4328.69,4291.37,4315.32,4310.2,23.234916,98\n";
  for (const [text, width] of [[kraken, 8], ["1000,1,2,0.5,1.5,10\n2000,1.5,2.5,1,2,11\n", 6]] as const) {
    assert.throws(() => parseOhlcvCsv(text, "X", "f.csv"), (e: CandleError) => {
      assert.ok(e instanceof CandleError && e.exitCode === 2, String(e));
      assert.equal(
        e.message,
        `f.csv: its first line "${
          text.split("\n")[0]
        }" has ${width} columns and no header; a file without a header is read only as a Binance kline dump ` +
          "(12 columns: open_time,open,high,low,close,volume,close_time,…)",
      );
      assert.equal(
        e.hint,
        "add a header line naming every column, open_time,open,high,low,close,volume first, in that order (move " +
          "the volume column there if it is elsewhere): the named columns after the six are ignored",
      );
      return true;
    });
  }
  // With a header naming them, the same candles are read.
  const named = "open_time,open,high,low,close,volume,vwap,count\n" +
    "1502942400,4261.48,4313.62,4261.32,4308.83,47.181009,4290.1,120\n";
  assert.equal(parseOhlcvCsv(named, "X").volume[0], 47.181009);
  // A dump's 12 columns are read, a trailing comma after them too.
  const dump = "1000,1,2,0.5,1.5,10,1999,5,4,5,6,0\n2000,1.5,2.5,1,2,11,2999,5,4,5,6,0\n";
  assert.deepEqual(Array.from(parseOhlcvCsv(dump, "X").volume), [10, 11]);
  assert.deepEqual(Array.from(parseOhlcvCsv(dump.replaceAll("\n", ",\n"), "X").volume), [10, 11]);
});

Deno.test("a first line of one cell (a URL or a title, as CryptoDataDownload's files start) says the header seems to be on a later line", () => {
  const cdd = "https://www.CryptoDataDownload.com\n" +
    "unix,date,symbol,open,high,low,close,Volume BTC,Volume USDT,tradecount\n" +
    "1703980800000,2023-12-31 00:00:00,BTC/USDT,42283.58,42554.57,42261.02,42475.23,1271.68,54000000,4000\n";
  const expected =
    'cdd.csv: unexpected header "https://www.CryptoDataDownload.com"; expected open_time,open,high,low,close,' +
    "volume or a Binance kline dump without a header";
  assert.throws(() => parseOhlcvCsv(cdd, "X", "cdd.csv"), (e: CandleError) => {
    assert.ok(e instanceof CandleError && e.exitCode === 2, String(e));
    assert.equal(e.message, expected);
    assert.equal(
      e.hint,
      'the header seems to be on a later line (line 2: "unix,date,symbol,open,high,low,close,Volume BTC,Volume ' +
        `USDT,tradecount"): delete the first line (e.g. tail -n +2 cdd.csv > candles.csv), then name the first ` +
        "six columns open_time,open,high,low,close,volume, in that order (more columns after them are ignored)",
    );
    return true;
  });
  // Even when line 2 is the very header wanted: nothing is skipped unasked.
  assert.throws(() => parseOhlcvCsv(`Binance BTCUSDT 1h\n${TEXT}`, "X", "t.csv"), (e: CandleError) => {
    assert.match(
      e.hint!,
      /^the header seems to be on a later line \(line 2: "open_time,open,high,low,close,volume"\): delete the first line/,
    );
    return true;
  });
  // A line of one cell alone, or before rows of numbers, is a header that names too little, as before.
  for (const text of ["title\n", "title\n1000,1,2,0.5,1.5,10\n"]) {
    assert.throws(() => parseOhlcvCsv(text, "X", "t.csv"), (e: CandleError) => {
      assert.equal(e.exitCode, 2);
      assert.equal(
        e.message,
        't.csv: unexpected header "title"; expected open_time,open,high,low,close,volume or a Binance kline dump without a header',
      );
      assert.match(e.hint!, /^name the first six columns/);
      return true;
    });
  }
});
