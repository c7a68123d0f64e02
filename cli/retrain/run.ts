/**
 * Scheduled retraining (cron): collect the newest candles into the training CSV, train a candidate on
 * everything before a held-out period (weekly: fine-tune `current`; monthly: from scratch), score candidate
 * and `current` on that period, promote only if the candidate is not worse, keep the newest K versions.
 * Each step is a candlecast process of its own (`step.ts` says why).
 */
import { dirname, join, resolve } from "node:path";
import { rm } from "node:fs/promises";
import {
  readTrainingCsv,
  SeparatedTrainingCsvError,
  sliceSeries,
  upperSymbol,
  writeTrainingCsv,
} from "../../features/index.ts";
import { shellWord, utcDay } from "../../base/index.ts";
import { CurrentChangedError, currentVersion, promote } from "../../ml/checkpoints/index.ts";
import { CommandError, InterruptedError, UsageError } from "../errors.ts";
import {
  candidateWindow,
  checkTrainStep,
  refuseRetrainOwnedFlags,
  requireCurrentArchitecture,
  trainStepArgs,
} from "./train_step.ts";
import { isBinanceSymbol } from "../collect/index.ts";
import { acquireLock } from "./lock.ts";
import { holdoutStart } from "../../ml/evaluate/index.ts";
import { requireHoldoutWindows } from "./holdout.ts";
import { collectInterval, requireCurrentInterval, requireDataInterval } from "./interval.ts";
import {
  coveredUntil,
  holdoutOverAllData,
  nothingToFineTune,
  requireCandles,
  requireOpenTimes,
} from "./coverage.ts";
import { appendLogLine, killedRunLine, step, StepError, STOPPED_HINT } from "./step.ts";
import { clearLeftovers, retrainDataDir } from "./store.ts";
import type { RetrainOutcome } from "./outcome.ts";
import { ended, type HoldoutCut, type Manifest, type RetrainOptions, RetrainRun } from "./run_state.ts";

export type { RetrainOptions } from "./run_state.ts";
import { trainCandidate } from "./candidate.ts";
import { judgeCandidate, scoringWindows, type Verdict } from "./judge.ts";

export type { RetrainOutcome } from "./outcome.ts";
export { runFolderRemoved } from "./candidate.ts";

/**
 * A read of the training CSV that a stop ended (a big file takes seconds): said as any stop before a step, not
 * as a missing or bad file.
 */
function throwIfStopped(error: unknown, signal: AbortSignal | undefined): void {
  if (signal?.aborted && error === signal.reason) {
    throw new InterruptedError(`retrain stopped on request while reading the training CSV`, STOPPED_HINT);
  }
}

/**
 * One run, under the lock: the store and the train step's flags checked, the collect step, the held-out cut,
 * the train step, the candidate judged on the held-out windows, then promoted or not and old versions pruned.
 * A step that ends the run early returns its outcome; this run's copy of the data goes however it ends.
 */
export async function runRetrain(opts: RetrainOptions): Promise<RetrainOutcome> {
  const root = resolve(opts.checkpoints);
  const lock = await acquireLock(join(root, ".retrain.lock"));
  let tmpDir: string | null = null;
  try {
    // Under the lock: a run still going (holding it) has no end line yet either.
    const killed = await killedRunLine(opts.log, Deno.pid);
    if (killed !== null) await appendLogLine(opts.log, killed);
    await clearLeftovers(root);
    tmpDir = await retrainDataDir(root);
    const run = await RetrainRun.open(opts, root);
    const trainFlags = await checkTrainArgs(run);
    if (opts.collect) await collectNewCandles(opts, run.current, run.manifest);
    const cut = await cutHoldout(run, trainFlags, tmpDir);
    const covered = await keepIfCovered(run, cut);
    if (covered) return covered;
    const candidate = await trainCandidate(run, cut);
    if (ended(candidate)) return candidate;
    const windows = await scoringWindows(run, cut, candidate);
    if (ended(windows)) return windows;
    const verdict = await judgeCandidate(run, cut, candidate, windows);
    return await promoteOrKeep(run, candidate, verdict);
  } finally {
    if (tmpDir !== null) {
      await rm(tmpDir, { recursive: true, force: true });
      // The copies' folder goes too once empty (a `train --resume` by hand on a leftover copy keeps it).
      await Deno.remove(dirname(tmpDir)).catch(() => {});
    }
    lock.release();
  }
}

/**
 * The train step's flags read by train's own parser and rules, and current's architecture checked, before
 * anything is collected (`train_step.ts`).
 */
async function checkTrainArgs(run: RetrainRun) {
  const { opts, root, current, currentDir, incremental } = run;
  refuseRetrainOwnedFlags(opts.trainArgs, incremental);
  if (currentDir && current) await requireCurrentArchitecture(currentDir, current);
  return await checkTrainStep(
    trainStepArgs("-", root, incremental, currentDir, opts.trainArgs),
    opts.trainArgs.length > 0,
  );
}

/**
 * The collect step: the training CSV retrain extends is checked first (candles, open times, interval, symbols
 * Binance names that way), then `collect` runs as a child from its newest open time, so a file it cannot extend
 * is said before anything runs, not as "'candlecast collect' exited 2".
 */
async function collectNewCandles(
  opts: RetrainOptions,
  current: string | null,
  manifest: Manifest | null,
): Promise<void> {
  const existing = await readTrainingCsv(opts.data, { signal: opts.signal }).catch((error) => {
    throwIfStopped(error, opts.signal);
    // The training CSV a spreadsheet re-saved with ';' is the one to extend: its conversion is the fix, as
    // train and collect say (and as retrain --no-collect did), not "run 'candlecast collect' once first".
    if (error instanceof SeparatedTrainingCsvError) throw error;
    throw new CommandError(
      `${opts.data}: no training CSV to extend`,
      "run 'candlecast collect' once first",
    );
  });
  requireCandles(existing, opts.data, opts.interval ?? manifest?.interval);
  // Before the collect: its --start-date is the newest open time, which a file without them does not have.
  requireOpenTimes(existing, opts.data);
  if (opts.interval !== undefined) requireDataInterval(opts.interval, opts.data, existing);
  if (current) requireCurrentInterval(current, manifest?.interval, opts.data, existing, opts.mode);
  // Symbols from a C# export of another exchange (BTC/USDT) are not Binance's: the collect would fail
  // after the lock and the checks with "'candlecast collect' exited 2", exit 1.
  const foreign = existing.map((s) => s.symbol).filter((s) => !isBinanceSymbol(s));
  // upperSymbol: a CSV written before Turkish casing was read as meant may hold LİNKUSDT (dotted İ).
  const lowerCase = foreign.filter((s) => isBinanceSymbol(upperSymbol(s)));
  if (lowerCase.length > 0) {
    // Written by collect --source json before it upper-cased symbols: collecting BTCUSDT beside btcusdt
    // would count the pair twice.
    throw new UsageError(
      `${opts.data} holds ${lowerCase.join(", ")}, not in Binance's upper case, which names it ` +
        `${lowerCase.map(upperSymbol).join(", ")}: collecting those would add a second copy of ` +
        "each pair",
      "collect the C# export again into a new file ('candlecast collect --source json' upper-cases " +
        "symbols now) and point --data at it",
    );
  }
  if (foreign.length > 0) {
    throw new UsageError(
      `${opts.data} holds ${
        foreign.join(", ")
      }, which Binance does not name that way, and retrain collects ` +
        "new candles from Binance by the data's symbols",
      "add new candles with 'candlecast collect --source json' (or csv) before each run and give retrain " +
        "--no-collect",
    );
  }
  const interval = opts.interval ?? collectInterval(opts.data, existing, manifest?.interval);
  const newest = Math.min(...existing.map((s) => s.openTime[s.length - 1]));
  const args = [
    "collect",
    "--base-url",
    opts.baseUrl,
    "--symbols",
    existing.map((s) => s.symbol).join(","),
    "--interval",
    interval,
    "--start-date",
    utcDay(newest),
    "--output",
    opts.data,
  ];
  await step(opts.log, args, opts.signal, opts.progress).catch((error) => {
    if (!(error instanceof StepError)) throw error;
    // The exact collect to run by hand: retrain has no --replace, and collect's own hint ("give --replace")
    // named a flag retrain refuses; a candle stored while forming failed every scheduled run until then.
    const replace = /--replace/.test(error.message);
    const command = `candlecast ${
      [...args, ...(replace ? ["--replace"] : [])].map((a) => shellWord(a)).join(" ")
    }`;
    const byHand = `${
      replace ? "to let the exchange's candles win, run once by hand" : "by hand"
    }: ${command}`;
    throw new StepError(error.message, error.hint ? `${error.hint}; ${byHand}` : byHand, "");
  });
}

/**
 * The training CSV read and checked, the held-out days' start, and the candidate's training copy of the data
 * before them written into `tmpDir`.
 */
async function cutHoldout(
  run: RetrainRun,
  trainFlags: Awaited<ReturnType<typeof checkTrainStep>>,
  tmpDir: string,
): Promise<HoldoutCut> {
  const { opts, current, currentDir, manifest } = run;
  // The candidate never sees the held-out period: it trains on a copy of the CSV that ends before it.
  const series = await readTrainingCsv(opts.data, { signal: opts.signal }).catch((error) => {
    throwIfStopped(error, opts.signal);
    throw error;
  });
  requireCandles(series, opts.data, opts.interval ?? manifest?.interval);
  if (current) requireCurrentInterval(current, manifest?.interval, opts.data, series, opts.mode);
  requireOpenTimes(series, opts.data);
  const start = holdoutStart(series, opts.holdoutDays);
  const before = series.map((s) => {
    let end = 0;
    while (end < s.length && s.openTime[end] < start) end++;
    return sliceSeries(s, 0, end);
  }).filter((s) => s.length > 0);
  if (before.length === 0) throw holdoutOverAllData(series, opts.holdoutDays, opts.data);
  // Labels lie `horizon` candles ahead: on coarse candles the held-out days may hold no labelled window, or
  // too few days of them for a clear win, which no candidate trained now could change.
  const window = await candidateWindow(trainFlags, currentDir);
  if (window) requireHoldoutWindows(series, window, { ...opts, compared: current !== null });
  const trainCsv = join(tmpDir, "training_data.csv");
  await writeTrainingCsv(trainCsv, before);
  return { series, start, before, trainCsv };
}

/** The run's outcome when a weekly run has nothing to fine-tune on; null when the train step is to run. */
async function keepIfCovered(run: RetrainRun, cut: HoldoutCut): Promise<RetrainOutcome | null> {
  // A weekly run fine-tunes on windows labelled after current's data; when current already covers every
  // candle before the held-out days (a version trained by hand on everything, the documented deployment's
  // first weeks, or a run repeated within --holdout-days) there is nothing to fine-tune on: keep current.
  const covered = run.incremental && run.manifest ? coveredUntil(cut.before, run.manifest.data) : null;
  if (covered === null) return null;
  run.skip(
    ["train", "compare", "promote"],
    "nothing to fine-tune: current already covers the data before the held-out days",
  );
  return await run.outcome(
    nothingToFineTune(run.current!, covered, cut.start, run.opts.holdoutDays),
    false,
    "nothing_to_fine_tune",
    null,
  );
}

/**
 * The verdict acted on: the candidate promoted over the current it was compared with, or current kept (a stop
 * while scoring promotes nothing); the versions beyond --keep pruned, and the run's outcome.
 */
async function promoteOrKeep(run: RetrainRun, candidate: string, judged: Verdict): Promise<RetrainOutcome> {
  const { opts, root, current } = run;
  let { promoted, verdict, reason, byHand = false } = judged;
  if (opts.signal?.aborted) {
    throw new InterruptedError(
      `retrain stopped on request while scoring; ${current ?? "no model"} stays current and ${candidate} ` +
        "was kept but not promoted",
      `promote it by hand with '${run.promoteCommand(candidate)}', or let the next run decide`,
    );
  }
  if (promoted) {
    try {
      // Only over the current it was compared with: a promote or rollback made by hand meanwhile wins.
      await promote(root, candidate, { ifCurrent: current });
    } catch (error) {
      if (!(error instanceof CurrentChangedError)) throw error;
      promoted = false;
      reason = "current_changed";
      byHand = true;
      run.skip(["promote"], "current was changed by hand while retrain ran");
      verdict = `kept ${error.now ?? "no model"}: current changed from ${current ?? "none"} to ` +
        `${error.now ?? "none"} while retrain ran (a promote or rollback by hand is left in place); ` +
        `${candidate} was compared with ${current ?? "no model"} and kept but not promoted (promote it ` +
        `by hand with '${run.promoteCommand(candidate)}' if it should serve)`;
    }
  } else if (current !== null) {
    const now = await currentVersion(root);
    if (now !== current) {
      verdict += `; current is ${now ?? "none"} now: it was changed by hand while retrain ran`;
    }
  }
  return await run.outcome(
    `retrain ${run.summaryMode}: ${verdict}${await run.pruneBeyondKeep({ version: candidate, byHand })}`,
    promoted,
    reason,
    candidate,
  );
}
