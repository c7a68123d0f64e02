/**
 * The shared feature module: sources → candles → indicators → features → windows; plus the small helpers every
 * layer uses, some of which do I/O (atomic writes, file locks, path kinds; README § "Why file I/O lives here").
 * The feature code itself is pure, but for the candle readers.
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
export {
  type FileData,
  lockTempFolder,
  removeStaleTemps,
  writeFileAtomic,
  writeFilesAtomic,
  type WriteOptions,
  writtenFile,
} from "./atomic_write.ts";
export * from "./file_lock.ts";
export * from "./trend_score.ts";
export * from "./rng.ts";
export * from "./market_simulator.ts";
export { plural } from "./plural.ts";
export { formatDuration, MAX_TIMER_MS, timerMs } from "./duration.ts";
export { utcDay } from "./utc_day.ts";
export { eventLoopTurns, finishSteps, finishStepsTurning } from "./event_loop.ts";
export { ReportedError } from "./reported_error.ts";
export {
  nonRegularKind,
  NotRegularFileError,
  readRegularFile,
  readRegularTextFile,
  requireRegularFile,
} from "./regular_file.ts";
export { processUser } from "./process_user.ts";
export { shellWord } from "./shell_word.ts";
export { writeStderr, writeStderrLine } from "./stderr.ts";
export {
  type BatchProgress,
  drawsInPlace,
  etaText,
  type ProgressOptions,
  terminalProgress,
} from "./progress.ts";
export { lowerKey, MAX_SYMBOL_LENGTH, SYMBOL_PATTERN, SYMBOL_RULE, upperSymbol } from "./symbols.ts";
export {
  fileAbove,
  folderNotFileError,
  outputFileProblem,
  pathKind,
  PathKindError,
  sameFolder,
  statOrNull,
} from "./path_kind.ts";
export { type PathRules, PLATFORM_PATHS, withoutTrailingSeparators } from "./path_rules.ts";
