/**
 * A small Binance-compatible `GET /api/v3/klines` on 127.0.0.1 for the offline demo, tests and benches. It
 * serves any series it is given (prices as Binance's decimal strings, exactly as stored; `syntheticKlines` for
 * the demo's simulated market; test/binance_klines_server.ts adds the shared real candles), with Binance's semantics: limit ≤ 1000,
 * startTime/endTime on open times, only candles opened by the server's clock (the last one still open),
 * `X-MBX-USED-WEIGHT-1M` and a 429 past the weight limit, a `Date` header by the server's clock (so a test's
 * fake clock is the exchange's too: collect judges closed candles by it), and Binance's error bodies for a bad
 * symbol or interval. Faults can be injected per request: 429/418 with Retry-After, 5xx, a dropped
 * connection, a truncated body, klines other than the selection (reordered, repeated, cut short).
 *
 *   deno run --allow-net cli/demo/binance_server.ts [--port 8080]   (two years of simulated BTCUSDT, ETHUSDT)
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Buffer } from "node:buffer";
import { closeTimeOf, type Interval, INTERVALS, isInterval } from "../../features/index.ts";
import { simulateMarket } from "../../features/index.ts";

/** One stored candle; prices stay strings so the wire carries them exactly as stored. */
export interface KlineRow {
  openTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
}

/** A symbol's candles per interval, ascending; undefined when the symbol is unknown. */
export type KlineSource = (symbol: string) => Partial<Record<Interval, readonly KlineRow[]>> | undefined;

export type Fault =
  /** `headers` are sent too (a Retry-After as an HTTP date, a Date of another clock). */
  | { kind: "status"; status: number; retryAfter?: number; body?: string; headers?: Record<string, string> }
  /** An HTTP 200 with these klines instead of the selection (swapped, repeated, a page cut short). */
  | { kind: "rows"; rows: (selected: readonly KlineRow[]) => readonly KlineRow[] }
  /** Close the connection: before any response, or after `afterBytes` bytes of a 200's body. */
  | { kind: "drop"; afterBytes?: number }
  /** A complete HTTP 200 whose JSON body is cut short. */
  | { kind: "truncate" };

export interface KlinesRequestInfo {
  /** 1-based count of requests to /api/v3/klines. */
  n: number;
  symbol: string;
  interval: string;
  startTime?: number;
  endTime?: number;
  limit: number;
}

export interface KlinesServerOptions {
  source: KlineSource;
  /** The server's clock: candles opening after it do not exist yet; the one containing it is still open. */
  now?: () => number;
  fault?: (request: KlinesRequestInfo) => Fault | undefined;
  weightLimit?: number;
  /** Weight already used in the server's current minute when it starts. */
  startWeight?: number;
  hostname?: string;
  port?: number;
}

export interface KlinesServer {
  url: string;
  /** Every klines request, in order, with what was answered. */
  readonly log: (KlinesRequestInfo & { status: number | "dropped"; rows: number })[];
  close(): Promise<void>;
}

const WEIGHT = 2;

/** Binance writes prices with 8 decimals; pad (never round) a stored decimal to look the same. */
export function binanceDecimal(value: string): string {
  const dot = value.indexOf(".");
  const decimals = dot < 0 ? 0 : value.length - dot - 1;
  if (decimals >= 8) return value;
  return (dot < 0 ? value + "." : value) + "0".repeat(8 - decimals);
}

/** Fixed series, e.g. `{ BTCUSDT: { "1h": rows } }`. */
export function seriesSource(
  series: Record<string, Partial<Record<Interval, readonly KlineRow[]>>>,
): KlineSource {
  return (symbol) => series[symbol];
}

/**
 * Simulated candles (features/market_simulator.ts: regime switches, clustered volatility, fat tails) on the
 * interval's grid: `count` candles opening at `start`. For the demo and tests; never for accuracy claims.
 */
export function syntheticKlines(
  interval: Interval,
  start: number,
  count: number,
  { seed = 1, price = 100 }: { seed?: number; price?: number } = {},
): KlineRow[] {
  const candles = simulateMarket({
    seed,
    start: 0,
    intervalMs: 1,
    count,
    startPrice: price,
    baseVolume: 500,
  });
  let openTime = start;
  return candles.map((c) => {
    const row = {
      openTime,
      open: String(c.open),
      high: String(c.high),
      low: String(c.low),
      close: String(c.close),
      volume: String(c.volume),
    };
    // Months have different lengths: step by the interval's real close time, not a fixed width.
    openTime = closeTimeOf(openTime, interval) + 1;
    return row;
  });
}

/** First index with openTime ≥ t (rows ascending). */
function lowerBound(rows: readonly KlineRow[], t: number): number {
  let [lo, hi] = [0, rows.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid].openTime < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Binance's selection: [startTime, endTime] on open times, the first `limit` from startTime, else the last. */
export function selectKlines(
  rows: readonly KlineRow[],
  visibleUntil: number,
  q: { startTime?: number; endTime?: number; limit: number },
): readonly KlineRow[] {
  const endTime = Math.min(q.endTime ?? Infinity, visibleUntil);
  const to = lowerBound(rows, endTime + 1); // exclusive index of the last open time ≤ endTime
  if (q.startTime !== undefined) {
    const from = lowerBound(rows, q.startTime);
    return rows.slice(from, Math.min(to, from + q.limit));
  }
  return rows.slice(Math.max(0, to - q.limit), to);
}

function klineJson(r: KlineRow, interval: Interval): string {
  const quote = (Number(r.volume) * Number(r.close)).toFixed(8);
  const f = (s: string) => `"${binanceDecimal(s)}"`;
  return `[${r.openTime},${f(r.open)},${f(r.high)},${f(r.low)},${f(r.close)},${f(r.volume)},` +
    `${closeTimeOf(r.openTime, interval)},"${quote}",0,"0.00000000","0.00000000","0"]`;
}

const binanceError = (code: number, msg: string) => JSON.stringify({ code, msg });

export function startKlinesServer(options: KlinesServerOptions): Promise<KlinesServer> {
  const source = options.source;
  const now = options.now ?? (() => Date.now());
  const weightLimit = options.weightLimit ?? 6000;
  let minute = Math.floor(now() / 60_000);
  let used = options.startWeight ?? 0;
  let count = 0;
  const log: KlinesServer["log"] = [];

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      "content-type": "application/json;charset=UTF-8",
      "content-length": String(Buffer.byteLength(body)),
      // HTTP's Date (whole seconds), by the server's clock: node:http would send the real one.
      date: new Date(now()).toUTCString(),
      ...headers,
    });
    res.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== "/api/v3/klines") {
      return send(res, 404, binanceError(-1, "only /api/v3/klines here"));
    }
    const clock = now();
    if (Math.floor(clock / 60_000) !== minute) [minute, used] = [Math.floor(clock / 60_000), 0];
    used += WEIGHT;
    const weightHeader = { "x-mbx-used-weight-1m": String(used), "x-mbx-used-weight": String(used) };
    const p = url.searchParams;
    const num = (name: string) => (p.has(name) ? Number(p.get(name)) : undefined);
    const info: KlinesRequestInfo = {
      n: ++count,
      symbol: p.get("symbol") ?? "",
      interval: p.get("interval") ?? "",
      startTime: num("startTime"),
      endTime: num("endTime"),
      limit: num("limit") ?? 500,
    };
    const answer = (status: number, body: string, rows = 0, headers: Record<string, string> = {}) => {
      log.push({ ...info, status, rows });
      send(res, status, body, { ...weightHeader, ...headers });
    };

    const fault = options.fault?.(info);
    if (fault?.kind === "status") {
      const headers: Record<string, string> = {
        ...(fault.retryAfter !== undefined ? { "retry-after": String(fault.retryAfter) } : {}),
        ...fault.headers,
      };
      const body = fault.body ??
        (fault.status === 429 || fault.status === 418
          ? binanceError(
            -1003,
            "Too much request weight used; please use WebSocket Streams for live updates.",
          )
          : binanceError(-1001, "Internal error; unable to process your request. Please try again."));
      return answer(fault.status, body, 0, headers);
    }
    if (fault?.kind === "drop" && fault.afterBytes === undefined) {
      log.push({ ...info, status: "dropped", rows: 0 });
      return req.socket.destroy();
    }
    if (used > weightLimit) {
      const retryAfter = String(Math.ceil(((minute + 1) * 60_000 - clock) / 1000));
      return answer(
        429,
        binanceError(
          -1003,
          `Too much request weight used; current limit is ${weightLimit} request weight per 1 MINUTE.`,
        ),
        0,
        { "retry-after": retryAfter },
      );
    }
    if (!p.get("symbol")) {
      return answer(
        400,
        binanceError(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."),
      );
    }
    if (!isInterval(info.interval)) return answer(400, binanceError(-1120, "Invalid interval."));
    const bad = (["startTime", "endTime", "limit"] as const).find((k) => {
      const v = k === "limit" ? num("limit") : info[k];
      return v !== undefined && !Number.isInteger(v);
    });
    if (bad) return answer(400, binanceError(-1100, `Illegal characters found in parameter '${bad}'.`));
    if (info.limit < 1 || info.limit > 1000) {
      return answer(400, binanceError(-1130, "Data sent for parameter 'limit' is not valid."));
    }
    const series = source(info.symbol);
    if (!series) return answer(400, binanceError(-1121, "Invalid symbol."));
    const interval = info.interval as Interval;
    const rows = series[interval];
    if (!rows) {
      const held = INTERVALS.filter((i) => series[i]).join(", ");
      return answer(
        400,
        binanceError(-1120, `Invalid interval. (this test server holds ${info.symbol} at ${held})`),
      );
    }
    const chosen = selectKlines(rows, clock, info);
    const selected = fault?.kind === "rows" ? fault.rows(chosen) : chosen;
    const body = `[${selected.map((r) => klineJson(r, interval)).join(",")}]`;
    if (fault?.kind === "truncate") {
      return answer(200, body.slice(0, Math.floor(body.length / 2)), selected.length);
    }
    if (fault?.kind === "drop") {
      log.push({ ...info, status: "dropped", rows: selected.length });
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(body)),
      });
      res.write(body.slice(0, fault.afterBytes), () => req.socket.destroy());
      return;
    }
    answer(200, body, selected.length);
  };

  const server = createServer(handle);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.hostname ?? "127.0.0.1", () => {
      const address = server.address() as AddressInfo;
      resolve({
        url: `http://${address.address}:${address.port}`,
        log,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Fault injection by request number: `faultsAt({ 2: { kind: "drop" } })`. */
export function faultsAt(faults: Record<number, Fault>): (request: KlinesRequestInfo) => Fault | undefined {
  return (request) => faults[request.n];
}

/**
 * Two years of simulated BTCUSDT and ETHUSDT candles up to `now` at 1h, 4h and 1d: what the stand-alone
 * server serves, for demos without real data.
 */
export function syntheticSource(now = Date.now()): KlineSource {
  const span = 2 * 365 * 24 * 3600_000;
  const series: Record<string, Partial<Record<Interval, KlineRow[]>>> = {};
  ["BTCUSDT", "ETHUSDT"].forEach((symbol, k) => {
    series[symbol] = {};
    for (const interval of ["1h", "4h", "1d"] as const) {
      const step = closeTimeOf(0, interval) + 1;
      const start = Math.floor((now - span) / step) * step;
      series[symbol][interval] = syntheticKlines(interval, start, Math.ceil(span / step) + 1, {
        seed: k + 1,
        price: k === 0 ? 40_000 : 2_000,
      });
    }
  });
  return seriesSource(series);
}

/** `--port N` from a stand-alone server's arguments (8080 when absent); exits 2 on anything else. */
export function serverPort(args: readonly string[], usage: string): number {
  const known = new Set(["--port", "--synthetic"]);
  const bad = args.find((a, i) => a.startsWith("-") && !known.has(a) && args[i - 1] !== "--port");
  const at = args.indexOf("--port");
  const port = at < 0 ? 8080 : Number(args[at + 1]);
  if (bad || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`${bad ? `unknown option ${bad}` : "--port: expected a port 0–65535"}\nusage: ${usage}`);
    Deno.exit(2);
  }
  return port;
}

if (import.meta.main) {
  const port = serverPort(Deno.args, "deno run --allow-net cli/demo/binance_server.ts [--port 8080]");
  const server = await startKlinesServer({ port, source: syntheticSource() });
  console.log(`SIMULATED market (not real prices): Binance-compatible klines at ${server.url}/api/v3/klines`);
}
