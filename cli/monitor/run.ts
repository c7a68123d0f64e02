/**
 * `candlecast monitor` end to end: how the served model is doing on the market since it went live. Reads the prediction
 * log that `serve` writes, joins it with a fresh training CSV (run `collect` first), and prints accuracy,
 * macro-F1, log-loss and calibration per day and per model version, warning when the last week is worse
 * than the version's own test metrics.
 *
 * In bounded memory for a log of any size: the log is read twice from one snapshot of its files, first to
 * join and count (and find each version's latest scored prediction, where its "last week" ends), then to sum
 * the scores per day and version. No record is kept; only the candles, the versions and the counters are.
 */
import { join } from "node:path";
import {
  commonestStep,
  intervalOf,
  isInterval,
  readTrainingCsv,
  sameInterval,
} from "../../features/index.ts";
import { type BatchProgress, plural, terminalProgress, writeStderrLine } from "../../base/index.ts";
import { MonitorTally, OutcomeJoiner, staleLogWarning, type TestScores } from "../../ml/monitor/index.ts";
import type { PredictionRecord, Preprocessor } from "../../engine/index.ts";
import type { PredictionLogSnapshot } from "../../server/index.ts";
import { DEFAULTS } from "../defaults.ts";
import { CommandError, UsageError } from "../errors.ts";
import { checkpointsFlag, pathFlag } from "../flags.ts";
import type { MonitorOptions } from "./options.ts";
import { hasRecords, openPredictions, readVersion } from "./inputs.ts";
import { count, grouped, neverJudged, nothingScoredAdvice, printScoreTables, symbolCounts } from "./print.ts";
import { type MonitorFacts, monitorJson, warningHints } from "./json.ts";
import { offGridNote, OffGridTally } from "./off_grid.ts";
import { MB, phaseProgress } from "../phase_progress.ts";

/** Where monitor's progress goes: a bar on a terminal's stderr, a line every ~30 s in a log (train's). */
export interface MonitorIo {
  readonly progress?: BatchProgress;
}

/** Scores the predictions logged against the candles, and prints the tables and warnings. */
export async function runMonitor(
  opts: MonitorOptions,
  io: MonitorIo = { progress: terminalProgress() },
): Promise<void> {
  const log = await openPredictions(opts.predictions);
  try {
    await monitorLog(opts, log, io);
  } finally {
    // A failure mid-read leaves its bar drawn: cleared, so the error starts its own line.
    io.progress?.clear();
    log.close();
  }
}

async function monitorLog(opts: MonitorOptions, log: PredictionLogSnapshot, io: MonitorIo): Promise<void> {
  // With --json, stdout holds the one JSON document: the lines and tables meant for people are not printed
  // (the warnings and notes on stderr are, as without it).
  const say = (line: string) => {
    if (!opts.json) console.log(line);
  };
  const json = (facts: Omit<MonitorFacts, "retrainHint">) => {
    if (opts.json) {
      const body = monitorJson(opts, { ...facts, retrainHint: retrainHint(opts) });
      console.log(JSON.stringify(body, null, 2));
    }
  };
  const { records: logged, skipped } = await hasRecords(log);
  // Lines, none a prediction: another file named (a training CSV), not a log still empty.
  if (!logged && skipped > 0) {
    throw new CommandError(
      `${opts.predictions}: none of its ${count(skipped, "line")} is a prediction serve logged; ` +
        "it is not a predictions log",
      "point --predictions at the log serve writes (its --predictions-log, default data/predictions.jsonl)",
    );
  }
  // A deployment's first days: nothing is wrong, as when every prediction still awaits its horizon, so a daily
  // cron job exits 0 here too (it exited 1, mailing a failure until the bot's first request).
  if (!logged) {
    const line =
      `nothing to score yet: ${opts.predictions} holds no predictions yet (serve logs each one it ` +
      "answers)";
    say(line);
    json({
      logged: 0,
      unreadable: 0,
      join: new OutcomeJoiner([], new Map()).counts,
      otherModel: new Map(),
      createdAt: new Map(),
      served: null,
      scored: null,
      nothingToScore: { line, advice: [] },
    });
    return;
  }
  // The CSV and the log's two reads report their progress as train's phases do: the log at its default
  // maximum (1.1 GB) took ~30 s with nothing on screen (100 MB: 3 s).
  const series = await readTrainingCsv(opts.data, {
    progress: phaseProgress(io, `reading ${opts.data}`, MB),
  });
  io.progress?.clear();
  const dataInterval = intervalOf(series.map((s) => s.openTime));
  // Versions are read as the log names them (a handful), filling the maps the joiner reads.
  const preprocessors = new Map<string, Preprocessor>();
  const tests = new Map<string, TestScores>();
  const seenUntil = new Map<string, number>();
  const tried = new Set<string>();
  // Version names repeat across stores and after a rebuild: a prediction logged with its version's creation
  // time is scored against this store's version of that name only when they are the same model.
  const createdAt = new Map<string, string>();
  const otherModel = new Map<string, { predictions: number; loggedCreatedAt: string }>();
  const sameModel = (record: PredictionRecord) =>
    record.version_created_at === undefined || !createdAt.has(record.version) ||
    createdAt.get(record.version) === record.version_created_at;
  const joiner = new OutcomeJoiner(series, preprocessors, seenUntil);
  // The predictions not found whose candle times are off the data's grid (a bot stamping local times).
  const offGrid = new OffGridTally(series);
  let notFound = 0;
  const latest = new Map<string, number>();
  const counts = { skipped: 0 }; // e.g. a line cut short by a crash mid-write
  let records = 0;
  // The version that answered the newest logged prediction: what serve serves now (`current`, or a version
  // it was pinned to with --checkpoint).
  let newest: { version: string; time: number } | null = null;
  const joining = phaseProgress(io, `reading ${opts.predictions} (1/2: joining with the candles)`, MB);
  for await (const batch of log.batches(counts, joining)) {
    for (const record of batch) {
      records++;
      const time = Date.parse(record.time);
      if (newest === null || time >= newest.time) newest = { version: record.version, time };
      if (!tried.has(record.version)) {
        tried.add(record.version);
        const v = await readVersion(join(opts.checkpoints, record.version));
        // A version's horizon counts its own candles: on another interval's candles its outcomes (and so every
        // score) would be read the wrong number of hours ahead, silently.
        if (v?.interval && dataInterval && !sameInterval(v.interval, dataInterval)) {
          throw new UsageError(
            `--data: ${opts.data} holds ${dataInterval} candles, but ${record.version} was trained on ` +
              `${v.interval} candles: its predictions' outcomes (${
                plural(v.preprocessor.horizon, "candle")
              } ahead) cannot ` +
              "be read on them",
            isInterval(v.interval)
              ? `collect ${v.interval} candles into a CSV ('candlecast collect --interval ${v.interval} …') and ` +
                "point --data at it"
              : `point --data at the ${v.interval} candles ${record.version} was trained on`,
          );
        }
        if (v) {
          preprocessors.set(record.version, v.preprocessor);
          if (v.test) tests.set(record.version, v.test);
          if (v.seenUntil !== null) seenUntil.set(record.version, v.seenUntil);
          if (v.createdAt !== null) createdAt.set(record.version, v.createdAt);
        }
      }
      if (!sameModel(record)) {
        const other = otherModel.get(record.version);
        if (other) other.predictions++;
        else otherModel.set(record.version, { predictions: 1, loggedCreatedAt: record.version_created_at! });
        continue;
      }
      const row = joiner.join(record);
      if (row) {
        const t = Date.parse(row.record.time);
        latest.set(record.version, Math.max(latest.get(record.version) ?? -Infinity, t));
      } else if (joiner.counts.unmatched > notFound) {
        notFound++;
        offGrid.add(record);
      }
    }
  }
  io.progress?.clear();
  const {
    joined,
    repeats,
    pending,
    unmatched,
    unmatchedWrongUnit,
    unmatchedClose,
    missingSymbols,
    inSample,
    gapped,
    unknownVersions,
  } = joiner.counts;
  const offGridFinding = offGrid.finding;
  say(
    `${count(records, "prediction")} logged: ${grouped(joined)} with outcomes` +
      (repeats ? ` (and ${grouped(repeats)} repeats of their candles, each candle scored once)` : "") +
      `, ${grouped(pending)} awaiting their horizon, ` +
      `${grouped(unmatched)} not found in ${opts.data}` +
      (missingSymbols.size > 0 ? ` (${symbolCounts(missingSymbols)} not in it at all)` : "") +
      (unmatchedWrongUnit
        ? ` (${grouped(unmatchedWrongUnit)} of them logged with open times in seconds or µs, not ms)`
        : "") +
      (offGridFinding ? offGridNote(offGridFinding) : "") +
      (unmatchedClose
        ? ` (${grouped(unmatchedClose)} of them at a candle's open time with another close: a candle still ` +
          "open when sent, another feed, or another window sent under that symbol)"
        : "") +
      (inSample
        ? `, ${grouped(inSample)} in-sample (on candles their version was fit or validated on; not scored)`
        : "") +
      (gapped ? `, ${grouped(gapped)} not scored: candles missing before their label candle` : "") +
      (counts.skipped ? `, ${count(counts.skipped, "unreadable line")} skipped` : ""),
  );
  for (const [version, n] of unknownVersions) {
    say(`${count(n, "prediction")} of ${version} skipped: no such version in ${opts.checkpoints}`);
  }
  for (const [version, other] of otherModel) {
    say(
      `${count(other.predictions, "prediction")} of ${version} skipped: served by a ${version} created ` +
        `${other.loggedCreatedAt}, but ${join(opts.checkpoints, version)} was created ${
          createdAt.get(version)
        }: ` +
        "another model under the same name",
    );
  }
  // The version that answered the newest logged prediction: only its warnings can fail the run (below).
  const served = newest?.version ?? null;
  const facts = {
    logged: records,
    unreadable: counts.skipped,
    join: joiner.counts,
    otherModel,
    createdAt,
    served,
  };
  if (joined === 0) {
    const advice = nothingScoredAdvice(opts, joiner.counts, offGridFinding);
    if (otherModel.size > 0) {
      advice.unshift(
        `point --checkpoints at the folder serve loaded ${[...otherModel.keys()].join(", ")} from`,
      );
    }
    const line = `nothing to score yet: ${advice.join("; ")}`;
    say(line);
    json({ ...facts, scored: null, nothingToScore: { line, advice } });
    return;
  }
  // The second read: the same records (the snapshot's lengths), joined the same way, summed.
  const tally = new MonitorTally(latest);
  const again = new OutcomeJoiner(series, preprocessors, seenUntil);
  const scoring = phaseProgress(io, `reading ${opts.predictions} (2/2: scoring)`, MB);
  for await (const batch of log.batches(undefined, scoring)) {
    for (const record of batch) {
      if (!sameModel(record)) continue;
      const row = again.join(record);
      if (row) tally.add(row);
    }
  }
  io.progress?.clear();
  const scoredReport = tally.report(tests);
  // The log falling behind the candles (serve stopped logging, the bot stopped calling) is a warning on the
  // served version too: scores of the last predictions there were read as all is well.
  const stale = newest &&
    staleLogWarning(
      newest.version,
      newest.time,
      Math.max(...series.map((s) => s.openTime[s.length - 1])),
      commonestStep(series.map((s) => s.openTime)) ?? NaN,
    );
  const report = stale ? { ...scoredReport, warnings: [...scoredReport.warnings, stale] } : scoredReport;
  if (!opts.json) printScoreTables(report, tests);
  // A version no longer served is reported, but cannot fail the run: retraining would not change it, and its
  // last week stays its last week until the log rotates out (a cron --fail-on-warning would fail every day).
  const live = report.warnings.filter((w) => served === null || w.version === served);
  for (const w of report.warnings) {
    writeStderrLine(
      live.includes(w)
        ? `warning: ${w.message}`
        : `note: ${w.message} (no longer served: ${served} answered the newest logged prediction)`,
    );
  }
  const unjudged = report.unjudged.map((u) => ({
    version: u.version,
    message: `${u.message}${neverJudged(series, dataInterval)}`,
  }));
  for (const u of unjudged) writeStderrLine(`note: ${u.message}`);
  json({ ...facts, scored: { report, tests, latest, unjudged }, nothingToScore: null });
  if (opts.failOnWarning && live.length > 0) {
    // Retraining mends a model that got worse, not a log that stopped (that warning names no metric).
    throw new CommandError(
      count(live.length, "monitoring warning"),
      warningHints(live, retrainHint(opts)).join("; "),
    );
  }
}

/** The retrain to consider on a warning, on the folders monitor read (printed bare, it retrained the defaults). */
function retrainHint(opts: MonitorOptions): string {
  const data = pathFlag("--data", opts.data, DEFAULTS.trainingCsv);
  return `consider 'candlecast retrain --mode monthly${data}${checkpointsFlag(opts.checkpoints)}'`;
}
