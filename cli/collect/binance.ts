/**
 * A symbol's closed candles from Binance, page by page: a date range walks forward (`startTime` = last open
 * time + 1), "the latest N" walks backward from the newest closed candle (`endTime` = first open time − 1),
 * so either takes about ceil(candles / 1000) requests, one more where the data stops before the range's end
 * (the empty page that says so). A failure mid-way keeps every candle already fetched.
 *
 * "Closed" is judged by the exchange's clock where a page brings it (its `Date` header) and the host's, the
 * earlier of the two: a host clock running ahead stored the still-forming candle as closed, and every later
 * collect refused the file over its final values. A page shorter than asked for ends the walk only where no
 * more candles can be had (the range's end, the newest closed candle, the start of the symbol's history); a
 * look-alike that caps its pages lower is paged on, and a short backward page that stops before the `endTime`
 * asked for (a look-alike answering with the window's oldest klines) is paged forward to it. Each page is sorted
 * by open time, repeats dropped.
 */
import {
  candleProblem,
  candlesBetween,
  type CandleSeries,
  closedOpenTimeBound,
  closeTimeOf,
  describeCandleProblem,
  type Interval,
  INTERVALS,
  isMonthLong,
  nextOpenTime,
  seriesFromCandles,
  stepName,
} from "../../features/index.ts";
import { type BinanceClient, BinanceError, type Kline, MAX_KLINES_PER_REQUEST } from "./binance_client.ts";
import { utc } from "./summary.ts";

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
  /**
   * The exchange answered an empty page before the range (or the count) was filled, after some candles had
   * come: fewer came than asked for (the caller says how many). `newest`: the newest candle's open time that
   * came; `now`: the time it was judged by then (the earlier of the exchange's and the host's), which tells data
   * that stopped long ago (delisted, halted) from data a few candles late.
   */
  endedEarly?: { newest: number; now: number };
  /**
   * The exchange's clock (its `Date` header) minus the host's, ms, on the first page that had one: the caller
   * says when they are far apart.
   */
  clockSkew?: number;
  /**
   * "Now" as the last page was judged by (the earlier of the host's clock and the exchange's): whether the
   * newest candle is one of the last to have closed, or the data stopped long before (delisted, halted).
   */
  judgedBy: number;
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
  let endedEarly = false;
  const walk: Walk = { client, symbol, interval, now, add, fetched: () => fetched, judgedBy: now };
  try {
    endedEarly = request.kind === "range"
      ? await walkForward(walk, request)
      : await walkBackward(walk, request.count);
  } catch (e) {
    if (!(e instanceof BinanceError)) throw e;
    error = e;
    // The exchange contradicting itself makes none of the symbol's candles trustworthy: it is refused whole.
    if (e.kind === "inconsistent") pages.length = 0;
  }
  const series = seriesFromCandles(symbol, pages.flat());
  return {
    series,
    requests: client.requests - requestsBefore,
    error,
    ...(endedEarly && series.length > 0
      ? { endedEarly: { newest: series.openTime[series.length - 1], now: walk.judgedBy } }
      : {}),
    ...(walk.clockSkew === undefined ? {} : { clockSkew: walk.clockSkew }),
    judgedBy: walk.judgedBy,
  };
}

interface Walk {
  client: BinanceClient;
  symbol: string;
  interval: Interval;
  /** The host's clock when the run started. */
  now: number;
  add: (page: Kline[], atStart: boolean) => void;
  fetched: () => number;
  /** "Now" as the latest page was judged by. */
  judgedBy: number;
  /** The exchange's clock minus the host's on the first page with a `Date` header. */
  clockSkew?: number;
}

/** What a page is judged by: its klines in time order, and "now" as the earlier of the host's and the exchange's. */
async function fetchPage(walk: Walk, query: { startTime?: number; endTime: number; limit: number }) {
  const page = await walk.client.page({ symbol: walk.symbol, interval: walk.interval, ...query });
  const klines = inTimeOrder(page.klines, walk.client, walk.symbol, walk.interval);
  refuseOtherIntervals(klines, walk.client, walk.symbol, walk.interval);
  refuseBrokenKlines(klines, walk.client, walk.symbol, walk.interval);
  if (page.serverTime !== undefined) walk.clockSkew ??= page.serverTime - page.hostTime;
  walk.judgedBy = Math.min(walk.now, page.serverTime ?? Infinity);
  return { klines, now: walk.judgedBy };
}

/** Walks forward through the range; true when an empty page ended it early. */
async function walkForward(walk: Walk, range: { start: number; end: number }): Promise<boolean> {
  const { interval } = walk;
  const last = Math.min(range.end - 1, closedOpenTimeBound(walk.now, interval));
  let startTime = range.start;
  while (startTime <= last) {
    const page = await fetchPage(walk, { startTime, endTime: last, limit: MAX_KLINES_PER_REQUEST });
    // Nothing where candles were expected after some came: the caller says how many fewer there are.
    if (page.klines.length === 0) return walk.fetched() > 0;
    walk.add(closedAscending(page.klines, startTime, last, page.now), false);
    const lastOpen = page.klines[page.klines.length - 1].openTime;
    if (lastOpen < startTime) throw misordered(walk.symbol, interval);
    // Done at the range's end, or at the newest candle that can have closed by the exchange's clock; a page
    // short of that (a look-alike capping its pages, or a hiccup) is paged on from its last kline. A full page
    // ending exactly at the end stops without asking for an empty one.
    if (nextOpenTime(lastOpen, interval) > Math.min(last, closedOpenTimeBound(page.now, interval))) {
      return false;
    }
    startTime = lastOpen + 1;
  }
  return false;
}

/** Walks backward from the newest closed candle; true when an empty page ended it before `count` came. */
async function walkBackward(walk: Walk, count: number): Promise<boolean> {
  let endTime = closedOpenTimeBound(walk.now, walk.interval);
  let remaining = count;
  while (remaining > 0) {
    const limit = Math.min(MAX_KLINES_PER_REQUEST, remaining);
    // With only endTime, Binance answers the `limit` klines that open at or before it.
    const page = await fetchPage(walk, { endTime, limit });
    // None at or before endTime: the symbol's history starts after it (or the exchange has no more to give).
    if (page.klines.length === 0) return walk.fetched() > 0;
    const firstOpen = page.klines[0].openTime;
    const closed = closedAscending(page.klines, -Infinity, endTime, page.now);
    // A short page is all Binance has at or before endTime, so it reaches endTime's candle unless the data
    // stopped: one that ends more than a candle before it is a look-alike's answer from the window's start (its
    // oldest klines), which left a month of gaps up to now; it is paged forward from its last kline, as
    // walkForward pages a short page on. A full page is trusted as it is (a delisted symbol's newest candles
    // cost no extra request).
    const newest = page.klines[page.klines.length - 1].openTime;
    const target = Math.min(endTime, closedOpenTimeBound(page.now, walk.interval));
    const newer: Kline[] = [];
    try {
      if (
        page.klines.length < limit && firstOpen <= endTime &&
        nextOpenTime(nextOpenTime(newest, walk.interval), walk.interval) <= target
      ) await forwardTo(walk, newest, endTime, page.now, newer);
    } finally {
      // A failure while paging forward keeps what came, as any failure mid-way does.
      const kept = [...closed, ...newer].slice(-remaining);
      walk.add(kept, true);
      remaining -= kept.length;
    }
    if (firstOpen > endTime) throw misordered(walk.symbol, walk.interval);
    // A short page is where the symbol's history starts, or a look-alike's lower cap: the next page (empty at
    // the history's start) says which. A full page, the usual case, costs no extra request.
    endTime = firstOpen - 1;
  }
  return false;
}

/**
 * The closed klines after `lastOpen` up to `endTime` into `out`, paged forward (startTime = last open time + 1)
 * until a page reaches the newest candle that can have closed, or an empty page says the data stops there (on a
 * failure, `out` holds the pages that came before it). No request when the kline after `lastOpen` could not have
 * closed by `now` or opens after `endTime`.
 */
async function forwardTo(
  walk: Walk,
  lastOpen: number,
  endTime: number,
  now: number,
  out: Kline[],
): Promise<void> {
  while (
    nextOpenTime(lastOpen, walk.interval) <= Math.min(endTime, closedOpenTimeBound(now, walk.interval))
  ) {
    const startTime = lastOpen + 1;
    const page = await fetchPage(walk, { startTime, endTime, limit: MAX_KLINES_PER_REQUEST });
    if (page.klines.length === 0) break;
    const newest = page.klines[page.klines.length - 1].openTime;
    if (newest < startTime) throw misordered(walk.symbol, walk.interval);
    out.push(...closedAscending(page.klines, startTime, endTime, page.now));
    [lastOpen, now] = [newest, page.now];
  }
}

/**
 * The page sorted by open time, verbatim repeats dropped (Binance's pages come ascending; one out of order
 * dropped a candle, or failed the run at a page's edge writing nothing). Two different klines for one open
 * time are the exchange contradicting itself: the symbol is refused.
 */
function inTimeOrder(page: Kline[], client: BinanceClient, symbol: string, interval: Interval): Kline[] {
  const sorted = page.every((k, i) => i === 0 || page[i - 1].openTime < k.openTime)
    ? page
    : [...page].sort((a, b) => a.openTime - b.openTime);
  const out: Kline[] = [];
  for (const k of sorted) {
    const previous = out[out.length - 1];
    if (previous?.openTime !== k.openTime) {
      out.push(k);
      continue;
    }
    const differs = (["open", "high", "low", "close", "volume", "closeTime"] as const).find((f) =>
      previous[f] !== k[f]
    );
    if (differs === undefined) continue;
    throw new BinanceError(
      `${symbol} ${interval}: the exchange (${client.endpoint}) sent two different klines opening at ` +
        `${utc(k.openTime)} UTC (${differs} ${previous[differs]} and ${k[differs]}); ${symbol} was left out`,
      "inconsistent",
      "the exchange's data contradicts itself there, not this file's: the same command later fetches it again",
    );
  }
  return out;
}

/**
 * Klines of another interval than the one asked for: a kline that lasts (close time + 1 − open time) longer
 * than the interval, or exactly another interval's length, or that opens exactly a shorter interval after the
 * one before. A look-alike behind --base-url that ignores `interval` sent 1h klines to `--interval 4h`, and
 * they were written as the file's 4h candles with only a warning; a CSV of them is refused. Binance's own
 * history holds klines cut short at maintenance (BTCUSDT 1h: one opening 2018-01-04 03:00 lasts 14.8 s; one
 * opens 2018-02-11 03:28:14.789 and the next 31 min 45 s later): no interval lasts that, so they are kept, with
 * the grid check's warning.
 */
function refuseOtherIntervals(
  page: Kline[],
  client: BinanceClient,
  symbol: string,
  interval: Interval,
): void {
  const asked = closeTimeOf(0, interval) + 1;
  const lengths = INTERVALS.filter((i) => i !== interval && i !== "1M").map((i) => closeTimeOf(0, i) + 1);
  const another = (ms: number) =>
    lengths.includes(ms) || (interval !== "1M" && isMonthLong(ms) && ms > asked);
  const iso = (t: number) => new Date(t).toISOString();
  for (let i = 0; i < page.length; i++) {
    const k = page[i];
    const lasts = k.closeTime + 1 - k.openTime;
    const longer = interval === "1M" ? !isMonthLong(lasts) && lasts > 31 * 86_400_000 : lasts > asked;
    const step = i > 0 ? k.openTime - page[i - 1].openTime : NaN;
    const shorterStep = interval !== "1M" && step < asked && lengths.includes(step);
    if (!longer && !another(lasts) && !shorterStep) continue;
    const what = shorterStep
      ? `klines opening ${stepName(step)} apart (${iso(page[i - 1].openTime)}, ${iso(k.openTime)})`
      : `a kline lasting ${stepName(lasts)} (opening at ${iso(k.openTime)}, closing at ${
        iso(k.closeTime + 1)
      })`;
    throw new BinanceError(
      `${symbol} ${interval}: the API (${client.endpoint}) sent ${what}, not ${interval} candles: not the ` +
        "interval asked for; nothing more was fetched",
      "unexpected",
      "check that --base-url points at a Binance-compatible API that honours the interval parameter",
    );
  }
}

/**
 * A kline no candle can be (high below low, a price of 0): the exchange's data is broken there, not a file of
 * the user's. Named by its time and refused with its symbol, the others collected (as two different klines
 * for one time are); before, the whole run failed on "BTCUSDT candle 5 …, fix the data named", an index into
 * nothing the user had, and the other symbols' candles were not written.
 */
function refuseBrokenKlines(page: Kline[], client: BinanceClient, symbol: string, interval: Interval): void {
  for (const k of page) {
    const problem = candleProblem(k);
    if (problem === null) continue;
    throw new BinanceError(
      `${symbol} ${interval}: the exchange (${client.endpoint}) sent a kline opening at ${
        utc(k.openTime)
      } UTC ` +
        `whose ${problem.field} ${describeCandleProblem(problem)}; ${symbol} was left out`,
      "inconsistent",
      "the exchange's data is broken there, not a file of yours: the same command later may fetch it mended, " +
        "or leave that time out with --start-date/--end-date",
    );
  }
}

/** The page's closed klines inside [from, to]: closed when their close time is before `now`. */
function closedAscending(page: Kline[], from: number, to: number, now: number): Kline[] {
  return page.filter((k) => k.openTime >= from && k.openTime <= to && k.closeTime < now);
}

function misordered(symbol: string, interval: Interval): BinanceError {
  return new BinanceError(
    `${symbol} ${interval}: the API returned klines outside the requested time range`,
    "unexpected",
    "check that --base-url points at a Binance-compatible API",
  );
}
