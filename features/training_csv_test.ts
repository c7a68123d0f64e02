import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertValidSeries, candleAt, CandleError, seriesFromCandles } from "./candles.ts";
import {
  NotTrainingCsvError,
  readTrainingCsv,
  TRAINING_CSV_HEADER,
  trainingCsvText,
  writeTrainingCsv,
} from "./training_csv.ts";
import { parseOhlcvCsv } from "./ohlcv_csv.ts";
import { scanTrainingCsv } from "./training_csv_splice.ts";
import { PathKindError } from "../base/path_kind.ts";

const dir = await mkdtemp(join(tmpdir(), "candlecast-csv-"));
// Removed when this file's tests end (`unload` fires after the last test, failed, filtered out or stopped by
// --fail-fast alike, under test/isolated.ts's one `deno test` per file): before, every run left this 6 MB
// folder in the temporary directory.
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const btc = seriesFromCandles("BTCUSDT", [
  { openTime: 1502942400000, open: 4261.48, high: 4313.62, low: 4261.32, close: 4308.83, volume: 47.181009 },
  {
    openTime: 1502946000000,
    open: 4308.83,
    high: 4328.69,
    low: 4291.37,
    close: 4315.32,
    volume: 23.234916,
    rsi: 51.2345678901234,
  },
]);
const eth = seriesFromCandles("ETHUSDT", [{
  openTime: 5,
  open: 1,
  high: 2,
  low: 0.5,
  close: 1.5,
  volume: 0,
  ema: 1.1,
}]);

Deno.test("training CSV: header, empty warm-up cells, and an exact round trip", async () => {
  const path = join(dir, "round.csv");
  await writeTrainingCsv(path, [btc, eth]);
  const text = await readFile(path, "utf8");
  const lines = text.trim().split("\n");
  assert.equal(lines[0], TRAINING_CSV_HEADER.join(","));
  assert.equal(lines[1], "BTCUSDT,1502942400000,4261.48,4313.62,4261.32,4308.83,47.181009,,,,,,,");
  const back = await readTrainingCsv(path);
  assert.deepEqual(back.map((s) => s.symbol), ["BTCUSDT", "ETHUSDT"]);
  assert.deepEqual(candleAt(back[0], 1), candleAt(btc, 1));
  assert.deepEqual(candleAt(back[1], 0), candleAt(eth, 0));
  assert.equal(trainingCsvText(back), text);
});

Deno.test("training CSV: the read hands back the sha256 of the very bytes it parsed, across chunks", async () => {
  const path = join(dir, "digest.csv");
  // Many rows, so the file streams in several chunks (64 KB each).
  const long = seriesFromCandles(
    "BTCUSDT",
    Array.from(
      { length: 3000 },
      (_, i) => ({ ...candleAt(btc, 0), openTime: 1502942400000 + i * 3_600_000 }),
    ),
  );
  await writeTrainingCsv(path, [long]);
  const bytes = await readFile(path);
  assert.ok(bytes.length > 3 * 65_536, `${bytes.length} bytes`);
  let digest = "";
  await readTrainingCsv(path, { onDigest: (sha256) => digest = sha256 });
  assert.equal(digest, createHash("sha256").update(bytes).digest("hex"));
});

Deno.test("training CSV: a symbol that is no symbol (escape sequences, a formula, too long) is refused where it is read", async () => {
  const path = join(dir, "hostile.csv");
  const cases: [string, RegExp][] = [
    // Before: printed raw by evaluate and collect (a retitled, cleared terminal) and kept by collect's merge.
    ["X\x1b]0;PWNED\x07\x1b[2K", /line 2 \(symbol\): "X\\u001b\]0;PWNED\\u0007\\u001b\[2K" must be one word/],
    // Before: written to predictions.csv, where a spreadsheet runs it.
    [
      '=HYPERLINK("http://evil.example/","Open")',
      /line 2 \(symbol\): "=HYPERLINK.* not starting with =, \+, - or @/,
    ],
    ["A".repeat(65), /line 2 \(symbol\): "A{65}" is longer than 64 characters/],
  ];
  for (const [symbol, message] of cases) {
    await writeFile(
      path,
      `${TRAINING_CSV_HEADER.join(",")}\n"${symbol.replace(/"/g, '""')}",1502942400000,1,1,1,1,1,,,,,,,\n`,
    );
    await assert.rejects(
      readTrainingCsv(path),
      (e: Error) => e instanceof CandleError && message.test(e.message),
    );
  }
});

Deno.test("training CSV: a symbol that needs quoting or is not ASCII, and the longest number texts, round-trip across chunks", async () => {
  const path = join(dir, "quoted.csv");
  const extreme = [-2.2250738585072014e-308, 1.7976931348623157e+308, 1e-7, 123456789.12345679, -0.5, 5e-324];
  // Rows enough to fill several 256 KB chunks, so rows meet chunk ends.
  const rows = Array.from({ length: 6000 }, (_, i) => ({
    openTime: 1502942400000 + i * 3600_000,
    open: 4261.48 + i,
    high: 4313.62 + i,
    low: 4261.32 + i,
    close: 4308.83 + i,
    volume: 47.181009,
    rsi: 51.2345678901234,
    macd: extreme[i % extreme.length],
    macdSignal: extreme[(i + 1) % extreme.length],
    macdHist: extreme[(i + 2) % extreme.length],
    ema: extreme[(i + 3) % extreme.length],
  }));
  const odd = ['BTC"USD,T', "比特币USDT"].map((symbol) => seriesFromCandles(symbol, rows));
  await writeTrainingCsv(path, odd);
  const text = await readFile(path, "utf8");
  assert.equal(trainingCsvText(odd), text);
  const lines = text.trimEnd().split("\n").slice(1);
  assert.equal(lines.length, 12_000);
  assert.ok(lines[0].startsWith('"BTC""USD,T",1502942400000,'), "quoted as csv-stringify quotes");
  assert.ok(lines[6000].startsWith("比特币USDT,1502942400000,"));
  // Every number's text is its shortest exact form: read back, the same double.
  lines.forEach((line, n) => {
    const symbol = n < 6000 ? '"BTC""USD,T",' : "比特币USDT,";
    assert.ok(line.startsWith(symbol), `line ${n}`);
    const cells = line.slice(symbol.length).split(",");
    const i = n % 6000;
    assert.ok(Object.is(Number(cells[0]), rows[i].openTime), `line ${n}`);
    assert.ok(
      Object.is(Number(cells[7]), rows[i].macd) && Object.is(Number(cells[9]), rows[i].macdHist),
      `line ${n}`,
    );
    assert.equal(cells[12], "", "stoch_d empty");
  });
  // Values a training CSV may hold read back as written.
  const plain = join(dir, "plain.csv");
  const sane = odd.map((s) =>
    seriesFromCandles(
      s.symbol,
      rows.map((r) => ({ ...r, macd: 1e-7, macdSignal: -0.5, macdHist: 123456789.12345679, ema: 4300.125 })),
    )
  );
  await writeTrainingCsv(plain, sane);
  const back = await readTrainingCsv(plain);
  assert.deepEqual(back.map((s) => s.symbol), ['BTC"USD,T', "比特币USDT"]);
  for (const k of [0, 1]) {
    for (const i of [0, 1234, 5999]) {
      assert.deepEqual(candleAt(back[k], i), candleAt(sane[k], i), `${k} ${i}`);
    }
  }
});

Deno.test("training CSV: rows of the longest number texts (25 characters) are written whole where a chunk ends", () => {
  // A negative value in [1e-6, 1e-5) with 17 digits prints as 25 characters; the room kept for a row assumed 24
  // a number, so such a row at the end of a 256 KB chunk lost its last bytes (a Uint8Array drops writes past its
  // end). The symbol's length decides where rows meet the chunk's end: 11 characters put one there.
  const v = -1.2345678901234567e-6;
  assert.equal(String(v).length, 25);
  const rows = Array.from({ length: 1600 }, () => ({
    openTime: v,
    open: v,
    high: v,
    low: v,
    close: v,
    volume: v,
    rsi: v,
    macd: v,
    macdSignal: v,
    macdHist: v,
    ema: v,
    stochK: v,
    stochD: v,
  }));
  for (const symbol of ["ABCDEFGHUSD", "X".repeat(57)]) {
    const lines = trainingCsvText([seriesFromCandles(symbol, rows)]).split("\n");
    assert.equal(lines.length, 1 + rows.length + 1, symbol);
    const row = [symbol, ...Array(13).fill(String(v))].join(",");
    lines.slice(1, -1).forEach((line, i) => assert.equal(line, row, `${symbol} row ${i}`));
  }
});

Deno.test("training CSV: the same candles with the symbols in any order read as the same series, sorted by symbol", async () => {
  // Training draws its windows in the series' order: read in the file's order, a folder read otherwise, a
  // merge that appended a symbol or a hand edit trained another model on the same candles.
  const header = TRAINING_CSV_HEADER.join(",");
  const b = "b,1,1,1,1,1,1,,,,,,,\nb,2,2,2,2,2,1,,,,,,,";
  const upper = "Z,1,3,3,3,3,1,,,,,,,";
  const accented = "\u00e9,1,4,4,4,4,1,,,,,,,";
  const rows = [
    `${upper}\n${b}\n${accented}\n${btc.symbol},1,5,5,5,5,1,,,,,,,`,
    `${accented}\n${btc.symbol},1,5,5,5,5,1,,,,,,,\n${b}\n${upper}`,
    // Rows of the symbols interleaved: grouped by symbol is what collect writes, not what the reader needs.
    `b,2,2,2,2,2,1,,,,,,,\n${accented}\n${upper}\nb,1,1,1,1,1,1,,,,,,,\n${btc.symbol},1,5,5,5,5,1,,,,,,,`,
  ];
  const read = [];
  for (const [i, body] of rows.entries()) {
    const path = join(dir, `order${i}.csv`);
    await writeFile(path, `${header}\n${body}\n`);
    read.push(await readTrainingCsv(path));
  }
  // UTF-16 code units, not the locale's collation: upper case before lower case, "é" (U+00E9) last.
  assert.deepEqual(read[0].map((s) => s.symbol), ["BTCUSDT", "Z", "b", "\u00e9"]);
  for (const other of read.slice(1)) {
    assert.deepEqual(other.map((s) => s.symbol), read[0].map((s) => s.symbol));
    assert.deepEqual(
      other.map((s) => [...s.openTime, ...s.close]),
      read[0].map((s) => [...s.openTime, ...s.close]),
    );
  }
});

Deno.test("training CSV: an aborted signal stops the read where it is, rejecting with its reason", async () => {
  // Train's Ctrl-C was heard while a big file streamed in, but acted on only once all of it was read.
  const path = join(dir, "long.csv");
  const row = (t: number) => `A,${t},1,1,1,1,1,,,,,,,`;
  await writeFile(
    path,
    [TRAINING_CSV_HEADER.join(","), ...Array.from({ length: 100_000 }, (_, t) => row(t))].join("\n"),
  );
  const stop = new AbortController();
  let [read, size] = [0, 0];
  await assert.rejects(
    readTrainingCsv(path, {
      signal: stop.signal,
      progress: (done, total) => {
        [read, size] = [done, total];
        stop.abort();
      },
    }),
    (error) => error === stop.signal.reason,
  );
  assert.ok(size > 2_000_000 && read < size / 2, `stopped at ${read} of ${size} bytes`);
  // Aborted before it starts: nothing is read.
  await assert.rejects(
    readTrainingCsv(path, { signal: stop.signal }),
    (error) => error === stop.signal.reason,
  );
  // A signal never aborted changes nothing.
  const [a] = await readTrainingCsv(path, { signal: new AbortController().signal });
  assert.equal(a.length, 100_000);
});

Deno.test("training CSV: rows are sorted per symbol; duplicates and bad cells are named", async () => {
  const shuffled = join(dir, "shuffled.csv");
  const header = TRAINING_CSV_HEADER.join(",");
  await writeFile(shuffled, `${header}\nA,2,1,1,1,1,1,,,,,,,\nA,1,1,1,1,1,1,,,,,,,\n`);
  assert.deepEqual([...(await readTrainingCsv(shuffled))[0].openTime], [1, 2]);

  const dup = join(dir, "dup.csv");
  await writeFile(dup, `${header}\nA,1,1,1,1,1,1,,,,,,,\nA,1,1,1,1,1,1,,,,,,,\n`);
  await assert.rejects(readTrainingCsv(dup), /A open_time 1 appears twice \(lines 2 and 3\)/);

  const bad = join(dir, "bad.csv");
  await writeFile(bad, `${header}\nA,1,1,x,1,1,1,,,,,,,\n`);
  await assert.rejects(readTrainingCsv(bad), /line 2 \(high\): "x" is not a finite number/);

  // A row cut short: its line named once (csv-parse's own " on line 2" is dropped).
  const short = join(dir, "short.csv");
  await writeFile(short, `${header}\nA,1,1,1,1,1,1,,,,,,,\nA,2,1,1\n`);
  await assert.rejects(
    readTrainingCsv(short),
    (e) => e instanceof CandleError && /short\.csv line 3: Invalid Record Length: .*got 4$/.test(e.message),
  );

  // The last line cut short with no line end (a collect killed mid-write): "fix the data named, or collect it
  // again" named a collect that then failed on the same line; the hint says which line to remove.
  const torn = join(dir, "torn.csv");
  await writeFile(torn, `${header}\nA,1,1,1,1,1,1,,,,,,,\nA,2,1,1`);
  await assert.rejects(
    readTrainingCsv(torn),
    (e) =>
      e instanceof CandleError &&
      e.message === `${torn} line 3: its last line is cut short (Invalid Record Length: expect 14, got 4), ` +
          "as a write stopped mid-line leaves it" &&
      e.hint ===
        `remove that line (sed -i '$d' ${torn}; on macOS sed -i '' '$d' …) and run again; collect then ` +
          "fetches its candle again",
  );

  // Cut short past the rows csv-parse reads ahead (16 here, ~600 of a real file's first 64 KB): the rows before
  // it never reached the reader, so it was "not a training CSV (its first line must be the header …)" under
  // the right header, and further on a line short by as many rows ("line 29888" for line 30,001).
  const row = (i: number) => `A,${i},1,1,1,1,1,,,,,,,`;
  for (const at of [23, 3_001]) {
    const later = join(dir, `short_${at}.csv`);
    const rows = Array.from({ length: 4_000 }, (_, i) => (i + 2 === at ? "A,2,1,1" : row(i + 2)));
    await writeFile(later, `${header}\n${rows.join("\n")}\n`);
    await assert.rejects(
      readTrainingCsv(later),
      (e) =>
        e instanceof CandleError && !(e instanceof NotTrainingCsvError) &&
        e.message === `${later} line ${at}: Invalid Record Length: expect 14, got 4`,
    );
  }

  const wrong = join(dir, "wrong.csv");
  await writeFile(wrong, "a,b\n1,2\n");
  await assert.rejects(readTrainingCsv(wrong), /not a training CSV/);
  await assert.rejects(
    readTrainingCsv(join(dir, "missing.csv")),
    (e) => e instanceof CandleError && /no such file/.test(e.message) && /candlecast collect/.test(e.hint!),
  );
});

Deno.test("training CSV: a symbol an older collect wrote in NFD is read in NFC, one symbol with its NFC rows", async () => {
  // Before: rows under 한국USDT in NFD (a name typed on macOS, written as it came) were a second symbol beside
  // the pair's NFC rows ("300 rows for 2 symbols"), trained as two, and monitor joined serve's NFC log to neither.
  const header = TRAINING_CSV_HEADER.join(",");
  const [nfc, nfd] = ["한국USDT".normalize("NFC"), "한국USDT".normalize("NFD")];
  const row = (symbol: string, t: number, close = 1) => `${symbol},${t},1,1,1,${close},1,,,,,,,`;

  // An older file all in NFD: its rows read as the NFC symbol.
  const old = join(dir, "nfd.csv");
  await writeFile(old, `${header}\n${row(nfd, 1)}\n${row(nfd, 2)}\n`);
  const [only] = await readTrainingCsv(old);
  assert.equal(only.symbol, nfc);
  assert.deepEqual([...only.openTime], [1, 2]);

  // Both spellings (a Binance collect in NFC over the older NFD rows): one symbol, in time order, and a candle
  // both hold value for value read once.
  const both = join(dir, "both.csv");
  await writeFile(
    both,
    `${header}\n${row(nfd, 1)}\n${row(nfd, 2)}\n${row("BTCUSDT", 1)}\n${row(nfc, 2)}\n${row(nfc, 3)}\n`,
  );
  const read = await readTrainingCsv(both);
  assert.deepEqual(read.map((s) => s.symbol), ["BTCUSDT", nfc]);
  assert.deepEqual([...read[1].openTime], [1, 2, 3]);

  // The same time with other values under the two spellings: which is meant cannot be told; both lines named.
  const differ = join(dir, "differ.csv");
  await writeFile(differ, `${header}\n${row(nfc, 1)}\n${row(nfd, 1, 0.5)}\n`);
  await assert.rejects(
    readTrainingCsv(differ),
    (e) =>
      e instanceof CandleError &&
      e.message ===
        `${differ}: ${nfc} open_time 1 appears twice with other values, on line 2 spelled in NFC ` +
          "and on line 3 in NFD (the same letters; collect wrote a symbol as typed before it read symbols in NFC)" &&
      /^collect the symbol from its source into a new file/.test(e.hint!),
  );
  // A repeat under one spelling is still refused as before.
  const twice = join(dir, "twice_nfd.csv");
  await writeFile(twice, `${header}\n${row(nfd, 1)}\n${row(nfd, 1)}\n`);
  await assert.rejects(
    readTrainingCsv(twice),
    new RegExp(`${nfc} open_time 1 appears twice \\(lines 2 and 3\\)`),
  );
  // Rows without open times (a C# export's) cannot be put in one order across the spellings: refused.
  const untimed = join(dir, "untimed_nfd.csv");
  await writeFile(untimed, `${header}\n${nfc},,1,1,1,1,1,,,,,,,\n${nfd},,1,1,1,1,1,,,,,,,\n`);
  await assert.rejects(
    readTrainingCsv(untimed),
    /line 3 \(symbol\): 한국USDT is spelled in NFD there and in NFC on line 2 .*no open_time to put the two in one order$/,
  );
});

Deno.test("training CSV: raw OHLCV candles are named as such, with the collect command that turns them into one", async () => {
  // Before: "… is not a training CSV (its first line must be the header …)", hint "make one with 'candlecast
  // collect'": the first file a user has (../shared/data/binance-spot-1h) is one collect reads.
  const files: [string, string][] = [
    [
      "BTCUSDT-1h.csv",
      "open_time,open,high,low,close,volume\n1502942400000,4261.48,4313.62,4261.32,4308.83,47.18\n",
    ],
    [
      "my candles.csv",
      "1502942400000,4261.48,4313.62,4261.32,4308.83,47.18,1502945999999,1.0,10,1.0,1.0,0\n",
    ],
  ];
  for (const [name, text] of files) {
    const path = join(dir, name);
    await writeFile(path, text);
    await assert.rejects(readTrainingCsv(path), (e: Error) => {
      assert.ok(e instanceof CandleError);
      assert.match(e.message, new RegExp(`^${path} is not a training CSV: it holds raw OHLCV candles, `));
      const quoted = name.includes(" ") ? `"${path}"` : path;
      assert.equal(
        e.hint,
        `make a training CSV of it first: 'candlecast collect --source csv --csv-path ${quoted} ` +
          "--output data/training_data.csv' (with --symbol unless the file is named like ETHUSDT-1h.csv)",
      );
      return true;
    });
  }
});

Deno.test("training CSV: raw candles with a symbol column are named as such, with how collect takes them", async () => {
  // Before: "… is not a training CSV", hint "make one with 'candlecast collect'", where collect called the file
  // "already a training CSV" and said to give it to train (helper trial s49).
  const path = join(dir, "export.csv");
  await writeFile(path, "symbol,open_time,open,high,low,close,volume\nBTCUSDT,1502942400000,1,2,0.5,1.5,3\n");
  await assert.rejects(readTrainingCsv(path), (e: Error) => {
    assert.ok(e instanceof NotTrainingCsvError, e.message);
    assert.match(
      e.message,
      new RegExp(`^${path} is not a training CSV: it holds raw OHLCV candles with a symbol `),
    );
    assert.match(
      e.hint!,
      /split it into one file per symbol named like BTCUSDT-1h\.csv, then 'candlecast collect /,
    );
    return true;
  });
});

Deno.test("training CSV: one a spreadsheet re-saved with ';' or tabs (and decimal commas) is named, with the fix", async () => {
  // Excel on a de-DE or fr-FR host saves ';' between columns and decimal commas. Before: "is not a training
  // CSV (its first line must be the header …)", hint "make one with 'candlecast collect'": it was one.
  const header =
    "symbol,open_time,open,high,low,close,volume,rsi,macd,macd_signal,macd_hist,ema,stoch_k,stoch_d";
  // One row, or thousands: csv-parse then fails on a row's column count before the header reaches the reader.
  for (const [separator, rows] of [[";", 1], ["\t", 1], [";", 3000]] as const) {
    const path = join(dir, separator === ";" ? `excel de ${rows}.csv` : "tabs.csv");
    await writeFile(
      path,
      `\ufeff${header.replaceAll(",", separator)}\r\n` +
        `BTCUSDT${separator}1${separator}1,5\r\n`.repeat(rows),
    );
    await assert.rejects(readTrainingCsv(path), (e: Error) => {
      assert.ok(e instanceof NotTrainingCsvError);
      const name = separator === ";" ? "';'" : "tabs";
      assert.equal(e.message, `${path}: its columns are separated by ${name}, not commas`);
      assert.match(e.hint ?? "", /save it as comma-separated with '\.' as the decimal mark/);
      assert.ok(
        (e.hint ?? "").includes(`sed -i.bak -e 's/,/./g' -e 's/${separator === ";" ? ";" : "\\t"}/,/g'`),
        e.hint ?? "",
      );
      // One line: the hint once held a source line break and its indentation ("GNU and BSD\n        sed").
      assert.ok(!/\n/.test(e.hint ?? ""), JSON.stringify(e.hint));
      return true;
    });
  }
});

Deno.test("training CSV: a JSON file, a folder or an empty file is named plainly with what to do", async () => {
  // A JSON file fails csv-parse on its first line, before the header is compared: it is still "not a
  // training CSV", not the parser's "Invalid Opening Quote".
  const pretty = '[\n  {\n    "symbol": "BTCUSDT",\n    "candles": []\n  }\n]\n'; // System.Text.Json's WriteIndented
  for (
    const [name, text] of [
      ["some.json", '{"a": 1}\n'],
      ["list.json", '[{"symbol": "BTCUSDT"}]\n'],
      ["pretty.json", pretty],
      ["bom.json", `\uFEFF${pretty}`],
    ]
  ) {
    const path = join(dir, name);
    await writeFile(path, text);
    await assert.rejects(readTrainingCsv(path), (e: Error) => {
      assert.ok(e instanceof CandleError);
      assert.match(
        e.message,
        new RegExp(`^${path} is not a training CSV \\(its first line must be the header symbol,open_time,`),
      );
      // Before: "make one with 'candlecast collect'", the source and its flags left to find (helper trial s49).
      assert.equal(
        e.hint,
        "if it is the C# bot's candle export, make a training CSV of it first: 'candlecast collect --source " +
          `json --json-path ${path} --output data/training_data.csv'`,
      );
      return true;
    });
  }
  const folder = join(dir, "a-folder");
  await mkdir(folder);
  await assert.rejects(readTrainingCsv(folder), (e: Error) => {
    assert.ok(e instanceof PathKindError, e.message);
    assert.equal(e.message, `${folder} is a folder, not a file`);
    assert.equal(e.hint, `name a file, e.g. ${join(folder, "training_data.csv")}`);
    return true;
  });
  const empty = join(dir, "empty.csv");
  await writeFile(empty, "");
  await assert.rejects(
    readTrainingCsv(empty),
    // A usage error (2), as a header alone is. Before: exit 1.
    (e) =>
      e instanceof NotTrainingCsvError && /the file is empty$/.test(e.message) && e.hint !== undefined &&
      e.exitCode === 2,
  );
});

Deno.test("OHLCV CSV: headered files and Binance dumps in ms or µs", () => {
  const headered = parseOhlcvCsv("open_time,open,high,low,close,volume\n1000,1,2,0.5,1.5,10\n", "X");
  assert.equal(headered.openTime[0], 1000);
  const dumpMs = "1704067200000,42283.58,42554.57,42261.02,42475.23,1271.68108,1704070799999,5.4e7,4,5,6,0\n";
  assert.equal(parseOhlcvCsv(dumpMs, "BTCUSDT").openTime[0], 1704067200000);
  assert.equal(parseOhlcvCsv(dumpMs, "BTCUSDT").close[0], 42475.23);
  const dumpUs =
    "1735689600000000,93576.00,94509.42,93489.03,94401.14,755.99,1735693199999999,7.1e7,4,5,6,0\n";
  assert.equal(parseOhlcvCsv(dumpUs, "BTCUSDT").openTime[0], 1735689600000);
  assert.throws(() => parseOhlcvCsv("time,o,h\n1,2,3\n", "X"), /unexpected header/);
  assert.throws(
    () => parseOhlcvCsv("open_time,open,high,low,close,volume\n1,2,1,3,2,1\n", "X"),
    /line 2: high \(1\) is below low \(3\)/,
  );
});

Deno.test("OHLCV CSV: open times in seconds or nanoseconds become ms; a file mixing units is refused", () => {
  const header = "open_time,open,high,low,close,volume\n";
  const rows = (times: readonly (number | string)[]) =>
    header + times.map((t) => `${t},42283.58,42554.57,42261.02,42475.23,1271.68`).join("\n");
  const ms = [1704067200000, 1704070800000, 1704074400000];
  for (
    const [unit, times] of [
      ["s", ms.map((t) => t / 1000)],
      ["ns", ms.map((t) => `${t}000000`)],
      ["µs", ms.map((t) => t * 1000)],
    ] as const
  ) {
    assert.deepEqual(Array.from(parseOhlcvCsv(rows(times), "BTCUSDT").openTime), ms, unit);
  }
  // Binance's dumps switched from ms to µs on 2025-01-01: a file joined across the switch is one history.
  const joined = parseOhlcvCsv(rows([1735686000000, 1735689600000000]), "BTCUSDT");
  assert.deepEqual(Array.from(joined.openTime), [1735686000000, 1735689600000]);
  // Small synthetic times are a date in no unit: kept as written.
  assert.deepEqual(Array.from(parseOhlcvCsv(rows([1, 2, 3]), "X").openTime), [1, 2, 3]);

  const oneUnit = /one unit, best in ms since the epoch/;
  const refused: [readonly (number | string)[], RegExp, RegExp][] = [
    [
      [1704067200, 1704070800, 1704074400000],
      /^raw\.csv line 4: open_time 1704074400000 is in milliseconds while most of the file's open times are in seconds \(raw\.csv line 2: 1704067200\); a file holds one unit$/,
      oneUnit,
    ],
    [
      [1704067200000, 5, 1704074400000],
      /^raw\.csv line 3: open_time 5 is below 1e8 .* are in milliseconds/,
      /1973/,
    ],
    // Hourly ms from 1970 pass 1e8 after 28 hours: as seconds or as ms alike, so neither is guessed.
    [
      [0, 1e8 + 3600000, 1e8 + 7200000],
      /^raw\.csv line 2: open_time 0 is below 1e8 .* are in seconds .* read as ms or as seconds alike$/,
      /^give open times in ms since the epoch from 1973-03-03/,
    ],
    [[1e21], /^raw\.csv line 2: open_time 1e\+21 is no time in ms, s, µs or ns/, oneUnit],
  ];
  for (const [times, message, hint] of refused) {
    assert.throws(() => parseOhlcvCsv(rows(times), "BTCUSDT", "raw.csv"), (e: Error) => {
      assert.ok(e instanceof CandleError, e.message);
      assert.match(e.message, message);
      assert.match((e as CandleError).hint!, hint);
      return true;
    });
  }
});

Deno.test("open times on every row or on none: a row without one in a timed file is refused, naming it", async () => {
  const header = TRAINING_CSV_HEADER.join(",");
  // Shuffled, with one time missing: sorting NaN among the times would train on a misordered series.
  const partly = join(dir, "partly_timed.csv");
  await writeFile(
    partly,
    `${header}\nB,1,1,1,1,1,1,,,,,,,\nA,3,1,1,1,1,1,,,,,,,\nA,,1,1,1,1,1,,,,,,,\nA,1,1,1,1,1,1,,,,,,,\n`,
  );
  await assert.rejects(readTrainingCsv(partly), (e: Error) => {
    assert.ok(e instanceof CandleError, e.message);
    assert.equal(
      e.message,
      `${partly} line 4 (open_time): A open_time is empty while 2 of its 3 rows have one`,
    );
    assert.match(e.hint!, /give the row its open time/);
    return true;
  });
  // A symbol without any times (the C# export without "t") keeps its file order; another may have times.
  const untimed = join(dir, "untimed.csv");
  await writeFile(untimed, `${header}\nA,,3,3,3,3,1,,,,,,,\nA,,1,1,1,1,1,,,,,,,\nB,2,1,1,1,1,1,,,,,,,\n`);
  const [a, b] = await readTrainingCsv(untimed);
  assert.deepEqual(Array.from(a.close), [3, 1]);
  assert.equal(b.openTime[0], 2);

  const ohlcv = "open_time,open,high,low,close,volume\n" +
    "1704067200000,1,2,0.5,1.5,10\n,1,2,0.5,1.5,10\n1704074400000,1,2,0.5,1.5,10\n";
  assert.throws(() => parseOhlcvCsv(ohlcv, "X", "raw.csv"), (e: Error) => {
    assert.ok(e instanceof CandleError, e.message);
    assert.equal(e.message, "raw.csv line 3: open_time is empty while 2 of 3 rows have one");
    assert.match(e.hint!, /give every row its open time/);
    return true;
  });
  const none = parseOhlcvCsv("open_time,open,high,low,close,volume\n,1,2,0.5,1.5,10\n,1,2,0.5,1.5,10\n", "X");
  assert.ok(Array.from(none.openTime).every(Number.isNaN));
});

Deno.test("a UTF-8 byte order mark before the header is dropped (Excel's CSV UTF-8, .NET's Encoding.UTF8)", async () => {
  const bom = join(dir, "bom.csv");
  await writeFile(bom, "\uFEFF" + trainingCsvText([btc]));
  const [back] = await readTrainingCsv(bom);
  assert.deepEqual(candleAt(back, 1), candleAt(btc, 1));
  const ohlcv = parseOhlcvCsv("\uFEFFopen_time,open,high,low,close,volume\n1000,1,2,0.5,1.5,10\n", "X");
  assert.equal(ohlcv.openTime[0], 1000);
});

Deno.test("LF and CRLF lines mixed in one training CSV are each a row (a file edited on Windows)", async () => {
  const mixed = join(dir, "mixed_endings.csv");
  const lines = trainingCsvText([btc, eth]).trimEnd().split("\n");
  await writeFile(mixed, lines.map((line, i) => line + (i === 1 ? "\n" : "\r\n")).join(""));
  const back = await readTrainingCsv(mixed);
  assert.deepEqual(back.map((s) => s.length), [2, 1]);
  assert.deepEqual(candleAt(back[0], 0), candleAt(btc, 0));
  assert.deepEqual(candleAt(back[0], 1), candleAt(btc, 1));
  assert.deepEqual(candleAt(back[1], 0), candleAt(eth, 0));
});

Deno.test("a value that overflows a float32 feature is refused when read, naming the line (as /predict does)", async () => {
  const header = TRAINING_CSV_HEADER.join(",");
  const row = (t: number, macd = "0.5", ema = "1.01") =>
    `A,${t},1,1.1,0.9,1,5,50,${macd},0.4,0.1,${ema},50,50`;
  const macd = join(dir, "macd_1e300.csv");
  await writeFile(macd, [header, row(1), row(3), row(2, "1e300"), row(4)].join("\n") + "\n");
  await assert.rejects(readTrainingCsv(macd), (e: Error) => {
    assert.ok(e instanceof CandleError, e.message);
    assert.equal(
      e.message,
      `${macd} line 4: its values make feature macd_n overflow (not finite in float32); check the candle's magnitudes`,
    );
    return true;
  });
  const ema = join(dir, "ema_1e-300.csv");
  await writeFile(ema, [header, row(1), row(2), row(3, "0.5", "1e-300")].join("\n") + "\n");
  await assert.rejects(
    readTrainingCsv(ema),
    new RegExp(`^CandleError: ${ema} line 4: .*feature ema_dist overflow`),
  );

  // No indicators in an OHLCV CSV: its prices alone (a low of 1e-300) can overflow high/low−1.
  assert.throws(
    () =>
      parseOhlcvCsv(
        "open_time,open,high,low,close,volume\n1000,1,2,0.5,1.5,10\n2000,1,2,1e-300,1.5,10\n",
        "X",
        "raw.csv",
      ),
    (e: Error) => e instanceof CandleError && /^raw\.csv line 3: .*feature hl_ratio overflow/.test(e.message),
  );
});

Deno.test("RSI or a stochastic outside 0–100 is refused when read or collected, naming the line (serve says 422)", async () => {
  const header = TRAINING_CSV_HEADER.join(",");
  const row = (t: number, rsi = "50", stochK = "50") =>
    `A,${t},1,1.1,0.9,1,5,${rsi},0.5,0.4,0.1,1.01,${stochK},50`;
  // Before: read and trained on without a word, though serve refuses the same candle from the bot.
  const path = join(dir, "rsi_150.csv");
  await writeFile(path, [header, row(1), row(2, "150"), row(3)].join("\n") + "\n");
  await assert.rejects(readTrainingCsv(path), (e: CandleError) => {
    assert.ok(e instanceof CandleError, e.message);
    assert.equal(e.message, `${path} line 3: rsi must be within 0–100, got 150`);
    assert.match(e.hint!, /serve refuses a candle outside \(422\)/);
    return true;
  });
  // An EMA of 0 (a C# export's warm-up slot) is no EMA of positive prices (flat trial s47: read and trained on).
  const emaZero = join(dir, "ema_0.csv");
  await writeFile(emaZero, [header, row(1), row(2).replace(",1.01,", ",0,"), row(3)].join("\n") + "\n");
  await assert.rejects(
    readTrainingCsv(emaZero),
    /line 3: ema must be positive \(an average of positive prices is\)/,
  );
  // A leading run of EMA 0 is a C# export's warm-up, which collect wrote into the CSV before the zero check (and
  // collect --source json now reads as missing): read as missing too, so such a file still trains and merges.
  const warmUp = join(dir, "ema_0_warm_up.csv");
  const zeroEma = (r: string) => r.replace(",1.01,", ",0,");
  await writeFile(warmUp, [header, zeroEma(row(1)), zeroEma(row(2)), row(3)].join("\n") + "\n");
  const [warm] = await readTrainingCsv(warmUp);
  assert.deepEqual([...warm.ema], [NaN, NaN, 1.01]);
  const layout = await scanTrainingCsv(warmUp, new Set(["A"]), () => {});
  assert.deepEqual([...layout!.wanted[0].ema], [NaN, NaN, 1.01], "collect's merge reads it so too");
  await writeFile(warmUp, [header, zeroEma(row(1)), row(2), zeroEma(row(3))].join("\n") + "\n");
  await assert.rejects(
    readTrainingCsv(warmUp),
    /line 4: ema must be positive/,
    "a 0 after a value is refused",
  );
  const stoch = join(dir, "stoch_-5.csv");
  await writeFile(stoch, [header, row(1), row(2), row(3, "50", "-5")].join("\n") + "\n");
  await assert.rejects(readTrainingCsv(stoch), /line 4: stoch_k must be within 0–100, got -5$/);
  // A float32 indicator library's hair outside, and warm-up blanks, are fine.
  const edge = join(dir, "rsi_edge.csv");
  await writeFile(
    edge,
    [header, row(1, "100.0004", "-0.0002"), row(2, "", ""), row(3, "0")].join("\n") + "\n",
  );
  assert.equal((await readTrainingCsv(edge))[0].length, 3);
  // collect checks what it merges the same way (a C# export brings its own indicators).
  const [s] = await readTrainingCsv(edge);
  s.stochD[1] = 101;
  assert.throws(
    () => assertValidSeries(s),
    /^CandleError: A candle 1: stoch_d must be within 0–100, got 101$/,
  );
});

Deno.test("a training CSV given where raw candles are read is named as one, with train's command", () => {
  // Before: 'unexpected header "symbol,open_time,…"', hint "fix the data named, or collect it again".
  assert.throws(
    () => parseOhlcvCsv(trainingCsvText([btc]), "BTCUSDT", "data/my training.csv"),
    (e: CandleError) => {
      assert.ok(e instanceof CandleError);
      assert.equal(
        e.message,
        "data/my training.csv is already a training CSV (symbol,open_time,…,stoch_d), not raw candles",
      );
      assert.match(
        e.hint!,
        /^give it to train as it is \('candlecast train --data "data\/my training\.csv"'\)/,
      );
      return true;
    },
  );
});

Deno.test("readTrainingCsv: a FIFO at the path is refused unopened, not waited on for good", async () => {
  const dir = await mkdtemp(join(tmpdir(), "candlecast-fifo-csv-"));
  const fifo = join(dir, "training_data.csv");
  try {
    assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
    const read = readTrainingCsv(fifo).then(() => "read", (error: Error) => error);
    const outcome = await Promise.race([read, new Promise((done) => setTimeout(() => done("hung"), 3_000))]);
    if (outcome === "hung") {
      // Release the blocked open (a writer that closes at once), so the test ends and reports.
      (await Deno.open(fifo, { write: true })).close();
      await read;
    }
    assert.ok(outcome instanceof CandleError, `expected a CandleError, got ${String(outcome)}`);
    assert.match(outcome.message, /training_data\.csv is a FIFO \(named pipe\), not a file; it was not read/);
    assert.match(outcome.hint!, /candlecast collect/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("training CSV: a file the machine refuses to open is that refusal, not 'line 1' of bad data", async () => {
  // A child allowed to read only this folder (Deno's NotCapable stands in for EACCES: tests run as root, which
  // file modes never refuse). The reader said "<path> line 1: Requires read access …" with "fix the data".
  const dir = await mkdtemp(join(tmpdir(), "candlecast-csv-refused-"));
  try {
    const data = join(dir, "training.csv");
    await writeFile(data, TRAINING_CSV_HEADER.join(",") + "\n");
    const module = new URL("./training_csv.ts", import.meta.url).href;
    const script = `import { readTrainingCsv } from ${JSON.stringify(module)};
      try { await readTrainingCsv(${JSON.stringify(data)}); console.log("read"); }
      catch (e) { console.log(e.constructor.name + ": " + e.message); }`;
    const here = new URL(".", import.meta.url).pathname;
    const root = new URL("..", import.meta.url).pathname;
    // `deno eval` runs with every permission: a script file takes the flags.
    const child = join(dir, "child.ts");
    await writeFile(child, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", `--config=${root}deno.json`, `--allow-read=${here},${root}`, child],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const said = new TextDecoder().decode(out.stdout).trim();
    assert.match(said, /^NotCapable: /, said + new TextDecoder().decode(out.stderr));
    assert.doesNotMatch(said, /line 1/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
