import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { type CollectOptions, isBinanceSymbol, parseCollectFlags } from "./options.ts";

/** What commander hands over: every default filled in, plus the flags typed. */
const DEFAULTS = {
  source: "binance",
  symbols: ["BTCUSDT", "ETHUSDT"],
  interval: "30m",
  limit: "1000",
  output: "data/training_data.csv",
  baseUrl: "https://api.binance.com",
  jsonPath: "candle_export.json",
  csvPath: "raw.csv",
};

function parse(typed: Record<string, unknown>): CollectOptions {
  return parseCollectFlags({ ...DEFAULTS, ...typed }, new Set(Object.keys(typed)));
}

function refused(typed: Record<string, unknown>, message: RegExp): void {
  assert.throws(() => parse(typed), (error: UsageError) => {
    assert.ok(error instanceof UsageError, String(error));
    assert.match(error.message, message);
    assert.equal(error.exitCode, 2);
    return true;
  });
}

Deno.test("collect flags: SPEC defaults, --limit 1000 only when no other window is chosen", () => {
  assert.deepEqual(parse({}), {
    source: "binance",
    symbols: ["BTCUSDT", "ETHUSDT"],
    interval: "30m",
    window: { kind: "latest", count: 1000 },
    baseUrl: "https://api.binance.com",
    output: "data/training_data.csv",
    replace: false,
  });
  const typed = (t: Record<string, unknown>) =>
    (parse(t) as Extract<CollectOptions, { source: "binance" }>).window;
  assert.deepEqual(typed({ limit: "2500" }), { kind: "latest", count: 2500 });
  assert.deepEqual(typed({ months: "12" }), { kind: "months", months: 12 });
  assert.deepEqual(typed({ startDate: "2023-01-01", endDate: "2023-02-01" }), {
    kind: "dates",
    startDate: "2023-01-01",
    endDate: "2023-02-01",
  });
  const lists = parse({ symbols: ["btcusdt,ETHUSDT", "SOLUSDT", "BTCUSDT"], interval: "1M" });
  assert.deepEqual((lists as { symbols: string[] }).symbols, ["BTCUSDT", "ETHUSDT", "SOLUSDT"]);
  // Turkish casing, as a C# export's symbols are read: a tr-TR shell's `${s^^}` writes LİNKUSDT (dotted İ), and
  // the dotless ı of `lınkusdt` upper-cases to I anyway; both are LINKUSDT, for --symbols and --symbol alike.
  const turkish = parse({ symbols: ["L\u0130NKUSDT", "l\u0131nkusdt"] }) as { symbols: string[] };
  assert.deepEqual(turkish.symbols, ["LINKUSDT"]);
  const file = parse({ source: "csv", symbol: "L\u0130NKUSDT" }) as { files: { symbol: string }[] };
  assert.equal(file.files[0].symbol, "LINKUSDT");
});

Deno.test("collect flags: bad values and combinations name the flag", () => {
  refused({ limit: "5", months: "2" }, /^--months: choose one of --limit, --start-date or --months$/);
  refused({ startDate: "2023-01-01", months: "2" }, /^--months: choose one of/);
  refused({ endDate: "2023-01-01" }, /^--end-date: needs --start-date$/);
  refused(
    { startDate: "2023-02-01", endDate: "2023-02-01" },
    /^--end-date: must be after --start-date 2023-02-01/,
  );
  refused({ startDate: "2023-02-30" }, /^--start-date: not a real calendar date$/);
  refused({ startDate: "1/2/2023" }, /^--start-date: expected a date as YYYY-MM-DD$/);
  refused({ limit: "0" }, /^--limit: expected a whole number of candles, at least 1$/);
  refused({ limit: "1.5" }, /^--limit: expected a whole number of candles, at least 1$/);
  refused({ months: "x" }, /^--months: expected a whole number of months, at least 1$/);
  refused({ months: "1.5" }, /^--months: expected a whole number of months, at least 1$/);
  refused({ interval: "1H" }, /^--interval: expected one of 1m 3m .* 1M \(case-sensitive/);
  // The value is named: in a list of several, which one was wrong went unsaid.
  refused(
    { symbols: ["BTCUSDT", "BTC/USDT"] },
    /^--symbols: expected a Binance symbol such as BTCUSDT, got "BTC\/USDT"$/,
  );
  // A look-alike letter (Greek capital beta) reads as B on screen: the message names it.
  refused(
    { symbols: ["\u0392TCUSDT"] },
    /got "\u0392TCUSDT" \(it holds \u0392, U\+0392, which is no Latin capital, digit, or Chinese, Japanese or Korean letter\)$/,
  );
  refused({ symbols: [","] }, /^--symbols: expected at least one symbol/);
  refused({ baseUrl: "ftp://example.com" }, /^--base-url: expected an http\(s\) URL/);
  refused({ jsonPath: "x.json" }, /^--json-path applies only to --source json, not binance$/);
  refused({ symbol: "ETHUSDT" }, /^--symbol applies only to --source csv, not binance$/);
  refused({ source: "csv", symbol: "X1", months: "3", limit: "5" }, /^--months: choose one of --limit/);
  refused({ source: "json", endDate: "2023-01-01" }, /^--end-date: needs --start-date$/);
  refused({ source: "json", symbols: ["BTCUSDT"] }, /^--symbols applies only to --source binance, not json$/);
  // One letter from --symbol: the hint names it (it pointed at the whole --help).
  assert.throws(() => parse({ source: "csv", symbols: ["BTCUSDT"] }), (error: UsageError) => {
    assert.match(error.message, /^--symbols applies only to --source binance, not csv$/);
    assert.match(error.hint!, /^with --source csv, name the file's one symbol with --symbol /);
    return true;
  });
});

Deno.test("collect flags: the file sources", () => {
  assert.deepEqual(parse({ source: "json" }), {
    source: "json",
    jsonPath: "candle_export.json",
    output: "data/training_data.csv",
    interval: undefined,
    window: undefined,
    replace: false,
  });
  assert.deepEqual(parse({ source: "csv", csvPath: "x.csv", symbol: "solusdt", interval: "4h" }), {
    source: "csv",
    files: [{ path: "x.csv", symbol: "SOLUSDT", symbolFromFileName: false }],
    interval: "4h",
    window: undefined,
    output: "data/training_data.csv",
    replace: false,
  });
  assert.equal((parse({ source: "json", replace: true }) as { replace: boolean }).replace, true);
});

Deno.test("collect flags: the window flags take part of a file by binance's rule; none reads it whole", () => {
  const windowOf = (typed: Record<string, unknown>) =>
    (parse(typed) as Extract<CollectOptions, { source: "csv" | "json" }>).window;
  // --limit's default (1000) is binance's: a file without a window is read whole.
  assert.equal(windowOf({ source: "csv", symbol: "SOLUSDT" }), undefined);
  assert.deepEqual(windowOf({ source: "csv", symbol: "SOLUSDT", limit: "500" }), {
    kind: "latest",
    count: 500,
  });
  assert.deepEqual(windowOf({ source: "json", months: "6" }), { kind: "months", months: 6 });
  assert.deepEqual(windowOf({ source: "json", startDate: "2023-01-01", endDate: "2023-07-01" }), {
    kind: "dates",
    startDate: "2023-01-01",
    endDate: "2023-07-01",
  });
});

Deno.test("collect flags: --source csv needs --symbol unless the file name carries it", () => {
  // A CSV holds no symbol: defaulting to BTCUSDT wrote ETH prices into BTC's history (issue 14.1).
  refused({ source: "csv", csvPath: "raw.csv" }, /^--symbol is required with --source csv/);
  refused({ source: "csv", csvPath: "data/prices.csv" }, /^--symbol is required/);
  const named = (csvPath: string) =>
    (parse({ source: "csv", csvPath }) as Extract<CollectOptions, { source: "csv" }>).files[0];
  assert.deepEqual(
    [named("dl/ETHUSDT-1h.csv").symbol, named("dl/ETHUSDT-1h.csv").symbolFromFileName],
    ["ETHUSDT", true],
  );
  assert.equal(named("BTCUSDT-1h-2024-01.csv").symbol, "BTCUSDT");
  assert.equal(named("solusdt-4h.csv").symbol, "SOLUSDT");
  const typed = parse({ source: "csv", csvPath: "ETHUSDT-1h.csv", symbol: "ethbtc" });
  assert.deepEqual([
    (typed as Extract<CollectOptions, { source: "csv" }>).files[0].symbol,
    (typed as Extract<CollectOptions, { source: "csv" }>).files[0].symbolFromFileName,
  ], [
    "ETHBTC",
    false,
  ]);
});

Deno.test("collect flags: a --source outside binance, json and csv is a usage error, not an undefined source", () => {
  refused({ source: "kraken" }, /--source: expected one of binance, json, csv, got "kraken"/);
  refused({ source: undefined }, /--source: expected one of binance, json, csv, got nothing/);
});

Deno.test("collect flags: --source csv takes another exchange's symbol (BTC/USDT), as the C# export does; --symbols keeps Binance's", () => {
  // Before: "--symbol: expected a Binance symbol such as BTCUSDT, got "BTC/USDT"", exit 2, for candles that
  // come from no Binance request, where a C# export's "BTC/USDT" was collected, trained on and served.
  const file = (symbol: string) =>
    (parse({ source: "csv", csvPath: "raw.csv", symbol }) as Extract<CollectOptions, { source: "csv" }>)
      .files[0].symbol;
  assert.equal(file("BTC/USDT"), "BTC/USDT");
  assert.equal(file("btc/usdt"), "BTC/USDT");
  assert.equal(file("BTC-USDT"), "BTC-USDT");
  refused({ source: "csv", symbol: "BTC USDT" }, /^--symbol: must be one word, without spaces/);
  refused({ source: "csv", symbol: "=HYPERLINK(1)" }, /^--symbol: must be one word, .*not starting with =/);
  refused({ source: "csv", symbol: "X".repeat(65) }, /^--symbol: must be at most 64 characters$/);
  refused(
    { symbols: ["BTC/USDT"] },
    /^--symbols: expected a Binance symbol such as BTCUSDT, got "BTC\/USDT"$/,
  );
});

Deno.test("collect flags: a symbol with letters of a caseless script (币安人生USDT) is Binance's, typed or in a file name", () => {
  // Before: --symbols 币安人生USDT was "expected a Binance symbol such as BTCUSDT … (it holds 币 …)", exit 2, and
  // a file 币安人生USDT-1h.csv "did not say which symbol it holds", though Binance lists the pair and its dumps
  // are named so.
  const symbols = (typed: string[]) =>
    (parse({ symbols: typed }) as Extract<CollectOptions, { source: "binance" }>).symbols;
  assert.deepEqual(symbols(["币安人生USDT", "币安人生usdt"]), ["币安人生USDT"]);
  // A Hangul name spelled as its jamo (NFD, as macOS may give it) is the exchange's NFC spelling, once.
  assert.deepEqual(symbols(["한국USDT".normalize("NFD"), "한국USDT"]), ["한국USDT"]);
  assert.deepEqual(symbols(["한국USDT".normalize("NFD")])[0], "한국USDT".normalize("NFC"));
  const named = (csvPath: string | string[]) =>
    (parse({ source: "csv", csvPath }) as Extract<CollectOptions, { source: "csv" }>).files.map((f) =>
      f.symbol
    );
  assert.deepEqual(named("dl/币安人生USDT-1h.csv"), ["币安人生USDT"]);
  assert.deepEqual(named("币安人生usdt-1h-2025-11.csv"), ["币安人生USDT"]);
  // --symbol spells it as the file name does (NFC), or one pair became two symbols in one training CSV.
  const typed = parse({ source: "csv", csvPath: "raw.csv", symbol: "한국usdt".normalize("NFD") });
  assert.equal(
    (typed as Extract<CollectOptions, { source: "csv" }>).files[0].symbol,
    "한국USDT".normalize("NFC"),
  );
  assert.deepEqual(named("한국USDT-1h.csv".normalize("NFD")), ["한국USDT".normalize("NFC")]);
  // A folder's files, one of them so named: every one read by its name (before, the run failed whole).
  assert.deepEqual(named(["d/ETHBTC-1h.csv", "d/币安人生USDT-1h.csv"]), ["ETHBTC", "币安人生USDT"]);
  assert.equal(isBinanceSymbol("币安人生USDT"), true);
  // Lower case stays no Binance spelling (retrain's hint to collect again upper-cased rests on it).
  assert.equal(isBinanceSymbol("币安人生usdt"), false);
  assert.equal(isBinanceSymbol("btcusdt"), false);
});

Deno.test("collect flags: a symbol is still refused for spaces, punctuation, emoji, look-alikes and invisible characters", () => {
  const notOne = (symbol: string, message: RegExp) => {
    refused({ symbols: [symbol] }, message);
    assert.equal(isBinanceSymbol(symbol), false, JSON.stringify(symbol));
  };
  notOne("BTC USDT", /^--symbols: expected a Binance symbol such as BTCUSDT, got "BTC USDT"$/);
  notOne("币安/USDT", /got "币安\/USDT"$/);
  notOne("BTC😀USDT", /\(it holds 😀, U\+1F600, which is no Latin capital/);
  // Caseless letters of the Latin script look like punctuation (ǃ) or sit in no symbol (ª): not taken.
  notOne("ǃBTCUSDT", /\(it holds ǃ, U\+01C3, /);
  notOne("ªBTCUSDT", /\(it holds ª, U\+00AA, /);
  // An invisible filler (Hangul, Lo), a zero-width space and a bidi override are named by code, not printed: the
  // override printed turned the rest of the message around on the terminal.
  notOne("BTC\u3164USDT", /got "BTC<U\+3164>USDT" \(it holds U\+3164, which is no Latin capital/);
  notOne("BTC\u200bUSDT", /got "BTC<U\+200B>USDT" \(it holds U\+200B, /);
  notOne("币安\u202eUSDT", /got "币安<U\+202E>USDT" \(it holds U\+202E, /);
  refused({ symbols: ["币"] }, /^--symbols: expected a Binance symbol such as BTCUSDT, got "币"$/);
  refused({ source: "csv", csvPath: "dl/BTC😀-1h.csv" }, /^--symbol is required with --source csv/);
});

Deno.test("collect flags: only Chinese, Japanese and Korean letters are taken beside Latin capitals: no look-alikes, no right-to-left", () => {
  // Before: any caseless letter (\p{Lo}) was a Binance symbol's, so ꓐꓔꓚUSDT (Lisu), which reads as BTCUSDT,
  // was collected as a pair of its own, as were Hebrew and Arabic names that reorder the line they sit in.
  const notOne = (symbol: string, message: RegExp) => {
    refused({ symbols: [symbol] }, message);
    assert.equal(isBinanceSymbol(symbol), false, JSON.stringify(symbol));
  };
  notOne(
    "\uA4D0\uA4D4\uA4DAUSDT",
    /got "ꓐꓔꓚUSDT" \(it holds ꓐ, U\+A4D0, which is no Latin capital, digit, or Chinese, Japanese or Korean letter\)$/,
  );
  notOne("\u15F7TCUSDT", /\(it holds ᗷ, U\+15F7, /); // Canadian Syllabics
  notOne("BTC\u05E9USDT", /\(it holds ש, U\+05E9, /); // Hebrew
  notOne("\u0628\u062A\u0643USDT", /\(it holds ب, U\+0628, /); // Arabic
  notOne("\u0E01USDT", /\(it holds ก, U\+0E01, /); // Thai: a caseless script Binance lists no pair in
  // Half-width kana and Hangul: a second spelling of the full-width letter that NFC keeps apart.
  notOne("\uFF71USDT", /\(it holds ｱ, U\+FF71, /);
  notOne("\uFFA1USDT", /\(it holds \uFFA1, U\+FFA1, /); // half-width Hangul kiyeok
  // A Hangul vowel jamo NFC cannot compose (no consonant before it) is drawn on the letter before: named by code.
  notOne("BTC\u1161USDT", /got "BTC<U\+1161>USDT" \(it holds U\+1161, /);
  notOne("BTC\u20DDUSDT", /got "BTC<U\+20DD>USDT" \(it holds U\+20DD, /);
  // The scripts Binance lists, or may: Han, Hiragana, Katakana, Hangul (syllables and compatibility jamo).
  for (
    const symbol of [
      "币安人生USDT",
      "𠀀USDT",
      "びっとUSDT",
      "ビットUSDT",
      "비트USDT",
      "ㄱUSDT",
      "한국USDT".normalize("NFD"),
    ]
  ) {
    const taken = (parse({ symbols: [symbol] }) as Extract<CollectOptions, { source: "binance" }>).symbols;
    assert.deepEqual(taken, [symbol.normalize("NFC")]);
  }
  // The same rule for a file named like Binance's dumps: a look-alike's name does not say the symbol.
  refused({ source: "csv", csvPath: "dl/ꓐꓔꓚUSDT-1h.csv" }, /^--symbol is required with --source csv/);
});

// The file's name was printed as it is: BTC\u200bUSDT-1h.csv read exactly as a name collect takes, and a
// look-alike's gave no reason (a docs seat).
Deno.test("collect flags: a file name whose symbol part holds a refused character says which, invisible ones as codes", () => {
  refused(
    { source: "csv", csvPath: "dl/BTC\u200bUSDT-1h.csv" },
    /\(dl\/BTC<U\+200B>USDT-1h\.csv does not say which symbol it holds: its symbol part holds U\+200B, which is no Latin letter, digit, or Chinese, Japanese or Korean letter\)$/,
  );
  refused(
    { source: "csv", csvPath: "dl/ꓐꓔꓚUSDT-1h.csv" },
    /does not say which symbol it holds: its symbol part holds ꓐ, U\+A4D0, which is no Latin letter/,
  );
  refused(
    { source: "csv", csvPath: ["dl/ETHUSDT-1h.csv", "dl/BTC\u202eUSDT-1h.csv"] },
    /^--csv-path: dl\/BTC<U\+202E>USDT-1h\.csv does not say which symbol it holds \(its name is not like ETHUSDT-1h\.csv: its symbol part holds U\+202E, /,
  );
  // A name of another shape is not guessed at.
  refused({ source: "csv", csvPath: "raw.csv" }, /\(raw\.csv does not say which symbol it holds\)$/);
});
