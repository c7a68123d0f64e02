/**
 * `candlecast evaluate`: is the model worth trading on? Walk-forward folds by time, the model beside its
 * baselines in the same folds, calibration, both decision rules, a bootstrap interval and a cost-aware backtest,
 * printed and written as evaluation.json + report.html. Flags → EvaluateOptions (parsed once) → runEvaluation.
 */
import { Command, Option } from "commander";
import { DEFAULTS } from "./defaults.ts";
import { backendOption } from "./backend_flag.ts";
import { workersOption } from "./workers_flag.ts";
import { parseFlags, refuseTypedFlags, requireInput } from "./flags.ts";
import { requireCheckpoint } from "./checkpoint_flag.ts";
import { addRunConfigFlags, RUN_CONFIG_KEYS, SHAPE_FLAGS, typedRunConfigFlags } from "./run_config_flags.ts";
import { EvaluateFlagsSchema } from "./evaluate/options.ts";
import { runEvaluation } from "./evaluate/run.ts";
import { terminalProgress } from "../ml/train/index.ts";
import { InterruptedError } from "./errors.ts";
import { withInterrupt } from "./interrupt.ts";
import { DEFAULT_VALIDATION_MONTHS } from "../ml/evaluate/index.ts";
import { ReportedError, writeStderrLine } from "../base/index.ts";

async function evaluate(command: Command): Promise<void> {
  const opts = parseFlags("evaluate", EvaluateFlagsSchema, typedRunConfigFlags(command));
  if (opts.checkpoint) {
    refuseTypedFlags(
      command,
      SHAPE_FLAGS,
      "--checkpoint",
      "a checkpoint keeps its own model and input (architecture, sizes, dropout, members, lookback, horizon, " +
        "label rule, input clipping); the other training flags (--epochs, --learning-rate, --class-weights …) " +
        "override the training recipe it recorded",
    );
  }
  // Kept as it is (on ONNX) with no lightweight_lstm baseline, no network trains: training flags were taken
  // and shaped nothing, while the report named them among the run's settings. --seed still counts: it seeds
  // the baselines (the logistic regression's and persistence's window sample, gradient boosting) and the
  // bootstrap's intervals.
  if (opts.checkpoint && (opts.retrain ?? "none") === "none" && !opts.lightweightBaseline) {
    refuseTypedFlags(
      command,
      [
        ...RUN_CONFIG_KEYS.filter((k) => k !== "seed" && !(SHAPE_FLAGS as readonly string[]).includes(k)),
        "workers",
      ],
      "--checkpoint kept as it is (--retrain none) and --no-lightweight-baseline",
      "no network is trained then: add --retrain monthly or weekly to train the version with them, or leave out " +
        "--no-lightweight-baseline for the lightweight_lstm baseline to take them",
    );
  }
  // "file": a folder was refused later, by the CSV reader, without the flag's name (evaluate's after the backend).
  requireInput(
    "--data",
    opts.data,
    "make a training CSV with 'candlecast collect', or point --data at one",
    "file",
  );
  // As predict and export: a file, or the folder holding the versions, is a usage error saying what to name.
  if (opts.checkpoint) await requireCheckpoint("--checkpoint", opts.checkpoint);
  await withInterrupt(
    {
      first: "stopping after this batch; the folds finished so far will be written, marked partial",
      second: EVALUATE_SECOND_PRESS,
    },
    async (signal) => {
      try {
        await runEvaluation(opts, {
          out: (line) => console.log(line),
          warn: (line) => writeStderrLine(line),
          progress: terminalProgress(),
          signal,
        });
      } catch (error) {
        // A failure the interrupt caused still exits 130; one the run explained (a ReportedError of any layer:
        // a damaged version, a backend that cannot start) is reported as written.
        if (signal.aborted && !(error instanceof ReportedError)) {
          throw new InterruptedError("evaluation interrupted; nothing was written");
        }
        throw error;
      }
    },
  );
}

/** What a second Ctrl-C says as evaluate quits at once: a reason, then what to do on a hint line of its own. */
export const EVALUATE_SECOND_PRESS =
  "candlecast: stopped at once; nothing was written (any earlier evaluation there is untouched)\n" +
  "hint: run the same command again to evaluate; one Ctrl-C writes the folds finished so far";

export function evaluateCommand(): Command {
  const command = new Command("evaluate")
    .summary("walk-forward evaluation beside baselines, with calibration, a backtest and report.html")
    .description(
      [
        "Walk-forward by calendar time: the last --folds weeks or months are test blocks, each validated on " +
        "the --validation-months months before it and trained on everything earlier, with `horizon` candles " +
        "purged at every cut.",
        "The model and its baselines (majority, persistence, logistic regression, gradient boosting, " +
        "lightweight_lstm) are " +
        "scored on the same windows: accuracy, macro-F1, per-class precision/recall, log-loss, Brier, " +
        "calibration error, confident-call precision, argmax vs the prior-corrected rule, a block-bootstrap " +
        "interval against the best baseline (macro-F1 on the classes the version is served with: the prior " +
        "rule for what train writes), and a backtest with fees vs buy-and-hold; beside them, what train " +
        "--blend-boosting would serve (the model's and gradient boosting's probabilities averaged) against " +
        "each of the two (not for a blended --checkpoint kept as it is, which is scored as the blend it " +
        "serves). Prints the tables and " +
        "writes evaluation.json, report.html and predictions.csv (every test window: its outcome and each " +
        "learner's probabilities).",
        "--retrain monthly: month blocks, models trained from scratch before each; weekly: week blocks, " +
        "trained before the first and then fine-tuned on each week that enters the training data (which " +
        "ends where the validation months begin, so that week is about --validation-months older than the " +
        "week tested; retrain --mode weekly fine-tunes on the newest candles instead); none: month blocks, " +
        "trained once (with --checkpoint, kept as it is, the baselines train once more at the first fold " +
        "it never saw, so that on the folds judged they have at least its data).",
        "Training inside the folds uses 'candlecast train''s recipe and defaults (the same flags); with " +
        "--checkpoint, the checkpoint's recorded configuration, training flags given overriding its recipe. " +
        "A training costs about members × epochs × windows ÷ samples/s, whatever the data's size; the " +
        "boosting baseline's fit grows with the data instead (at most 400,000 training windows and 1,000 " +
        "iterations): on millions of candles it can take most of a fold's time.",
      ].join("\n\n"),
    )
    .option("--data <path>", "training CSV from 'candlecast collect'", DEFAULTS.trainingCsv)
    .option(
      "--checkpoint <dir>",
      "evaluate this version (e.g. checkpoints/current): kept as it is, on ONNX, under --retrain none (the " +
        "default with it); --retrain monthly retrains it from its recorded configuration, weekly fine-tunes " +
        "it. Shape flags (--model, --lookback, --horizon, sizes) are refused with it",
    )
    .option("--folds <n>", "number of test blocks, the most recent complete ones", "3")
    .option(
      "--validation-months <n>",
      "calendar months before each test block that validate it (early stopping, temperature, boosting iterations)",
      String(DEFAULT_VALIDATION_MONTHS),
    )
    .addOption(
      new Option("--retrain <mode>", "retraining between folds (default: monthly; none with --checkpoint)")
        .choices(["weekly", "monthly", "none"]),
    )
    .option(
      "--output-dir <dir>",
      "where evaluation.json, report.html and predictions.csv are written",
      "evaluation",
    )
    .option("--no-lightweight-baseline", "skip training lightweight_lstm as a baseline (saves time)")
    .option(
      "--trade-threshold <p>",
      "backtest: beside the served calls, also trade when P(UP) (or P(DOWN) with --short) is above p",
      "0.4",
    )
    .option("--fee <fraction>", "backtest: fee per side as a fraction (0.001 = 0.1 %)", "0.001")
    .option(
      "--short",
      "backtest: also go short (when P(DOWN) is above the threshold and P(UP); when the served call names DOWN)",
    )
    .option("--bootstrap <n>", "bootstrap resamples for the intervals (at least 50)", "1000")
    .addOption(backendOption())
    .addOption(workersOption());
  // Evaluate cuts its own folds, so train's --split-dates has no use here.
  addRunConfigFlags(command, ["splitDates"]);
  return command.action(() => evaluate(command));
}
