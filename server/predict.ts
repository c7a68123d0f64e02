/**
 * The prediction pipeline shared by POST /predict, POST /predict/batch and `candlecast predict`:
 * JSON body → typed request → the last `lookback` candles → features (the same `features/` code as
 * training) → one model call for every valid body → SPEC §4 response bodies.
 */
import {
  type Candle,
  candleLengthOf,
  type CandleSeries,
  closeGraceMs,
  emptySeries,
  engineerWindow,
  FEATURE_COUNT,
  FEATURE_NAMES,
  featureOverflowMessage,
  isInterval,
  isMonthStart,
  nextOpenTime,
  offsetText,
  otherInterval,
  pastUtcGrid,
  SERIES_COLUMNS,
  stepName,
  zoneOffset,
} from "../features/index.ts";
import {
  type DecisionChoice,
  effectiveRule,
  type ModelInfo,
  type Predictor,
  type PredictResponse,
  predictResponse,
} from "../engine/index.ts";
import { parsePredictRequest, type PredictRequest, REQUEST_FIELDS, type RequestCandle } from "./schemas.ts";

/** A body the pipeline refused, as /predict/batch reports it in place of a prediction. */
export interface PredictFailure {
  readonly symbol: string | null;
  readonly status: 422;
  readonly detail: string;
}

/** The candle a prediction was made at, as `candlecast monitor` needs it to find the realised outcome. */
export interface LastCandle {
  readonly openTime: number | null;
  readonly close: number;
}

/**
 * Which candle time check refused a window, as /metrics counts them (`candlecast_candle_time_refusals_total`):
 * its last candle still forming (opened by the clock, closing after it and its grace), opening after the clock
 * (open times east of UTC, or a clock behind), open times off the model's grid (local times, close times, steps
 * not whole candles, a 1M candle off the 1st), or candles of another interval. Fixed, so the label stays small.
 */
export const CANDLE_TIME_REFUSALS = ["forming", "future", "off_grid", "interval"] as const;
export type CandleTimeRefusal = typeof CANDLE_TIME_REFUSALS[number];

/** A candle time check's refusal: which check, and the detail the client is told. */
interface TimeProblem {
  readonly reason: CandleTimeRefusal;
  readonly detail: string;
}

/** The clock `predictBodies` names in a not-closed refusal by default: serve's. */
export const SERVER_CLOCK = "this server's clock";

export type PredictOutcome =
  | { readonly ok: true; readonly response: PredictResponse; readonly lastCandle: LastCandle }
  | {
    readonly ok: false;
    readonly failure: PredictFailure;
    /** Set when a candle time check refused it (not part of the failure a batch answers with). */
    readonly refusal?: CandleTimeRefusal;
  };

/** A candle as the C# bot sends it (SPEC §4 field names), e.g. to build a request from a training CSV. */
export function toRequestCandle(c: Candle): RequestCandle {
  const fields = Object.fromEntries(SERIES_COLUMNS.map((name) => [REQUEST_FIELDS[name], c[name]]));
  return {
    ...fields as Omit<RequestCandle, "openTime">,
    ...(c.openTime !== null ? { openTime: c.openTime } : {}),
  };
}

/**
 * The `lookback` most recent candles of a request, as the series the feature code reads. The columns are
 * written field by field rather than through a candle object and keyed loops: this runs for every /predict,
 * and building candle objects first for `seriesFromCandles` (keyed writes per column) took ~3.5× as long
 * (99 against 28 µs for 50 candles, measured side by side; bench/RESULTS.md, session 5).
 */
export function windowOf(request: PredictRequest, lookback: number): CandleSeries {
  const candles = request.candles;
  const first = Math.max(0, candles.length - lookback);
  const s = emptySeries(request.symbol, candles.length - first);
  for (let i = 0; i < s.length; i++) {
    const c = candles[first + i];
    s.openTime[i] = c.openTime ?? NaN;
    s.open[i] = c.open;
    s.high[i] = c.high;
    s.low[i] = c.low;
    s.close[i] = c.close;
    s.volume[i] = c.volume;
    s.rsi[i] = c.rsi;
    s.macd[i] = c.macd;
    s.macdSignal[i] = c.macdSign;
    s.macdHist[i] = c.macdHist;
    s.ema[i] = c.ema;
    s.stochK[i] = c.stochSlowK;
    s.stochD[i] = c.stochSlowD;
  }
  return s;
}

/**
 * Where the engineered window holds a value float32 cannot carry (finite doubles past ±3.4e38 overflow),
 * naming the candle as the client indexed it; null when the window is usable.
 */
function nonFiniteFeature(x: Float32Array, offset: number, request: PredictRequest, lookback: number) {
  const first = request.candles.length - lookback;
  for (let i = 0; i < lookback * FEATURE_COUNT; i++) {
    if (!Number.isFinite(x[offset + i])) {
      // NaN too, unlike features' overflowingFeature (where NaN is a warm-up row's missing indicator): a
      // request's window has every indicator, so any non-finite value is the candles' magnitudes.
      const candle = first + Math.floor(i / FEATURE_COUNT);
      return featureOverflowMessage(`candles[${candle}]`, FEATURE_NAMES[i % FEATURE_COUNT]);
    }
  }
  return null;
}

/**
 * A window whose open times step by another interval than the candles the model was trained on (4h candles
 * to a 1h model): its horizon and lookback would count other candles, and the answer would look as confident
 * as any. Gaps (an exchange outage, a reconnect) leave the commonest step alone, as in training data; so do
 * the many gaps of a feed that leaves out the hours without trades, even where they outnumber the candles'
 * own step: two candles of the model's interval one step apart show that the candles are of that interval
 * (none of a longer one opens so close), and `offGridProblem` then asks every step to be whole candles.
 */
function intervalProblem(window: CandleSeries, info: ModelInfo, first: number): TimeProblem | null {
  const ours = otherInterval([window.openTime], info.interval);
  if (ours === null || shortestStepIsModels(window.openTime, info)) {
    const detail = offGridProblem(window, info, first);
    return detail === null ? null : { reason: "off_grid", detail };
  }
  return {
    reason: "interval",
    detail: `candles: their open times are ${ours} apart, but model ${info.version} was trained on ` +
      `${info.interval} candles`,
  };
}

/**
 * Whether the shortest positive step between consecutive open times is one candle of the model's interval, on
 * at least a tenth of the steps: a single such step among 4h ones is a stray candle in a 4h feed (a review),
 * where a feed that leaves out the hours without trades still shows many.
 */
function shortestStepIsModels(t: ArrayLike<number>, info: ModelInfo): boolean {
  const step = info.interval ? candleLengthOf(info.interval) : null;
  if (step === null) return false;
  let shortest = Infinity, steps = 0, ours = 0;
  for (let i = 1; i < t.length; i++) {
    const apart = t[i] - t[i - 1];
    if (!(apart > 0)) continue; // NaN too
    steps++;
    if (apart === step) ours++;
    if (apart < shortest) shortest = apart;
  }
  return shortest === step && ours >= Math.max(2, steps / 10);
}

/**
 * A candle of the model's interval whose open time is not a whole number of candles after the one before (a
 * 1h candle 90 minutes on): a gap is whole candles missing, so this is a wrong time, and the prediction log
 * would record it as a candle time `monitor` never finds among the exchange's. Names the candle as the client
 * indexed it (`first`: the window's first candle in the request).
 */
function offGridProblem(window: CandleSeries, info: ModelInfo, first: number): string | null {
  if (!info.interval) return null;
  const t = window.openTime;
  if (info.interval === "1M") {
    // Months have no fixed step, so a 30-day step passed the interval check: a 1M candle opens on the 1st,
    // 00:00 UTC, as Binance's do and as the model's own did (only such candles are named 1M); one on the 15th
    // or 30 days on would be logged at a time monitor never finds among the exchange's.
    const off = t.findIndex((ms) => !Number.isNaN(ms) && !isMonthStart(ms));
    if (off === -1) return null;
    return `candles[${first + off}].openTime: ${t[off]} (${new Date(t[off]).toISOString()}) is not the ` +
      `start of a calendar month (the 1st, 00:00 UTC), where ${info.interval} candles open (model ` +
      `${info.version}'s interval); send each candle's open time`;
  }
  // Binance's fixed intervals and the steps a CSV's candles had that Binance has no name for (45m, 2d): the
  // version recorded them, and its candles stepped by them.
  const step = candleLengthOf(info.interval);
  if (step === null) return null;
  for (let i = 1; i < window.length; i++) {
    const apart = t[i] - t[i - 1];
    if (Number.isNaN(apart) || apart % step === 0) continue;
    return `candles[${first + i}].openTime: ${t[i]} opens ${
      stepName(apart)
    } after the previous candle's, not a ` +
      `whole number of ${info.interval} candles (model ${info.version}'s interval); send each candle's open time`;
  }
  // No exchange lays a grid for steps Binance has no name for (45m, 2d): whole steps are all there is to check.
  return isInterval(info.interval) ? utcGridProblem(window, info, step, first) : null;
}

/**
 * A candle of the model's interval stamped off the UTC grid its candles open on (features' `pastUtcGrid`, the
 * grid collect checks a new history against: 1h candles at :00, 1d at 00:00 UTC, 1w on Mondays), by one
 * offset for every candle: times in the bot's local time zone (India's +5:30 puts each 1h candle at :30), or
 * close times (each candle's last millisecond). Refused with a 422, as the 1M rule above refuses a month
 * start in local time, rather than answered with a warning: SPEC §4 makes a 422 the answer to an invalid field
 * and leaves the optional `openTime` to docs/api.md, which already refuses the open times monitor can never
 * join (seconds, µs, off whole candles); a candle off the grid of the model's interval is no candle of that
 * interval, and a prediction logged at its time is one monitor can never find among the exchange's candles
 * (it said only "not found", blaming the closes). A bot that stamps local times is broken either way: it
 * mislabels the exchange's candles, or builds its own on local boundaries, whose features are not those of
 * the candles the model was trained on; the C# client logs the detail (docs/csharp.md) and the fix is one
 * `ToUnixTimeMilliseconds()` on a UTC time. Intervals whose grid exchanges do not agree on (3d), steps no
 * exchange names (45m, 2d: only whole steps are checked) and versions that recorded no interval are not
 * checked.
 */
function utcGridProblem(window: CandleSeries, info: ModelInfo, step: number, first: number): string | null {
  const t = window.openTime;
  // The grid the model's candles opened on: the UTC one, or one its training candles sat off it by (1d candles
  // of an exchange whose days begin at midnight UTC+8), which held to the UTC grid refused its own candles.
  // Within one candle: a hand-edited 90 min on 1h candles is 30 min (and refusals never read "-30 min").
  const ours = (((info.gridOffsetMs ?? 0) % step) + step) % step;
  for (let i = 0; i < window.length; i++) {
    if (Number.isNaN(t[i])) continue;
    const past = pastUtcGrid(t[i], step);
    if (past === null) return null;
    const off = (past - ours + step) % step;
    if (off === 0) continue;
    const at = `candles[${first + i}].openTime: ${t[i]} (${new Date(t[i]).toISOString()})`;
    const grid = ours === 0
      ? `the ${info.interval} UTC grid`
      : `the ${info.interval} grid model ${info.version}'s candles opened on (${
        offsetText(ours)
      } past the UTC one)`;
    if (off === step - 1) {
      return `${at} is 1 ms before a candle of ${grid} opens (${
        new Date(t[i] + 1).toISOString()
      }): a close time (each candle's last millisecond); send each candle's open time`;
    }
    if (ours !== 0) {
      return `${at}: open times are ${offsetText(off)} past ${grid} (${
        new Date(t[i] - off).toISOString()
      } is on it): send candles of the feed the model was trained on, each stamped with its open time`;
    }
    // Time zones sit whole quarter hours off UTC (India +5:30, Nepal +5:45), 12 h west to 14 h east; another
    // offset (7 s) is a clock's or a candle builder's, and 6 days on 1w (weeks begun on Sunday) a feed's own
    // grid: "not local ones" sent their developers looking for a time zone.
    const fix = zoneOffset(past, step)
      ? "send UTC open times, not local ones"
      : "send each candle's open time as the exchange stamps it (Unix ms, UTC)";
    return `${at}: open times are ${offsetText(past)} past ${grid} (${
      new Date(t[i] - past).toISOString()
    } is on it), where model ${info.version}'s candles and the exchange's open: ${fix}`;
  }
  return null;
}

/**
 * A window whose last candle closes after `now` (+ `closeGraceMs`): the candle still forming, which an
 * exchange's klines end with (a bot that forgets to drop it), or open times ahead of UTC (a bot that stamps its
 * local time in a zone east of UTC: UTC+3 puts 1h candles 3 h ahead, on the grid `utcGridProblem` checks). The
 * model learnt from closed candles only, and a prediction logged at a time to come is one `monitor` joins with
 * the wrong candle or none. Only with the model's interval and the last candle's open time known. `clock` names
 * `now`'s clock to the client: serve's ("this server's clock"), or the machine `candlecast predict` runs on.
 * Forming when the candle opened by `now` (+ the grace: a bot's clock a little ahead), future when later.
 */
function notClosedProblem(
  window: CandleSeries,
  info: ModelInfo,
  first: number,
  now: number,
  clock: string,
): TimeProblem | null {
  if (!info.interval || window.length === 0) return null;
  const last = window.length - 1;
  const open = window.openTime[last];
  if (Number.isNaN(open)) return null;
  const length = info.interval === "1M" ? null : candleLengthOf(info.interval);
  if (length === null && info.interval !== "1M") return null;
  const closes = length === null ? nextOpenTime(open, "1M") : open + length;
  const grace = closeGraceMs(length);
  if (!(closes > now + grace)) return null;
  const iso = (ms: number) => new Date(ms).toISOString();
  const detail =
    `candles[${first + last}].openTime: ${open} (${iso(open)}) opens a ${info.interval} candle that closes ` +
    `at ${iso(closes)}, after ${clock} (${iso(now)}): send closed candles only (an exchange's ` +
    "klines end with the candle still forming: drop it) and UTC open times (a zone east of UTC puts them " +
    `ahead); if that candle has closed, ${clock} is behind`;
  return { reason: open > now + grace ? "future" : "forming", detail };
}

/**
 * The symbol of a body, when it has a usable one (for logs and batch items), in NFC as the parsed body's is:
 * the request's log line kept a Hangul symbol sent as its jamo (NFD) while its answer and the predictions log
 * said it composed (a docs seat).
 */
export function symbolOf(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return null;
  const symbol = (body as { symbol?: unknown }).symbol;
  return typeof symbol === "string" && symbol.length <= 64 ? symbol.normalize("NFC") : null;
}

/**
 * Predicts every body with one model call. `prefixes[i]` is put before field names in body i's failure
 * (`requests[3]` for a batch item), so a client finds the field in what it sent. `now` is the time a last
 * candle must have closed by (`notClosedProblem`), read from the clock `clock` names in a refusal.
 */
export async function predictBodies(
  predictor: Predictor,
  bodies: readonly unknown[],
  prefixes: readonly string[] = bodies.map(() => ""),
  choice: DecisionChoice = "version",
  now: number = Date.now(),
  clock: string = SERVER_CLOCK,
): Promise<PredictOutcome[]> {
  const p = predictor.info.preprocessor;
  const decision = { rule: effectiveRule(choice, p.decisionRule), priors: p.classPriors };
  const { lookback } = predictor.info.preprocessor;
  const size = lookback * FEATURE_COUNT;
  const outcomes: (PredictOutcome | null)[] = new Array(bodies.length).fill(null);
  const valid: { index: number; request: PredictRequest; window: CandleSeries }[] = [];
  const x = new Float32Array(bodies.length * size);
  bodies.forEach((body, index) => {
    const fail = (detail: string, refusal?: CandleTimeRefusal) =>
      outcomes[index] = {
        ok: false,
        failure: { symbol: symbolOf(body), status: 422, detail },
        ...(refusal ? { refusal } : {}),
      };
    const parsed = parsePredictRequest(body, lookback, prefixes[index]);
    if (!parsed.ok) return fail(parsed.detail);
    const window = windowOf(parsed.value, lookback);
    const first = parsed.value.candles.length - window.length;
    const time = intervalProblem(window, predictor.info, first) ??
      notClosedProblem(window, predictor.info, first, now, clock);
    if (time !== null) {
      return fail(prefixes[index] ? `${prefixes[index]}.${time.detail}` : time.detail, time.reason);
    }
    const offset = valid.length * size;
    engineerWindow(window, 0, lookback, x, offset);
    const problem = nonFiniteFeature(x, offset, parsed.value, lookback);
    if (problem !== null) return fail(prefixes[index] ? `${prefixes[index]}.${problem}` : problem);
    valid.push({ index, request: parsed.value, window });
  });
  if (valid.length > 0) {
    const raw = await predictor.predict(x.subarray(0, valid.length * size), valid.length);
    valid.forEach(({ index, request, window }, k) => {
      const { probabilities, expectedReturn } = raw[k];
      if (![...probabilities, expectedReturn].every(Number.isFinite)) {
        // Finite inputs are clipped inside the model, so this is a broken model, never the client's fault.
        throw new Error(`model ${predictor.info.version} produced a non-finite prediction`);
      }
      const last = request.candles[request.candles.length - 1];
      outcomes[index] = {
        ok: true,
        response: predictResponse(request.symbol, raw[k], window, predictor.info.version, decision),
        lastCandle: { openTime: last.openTime ?? null, close: last.close },
      };
    });
  }
  return outcomes as PredictOutcome[];
}
