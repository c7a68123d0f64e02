/**
 * Raw OHLCV candles from CSV: either with the header `open_time,open,high,low,close,volume` (the layout of
 * the shared real data) or Binance's public kline dumps (no header, 12 columns, open time in ms — or in µs,
 * as in spot files from 2025 on). Indicators are left NaN for the caller to compute.
 */
import { parse } from "csv-parse/sync";
import { CandleError, type CandleSeries, emptySeries, ohlcvProblem, readCandleFile } from "./candles.ts";
import { parseNumberCell } from "./training_csv.ts";

export const OHLCV_HEADER = ["open_time", "open", "high", "low", "close", "volume"] as const;

/** Open times above this are microseconds (ms values pass it only in the year 5138). */
const MICROSECOND_THRESHOLD = 1e14;

export function parseOhlcvCsv(text: string, symbol: string, source = "CSV"): CandleSeries {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, relax_column_count: true, trim: true });
  } catch (error) {
    throw new CandleError(`${source}: not valid CSV (${(error as Error).message})`);
  }
  if (records.length === 0) throw new CandleError(`${source}: the file is empty`);
  const hasHeader = Number.isNaN(Number(records[0][0]));
  if (hasHeader && records[0].slice(0, 6).join(",").toLowerCase() !== OHLCV_HEADER.join(",")) {
    throw new CandleError(
      `${source}: unexpected header "${records[0].join(",")}"; expected ${OHLCV_HEADER.join(",")} ` +
        `or a Binance kline dump without a header`,
    );
  }
  const body = hasHeader ? records.slice(1) : records;
  const firstLine = hasHeader ? 2 : 1;
  const s = emptySeries(symbol, body.length);
  body.forEach((record, i) => {
    const where = `${source} line ${firstLine + i}`;
    if (record.length < 6) {
      throw new CandleError(`${where}: expected at least 6 columns, found ${record.length}`);
    }
    const [t, open, high, low, close, volume] = record.slice(0, 6).map((cell, k) =>
      parseNumberCell(cell, k === 0 && hasHeader, `${where} (${OHLCV_HEADER[k]})`)
    );
    const openTime = t > MICROSECOND_THRESHOLD ? Math.floor(t / 1000) : t;
    const problem = ohlcvProblem({ openTime, open, high, low, close, volume }, where);
    if (problem) throw new CandleError(problem);
    s.openTime[i] = openTime;
    s.open[i] = open;
    s.high[i] = high;
    s.low[i] = low;
    s.close[i] = close;
    s.volume[i] = volume;
  });
  return s;
}

export async function readOhlcvCsv(path: string, symbol: string): Promise<CandleSeries> {
  const text = await readCandleFile(path);
  return parseOhlcvCsv(text, symbol, path);
}
