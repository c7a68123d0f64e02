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
  emptySeries,
  INDICATOR_COLUMNS,
  type IndicatorColumn,
  lowerKey,
  MAX_SYMBOL_LENGTH,
  ohlcvProblem,
  openTimesToMs,
  readCandleFile,
  SERIES_COLUMNS,
  SYMBOL_PATTERN,
  SYMBOL_RULE,
  TRAINING_CSV_HEADER,
  upperSymbol,
  withoutBom,
  zeroFilledIndicators,
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

/**
 * An entry of the export but its candles, which are read one by one (`readPlainCandle`, or `candleSchema` where
 * a candle is not plainly numbers): a schema over the whole array made a copy of every candle, on top of the
 * lower-cased copy made before it, and a million candles took 2.9 GB (a user-seat's trial: 362 MB for the same
 * candles as a CSV).
 */
const entrySchema = z.object({
  // Upper-cased as --symbols is: Binance's spelling, so a later Binance collect or retrain (which collects
  // the file's symbols) merges into the same rows rather than adding a second "BTCUSDT" beside "btcusdt".
  // One word as serve requires (a newline split the training CSV's row; a space matched no request).
  // In NFC, as --symbols and file names are: a bot on macOS may write a Hangul syllable as its jamo (NFD), and
  // its rows became a second symbol beside the same pair collected from Binance (one pair, "2 symbols").
  symbol: z.string({ error: "expected the symbol as a string" }).trim().min(1, "is empty")
    .max(MAX_SYMBOL_LENGTH, `must be at most ${MAX_SYMBOL_LENGTH} characters`)
    .regex(SYMBOL_PATTERN, SYMBOL_RULE)
    .transform((symbol) => upperSymbol(symbol.normalize("NFC"))),
});

/**
 * A candle's keys (lower-cased), in `candleSchema`'s order: slot k fills column `SLOT_COLUMNS[k]` of the series,
 * the open time then the series' columns in their order ("o" open … "stochslowd" stochD).
 */
const SLOTS = candleSchema.keyof().options;
const SLOT_COLUMNS = ["openTime", ...SERIES_COLUMNS] as const satisfies readonly (keyof CandleSeries)[];
/** The slots of "o", "h", "l", "c" and "v", every one of which a candle needs. */
const PRICE_SLOTS = 0b111110;

/**
 * Lower-cases object keys (an entry's), refusing keys that differ only in case.
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

/** `lowerKey`, remembered: a million candles repeat the same dozen keys. */
const lowered = (() => {
  const seen = new Map<string, string>();
  return (key: string): string => {
    let lower = seen.get(key);
    if (lower === undefined) seen.set(key, lower = lowerKey(key));
    return lower;
  };
})();

/** Whether a candle has `key` (lower-cased), whatever the case it is written in. */
const hasKey = (candle: Record<string, unknown>, key: string) =>
  Object.keys(candle).some((k) => lowered(k) === key);

/**
 * The entries with their keys lower-cased; their candles are left as they are, only refused (as entries are)
 * where two keys differ only in case, every candle checked before any is read.
 */
function normalize(json: unknown, source: string): unknown {
  if (!Array.isArray(json)) return json;
  return json.map((entry, e) => {
    const record = lowerKeys(entry, () => `${source}: entry ${e}`);
    if (!isRecord(record)) return record;
    const name = typeof record.symbol === "string" ? record.symbol : `entry ${e}`;
    if (Array.isArray(record.candles)) {
      record.candles.forEach((c, i) => {
        if (!isRecord(c)) return;
        const keys = Object.keys(c);
        if (keys.length < 2) return;
        const seen: string[] = [];
        for (const key of keys) {
          const lower = lowered(key);
          if (seen.includes(lower)) {
            throw new CandleError(
              `${source}: ${name} candles[${i}]: the key "${key}" appears twice (keys ignore case)`,
            );
          }
          seen.push(lower);
        }
      });
    }
    return record;
  });
}

/** Slot of each key as the export writes it (-1: a key the format has not), remembered. */
const slotOf = (() => {
  const seen = new Map<string, number>();
  return (key: string): number => {
    let slot = seen.get(key);
    if (slot === undefined) seen.set(key, slot = (SLOTS as readonly string[]).indexOf(lowered(key)));
    return slot;
  };
})();

/**
 * Candle `i` into `columns` (one per slot) when it is plainly numbers: "t" a whole number ≥ 0, prices finite
 * numbers, indicators numbers, NaN or null, or absent (as "t" and the indicators may be). False for anything
 * else, which the schema then reads (numbers written as strings) or names (what is wrong, where): the same
 * values and words as when the schema read every candle.
 */
function readPlainCandle(c: unknown, columns: readonly Float64Array[], i: number): boolean {
  if (!isRecord(c)) return false;
  let filled = 0;
  for (const key in c) {
    const slot = slotOf(key);
    if (slot < 0) continue;
    let v = c[key];
    if (slot === 0) {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0) return false;
    } else if (slot < 6) {
      if (typeof v !== "number" || !Number.isFinite(v)) return false;
    } else if (v === null) v = NaN;
    else if (typeof v !== "number" || v === Infinity || v === -Infinity) return false;
    columns[slot][i] = v as number;
    filled |= 1 << slot;
  }
  if ((filled & PRICE_SLOTS) !== PRICE_SLOTS) return false;
  for (let slot = 0; slot < SLOTS.length; slot++) if (!(filled & (1 << slot))) columns[slot][i] = NaN;
  return true;
}

/** The export's shape as a hint spells it (SPEC §3). */
const EXPORT_SHAPE = '[{"symbol": "BTCUSDT", "candles": [{"o", "h", "l", "c", "v", "Rsi", …}, …]}, …]';

const SHAPE_HINT = `point --json-path at the C# bot's candle export, ${EXPORT_SHAPE} with keys in any case ` +
  "(SPEC §3), or export it from the bot again";

/** The keys every candle needs (the indicators and "t" may be missing), with the names other exports use. */
const PRICE_KEYS = { o: "open", h: "high", l: "low", c: "close", v: "volume" } as const;

/** An entry as `refuseOtherShape` lets it through: keys lower-cased, a string symbol, a non-empty candle array. */
type ExportEntry = Record<string, unknown> & {
  readonly symbol: string;
  readonly candles: readonly unknown[];
};

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
function refuseOtherShape(json: unknown, source: string): asserts json is ExportEntry[] {
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
      if (candles.some((c) => isRecord(c) && hasKey(c, key))) continue;
      const keys = Object.keys(candles[first]).map(lowered);
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
  json = null; // the entries hold the candles still: the parsed text is all they need
  // A problem at `path` (under the export, or under `under`, a candle lower-cased), said in the user's terms.
  const issueError = (path: readonly PropertyKey[], message: string, value: unknown): CandleError => {
    const missing = path.length > 0 && value === undefined;
    const comma = typeof value === "string" && DECIMAL_COMMA.test(value.trim());
    // "t" as a date: System.Text.Json's default for a DateTime. "Fix the data named" said nothing of the fix.
    const date = path.at(-1) === "t" && typeof value === "string" ? dateText(value.trim()) : null;
    return new CandleError(
      `${source}: ${locate(normalized, path)}: ${missing ? "missing" : message}${
        comma ? ": a decimal comma" : date ? ": a date" : ""
      }`,
      comma ? DECIMAL_COMMA_HINT : date ? dateHint(value as string, date) : undefined,
    );
  };
  // Each entry in turn, its symbol then its candles, as a schema over the whole export met its first problem.
  const parsed = normalized.map((entry, e) => {
    const head = entrySchema.safeParse(entry);
    if (!head.success) {
      const issue = head.error.issues[0];
      const path = [e, ...issue.path];
      throw issueError(path, issue.message, valueAt(normalized, path));
    }
    const candles = entry.candles;
    const series = emptySeries(head.data.symbol, candles.length);
    const columns = SLOT_COLUMNS.map((name) => series[name]);
    candles.forEach((c, i) => {
      if (readPlainCandle(c, columns, i)) return;
      const candle = lowerKeys(c, () => "");
      const read = candleSchema.safeParse(candle);
      if (!read.success) {
        const issue = read.error.issues[0];
        const value = issue.path.length > 0 ? valueAt(candle, issue.path) : candle;
        throw issueError([e, "candles", i, ...issue.path], issue.message, value);
      }
      SLOTS.forEach((key, slot) => (columns[slot][i] = read.data[key] ?? NaN));
    });
    return series;
  });
  const seen = new Set<string>();
  for (const { symbol, length, openTime } of parsed) {
    if (seen.has(symbol)) throw new CandleError(`${source}: ${symbol} appears twice; list each symbol once`);
    seen.add(symbol);
    const timed = openTime.filter((t) => !Number.isNaN(t)).length;
    if (timed !== 0 && timed !== length) {
      const i = openTime.findIndex((t) => Number.isNaN(t) === !Number.isNaN(openTime[0]));
      throw new CandleError(
        `${source}: ${symbol} candles[${i}]: "t" must be on every candle or on none (${timed} of ${length} have it)`,
      );
    }
  }
  openTimesInMs(parsed, source);
  return parsed.map((series) => {
    const { symbol } = series;
    // The bot's TA library's EMA(50) warm-up slots, read as missing (collect computes them), as null is.
    series.ema.fill(NaN, 0, emaWarmUpZeros(series.ema));
    for (let i = 0; i < series.length; i++) {
      const where = `${source}: ${symbol} candles[${i}]`;
      const problem = ohlcvProblem(
        {
          openTime: null,
          open: series.open[i],
          high: series.high[i],
          low: series.low[i],
          close: series.close[i],
          volume: series.volume[i],
        },
        where,
      );
      if (problem) throw new CandleError(problem);
      for (
        const [key, value] of [["Rsi", series.rsi[i]], ["StochSlowK", series.stochK[i]], [
          "StochSlowD",
          series.stochD[i],
        ]] as const
      ) {
        const bounded = boundedIndicatorProblem(value);
        if (bounded) throw new CandleError(`${where}: ${key} ${bounded}`);
      }
      const ema = emaProblem(series.ema[i]);
      if (ema) {
        throw new CandleError(
          `${where}: Ema ${ema}`,
          "write null for an indicator still in its warm-up (or leave its key out): collect computes the " +
            "missing values from the candles",
        );
      }
    }
    assertFeaturesFit(series, (i) => `${source}: ${symbol} candles[${i}]`);
    return series;
  });
}

/**
 * Every candle's open time converted to ms in place (NaN without "t"), the unit read over the whole export at
 * once: a file in seconds is converted, a file mixing units refused (`openTimesToMs`).
 */
function openTimesInMs(entries: readonly CandleSeries[], source: string): void {
  const flat = new Float64Array(entries.reduce((n, s) => n + s.length, 0));
  // Candle k of the flat list, named as the other checks name it (built only for the one in a message).
  const starts: number[] = [];
  for (const s of entries) {
    starts.push(starts.length === 0 ? 0 : starts.at(-1)! + entries[starts.length - 1].length);
    flat.set(s.openTime, starts.at(-1)!);
  }
  openTimesToMs(flat, (k) => {
    const e = starts.findLastIndex((start) => start <= k);
    return `${source}: ${entries[e].symbol} candles[${k - starts[e]}]`;
  }, "t");
  entries.forEach((s, e) => s.openTime.set(flat.subarray(starts[e], starts[e] + s.length)));
}

/** An indicator column by the export's key for it, as messages about the export name it. */
const EXPORT_KEYS: Record<IndicatorColumn, string> = {
  rsi: "Rsi",
  macd: "Macd",
  macdSignal: "MacdSign",
  macdHist: "MacdHist",
  ema: "Ema",
  stochK: "StochSlowK",
  stochD: "StochSlowD",
};

/** What `zeroFilledAsMissing` read as missing in one symbol's export. */
export interface ZeroFilled {
  /** The warning line that says so. */
  readonly warning: string;
  /** The export's keys of those indicators, listed ("Rsi, Macd and MacdSign"). */
  readonly listed: string;
  /**
   * Whether the export gives no indicator value of the symbol at all once they are read as missing (the EMA's
   * zeros were read as missing at parse): every indicator collect writes for it is then computed.
   */
  readonly givesNone: boolean;
}

/**
 * Reads as missing, so collect computes them from the candles as it does null ones, the indicators of one
 * symbol (`series`, in time order) that the export gives as 0 on every candle past TA-Lib's warm-up where its
 * candles give other values (`zeroFilledIndicators`: the bot's indicator step did not run, and C# wrote each
 * unset double as 0); what it read so, or null. Kept, they went into the training CSV as readings of 0
 * without a word. The EMA is not among them: a leading run of 0s is read as missing at parse already.
 */
export function zeroFilledAsMissing(series: CandleSeries, source: string): ZeroFilled | null {
  const zeroed = zeroFilledIndicators(series);
  if (zeroed.length === 0) return null;
  for (const col of zeroed) {
    const column = series[col];
    for (let i = 0; i < column.length; i++) if (column[i] === 0) column[i] = NaN;
  }
  const keys = zeroed.map((col) => EXPORT_KEYS[col]);
  const listed = keys.length === 1 ? keys[0] : `${keys.slice(0, -1).join(", ")} and ${keys.at(-1)}`;
  const warning =
    `warning: ${source}: ${series.symbol}: ${listed} ${
      keys.length === 1 ? "is" : "are"
    } 0 on every candle past the indicators' warm-up, where its candles give other values (did the bot's ` +
    "indicator step run?): read as missing and computed from the candles, as null ones are";
  const givesNone = INDICATOR_COLUMNS.every((col) => series[col].every(Number.isNaN));
  return { warning, listed, givesNone };
}

export async function readCsharpExport(path: string): Promise<CandleSeries[]> {
  return parseCsharpExport(await readCandleFile(path), path);
}
