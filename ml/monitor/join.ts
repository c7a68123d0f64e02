/**
 * Joins served predictions (data/predictions.jsonl) with what the market then did (a fresh training CSV):
 * each prediction is placed on the candle it was made at — by the candle's open time when the client sent
 * one, else the last candle closed before the prediction whose close equals the one sent — and labelled with
 * its model version's own horizon and label rule, exactly as training labelled windows.
 */
import { type CandleSeries, type ClassIndex, windowBatch } from "../../features/index.ts";
import type { Preprocessor } from "../../engine/index.ts";
import type { PredictionRecord } from "../../engine/index.ts";

export interface JoinedPrediction {
  readonly record: PredictionRecord;
  /** Index of the candle the prediction was made at. */
  readonly t: number;
  readonly realisedReturn: number;
  readonly label: ClassIndex;
}

export interface JoinResult {
  readonly joined: JoinedPrediction[];
  /** Made too recently: the data does not reach the label candle t + horizon yet. */
  readonly pending: number;
  /** No candle of the data matches (symbol absent, or no close equal to the one sent). */
  readonly unmatched: number;
  /** Versions named by predictions whose checkpoint is gone, with their prediction counts. */
  readonly unknownVersions: ReadonlyMap<string, number>;
}

/** Most common spacing of open times: the series' interval, robust to outage gaps. */
function intervalOf(s: CandleSeries): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < Math.min(s.length, 500); i++) {
    const d = s.openTime[i] - s.openTime[i - 1];
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? NaN;
}

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

export function candleOfPrediction(
  s: CandleSeries,
  record: PredictionRecord,
  interval = intervalOf(s),
): number {
  if (record.last_candle_time !== null) {
    const t = lastAtOrBefore(s, record.last_candle_time);
    return t >= 0 && s.openTime[t] === record.last_candle_time ? t : -1;
  }
  // The bot predicts on closed candles: start from the last one closed at the prediction time and look a
  // few candles either side for the close it sent (clock skew, a candle fetched late).
  const closedBy = lastAtOrBefore(s, Date.parse(record.time) - interval);
  for (const t of [closedBy, closedBy + 1, closedBy - 1, closedBy - 2, closedBy + 2]) {
    if (t >= 0 && t < s.length && s.close[t] === record.last_close) return t;
  }
  return -1;
}

export function joinOutcomes(
  records: readonly PredictionRecord[],
  series: readonly CandleSeries[],
  preprocessors: ReadonlyMap<string, Preprocessor>,
): JoinResult {
  const bySymbol = new Map(series.map((s) => [s.symbol, { s, interval: intervalOf(s) }]));
  const joined: JoinedPrediction[] = [];
  const unknownVersions = new Map<string, number>();
  let pending = 0, unmatched = 0;
  for (const record of records) {
    const p = preprocessors.get(record.version);
    if (!p) {
      unknownVersions.set(record.version, (unknownVersions.get(record.version) ?? 0) + 1);
      continue;
    }
    const entry = bySymbol.get(record.symbol);
    const t = entry ? candleOfPrediction(entry.s, record, entry.interval) : -1;
    if (!entry || t < p.lookback - 1) {
      unmatched++;
      continue;
    }
    if (t + p.horizon >= entry.s.length) {
      pending++;
      continue;
    }
    const b = windowBatch(entry.s, [t], p.lookback, p.horizon, p.labelRule);
    joined.push({ record, t, realisedReturn: b.forwardReturn[0], label: b.label[0] as ClassIndex });
  }
  return { joined, pending, unmatched, unknownVersions };
}
