/**
 * `candlecast monitor` end to end: how the served model is doing on the market since it went live. Reads the prediction
 * log that `serve` writes, joins it with a fresh training CSV (run `collect` first), and prints accuracy,
 * macro-F1, log-loss and calibration per day and per model version, warning when the last week is worse
 * than the version's own test metrics.
 *
 * In bounded memory for a log of any size: the log is read twice from one snapshot of its files, first to
 * join and count (and find each version's latest scored prediction, where its "last week" ends), then to sum
 * the scores per day and version (`passes.ts`). No record is kept; only the candles, the versions and the
 * counters are.
 */
import { join } from "node:path";
import { type CandleSeries, intervalOf, readTrainingCsv } from "../../features/index.ts";
import { type BatchProgress, terminalProgress, utcMinute, writeStderrLine } from "../../base/index.ts";
import { type MonitorReport, OutcomeJoiner } from "../../ml/monitor/index.ts";
import type { PredictionLogSnapshot } from "../../server/index.ts";
import { DEFAULTS } from "../defaults.ts";
import { CommandError } from "../errors.ts";
import { checkpointsFlag, pathFlag } from "../flags.ts";
import type { MonitorOptions } from "./options.ts";
import { hasRecords, openPredictions } from "./inputs.ts";
import {
  count,
  grouped,
  hoursWestNote,
  lastCandle,
  neverJudged,
  nothingScoredAdvice,
  printScoreTables,
  symbolCounts,
} from "./print.ts";
import { type MonitorFacts, monitorJson } from "./json.ts";
import { offGridNote } from "./off_grid.ts";
import { type JoinPass, joinPass, scorePass } from "./passes.ts";
import { needsCollect, type ServedUnscored, servedUnscored } from "./served.ts";
import { servedWarnings, verdict } from "./verdict.ts";
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
  // The run's end: the JSON document (with --json), then the verdict's exit (`verdict.ts`, which the JSON prints).
  const finish = (facts: Omit<MonitorFacts, "retrainHint">) => {
    const f = { ...facts, retrainHint: retrainHint(opts) };
    const v = verdict(opts, f);
    if (opts.json) console.log(JSON.stringify(monitorJson(opts, f, v), null, 2));
    if (v.failing) throw new CommandError(count(v.warnings, "monitoring warning"), v.hints.join("; "));
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
    finish({
      logged: 0,
      unreadable: 0,
      join: new OutcomeJoiner([], new Map()).counts,
      otherModel: new Map(),
      createdAt: new Map(),
      loggedCreatedAt: new Map(),
      served: null,
      scored: null,
      nothingToScore: { line, advice: [], stuck: false },
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
  const first = await joinPass(opts, log, series, dataInterval, io);
  const { joiner, otherModel, versions: { createdAt, tests } } = first;
  for (const line of joinLines(opts, first, series)) say(line);
  // The version that answered the last logged prediction: only its warnings can fail the run (below).
  const served = first.newest?.version ?? null;
  const facts = {
    logged: first.records,
    unreadable: first.unreadable,
    join: joiner.counts,
    otherModel,
    createdAt,
    loggedCreatedAt: first.loggedCreatedAt,
    served,
  };
  if (joiner.counts.joined === 0) {
    const advice = nothingScoredAdvice(opts, joiner.counts, first.offGrid);
    if (otherModel.size > 0) {
      advice.unshift(
        `point --checkpoints at the folder serve loaded ${[...otherModel.keys()].join(", ")} from`,
      );
    }
    // Predictions not found in the CSV that no waiting scores (`needsCollect`: newer than it, or not found with
    // none awaiting its horizon): the operator must act, so the line is a warning that --fail-on-warning exits
    // 1 on. Otherwise a deployment whose collect never refreshed the CSV would pass every night until one
    // prediction happened to be scored. Narrower than the served version's warning when others were scored
    // (`servedUnscored` adds versions gone and another model's): here those leave it "nothing to score yet",
    // exit 0, as before (docs/monitor.md).
    const stuck = needsCollect(joiner.counts);
    const line = `nothing to score${stuck ? "" : " yet"}: ${advice.join("; ")}`;
    if (stuck) writeStderrLine(`warning: ${line}`);
    else say(line);
    finish({ ...facts, scored: null, nothingToScore: { line, advice, stuck } });
    return;
  }
  const { report, served: servedCounts } = await scorePass(opts, log, series, first, io);
  if (!opts.json) printScoreTables(report, tests);
  // Other versions scored, the served one not at all: said, not read as "no warning on the served version".
  const unscored = servedUnscored(opts, servedCounts, series);
  const unjudged = writeWarnings(report, served, series, dataInterval, unscored);
  finish({
    ...facts,
    scored: { report, tests, latest: first.latest, unjudged, unscored },
    nothingToScore: null,
  });
}

/**
 * The first read's counts as printed: the predictions logged and what became of them, then those skipped
 * because their version is not in --checkpoints or is another model under its name.
 */
function joinLines(opts: MonitorOptions, first: JoinPass, series: readonly CandleSeries[]): string[] {
  const {
    joined,
    repeats,
    pending,
    unmatched,
    unmatchedWrongUnit,
    unmatchedClose,
    unmatchedHoursWest,
    unmatchedAfterData,
    missingSymbols,
    inSample,
    gapped,
    unknownVersions,
  } = first.joiner.counts;
  const offGridFinding = first.offGrid;
  const lines = [
    `${count(first.records, "prediction")} logged: ${grouped(joined)} with outcomes` +
    (repeats
      ? ` (and ${grouped(repeats)} ${repeats === 1 ? "repeat" : "repeats"} of their candles, each candle ` +
        "scored once)"
      : "") +
    `, ${grouped(pending)} awaiting their horizon, ` +
    `${grouped(unmatched)} not found in ${opts.data}` +
    (missingSymbols.size > 0 ? ` (${symbolCounts(missingSymbols)} not in it at all)` : "") +
    (unmatchedWrongUnit
      ? ` (${grouped(unmatchedWrongUnit)} of them logged with open times in seconds or µs, not ms)`
      : "") +
    (offGridFinding ? offGridNote(offGridFinding) : "") +
    (unmatchedAfterData
      ? ` (${grouped(unmatchedAfterData)} of them on candles newer than its last candle, ${
        utcMinute(lastCandle(series))
      })`
      : "") +
    (unmatchedClose
      ? ` (${grouped(unmatchedClose)} of them at a candle's open time with another close: a candle still ` +
        "open when sent, another feed, or another window sent under that symbol)"
      : "") +
    hoursWestNote(unmatchedHoursWest) +
    (inSample
      // "Fit or validated on" overstated it for a version recording no split dates, whose bound is its data's
      // end (an upgrade trial: test-split candles called fit on).
      ? `, ${grouped(inSample)} in-sample (on candles up to the last one their version's training may have ` +
        "seen; not scored)"
      : "") +
    (gapped ? `, ${grouped(gapped)} not scored: candles missing before their label candle` : "") +
    (first.unreadable ? `, ${count(first.unreadable, "unreadable line")} skipped` : ""),
  ];
  for (const [version, n] of unknownVersions) {
    // Why it may be gone, said on every run: the hint below comes only when nothing at all could be scored.
    lines.push(
      `${
        count(n, "prediction")
      } of ${version} skipped: no such version in ${opts.checkpoints} (removed since, ` +
        "e.g. by retrain --keep: its predictions can no longer be scored)",
    );
  }
  for (const [version, other] of first.otherModel) {
    lines.push(
      `${count(other.predictions, "prediction")} of ${version} skipped: served by a ${version} created ` +
        `${other.loggedCreatedAt}, but ${join(opts.checkpoints, version)} was created ${
          first.versions.createdAt.get(version)
        }: ` +
        "another model under the same name",
    );
  }
  return lines;
}

/**
 * The report's warnings and notes, on stderr: a warning on the version served now, a note on any other, and a
 * note on each version whose last week is too small to judge; then the served version's predictions none of
 * which was scored (`servedUnscored`): a warning, or a note while they all await their horizon (then among the
 * unjudged). Returns those notes as written. Only the served version's warnings, and a warning of `unscored`,
 * can fail the run (`verdict`).
 */
function writeWarnings(
  report: MonitorReport,
  served: string | null,
  series: readonly CandleSeries[],
  dataInterval: string | null,
  unscored: ServedUnscored | null,
): { version: string; message: string }[] {
  // A version no longer served is reported as a note (`servedWarnings` says why it cannot fail the run).
  const live = servedWarnings(report.warnings, served);
  for (const w of report.warnings) {
    writeStderrLine(
      live.includes(w)
        ? `warning: ${w.message}`
        : `note: ${w.message} (no longer served: ${served} answered the last logged prediction)`,
    );
  }
  const unjudged = report.unjudged.map((u) => ({
    version: u.version,
    message: `${u.message}${neverJudged(series, dataInterval)}`,
  }));
  if (unscored?.warning) writeStderrLine(`warning: ${unscored.message}`);
  else if (unscored) unjudged.push({ version: unscored.version, message: unscored.message });
  for (const u of unjudged) writeStderrLine(`note: ${u.message}`);
  return unjudged;
}

/** The retrain to consider on a warning, on the folders monitor read (printed bare, it retrained the defaults). */
function retrainHint(opts: MonitorOptions): string {
  const data = pathFlag("--data", opts.data, DEFAULTS.trainingCsv);
  return `consider 'candlecast retrain --mode monthly${data}${checkpointsFlag(opts.checkpoints)}'`;
}
