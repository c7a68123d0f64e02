/**
 * `candlecast collect`: candles from a source (Binance REST, the C# export, an OHLCV CSV) merged into the
 * training CSV of SPEC §2 with indicators over each symbol's whole history, then a summary. A Binance
 * failure or a Ctrl-C still writes every candle fetched before it, then fails the command. The candles come
 * from `gather.ts`; this module merges, checks and writes them, and re-exports what `../collect.ts` needs.
 *
 * @example The C# bot's export merged into a training CSV, on the real clock, without a progress bar
 * ```ts
 * import { runCollect, silentProgress, systemClock } from "./index.ts";
 *
 * const report = await runCollect(
 *   { source: "json", jsonPath: "cli/collect/testdata/candle_export.json", output: "/tmp/training.csv" },
 *   { clock: systemClock, progress: silentProgress, print: console.log }, // print: the summary's lines
 * );
 * console.log(report.collected, report.summaries.map((s) => s.symbol)); // 160 [ "BTCUSDT", "ETHUSDT" ]
 * ```
 */
import { stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import {
  assertFeaturesFit,
  assertValidSeries,
  type CandleSeries,
  computeIndicators,
  fillMissingIndicators,
  type Grid,
  inferGrid,
  NotTrainingCsvError,
  readTrainingCsv,
  scanTrainingCsv,
  SeparatedTrainingCsvError,
  sortedBySymbol,
  type TrainingCsvLayout,
  trainingCsvStamp,
  unchangedSince,
  writeTrainingCsv,
  writeTrainingCsvSpliced,
} from "../../features/index.ts";
import {
  describeOwner,
  type HeldLock,
  LockBusyError,
  lockFile,
  lockPathFor,
  LockWaitInterrupted,
  plural,
  removeStaleTemps,
  writtenFile,
} from "../../base/index.ts";
import { CommandError, InterruptedError, UsageError } from "../errors.ts";
import type { BinanceError } from "./binance_client.ts";
import type { CollectEnv, CollectStage } from "./env.ts";
import { gather } from "./gather.ts";
import type { ZeroFilled } from "./csharp_export.ts";
import { changedIndicatorRows, type Conflict, type Merged, MergeError, mergeSeries } from "./merge.ts";
import type { CollectOptions } from "./options.ts";
import { checkUtcGrid, refuseMixedIntervals, refuseOffGrid } from "./grid_checks.ts";
import { describeCsvFiles, remarkSymbols } from "./csv_files.ts";
import { indicatorsOverFile, warmUpAside } from "./file_window.ts";
import { formatSummary, summarize, type SymbolSummary, utc } from "./summary.ts";

export { DEFAULT_LIMIT, IntervalSchema, isBinanceSymbol, parseCollectFlags, SOURCES } from "./options.ts";
export type { CollectOptions, CsvFile, Window } from "./options.ts";
export { expandCsvPaths } from "./csv_files.ts";
export { lineProgress, type Progress, silentProgress, ttyProgress } from "./progress.ts";
export { type Clock, ManualClock, systemClock } from "./clock.ts";
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./binance_client.ts";
export type { CollectEnv, CollectStage } from "./env.ts";
export { klineRequest } from "./gather.ts";

/**
 * The line said the moment Ctrl-C is pressed (before the run sees it) at `stage`: what the run will now do with
 * the output. It promised a merge even while the run waited for another collect's lock, a wait the press ends
 * with nothing written, and spoke of candles "fetched" from files (helper trial s43).
 */
export function stopNotice(options: CollectOptions, stage: CollectStage): string {
  const word = fetchedWord(options);
  if (stage.step === "waiting") {
    return `stopping; the candles ${word} will not be merged: ${options.output} is in use by another run, so ` +
      "nothing will be written";
  }
  if (options.source !== "binance") {
    // Files are read to their end (a read is not cut short), then merged and written.
    return stage.step === "gathering"
      ? `stopping once the files are read; their candles will be merged into ${options.output}`
      : `stopping; the candles read will be merged into ${options.output}`;
  }
  if (stage.candles === 0) {
    return `stopping; no candle has been fetched yet, so nothing will be written to ${options.output}`;
  }
  return `stopping; the candles fetched so far will be merged into ${options.output}`;
}

export interface CollectReport {
  summaries: SymbolSummary[];
  /** HTTP requests made to Binance, retries included (0 for files). */
  requests: number;
  /** Candles read from the source in this run. */
  collected: number;
}

/**
 * One `collect`: the candles gathered, then, under the output's lock, merged into the training CSV with
 * indicators over each symbol's whole history and written atomically. Conflicting rows without `replace`
 * refuse the whole write; after an interrupt or a Binance failure, what was fetched is written, then the
 * command fails.
 */
export async function runCollect(options: CollectOptions, env: CollectEnv): Promise<CollectReport> {
  const gathered = await gather(options, env);
  const collected = gathered.series.reduce((n, s) => n + s.length, 0);
  const interrupted = env.signal?.aborted ?? false;
  if (collected === 0 && interrupted) {
    throw new InterruptedError(
      `collect interrupted before any candle was ${fetchedWord(options)}; nothing was written`,
      "run the same command again",
    );
  }
  if (collected === 0) {
    if (gathered.failures.length > 0) throw failureError(gathered.failures, "");
    // A file holding a header alone is a usage error (2), as an empty one, a training CSV of a header alone
    // and a C# export's empty array are: nothing in it failed, the file named has no candles to collect.
    // Binance's "no closed candles" stays 1: the request was right, the exchange had none.
    throw options.source === "binance"
      ? new CommandError(
        `no closed candles to collect for ${describeRequest(options)}`,
        "check the dates: Binance has candles only from a symbol's listing until the last closed one",
      )
      : new UsageError(
        `${describeRequest(options)} holds no candles`,
        `${
          options.source === "csv" && options.files.length > 1 ? "none of them has" : "it has no"
        } data rows; fill it with candles first (${
          options.source === "csv" ? "open_time,open,high,low,close,volume" : "the C# bot's candle export"
        })`,
      );
  }

  if (options.source === "csv") remarkSymbols(options.files, env.print);

  // Read, merge and write under the output's lock: two collects into one file (cron overlapping a manual
  // run) would otherwise both read the old rows and the second rename would drop the first one's symbols.
  // Locked, and swept of temps, as the file written: a symlink's target. By the name given, a collect into a
  // link and one into the file it leads to took two locks and ran at once (helper trial s43: both exited 0,
  // one's rows lost), and a killed run's temp, left beside the target, was never swept.
  const target = await writtenFile(options.output).catch(() => options.output);
  using _lock = await lockOutput(options.output, target, fetchedWord(options), env, collected);
  env.stage?.({ step: "writing", candles: collected });
  const stale = await removeStaleTemps(dirname(target) || ".", basename(target) + ".");
  if (stale.length > 0) {
    env.progress.notice(
      `removed ${plural(stale.length, "temp file")} left by a killed run: ${stale.join(", ")}`,
    );
  }
  const existing = await readExisting(options.output, new Set(gathered.series.map((s) => s.symbol)));
  refuseMixedIntervals(
    existing.series,
    gathered.series,
    gathered.grid,
    options.output,
    existing.fileGrid,
    gathered.locate,
  );
  // A file's candles before a window typed (read for the indicators' warm-up) are held to the grid too, and
  // said to be such where one is refused.
  refuseOffGrid(
    existing.series,
    gathered.series.map((s) => gathered.fileCandles?.get(s.symbol) ?? s),
    gathered.grid,
    options.output,
    {
      fileGrid: existing.fileGrid,
      locate: gathered.locate,
      strict: options.source !== "binance",
      aside: warmUpAside(gathered.series, gathered.fileCandles, options.window),
    },
  );
  checkUtcGrid(existing.series, gathered.series, env.print, gathered.grid);
  const bySymbol = new Map(existing.series.map((s) => [s.symbol, s]));
  const added = new Map<string, number>();
  const replaced = new Map<string, number>();
  const conflicts: Conflict[] = [];
  /** Each symbol's last open time in the file, before the merge: a conflict there may be a forming candle. */
  const lastStored = new Map<string, number>();
  /** Rows already in the file whose indicators the merge changed, by symbol (`changedIndicatorRows`). */
  const rewritten = new Map<string, number>();
  for (const incoming of gathered.series) {
    if (incoming.length === 0) continue;
    const before = bySymbol.get(incoming.symbol);
    if (before && before.length > 0) lastStored.set(incoming.symbol, before.openTime[before.length - 1]);
    const merged = mergeOrExplain(before, incoming, options.output);
    indicatorsOverFile(
      merged.series,
      gathered.fileCandles?.get(incoming.symbol),
      gathered.ownIndicators ? fillMissingIndicators : computeIndicators,
    );
    // Replaced rows (--replace) move the indicators after them for that reason, which the summary says.
    if (before && merged.conflicts.length === 0) {
      const changed = changedIndicatorRows(before, merged.series);
      if (changed > 0) rewritten.set(incoming.symbol, changed);
    }
    assertValidSeries(merged.series, (i) => candleName(merged.series, i));
    // The indicators computed here can overflow too (a close of 1e-30 after ones near 1e11: macd/close).
    assertFeaturesFit(merged.series, (i) => candleName(merged.series, i));
    bySymbol.set(incoming.symbol, merged.series);
    added.set(incoming.symbol, (added.get(incoming.symbol) ?? 0) + merged.added);
    replaced.set(incoming.symbol, (replaced.get(incoming.symbol) ?? 0) + merged.conflicts.length);
    conflicts.push(...merged.conflicts);
  }
  // Checked before anything is written: a refused run leaves the file byte for byte as it was.
  if (conflicts.length > 0 && !options.replace) throw conflictError(options, conflicts, lastStored);
  // Sorted by symbol, as the reader returns them: the file a collect writes depends on its candles only, not on
  // the order of --symbols, of a folder's files or of the symbols already in it (a new one was appended).
  const all = sortedBySymbol([...bySymbol.values()]);
  // A rerun with nothing new leaves the file as it was (its mtime too), unless its bytes would change.
  // A file read whole is refused, like a scanned one, when another program changed it since it was read.
  const written = existing.layout
    ? await writeTrainingCsvSpliced(existing.layout, all, { keepSame: true })
    : await writeTrainingCsv(options.output, all, {
      keepSame: true,
      beforeRename: unchangedSince(options.output, existing.stamp),
    });

  const summaries = sortedBySymbol([
    ...existing.untouched,
    ...all.map((s) =>
      summarize(
        s,
        added.get(s.symbol) ?? 0,
        added.has(s.symbol) && gathered.grid ? gathered.grid : inferGrid(s.openTime),
        replaced.get(s.symbol) ?? 0,
      )
    ),
  ]);
  // A symbol interrupted before its first candle came (Ctrl-C during the exchange's 5xx retries) was not found
  // empty: it is named among those with nothing yet below, not as one with "no closed candles".
  const cutShort = gathered.series.find((s) => s.length === 0 && s.symbol === gathered.interruptedSymbol);
  for (const s of gathered.series) {
    if (s.length === 0 && s !== cutShort && !gathered.failedSymbols?.has(s.symbol)) {
      env.print(`${s.symbol}: no closed candles for ${describeRequest(options, [s.symbol])}`);
    }
  }
  env.print(formatSummary(options.output, summaries, !written));
  for (const [symbol, rows] of rewritten) {
    env.print(
      indicatorsRewrittenNote(
        symbol,
        rows,
        options.output,
        gathered.ownIndicators,
        gathered.zeroFilled?.get(symbol),
      ),
    );
  }
  // A file source is read to its end whatever the press (a read is not cut short): pressed while it was read,
  // the output is as whole as one pressed later, said below. It read "collect interrupted; the candles read
  // were written" with no hint, as if part of the file were missing (helper trial s49).
  if (interrupted && options.source === "binance") {
    // Symbols are fetched in turn: those after the one interrupted were not asked for.
    const untouched = [
      ...(cutShort ? [cutShort.symbol] : []),
      ...options.symbols.slice(gathered.series.length),
    ];
    const missing = untouched.length > 0 ? ` (nothing yet for ${untouched.join(", ")})` : "";
    throw new InterruptedError(
      `collect interrupted; the ${plural(collected, "candle")} fetched ${collected === 1 ? "was" : "were"} ` +
        `written to ${options.output}${missing}`,
      "the same command again completes the file (it fetches the whole range again; rows already there are " +
        "kept, not doubled)",
    );
  }
  if (gathered.failures.length > 0) {
    throw failureError(
      gathered.failures,
      `; the ${collected} candle${collected === 1 ? "" : "s"} fetched ${
        collected === 1 ? "was" : "were"
      } written to ${options.output}`,
    );
  }
  if (env.signal?.aborted) {
    // Pressed after fetching ended (during the merge or the write), or while files were read: the write was let
    // finish, since the file is replaced whole or not at all, but the run was stopped on request, so it exits
    // 130 as every command does (train's stop after training saves the version whole and exits 130 too): a
    // script or a shell loop running it learns of the press and stops too; it exited 0, as if never pressed.
    // A fetch failure above is said first (exit 1): it is what the next run must fix.
    const word = fetchedWord(options);
    throw new InterruptedError(
      `collect interrupted after every candle was ${word}; ${options.output} was written whole with the ` +
        `${plural(collected, "candle")} ${word}`,
      `nothing is left to collect: the run finished its work before it stopped (exit 130 says only that it was ` +
        "stopped on request)",
    );
  }
  return { summaries, requests: gathered.requests, collected };
}

/**
 * Said under the summary when rows already in the file got other indicator values: the bot's own (a C# export)
 * recomputed from prices, or computed ones replaced by an export's. Either is what the merge does (one rule per
 * file: computed over each symbol's whole history, or the export's where it gives them), but "+0" hid it.
 * `zeroFilled`: the symbol's indicators the export gives as 0 throughout, read as missing and computed from the
 * candles: the note called them "the export's own" where an older collect had written the zeros and this one
 * replaced them with values the export does not hold.
 */
export function indicatorsRewrittenNote(
  symbol: string,
  rows: number,
  output: string,
  fromExport: boolean,
  zeroFilled?: Pick<ZeroFilled, "listed" | "givesNone">,
): string {
  const what = `${symbol}: the indicators of ${plural(rows, "row")} already in ${output}`;
  if (!fromExport) {
    return `note: ${what} were recomputed from prices over the symbol's whole history (values a C# export gave, ` +
      "or computed before earlier candles were added, are replaced)";
  }
  if (zeroFilled === undefined) {
    return `note: ${what} are now the export's own where it gives them (what was there is replaced)`;
  }
  const zeros = `as 0 on every candle past the warm-up (read as missing, as the warning above says)`;
  return zeroFilled.givesNone
    ? `note: ${what} are now computed from the candles: the export gives ${zeroFilled.listed} ${zeros} and ` +
      "no other indicator values (what was there is replaced)"
    : `note: ${what} are now the export's own where it gives them, and computed from the candles for ` +
      `${zeroFilled.listed}, which it gives ${zeros} (what was there is replaced)`;
}

/** "BTCUSDT candle 12 (2024-01-01 12:00 UTC)": where a problem is, in the series collect is about to write. */
function candleName(s: CandleSeries, i: number): string {
  const t = s.openTime[i];
  return `${s.symbol} candle ${i}${Number.isNaN(t) ? "" : ` (${utc(t)} UTC)`}`;
}

/** Long enough for any honest collect holding the file to finish merging; then fail rather than hang. */
export const OUTPUT_LOCK_WAIT_MS = 10 * 60_000;

/**
 * Takes the lock of `written`, the file that writing `output` replaces, for messages named by `output`; `word`
 * says how the `candles` in hand came ("fetched", "read").
 */
async function lockOutput(
  output: string,
  written: string,
  word: string,
  env: CollectEnv,
  candles: number,
): Promise<HeldLock> {
  const path = lockPathFor(written);
  try {
    return await lockFile(path, `collect into ${output}`, {
      waitMs: env.lockWaitMs ?? OUTPUT_LOCK_WAIT_MS,
      onWait: (owner) => {
        env.stage?.({ step: "waiting", candles });
        env.progress.notice(`${output} is in use by ${describeOwner(owner)}; waiting for it`);
      },
      // A press before the wait (while fetching or reading) was answered "the candles … will be merged": that is
      // kept by waiting as a finished run would (a second Ctrl-C still quits); only a press during the wait
      // gives it up. With the signal passed, the wait ended at once and the run wrote nothing (review s43).
      signal: env.signal?.aborted ? undefined : env.signal,
    });
  } catch (error) {
    if (error instanceof LockWaitInterrupted) {
      throw new InterruptedError(
        `collect interrupted while waiting for ${output}, in use by ${describeOwner(error.owner)}; ` +
          `nothing was written (the candles ${word} were not merged)`,
        "run the same command again once the other run has finished",
      );
    }
    if (!(error instanceof LockBusyError)) throw error;
    throw new CommandError(
      `${output} is still in use by ${describeOwner(error.owner)} after ${
        Math.round(error.waitedMs / 1000)
      } s`,
      `let that run finish, or collect into another --output; ${path} is the lock`,
    );
  }
}

/** How many conflicts an error names; the rest are counted. */
const CONFLICTS_SHOWN = 3;

/**
 * The conflicts refused, named. From Binance, a symbol's only one, on its last candle in the file, is most likely
 * that candle stored while it was still forming (a collect on a host whose clock ran ahead of the exchange's):
 * said so, with the fix, since every later collect, and retrain's, failed on it with "give --replace". A file
 * source (csv, json) brings no forming candles: its conflicts are the file's to check, wherever they are.
 */
function conflictError(
  options: CollectOptions,
  conflicts: readonly Conflict[],
  lastStored: ReadonlyMap<string, number>,
): CommandError {
  const output = options.output;
  const shown = conflicts.slice(0, CONFLICTS_SHOWN).map((c) =>
    `${c.symbol} ${utc(c.openTime)} ${c.column} ${c.existing} → ${c.incoming}`
  );
  const more = conflicts.length > CONFLICTS_SHOWN ? ` and ${conflicts.length - CONFLICTS_SHOWN} more` : "";
  const symbols = [...new Set(conflicts.map((c) => c.symbol))].join(", ");
  // Only a symbol's one conflict, on its last candle: another symbol's candles contradict more than that one.
  const atEnd = options.source !== "binance"
    ? []
    : conflicts.filter((c) =>
      lastStored.get(c.symbol) === c.openTime && conflicts.every((o) => o === c || o.symbol !== c.symbol)
    );
  const forming = atEnd.length === 0
    ? ""
    : `; ${atEnd.map((c) => `${c.symbol} ${utc(c.openTime)} UTC`).join(", ")} ${
      atEnd.length === 1
        ? "is the file's last candle of its symbol: it"
        : "are the file's last candles of theirs: they"
    } may have been stored while still forming (by a collect on a host whose clock ran ahead of the exchange's)`;
  const replace =
    "collect --replace overwrites the rows in the file with the source's (for retrain, run its " +
    "collect once by hand with --replace)";
  return new CommandError(
    `${output}: ${plural(conflicts.length, "candle")} already there ` +
      `${conflicts.length === 1 ? "differs" : "differ"} from the source (${shown.join("; ")}${more}); ` +
      `nothing was written${forming}`,
    atEnd.length === conflicts.length
      ? `${replace}; then check the host's clock is synchronised (timedatectl); if the file's values are the ` +
        "right ones, check the source (--base-url) instead"
      : `check that the source holds ${symbols} (with --source csv, --symbol names it); ` +
        "give --replace to overwrite the rows in the file",
  );
}

function mergeOrExplain(existing: CandleSeries | undefined, incoming: CandleSeries, output: string): Merged {
  try {
    return mergeSeries(existing, incoming);
  } catch (error) {
    if (!(error instanceof MergeError)) throw error;
    throw new CommandError(
      `${output}: ${error.message}`,
      'write to another --output, or have the bot export each candle\'s open time as "t"',
    );
  }
}

function describeRequest(options: CollectOptions, symbols?: readonly string[]): string {
  if (options.source === "json") return options.jsonPath;
  if (options.source === "csv") {
    return describeCsvFiles(
      symbols ? options.files.filter((f) => symbols.includes(f.symbol)) : options.files,
    );
  }
  const w = options.window;
  const what = w.kind === "latest"
    ? `the latest ${w.count}`
    : w.kind === "months"
    ? `the last ${w.months} month${w.months === 1 ? "" : "s"}`
    : `${w.startDate} → ${w.endDate ?? "now"}`;
  return `${(symbols ?? options.symbols).join(", ")} ${options.interval} (${what})`;
}

const fetchedWord = (options: CollectOptions) => (options.source === "binance" ? "fetched" : "read");

function failureError(failures: BinanceError[], written: string): CommandError {
  return new CommandError(failures.map((f) => f.message).join("; "), failures[0].hint + written);
}

/** The output as a merge needs it. */
interface Existing {
  /** Its rows of the symbols collected; of every symbol when it was read whole. */
  series: CandleSeries[];
  /** Where its other symbols' rows lie, copied byte for byte into the file written; null when read whole. */
  layout: TrainingCsvLayout | null;
  /** The summaries of those other symbols, whose rows this run leaves as they are. */
  untouched: SymbolSummary[];
  /** The output's interval (`refuseMixedIntervals`): the step of its first symbol, by name, that shows one. */
  fileGrid: Grid | null | undefined;
  /** The output as it was before it was read (`trainingCsvStamp`; null: none): the write refuses another. */
  stamp: string | null;
}

/**
 * The output, read for a merge into `symbols`. A file laid out as collect writes it is read one symbol at a
 * time, the others checked, summarized and let go, to be copied as they are: reading it whole to add one symbol
 * to 25 (246 MB) took 436 MB and 12 s. Any other file is read whole, as it always was, which puts it in order
 * or says what is wrong with it.
 */
async function readExisting(path: string, symbols: ReadonlySet<string>): Promise<Existing> {
  // Taken before anything is read: a change made while it is read is a change since.
  const stamp = await trainingCsvStamp(path);
  const none: Existing = { series: [], layout: null, untouched: [], fileGrid: null, stamp };
  try {
    // An empty file (`touch`, or `: >` in a script) holds nothing to merge with: written as a new one. It was
    // "the file is empty; make one with 'candlecast collect'", the command that refused.
    if ((await stat(path)).size === 0) return none;
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return none;
    throw error;
  }
  const untouched: SymbolSummary[] = [];
  const grids: { symbol: string; grid: Grid | null }[] = [];
  const layout = await scanTrainingCsv(path, symbols, (s) => {
    const grid = inferGrid(s.openTime);
    grids.push({ symbol: s.symbol, grid });
    untouched.push(summarize(s, 0, grid));
  });
  if (layout) {
    grids.push(...layout.wanted.map((s) => ({ symbol: s.symbol, grid: inferGrid(s.openTime) })));
    const fileGrid = sortedBySymbol(grids).find((g) => g.grid !== null)?.grid ?? null;
    return { series: layout.wanted, layout, untouched, fileGrid, stamp };
  }
  try {
    return { series: await readTrainingCsv(path), layout: null, untouched: [], fileGrid: undefined, stamp };
  } catch (error) {
    // Another file at --output (a raw CSV, a report) is the user's to move: collect merges only into its own.
    if (error instanceof NotTrainingCsvError) {
      throw new UsageError(
        `--output: ${error.message}; collect merges new candles into a training CSV it wrote`,
        // A training CSV a spreadsheet re-saved with ';' is collect's own: converting it back is the fix.
        error instanceof SeparatedTrainingCsvError
          ? `${error.hint} (nothing was written)`
          : "choose another --output, or move that file away (nothing was written)",
      );
    }
    throw error;
  }
}
