/**
 * What every layer stands on and is no feature: atomic writes, lock files, path kinds, the regular-file read,
 * message words, progress on stderr. The bottom layer: it imports nothing else of candlecast.
 *
 * @example A file another process may be writing, replaced whole or not at all
 * ```ts
 * import { lockFile, plural, writeFileAtomic } from "./index.ts";
 *
 * // waits up to a minute for another holder, then says who holds it
 * const lock = await lockFile("data/training_data.csv.lock", "collect", { waitMs: 60_000 });
 * try {
 *   await writeFileAtomic("data/training_data.csv", "symbol,open_time\n"); // temp file, flushed, renamed
 * } finally {
 *   lock.release();
 * }
 * console.log(`wrote ${plural(1, "file")}`);
 * ```
 */
export {
  type FileData,
  lockTempFolder,
  refuseDanglingFolderLink,
  removeStaleTemps,
  writeFileAtomic,
  writeFilesAtomic,
  type WriteOptions,
  writtenFile,
} from "./atomic_write.ts";
export * from "./file_lock.ts";
export { plural } from "./plural.ts";
export { columnsOf, cutToColumns, padColumns } from "./text_width.ts";
export { formatDuration, MAX_TIMER_MS, timerMs } from "./duration.ts";
export { utcDay, utcMinute } from "./utc_day.ts";
export { eventLoopTurns, finishSteps, finishStepsTurning } from "./event_loop.ts";
export { ReportedError } from "./reported_error.ts";
export {
  nonRegularKind,
  NotRegularFileError,
  readRegularFile,
  readRegularFileTail,
  readRegularTextFile,
  requireRegularFile,
} from "./regular_file.ts";
export { processUser } from "./process_user.ts";
export { shellWord } from "./shell_word.ts";
export { openFolderReadOnly, sameFile } from "./same_file.ts";
export { writeStderr, writeStderrLine } from "./stderr.ts";
export {
  type BatchProgress,
  consoleColumns,
  drawsInPlace,
  etaText,
  fitLine,
  type ProgressOptions,
  terminalProgress,
} from "./progress.ts";
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
export { parseJsonText } from "./json_text.ts";
