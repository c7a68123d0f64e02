/**
 * `candlecast monitor`: how the served model is doing on the market since it went live. Reads the prediction
 * log that `serve` writes, joins it with a fresh training CSV (run `collect` first), and prints accuracy,
 * macro-F1, log-loss and calibration per day and per model version, warning when the last week is worse
 * than the version's own test metrics.
 */
import { Command } from "commander";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { readTrainingCsv } from "../features/index.ts";
import { joinOutcomes, type LiveScores, monitorReport, type TestScores } from "../ml/monitor/index.ts";
import { type Preprocessor, readPreprocessorFile } from "../engine/index.ts";
import { type PredictionRecord, PredictionRecordSchema } from "../engine/index.ts";
import { CommandError } from "./errors.ts";
import { parseFlags } from "./flags.ts";

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
    .option("--data <path>", "a recently collected training CSV", "data/training_data.csv")
    .option("--predictions <path>", "the prediction log written by serve", "data/predictions.jsonl")
    .option("--checkpoints <dir>", "where the model versions are stored", "checkpoints")
    .option("--fail-on-warning", "exit 1 when a warning is printed (for cron mail)")
    .action((raw) => monitor(parseFlags("monitor", MonitorFlags, raw)));
}

async function readPredictions(path: string): Promise<{ records: PredictionRecord[]; skipped: number }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new CommandError(
      `${path}: no prediction log`,
      "serve writes it (--predictions-log); point --predictions at it",
    );
  }
  const records: PredictionRecord[] = [];
  let skipped = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      records.push(PredictionRecordSchema.parse(JSON.parse(line)));
    } catch {
      skipped++; // e.g. a line cut short by a crash mid-write
    }
  }
  return { records, skipped };
}

async function readVersion(dir: string): Promise<{ preprocessor: Preprocessor; test?: TestScores } | null> {
  try {
    const preprocessor = await readPreprocessorFile(dir);
    const metrics = JSON.parse(await readFile(join(dir, "metrics.json"), "utf8").catch(() => "{}"));
    const test = metrics?.test;
    const ok = test && [test.macro_f1, test.log_loss, test.accuracy].every((v) => typeof v === "number");
    return { preprocessor, test: ok ? test : undefined };
  } catch {
    return null;
  }
}

const row = (label: string, s: LiveScores) =>
  `${label}  ${String(s.predictions).padStart(6)}  ${s.accuracy.toFixed(3)}  ${s.macro_f1.toFixed(3)}  ` +
  `${s.log_loss.toFixed(3)}  ${s.mean_confidence.toFixed(3)}  ${
    Number.isNaN(s.ece) ? "  –  " : s.ece.toFixed(3)
  }`;

async function monitor(opts: MonitorOptions): Promise<void> {
  const { records, skipped } = await readPredictions(opts.predictions);
  if (records.length === 0) throw new CommandError(`${opts.predictions}: no predictions logged yet`);
  const preprocessors = new Map<string, Preprocessor>();
  const tests = new Map<string, TestScores>();
  for (const version of new Set(records.map((r) => r.version))) {
    const v = await readVersion(join(opts.checkpoints, version));
    if (!v) continue;
    preprocessors.set(version, v.preprocessor);
    if (v.test) tests.set(version, v.test);
  }
  const series = await readTrainingCsv(opts.data);
  const { joined, pending, unmatched, unknownVersions } = joinOutcomes(records, series, preprocessors);
  console.log(
    `${records.length} predictions logged: ${joined.length} with outcomes, ${pending} awaiting their horizon, ` +
      `${unmatched} not found in ${opts.data}` + (skipped ? `, ${skipped} unreadable lines skipped` : ""),
  );
  for (const [version, n] of unknownVersions) {
    console.log(`${n} predictions of ${version} skipped: no such version in ${opts.checkpoints}`);
  }
  if (joined.length === 0) {
    console.log("nothing to score yet: collect newer candles, or wait until the horizon has passed");
    return;
  }
  const report = monitorReport(joined, tests);
  const header = (first: string) => `${first}  predictions  accuracy  macro_f1  log_loss  confidence  ECE`;
  const width = Math.max(...report.byDay.map((d) => d.version.length));
  console.log(`\nper day\n${header("day        " + "version".padEnd(width))}`);
  for (const d of report.byDay) console.log(row(`${d.day} ${d.version.padEnd(width)}`, d.scores));
  console.log(`\nper version (test split in brackets)\n${header("version".padEnd(width))}`);
  for (const v of report.byVersion) {
    const t = tests.get(v.version);
    console.log(
      row(v.version.padEnd(width), v.scores) +
        (t
          ? `   [test accuracy ${t.accuracy.toFixed(3)} macro_f1 ${t.macro_f1.toFixed(3)} log_loss ${
            t.log_loss.toFixed(3)
          }]`
          : ""),
    );
  }
  for (const w of report.warnings) console.error(`warning: ${w}`);
  if (opts.failOnWarning && report.warnings.length > 0) {
    throw new CommandError(
      `${report.warnings.length} monitoring warning(s)`,
      "consider 'candlecast retrain --mode monthly'",
    );
  }
}
