/**
 * Scheduled retraining (cron): collect the newest candles into the training CSV, train a candidate on
 * everything before a held-out period (weekly: fine-tune `current`; monthly: from scratch), score candidate
 * and `current` on that period, promote only if the candidate is not worse, keep the newest K versions.
 *
 * Each step runs as its own candlecast process with its output appended to a log file: a crash or an
 * out-of-memory kill in training cannot take the orchestrator (or its lock) down with it, and cron mail gets
 * one summary line instead of a training transcript.
 */
import { join, resolve } from "node:path";
import { rm } from "node:fs/promises";
import {
  type CandleSeries,
  intervalOf,
  isInterval,
  otherInterval,
  plural,
  readTrainingCsv,
  shellWord,
  sliceSeries,
  writeTrainingCsv,
} from "../../features/index.ts";
import {
  CheckpointStoreError,
  CurrentChangedError,
  currentVersion,
  type DataEnds,
  listVersionNames,
  promote,
  readHistory,
  readManifest,
  symbolDataEnd,
} from "../../ml/checkpoints/index.ts";
import { CheckpointError, readPreprocessorFile } from "../../engine/index.ts";
import type { Metrics } from "../../ml/metrics/index.ts";
import { CommandError, InterruptedError, UsageError } from "../errors.ts";
import { checkTrainStep, refuseRetrainOwnedFlags, trainStepArgs } from "./train_step.ts";
import { isBinanceSymbol } from "../collect/index.ts";
import { acquireLock } from "./lock.ts";
import { isLiveRun, runData, runFolderNames } from "../train/run_names.ts";
import { childEnv } from "../exit_with_parent.ts";
import { holdoutSet, holdoutStart, scoreCheckpoint, scoreGradientBoosting } from "./holdout.ts";
import { selfCommand } from "../self_command.ts";

export interface RetrainOptions {
  readonly mode: "weekly" | "monthly";
  readonly data: string;
  readonly checkpoints: string;
  readonly collect: boolean;
  readonly baseUrl: string;
  readonly interval?: string;
  readonly holdoutDays: number;
  /** The candidate may be this much worse in macro-F1 / log-loss and still be promoted. */
  readonly f1Tolerance: number;
  readonly loglossTolerance: number;
  readonly keep: number;
  readonly log: string;
  /** Passed through to `train` (epochs, model, budget flags), over current's recorded configuration. */
  readonly trainArgs: readonly string[];
  /** Aborted on Ctrl-C / SIGTERM: the running step is stopped, nothing is promoted, the run ends with exit 130. */
  readonly signal?: AbortSignal;
}

/**
 * `--interval` against the candles already in `data`: collect would refuse to mix them, but only after fetching
 * from the exchange, as a runtime failure of its step (exit 1); a flag that contradicts the file is the user's.
 */
function requireDataInterval(interval: string, data: string, existing: readonly CandleSeries[]): void {
  const fromData = otherInterval(existing.map((s) => s.openTime), interval);
  if (fromData === null) return;
  throw new UsageError(
    `--interval ${interval}: ${data} holds ${fromData} candles, and one training CSV holds one interval`,
    `leave --interval out (retrain collects the file's ${fromData}), or point --data at a ${interval} CSV`,
  );
}

/**
 * Weekly fine-tunes current, whose horizon and lookback count its own candles: data on another interval would
 * be refused by the train step, after the collect fetched from the exchange (exit 1); said first instead.
 */
function requireCurrentInterval(
  current: string,
  recorded: string | null | undefined,
  data: string,
  series: readonly CandleSeries[],
): void {
  const fromData = otherInterval(series.map((s) => s.openTime), recorded);
  if (fromData === null) return;
  throw new UsageError(
    `--data: ${data} holds ${fromData} candles, but current (${current}) was trained on ${recorded} candles: ` +
      "weekly fine-tunes it",
    `point --data at its ${recorded} candles, or run --mode monthly to train a new model on these`,
  );
}

/**
 * The interval retrain collects into `data` when no `--interval` is given: the one its candles are on (the
 * file is what collect extends, and collect refuses candles off its grid), else the one current's manifest
 * records. Before session 20 it took the manifest's alone and "1h" without one, so a retrain of 4h candles
 * with no current version collected hourly candles into them, and versions that recorded monthly data as
 * "31d" (before a780cd7) passed collect a name it refuses.
 */
export function collectInterval(
  data: string,
  existing: readonly CandleSeries[],
  recorded?: string | null,
): string {
  const fromData = intervalOf(existing.map((s) => s.openTime));
  if (fromData !== null && isInterval(fromData)) return fromData;
  if (fromData === null && recorded && isInterval(recorded)) return recorded;
  throw new CommandError(
    fromData === null
      ? `${data}: cannot tell which candle interval to collect (one candle per symbol, and no model records one)`
      : `${data}: its candles are ${fromData} apart, which is no Binance interval retrain could collect`,
    "pass --interval (1h, 4h, 1d, …), or --no-collect to train on the file as it is",
  );
}

export interface RetrainOutcome {
  readonly summary: string;
  readonly promoted: boolean;
  readonly candidate: string | null;
}

/** A step that failed: its one-line reason (and hint) as the CLI prints it. */
class StepError extends CommandError {
  /** The step was `train --incremental` finding too few windows after its parent's data (its hint says so). */
  readonly tooLittleNewData: boolean;
  constructor(message: string, hint: string, reason: string) {
    super(message, hint);
    this.tooLittleNewData = /hint: there may be too little data since /.test(reason);
  }
}

/** The newest candle a version was trained on among the given symbols, or null when unrecorded. */
function dataEnd(data: DataEnds, series: readonly CandleSeries[]): number | null {
  const ends = series.map((s) => symbolDataEnd(data, s.symbol)).filter((t): t is number => t !== undefined);
  return ends.length > 0 ? Math.max(...ends) : data.end_ms;
}

/**
 * When a version's training data already reaches every candle of `series` (so `train --incremental` would find
 * no window labelled after it), where that data ends; null when some symbol has newer candles or the version
 * does not record where its data ends.
 */
export function coveredUntil(series: readonly CandleSeries[], data: DataEnds): number | null {
  for (const s of series) {
    const end = symbolDataEnd(data, s.symbol);
    if (end === undefined || (s.length > 0 && s.openTime[s.length - 1] > end)) return null;
  }
  return dataEnd(data, series);
}

/** The summary of a weekly run with nothing to fine-tune on (current already covers the data before the holdout). */
export function nothingToFineTune(
  current: string,
  covered: number,
  start: number,
  holdoutDays: number,
): string {
  const dates = `its data reaches ${day(covered)}, they start ${day(start)}`;
  return `retrain weekly: nothing to fine-tune: ${current} already covers the data before the held-out ` +
    `${holdoutDays} days (${dates}); kept it (weekly runs fine-tune once newer candles fall before the ` +
    "held-out days; 'retrain --mode monthly' trains from scratch)";
}

/**
 * `--holdout-days` reaching back to the oldest candle leaves nothing before the held-out days to train on.
 * Unchecked, monthly's train step failed blaming its lookback and weekly kept current as "covering" data up to
 * a date before the data began: the flag's value is what is wrong (exit 2), said against the data's span.
 */
export function holdoutOverAllData(
  series: readonly CandleSeries[],
  holdoutDays: number,
  data: string,
): UsageError {
  const oldest = Math.min(...series.map((s) => s.openTime[0]));
  const newest = Math.max(...series.map((s) => s.openTime[s.length - 1]));
  const spanDays = (newest - oldest) / 86_400_000;
  // The default when the data is long enough, else a fifth of the span (at least a day).
  const smaller = Math.max(1, Math.min(14, Math.floor(spanDays / 5)));
  return new UsageError(
    `--holdout-days ${holdoutDays} covers all of the data: ${data} spans ${+spanDays.toFixed(1)} days ` +
      `(${day(oldest)} → ${day(newest)}), so no candle is left before the held-out days to train on`,
    `hold out fewer days than the data spans, e.g. --holdout-days ${smaller}, or collect a longer history`,
  );
}

/** Thrown (as InterruptedError) when the run was asked to stop; checked between steps. */
function stopIfAsked(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new InterruptedError(`retrain stopped on request ${what}`, STOPPED_HINT);
}
const STOPPED_HINT = "current is untouched; the next scheduled run starts afresh";

async function step(log: string, args: readonly string[], signal?: AbortSignal): Promise<void> {
  stopIfAsked(signal, `before '${args[0]}'`);
  const file = await Deno.open(log, { append: true, create: true });
  try {
    await file.write(
      new TextEncoder().encode(`\n[${new Date().toISOString()}] $ candlecast ${args.join(" ")}\n`),
    );
    const { command: cmd, args: cmdArgs } = selfCommand(args);
    const child = new Deno.Command(cmd, {
      args: cmdArgs,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
      env: childEnv(), // the step dies with this process, however it ends
    }).spawn();
    // Stop the step as Ctrl-C would (train saves nothing it would be asked to resume: see runRetrain).
    const stop = () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
    };
    signal?.addEventListener("abort", stop, { once: true });
    child.status.finally(() => signal?.removeEventListener("abort", stop));
    let tail = "";
    const copy = async (stream: ReadableStream<Uint8Array>, keepTail: boolean) => {
      for await (const chunk of stream) {
        await file.write(chunk);
        if (keepTail) tail = (tail + new TextDecoder().decode(chunk)).slice(-4000);
      }
    };
    const [status] = await Promise.all([child.status, copy(child.stdout, false), copy(child.stderr, true)]);
    if (!status.success && signal?.aborted) {
      throw new InterruptedError(`retrain stopped on request during '${args[0]}'`, STOPPED_HINT);
    }
    if (!status.success) {
      const how = status.signal ? `was killed by ${status.signal}` : `exited ${status.code}`;
      // The step's own one-line reason and hint (SPEC §1 errors) say more than "see the log".
      const reason = tail.split("\n").filter((l) => /^(candlecast|hint): /.test(l)).join("; ");
      throw new StepError(
        `'candlecast ${args[0]}' ${how}${reason ? `: ${reason}` : ""}`,
        `${log} has its output`,
        reason,
      );
    }
  } finally {
    file.close();
  }
}

/**
 * The store's own failures (a `current` that is not a symlink, a version's file unreadable) as the runtime
 * failures they are, with the store's hint (exit 1; not "unexpected failure … bug"). A conditional promotion
 * that lost to a change by hand passes through: the caller reports it.
 */
async function storeStep<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CurrentChangedError) throw error;
    if (error instanceof CheckpointStoreError || error instanceof CheckpointError) {
      throw new CommandError(error.message, error.hint);
    }
    throw error;
  }
}

/**
 * current's manifest (what weekly fine-tunes and both modes compare with): a current whose version is gone or
 * damaged stops the run before anything is collected or trained, saying what to promote instead.
 */
async function currentManifest(root: string, current: string) {
  try {
    return await readManifest(join(root, current));
  } catch (error) {
    if (!(error instanceof CheckpointStoreError)) throw error;
    throw new CommandError(
      `current points at ${current}, which cannot be read (${error.message}); nothing was trained and ` +
        "current is unchanged",
      `promote an intact version ('candlecast models list --checkpoints ${shellWord(root)}' shows them) ` +
        `with 'candlecast models promote VERSION --checkpoints ${shellWord(root)}', then run retrain again`,
    );
  }
}

/**
 * The versions new since `before` that were trained on `data` (this run's temporary copy, recorded in their
 * manifest): a `train` run by hand into the same folder meanwhile writes versions too, and one of them must not
 * be scored and promoted as this run's candidate.
 */
async function versionsTrainedOn(root: string, before: ReadonlySet<string>, data: string): Promise<string[]> {
  const own: string[] = [];
  for (const version of await listVersionNames(root)) {
    if (before.has(version)) continue;
    const manifest = await readManifest(join(root, version)).catch(() => null);
    if (manifest?.data.path === data) own.push(version);
  }
  return own;
}

/**
 * The run folders new since `before` that this run's train step left: trained on `data` (its run.json says so)
 * and no longer locked. A `train` run by hand into the same folder meanwhile has its own, live or kept for its
 * `--resume`: those are not this run's to remove.
 */
async function ownRunFolders(root: string, before: ReadonlySet<string>, data: string): Promise<string[]> {
  const own: string[] = [];
  for (const name of await runFolderNames(root)) {
    if (before.has(name)) continue;
    if (await isLiveRun(join(root, name)).catch(() => true)) continue; // a live train's
    // A listed run folder has its run.json from the start (`RunFolder.create`); one unreadable is nobody's to
    // go by, so it is left to `train`'s own pruning of abandoned runs.
    if (await runData(join(root, name)) === data) own.push(name);
  }
  return own;
}

/** Scores in summaries: four decimals, enough to tell apart most candidates from current (`scorePair`). */
const SCORE_DIGITS = 4;
const score = (x: number) => x.toFixed(SCORE_DIGITS);

/**
 * Candidate's and current's score side by side, with four decimals or as many more as it takes to show them
 * apart: at three, a rejection for "higher log-loss" printed "log-loss 1.098 vs 1.098", a reason the reader
 * could not see. Equal numbers print equal.
 */
export function scorePair(a: number, b: number): string {
  let digits = SCORE_DIGITS;
  // Up to toFixed's limit of 100 decimals, which tells apart any two different doubles of a score's size.
  while (digits < 100 && a !== b && a.toFixed(digits) === b.toFixed(digits)) digits++;
  return `${a.toFixed(digits)} vs ${b.toFixed(digits)}`;
}

type Scores = Pick<Metrics, "macro_f1" | "log_loss">;
type Tolerance = { readonly f1Tolerance: number; readonly loglossTolerance: number };

/** Which criteria of the promotion rule the candidate fails, as the summary words them (none: promote). */
export function failedCriteria(candidate: Scores, current: Scores, tolerance: Tolerance): string[] {
  return [
    ...(candidate.macro_f1 < current.macro_f1 - tolerance.f1Tolerance ? ["lower macro-F1"] : []),
    ...(candidate.log_loss > current.log_loss + tolerance.loglossTolerance ? ["higher log-loss"] : []),
  ];
}

/** The promotion rule: the candidate's macro-F1 is not lower and its log-loss not higher, within tolerances. */
export function notWorse(candidate: Scores, current: Scores, tolerance: Tolerance): boolean {
  return failedCriteria(candidate, current, tolerance).length === 0;
}
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Removes the oldest versions beyond `keep`, never `current` nor the version a rollback would return to. */
async function prune(root: string, keep: number): Promise<string[]> {
  const names = await listVersionNames(root);
  const current = await currentVersion(root);
  const history = await readHistory(root);
  const protect = new Set([current, history[history.length - 1]].filter((v): v is string => !!v));
  const removable = names.slice(0, Math.max(0, names.length - keep)).filter((v) => !protect.has(v));
  for (const v of removable) await rm(join(root, v), { recursive: true, force: true });
  return removable;
}

export async function runRetrain(opts: RetrainOptions): Promise<RetrainOutcome> {
  const root = resolve(opts.checkpoints);
  const lock = await acquireLock(join(root, ".retrain.lock"));
  const tmpDir = await Deno.makeTempDir({ prefix: "candlecast-retrain-" });
  try {
    const current = await storeStep(() => currentVersion(root));
    const currentDir = current ? join(root, current) : null;
    const manifest = current ? await currentManifest(root, current) : null;
    // Weekly fine-tunes current; without one (or monthly) the candidate is trained from scratch.
    const incremental = opts.mode === "weekly" && current !== null;
    refuseRetrainOwnedFlags(opts.trainArgs, incremental);
    checkTrainStep(trainStepArgs("-", root, incremental, currentDir, opts.trainArgs));

    if (opts.collect) {
      const existing = await readTrainingCsv(opts.data).catch(() => {
        throw new CommandError(
          `${opts.data}: no training CSV to extend`,
          "run 'candlecast collect' once first",
        );
      });
      if (opts.interval !== undefined) requireDataInterval(opts.interval, opts.data, existing);
      if (incremental) requireCurrentInterval(current!, manifest?.interval, opts.data, existing);
      // Symbols from a C# export of another exchange (BTC/USDT) are not Binance's: the collect would fail
      // after the lock and the checks with "'candlecast collect' exited 2", exit 1.
      const foreign = existing.map((s) => s.symbol).filter((s) => !isBinanceSymbol(s));
      const lowerCase = foreign.filter((s) => isBinanceSymbol(s.toUpperCase()));
      if (lowerCase.length > 0) {
        // Written by collect --source json before it upper-cased symbols: collecting BTCUSDT beside btcusdt
        // would count the pair twice.
        throw new UsageError(
          `${opts.data} holds ${lowerCase.join(", ")} in lower case, which Binance names ` +
            `${
              lowerCase.map((s) => s.toUpperCase()).join(", ")
            }: collecting those would add a second copy of ` +
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
      await step(opts.log, [
        "collect",
        "--base-url",
        opts.baseUrl,
        "--symbols",
        existing.map((s) => s.symbol).join(","),
        "--interval",
        interval,
        "--start-date",
        day(newest),
        "--output",
        opts.data,
      ], opts.signal);
    }

    // The candidate never sees the held-out period: it trains on a copy of the CSV that ends before it.
    const series = await readTrainingCsv(opts.data);
    if (incremental) requireCurrentInterval(current!, manifest?.interval, opts.data, series);
    // Days are held out by open time: without times there is nothing to hold out (or to fine-tune after).
    if (!series.every((s) => s.openTime.every(Number.isFinite))) {
      throw new UsageError(
        `${opts.data} has candles without open times, and retrain holds out the newest --holdout-days by ` +
          "open time",
        'collect the candles with their open times (the C# export\'s "t"), or train by hand with ' +
          "'candlecast train'",
      );
    }
    const start = holdoutStart(series, opts.holdoutDays);
    const before = series.map((s) => {
      let end = 0;
      while (end < s.length && s.openTime[end] < start) end++;
      return sliceSeries(s, 0, end);
    }).filter((s) => s.length > 0);
    if (before.length === 0) throw holdoutOverAllData(series, opts.holdoutDays, opts.data);
    const trainCsv = join(tmpDir, "training_data.csv");
    await writeTrainingCsv(trainCsv, before);

    // A weekly run fine-tunes on windows labelled after current's data; when current already covers every
    // candle before the held-out days (a version trained by hand on everything, the documented deployment's
    // first weeks, or a run repeated within --holdout-days) there is nothing to fine-tune on: keep current.
    const covered = incremental && manifest ? coveredUntil(before, manifest.data) : null;
    if (covered !== null) {
      return {
        summary: nothingToFineTune(current!, covered, start, opts.holdoutDays),
        promoted: false,
        candidate: null,
      };
    }
    const existingVersions = new Set(await listVersionNames(root));
    const existingRuns = new Set(await runFolderNames(root));
    try {
      await step(
        opts.log,
        trainStepArgs(trainCsv, root, incremental, currentDir, opts.trainArgs),
        opts.signal,
      );
    } catch (error) {
      // A stopped or failed step's run cannot be resumed (its --data is this run's temporary copy, removed
      // below), so its run folder goes, however it ended (train keeps one on a full disk for --resume); a
      // version train finished writing before it stopped stays, unpromoted.
      const left = await ownRunFolders(root, existingRuns, trainCsv);
      for (const r of left) await rm(join(root, r), { recursive: true, force: true });
      if (error instanceof InterruptedError) {
        const written = await versionsTrainedOn(root, existingVersions, trainCsv);
        throw new InterruptedError(
          `retrain stopped on request during 'train'; ${current ?? "no model"} stays current` +
            (written.length > 0 ? `; ${written.join(", ")} was written but not promoted` : "") +
            (left.length > 0 ? `; removed its unfinished training run` : ""),
          written.length > 0
            ? `promote it by hand with 'candlecast models promote ${written[0]}', or let the next run decide`
            : STOPPED_HINT,
        );
      }
      // Some new candles, but too few to split into training, validation and test windows: as above, nothing
      // to fine-tune on yet (train stops before it writes anything; its own reason is in the log).
      if (incremental && error instanceof StepError && error.tooLittleNewData) {
        const since = manifest ? dataEnd(manifest.data, before) : null;
        return {
          summary: `retrain ${opts.mode}: nothing to fine-tune: kept ${current}: too little new data` +
            (since !== null
              ? ` between its data end ${day(since)} and the held-out ${opts.holdoutDays} days ` +
                `from ${day(start)}`
              : ` before the held-out ${opts.holdoutDays} days`) +
            ` (see ${opts.log}); the next weekly run tries again, or run 'retrain --mode monthly'`,
          promoted: false,
          candidate: null,
        };
      }
      if (left.length > 0 && error instanceof CommandError) {
        throw new CommandError(
          `${error.message}; retrain removed that training's run folder (its data was a temporary copy, so ` +
            "'train --resume' could not finish it)",
          error.hint,
        );
      }
      throw error;
    }
    const candidate = (await versionsTrainedOn(root, existingVersions, trainCsv))[0] ?? null;
    if (!candidate) throw new CommandError(`train finished but wrote no new version into ${root}`);
    const candidateDir = join(root, candidate);
    const mode = opts.mode === "weekly" && !incremental
      ? "weekly (no current model: trained from scratch)"
      : opts.mode;

    const candidatePre = await storeStep(() => readPreprocessorFile(candidateDir));
    const currentPre = currentDir ? await storeStep(() => readPreprocessorFile(currentDir)) : null;
    const shape = {
      lookback: Math.max(candidatePre.lookback, currentPre?.lookback ?? 0),
      horizon: candidatePre.horizon,
      labelRule: candidatePre.labelRule,
    };
    // A current model trained on part of the held-out days (retrain run twice within --holdout-days, or a
    // version trained by hand on everything) would be scored in-sample there, and the candidate of a weekly
    // run inherits its weights: compare only on windows after the newest candle current was trained on.
    const seenUntil = current ? manifest?.data.end_ms ?? null : null;
    const scoredFrom = seenUntil !== null && seenUntil >= start ? seenUntil + 1 : start;
    const trimmed = scoredFrom > start
      ? ` (from ${day(scoredFrom)}: ${current} was trained on data up to ${day(seenUntil!)}, earlier days ` +
        "would be in-sample)"
      : "";
    const set = holdoutSet(series, scoredFrom, shape);
    if (set.size === 0 && trimmed) {
      return {
        summary:
          `retrain ${mode}: kept ${current}; it was trained on all of the held-out ${opts.holdoutDays} ` +
          `days (data up to ${day(seenUntil!)}), so scores there are in-sample, not evidence; ${candidate} ` +
          `was kept but not promoted (promote it by hand with 'candlecast models promote ${candidate}', or ` +
          "run retrain after more new candles)",
        promoted: false,
        candidate,
      };
    }
    if (set.size === 0) {
      throw new CommandError(
        `no labelled windows in the held-out ${opts.holdoutDays} days; ${candidate} was kept but not promoted`,
        "collect more recent candles or raise --holdout-days",
      );
    }
    const period = `holdout ${day(scoredFrom)}…${
      day(Math.max(...series.map((s) => s.openTime[s.length - 1])))
    }, ` +
      `${plural(set.size, "window")}${trimmed}`;
    const cand = await scoreCheckpoint(candidateDir, set);
    // The baseline the model has to beat (issue 11), on the same held-out windows: a reference, not a gate.
    const boosting = scoreGradientBoosting(series, start, shape, set);
    const reference = boosting ? `; gradient_boosting log-loss ${score(boosting.log_loss)}` : "";
    let promoted: boolean, verdict: string;
    if (!current || !currentPre) {
      promoted = true;
      verdict = `promoted ${candidate} (no current model; ${period}: macro-F1 ${score(cand.macro_f1)} ` +
        `(${cand.rule} rule), ` +
        `log-loss ${score(cand.log_loss)}${reference})`;
    } else if (
      currentPre.horizon !== candidatePre.horizon ||
      JSON.stringify(currentPre.labelRule) !== JSON.stringify(candidatePre.labelRule)
    ) {
      promoted = false;
      verdict =
        `kept ${current}: ${candidate} predicts another horizon or label rule, so the two cannot be ` +
        `compared; promote it by hand with 'candlecast models promote ${candidate}'`;
    } else {
      const cur = await scoreCheckpoint(currentDir!, set);
      const failed = failedCriteria(cand, cur, opts);
      promoted = failed.length === 0;
      const rules = cand.rule === cur.rule ? `${cand.rule} rule` : `${cand.rule} vs ${cur.rule} rule`;
      const numbers = `${period}: macro-F1 ${scorePair(cand.macro_f1, cur.macro_f1)} (${rules}), ` +
        `log-loss ${scorePair(cand.log_loss, cur.log_loss)}${reference}`;
      // Which criterion failed, as a point comparison on these windows (no interval: the tolerances are the
      // margin), never a general "worse".
      verdict = promoted
        ? `promoted ${candidate} over ${current} (${numbers})`
        : `kept ${current}; ${candidate} scored ${failed.join(" and ")} on the held-out windows (${numbers})`;
    }
    if (opts.signal?.aborted) {
      throw new InterruptedError(
        `retrain stopped on request while scoring; ${current ?? "no model"} stays current and ${candidate} ` +
          "was kept but not promoted",
        `promote it by hand with 'candlecast models promote ${candidate}', or let the next run decide`,
      );
    }
    if (promoted) {
      try {
        // Only over the current it was compared with: a promote or rollback made by hand meanwhile wins.
        await storeStep(() => promote(root, candidate, { ifCurrent: current }));
      } catch (error) {
        if (!(error instanceof CurrentChangedError)) throw error;
        promoted = false;
        verdict = `kept ${error.now ?? "no model"}: current changed from ${current ?? "none"} to ` +
          `${error.now ?? "none"} while retrain ran (a promote or rollback by hand is left in place); ` +
          `${candidate} was compared with ${current ?? "no model"} and kept but not promoted (promote it ` +
          `by hand with 'candlecast models promote ${candidate}' if it should serve)`;
      }
    } else if (current !== null) {
      const now = await currentVersion(root);
      if (now !== current) {
        verdict += `; current is ${now ?? "none"} now: it was changed by hand while retrain ran`;
      }
    }
    const removed = await prune(root, opts.keep);
    const kept = removed.length > 0 ? `; removed ${plural(removed.length, "old version")}` : "";
    return { summary: `retrain ${mode}: ${verdict}${kept}`, promoted, candidate };
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
    lock.release();
  }
}
