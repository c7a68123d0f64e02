/**
 * `candlecast monitor`: its flags and their checks; the scoring is in `monitor/run.ts`. How the served model
 * is doing on the market since it went live, from the prediction log `serve` writes and a fresh training CSV.
 */
import { Command, Option } from "commander";
import { DEFAULTS } from "./defaults.ts";
import { UsageError } from "./errors.ts";
import { parseFlags, requireFolderPath, requireInput } from "./flags.ts";
import { MonitorFlags } from "./monitor/options.ts";
import { runMonitor } from "./monitor/run.ts";

export function monitorCommand(): Command {
  return new Command("monitor")
    .summary("score served predictions against what the market did")
    .description(
      "Joins the predictions 'serve' logged with realised outcomes from a fresh training CSV (collect first),\n" +
        "then prints accuracy, macro-F1, log-loss and calibration per day and per model version, and warns\n" +
        "when a version's last week is worse than its test metrics beyond chance (the week's 95 % interval\n" +
        "entirely on the worse side; weeks of fewer than 96 scored predictions are not judged).",
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
      "exit 1 when the served version (the one that answered the last logged prediction) warns: its last " +
        "week worse than its test split beyond chance, its log stopped, or none of its predictions scored and " +
        "not all for want of time (e.g. --data ends before them: collect did not run), for cron mail; versions " +
        "no longer served get a note. " +
        "A failure exits 1 too; docs/scripting.md says how to tell the two apart (a warning's run ends with " +
        "'candlecast: N monitoring warning(s)' on stderr, and with --json prints its document)",
    )
    .option(
      "--json",
      "for scripts: print one JSON object on stdout instead of the lines and tables (the counts, the per-day and " +
        "per-version scores with calibration, each version's test figures and last week with its interval, " +
        "the warnings, and the verdict: status, exit code and why); warnings and notes stay on stderr, exit " +
        "codes are unchanged",
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
      return runMonitor(opts);
    });
}
