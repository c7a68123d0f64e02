/**
 * Raw OHLCV candles from CSV: either with the header `open_time,open,high,low,close,volume` (the layout of
 * the shared real data) or Binance's public kline dumps (no header, 12 columns, open time in ms — or in µs,
 * as in spot files from 2025 on). Open times in s, µs or ns are converted to ms (`open_time.ts`).
 * Indicators are left NaN for the caller to compute.
 */
import { parse } from "csv-parse/sync";
import {
  CandleError,
  type CandleSeries,
  emptySeries,
  ohlcvProblem,
  readCandleFile,
  withoutBom,
} from "./candles.ts";
import { assertFeaturesFit } from "./engineer.ts";
import { openTimesToMs } from "./open_time.ts";
import { parseNumberCell } from "./training_csv.ts";

export const OHLCV_HEADER = ["open_time", "open", "high", "low", "close", "volume"] as const;

export function parseOhlcvCsv(text: string, symbol: string, source = "CSV"): CandleSeries {
  // Each record goes straight into number columns as csv-parse reads it (on_record returns nothing to keep):
  // a million-row dump held as string arrays took ~2 GB, these columns take 48 MB.
  const columns: number[][] = OHLCV_HEADER.map(() => []);
  let hasHeader: boolean | null = null;
  const lineOf = (i: number) => `${source} line ${(hasHeader ? 2 : 1) + i}`;
  try {
    parse(withoutBom(text), {
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      on_record: (record: string[]) => {
        if (hasHeader === null) {
          hasHeader = Number.isNaN(Number(record[0]));
          if (hasHeader) {
            if (record.slice(0, 6).join(",").toLowerCase() !== OHLCV_HEADER.join(",")) {
              throw new CandleError(
                `${source}: unexpected header "${record.join(",")}"; expected ${OHLCV_HEADER.join(",")} ` +
                  `or a Binance kline dump without a header`,
              );
            }
            return null;
          }
        }
        const where = lineOf(columns[0].length);
        if (record.length < 6) {
          throw new CandleError(`${where}: expected at least 6 columns, found ${record.length}`);
        }
        const [t, open, high, low, close, volume] = record.slice(0, 6).map((cell, k) =>
          parseNumberCell(cell, k === 0 && hasHeader === true, `${where} (${OHLCV_HEADER[k]})`)
        );
        const problem = ohlcvProblem({ openTime: t, open, high, low, close, volume }, where);
        if (problem) throw new CandleError(problem);
        [t, open, high, low, close, volume].forEach((v, k) => columns[k].push(v));
        return null;
      },
    });
  } catch (error) {
    if (error instanceof CandleError) throw error;
    throw new CandleError(`${source}: not valid CSV (${(error as Error).message})`);
  }
  if (hasHeader === null) throw new CandleError(`${source}: the file is empty`);
  const s = emptySeries(symbol, columns[0].length);
  s.openTime.set(columns[0]);
  s.open.set(columns[1]);
  s.high.set(columns[2]);
  s.low.set(columns[3]);
  s.close.set(columns[4]);
  s.volume.set(columns[5]);
  refusePartlyTimed(s.openTime, lineOf);
  openTimesToMs(s.openTime, lineOf);
  assertFeaturesFit(s, lineOf);
  return s;
}

/**
 * Open times on every row or on none (as the C# export's "t"): one row without its time in a timed file
 * would be merged and ordered as a candle of no time, and its gap counted as NaN candles.
 */
function refusePartlyTimed(times: Float64Array, lineOf: (i: number) => string): void {
  const missing = times.findIndex(Number.isNaN);
  if (missing < 0 || times.every(Number.isNaN)) return;
  const timed = times.filter((t) => !Number.isNaN(t)).length;
  throw new CandleError(
    `${lineOf(missing)}: open_time is empty while ${timed} of ${times.length} rows have one`,
    "give every row its open time (ms since the epoch), or leave the column empty on every row",
  );
}

export async function readOhlcvCsv(path: string, symbol: string): Promise<CandleSeries> {
  const text = await readCandleFile(path);
  return parseOhlcvCsv(text, symbol, path);
}
