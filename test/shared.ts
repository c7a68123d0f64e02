/**
 * Where tests and benches find `../shared` (real candles, TA-Lib fixtures). It lives beside the clone and is
 * never committed; when it is absent the tests that need it are skipped with a message rather than failing.
 */
import { existsSync } from "node:fs";
import { fromFileUrl } from "./paths.ts";

export const SHARED_DIR = fromFileUrl(new URL("../../shared/", import.meta.url));

export function sharedPath(relative: string): string {
  return SHARED_DIR + relative;
}

/** True when the file exists; otherwise warns once, so a skipped test says why. */
export function sharedAvailable(relative: string): boolean {
  const ok = existsSync(sharedPath(relative));
  if (!ok) {
    console.warn(`skipping tests that need ${sharedPath(relative)}: ../shared is not beside this clone`);
  }
  return ok;
}

export const REAL_SYMBOLS = ["BTCUSDT", "ETHUSDT", "BNBUSDT", "ADAUSDT", "SOLUSDT"] as const;

export function realCandlesPath(symbol: string): string {
  return sharedPath(`data/binance-spot-1h/${symbol}-1h.csv`);
}
