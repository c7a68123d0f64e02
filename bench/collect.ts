/**
 * `collect --source binance` for one year of 1h candles of the five real symbols, served by the local
 * Binance-compatible klines server (test/binance_klines_server.ts) on 127.0.0.1. Baseline in the same run:
 * fetching the very same pages and reading their bodies, with no parsing — the transfer cost any client pays —
 * so the ratios say what parsing, paging, indicators and the CSV write cost on top. Also checks the request
 * count is the minimum, ceil(candles/1000) per symbol.
 *
 *   deno task bench:collect
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BinanceClient } from "../cli/collect/binance_client.ts";
import { fetchSymbol } from "../cli/collect/binance.ts";
import { klineRequest, runCollect, silentProgress, systemClock } from "../cli/collect/index.ts";
import type { CollectOptions } from "../cli/collect/index.ts";
import { sharedSource, startKlinesServer } from "../test/binance_klines_server.ts";
import { REAL_SYMBOLS, sharedAvailable } from "../test/shared.ts";

if (!REAL_SYMBOLS.every((s) => sharedAvailable(`data/binance-spot-1h/${s}-1h.csv`))) {
  console.log("bench:collect needs ../shared/data/binance-spot-1h beside the clone; skipped.");
  Deno.exit(0);
}

const REPEATS = 3;
const source = sharedSource();
for (const symbol of REAL_SYMBOLS) source(symbol); // parse the CSVs before anything is timed
const server = await startKlinesServer({ source });
const dir = await mkdtemp(join(tmpdir(), "bench-collect-"));
const window = { kind: "dates", startDate: "2023-01-01", endDate: "2024-01-01" } as const;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(run: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await run();
  return (performance.now() - t0) / 1000;
}

// Full collection: fetch + parse + page + indicators + merge + atomic CSV write, into a fresh file each time.
let candles = 0;
let requests = 0;
const collectSeconds: number[] = [];
for (let r = 0; r < REPEATS + 1; r++) {
  const options: CollectOptions = {
    source: "binance",
    symbols: [...REAL_SYMBOLS],
    interval: "1h",
    window,
    baseUrl: server.url,
    output: join(dir, `run${r}.csv`),
  };
  const seconds = await timed(async () => {
    const report = await runCollect(options, {
      clock: systemClock,
      progress: silentProgress,
      print: () => {},
    });
    [candles, requests] = [report.collected, report.requests];
  });
  if (r > 0) collectSeconds.push(seconds); // run 0 warms up the JIT and the connection pool
}
const pageUrls = server.log.slice(0, requests).map((q) =>
  `${server.url}/api/v3/klines?${new URLSearchParams({
    symbol: q.symbol,
    interval: q.interval,
    limit: String(q.limit),
    startTime: String(q.startTime),
    endTime: String(q.endTime),
  })}`
);
const perSymbol = REAL_SYMBOLS.map((symbol) =>
  server.log.slice(0, requests).filter((q) => q.symbol === symbol)
);
const rowsPerSymbol = perSymbol.map((log) => log.reduce((n, q) => n + q.rows, 0));
const minimum = rowsPerSymbol.reduce((n, rows) => n + Math.ceil(rows / 1000), 0);

// Fetch + parse + page only (no indicators, no CSV).
const fetchSeconds: number[] = [];
for (let r = 0; r < REPEATS; r++) {
  const client = new BinanceClient(server.url, systemClock);
  const request = klineRequest(window, Date.now());
  fetchSeconds.push(
    await timed(async () => {
      for (const symbol of REAL_SYMBOLS) await fetchSymbol(client, symbol, "1h", request, Date.now());
    }),
  );
}

// Baseline: the same pages, bodies read as text, nothing parsed.
const rawSeconds: number[] = [];
let bytes = 0;
for (let r = 0; r < REPEATS; r++) {
  rawSeconds.push(
    await timed(async () => {
      bytes = 0;
      for (const url of pageUrls) bytes += (await (await fetch(url)).text()).length;
    }),
  );
}

await server.close();
await rm(dir, { recursive: true, force: true });

const [full, fetchOnly, raw] = [median(collectSeconds), median(fetchSeconds), median(rawSeconds)];
const rate = (s: number) => Math.round(candles / s).toLocaleString("en-US");
console.log(`| measure | value |
|---|---|
| symbols / candles | ${REAL_SYMBOLS.length} / ${
  candles.toLocaleString("en-US")
} (${window.startDate} → ${window.endDate}, 1h) |
| requests made / minimum ceil(candles/1000) per symbol | ${requests} / ${minimum} |
| response bytes | ${(bytes / 1e6).toFixed(1)} MB |
| baseline: same pages, bodies read, not parsed | ${raw.toFixed(3)} s — ${rate(raw)} candles/s |
| fetch + parse + page (fetchSymbol) | ${fetchOnly.toFixed(3)} s — ${rate(fetchOnly)} candles/s (${
  (fetchOnly / raw).toFixed(2)
}× baseline) |
| full collect (+ indicators, merge, CSV write) | ${full.toFixed(3)} s — ${rate(full)} candles/s (${
  (full / raw).toFixed(2)
}× baseline) |

medians of ${REPEATS} runs after one warm-up run`);
