/**
 * New candles into the training CSV's existing rows, keyed by (symbol, open_time): a candle already there is
 * replaced by the new one, everything else is kept, so re-running a collection or collecting a later range
 * never duplicates or loses rows. Candles without an open time (a C# export without `t`) have no key: they
 * can only land where the symbol has no rows yet, or repeat rows that are already there.
 */
import { type CandleSeries, emptySeries, PRICE_COLUMNS, SERIES_COLUMNS } from "../../features/index.ts";

export interface Merged {
  series: CandleSeries;
  /** Rows whose open_time was not in the existing series. */
  added: number;
}

export class MergeError extends Error {
  override name = "MergeError";
}

const untimed = (s: CandleSeries) => s.openTime.some(Number.isNaN);

/** Merges two ascending series of one symbol; `incoming` wins where both have a candle. */
export function mergeSeries(existing: CandleSeries | undefined, incoming: CandleSeries): Merged {
  if (!existing || existing.length === 0) return { series: incoming, added: incoming.length };
  if (untimed(existing) || untimed(incoming)) return mergeUntimed(existing, incoming);
  const out = emptySeries(incoming.symbol, existing.length + incoming.length);
  let [i, j, n, added] = [0, 0, 0, 0];
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
      if (te === ti) i++;
      else added++;
      copy(incoming, j++);
    }
  }
  return { series: trim(out, n), added };
}

function mergeUntimed(existing: CandleSeries, incoming: CandleSeries): Merged {
  const same = existing.length === incoming.length && untimed(existing) && untimed(incoming) &&
    PRICE_COLUMNS.every((col) => existing[col].every((v, k) => v === incoming[col][k]));
  if (same) return { series: incoming, added: 0 };
  throw new MergeError(
    `${incoming.symbol}: candles without open times cannot be merged with the ${existing.length} rows ` +
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
