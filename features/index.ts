/**
 * The shared feature module: sources → candles → indicators → features → windows. The feature code itself is
 * pure; the candle readers and writers do the folder's only I/O, through `../base/` (README § "Where file I/O
 * lives").
 *
 * @example From a training CSV to the model's input: the one pipeline train, serve, predict and export share
 * ```ts
 * import { engineerWindow, readTrainingCsv, windowEnds } from "./index.ts";
 *
 * const [btc] = await readTrainingCsv("data/training_data.csv"); // candles + TA-Lib indicators, checked
 * const { ends, skipped } = windowEnds(btc, { lookback: 50, horizon: 4 }); // past the indicators' warm-up
 * const last = ends[ends.length - 1];
 * const x = engineerWindow(btc, last - 49, 50); // [50, 35] SPEC §5 features, unscaled
 * console.log(`${ends.length} windows (${skipped} in warm-up); the last ends at candle ${last}`, x.length);
 * ```
 */
export * from "./candles.ts";
export * from "./indicators.ts";
export * from "./engineer.ts";
export * from "./labels.ts";
export * from "./scaler.ts";
export * from "./windows.ts";
export {
  NotTrainingCsvError,
  readTrainingCsv,
  SeparatedTrainingCsvError,
  sortedBySymbol,
  trainingCsvChunks,
  trainingCsvText,
  writeTrainingCsv,
} from "./training_csv.ts";
export * from "./training_csv_splice.ts";
export * from "./ohlcv_csv.ts";
export { misreadOpenTime, openTimesToMs } from "./open_time.ts";
export * from "./intervals.ts";
export * from "./trend_score.ts";
export * from "./rng.ts";
export * from "./market_simulator.ts";
export { lowerKey, MAX_SYMBOL_LENGTH, SYMBOL_PATTERN, SYMBOL_RULE, upperSymbol } from "./symbols.ts";
