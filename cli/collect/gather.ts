/**
 * The first step of a collect: candles from the source named (Binance REST, the C# export, OHLCV CSV files),
 * closed ones only, cut to the window typed, before anything is merged or written (`runCollect`, index.ts).
 */
import {
  addMonths,
  candlesBetween,
  type CandleSeries,
  closedOpenTimeBound,
  type Grid,
  gridOf,
  type Interval,
  inTimeOrder,
  nextOpenTime,
  offsetText,
  ohlcvCsvCutShortWarning,
} from "../../features/index.ts";
import { plural } from "../../base/index.ts";
import { CommandError, UsageError } from "../errors.ts";
import { BinanceClient, type BinanceError, DEFAULT_RETRY_POLICY } from "./binance_client.ts";
import { expectedCandles, fetchSymbol, type KlineRequest, type SymbolFetch } from "./binance.ts";
import { readCsharpExport, type ZeroFilled, zeroFilledAsMissing } from "./csharp_export.ts";
import { describeCsvFiles, readCsvFiles } from "./csv_files.ts";
import type { CollectEnv } from "./env.ts";
import { aheadOfClockError, closedOnly, emptyWindowError, selectWindow } from "./file_window.ts";
import { type Locate, locateIn, refuseOtherInterval, remarkReordered } from "./grid_checks.ts";
import type { CollectOptions, Window } from "./options.ts";
import { utc } from "./summary.ts";

/** Candles from the source, before merging. */
export interface Gathered {
  series: CandleSeries[];
  /** True when the source brings its own indicators (the C# export): keep them, compute only the gaps. */
  ownIndicators: boolean;
  grid: Grid | null;
  requests: number;
  failures: BinanceError[];
  /** The symbols the exchange failed on: their summary is the failure, not "no closed candles". */
  failedSymbols?: ReadonlySet<string>;
  /**
   * Per symbol, a file's closed candles when a window was typed: those the output lacks are read for the
   * indicators' warm-up (before the window, and in gaps between it and rows already there), never written.
   */
  fileCandles?: ReadonlyMap<string, CandleSeries>;
  /** The symbol whose fetch Ctrl-C stopped: with no candle yet, it is one of those not fetched, not one without. */
  interruptedSymbol?: string;
  /** Where a file's candle is (its file and line, its export entry), for messages; none for Binance's. */
  locate?: Locate;
  /**
   * Per symbol, the indicators a C# export gives as 0 throughout, read as missing and computed: the note on
   * rows whose indicators the merge changed says so (it called them the export's own).
   */
  zeroFilled?: ReadonlyMap<string, ZeroFilled>;
}

export async function gather(options: CollectOptions, env: CollectEnv): Promise<Gathered> {
  switch (options.source) {
    case "binance":
      return await gatherBinance(options, env);
    case "json": {
      // One rule for file sources: a symbol's candles sorted by "t" and verbatim repeats dropped, with a note,
      // as a CSV's rows are (they were refused at the first candle out of order, the CSV's sorted); two
      // different candles at one "t" are refused naming both.
      const where = (symbol: string) => (i: number) => `${options.jsonPath}: ${symbol} candles[${i}]`;
      const finders = new Map<string, (t: number) => string | null>();
      const zeroFilled = new Map<string, ZeroFilled>();
      const all = (await readCsharpExport(options.jsonPath)).map((s) => {
        const ordered = inTimeOrder(s, where(s.symbol));
        remarkReordered(`${options.jsonPath}: ${s.symbol}`, ordered, env.print, "candle");
        const source = ordered.series === s ? null : ordered.source;
        finders.set(s.symbol, locateIn(ordered.series.openTime, source, where(s.symbol)));
        // Before the window is cut: the zeros are judged over every candle the export gives of the symbol.
        const zeroed = zeroFilledAsMissing(ordered.series, options.jsonPath);
        if (zeroed !== null) {
          env.print(zeroed.warning);
          zeroFilled.set(s.symbol, zeroed);
        }
        return ordered.series;
      });
      refuseOtherInterval(options.interval, all, options.jsonPath);
      return {
        ...fileWindow(all, options.interval, options.window, options.jsonPath, env),
        ownIndicators: true,
        grid: gridFor(options.interval),
        requests: 0,
        failures: [],
        locate: (symbol, t) => finders.get(symbol)?.(t) ?? null,
        zeroFilled,
      };
    }
    case "csv": {
      const { series: all, locate } = await readCsvFiles(options.files, options.interval, env.print);
      // A file cut short mid-number is read without a word otherwise: its last row's value is a number still.
      // Said beside the progress (stderr): the run's own lines keep their order (the symbol's source first).
      for (const file of options.files) {
        const cut = await ohlcvCsvCutShortWarning(file.path);
        if (cut !== null) env.progress.notice(cut);
      }
      return {
        ...fileWindow(all, options.interval, options.window, describeCsvFiles(options.files), env),
        ownIndicators: false,
        grid: gridFor(options.interval),
        requests: 0,
        failures: [],
        locate,
      };
    }
  }
}

/**
 * A file's closed candles cut to the window typed (all of them without one), by the rule binance fetches by,
 * the file's other candles kept for the indicators' warm-up; a window that selects nothing is an error.
 */
function fileWindow(
  all: CandleSeries[],
  interval: Interval | undefined,
  window: Window | undefined,
  path: string,
  env: CollectEnv,
): Pick<Gathered, "series" | "fileCandles"> {
  // An empty file is "holds no candles" (runCollect), whatever the window.
  if (all.every((s) => s.length === 0)) return { series: all };
  const now = env.clock.now();
  const closed = closedOnly(all, interval, now);
  if (closed.ahead !== null) throw aheadOfClockError(path, closed.ahead, now);
  for (const line of closed.dropped) env.print(`${path}: ${line}`);
  if (closed.series.every((s) => s.length === 0)) {
    throw new CommandError(
      `${path} has no closed candles: every one opens too late to have closed by ${utc(now)} UTC`,
      "check the file's open times (ms since the epoch, UTC), or collect it once its candles have closed",
    );
  }
  if (window === undefined) return { series: closed.series };
  all = closed.series;
  const request = klineRequest(window, now);
  const flag = window.kind === "latest" ? "--limit" : window.kind === "months" ? "--months" : "--start-date";
  const cut = all.map((s) => selectWindow(s, request, flag, path));
  if (cut.every((c) => c.length === 0)) throw emptyWindowError(path, describeWindow(window, now), all);
  // A symbol the window selects nothing of, beside others it does: said with its span and left out, since
  // runCollect's "no closed candles for <file>" would be untrue of a symbol whose candles all closed.
  const kept: number[] = [];
  cut.forEach((c, k) => {
    const s = all[k];
    if (c.length > 0 || s.length === 0) return void kept.push(k);
    env.print(
      `${path}: ${s.symbol} has no candles in ${describeWindow(window, now)}; it holds ${
        utc(s.openTime[0])
      } → ${utc(s.openTime[s.length - 1])} UTC`,
    );
  });
  return {
    series: kept.map((k) => cut[k]),
    fileCandles: new Map(kept.map((k) => [all[k].symbol, all[k]])),
  };
}

/** "2024-01-01 → 2024-02-01 (UTC, the end exclusive)": a window, as the user typed it, for messages. */
function describeWindow(window: Window, now: number): string {
  switch (window.kind) {
    case "latest":
      return `the latest ${plural(window.count, "candle")}`;
    case "months":
      return `the last ${plural(window.months, "month")} (from ${utc(addMonths(now, -window.months))} UTC)`;
    case "dates":
      return `${window.startDate} → ${window.endDate ?? "its end"} (UTC${
        window.endDate ? ", the end exclusive" : ""
      })`;
  }
}

const gridFor = (interval: CollectOptions["interval"] | undefined) => (interval ? gridOf(interval) : null);

async function gatherBinance(
  options: Extract<CollectOptions, { source: "binance" }>,
  env: CollectEnv,
): Promise<Gathered> {
  const now = env.clock.now();
  const request = klineRequest(options.window, now);
  const policy = { ...DEFAULT_RETRY_POLICY, ...env.retry };
  const client = new BinanceClient(
    options.baseUrl,
    env.clock,
    policy,
    (m) => env.progress.notice(m),
    env.signal,
  );
  const series: CandleSeries[] = [];
  const failures: BinanceError[] = [];
  const failedSymbols = new Set<string>();
  let interruptedSymbol: string | undefined;
  let before = 0; // candles of the symbols already fetched
  let clockNoted = false;
  for (const symbol of options.symbols) {
    if (env.signal?.aborted) break;
    env.progress.start(symbol, expectedCandles(request, options.interval, now));
    const fetched = await fetchSymbol(
      client,
      symbol,
      options.interval,
      request,
      now,
      (n, requests) => {
        env.stage?.({ step: "gathering", candles: before + n });
        env.progress.update(n, requests);
      },
    );
    env.progress.done(fetched.series.length, fetched.requests);
    if (!clockNoted && fetched.clockSkew !== undefined && Math.abs(fetched.clockSkew) > CLOCK_SKEW_NOTED_MS) {
      clockNoted = true;
      env.print(clockSkewNote(fetched.clockSkew));
    }
    const short = shortfall(symbol, options, fetched, request, now);
    if (short !== null) env.print(short);
    series.push(fetched.series);
    before += fetched.series.length;
    if (fetched.error?.kind === "interrupted") {
      interruptedSymbol = symbol;
      break;
    }
    if (fetched.error) {
      failures.push(fetched.error);
      failedSymbols.add(symbol);
      // A rejected symbol (or one the exchange contradicts itself on) says nothing about the others; a
      // failing exchange or network does.
      if (fetched.error.kind !== "rejected" && fetched.error.kind !== "inconsistent") break;
    }
  }
  return {
    series,
    ownIndicators: false,
    grid: gridOf(options.interval),
    requests: client.requests,
    failures,
    failedSymbols,
    interruptedSymbol,
  };
}

/** The exchange's clock and the host's further apart than this are said to be (once a run). */
const CLOCK_SKEW_NOTED_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * "note: this host's clock is 3 min ahead of the exchange's …": candles are judged closed by the earlier of the
 * two clocks, silently; a host running fast (the incident that stored forming candles) or a look-alike a day
 * behind (whose newest day every run hid) went unnoticed, and a Date of 1970 ended in "no closed candles".
 */
export function clockSkewNote(skew: number): string {
  const size = Math.abs(skew);
  const unit = size >= DAY_MS ? DAY_MS : 60_000;
  const by = offsetText(Math.max(1, Math.round(size / unit)) * unit);
  const check = "check the host's clock (timedatectl) or the --base-url server's";
  return skew < 0
    ? `note: this host's clock is ${by} ahead of the exchange's (its Date header): candles are judged closed by ` +
      `the earlier of the two, the exchange's; ${check}`
    : `note: the exchange's clock (Date header) is ${by} ahead of this host's: candles are judged closed by the ` +
      `earlier of the two, this host's; ${check}`;
}

/** Newest candle this many closed candles or more before the newest that can have closed: the data has stopped. */
const STOPPED_CANDLES = 4;

/**
 * "Binance returned 1,000 of ~1,441 candles asked for BTCUSDT 1h; …": an empty page came before the range or
 * the count was filled. What came is kept and written; the run does not fail over it, but it was silent, exit 0.
 * Data that stopped well before the exchange's now is said to have stopped (delisted, halted), not to come later;
 * the latest N candles too, whose count was filled by candles a month old without a word. Null: nothing to say.
 */
function shortfall(
  symbol: string,
  options: Extract<CollectOptions, { source: "binance" }>,
  fetched: SymbolFetch,
  request: KlineRequest,
  now: number,
): string | null {
  const expected = expectedCandles(request, options.interval, now);
  const what = `${symbol} ${options.interval}`;
  const came = fetched.series.length.toLocaleString("en-US");
  if (request.kind === "latest") {
    // After a failure the newest candles may be the ones not fetched: the failure is what is said.
    const stopped = fetched.error ? null : stoppedAfter(fetched.series, options.interval, fetched.judgedBy);
    const none = stopped === null ? null : `none after ${utc(stopped)} UTC (delisted or halted?)`;
    if (fetched.endedEarly) {
      return `Binance returned ${came} of the ${
        expected.toLocaleString("en-US")
      } candles asked for ${what}: it has none before them (the symbol's history may start there)${
        none === null ? "" : `, and ${none}`
      }`;
    }
    return none === null
      ? null
      : `Binance returned the ${came} candles asked for ${what}: the exchange has ${none}`;
  }
  if (!fetched.endedEarly) return null;
  const ended = fetched.endedEarly;
  const newestClosed = closedOpenTimeBound(ended.now, options.interval);
  if (stoppedAfter(fetched.series, options.interval, ended.now) !== null) {
    const until = request.end - 1 < newestClosed ? ` up to the range's end, ${utc(request.end)} UTC` : "";
    return `Binance returned ${came} of ~${
      expected.toLocaleString("en-US")
    } candles asked for ${what}: the exchange has none after ${
      utc(ended.newest)
    } UTC${until} (delisted or halted?)`;
  }
  const flag = options.window.kind === "months" ? "--months" : "--start-date";
  return `Binance returned ${came} of ~${expected.toLocaleString("en-US")} candles asked for ${what}; ` +
    `run again later or check ${flag}`;
}

/**
 * The newest candle's open time when STOPPED_CANDLES or more candles that can have closed by `now` (the earlier
 * of the exchange's clock and the host's) come after it: the data has stopped there. Null when it is recent, or
 * there is no candle.
 */
function stoppedAfter(series: CandleSeries, interval: Interval, now: number): number | null {
  if (series.length === 0) return null;
  const newest = series.openTime[series.length - 1];
  const missing = candlesBetween(
    nextOpenTime(newest, interval),
    closedOpenTimeBound(now, interval),
    interval,
  );
  return missing >= STOPPED_CANDLES ? newest : null;
}

/** The window as open times, against `now` (which also decides which candles are closed). */
export function klineRequest(window: Window, now: number): KlineRequest {
  switch (window.kind) {
    case "latest":
      return { kind: "latest", count: window.count };
    case "months":
      return { kind: "range", start: addMonths(now, -window.months), end: Infinity };
    case "dates": {
      const start = Date.parse(window.startDate + "T00:00:00Z");
      if (start > now) {
        throw new UsageError(
          `--start-date: ${window.startDate} is in the future`,
          "give a day on or before today (UTC)",
        );
      }
      const end = window.endDate ? Date.parse(window.endDate + "T00:00:00Z") : Infinity;
      return { kind: "range", start, end };
    }
  }
}
