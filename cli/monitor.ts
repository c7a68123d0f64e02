/**
 * `candlecast monitor`: how the served model is doing on the market since it went live. Reads the prediction
 * log that `serve` writes, joins it with a fresh training CSV (run `collect` first), and prints accuracy,
 * macro-F1, log-loss and calibration per day and per model version, warning when the last week is worse
 * than the version's own test metrics.
 *
 * In bounded memory for a log of any size: the log is read twice from one snapshot of its files, first to
 * join and count (and find each version's latest scored prediction, where its "last week" ends), then to sum
 * the scores per day and version. No record is kept; only the candles, the versions and the counters are.
 */
import { Command, Option } from "commander";
import { DEFAULTS } from "./defaults.ts";
import { join } from "node:path";
import { z } from "zod";
import {
  type CandleSeries,
  commonestStep,
  intervalOf,
  isInterval,
  readTrainingCsv,
  sameInterval,
} from "../features/index.ts";
import {
  type JoinResult,
  type LiveScores,
  MIN_WEEK_PREDICTIONS,
  MonitorTally,
  OutcomeJoiner,
  type TestScores,
} from "../ml/monitor/index.ts";
import {
  type MetricsFile,
  parseMetricsFile,
  type PredictionRecord,
  type Preprocessor,
  readMetricsFile,
  readPreprocessorFile,
} from "../engine/index.ts";
import { readManifest, seenUntilOf } from "../ml/checkpoints/index.ts";
import { type PredictionLogSnapshot, snapshotPredictionLog } from "../server/index.ts";
import { CommandError, UsageError } from "./errors.ts";
import { checkpointsFlag, parseFlags, pathFlag, requireFolderPath, requireInput } from "./flags.ts";

const MonitorFlags = z.object({
  data: z.string().min(1, "expected a training CSV"),
  predictions: z.string().min(1, "expected a file path"),
  checkpoints: z.string().min(1, "expected a folder"),
  failOnWarning: z.boolean().default(false),
});
type MonitorOptions = z.infer<typeof MonitorFlags>;

export function monitorCommand(): Command {
  return new Command("monitor")
    .summary("score served predictions against what the market did")
    .description(
      "Joins the predictions 'serve' logged with realised outcomes from a fresh training CSV (collect first),\n" +
        "then prints accuracy, macro-F1, log-loss and calibration per day and per model version, and warns\n" +
        "when a version's last week is worse than its test metrics.",
    )
    .option("--data <path>", "a recently collected training CSV", DEFAULTS.trainingCsv)
    .option(
      "--predictions <path>",
      "the prediction log written by serve's --predictions-log (its rotated files <path>.1, .2, … are read " +
        "too); --predictions-log is taken here as well",
      DEFAULTS.predictionLog,
    )
    // serve's name for the same file: a user who copies it from serve's command line is understood.
    .addOption(new Option("--predictions-log <path>").hideHelp())
    .option("--checkpoints <dir>", "where the model versions are stored", DEFAULTS.checkpoints)
    .option(
      "--fail-on-warning",
      "exit 1 when the current version's last week is worse than its test split (for cron mail); versions no longer served get a note",
    )
    .action((raw, command: Command) => {
      if (raw.predictionsLog !== undefined) {
        if (command.getOptionValueSource("predictions") === "cli") {
          // Said as what it is: two spellings of one option, given twice (it read "name the same file" of two
          // different paths).
          throw new UsageError(
            "--predictions and --predictions-log are two names of one option (serve's name is taken too), " +
              "given twice",
            "give the prediction log once: --predictions PATH",
          );
        }
        raw.predictions = raw.predictionsLog;
      }
      const opts = parseFlags("monitor", MonitorFlags, raw);
      // Named as typed: a user who gave serve's --predictions-log is told about that flag.
      const typed = raw.predictionsLog !== undefined ? "--predictions-log" : "--predictions";
      requireInput(
        typed,
        opts.predictions,
        `serve writes it (--predictions-log); point ${typed} at it`,
        "file",
      );
      requireInput(
        "--data",
        opts.data,
        "point --data at a training CSV with candles newer than the predictions ('candlecast collect' writes one)",
        "file",
      );
      // A mistyped folder would leave every prediction "of a version not found" and exit 0, so a cron
      // 'monitor --fail-on-warning' would never warn; a version folder (checkpoints/current) likewise.
      requireInput(
        "--checkpoints",
        opts.checkpoints,
        "point --checkpoints at the folder holding the versions serve loaded (default: checkpoints)",
        "folder",
      );
      requireFolderPath("--checkpoints", opts.checkpoints);
      return monitor(opts);
    });
}

/** The log and its rotated files (`path.1` …) as they are now. */
async function openPredictions(path: string): Promise<PredictionLogSnapshot> {
  const log = await snapshotPredictionLog(path);
  if (log.files === 0) {
    log.close();
    throw new CommandError(
      `${path}: no prediction log`,
      "serve writes it (--predictions-log); point --predictions at it",
    );
  }
  return log;
}

/** Whether the log holds a prediction; when not, how many of its lines were not one (0: it is empty). */
async function hasRecords(log: PredictionLogSnapshot): Promise<{ records: boolean; skipped: number }> {
  const counts = { skipped: 0 };
  for await (const _ of log.batches(counts)) return { records: true, skipped: counts.skipped };
  return { records: false, skipped: counts.skipped };
}

async function readVersion(
  dir: string,
): Promise<
  | {
    preprocessor: Preprocessor;
    test?: TestScores;
    seenUntil: number | null;
    interval: string | null;
    createdAt: string | null;
  }
  | null
> {
  try {
    const preprocessor = await readPreprocessorFile(dir);
    // A missing, damaged or changed metrics.json leaves the version without a yardstick, not its predictions
    // unscored (a score edited since training would decide whether --fail-on-warning warns).
    const manifest = await readManifest(dir).catch(() => null);
    const metrics = await readMetricsFile(dir, manifest?.files);
    return {
      preprocessor,
      test: testScores(metrics),
      // What evaluate --checkpoint and retrain take as seen: its split's test start, else its data's end. A
      // version's test split is not fit on, so a prediction about those candles is scored (by the data's end,
      // a trader replaying the test months was told they were candles "their version was trained on").
      seenUntil: manifest ? seenUntilOf(manifest) ?? null : null,
      interval: manifest?.interval ?? null,
      createdAt: manifest?.created_at ?? null,
    };
  } catch {
    return null;
  }
}

/** The three scores monitor compares, when a metrics.json part has them all. */
function scored(m: MetricsFile["test"]): Omit<TestScores, "rule"> | undefined {
  return m && m.macro_f1 !== undefined && m.log_loss !== undefined && m.accuracy !== undefined
    ? { macro_f1: m.macro_f1, log_loss: m.log_loss, accuracy: m.accuracy }
    : undefined;
}

/**
 * The yardstick for a version's live scores. Live predictions are scored by the class `serve` named (the
 * logged `prediction`, under the version's decision rule), so they are compared with the test split scored
 * under that same rule (`served.metrics`); a version written before `served` existed has argmax `test`
 * figures only, and argmax was then what serve answered.
 */
export function testScores(metrics: unknown): TestScores | undefined {
  const m = parseMetricsFile(metrics);
  const served = m?.served ? scored(m.served.metrics) : undefined;
  if (m?.served && served) return { ...served, rule: m.served.rule };
  return scored(m?.test);
}

/**
 * "1 prediction", "3000 predictions": digits ungrouped, unlike features' `plural`, as monitor has always printed
 * them (cron mail and test/monitor_expected.txt read them).
 */
const count = (n: number, noun: string) => `${n} ${n === 1 ? noun : `${noun}s`}`;

/**
 * `"simbtcusdt" ×3, "BTC/USDT" ×1`: the symbols most often logged first, at most five, quoted (a symbol logged
 * before serve refused spaces and control characters would otherwise break the line).
 */
function symbolCounts(symbols: ReadonlyMap<string, number>, withCounts = true): string {
  const sorted = [...symbols].sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, 5).map(([symbol, n]) =>
    JSON.stringify(symbol) + (withCounts ? ` ×${n}` : "")
  );
  return shown.join(", ") + (sorted.length > 5 ? ` and ${sorted.length - 5} more` : "");
}

/** What to do when no prediction could be scored, one piece of advice per reason some were not. */
function nothingScoredAdvice(
  opts: MonitorOptions,
  { pending, unmatched, unmatchedWrongUnit, missingSymbols, inSample, gapped, unknownVersions }: Omit<
    JoinResult,
    "joined"
  >,
): string[] {
  const advice: string[] = [];
  if (unknownVersions.size > 0) {
    advice.push(
      `point --checkpoints at the folder holding ${[...unknownVersions.keys()].join(", ")} (or, if retrain ` +
        "removed it beyond --keep, that version can no longer be scored; a larger --keep keeps versions longer)",
    );
  }
  if (unmatchedWrongUnit > 0) {
    advice.push(
      "have the bot send openTime in ms since the epoch (ToUnixTimeMilliseconds); predictions logged with times " +
        "in another unit can never be matched with a candle",
    );
  }
  if (missingSymbols.size > 0) {
    advice.push(
      `collect ${symbolCounts(missingSymbols, false)} into ${opts.data}, or have the bot send the symbols ` +
        "collect wrote (Binance's, like BTCUSDT)",
    );
  }
  const missing = [...missingSymbols.values()].reduce((a, b) => a + b, 0);
  if (unmatched - missing > unmatchedWrongUnit) {
    advice.push(
      `collect the candles the predictions were made on into ${opts.data} (their closes must match)`,
    );
  }
  if (pending > 0) advice.push("collect newer candles once the predictions' horizon has passed");
  if (inSample > 0) {
    advice.push(
      "in-sample predictions are never scored; wait for predictions on candles newer than those the version was " +
        "fit and validated on",
    );
  }
  if (gapped > 0) {
    advice.push(
      "predictions whose label candle lies past missing candles are not scored, as training leaves such windows " +
        "out; if the exchange has those candles, collect them again",
    );
  }
  return advice;
}

/** Three decimals, or a dash where no bin had a prediction. */
const f3 = (v: number) => (Number.isNaN(v) ? "  –  " : v.toFixed(3));

const row = (label: string, s: LiveScores) =>
  `${label}  ${String(s.predictions).padStart(6)}  ${s.accuracy.toFixed(3)}  ${s.macro_f1.toFixed(3)}  ` +
  `${s.log_loss.toFixed(3)}  ${s.mean_confidence.toFixed(3)}  ${f3(s.ece)}  ${f3(s.ece_floor)}`;

async function monitor(opts: MonitorOptions): Promise<void> {
  const log = await openPredictions(opts.predictions);
  try {
    await monitorLog(opts, log);
  } finally {
    log.close();
  }
}

async function monitorLog(opts: MonitorOptions, log: PredictionLogSnapshot): Promise<void> {
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
    console.log(
      `nothing to score yet: ${opts.predictions} holds no predictions yet (serve logs each one it answers)`,
    );
    return;
  }
  const series = await readTrainingCsv(opts.data);
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
  const latest = new Map<string, number>();
  const counts = { skipped: 0 }; // e.g. a line cut short by a crash mid-write
  let records = 0;
  // The version that answered the newest logged prediction: what serve serves now (`current`, or a version
  // it was pinned to with --checkpoint).
  let newest: { version: string; time: number } | null = null;
  for await (const batch of log.batches(counts)) {
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
              `${v.interval} candles: its predictions' outcomes (${v.preprocessor.horizon} candles ahead) cannot ` +
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
      }
    }
  }
  const {
    joined,
    repeats,
    pending,
    unmatched,
    unmatchedWrongUnit,
    missingSymbols,
    inSample,
    gapped,
    unknownVersions,
  } = joiner.counts;
  console.log(
    `${count(records, "prediction")} logged: ${joined} with outcomes` +
      (repeats ? ` (and ${repeats} repeats of their candles, each candle scored once)` : "") +
      `, ${pending} awaiting their horizon, ` +
      `${unmatched} not found in ${opts.data}` +
      (missingSymbols.size > 0 ? ` (${symbolCounts(missingSymbols)} not in it at all)` : "") +
      (unmatchedWrongUnit
        ? ` (${unmatchedWrongUnit} of them logged with open times in seconds or µs, not ms)`
        : "") +
      (inSample
        ? `, ${inSample} in-sample (on candles their version was fit or validated on; not scored)`
        : "") +
      (gapped ? `, ${gapped} not scored: candles missing before their label candle` : "") +
      (counts.skipped ? `, ${count(counts.skipped, "unreadable line")} skipped` : ""),
  );
  for (const [version, n] of unknownVersions) {
    console.log(`${count(n, "prediction")} of ${version} skipped: no such version in ${opts.checkpoints}`);
  }
  for (const [version, other] of otherModel) {
    console.log(
      `${count(other.predictions, "prediction")} of ${version} skipped: served by a ${version} created ` +
        `${other.loggedCreatedAt}, but ${join(opts.checkpoints, version)} was created ${
          createdAt.get(version)
        }: ` +
        "another model under the same name",
    );
  }
  if (joined === 0) {
    const advice = nothingScoredAdvice(opts, joiner.counts);
    if (otherModel.size > 0) {
      advice.unshift(
        `point --checkpoints at the folder serve loaded ${[...otherModel.keys()].join(", ")} from`,
      );
    }
    console.log(`nothing to score yet: ${advice.join("; ")}`);
    return;
  }
  // The second read: the same records (the snapshot's lengths), joined the same way, summed.
  const tally = new MonitorTally(latest);
  const again = new OutcomeJoiner(series, preprocessors, seenUntil);
  for await (const batch of log.batches()) {
    for (const record of batch) {
      if (!sameModel(record)) continue;
      const row = again.join(record);
      if (row) tally.add(row);
    }
  }
  const report = tally.report(tests);
  const header = (first: string) =>
    `${first}  predictions  accuracy  macro_f1  log_loss  confidence  ECE    ECE floor`;
  const width = Math.max(...report.byDay.map((d) => d.version.length));
  console.log(`\nper day\n${header("day        " + "version".padEnd(width))}`);
  for (const d of report.byDay) console.log(row(`${d.day} ${d.version.padEnd(width)}`, d.scores));
  console.log(`\nper version (test split in brackets)\n${header("version".padEnd(width))}`);
  for (const v of report.byVersion) {
    const t = tests.get(v.version);
    console.log(
      row(v.version.padEnd(width), v.scores) +
        (t
          ? `   [test${t.rule ? ` (${t.rule} rule)` : ""} accuracy ${t.accuracy.toFixed(3)} macro_f1 ${
            t.macro_f1.toFixed(3)
          } log_loss ${t.log_loss.toFixed(3)}]`
          : ""),
    );
  }
  // A version no longer served is reported, but cannot fail the run: retraining would not change it, and its
  // last week stays its last week until the log rotates out (a cron --fail-on-warning would fail every day).
  const served = newest?.version ?? null;
  const live = report.warnings.filter((w) => served === null || w.version === served);
  for (const w of report.warnings) {
    console.error(
      live.includes(w)
        ? `warning: ${w.message}`
        : `note: ${w.message} (no longer served: ${served} answered the newest logged prediction)`,
    );
  }
  for (const u of report.unjudged) console.error(`note: ${u.message}${neverJudged(series, dataInterval)}`);
  if (opts.failOnWarning && live.length > 0) {
    // The folders monitor read, spelt out: printed bare, the command retrained the default ones.
    const data = pathFlag("--data", opts.data, DEFAULTS.trainingCsv);
    throw new CommandError(
      count(live.length, "monitoring warning"),
      `consider 'candlecast retrain --mode monthly${data}${checkpointsFlag(opts.checkpoints)}'`,
    );
  }
}

/**
 * Said after an unjudged week's note when no week could ever be judged: on coarse candles a week holds fewer
 * candles than monitor needs, even one prediction on each of every symbol's (1d candles of two symbols: 14;
 * repeats of a candle count once). Empty otherwise: more symbols asked about, or more days logged, may fill one.
 */
export function neverJudged(series: readonly CandleSeries[], interval: string | null): string {
  const step = commonestStep(series.map((s) => s.openTime));
  if (step === null) return "";
  const perSymbol = Math.floor(7 * 86_400_000 / step);
  const most = perSymbol * series.length;
  if (most >= MIN_WEEK_PREDICTIONS) return "";
  return `; on ${interval ?? "these"} candles a week holds at most ${most} (${perSymbol} a symbol, ` +
    `${count(series.length, "symbol")}), so no week of it will be judged: read ` +
    "its per-day and per-version scores instead";
}
