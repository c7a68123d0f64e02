/** Loads the shared real 1h candles with indicators computed, for tests and benches. */
import { type CandleSeries, computeIndicators, readOhlcvCsv } from "../features/index.ts";
import { REAL_SYMBOLS, realCandlesPath, sharedAvailable } from "./shared.ts";

export const haveRealData = () => sharedAvailable("data/binance-spot-1h/BTCUSDT-1h.csv");

const cache = new Map<string, Promise<CandleSeries>>();

/** One symbol's real candles with TA-Lib indicators over its whole history (cached per process). */
export function loadRealSeries(symbol: string): Promise<CandleSeries> {
  let series = cache.get(symbol);
  if (!series) {
    series = readOhlcvCsv(realCandlesPath(symbol), symbol).then((s) => {
      computeIndicators(s);
      return s;
    });
    cache.set(symbol, series);
  }
  return series;
}

export function loadAllRealSeries(): Promise<CandleSeries[]> {
  return Promise.all(REAL_SYMBOLS.map(loadRealSeries));
}
