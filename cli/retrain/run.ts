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
import { plural, utcDay } from "../../base/index.ts";
import {
  CurrentChangedError,
  currentVersion,
  listVersionNames,
  promote,
  recordDataSource,
  seenUntilOf,
} from "../../ml/checkpoints/index.ts";
import { readPreprocessorFile } from "../../engine/index.ts";
import { CommandError, InterruptedError, UsageError } from "../errors.ts";
import { checkpointsFlag } from "../flags.ts";
import {
  candidateWindow,
  checkTrainStep,
  refuseRetrainOwnedFlags,
  requireCurrentArchitecture,
  trainStepArgs,
} from "./train_step.ts";
import { isBinanceSymbol } from "../collect/index.ts";
import { acquireLock } from "./lock.ts";
import { runFolderNames, withoutKeptRunClause } from "../train/run_names.ts";
import {
  heldOutDifference,
  holdoutSet,
  holdoutStart,
  requireHoldoutWindows,
  scoreCheckpoint,
  scoreGradientBoosting,
} from "./holdout.ts";
import { collectInterval, requireCurrentInterval, requireDataInterval } from "./interval.ts";
import {
  coveredUntil,
  dataEnd,
  holdoutOverAllData,
  nothingToFineTune,
  requireCandles,
  requireOpenTimes,
} from "./coverage.ts";
import { step, StepError, STOPPED_HINT } from "./step.ts";
import {
  clearLeftovers,
  currentManifest,
  ownRunFolders,
  prune,
  retrainDataDir,
  versionsTrainedOn,
} from "./store.ts";
import {
  boostingReference,
  describeDifference,
  differenceJudgement,
  failedCriteria,
  type PromotionRule,
  score,
  scorePair,
} from "./promotion.ts";
import {
  differenceJson,
  finite,
  type RetrainJson,
  type RetrainOutcome,
  type RetrainReason,
} from "./outcome.ts";

export interface RetrainOptions {
  readonly mode: "weekly" | "monthly";
  readonly data: string;
  readonly checkpoints: string;
  readonly collect: boolean;
  readonly baseUrl: string;
  readonly interval?: string;
  readonly holdoutDays: number;
  /** How the candidate must score against current to be promoted (`PromotionRule`). */
  readonly promoteIf: PromotionRule;
  /** The candidate may be this much worse in macro-F1 / log-loss and still be promoted. */
  readonly f1Tolerance: number;
  readonly loglossTolerance: number;
  readonly keep: number;
  readonly log: string;
  /** Passed through to `train` (epochs, model, budget flags), over current's recorded configuration. */
  readonly trainArgs: readonly string[];
  /** Aborted on Ctrl-C / SIGTERM: the running step is stopped, nothing is promoted, the run ends with exit 130. */
  readonly signal?: AbortSignal;
  /** Hears a line as each step starts (retrain on a terminal; cron mail keeps its one summary line). */
  readonly progress?: (line: string) => void;
}

export type { RetrainOutcome } from "./outcome.ts";

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
 * A failed train step's error once retrain has removed that training's run folder. train's hint ended "… kept
 * in <run>: 'candlecast train --resume' finishes the run", which is no longer so: taken out of the hint and of
 * the message, where a failed step quotes train's own reason and hint (it said "finishes the run" and then
 * "could not finish it" on one line).
 */
export function runFolderRemoved(error: CommandError): CommandError {
  return new CommandError(
    `${withoutKeptRunClause(error.message)}; retrain removed that training's run folder (its data was a ` +
      "temporary copy, so 'train --resume' could not finish it)",
    error.hint === undefined ? undefined : withoutKeptRunClause(error.hint),
  );
}

export async function runRetrain(opts: RetrainOptions): Promise<RetrainOutcome> {
  const root = resolve(opts.checkpoints);
  // Hints spell out the store: printed bare, 'candlecast models promote vN' acted on the default checkpoints/
  // folder, not the one retrain ran on (helper's trial 31).
  const promoteCommand = (version: string) =>
    `candlecast models promote ${version}${checkpointsFlag(opts.checkpoints)}`;
  const lock = await acquireLock(join(root, ".retrain.lock"));
  let tmpDir: string | null = null;
  try {
    await clearLeftovers(root);
    tmpDir = await retrainDataDir(root);
    const current = await currentVersion(root);
    const currentDir = current ? join(root, current) : null;
    const manifest = current ? await currentManifest(root, current) : null;
    // Weekly fine-tunes current; without one (or monthly) the candidate is trained from scratch.
    const incremental = opts.mode === "weekly" && current !== null;
    // What --json reports beside the summary line, filled in as the run goes.
    const report: Pick<
      RetrainJson,
      | "holdout"
      | "candidate_scores"
      | "current_scores"
      | "log_loss_difference"
      | "failed_criteria"
      | "gradient_boosting_log_loss"
      | "gradient_boosting_iterations"
      | "removed_versions"
      | "skipped_steps"
    > = {
      holdout: null,
      candidate_scores: null,
      current_scores: null,
      log_loss_difference: null,
      failed_criteria: [],
      gradient_boosting_log_loss: null,
      gradient_boosting_iterations: null,
      removed_versions: [],
      skipped_steps: opts.collect ? [] : [{ step: "collect", reason: "--no-collect" }],
    };
    const skip = (steps: RetrainJson["skipped_steps"][number]["step"][], reason: string) =>
      steps.forEach((step) => report.skipped_steps.push({ step, reason }));
    const outcome = async (
      summary: string,
      promoted: boolean,
      reason: RetrainReason,
      candidate: string | null,
    ): Promise<RetrainOutcome> => ({
      summary,
      promoted,
      candidate,
      json: {
        mode: opts.mode,
        from_scratch: !incremental,
        promote_if: opts.promoteIf,
        promoted,
        reason,
        current_before: current,
        current_after: await currentVersion(root).catch(() => null),
        candidate,
        ...report,
        summary,
        log: opts.log,
      },
    });
    // The versions beyond --keep removed, and the end of the summary line that names them.
    const pruneBeyondKeep = async () => {
      report.removed_versions = await prune(root, opts.keep);
      return keptLine(report.removed_versions, opts.keep);
    };
    refuseRetrainOwnedFlags(opts.trainArgs, incremental);
    if (currentDir && current) await requireCurrentArchitecture(currentDir, current);
    const trainFlags = await checkTrainStep(
      trainStepArgs("-", root, incremental, currentDir, opts.trainArgs),
      opts.trainArgs.length > 0,
    );

    if (opts.collect) await collectNewCandles(opts, current, manifest);

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

    // A weekly run fine-tunes on windows labelled after current's data; when current already covers every
    // candle before the held-out days (a version trained by hand on everything, the documented deployment's
    // first weeks, or a run repeated within --holdout-days) there is nothing to fine-tune on: keep current.
    const covered = incremental && manifest ? coveredUntil(before, manifest.data) : null;
    if (covered !== null) {
      skip(
        ["train", "compare", "promote"],
        "nothing to fine-tune: current already covers the data before the held-out days",
      );
      return await outcome(
        nothingToFineTune(current!, covered, start, opts.holdoutDays),
        false,
        "nothing_to_fine_tune",
        null,
      );
    }
    const existingVersions = new Set(await listVersionNames(root));
    const existingRuns = new Set(await runFolderNames(root));
    try {
      await step(
        opts.log,
        trainStepArgs(trainCsv, root, incremental, currentDir, opts.trainArgs),
        opts.signal,
        opts.progress,
      );
    } catch (error) {
      // A stopped or failed step's run cannot be resumed (its --data is this run's temporary copy, removed
      // below), so its run folder goes, however it ended (train keeps one on a full disk for --resume); a
      // version train finished writing before it stopped stays, unpromoted.
      const left = await ownRunFolders(root, existingRuns, trainCsv);
      for (const r of left) await rm(join(root, r), { recursive: true, force: true });
      if (error instanceof InterruptedError) {
        const written = await versionsTrainedOn(root, existingVersions, trainCsv);
        // Kept unpromoted, so named by its source like any candidate (on a failure it keeps the copy's path).
        for (const version of written) {
          await recordDataSource(join(root, version), resolve(opts.data), start).catch(() => {});
        }
        throw new InterruptedError(
          `retrain stopped on request during 'train'; ${current ?? "no model"} stays current` +
            (written.length > 0 ? `; ${written.join(", ")} was written but not promoted` : "") +
            (left.length > 0 ? `; removed its unfinished training run` : ""),
          written.length > 0
            ? `promote it by hand with '${promoteCommand(written[0])}', or let the next run decide`
            : STOPPED_HINT,
        );
      }
      // Some new candles, but too few to split into training, validation and test windows: as above, nothing
      // to fine-tune on yet (train stops before it writes anything; its own reason is in the log).
      if (incremental && error instanceof StepError && error.tooLittleNewData) {
        const since = manifest ? dataEnd(manifest.data, before) : null;
        skip(["compare", "promote"], "too little new data to fine-tune on: train wrote no candidate");
        return await outcome(
          `retrain ${opts.mode}: nothing to fine-tune: kept ${current}: too little new data` +
            (since !== null
              ? ` between its data end ${utcDay(since)} and the held-out ${opts.holdoutDays} days ` +
                `from ${utcDay(start)}`
              : ` before the held-out ${opts.holdoutDays} days`) +
            ` (see ${opts.log}); the next weekly run tries again, or run 'retrain --mode monthly'`,
          false,
          "too_little_new_data",
          null,
        );
      }
      if (left.length > 0 && error instanceof CommandError) throw runFolderRemoved(error);
      throw error;
    }
    const candidate = (await versionsTrainedOn(root, existingVersions, trainCsv))[0] ?? null;
    if (!candidate) {
      throw new CommandError(
        `train finished but wrote no new version into ${root}; current is unchanged`,
        `its output is in ${opts.log}; run retrain again, or train by hand to see why`,
      );
    }
    const candidateDir = join(root, candidate);
    // The candidate names the CSV it came from, not this run's copy of it (removed when the run ends).
    await recordDataSource(candidateDir, resolve(opts.data), start);
    const mode = opts.mode === "weekly" && !incremental
      ? "weekly (no current model: trained from scratch)"
      : opts.mode;

    const candidatePre = await readPreprocessorFile(candidateDir);
    const currentPre = currentDir ? await readPreprocessorFile(currentDir) : null;
    const shape = {
      lookback: Math.max(candidatePre.lookback, currentPre?.lookback ?? 0),
      horizon: candidatePre.horizon,
      labelRule: candidatePre.labelRule,
    };
    // A current model that saw part of the held-out days in its training (fit, early stopping, calibration)
    // would be scored in-sample there, and the candidate of a weekly run inherits its weights: compare only on
    // windows after the last time current saw, as evaluate --checkpoint does (seenUntilOf: its split's test
    // start, not its data's end: a version trained by hand with a test split was called in-sample on days it
    // had only been tested on, and its candidate never promoted; a newcomer's trial).
    const seenUntil = current && manifest ? seenUntilOf(manifest) ?? null : null;
    const scoredFrom = seenUntil !== null && seenUntil >= start ? seenUntil + 1 : start;
    const trimmed = scoredFrom > start
      ? ` (from ${utcDay(scoredFrom)}: ${current} saw data up to ${
        utcDay(seenUntil!)
      } in training, earlier days ` +
        "would be in-sample)"
      : "";
    const set = holdoutSet(series, scoredFrom, shape);
    const newest = Math.max(...series.map((s) => s.openTime[s.length - 1]));
    report.holdout = {
      days: opts.holdoutDays,
      from: utcDay(start),
      scored_from: utcDay(scoredFrom),
      to: utcDay(newest),
      windows: set.size,
    };
    if (set.size === 0 && trimmed) {
      // --keep holds here too: a cron running retrain again within --holdout-days ends here every time, and
      // each run added a version that was never pruned (operator trial).
      skip(
        ["compare", "promote"],
        "current saw all of the held-out days in training: scores there are in-sample",
      );
      return await outcome(
        `retrain ${mode}: kept ${current}; it saw all of the held-out ${opts.holdoutDays} days in ` +
          `training (data up to ${
            utcDay(seenUntil!)
          }), so scores there are in-sample, not evidence; ${candidate} ` +
          `was kept but not promoted (promote it by hand with '${promoteCommand(candidate)}', or ` +
          `run retrain after more new candles)${await pruneBeyondKeep()}`,
        false,
        "in_sample",
        candidate,
      );
    }
    if (set.size === 0) {
      throw new CommandError(
        `no labelled windows in the held-out ${opts.holdoutDays} days; ${candidate} was kept but not promoted`,
        "collect more recent candles or raise --holdout-days",
      );
    }
    const period = `holdout ${utcDay(scoredFrom)}…${utcDay(newest)}, ` +
      `${plural(set.size, "window")}${trimmed}`;
    const cand = await scoreCheckpoint(candidateDir, set);
    // The baseline the model has to beat (issue 11), on the same held-out windows: a reference, not a gate.
    const boosting = await scoreGradientBoosting(series, start, shape, set, opts.signal);
    const reference = boostingReference(boosting);
    const scoresJson = (m: typeof cand) => ({
      macro_f1: finite(m.macro_f1),
      log_loss: finite(m.log_loss),
      rule: m.rule,
    });
    report.candidate_scores = scoresJson(cand);
    report.gradient_boosting_log_loss = boosting ? finite(boosting.log_loss) : null;
    report.gradient_boosting_iterations = boosting?.iterations ?? null;
    let promoted: boolean, verdict: string, reason: RetrainReason;
    if (!current || !currentPre) {
      promoted = true;
      reason = "no_current_model";
      skip(["compare"], "no current model to compare with");
      verdict = `promoted ${candidate} (no current model; ${period}: macro-F1 ${score(cand.macro_f1)} ` +
        `(${cand.rule} rule), ` +
        `log-loss ${score(cand.log_loss)}${reference})`;
    } else if (
      currentPre.horizon !== candidatePre.horizon ||
      JSON.stringify(currentPre.labelRule) !== JSON.stringify(candidatePre.labelRule)
    ) {
      promoted = false;
      reason = "not_comparable";
      skip(["compare", "promote"], "the candidate predicts another horizon or label rule than current");
      verdict =
        `kept ${current}: ${candidate} predicts another horizon or label rule, so the two cannot be ` +
        `compared; promote it by hand with '${promoteCommand(candidate)}'`;
    } else {
      const cur = await scoreCheckpoint(currentDir!, set);
      const difference = heldOutDifference(set, cand, cur, shape.horizon);
      const clearWin = opts.promoteIf === "clearly-better" ? difference : undefined;
      const failed = failedCriteria(cand, cur, opts, clearWin);
      promoted = failed.length === 0;
      reason = promoted ? "passed" : "failed_criteria";
      report.current_scores = scoresJson(cur);
      report.log_loss_difference = differenceJson(difference, differenceJudgement(difference));
      report.failed_criteria = failed;
      if (!promoted) {
        skip(["promote"], `the candidate scored ${failed.join(" and ")} on the held-out windows`);
      }
      const rules = cand.rule === cur.rule ? `${cand.rule} rule` : `${cand.rule} vs ${cur.rule} rule`;
      const numbers = `${period}: macro-F1 ${scorePair(cand.macro_f1, cur.macro_f1)} (${rules}), ` +
        `log-loss ${scorePair(cand.log_loss, cur.log_loss)} (${describeDifference(difference)})${reference}`;
      // Which criterion failed on these windows, never a general "worse".
      verdict = promoted
        ? `promoted ${candidate} over ${current} (${numbers})`
        : `kept ${current}; ${candidate} scored ${failed.join(" and ")} on the held-out windows (${numbers})`;
    }
    if (opts.signal?.aborted) {
      throw new InterruptedError(
        `retrain stopped on request while scoring; ${current ?? "no model"} stays current and ${candidate} ` +
          "was kept but not promoted",
        `promote it by hand with '${promoteCommand(candidate)}', or let the next run decide`,
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
        skip(["promote"], "current was changed by hand while retrain ran");
        verdict = `kept ${error.now ?? "no model"}: current changed from ${current ?? "none"} to ` +
          `${error.now ?? "none"} while retrain ran (a promote or rollback by hand is left in place); ` +
          `${candidate} was compared with ${current ?? "no model"} and kept but not promoted (promote it ` +
          `by hand with '${promoteCommand(candidate)}' if it should serve)`;
      }
    } else if (current !== null) {
      const now = await currentVersion(root);
      if (now !== current) {
        verdict += `; current is ${now ?? "none"} now: it was changed by hand while retrain ran`;
      }
    }
    return await outcome(
      `retrain ${mode}: ${verdict}${await pruneBeyondKeep()}`,
      promoted,
      reason,
      candidate,
    );
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
 * The collect step: the training CSV retrain extends is checked first (candles, open times, interval, symbols
 * Binance names that way), then `collect` runs as a child from its newest open time, so a file it cannot extend
 * is said before anything runs, not as "'candlecast collect' exited 2".
 */
async function collectNewCandles(
  opts: RetrainOptions,
  current: string | null,
  manifest: Awaited<ReturnType<typeof currentManifest>> | null,
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
  await step(
    opts.log,
    [
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
    ],
    opts.signal,
    opts.progress,
  );
}

/**
 * The versions removed beyond the newest `keep` (never current or the last promoted), for the run's summary
 * line: monitor skips the logged predictions of a version that is gone, and says only that.
 */
function keptLine(removed: readonly string[], keep: number): string {
  return removed.length > 0
    ? `; removed ${plural(removed.length, "old version")} beyond --keep ${keep} (${removed.join(", ")})`
    : "";
}
