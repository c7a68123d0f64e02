/**
 * The demo's Binance-compatible klines server (cli/demo/binance_server.ts) plus a source of the shared real
 * candles, for tests and benches that must see exchange data exactly as stored. Run on its own it serves
 * the shared real 1h candles (or, with --synthetic, the demo's simulated ones) until stopped:
 *
 *   deno run --allow-read --allow-net test/binance_klines_server.ts [--port 8080] [--synthetic]
 */
import { existsSync, readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import {
  type KlineRow,
  type KlineSource,
  serverPort,
  startKlinesServer,
  syntheticSource,
} from "../cli/demo/binance_server.ts";
import { REAL_SYMBOLS, realCandlesPath, SHARED_DIR } from "./shared.ts";

export * from "../cli/demo/binance_server.ts";

export function parseKlineRows(csvText: string): KlineRow[] {
  const records: string[][] = parse(csvText, { skip_empty_lines: true, trim: true, from_line: 2 });
  return records.map(([t, open, high, low, close, volume]) => ({
    openTime: Number(t),
    open,
    high,
    low,
    close,
    volume,
  }));
}

/** The shared real 1h candles, read lazily per symbol. */
export function sharedSource(symbols: readonly string[] = REAL_SYMBOLS): KlineSource {
  const cache = new Map<string, KlineRow[]>();
  return (symbol) => {
    if (!symbols.includes(symbol)) return undefined;
    let rows = cache.get(symbol);
    if (!rows) cache.set(symbol, rows = parseKlineRows(readFileSync(realCandlesPath(symbol), "utf8")));
    return { "1h": rows };
  };
}

if (import.meta.main) {
  const usage = "deno run --allow-read --allow-net test/binance_klines_server.ts [--port 8080] [--synthetic]";
  const port = serverPort(Deno.args, usage);
  const synthetic = Deno.args.includes("--synthetic");
  if (!synthetic && !existsSync(realCandlesPath("BTCUSDT"))) {
    console.error(
      `no real candles at ${SHARED_DIR}data/binance-spot-1h/\nhint: add --synthetic to serve simulated ones`,
    );
    Deno.exit(1);
  }
  const server = await startKlinesServer({ port, source: synthetic ? syntheticSource() : sharedSource() });
  const what = synthetic
    ? "SIMULATED BTCUSDT, ETHUSDT at 1h, 4h, 1d"
    : `${REAL_SYMBOLS.join(", ")} at 1h (real)`;
  console.log(`Binance-compatible klines at ${server.url}/api/v3/klines: ${what} (Ctrl-C to stop)`);
}
