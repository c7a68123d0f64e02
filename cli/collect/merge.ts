/**
 * New candles into the training CSV's existing rows, keyed by (symbol, open_time): a candle already there is
 * replaced by the new one, everything else is kept, so re-running a collection or collecting a later range
 * never duplicates or loses rows. A candle that is already there with *different* OHLCV is a conflict (the
 * wrong symbol's file, a re-based export): it is reported so the caller can refuse it unless told to
 * replace — history must not be rewritten silently. Candles without an open time (a C# export without `t`) have no key: they
 * can only land where the symbol has no rows yet, or repeat rows that are already there.
 */
import {
  type CandleSeries,
  emptySeries,
  INDICATOR_COLUMNS,
  PRICE_COLUMNS,
  type PriceColumn,
  SERIES_COLUMNS,
} from "../../features/index.ts";
import { plural, ReportedError } from "../../base/index.ts";

export interface Merged {
  series: CandleSeries;
  /** Rows whose open_time was not in the existing series. */
  added: number;
  /** Rows whose open_time was there with different OHLCV (the incoming candle is the one in `series`). */
  conflicts: Conflict[];
}

/** One candle present on both sides with different prices or volume. */
export interface Conflict {
  symbol: string;
  openTime: number;
  /** The first column that differs, and its values before and after. */
  column: PriceColumn;
  existing: number;
  incoming: number;
}

/**
 * Values equal up to float formatting noise (a bot's export may print 0.1 + 0.2 differently than Binance).
 * Real conflicts (another symbol, a corrected candle) differ far more than one part in a billion.
 */
const same = (a: number, b: number) =>
  a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));

function conflictOf(existing: CandleSeries, i: number, incoming: CandleSeries, j: number): Conflict | null {
  for (const column of PRICE_COLUMNS) {
    if (!same(existing[column][i], incoming[column][j])) {
      return {
        symbol: incoming.symbol,
        openTime: incoming.openTime[j],
        column,
        existing: existing[column][i],
        incoming: incoming[column][j],
      };
    }
  }
  return null;
}

export class MergeError extends ReportedError {
  override name = "MergeError";
}

const untimed = (s: CandleSeries) => s.openTime.some(Number.isNaN);

/** Merges two ascending series of one symbol; `incoming` wins where both have a candle. */
export function mergeSeries(existing: CandleSeries | undefined, incoming: CandleSeries): Merged {
  if (!existing || existing.length === 0) return { series: incoming, added: incoming.length, conflicts: [] };
  if (untimed(existing) || untimed(incoming)) return mergeUntimed(existing, incoming);
  const out = emptySeries(incoming.symbol, existing.length + incoming.length);
  let [i, j, n, added] = [0, 0, 0, 0];
  const conflicts: Conflict[] = [];
  const copy = (from: CandleSeries, k: number) => {
    out.openTime[n] = from.openTime[k];
    for (const col of SERIES_COLUMNS) out[col][n] = from[col][k];
    n++;
  };
  while (i < existing.length || j < incoming.length) {
    const te = i < existing.length ? existing.openTime[i] : Infinity;
    const ti = j < incoming.length ? incoming.openTime[j] : Infinity;
    if (te < ti) copy(existing, i++);
    else {
      if (te === ti) {
        const conflict = conflictOf(existing, i, incoming, j);
        if (conflict) conflicts.push(conflict);
        i++;
      } else added++;
      copy(incoming, j++);
    }
  }
  return { series: trim(out, n), added, conflicts };
}

function mergeUntimed(existing: CandleSeries, incoming: CandleSeries): Merged {
  const identical = existing.length === incoming.length && untimed(existing) && untimed(incoming) &&
    PRICE_COLUMNS.every((col) => existing[col].every((v, k) => v === incoming[col][k]));
  if (identical) return { series: incoming, added: 0, conflicts: [] };
  throw new MergeError(
    `${incoming.symbol}: candles without open times cannot be merged with the ${
      plural(existing.length, "row")
    } ` +
      `already in the output (there is no open_time to match them by)`,
  );
}

function trim(s: CandleSeries, length: number): CandleSeries {
  if (length === s.length) return s;
  const out = emptySeries(s.symbol, length);
  out.openTime.set(s.openTime.subarray(0, length));
  for (const col of SERIES_COLUMNS) out[col].set(s[col].subarray(0, length));
  return out;
}

/**
 * How many of `before`'s rows (the file's, by open time) have the same prices but other indicator values in
 * `after` (the merged
 * series, its indicators filled): a C# export's own values recomputed from prices when a CSV or Binance candles
 * are merged in, or computed ones replaced by an export's. The summary's "+0" said nothing of either (a
 * trader's trial). Rows without open times are not matched.
 */
export function changedIndicatorRows(before: CandleSeries, after: CandleSeries): number {
  let changed = 0;
  for (let i = 0, j = 0; i < before.length && j < after.length;) {
    const [ti, tj] = [before.openTime[i], after.openTime[j]];
    if (Number.isNaN(ti) || Number.isNaN(tj)) return changed;
    if (ti < tj) i++;
    else if (tj < ti) j++;
    else {
      // A row whose prices were replaced (--replace) has other indicators for that reason: not counted.
      const samePrices = PRICE_COLUMNS.every((col) => same(before[col][i], after[col][j]));
      const differs = samePrices && INDICATOR_COLUMNS.some((col) => {
        const [a, b] = [before[col][i], after[col][j]];
        return !(Number.isNaN(a) && Number.isNaN(b)) && !same(a, b);
      });
      if (differs) changed++;
      i++;
      j++;
    }
  }
  return changed;
}
