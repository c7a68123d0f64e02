/**
 * The C# trading bot's candle export (SPEC §3): `[{"symbol", "candles": [{"o","h","l","c","v", "Rsi", "Macd",
 * "MacdSign", "MacdHist", "Ema", "StochSlowK", "StochSlowD", "t"?}]}]`. Keys match case-insensitively (C#
 * serializers differ in casing); the bot's own indicator values are kept, and a missing one (absent, null
 * or "NaN") is left NaN for the caller to compute. Every problem names the symbol and the candle's index.
 */
import { z } from "zod";
import {
  assertFeaturesFit,
  boundedIndicatorProblem,
  CandleError,
  type CandleSeries,
  dateText,
  DECIMAL_COMMA,
  DECIMAL_COMMA_HINT,
  emaProblem,
  emaWarmUpZeros,
  type IndicatorColumn,
  lowerKey,
  MAX_SYMBOL_LENGTH,
  ohlcvProblem,
  openTimesToMs,
  readCandleFile,
  seriesFromCandles,
  SYMBOL_PATTERN,
  SYMBOL_RULE,
  TRAINING_CSV_HEADER,
  upperSymbol,
  withoutBom,
} from "../../features/index.ts";
import { parseJsonText, shellWord } from "../../base/index.ts";
import { symbolFromFileName } from "./options.ts";

const numeric = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A value as the export wrote it: NaN and ±Infinity by name (JSON.stringify writes them as null). */
const shown = (v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : JSON.stringify(v));

/** A price or volume: a JSON number, or a numeric string (C# `JsonNumberHandling.WriteAsString`). */
const price = z.union([
  z.number(),
  z.string().trim().regex(numeric, "expected a number").transform(Number),
], { error: (issue) => `expected a number, got ${shown(issue.input)}` });

/** An indicator: a number, or absent/null/NaN/"NaN" during the bot's warm-up. */
const indicator = z.union([
  z.number(),
  z.nan(),
  z.null().transform(() => NaN),
  z.literal(["NaN", ""]).transform(() => NaN),
  z.string().trim().regex(numeric).transform(Number),
], { error: (issue) => `expected a number, null or "NaN", got ${shown(issue.input)}` })
  .optional().transform((v) => v ?? NaN);

/**
 * The open time: whole ms since the epoch (SPEC §3), or whole s, µs or ns, converted over the whole file;
 * a JSON number or an integer string (`JsonNumberHandling.WriteAsString` writes a C# `long` as one too). Not
 * limited to safe integers: a time in ns (1.7e18) is past 2^53, and only its ms need to be exact.
 */
const openTime = z.union([
  z.number().refine(Number.isInteger, "expected open time in whole ms").nonnegative(
    "expected open time in ms ≥ 0",
  ),
  z.string().trim().regex(/^\d+$/).transform(Number),
], { error: (issue) => `expected open time in ms, got ${shown(issue.input)}` });

const candleSchema = z.object({
  t: openTime.optional(),
  o: price,
  h: price,
  l: price,
  c: price,
  v: price,
  rsi: indicator,
  macd: indicator,
  macdsign: indicator,
  macdhist: indicator,
  ema: indicator,
  stochslowk: indicator,
  stochslowd: indicator,
});

const exportSchema = z.array(
  z.object({
    // Upper-cased as --symbols is: Binance's spelling, so a later Binance collect or retrain (which collects
    // the file's symbols) merges into the same rows rather than adding a second "BTCUSDT" beside "btcusdt".
    // One word as serve requires (a newline split the training CSV's row; a space matched no request).
    symbol: z.string({ error: "expected the symbol as a string" }).trim().min(1, "is empty")
      .max(MAX_SYMBOL_LENGTH, `must be at most ${MAX_SYMBOL_LENGTH} characters`)
      .regex(SYMBOL_PATTERN, SYMBOL_RULE)
      .transform(upperSymbol),
    candles: z.array(candleSchema, { error: "expected an array of candles" }),
  }),
  { error: 'expected an array of {"symbol", "candles"} objects' },
);

/** Export key (lower-cased) → the series column it fills. */
const INDICATOR_KEYS: Record<string, IndicatorColumn> = {
  rsi: "rsi",
  macd: "macd",
  macdsign: "macdSignal",
  macdhist: "macdHist",
  ema: "ema",
  stochslowk: "stochK",
  stochslowd: "stochD",
};

/**
 * Lower-cases object keys (two levels deep is all the format has), refusing keys that differ only in case.
 * A Map, not a plain object: `"constructor" in {}` is true and assigning `"__proto__"` would swap the
 * prototype, so such keys were reported as "appears twice" (or vanished). `Object.fromEntries` defines
 * own properties, so even `__proto__` stays an ordinary key for the schema to ignore.
 */
function lowerKeys(value: unknown, where: () => string): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const out = new Map<string, unknown>();
  for (const [key, v] of Object.entries(value)) {
    const lower = lowerKey(key);
    if (out.has(lower)) {
      throw new CandleError(`${where()}: the key "${key}" appears twice (keys ignore case)`);
    }
    out.set(lower, v);
  }
  return Object.fromEntries(out);
}

function normalize(json: unknown, source: string): unknown {
  if (!Array.isArray(json)) return json;
  return json.map((entry, e) => {
    const lowered = lowerKeys(entry, () => `${source}: entry ${e}`);
    if (typeof lowered !== "object" || lowered === null) return lowered;
    const record = lowered as Record<string, unknown>;
    const name = typeof record.symbol === "string" ? record.symbol : `entry ${e}`;
    if (!Array.isArray(record.candles)) return record;
    return {
      ...record,
      candles: record.candles.map((c, i) => lowerKeys(c, () => `${source}: ${name} candles[${i}]`)),
    };
  });
}

/** The export's shape as a hint spells it (SPEC §3). */
const EXPORT_SHAPE = '[{"symbol": "BTCUSDT", "candles": [{"o", "h", "l", "c", "v", "Rsi", …}, …]}, …]';

const SHAPE_HINT = `point --json-path at the C# bot's candle export, ${EXPORT_SHAPE} with keys in any case ` +
  "(SPEC §3), or export it from the bot again";

/** The keys every candle needs (the indicators and "t" may be missing), with the names other exports use. */
const PRICE_KEYS = { o: "open", h: "high", l: "low", c: "close", v: "volume" } as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A JSON value's kind in a message: "an object", "an array", "a string", "null", … */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty array" : "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "boolean") return String(value);
  return `a ${typeof value}`;
}

/** An entry's name in a message: its symbol where that is a usable one, else its position. */
function entryName(entry: Record<string, unknown>, e: number): string {
  const symbol = entry.symbol;
  return typeof symbol === "string" && SYMBOL_PATTERN.test(symbol.trim()) ? symbol.trim() : `entry ${e}`;
}

/**
 * Refuses JSON that is not an export at all: the wrong top level, an empty array, an entry that is not a
 * {"symbol", "candles"} object or lacks one of them, candles that are no array or empty, no candle an object,
 * or a price key no candle of a symbol has ("open" where the export says "o"). A usage error (2), as an empty
 * file or a raw CSV's wrong header is: the file named is not of the shape asked for, and no candle in it failed.
 * Before, each exited 1 with "fix the data named, or collect it again", whose rerun refused the same file. One
 * candle's problem in a file of the right shape (a key missing there alone, a value that is no number) is left
 * to the schema and stays 1, as a raw CSV's bad row does.
 */
function refuseOtherShape(json: unknown, source: string): void {
  const refuse = (message: string, hint = SHAPE_HINT): never => {
    throw new CandleError(`${source}: ${message}`, hint, 2);
  };
  if (!Array.isArray(json)) {
    // One symbol's entry without its array: said so, since wrapping it is all it needs.
    const keys = isRecord(json) ? Object.keys(json).map(lowerKey) : [];
    return refuse(
      `the top level: expected an array of {"symbol", "candles"} objects, got ${kindOf(json)}`,
      keys.includes("symbol") && keys.includes("candles")
        ? 'put that {"symbol", "candles"} object in an array, [ … ]: the export lists one such object per symbol'
        : SHAPE_HINT,
    );
  }
  if (json.length === 0) {
    return refuse(
      "the top level is an empty array: no symbol's candles in it",
      "export the candles from the C# bot again, or point --json-path at its candle export",
    );
  }
  json.forEach((entry, e) => {
    if (!isRecord(entry)) {
      return refuse(`entry ${e}: expected a {"symbol", "candles"} object, got ${kindOf(entry)}`);
    }
    if (entry.symbol === undefined) return refuse(`entry ${e} "symbol": missing`);
    if (typeof entry.symbol !== "string") {
      return refuse(`entry ${e} "symbol": expected the symbol as a string, got ${kindOf(entry.symbol)}`);
    }
    const name = entryName(entry, e);
    const candles = entry.candles;
    if (candles === undefined) return refuse(`${name} "candles": missing`);
    if (!Array.isArray(candles)) {
      return refuse(`${name} "candles": expected an array of candles, got ${kindOf(candles)}`);
    }
    if (candles.length === 0) {
      return refuse(
        `${name} has no candles`,
        `leave ${name} out of the export, or export its candles from the C# bot again`,
      );
    }
    const first = candles.findIndex(isRecord);
    if (first < 0) {
      return refuse(
        `${name} candles[0]: expected a candle object {"o", "h", "l", "c", "v", …}, got ${
          kindOf(candles[0])
        }, as is every candle of ${name}`,
      );
    }
    for (const [key, long] of Object.entries(PRICE_KEYS)) {
      if (candles.some((c) => isRecord(c) && Object.hasOwn(c, key))) continue;
      const keys = Object.keys(candles[first]);
      const shown = keys.slice(0, 12).map((k) => JSON.stringify(k.slice(0, 40))).join(", ");
      return refuse(
        `${name} candles[${first}].${key}: missing, as on every candle of ${name} (its keys: ${
          shown || "none"
        }${keys.length > 12 ? ", …" : ""})`,
        keys.includes(long)
          ? `the export names the ${long} "${key}" (open, high, low, close, volume: "o", "h", "l", "c", "v"; ` +
            "SPEC §3): rename the keys, or export the candles from the C# bot again"
          : `give every candle "${key}" (${long}); ${SHAPE_HINT}`,
      );
    }
  });
}

/** Where a zod issue sits, in the user's terms: "BTCUSDT candles[12].c". */
function locate(json: unknown, path: readonly PropertyKey[]): string {
  if (path.length === 0) return "the top level";
  const entry = Array.isArray(json) ? json[Number(path[0])] : undefined;
  const given = typeof entry === "object" && entry !== null
    ? (entry as Record<string, unknown>).symbol
    : null;
  // By its symbol where that is a usable name; by position where the symbol is missing or is the problem
  // (an empty one read `nosym.json:  "symbol": …`, a newline split the message).
  const symbol = typeof given === "string" && path[1] !== "symbol" && SYMBOL_PATTERN.test(given.trim())
    ? given.trim()
    : `entry ${String(path[0])}`;
  if (path.length === 1) return symbol;
  if (path[1] !== "candles" || path.length === 2) return `${symbol} "${String(path[1])}"`;
  return `${symbol} candles[${String(path[2])}]${path.length > 3 ? `.${String(path[3])}` : ""}`;
}

function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  let value = json;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** What to write for a "t" written as a date: whole ms, with the number that date is. */
function dateHint(text: string, { ms, zoned }: { ms: number; zoned: boolean }): string {
  const example = Number.isFinite(ms) ? ` (${text.trim()}${zoned ? "" : ", read as UTC,"} is ${ms})` : "";
  return `write "t" as Unix milliseconds${example}, as C#'s DateTimeOffset.ToUnixTimeMilliseconds() gives them, ` +
    "not the DateTime itself";
}

/** How much of a line a message quotes: a header whole, a kline dump's row to its first few values. */
const QUOTED_LINE = 60;

/**
 * A CSV given as the export (`--source json --json-path BTCUSDT-1h.csv`): a usage error (2) naming the flags
 * that read it. It was "not valid JSON (Unexpected token 'o', "open_time,"…)" with "fix the data named", exit 1,
 * over a file with nothing wrong in it (a user's trial). A CSV is text whose first line holds commas and starts
 * with neither `{` nor `[`; null for anything else.
 */
function csvGivenAsJson(source: string, body: string): CandleError | null {
  const first = body.trimStart().split(/\r?\n|\r/, 1)[0].trim();
  if (/^[[{"]/.test(first) || !first.includes(",")) return null;
  // What collect writes, given back to it: train reads it as it is (collect --source csv would refuse it too).
  if (first === TRAINING_CSV_HEADER.join(",")) {
    return new CandleError(
      `${source} is already a training CSV (symbol,open_time,…,stoch_d), not the C# bot's JSON export`,
      `give it to train as it is ('candlecast train --data ${shellWord(source)}')`,
      2,
    );
  }
  const header = Number.isNaN(Number(first.split(",")[0]));
  const line = first.length > QUOTED_LINE ? `${first.slice(0, QUOTED_LINE)}…` : first;
  return new CandleError(
    `${source} looks like a CSV, not the C# bot's JSON export (its first line is ${
      header ? "a header" : "a row"
    }: ${line})`,
    `use --source csv --csv-path ${shellWord(source)}${
      symbolFromFileName(source) === null
        ? " with --symbol (its name does not say whose candles they are)"
        : ""
    }`,
    2,
  );
}

/**
 * JSON that stops before its end (a copy or download cut short, a bot stopped mid-write): said as such, since
 * JSON's own words ("Unexpected end of JSON input", or "Expected ',' or '}'" at the last character) do not.
 * Null when the parser stopped before the text's end.
 */
function cutShortJson(source: string, body: string, message: string): CandleError | null {
  const at = /at position (\d+)/.exec(message);
  const atEnd = /end of JSON input/.test(message) || (at !== null && Number(at[1]) >= body.trimEnd().length);
  if (!atEnd) return null;
  return new CandleError(
    `${source}: not valid JSON (${message}): the file ends mid-document; was it cut short?`,
    "export the candles from the C# bot again, or copy the whole file again",
  );
}

/**
 * Parses an export's text into one series per symbol, each candle where the file has it (collect sorts them
 * by "t" as it sorts a CSV's rows), indicators as the bot sent them. An empty text (or only whitespace) is
 * refused as empty.
 */
export function parseCsharpExport(text: string, source = "C# export"): CandleSeries[] {
  const body = withoutBom(text);
  // Said as the CSV reader says it: "not valid JSON (Unexpected end of JSON input)" hid what was wrong.
  // Nothing in it to fix (2, as an empty CSV): "fix the data named, or collect it again" told collect's user to
  // run the command that had just refused.
  if (body.trim() === "") {
    throw new CandleError(
      `${source}: the file is empty`,
      "export the candles from the C# bot again, or point --json-path at its candle export",
      2,
    );
  }
  // JSON never holds a raw NUL; text read as UTF-8 does where it was written as UTF-16 (.NET's
  // Encoding.Unicode), every ASCII character followed by one: "not valid JSON (Unexpected token '��')" said
  // nothing of the encoding (a C# integrator's trial).
  if (body.includes("\u0000")) {
    throw new CandleError(
      `${source}: the file holds NUL bytes, as UTF-16 or UTF-32 text read as UTF-8 does, not JSON in UTF-8`,
      "write the export as UTF-8 (C#'s Encoding.UTF8, File.WriteAllText's default, not Encoding.Unicode), or " +
        `convert it: iconv -f UTF-16 -t UTF-8 ${shellWord(source)} > export.json`,
    );
  }
  let json: unknown;
  try {
    // Bare NaN (a warm-up indicator) and ±Infinity as the bot's serializer may write them: serve reads them so.
    json = parseJsonText(body);
  } catch (error) {
    const message = (error as Error).message;
    const mixUp = csvGivenAsJson(source, body) ?? cutShortJson(source, body, message);
    if (mixUp) throw mixUp;
    // A bot on a decimal-comma host writing numbers with ToString() gives "o":42000,5 — JSON's own message
    // ("Expected double-quoted property name") does not say that.
    const comma = /:\s*-?\d+,\d+\s*[,}\]]/.test(body);
    throw new CandleError(
      `${source}: not valid JSON (${message})${comma ? ": numbers with a decimal comma" : ""}`,
      comma ? DECIMAL_COMMA_HINT : undefined,
    );
  }
  const normalized = normalize(json, source);
  refuseOtherShape(normalized, source);
  const parsed = exportSchema.safeParse(normalized);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const value = issue.path.length > 0 ? valueAt(normalized, issue.path) : normalized;
    const missing = issue.path.length > 0 && value === undefined;
    const comma = typeof value === "string" && DECIMAL_COMMA.test(value.trim());
    // "t" as a date: System.Text.Json's default for a DateTime. "Fix the data named" said nothing of the fix.
    const date = issue.path.at(-1) === "t" && typeof value === "string" ? dateText(value.trim()) : null;
    throw new CandleError(
      `${source}: ${locate(normalized, issue.path)}: ${missing ? "missing" : issue.message}${
        comma ? ": a decimal comma" : date ? ": a date" : ""
      }`,
      comma ? DECIMAL_COMMA_HINT : date ? dateHint(value as string, date) : undefined,
    );
  }
  const seen = new Set<string>();
  for (const { symbol, candles } of parsed.data) {
    if (seen.has(symbol)) throw new CandleError(`${source}: ${symbol} appears twice; list each symbol once`);
    seen.add(symbol);
    const timed = candles.filter((c) => c.t !== undefined).length;
    if (timed !== 0 && timed !== candles.length) {
      const i = candles.findIndex((c) => (c.t === undefined) === (candles[0].t !== undefined));
      throw new CandleError(
        `${source}: ${symbol} candles[${i}]: "t" must be on every candle or on none (${timed} of ${candles.length} have it)`,
      );
    }
  }
  const times = openTimesInMs(parsed.data, source);
  return parsed.data.map(({ symbol, candles }, e) => {
    // The bot's TA library's EMA(50) warm-up slots, read as missing (collect computes them), as null is.
    const emaWarmUp = emaWarmUpZeros(candles.map((c) => c.ema));
    const rows = candles.map((c, i) => {
      const openTime = times[e][i];
      const row = {
        openTime,
        open: c.o,
        high: c.h,
        low: c.l,
        close: c.c,
        volume: c.v,
        ...Object.fromEntries(
          Object.entries(INDICATOR_KEYS).map(([key, col]) => [col, c[key as keyof typeof c] as number]),
        ),
        ema: i < emaWarmUp ? NaN : c.ema as number,
      };
      const where = `${source}: ${symbol} candles[${i}]`;
      const problem = ohlcvProblem(row, where);
      if (problem) throw new CandleError(problem);
      for (
        const [key, value] of [["Rsi", c.rsi], ["StochSlowK", c.stochslowk], ["StochSlowD", c.stochslowd]]
      ) {
        const bounded = boundedIndicatorProblem(value as number);
        if (bounded) throw new CandleError(`${where}: ${key} ${bounded}`);
      }
      const ema = emaProblem(row.ema);
      if (ema) {
        throw new CandleError(
          `${where}: Ema ${ema}`,
          "write null for an indicator still in its warm-up (or leave its key out): collect computes the " +
            "missing values from the candles",
        );
      }
      return row;
    });
    const series = seriesFromCandles(symbol, rows);
    assertFeaturesFit(series, (i) => `${source}: ${symbol} candles[${i}]`);
    return series;
  });
}

/**
 * Every candle's open time in ms (null without "t"), the unit read over the whole export at once: a file in
 * seconds is converted, a file mixing units refused (`openTimesToMs`).
 */
function openTimesInMs(
  entries: readonly { symbol: string; candles: readonly { t?: number }[] }[],
  source: string,
): (number | null)[][] {
  const flat = Float64Array.from(entries.flatMap(({ candles }) => candles.map((c) => c.t ?? NaN)));
  // Candle k of the flat list, named as the other checks name it (built only for the one in a message).
  const starts = entries.map((_, e) => entries.slice(0, e).reduce((n, { candles }) => n + candles.length, 0));
  openTimesToMs(flat, (k) => {
    const e = starts.findLastIndex((start) => start <= k);
    return `${source}: ${entries[e].symbol} candles[${k - starts[e]}]`;
  }, "t");
  let k = 0;
  return entries.map(({ candles }) =>
    candles.map(() => {
      const t = flat[k++];
      return Number.isNaN(t) ? null : t;
    })
  );
}

export async function readCsharpExport(path: string): Promise<CandleSeries[]> {
  const text = await readCandleFile(path);
  return parseCsharpExport(text, path);
}
