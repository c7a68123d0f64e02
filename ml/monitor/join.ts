/**
 * Joins served predictions (data/predictions.jsonl) with what the market then did (a fresh training CSV):
 * each prediction is placed on the candle it was made at — by the candle's open time when the client sent
 * one, else the last candle closed before the prediction whose close equals the one sent — and labelled with
 * its model version's own horizon and label rule, exactly as training labelled windows.
 */
import {
  type CandleSeries,
  type ClassIndex,
  commonestStep,
  type Grid,
  inferGrid,
  labelSpansGap,
  misreadOpenTime,
  upperSymbol,
  windowBatch,
} from "../../features/index.ts";
import type { PredictionRecord, Preprocessor } from "../../engine/index.ts";

export interface JoinedPrediction {
  readonly record: PredictionRecord;
  /** Index of the candle the prediction was made at. */
  readonly t: number;
  readonly realisedReturn: number;
  readonly label: ClassIndex;
}

export interface JoinResult {
  readonly joined: JoinedPrediction[];
  /**
   * Predictions about a candle this version had already been scored on (the bot asked again): not scored, so
   * each candle counts once per version.
   */
  readonly repeats: number;
  /** Made too recently: the data does not reach the label candle t + horizon yet. */
  readonly pending: number;
  /** No candle of the data matches (symbol absent, or no close equal to the one sent). */
  readonly unmatched: number;
  /**
   * Of those, the ones whose last candle time reads as seconds, µs or ns, not ms (a client's
   * `ToUnixTimeSeconds()`, logged before serve refused such times): they can never be joined.
   */
  readonly unmatchedWrongUnit: number;
  /**
   * Of those, the ones sent with a candle's open time but another close: another window under that symbol and
   * time (a forged /predict, another feed such as futures) or a candle still open when the bot sent it.
   */
  readonly unmatchedClose: number;
  /**
   * Of those, the ones whose close is that of the candle a whole number of hours later (1–14), by that number:
   * a bot stamping the local times of a zone west of UTC (New York's UTC−4 sends 12:00 for the 16:00 UTC
   * candle), which serve cannot see, as such times lie in the past. Only when one shift, or two adjacent ones
   * (a daylight saving change), hold `WEST_SHARE` of `unmatchedClose` and `WEST_MIN` predictions or more
   * (`dominantShifts`); else empty: a forming candle's price equals a later close by chance (6 % of them on
   * ADAUSDT 1h), and on a flat market most do, spread over every shift.
   */
  readonly unmatchedHoursWest: ReadonlyMap<number, number>;
  /**
   * Of those, the ones about a candle newer than the data's last of that symbol (collect has not run since):
   * collecting newer candles scores them.
   */
  readonly unmatchedAfterData: number;
  /** Of the unmatched, how many of each symbol the data does not hold at all (a typo, another exchange's name). */
  readonly missingSymbols: ReadonlyMap<string, number>;
  /**
   * The version was trained on this window's outcome (its label candle is not after the newest candle in its
   * training data, e.g. a bot asking about old candles): in-sample, so not scored.
   */
  readonly inSample: number;
  /**
   * Candles are missing between the prediction's candle and its label candle (an outage in the data): the
   * realised return spans more time than the model predicted over, as training leaves such windows out.
   */
  readonly gapped: number;
  /** Versions named by predictions whose checkpoint is gone, with their prediction counts. */
  readonly unknownVersions: ReadonlyMap<string, number>;
}

/** The series' step in ms (the commonest spacing of open times, robust to outage gaps); NaN when unknown. */
const stepOf = (s: CandleSeries): number => commonestStep([s.openTime]) ?? NaN;

/** Last index with openTime ≤ time (−1 when none). */
function lastAtOrBefore(s: CandleSeries, time: number): number {
  let [lo, hi] = [0, s.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.openTime[mid] <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * Index in `s` of the candle a prediction was made at: the one opening at its `last_candle_time` whose close
 * is the one sent, else one within two candles of the last closed by its time whose close is the one sent; −1
 * when none is. The close is checked with the time too: a caller who sent another window under a symbol and a
 * real candle's time (anyone who can reach /predict) had that candle scored on its window, and the bot's own
 * prediction of the candle dropped as a repeat.
 */
export function candleOfPrediction(
  s: CandleSeries,
  record: PredictionRecord,
  interval = stepOf(s),
): number {
  if (record.last_candle_time !== null) {
    const t = lastAtOrBefore(s, record.last_candle_time);
    return t >= 0 && s.openTime[t] === record.last_candle_time && sameClose(s.close[t], record.last_close)
      ? t
      : -1;
  }
  // The bot predicts on closed candles: start from the last one closed at the prediction time and look a
  // few candles either side for the close it sent (clock skew, a candle fetched late).
  const closedBy = lastAtOrBefore(s, Date.parse(record.time) - interval);
  for (const t of [closedBy, closedBy + 1, closedBy - 1, closedBy - 2, closedBy + 2]) {
    if (t >= 0 && t < s.length && s.close[t] === record.last_close) return t;
  }
  return -1;
}

/**
 * How many whole hours (1–14, UTC−1 … UTC−14) after candle `at` of `s` the candle opens whose close is `close`,
 * the nearest first; null when none does. A close equal to another candle's by chance is rare at 1e-9.
 */
function hoursWest(s: CandleSeries, at: number, close: number, step: number): number | null {
  const HOUR = 3_600_000;
  for (let hours = 1; hours <= 14; hours++) {
    const shifted = s.openTime[at] + hours * HOUR;
    // Where no candle is missing the candle is `at` + hours of steps away; else found by search.
    const direct = at + (hours * HOUR) / step;
    const t = Number.isInteger(direct) && s.openTime[direct] === shifted
      ? direct
      : lastAtOrBefore(s, shifted);
    if (t < 0 || s.openTime[t] !== shifted) continue;
    if (sameClose(s.close[t], close)) return hours;
  }
  return null;
}

/** The share of `unmatchedClose` a shift (or two adjacent ones) must hold to be called local times. */
export const WEST_SHARE = 0.8;
/** The fewest predictions a shift is called local times on. */
export const WEST_MIN = 5;

/**
 * The shifts that say local times: the commonest, with its commoner neighbour (the other side of a daylight
 * saving change), when together they hold `WEST_SHARE` of the predictions at a candle's time with another
 * close and at least `WEST_MIN`; else none. A bot in one zone shows one shift (two across a change); chance
 * matches of a forming candle's price spread over every shift, fewer the further (291, 119, 72, … on a flat
 * market).
 */
export function dominantShifts(counts: ReadonlyMap<number, number>, otherClose: number): Map<number, number> {
  const [top] = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  if (top === undefined) return new Map();
  const neighbours = [top[0] - 1, top[0] + 1].filter((h) => counts.has(h))
    .sort((a, b) => counts.get(b)! - counts.get(a)! || a - b);
  const named = new Map([top, ...neighbours.slice(0, 1).map((h) => [h, counts.get(h)!] as const)]);
  const total = [...named.values()].reduce((a, b) => a + b, 0);
  return total >= WEST_MIN && total >= WEST_SHARE * otherClose ? named : new Map();
}

/** A close as collect wrote it and as the bot sent it: the same price, up to a last digit's rounding. */
function sameClose(candle: number, sent: number): boolean {
  return Math.abs(candle - sent) <= 1e-9 * Math.abs(candle);
}

/**
 * Joins predictions one at a time (monitor streams a log of any size through it) and counts those it cannot
 * score. `preprocessors` and `seenUntil` are read at each call, so a caller may fill them as versions
 * appear.
 */
export class OutcomeJoiner {
  readonly #bySymbol: Map<string, { s: CandleSeries; interval: number; grid: Grid | null }>;
  readonly #unknownVersions = new Map<string, number>();
  /**
   * The candles already scored, by version and symbol: at most versions × candles entries, however long the
   * log. A bot that asks again about a candle (polling every minute, a retry; a busy log holds hundreds of
   * predictions per candle) logs the same window many times: each counted would weigh candles by how often the
   * bot asked, and would make a week look far larger than its candles are, so its interval (blocks of 24
   * predictions) too narrow and its warnings noise. Each candle counts once per version: its first prediction.
   */
  readonly #scored = new Map<string, Set<number>>();
  #joined = 0;
  #repeats = 0;
  #pending = 0;
  #unmatched = 0;
  #unmatchedWrongUnit = 0;
  #unmatchedClose = 0;
  readonly #unmatchedHoursWest = new Map<number, number>();
  #unmatchedAfterData = 0;
  readonly #missingSymbols = new Map<string, number>();
  #inSample = 0;
  #gapped = 0;

  constructor(
    series: readonly CandleSeries[],
    private readonly preprocessors: ReadonlyMap<string, Preprocessor>,
    /**
     * Per version, the last time its training may have seen (`seenUntilOf`: its split's test start, else its
     * data's end): a prediction whose label candle opens by then is in-sample, counted and not scored.
     */
    private readonly seenUntil: ReadonlyMap<string, number> = new Map(),
  ) {
    this.#bySymbol = new Map(
      series.map((s) => [s.symbol, { s, interval: stepOf(s), grid: inferGrid(s.openTime) }]),
    );
  }

  /** The prediction with its outcome, or null (counted) when it cannot be scored. */
  join(record: PredictionRecord): JoinedPrediction | null {
    const p = this.preprocessors.get(record.version);
    if (!p) {
      this.#unknownVersions.set(record.version, (this.#unknownVersions.get(record.version) ?? 0) + 1);
      return null;
    }
    // collect writes symbols upper-case (Binance's spelling); a bot may send "btcusdt" to serve, which takes it,
    // or, upper-casing on a Turkish-culture host, "LİNKUSDT" (upperSymbol reads its İ as I). And in NFC: a
    // record parsed here from a log an older serve wrote may hold a Hangul syllable as its jamo (NFD), which
    // matched no candles (the log's reader reads it in NFC; this join may be given records parsed otherwise).
    const entry = this.#bySymbol.get(record.symbol) ??
      this.#bySymbol.get(upperSymbol(record.symbol.normalize("NFC")));
    const t = entry ? candleOfPrediction(entry.s, record, entry.interval) : -1;
    if (!entry || t < p.lookback - 1) {
      this.#unmatched++;
      if (!entry) this.#missingSymbols.set(record.symbol, (this.#missingSymbols.get(record.symbol) ?? 0) + 1);
      const time = record.last_candle_time;
      if (time !== null && misreadOpenTime(time) !== null) this.#unmatchedWrongUnit++;
      else if (entry && t < 0) {
        // No candle placed (t ≥ 0 is one matched too early for the lookback): its open time there, its close not;
        // or a candle after the data's last (by the time sent; without one, served three candles past its open,
        // two past its close, beyond a late answer about the last candle itself).
        const last = entry.s.openTime[entry.s.length - 1];
        const at = time === null ? -1 : lastAtOrBefore(entry.s, time);
        if (time !== null && at >= 0 && entry.s.openTime[at] === time) {
          this.#unmatchedClose++;
          const west = hoursWest(entry.s, at, record.last_close, entry.interval);
          if (west !== null) {
            this.#unmatchedHoursWest.set(west, (this.#unmatchedHoursWest.get(west) ?? 0) + 1);
          }
        } else if (time !== null ? time > last : Date.parse(record.time) - 3 * entry.interval > last) {
          this.#unmatchedAfterData++;
        }
      }
      return null;
    }
    if (t + p.horizon >= entry.s.length) {
      this.#pending++;
      return null;
    }
    if (entry.s.openTime[t + p.horizon] <= (this.seenUntil.get(record.version) ?? -Infinity)) {
      this.#inSample++;
      return null;
    }
    // Training leaves such windows out (windowEnds): their realised return is not a horizon-candle one.
    if (entry.grid !== null && labelSpansGap(entry.grid, entry.s.openTime, t, p.horizon)) {
      this.#gapped++;
      return null;
    }
    const key = `${record.version}\u0000${entry.s.symbol}`; // the series: "btcusdt" is BTCUSDT
    let scored = this.#scored.get(key);
    if (!scored) this.#scored.set(key, scored = new Set());
    if (scored.has(t)) {
      this.#repeats++;
      return null;
    }
    scored.add(t);
    const b = windowBatch(entry.s, [t], p.lookback, p.horizon, p.labelRule);
    this.#joined++;
    return { record, t, realisedReturn: b.forwardReturn[0], label: b.label[0] as ClassIndex };
  }

  /** How many predictions no candle matched so far: read per line (monitor's first pass), so kept cheap. */
  get unmatched(): number {
    return this.#unmatched;
  }

  /** What `joinOutcomes` reports besides the joined predictions themselves. */
  get counts(): Omit<JoinResult, "joined"> & { readonly joined: number } {
    return {
      joined: this.#joined,
      repeats: this.#repeats,
      pending: this.#pending,
      unmatched: this.#unmatched,
      unmatchedWrongUnit: this.#unmatchedWrongUnit,
      unmatchedClose: this.#unmatchedClose,
      unmatchedHoursWest: dominantShifts(this.#unmatchedHoursWest, this.#unmatchedClose),
      unmatchedAfterData: this.#unmatchedAfterData,
      missingSymbols: this.#missingSymbols,
      inSample: this.#inSample,
      gapped: this.#gapped,
      unknownVersions: this.#unknownVersions,
    };
  }
}

/**
 * Every record joined with its outcome at once (`OutcomeJoiner` streams them), with counts of those that
 * cannot be scored and why.
 */
export function joinOutcomes(
  records: readonly PredictionRecord[],
  series: readonly CandleSeries[],
  preprocessors: ReadonlyMap<string, Preprocessor>,
  /** Per version, the last time its training may have seen (see `OutcomeJoiner`). */
  seenUntil: ReadonlyMap<string, number> = new Map(),
): JoinResult {
  const joiner = new OutcomeJoiner(series, preprocessors, seenUntil);
  const joined: JoinedPrediction[] = [];
  for (const record of records) {
    const row = joiner.join(record);
    if (row) joined.push(row);
  }
  return { ...joiner.counts, joined };
}
