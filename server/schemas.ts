/**
 * Request bodies of SPEC §4, parsed once at the boundary: what passes is a typed `PredictRequest` the rest
 * of the server trusts; what fails becomes one `detail` line that names the field as a client wrote it
 * (`candles[12].close: expected a finite number`), the same for HTTP and `candlecast predict`.
 */
import { z } from "zod";
import type { SeriesColumn } from "../features/index.ts";
import {
  boundedIndicatorProblem,
  candleProblem,
  DECIMAL_COMMA,
  describeCandleProblem,
  EMA_WARM_UP,
  emaProblem,
  MAX_SYMBOL_LENGTH,
  misreadOpenTime,
  SYMBOL_PATTERN,
  SYMBOL_RULE,
} from "../features/index.ts";

/** One candle as the C# bot sends it (the seed README's field names). */
export interface RequestCandle {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly rsi: number;
  readonly macd: number;
  readonly macdSign: number;
  readonly macdHist: number;
  readonly ema: number;
  readonly stochSlowK: number;
  readonly stochSlowD: number;
  /** Optional candle open time (ms since the epoch): lets `candlecast monitor` join outcomes by time. */
  readonly openTime?: number;
}

/** Each series column's name in a request candle (SPEC §4), in the series' column order. */
export const REQUEST_FIELDS = {
  open: "open",
  high: "high",
  low: "low",
  close: "close",
  volume: "volume",
  rsi: "rsi",
  macd: "macd",
  macdSignal: "macdSign",
  macdHist: "macdHist",
  ema: "ema",
  stochK: "stochSlowK",
  stochD: "stochSlowD",
} as const satisfies Record<SeriesColumn, keyof RequestCandle>;

export interface PredictRequest {
  readonly symbol: string;
  readonly candles: readonly RequestCandle[];
}

/**
 * Bounds that no honest body under the 1 MiB limit reaches (a candle is ≥ 100 bytes), checked before the
 * schema runs: a megabyte of `[0,0,0,…]` would otherwise make zod report half a million issues, and a batch
 * of half a million empty items would be answered with tens of megabytes of per-item errors.
 */
export const MAX_CANDLES = 10_000;
export const MAX_BATCH = 1_000;

const finite = () => z.number({ error: (issue) => notFiniteMessage(issue.input) });

/**
 * Why a value is not a number the model takes. A number written as a string with a decimal comma is what a
 * bot formatting with its host's culture sends (de-DE, tr-TR: `42000,5`): that is said, with the fix. Other
 * strings are not echoed (a body is the client's, and may be large).
 */
function notFiniteMessage(input: unknown): string {
  if (input === undefined) return "is missing (expected a finite number)";
  // The rule collect names a decimal comma by ("1.234,5" too), and a length no price written so exceeds:
  // the string is echoed, and a megabyte of digits with one comma is no number a culture wrote.
  if (typeof input === "string" && input.length <= 40 && DECIMAL_COMMA.test(input.trim())) {
    return `expected a finite number, got the string ${
      JSON.stringify(input.trim())
    }, a decimal comma: send ` +
      "numbers as JSON numbers with '.' (in C#, a double, or x.ToString(CultureInfo.InvariantCulture))";
  }
  return "expected a finite number";
}

/**
 * The candle rule collect also applies (features' `candleProblem`: positive finite prices, volume ≥ 0, the
 * bar's shape high ≥ max(open, close) ≥ min(open, close) ≥ low, as features divide by its range), plus RSI
 * and the stochastics within 0–100: a value outside is a broken client, and would get a confident answer.
 * One refinement instead of per-field checks: zod's checks cost 3× the parse itself.
 */
function checkBar(c: RequestCandle, ctx: z.RefinementCtx): void {
  const problem = candleProblem(c);
  if (problem) {
    ctx.addIssue({ code: "custom", path: [problem.field], message: describeCandleProblem(problem) });
  }
  for (const field of BOUNDED_FIELDS) {
    const message = boundedIndicatorProblem(c[field]);
    if (message) ctx.addIssue({ code: "custom", path: [field], message });
  }
}

/** The request's names for features' BOUNDED_INDICATORS (RSI, slow %K, slow %D). */
const BOUNDED_FIELDS = ["rsi", "stochSlowK", "stochSlowD"] as const;

const CandleSchema = z.object({
  open: finite(),
  high: finite(),
  low: finite(),
  close: finite(),
  volume: finite(),
  rsi: finite(),
  macd: finite(),
  macdSign: finite(),
  macdHist: finite(),
  ema: finite(),
  stochSlowK: finite(),
  stochSlowD: finite(),
  openTime: z.number({ error: "expected a time in ms since the epoch" }).superRefine(checkTimeUnit)
    .int("expected whole milliseconds").nonnegative("expected a time in ms since the epoch").optional(),
}, { error: "expected a candle object" }).superRefine(checkBar);

/**
 * Open times of real candles in seconds (C#'s `ToUnixTimeSeconds()`), µs (Binance's dumps since 2025) or ns
 * (pandas): as ms they are 1970 or after the year 5138. Accepted, they were logged as such and `monitor` could
 * never find their outcomes, silently. Checked before whole-ness, so 1.7e18 ns or 1700000000.5 s is named as
 * such rather than "expected whole milliseconds". Small times (synthetic series: 0, 1 h …) stay valid.
 */
function checkTimeUnit(t: number, ctx: z.RefinementCtx): void {
  const misread = misreadOpenTime(t);
  if (misread === null) return;
  ctx.addIssue({
    code: "custom",
    message: misread.ms === null
      ? `${t} is no time (${misread.phrase}); send milliseconds since the epoch`
      : `${t} reads as a time ${misread.phrase} (${
        new Date(misread.ms).toISOString().slice(0, 16)
      }Z); send milliseconds since the epoch (${misread.ms})`,
    abort: true,
  });
}

/**
 * The EMA of each candle the model reads (the last `lookback`) is above 0 (features' `emaProblem`). Earlier
 * candles are not read, so a bot sending a symbol's whole history, EMA(50)'s warm-up zeros first, is answered.
 */
function checkEma(candles: readonly RequestCandle[], lookback: number, ctx: z.RefinementCtx): void {
  for (let i = Math.max(0, candles.length - lookback); i < candles.length; i++) {
    const problem = emaProblem(candles[i].ema);
    if (problem) {
      ctx.addIssue({
        code: "custom",
        path: [i, "ema"],
        message: `${problem}: the last ${lookback} candles (the model's lookback) need EMA(50)'s history, ` +
          `${EMA_WARM_UP + lookback} candles of the symbol`,
      });
      return;
    }
  }
}

/**
 * Candles go oldest first, one per open time (SPEC §4). Only open times can show the order, so a body whose
 * candles carry them must have them strictly ascending (a candle without one is skipped): newest-first or a
 * repeated candle would otherwise be answered as if it were a real series. The first offending index is named.
 */
function checkOrder(candles: readonly RequestCandle[], ctx: z.RefinementCtx): void {
  let last = -1;
  let lastIndex = -1;
  for (let i = 0; i < candles.length; i++) {
    const t = candles[i].openTime;
    if (t === undefined) continue;
    if (lastIndex >= 0 && t <= last) {
      const how = t === last ? "repeats" : "is before";
      ctx.addIssue({
        code: "custom",
        path: [i, "openTime"],
        message: `${t} ${how} candles[${lastIndex}].openTime (${last}): candles go oldest first, ` +
          "one per open time",
        // The other candle the message names, so `describeIssues` can give it a batch item's prefix too.
        params: { sibling: ["candles", lastIndex, "openTime"] },
      });
      return;
    }
    last = t;
    lastIndex = i;
  }
}

/**
 * A symbol in NFC, as collect writes the training CSV's: a bot on macOS may send a Hangul syllable as its jamo
 * (NFD), and the log then held the pair under a spelling monitor matched to no candles (it joined 0). Case is
 * kept (monitor matches "btcusdt" to collect's "BTCUSDT" itself); the response names the symbol so too.
 */
const inNfc = (symbol: string): string => symbol.normalize("NFC");

function predictSchema(lookback: number) {
  return z.object({
    symbol: z.string({
      error: (issue) => issue.input === undefined ? "is missing (expected a string)" : "expected a string",
    }).min(1, "must not be empty").max(MAX_SYMBOL_LENGTH, `must be at most ${MAX_SYMBOL_LENGTH} characters`)
      .regex(SYMBOL_PATTERN, SYMBOL_RULE).transform(inNfc),
    candles: z.array(CandleSchema, {
      error: (issue) =>
        issue.input === undefined
          ? "is missing (expected an array of candles)"
          : "expected an array of candles",
    }).min(lookback, {
      error: (issue) =>
        `expected at least ${lookback} candles (the model's lookback), got ${
          Array.isArray(issue.input) ? issue.input.length : 0
        }`,
    }).superRefine(checkOrder).superRefine((candles, ctx) => checkEma(candles, lookback, ctx)),
  }, { error: 'expected a JSON object like {"symbol": "BTCUSDT", "candles": [...]}' });
}

const BatchSchema = z.object({
  requests: z.array(z.unknown(), {
    error: (issue) =>
      issue.input === undefined
        ? "is missing (expected an array of /predict bodies)"
        : "expected an array of /predict bodies",
  }).min(1, "must hold at least one request").max(MAX_BATCH, `must hold at most ${MAX_BATCH} requests`),
}, { error: 'expected a JSON object like {"requests": [{"symbol": ..., "candles": [...]}, ...]}' });

/** A parse result: the typed value, or the one-line `detail` a client reads. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | {
  readonly ok: false;
  readonly detail: string;
};

/** `["candles", 12, "close"]` → `candles[12].close`, after an optional prefix such as `requests[3]`. */
export function fieldPath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const key of path) {
    out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "body" : out;
}

/**
 * For a field missing from `input` at `path` that the body holds under another case ("Symbol", "Close"): what a
 * C# client sends by default (System.Text.Json and Newtonsoft write property names as declared, PascalCase),
 * told only "symbol: is missing" before (an integrator's trial). Empty otherwise.
 */
function casingNote(input: unknown, path: readonly PropertyKey[]): string {
  const key = path.at(-1);
  if (typeof key !== "string") return "";
  let parent = input;
  for (const step of path.slice(0, -1)) {
    if (typeof parent !== "object" || parent === null) return "";
    parent = (parent as Record<PropertyKey, unknown>)[step];
  }
  if (typeof parent !== "object" || parent === null || Array.isArray(parent) || Object.hasOwn(parent, key)) {
    return "";
  }
  const found = Object.keys(parent).find((k) => k.toLowerCase() === key.toLowerCase());
  return found === undefined
    ? ""
    : `; the body has ${JSON.stringify(found)}: field names are case-sensitive, ` +
      'camelCase as docs/api.md writes them ("symbol", "candles", "openTime", "macdSign"; in C#: ' +
      "JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase })";
}

/**
 * The first issue, naming its field, and how many other fields have problems so a client knows to look
 * further. Later issues on the same field are dropped: zod can report a length check after a type error.
 */
export function describeIssues(error: z.ZodError, prefix = "", input?: unknown): string {
  const [first] = error.issues;
  const field = fieldPath(first.path, prefix);
  const sibling = first.code === "custom" ? first.params?.sibling : undefined;
  const message =
    (prefix !== "" && Array.isArray(sibling)
      ? first.message.replace(fieldPath(sibling), fieldPath(sibling, prefix))
      : first.message) + casingNote(input, first.path);
  const others = new Set(error.issues.map((issue) => fieldPath(issue.path, prefix)));
  others.delete(field);
  const more = others.size > 0
    ? ` (and ${others.size} more field${others.size > 1 ? "s" : ""} with problems)`
    : "";
  return `${field}: ${message}${more}`;
}

// Schemas depend on the model's lookback; a server sees one or two lookbacks in its life.
const schemaCache = new Map<number, ReturnType<typeof predictSchema>>();

/**
 * Parses one /predict body for a model that reads `lookback` candles. A body that is plainly valid takes a
 * hand-written check (`validRequest`, ~15× cheaper than zod, which was the largest cost of a /predict after
 * the model itself); anything else goes through the schema, which decides and words the error.
 */
export function parsePredictRequest(value: unknown, lookback: number, prefix = ""): Parsed<PredictRequest> {
  return validRequest(value, lookback) ?? schemaParsePredictRequest(value, lookback, prefix);
}

/** `parsePredictRequest` by the zod schema alone: the reference the fast check is tested against. */
export function schemaParsePredictRequest(
  value: unknown,
  lookback: number,
  prefix = "",
): Parsed<PredictRequest> {
  let schema = schemaCache.get(lookback);
  if (!schema) schemaCache.set(lookback, schema = predictSchema(lookback));
  const candles = typeof value === "object" && value !== null
    ? (value as { candles?: unknown }).candles
    : null;
  if (Array.isArray(candles) && candles.length > MAX_CANDLES) {
    const detail =
      `must hold at most ${MAX_CANDLES} candles (only the last ${lookback} are used), got ${candles.length}`;
    return { ok: false, detail: `${fieldPath(["candles"], prefix)}: ${detail}` };
  }
  const result = schema.safeParse(value);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, detail: describeIssues(result.error, prefix, value) };
}

const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * The schema's result for a body that passes every rule of `predictSchema` as checked by hand, or null when
 * any check fails or is in doubt (the schema then decides). It accepts only what the schema accepts, and
 * returns the same value: new candle objects with the known fields only.
 */
function validRequest(value: unknown, lookback: number): Parsed<PredictRequest> | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const { symbol, candles } = value as { symbol?: unknown; candles?: unknown };
  if (typeof symbol !== "string" || symbol.length < 1 || symbol.length > MAX_SYMBOL_LENGTH) return null;
  if (!SYMBOL_PATTERN.test(symbol)) return null;
  if (!Array.isArray(candles) || candles.length < lookback || candles.length > MAX_CANDLES) return null;
  const out: RequestCandle[] = new Array(candles.length);
  let lastTime = -1; // open times are ≥ 0: the first one always passes
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i] as Record<string, unknown> | null;
    if (typeof c !== "object" || c === null || Array.isArray(c)) return null;
    const { open, high, low, close, volume, rsi, macd, macdSign, macdHist, ema, stochSlowK, stochSlowD } = c;
    if (
      !isFiniteNumber(open) || !isFiniteNumber(high) || !isFiniteNumber(low) || !isFiniteNumber(close) ||
      !isFiniteNumber(volume) || !isFiniteNumber(rsi) || !isFiniteNumber(macd) ||
      !isFiniteNumber(macdSign) || !isFiniteNumber(macdHist) || !isFiniteNumber(ema) ||
      !isFiniteNumber(stochSlowK) || !isFiniteNumber(stochSlowD)
    ) return null;
    const openTime = c.openTime;
    if (
      openTime === undefined
        ? "openTime" in c
        : !(Number.isSafeInteger(openTime) && (openTime as number) >= 0 &&
          misreadOpenTime(openTime as number) === null)
    ) {
      return null; // an explicit `openTime: undefined` (JS callers only) is kept as a key by the schema
    }
    if (openTime !== undefined) {
      if ((openTime as number) <= lastTime) return null; // out of order: the schema words it
      lastTime = openTime as number;
    }
    // Written out as a literal (like the schema's output): keyed writes cost ~25× more per candle.
    const candle: RequestCandle = openTime === undefined
      ? { open, high, low, close, volume, rsi, macd, macdSign, macdHist, ema, stochSlowK, stochSlowD }
      : {
        open,
        high,
        low,
        close,
        volume,
        rsi,
        macd,
        macdSign,
        macdHist,
        ema,
        stochSlowK,
        stochSlowD,
        openTime: openTime as number,
      };
    if (candleProblem(candle) !== null) return null;
    if (
      boundedIndicatorProblem(rsi) !== null || boundedIndicatorProblem(stochSlowK) !== null ||
      boundedIndicatorProblem(stochSlowD) !== null ||
      (i >= candles.length - lookback && emaProblem(ema) !== null)
    ) return null;
    out[i] = candle;
  }
  return { ok: true, value: { symbol: inNfc(symbol), candles: out } };
}

/** Parses a /predict/batch body's envelope; each item is parsed on its own so one bad item fails alone. */
export function parseBatchEnvelope(value: unknown): Parsed<readonly unknown[]> {
  const result = BatchSchema.safeParse(value);
  return result.success
    ? { ok: true, value: result.data.requests }
    : { ok: false, detail: describeIssues(result.error, "", value) };
}

/** True when a parsed JSON value is a batch body rather than a single /predict body (`candlecast predict`). */
export function isBatchBody(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "requests" in value;
}
