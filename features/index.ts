/** The shared feature module: sources → candles → indicators → features → windows. Pure, except the CSV readers. */
export * from "./candles.ts";
export * from "./indicators.ts";
export * from "./engineer.ts";
export * from "./labels.ts";
export * from "./scaler.ts";
export * from "./windows.ts";
export * from "./training_csv.ts";
export * from "./ohlcv_csv.ts";
export { misreadOpenTime, openTimesToMs } from "./open_time.ts";
export * from "./intervals.ts";
export { removeStaleTemps, writeFileAtomic } from "./atomic_write.ts";
export * from "./file_lock.ts";
export * from "./trend_score.ts";
export * from "./rng.ts";
export * from "./market_simulator.ts";
export { plural } from "./plural.ts";
export { shellWord } from "./shell_word.ts";
export { fileAbove, folderNotFileError, outputFileProblem, pathKind, PathKindError } from "./path_kind.ts";
