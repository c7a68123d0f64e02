/**
 * `collect`'s flags → one typed options value per source. Commander hands over strings with defaults filled
 * in; `given` says which flags the user actually typed, so a flag meant for another source is refused and
 * `--limit`'s default applies only to binance, and only when neither `--start-date` nor `--months` was chosen
 * (a file source without a window is read whole).
 */
import { z } from "zod";
import { UsageError } from "../errors.ts";
import { flag, parseFlags, splitList } from "../flags.ts";
import {
  type Interval,
  INTERVALS,
  MAX_SYMBOL_LENGTH,
  SYMBOL_PATTERN,
  SYMBOL_RULE,
  upperSymbol,
} from "../../features/index.ts";

/** Where candles come from; commander's `.choices()` holds the flag to these, and `parseCollectFlags` checks
 * again since it is exported to callers commander does not stand in front of. */
export const SOURCES = ["binance", "json", "csv"] as const;
export type Source = typeof SOURCES[number];

/** Which closed candles to fetch: the latest N, from a UTC day (to an exclusive one), or the last N months. */
export type Window =
  | { kind: "latest"; count: number }
  | { kind: "dates"; startDate: string; endDate?: string }
  | { kind: "months"; months: number };

/** What every source shares: where to merge, and whether rows that differ from the file may replace it. */
interface Destination {
  output: string;
  /** Overwrite rows whose (symbol, open_time) exist with different OHLCV; otherwise such a run fails. */
  replace?: boolean;
}

export type CollectOptions =
  | Destination & {
    source: "binance";
    symbols: string[];
    interval: Interval;
    window: Window;
    baseUrl: string;
  }
  | Destination & {
    source: "json";
    jsonPath: string;
    interval?: Interval;
    /** The candles to take from the file; none: all of them. */
    window?: Window;
  }
  | Destination & {
    source: "csv";
    /** One or more files, in the order given; several may hold one symbol (monthly dumps). */
    files: CsvFile[];
    interval?: Interval;
    /** The candles to take from the file; none: all of them. */
    window?: Window;
  };

/** One OHLCV CSV and the symbol its candles are collected as. */
export interface CsvFile {
  path: string;
  symbol: string;
  /** Set when the symbol was read from the file's name (`ETHUSDT-1h.csv`), so the run can say so. */
  symbolFromFileName?: boolean;
}

export const DEFAULT_LIMIT = 1000;

/**
 * One character of a Binance symbol: an upper-case Latin letter, an ASCII digit, or a letter (`\p{Lo}`) of the
 * Chinese, Japanese or Korean scripts, Han, Hiragana, Katakana and Hangul (币安人生USDT, listed 2025, whose
 * requests and public dumps carry it as it is; Binance lists no other script). Any caseless letter (96bb3c7)
 * let in look-alikes of Latin capitals, ꓐꓔꓚUSDT in Lisu or ᗷTCUSDT in Canadian Syllabics read as BTCUSDT, and
 * right-to-left letters (Hebrew, Arabic) that reorder the line they are printed in; both are refused again.
 * Refused though of those scripts: an invisible filler (ㅤ, U+3164, Lo but drawn as nothing), the half-width
 * forms of kana and Hangul (U+FF61–U+FFDC: a second spelling of a full-width letter that NFC does not merge),
 * and the conjoining jamo NFC leaves uncomposed (U+1100–U+11FF, U+A960–U+A97F, U+D7B0–U+D7FF: old Hangul, or
 * a vowel with no consonant before it, drawn on the character before). Lower case, Greek and Cyrillic capitals
 * (a Β that reads as B), spaces, punctuation, emoji and control or bidi characters stay refused, as they were
 * before 96bb3c7, when any letter but a Latin capital was "expected a Binance symbol such as BTCUSDT".
 */
const CJK_LETTER =
  String.raw`(?![\u1100-\u11FF\uA960-\uA97F\uD7B0-\uD7FF\uFF61-\uFFDC]|\p{Default_Ignorable_Code_Point})` +
  String.raw`(?=\p{Lo})[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]`;
const SYMBOL_CHAR = `(?:[A-Z0-9]|${CJK_LETTER})`;
const SYMBOL = new RegExp(`^${SYMBOL_CHAR}{2,30}$`, "u");

/**
 * Whether Binance could know `symbol` (upper-case letters, digits and Chinese, Japanese or Korean letters:
 * BTCUSDT, 币安人生USDT, not BTC/USDT, btcusdt or ꓐꓔꓚUSDT).
 */
export const isBinanceSymbol = (symbol: string): boolean => SYMBOL.test(symbol);

/**
 * A symbol typed or read from a file name, in the one spelling Binance and the training CSV use: upper case
 * (upperSymbol) and NFC, since a name typed on macOS or read from its file system may spell a Hangul syllable
 * as its jamo (NFD), another string than the exchange's and the rows already written for it.
 */
const binanceSpelling = (symbol: string): string => upperSymbol(symbol.normalize("NFC"));

/** A Binance interval, as collect takes it (retrain passes its --interval on to collect). */
export const IntervalSchema = z.enum(INTERVALS, {
  error: `expected one of ${INTERVALS.join(" ")} (case-sensitive: 1m is a minute, 1M a month)`,
});
const output = z.string().trim().min(1, "expected a file path");
// upperSymbol, as a C# export's symbols are read: a tr-TR shell's `${s^^}` or .NET's ToUpper() writes LİNKUSDT
// (dotted İ), which a plain toUpperCase() kept and the regex then refused without saying which value or why.
const symbol = z.string().trim().transform(binanceSpelling).pipe(
  z.string().regex(SYMBOL, { error: (issue) => notASymbol(String(issue.input)) }),
);

/**
 * A character a terminal draws as nothing, on the character before it, or that reorders what follows:
 * controls, format characters (bidi marks among them), fillers, spaces other than the plain one, combining
 * marks and the Hangul vowel and final jamo (printed after "holds ", a mark sat on the space).
 */
const INVISIBLE = /(?! )[\p{C}\p{Default_Ignorable_Code_Point}\p{Z}\p{M}\u1160-\u11FF\uD7B0-\uD7FF]/u;

/** A character's code point as Unicode writes it: `U+200B`. */
const codeOf = (c: string): string => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/** `text` as a message shows it: each character drawn as nothing or that reorders the line as its code. */
const INVISIBLE_ALL = new RegExp(INVISIBLE, "gu");
const shownText = (text: string): string => text.replace(INVISIBLE_ALL, (c) => `<${codeOf(c)}>`);

/** A refused character as a message names it: "ꓐ, U+A4D0", or the code alone for one drawn as nothing. */
const heldCharacter = (c: string): string => `${INVISIBLE.test(c) ? "" : `${c}, `}${codeOf(c)}`;

/**
 * Why `value` (upper-cased) is no Binance symbol, naming it: in a list of four the bad one was not said, and a
 * look-alike letter (Cyrillic А, a full-width digit) reads as the right one on screen. A character drawn as
 * nothing or that reorders the line (a bidi override, U+202E) is written as its code, not printed: printed, it
 * turned the rest of the message around on the terminal.
 */
function notASymbol(value: string): string {
  const foreign = [...value].find((c) => !SYMBOL.test(`${c}${c}`) && c.charCodeAt(0) > 0x7f);
  return `expected a Binance symbol such as BTCUSDT, got ${shownText(JSON.stringify(value))}` +
    (foreign === undefined
      ? ""
      : ` (it holds ${
        heldCharacter(foreign)
      }, which is no Latin capital, digit, or Chinese, Japanese or Korean ` +
        "letter)");
}

/**
 * A CSV's symbol, by the rule a C# export's is read by (`SYMBOL_PATTERN`, upper-cased): the candles are not
 * fetched from Binance, so another exchange's spelling (BTC/USDT) is collected as the export, train and serve
 * take it. Binance's rule refused it with a hint to read --help, which said nothing about it.
 */
const fileSymbol = z.string().trim().min(1, "is empty")
  .max(MAX_SYMBOL_LENGTH, `must be at most ${MAX_SYMBOL_LENGTH} characters`)
  .regex(SYMBOL_PATTERN, SYMBOL_RULE)
  .transform(binanceSpelling);

const day = flag.date();
const replace = z.boolean().optional().transform((v) => v === true);

/** The window flags, shared by every source: the same names, checks and meaning. */
const windowFlags = {
  limit: flag.positiveInt("a whole number of candles, at least 1").optional(),
  startDate: day.optional(),
  endDate: day.optional(),
  months: flag.positiveInt("a whole number of months, at least 1").optional(),
};

type WindowFlags = { limit?: number; startDate?: string; endDate?: string; months?: number };

function refuseWindowMix(o: WindowFlags, ctx: z.RefinementCtx): void {
  const chosen = (["limit", "startDate", "months"] as const).filter((k) => o[k] !== undefined);
  if (chosen.length > 1) {
    ctx.addIssue({
      code: "custom",
      path: [chosen[1]],
      message: "choose one of --limit, --start-date or --months",
    });
  }
  if (o.endDate !== undefined && o.startDate === undefined) {
    ctx.addIssue({ code: "custom", path: ["endDate"], message: "needs --start-date" });
  }
  if (o.endDate !== undefined && o.startDate !== undefined && o.endDate <= o.startDate) {
    ctx.addIssue({
      code: "custom",
      path: ["endDate"],
      message: `must be after --start-date ${o.startDate} (the end date is exclusive)`,
    });
  }
}

/** The window typed, if any (a file source without one is read whole; binance then takes --limit's default). */
function windowOf(o: WindowFlags): Window | undefined {
  return o.startDate !== undefined
    ? { kind: "dates", startDate: o.startDate, endDate: o.endDate }
    : o.months !== undefined
    ? { kind: "months", months: o.months }
    : o.limit !== undefined
    ? { kind: "latest", count: o.limit }
    : undefined;
}

const binanceFlags = z.object({
  source: z.literal("binance"),
  symbols: z.preprocess(
    (v) => splitList(v as string[]),
    z.array(symbol).min(1, "expected at least one symbol, e.g. --symbols BTCUSDT ETHUSDT"),
  ),
  interval: IntervalSchema,
  ...windowFlags,
  baseUrl: z.url({ protocol: /^https?$/, error: "expected an http(s) URL such as https://api.binance.com" }),
  output,
  replace,
}).superRefine(refuseWindowMix).transform((o): CollectOptions => ({
  source: "binance",
  symbols: [...new Set(o.symbols)],
  interval: o.interval,
  window: windowOf(o) ?? { kind: "latest", count: DEFAULT_LIMIT },
  baseUrl: o.baseUrl,
  output: o.output,
  replace: o.replace,
}));

const jsonFlags = z.object({
  source: z.literal("json"),
  jsonPath: z.string().trim().min(1, "expected a file path"),
  interval: IntervalSchema.optional(),
  ...windowFlags,
  output,
  replace,
}).superRefine(refuseWindowMix).transform((o): CollectOptions => ({
  source: "json",
  jsonPath: o.jsonPath,
  interval: o.interval,
  window: windowOf(o),
  output: o.output,
  replace: o.replace,
}));

const csvFlags = z.object({
  source: z.literal("csv"),
  csvPath: z.preprocess(
    (v) => (typeof v === "string" ? [v] : v),
    z.array(z.string().trim().min(1, "expected a file path")).min(1, "expected a file path"),
  ),
  symbol: fileSymbol.optional(),
  interval: IntervalSchema.optional(),
  ...windowFlags,
  output,
  replace,
}).superRefine(refuseWindowMix).transform((o): CollectOptions => ({
  source: "csv",
  // csvSymbol has checked that each file has a symbol: --symbol (one file) or its name.
  files: o.csvPath.map((path) => ({
    path,
    symbol: o.symbol ?? symbolFromFileName(path) ?? "",
    symbolFromFileName: o.symbol === undefined,
  })),
  interval: o.interval,
  window: windowOf(o),
  output: o.output,
  replace: o.replace,
}));

/**
 * The symbol a Binance-style file name carries: `ETHUSDT-1h.csv`, `BTCUSDT-1h-2024-01.csv` (the public kline
 * dumps' naming). Null for names that do not look like that, e.g. `raw.csv`.
 */
export function symbolFromFileName(path: string): string | null {
  return binanceName(path)?.symbol ?? null;
}

/**
 * The interval such a name states (`ETHUSDT-1h.csv`: `1h`), in Binance's spelling (`m` minutes, `M` months).
 * Null for names that do not look like that.
 *
 * @example
 * ```ts
 * intervalFromFileName("dl/BTCUSDT-30m-2024-01.csv"); // "30m"
 * ```
 */
export function intervalFromFileName(path: string): string | null {
  return binanceName(path)?.interval ?? null;
}

/**
 * A Binance-style file name: lower case too (ethusdt-1h.csv, upper-cased), and Chinese letters as Binance's
 * own dumps name them (币安人生USDT-1h.csv): before, such a file "did not say which symbol it holds" and a
 * folder with one failed.
 */
const BINANCE_NAME = new RegExp(`^((?:[a-z]|${SYMBOL_CHAR}){2,30})-(\\d+[smhdwM])([-_.]|$)`, "u");

function binanceName(path: string): { symbol: string; interval: string } | null {
  const name = path.split(/[\\/]/).at(-1) ?? "";
  const match = BINANCE_NAME.exec(name.normalize("NFC"));
  return match ? { symbol: binanceSpelling(match[1]), interval: match[2] } : null;
}

/**
 * Refuses a run whose files' symbols are not known: `--symbol` names the one file's, else each file's name
 * must (`ETHUSDT-1h.csv`); a CSV carries no symbol, and a wrong one silently rewrites history. `--symbol`
 * with several files would file every one of them under one symbol.
 */
function refuseUnknownSymbols(raw: Record<string, unknown>, given: ReadonlySet<string>): void {
  const paths = typeof raw.csvPath === "string"
    ? [raw.csvPath]
    : Array.isArray(raw.csvPath)
    ? raw.csvPath.map(String)
    : [];
  if (given.has("symbol")) {
    if (paths.length <= 1) return;
    throw new UsageError(
      `--symbol names the one symbol of a single file, and --csv-path names ${paths.length} files (${
        listed(paths)
      }): each would be collected as ${upperSymbol(String(raw.symbol))}`,
      "leave --symbol out: each file's symbol is read from its name (ETHUSDT-1h.csv); collect a file " +
        "named otherwise in a run of its own with --symbol",
    );
  }
  const unnamed = paths.find((p) => symbolFromFileName(p) === null);
  if (unnamed === undefined && paths.length > 0) return;
  // Printed as it is, `BTC\u200bUSDT-1h.csv` looked exactly like a name collect takes (a docs seat).
  const shown = unnamed === undefined ? "" : shownText(unnamed);
  if (paths.length > 1) {
    throw new UsageError(
      `--csv-path: ${shown} does not say which symbol it holds (its name is not like ETHUSDT-1h.csv` +
        `${refusedInName(unnamed!)}), and --symbol can name only a single file's`,
      "rename it like ETHUSDT-1h.csv, or collect it in a run of its own with --symbol",
    );
  }
  throw new UsageError(
    `--symbol is required with --source csv (${shown || "the file"} does not say which symbol it holds` +
      `${unnamed ? refusedInName(unnamed) : ""})`,
    "name it, e.g. --symbol ETHUSDT, or name the file like ETHUSDT-1h.csv",
  );
}

/**
 * For a name shaped like Binance's (`<symbol>-<interval>…`) whose symbol part holds a character a Binance
 * symbol may not (a zero-width space, a Lisu look-alike of B), which one: the name alone did not say why it
 * was not taken. Empty otherwise.
 */
function refusedInName(path: string): string {
  const name = (path.split(/[\\/]/).at(-1) ?? "").normalize("NFC");
  const part = /^(.{2,30}?)-\d+[smhdwM](?:[-_.]|$)/u.exec(name)?.[1];
  const bad = part === undefined
    ? undefined
    : [...part].find((c) => !/[a-z]/.test(c) && !SYMBOL.test(`${c}${c}`));
  return bad === undefined
    ? ""
    : `: its symbol part holds ${
      heldCharacter(bad)
    }, which is no Latin letter, digit, or Chinese, Japanese or ` +
      "Korean letter";
}

/** "a.csv, b.csv, c.csv and 4 more": paths in a one-line message. */
function listed(paths: readonly string[], shown = 3): string {
  const more = paths.length - shown;
  return paths.slice(0, shown).join(", ") + (more > 0 ? ` and ${more} more` : "");
}

/** Flags that only make sense with one source, by their commander attribute name. */
const ONLY_FOR: Record<string, Source> = {
  symbols: "binance",
  baseUrl: "binance",
  jsonPath: "json",
  csvPath: "csv",
  symbol: "csv",
};

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());

/**
 * The options of one `collect` from commander's values (`raw`) and the flags typed (`given`); a flag of
 * another source or a bad value throws a UsageError.
 */
export function parseCollectFlags(raw: Record<string, unknown>, given: ReadonlySet<string>): CollectOptions {
  const parsedSource = z.enum(SOURCES).safeParse(raw.source);
  if (!parsedSource.success) {
    throw new UsageError(
      `--source: expected one of ${SOURCES.join(", ")}, got ${JSON.stringify(raw.source) ?? "nothing"}`,
      "run 'candlecast collect --help' for the flags and their defaults",
    );
  }
  const source = parsedSource.data;
  for (const name of given) {
    const only = ONLY_FOR[name];
    if (only === undefined || only === source) continue;
    // The two symbol flags are one letter apart: point at the other one, not at the whole --help.
    const hint = name === "symbol" && source === "binance"
      ? "with --source binance, name symbols with --symbols"
      : name === "symbols" && source === "csv"
      ? "with --source csv, name the file's one symbol with --symbol (or name the file like BTCUSDT-1h.csv)"
      : `run 'candlecast collect --help' for which flags go with which source`;
    throw new UsageError(`--${kebab(name)} applies only to --source ${only}, not ${source}`, hint);
  }
  const onlyGiven = (name: string) => (given.has(name) ? raw[name] : undefined);
  switch (source) {
    case "binance":
      return parseFlags("collect", binanceFlags, { ...raw, limit: onlyGiven("limit") });
    case "json":
      return parseFlags("collect", jsonFlags, {
        ...raw,
        interval: onlyGiven("interval"),
        limit: onlyGiven("limit"),
      });
    case "csv":
      refuseUnknownSymbols(raw, given);
      return parseFlags("collect", csvFlags, {
        ...raw,
        symbol: onlyGiven("symbol"),
        interval: onlyGiven("interval"),
        limit: onlyGiven("limit"),
      });
  }
}
