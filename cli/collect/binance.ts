/**
 * A symbol's closed candles from Binance, page by page: a date range walks forward (`startTime` = last open
 * time + 1), "the latest N" walks backward from the newest closed candle (`endTime` = first open time − 1),
 * so either takes ceil(candles / 1000) requests. A failure mid-way keeps every candle already fetched.
 */
import {
  candlesBetween,
  type CandleSeries,
  closedOpenTimeBound,
  type Interval,
  nextOpenTime,
  seriesFromCandles,
} from "../../features/index.ts";
import { type BinanceClient, BinanceError, type Kline, MAX_KLINES_PER_REQUEST } from "./binance_client.ts";

/** What to fetch: the latest `count` closed candles, or those opening in [start, end). */
export type KlineRequest =
  | { kind: "latest"; count: number }
  | { kind: "range"; start: number; end: number };

export interface SymbolFetch {
  series: CandleSeries;
  /** HTTP requests this symbol took, retries included. */
  requests: number;
  /** Set when fetching stopped early; `series` then holds what came before the failure. */
  error?: BinanceError;
}

/** How many candles a request should bring (for progress; gaps in the exchange's data make it fewer). */
export function expectedCandles(request: KlineRequest, interval: Interval, now: number): number {
  if (request.kind === "latest") return request.count;
  const last = Math.min(request.end - 1, closedOpenTimeBound(now, interval));
  return candlesBetween(request.start, last, interval);
}

export async function fetchSymbol(
  client: BinanceClient,
  symbol: string,
  interval: Interval,
  request: KlineRequest,
  now: number,
  onPage: (fetched: number, requests: number) => void = () => {},
): Promise<SymbolFetch> {
  const requestsBefore = client.requests;
  const pages: Kline[][] = [];
  let fetched = 0;
  const add = (page: Kline[], atStart: boolean) => {
    if (atStart) pages.unshift(page);
    else pages.push(page);
    fetched += page.length;
    onPage(fetched, client.requests - requestsBefore);
  };
  let error: BinanceError | undefined;
  try {
    if (request.kind === "range") await walkForward(client, symbol, interval, request, now, add);
    else await walkBackward(client, symbol, interval, request.count, now, add);
  } catch (e) {
    if (!(e instanceof BinanceError)) throw e;
    error = e;
  }
  return {
    series: seriesFromCandles(symbol, pages.flat()),
    requests: client.requests - requestsBefore,
    error,
  };
}

type AddPage = (page: Kline[], atStart: boolean) => void;

async function walkForward(
  client: BinanceClient,
  symbol: string,
  interval: Interval,
  range: { start: number; end: number },
  now: number,
  add: AddPage,
): Promise<void> {
  const last = Math.min(range.end - 1, closedOpenTimeBound(now, interval));
  let startTime = range.start;
  while (startTime <= last) {
    const page = await client.klines({
      symbol,
      interval,
      startTime,
      endTime: last,
      limit: MAX_KLINES_PER_REQUEST,
    });
    add(closedAscending(page, startTime, last, now), false);
    if (page.length < MAX_KLINES_PER_REQUEST) return;
    const lastOpen = page[page.length - 1].openTime;
    if (lastOpen < startTime) throw misordered(symbol, interval);
    // A full page may end exactly at the range's end: stop without asking for an empty page.
    if (nextOpenTime(lastOpen, interval) > last) return;
    startTime = lastOpen + 1;
  }
}

async function walkBackward(
  client: BinanceClient,
  symbol: string,
  interval: Interval,
  count: number,
  now: number,
  add: AddPage,
): Promise<void> {
  let endTime = closedOpenTimeBound(now, interval);
  let remaining = count;
  while (remaining > 0) {
    const limit = Math.min(MAX_KLINES_PER_REQUEST, remaining);
    // With only endTime, Binance answers the `limit` klines that open at or before it.
    const page = await client.klines({ symbol, interval, endTime, limit });
    const kept = closedAscending(page, -Infinity, endTime, now).slice(-remaining);
    add(kept, true);
    remaining -= kept.length;
    if (page.length < limit) return; // the symbol's history starts here
    const firstOpen = page[0].openTime;
    if (firstOpen > endTime) throw misordered(symbol, interval);
    endTime = firstOpen - 1;
  }
}

/** The page's closed klines inside [from, to], ascending and without repeats. */
function closedAscending(page: Kline[], from: number, to: number, now: number): Kline[] {
  const kept: Kline[] = [];
  let previous = -Infinity;
  for (const k of page) {
    if (k.openTime < from || k.openTime > to || k.closeTime >= now || k.openTime <= previous) continue;
    kept.push(k);
    previous = k.openTime;
  }
  return kept;
}

function misordered(symbol: string, interval: Interval): BinanceError {
  return new BinanceError(
    `${symbol} ${interval}: the API returned klines outside the requested time range`,
    "unexpected",
    "check that --base-url points at a Binance-compatible API",
  );
}
