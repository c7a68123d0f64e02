import assert from "node:assert/strict";
import { join } from "node:path";
import { CandleError, TRAINING_CSV_HEADER } from "../../features/index.ts";
import { parseCsharpExport, readCsharpExport } from "./csharp_export.ts";
import { runCandlecast } from "../../test/cli.ts";

const candle = (i: number, extra: Record<string, unknown> = {}) => ({
  o: 100 + i,
  h: 102 + i,
  l: 99 + i,
  c: 101 + i,
  v: 10,
  ...extra,
});

Deno.test("C# export: keys match in any case, t is optional, indicators are kept as sent", () => {
  const [a, b] = parseCsharpExport(JSON.stringify([
    {
      Symbol: "BTCUSDT",
      CANDLES: [
        {
          T: 1000,
          O: 1,
          H: 2,
          L: 0.5,
          C: 1.5,
          V: 3,
          rsi: 55.5,
          MACD: 0.1,
          macdSign: 0.2,
          MacdHist: -0.1,
          EMA: 1.4,
          stochslowk: 80,
          StochSlowD: 70,
        },
        { t: 2000, o: "1.5", h: "2.5", l: "1", c: "2", v: "4", Rsi: null, Macd: "NaN" },
      ],
    },
    { symbol: "ETHUSDT", candles: [candle(0), candle(1)] },
  ]));
  assert.equal(a.symbol, "BTCUSDT");
  assert.deepEqual(Array.from(a.openTime), [1000, 2000]);
  assert.deepEqual(Array.from(a.close), [1.5, 2]);
  assert.deepEqual(
    [a.rsi[0], a.macd[0], a.macdSignal[0], a.macdHist[0], a.ema[0], a.stochK[0], a.stochD[0]],
    [55.5, 0.1, 0.2, -0.1, 1.4, 80, 70],
  );
  assert.ok([a.rsi[1], a.macd[1], a.ema[1]].every(Number.isNaN), 'null, "NaN" and absent are missing');
  assert.ok(Number.isNaN(b.openTime[0]), "no t: no open time");
  assert.equal(b.length, 2);
});

Deno.test("C# export: symbols are upper-cased as --symbols are, so 'btcusdt' merges with Binance's BTCUSDT", () => {
  // Before: kept as "btcusdt", a second symbol beside the BTCUSDT rows a Binance collect (or retrain) adds.
  const [s] = parseCsharpExport(JSON.stringify([{ symbol: " btcusdt", candles: [candle(0), candle(1)] }]));
  assert.equal(s.symbol, "BTCUSDT");
  // Another exchange's spelling is one word, as serve takes it.
  assert.equal(
    parseCsharpExport(JSON.stringify([{ symbol: "btc/usdt", candles: [candle(0)] }]))[0].symbol,
    "BTC/USDT",
  );
  assert.throws(
    () =>
      parseCsharpExport(
        JSON.stringify([{ symbol: "btcusdt", candles: [candle(0)] }, {
          symbol: "BTCUSDT",
          candles: [candle(0)],
        }]),
        "e.json",
      ),
    /e\.json: BTCUSDT appears twice/,
  );
});

Deno.test("C# export: a symbol written in NFD (a Hangul syllable as its jamo) is read in NFC, as --symbols is", () => {
  // Before: kept as its jamo, another string than the NFC 한국USDT a Binance collect or a CSV named so writes:
  // one pair, two symbols in the training CSV ("300 rows for 2 symbols"), and serve's NFC requests matched one.
  const nfd = "한국usdt".normalize("NFD");
  const [s] = parseCsharpExport(JSON.stringify([{ symbol: nfd, candles: [candle(0), candle(1)] }]));
  assert.equal(s.symbol, "한국USDT".normalize("NFC"));
  assert.notEqual(s.symbol, "한국USDT".normalize("NFD"));
  // Another exchange's spelling (not Binance's rule) is read in NFC too: é as one character.
  assert.equal(
    parseCsharpExport(JSON.stringify([{ symbol: "Cafe\u0301/usdt", candles: [candle(0)] }]))[0].symbol,
    "CAF\u00C9/USDT",
  );
  // Both spellings of one pair in one export are one symbol listed twice.
  assert.throws(
    () =>
      parseCsharpExport(
        JSON.stringify([{ symbol: nfd, candles: [candle(0)] }, { symbol: "한국USDT", candles: [candle(0)] }]),
        "e.json",
      ),
    /e\.json: 한국USDT appears twice/,
  );
});

Deno.test("C# export: malformed input names the symbol and the candle index", () => {
  const cases: [unknown, RegExp][] = [
    [
      [{ symbol: "BTCUSDT", candles: [candle(0), candle(1, { c: "abc" })] }],
      /BTCUSDT candles\[1\]\.c: expected a number, got "abc"/,
    ],
    [
      [{ symbol: "BTCUSDT", candles: [candle(0), { o: 1, h: 2, l: 0.5, v: 1 }] }],
      /BTCUSDT candles\[1\]\.c: missing/,
    ],
    [
      [{ symbol: "ETHUSDT", candles: [candle(0, { rsi: true })] }],
      /ETHUSDT candles\[0\]\.rsi: expected a number, null or "NaN", got true/,
    ],
    [
      [{ symbol: "ETHUSDT", candles: [candle(0, { h: 50 })] }],
      /ETHUSDT candles\[0\]: high \(50\) is below low \(99\)/,
    ],
    [
      [{ symbol: "ETHUSDT", candles: [candle(0, { v: -1 })] }],
      /ETHUSDT candles\[0\]: volume must not be negative/,
    ],
    [
      [{ symbol: "ETHUSDT", candles: [candle(0, { StochSlowK: 0.8 }), candle(1, { rsi: 4200 })] }],
      /ETHUSDT candles\[1\]: Rsi must be within 0–100, got 4200/,
    ],
    [
      // A C# bot's warm-up slots: EMA(50) is 0 before its first value (flat trial s47: collected and trained on).
      [{ symbol: "ETHUSDT", candles: [candle(0, { Ema: 100.5 }), candle(1, { Ema: 0 })] }],
      /ETHUSDT candles\[1\]: Ema must be positive \(an average of positive prices is\), got 0; 0 is what/,
    ],
    [
      [{ symbol: "ETHUSDT", candles: [candle(0, { t: 5 }), candle(1)] }],
      /ETHUSDT candles\[1\]: "t" must be on every candle or on none/,
    ],
    [
      [{ symbol: "ETHUSDT", candles: [{ ...candle(0), C: 3 }] }],
      /ETHUSDT candles\[0\]: the key "C" appears twice/,
    ],
    [[{ symbol: "ETHUSDT", candles: [] }], /ETHUSDT has no candles/],
    [
      [{ symbol: "ETHUSDT", candles: [candle(0)] }, { symbol: "ETHUSDT", candles: [candle(0)] }],
      /ETHUSDT appears twice/,
    ],
    [[{ candles: [candle(0)] }], /entry 0 "symbol": missing/],
    // Symbols serve would refuse (before: written to the training CSV as given, a newline splitting its row,
    // and an empty one named as `export.json:  "symbol": symbol is empty`).
    [[{ symbol: " ", candles: [candle(0)] }], /^export\.json: entry 0 "symbol": is empty$/],
    ...["BTC USDT", "ETH\nUSD T", "BTC\u200bUSDT"].map((symbol): [unknown, RegExp] => [
      [{ symbol: "ETHUSDT", candles: [candle(0)] }, { symbol, candles: [candle(0)] }],
      /^export\.json: entry 1 "symbol": must be one word, without spaces or control characters, not starting with =, \+, - or @ \(like BTCUSDT\)$/,
    ]),
    [
      [{ symbol: "X".repeat(65), candles: [candle(0)] }],
      /^export\.json: entry 0 "symbol": must be at most 64 characters$/,
    ],
    [{ symbol: "BTCUSDT" }, /export.json: the top level: expected an array/],
  ];
  for (const [json, message] of cases) {
    assert.throws(() => parseCsharpExport(JSON.stringify(json), "export.json"), (error: Error) => {
      assert.ok(error instanceof CandleError, error.message);
      assert.match(error.message, message);
      assert.ok(!error.message.includes("\n"), "one line");
      return true;
    });
  }
  assert.throws(
    () => parseCsharpExport('[{"symbol": "BTCUSDT", "candles": [', "export.json"),
    /export\.json: not valid JSON/,
  );
});

Deno.test("C# export: JSON of another shape is a usage error (2) naming what is wrong; a bad candle stays 1", () => {
  // Before, each of these exited 1 with "fix the data named, or collect it again", where an empty file, an
  // empty raw CSV or one with a wrong header exits 2: the file named is not an export, no candle in it failed.
  const shape: [unknown, RegExp, RegExp?][] = [
    [
      { symbol: "BTCUSDT", candles: [candle(0)] },
      /^export\.json: the top level: expected an array of \{"symbol", "candles"\} objects, got an object$/,
      /^put that \{"symbol", "candles"\} object in an array/,
    ],
    [
      { data: [] },
      /the top level: expected an array .*, got an object$/,
      /^point --json-path at the C# bot's/,
    ],
    ["candles", /the top level: expected an array .*, got a string$/],
    [[], /^export\.json: the top level is an empty array: no symbol's candles in it$/, /^export the candles/],
    [
      [{ symbol: "BTCUSDT", candles: [candle(0)] }, [candle(0)]],
      /^export\.json: entry 1: expected a \{"symbol", "candles"\} object, got an array$/,
    ],
    [[{ candles: [candle(0)] }], /^export\.json: entry 0 "symbol": missing$/],
    [
      [{ symbol: 42, candles: [candle(0)] }],
      /^export\.json: entry 0 "symbol": expected the symbol as a string, got a number$/,
    ],
    [[{ symbol: "BTCUSDT" }], /^export\.json: BTCUSDT "candles": missing$/],
    [
      [{ symbol: "BTCUSDT", candles: { 0: candle(0) } }],
      /^export\.json: BTCUSDT "candles": expected an array of candles, got an object$/,
    ],
    [
      [{ symbol: "BTCUSDT", candles: [candle(0)] }, { symbol: "ETHUSDT", candles: [] }],
      /^export\.json: ETHUSDT has no candles$/,
      /^leave ETHUSDT out of the export/,
    ],
    [
      [{ symbol: "BTCUSDT", candles: [[1, 2, 0.5, 1.5, 3], [1, 2, 0.5, 1.5, 3]] }],
      /^export\.json: BTCUSDT candles\[0\]: expected a candle object \{"o", "h", "l", "c", "v", …\}, got an array, as is every candle of BTCUSDT$/,
    ],
    [
      [{
        symbol: "BTCUSDT",
        candles: [1, 2].map((i) => ({ open: i, high: 2, low: 0.5, close: 1.5, volume: 3 })),
      }],
      /^export\.json: BTCUSDT candles\[0\]\.o: missing, as on every candle of BTCUSDT \(its keys: "open", "high", "low", "close", "volume"\)$/,
      /^the export names the open "o"/,
    ],
    [
      [{ symbol: "BTCUSDT", candles: [candle(0)] }, {
        symbol: "ETHUSDT",
        candles: [1, 2].map((i) => ({ ...candle(i), c: undefined })),
      }],
      /^export\.json: ETHUSDT candles\[0\]\.c: missing, as on every candle of ETHUSDT \(its keys: "o", "h", "l", "v"\)$/,
      /^give every candle "c" \(close\)/,
    ],
  ];
  for (const [json, message, hint] of shape) {
    assert.throws(() => parseCsharpExport(JSON.stringify(json), "export.json"), (error: Error) => {
      assert.ok(error instanceof CandleError, error.message);
      assert.match(error.message, message);
      assert.equal(error.exitCode, 2, error.message);
      assert.match(
        error.hint ?? "",
        hint ?? /^point --json-path at the C# bot's candle export, \[\{"symbol"/,
      );
      assert.ok(!`${error.message}${error.hint}`.includes("\n"), "one line each");
      return true;
    });
  }
  // One candle wrong in a file of the right shape is a bad candle, as a raw CSV's bad row is: exit 1.
  const bad: [unknown, RegExp][] = [
    [
      [{ symbol: "BTCUSDT", candles: [candle(0), candle(1), { o: 1, h: 2, l: 0.5, v: 1 }] }],
      /candles\[2\]\.c: missing$/,
    ],
    [
      [{ symbol: "BTCUSDT", candles: [candle(0), candle(1, { c: "abc" })] }],
      /candles\[1\]\.c: expected a number/,
    ],
    [[{ symbol: "BTCUSDT", candles: [candle(0), [1, 2, 0.5, 1.5, 3]] }], /BTCUSDT candles\[1\]/],
    [
      [{ symbol: "BTCUSDT", candles: [candle(0), candle(1, { h: 50 })] }],
      /candles\[1\]: high \(50\) is below low/,
    ],
  ];
  for (const [json, message] of bad) {
    assert.throws(() => parseCsharpExport(JSON.stringify(json), "export.json"), (error: Error) => {
      assert.ok(error instanceof CandleError, error.message);
      assert.match(error.message, message);
      assert.equal(error.exitCode, 1, error.message);
      return true;
    });
  }
});

Deno.test("C# export: the sample in testdata parses, with the bot's warm-up left missing", async () => {
  const series = await readCsharpExport(new URL("./testdata/candle_export.json", import.meta.url).pathname);
  assert.deepEqual(series.map((s) => [s.symbol, s.length]), [["BTCUSDT", 80], ["ETHUSDT", 80]]);
  assert.ok(Number.isNaN(series[0].rsi[0]));
  assert.ok(Number.isFinite(series[0].stochD[79]));
  await assert.rejects(
    readCsharpExport("/nonexistent/export.json"),
    /\/nonexistent\/export\.json: no such file/,
  );
});

Deno.test('C# export: "constructor", "__proto__" and "toString" keys are plain extra keys, not duplicates', () => {
  // JSON.parse makes "__proto__" an own key; an `in` check on a plain object saw the inherited ones as taken.
  const text = `[{"symbol": "BTCUSDT", "constructor": 1, "__proto__": {"x": 1}, "candles": [` +
    `{"o": 1, "h": 2, "l": 0.5, "c": 1.5, "v": 3, "constructor": "x", "__proto__": null, "toString": 0}]}]`;
  const [s] = parseCsharpExport(text, "export.json");
  assert.equal(s.symbol, "BTCUSDT");
  assert.deepEqual(Array.from(s.close), [1.5]);
  // A real duplicate among such keys is still caught.
  assert.throws(
    () =>
      parseCsharpExport(`[{"symbol": "A1", "Constructor": 1, "constructor": 2, "candles": []}]`, "e.json"),
    /the key "constructor" appears twice/,
  );
});

Deno.test("C# export: t in seconds, µs or ns becomes ms, read over the whole file; mixed units are refused", () => {
  const ms = [1502942400000, 1502946000000];
  const exportOf = (a: readonly unknown[], b: readonly unknown[] = a) =>
    JSON.stringify([
      { symbol: "BTCUSDT", candles: a.map((t, i) => candle(i, { t })) },
      { symbol: "ETHUSDT", candles: b.map((t, i) => candle(i, { t })) },
    ]);
  // In ns the times pass 2^53 (not safe integers), and still give exact ms.
  for (const scale of [1e-3, 1e3, 1e6]) {
    const series = parseCsharpExport(exportOf(ms.map((t) => t * scale)), "export.json");
    assert.deepEqual(series.map((s) => Array.from(s.openTime)), [ms, ms], `×${scale}`);
  }
  assert.throws(
    () => parseCsharpExport(exportOf(ms.map((t) => t / 1000), [ms[0] / 1000, ms[1]]), "export.json"),
    (e: Error) => {
      assert.ok(e instanceof CandleError, e.message);
      assert.equal(
        e.message,
        "export.json: ETHUSDT candles[1]: t 1502946000000 is in milliseconds while most of the file's open " +
          "times are in seconds (export.json: BTCUSDT candles[0]: 1502942400); a file holds one unit",
      );
      return true;
    },
  );
});

Deno.test("C# export: candles are read in file order, out of order and repeated ones too (collect sorts them)", () => {
  const [s] = parseCsharpExport(
    JSON.stringify([{
      symbol: "ETHUSDT",
      candles: [candle(0, { t: 7200000 }), candle(1, { t: 0 }), candle(1, { t: 0 })],
    }]),
    "e.json",
  );
  assert.deepEqual(Array.from(s.openTime), [7200000, 0, 0]);
  assert.deepEqual(Array.from(s.open), [100, 101, 101]);
});

Deno.test("C# export: an empty file says it is empty, as an empty CSV does", async () => {
  // Before: "not valid JSON (Unexpected end of JSON input)", which hid that nothing was written to it.
  for (const text of ["", "\uFEFF", " \r\n\n"]) {
    assert.throws(() => parseCsharpExport(text, "export.json"), (e: Error) => {
      assert.ok(e instanceof CandleError, e.message);
      assert.equal(e.message, "export.json: the file is empty");
      // A usage error naming the export to give. Before: exit 1, "fix the data named, or collect it again".
      assert.equal((e as CandleError).exitCode, 2);
      assert.match((e as CandleError).hint ?? "", /^export the candles from the C# bot again/);
      return true;
    });
  }
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await assert.rejects(readCsharpExport(path), { message: `${path}: the file is empty` });
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("C# export: a file with a byte order mark (.NET's Encoding.UTF8 writes one) is read", async () => {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(path, "\uFEFF" + JSON.stringify([{ symbol: "BTCUSDT", candles: [candle(0)] }]));
    const [s] = await readCsharpExport(path);
    assert.deepEqual([s.symbol, Array.from(s.close)], ["BTCUSDT", [101]]);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("C# export: t as an integer string (JsonNumberHandling.WriteAsString) is read like a number", () => {
  const [s] = parseCsharpExport(
    JSON.stringify([{
      symbol: "BTCUSDT",
      candles: [
        candle(0, { t: "1502942400000" }),
        candle(1, { t: 1502946000000 }),
        candle(2, { t: " 1502949600000 " }),
      ],
    }]),
    "export.json",
  );
  assert.deepEqual(Array.from(s.openTime), [1502942400000, 1502946000000, 1502949600000]);
  // In seconds as strings too: the unit is read the same way.
  const [secs] = parseCsharpExport(
    JSON.stringify([{ symbol: "BTCUSDT", candles: [candle(0, { t: "1502942400" })] }]),
    "export.json",
  );
  assert.equal(secs.openTime[0], 1502942400000);
  for (const t of ["1.5e12", "-5", "soon"]) {
    assert.throws(
      () => parseCsharpExport(JSON.stringify([{ symbol: "BTCUSDT", candles: [candle(0, { t })] }]), "e.json"),
      (e: Error) =>
        e instanceof CandleError &&
        e.message === `e.json: BTCUSDT candles[0].t: expected open time in ms, got "${t}"`,
    );
  }
});

Deno.test("C# export: t written as a date (System.Text.Json's DateTime) says to write Unix ms, with the number", () => {
  // Before: 'expected open time in ms, got "2023-06-01T00:00:00Z"', hint "fix the data named, or collect it again".
  const cases: [string, string][] = [
    ["2023-06-01T00:00:00Z", "(2023-06-01T00:00:00Z is 1685577600000)"],
    ["2023-06-01T00:00:00.0000000+00:00", "(2023-06-01T00:00:00.0000000+00:00 is 1685577600000)"],
    ["2023-06-01T00:00:00", "(2023-06-01T00:00:00, read as UTC, is 1685577600000)"], // DateTimeKind.Unspecified
    // DataContractJsonSerializer's "\/Date(ms)\/" (the shipped C# client's serializer): before, no date hint.
    ["/Date(1685577600000)/", "(/Date(1685577600000)/ is 1685577600000)"],
  ];
  for (const [t, example] of cases) {
    assert.throws(
      () => parseCsharpExport(JSON.stringify([{ symbol: "BTCUSDT", candles: [candle(0, { t })] }]), "e.json"),
      (e: Error) => {
        assert.ok(e instanceof CandleError, e.message);
        assert.equal(e.message, `e.json: BTCUSDT candles[0].t: expected open time in ms, got "${t}": a date`);
        assert.equal(
          e.hint,
          `write "t" as Unix milliseconds ${example}, as C#'s DateTimeOffset.ToUnixTimeMilliseconds() gives ` +
            "them, not the DateTime itself",
        );
        return true;
      },
    );
  }
});

Deno.test("C# export: Macd 1e300 or Ema 1e-300 is refused naming the candle, as /predict refuses it", () => {
  for (
    const [extra, feature] of [[{ Macd: 1e300 }, "macd_n"], [{ Ema: "1e-300" }, "ema_dist"]] as const
  ) {
    const candles = [candle(0), candle(1), candle(2, extra), candle(3)];
    assert.throws(
      () => parseCsharpExport(JSON.stringify([{ symbol: "BTCUSDT", candles }]), "export.json"),
      (e: Error) => {
        assert.ok(e instanceof CandleError, e.message);
        assert.equal(
          e.message,
          `export.json: BTCUSDT candles[2]: its values make feature ${feature} overflow (not finite in ` +
            "float32); check the candle's magnitudes",
        );
        return true;
      },
    );
  }
});

Deno.test("C# export: keys and symbols a Turkish-culture host cased (rsı, MACDSİGN, LİNKUSDT) are read as meant", () => {
  // .NET's ToLower()/ToUpper() follow the host's culture: on tr-TR "RSI".ToLower() is "rsı" (dotless ı) and
  // "linkusdt".ToUpper() is "LİNKUSDT" (dotted İ). Before, those keys were unknown, so the bot's RSI, MACD
  // signal and histogram were silently dropped and recomputed, and LİNKUSDT was written as a symbol of its own
  // that no Binance collect, retrain or monitor join would ever match.
  const [s] = parseCsharpExport(JSON.stringify([{
    symbol: "lİnkusdt",
    candles: [candle(0, { t: 1000, rsı: 55, MACD: 0.1, MACDSİGN: 0.2, macdhıst: -0.1 })],
  }]));
  assert.equal(s.symbol, "LINKUSDT");
  assert.deepEqual([s.rsi[0], s.macd[0], s.macdSignal[0], s.macdHist[0]], [55, 0.1, 0.2, -0.1]);
  // Folded keys still collide as any other case variant does.
  assert.throws(
    () =>
      parseCsharpExport(JSON.stringify([{ symbol: "BTCUSDT", candles: [candle(0, { rsi: 1, rsı: 2 })] }])),
    /the key "rsı" appears twice/,
  );
});

Deno.test('C# export: numbers a decimal-comma culture wrote ("42000,5", or bare 42000,5) are named as such', () => {
  // A bot on a de-DE host formatting with ToString(): before, 'expected a number, got "42000,5"', or for a bare
  // 42000,5 "not valid JSON (Expected double-quoted property name …)", each with "fix the data named".
  const quoted = JSON.stringify([{ symbol: "BTCUSDT", candles: [candle(0, { c: "42000,5" })] }]);
  const bare = '[{"symbol":"BTCUSDT","candles":[{"o":42000,5,"h":42100,"l":41900,"c":42050,"v":10}]}]';
  const cases: [string, RegExp][] = [[quoted, /BTCUSDT candles\[0\]\.c: expected a number, got "42000,5"/], [
    bare,
    /JSON/,
  ]];
  for (const [text, where] of cases) {
    assert.throws(() => parseCsharpExport(text), (e: CandleError) => {
      assert.match(e.message, where);
      assert.match(e.message, /decimal comma/);
      assert.match(e.hint ?? "", /'\.' as the decimal mark.*CultureInfo\.InvariantCulture/);
      return true;
    });
  }
});

Deno.test("C# export: a leading run of Ema 0 is the bot library's warm-up, read as missing; a 0 after a value is refused", () => {
  // A C# TA library writes EMA(50) from outBegIdx into a zeroed array: the slots before it are 0. Those exports
  // were read before the zero check (the windows never reach them); they must not fail collect now.
  const [s] = parseCsharpExport(JSON.stringify([{
    symbol: "ETHUSDT",
    candles: [
      candle(0, { Ema: 0 }),
      candle(1, { Ema: 0 }),
      candle(2, { Ema: 101.5 }),
      candle(3, { Ema: 102 }),
    ],
  }]));
  assert.ok(
    Number.isNaN(s.ema[0]) && Number.isNaN(s.ema[1]),
    "the leading zeros are missing, for collect to fill",
  );
  assert.deepEqual([s.ema[2], s.ema[3]], [101.5, 102]);
  const [all] = parseCsharpExport(JSON.stringify([{ symbol: "ETHUSDT", candles: [candle(0, { Ema: 0 })] }]));
  assert.ok(Number.isNaN(all.ema[0]), "an export whose EMA never started is all warm-up");
  assert.throws(
    () =>
      parseCsharpExport(JSON.stringify([{
        symbol: "ETHUSDT",
        candles: [candle(0, { Ema: 0 }), candle(1, { Ema: 100.5 }), candle(2, { Ema: 0 })],
      }])),
    /ETHUSDT candles\[2\]: Ema must be positive/,
  );
});

Deno.test("C# export: bare NaN and INF as the bot's serializer writes them are read as serve reads them", () => {
  // Before: "not valid JSON (Unexpected token 'N' …)", exit 1, for a warm-up indicator written NaN by
  // DataContractJsonSerializer, Newtonsoft's FloatFormatHandling.Symbol or Python's json.dumps.
  const text = JSON.stringify([{ symbol: "BTCUSDT", candles: [candle(0, { macd: "@NaN" }), candle(1)] }])
    .replace('"@NaN"', "NaN");
  const [s] = parseCsharpExport(text, "e.json");
  assert.ok(Number.isNaN(s.macd[0]), "a warm-up value, missing");
  // An infinite price is refused naming the candle, with the value as written (JSON.stringify says null).
  for (const token of ["INF", "-Infinity", "NaN"]) {
    const bad = JSON.stringify([{ symbol: "BTCUSDT", candles: [candle(0, { c: "@" })] }]).replace(
      '"@"',
      token,
    );
    assert.throws(
      () => parseCsharpExport(bad, "e.json"),
      (e: Error) =>
        e instanceof CandleError &&
        e.message ===
          `e.json: BTCUSDT candles[0].c: expected a number, got ${token === "INF" ? "Infinity" : token}`,
    );
  }
});

Deno.test("C# export: a UTF-16 file (.NET's Encoding.Unicode) is named as such, with the conversion", async () => {
  // Before: "not valid JSON (Unexpected token '��' …)", with no word of the encoding.
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/export.json`;
    const text = JSON.stringify([{ symbol: "BTCUSDT", candles: [candle(0), candle(1)] }]);
    const utf16 = new Uint8Array(2 + 2 * text.length);
    utf16.set([0xff, 0xfe]); // the byte order mark Encoding.Unicode writes
    for (let i = 0; i < text.length; i++) utf16[2 + 2 * i] = text.charCodeAt(i);
    await Deno.writeFile(path, utf16);
    await assert.rejects(
      readCsharpExport(path),
      (e: Error) =>
        e instanceof CandleError &&
        e.message ===
          `${path}: the file holds NUL bytes, as UTF-16 or UTF-32 text read as UTF-8 does, not JSON in UTF-8` &&
        /^write the export as UTF-8 \(C#'s Encoding\.UTF8.*iconv -f UTF-16 -t UTF-8 /.test(e.hint ?? ""),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("C# export: a CSV given as the export is a usage error (2) naming --source csv, not 'not valid JSON'", () => {
  // Before: "not valid JSON (Unexpected token 'o', "open_time,"...)" with "fix the data named", exit 1.
  const refused = (text: string, source: string) => {
    try {
      parseCsharpExport(text, source);
    } catch (error) {
      assert.ok(error instanceof CandleError, String(error));
      return error;
    }
    assert.fail("read as an export");
  };
  const raw = refused("open_time,open,high,low,close,volume\n1000,1,2,0.5,1.5,10\n", "BTCUSDT-1h.csv");
  assert.equal(raw.exitCode, 2);
  assert.equal(
    raw.message,
    "BTCUSDT-1h.csv looks like a CSV, not the C# bot's JSON export (its first line is a header: " +
      "open_time,open,high,low,close,volume)",
  );
  assert.equal(raw.hint, "use --source csv --csv-path BTCUSDT-1h.csv"); // its name gives the symbol
  // A Binance kline dump (no header), under a name that says no symbol and holds a space.
  const dump = refused(
    "1502942400000,4261.48,4313.62,4261.32,4308.83,47.181009,1502945999999\n",
    "my dump.csv",
  );
  assert.equal(dump.exitCode, 2);
  assert.match(
    dump.message,
    /^my dump\.csv looks like a CSV, .*\(its first line is a row: 1502942400000,4261\.48,/,
  );
  assert.equal(
    dump.hint,
    'use --source csv --csv-path "my dump.csv" with --symbol (its name does not say whose candles they are)',
  );
  // What collect writes, given back: train reads it as it is.
  const training = refused(`${TRAINING_CSV_HEADER.join(",")}\n`, "data/training_data.csv");
  assert.equal(training.exitCode, 2);
  assert.match(training.message, /is already a training CSV/);
  assert.equal(training.hint, "give it to train as it is ('candlecast train --data data/training_data.csv')");
});

Deno.test("C# export: JSON that ends mid-document says it looks cut short; an error inside it does not", () => {
  for (
    const text of [
      '[{"symbol": "BTCUSDT", "candles": [{"o": 42',
      '[{"symbol": "BTCUSDT", "candles": [{"o": "4',
      "[\n",
    ]
  ) {
    assert.throws(() => parseCsharpExport(text, "export.json"), (e: Error) => {
      assert.ok(e instanceof CandleError, String(e));
      assert.match(
        e.message,
        /^export\.json: not valid JSON \(.*\): the file ends mid-document; was it cut short\?$/,
      );
      assert.equal(e.exitCode, 1);
      assert.match(e.hint ?? "", /export the candles from the C# bot again/);
      return true;
    });
  }
  assert.throws(
    () => parseCsharpExport('[{"symbol": "BTCUSDT",, "candles": []}]', "export.json"),
    (e: Error) =>
      /^export\.json: not valid JSON \(Expected double-quoted property name .*\)$/.test(e.message) &&
      !/cut short/.test(e.message),
  );
});

Deno.test("collect --source json given a CSV exits 2 with the flags that read it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-json-csv-" });
  try {
    const csv = join(dir, "ETHUSDT-1h.csv");
    await Deno.writeTextFile(csv, "open_time,open,high,low,close,volume\n1000,1,2,0.5,1.5,10\n");
    const out = join(dir, "out.csv");
    const run = await runCandlecast(["collect", "--source", "json", "--json-path", csv, "--output", out]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /looks like a CSV, not the C# bot's JSON export/);
    assert.ok(run.stderr.includes(`hint: use --source csv --csv-path ${csv}\n`), run.stderr);
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
