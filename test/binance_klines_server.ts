/**
 * The demo's Binance-compatible klines server (cli/demo/binance_server.ts) plus a source of the shared real
 * candles, for tests and benches that must see exchange data exactly as stored.
 */
import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import type { KlineRow, KlineSource } from "../cli/demo/binance_server.ts";
import { REAL_SYMBOLS, realCandlesPath } from "./shared.ts";

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
