/**
 * The arguments of retrain's train step, and their check before anything runs (train's own parser, schema and
 * combination rules), so a bad `--train-args` is found before a collect from the exchange.
 */
import { CommanderError } from "commander";
import { UsageError } from "../errors.ts";
import { parseFlags, refuseTypedFlags } from "../flags.ts";
import { runConfigOf, SHAPE_FLAGS, typedRunConfigFlags } from "../run_config_flags.ts";
import {
  configFromVersion,
  requireRecordedModel,
  TrainFlagsSchema,
  type TrainOptions,
} from "../train/index.ts";
import { refuseIncrementalConflicts, trainCommand, typedBlendFlag } from "../train.ts";
import { readPreprocessorFile } from "../../engine/index.ts";
import { readManifest } from "../../ml/checkpoints/index.ts";
import { recordedRunConfig } from "../../ml/train/index.ts";

/**
 * Current's architecture, checked before any collect: the train step starts from its record (`--config-from`
 * or `--incremental`) and refuses a version that records none, but only after a cron run had collected.
 * A current whose files cannot be read passes here: the train step says why itself.
 */
export async function requireCurrentArchitecture(currentDir: string, version: string): Promise<void> {
  const recorded = await Promise.all([readManifest(currentDir), readPreprocessorFile(currentDir)])
    .then(([manifest, preprocessor]) => recordedRunConfig(manifest, preprocessor), () => null);
  if (recorded === null) return;
  requireRecordedModel(
    recorded,
    `retrain starts from current (${version})`,
    "its shape cannot be trained again, nor a fine-tune of it recorded",
  );
}

/**
 * `train`'s arguments for a candidate trained on `data` into `root`, unpromoted: fine-tuning `current`
 * (weekly, with a current version), or from scratch starting from `currentDir`'s recorded configuration, which
 * `trainArgs` override, so a version trained with other flags is not silently reset to defaults.
 */
export function trainStepArgs(
  data: string,
  root: string,
  incremental: boolean,
  currentDir: string | null,
  trainArgs: readonly string[],
): string[] {
  return [
    "train",
    "--data",
    data,
    "--checkpoints",
    root,
    "--no-promote",
    ...(incremental ? ["--incremental"] : currentDir ? ["--config-from", currentDir] : []),
    ...trainArgs,
  ];
}

/** train's flags retrain sets itself: typed in `--train-args` they would train elsewhere or on other data. */
const RETRAIN_OWNED: Record<string, string> = {
  "--data":
    "retrain trains on a copy of its own --data cut before the held-out days; give the CSV as retrain's --data",
  "--checkpoints":
    "retrain writes the candidate into its own --checkpoints; give the folder as retrain's --checkpoints",
  "--incremental": "--mode weekly fine-tunes current, --mode monthly trains from scratch",
  "--resume":
    "retrain starts a fresh candidate each run; to finish a stopped run use 'candlecast train --resume'",
  // Before: accepted, so every later candidate trained only on candles before the fixed validation date and
  // left each newer one in its test split: retraining never learned from new candles. (A date outside the data
  // was found only after collecting.)
  "--split-dates":
    "retrain splits each candidate's copy by train's fractions (70/15/15, the newest last), so new candles are " +
    "trained on; fixed dates would leave every newer candle in the test split. Leave it out (--holdout-days " +
    "sets what is held out for the promotion decision)",
  // Before: accepted and ignored (retrain trains unpromoted anyway), and the candidate was promoted.
  "--no-promote":
    "retrain always trains its candidate unpromoted and promotes it only if it is not worse than current; " +
    "to train a version that is never promoted, run 'candlecast train --no-promote' by hand",
};

/**
 * Refuses in `--train-args` the flags retrain sets itself (usage error, exit 2, before anything runs). Before:
 * `--train-args='--data x.csv'` trained a candidate on x.csv (held-out days included) and then failed with
 * "train finished but wrote no new version"; `--checkpoints DIR` trained into DIR and failed the same way.
 * `--incremental` passes where the run fine-tunes anyway (`incremental`), and is refused where it trains from
 * scratch (monthly, or weekly before there is a current).
 */
export function refuseRetrainOwnedFlags(trainArgs: readonly string[], incremental: boolean): void {
  for (const arg of trainArgs) {
    const name = arg.split("=")[0];
    // Said again where retrain fine-tunes anyway (a weekly run with a current): redundant, and cron lines
    // written before the refusal carry it.
    if (name === "--incremental" && incremental) continue;
    const hint = RETRAIN_OWNED[name];
    if (hint !== undefined) throw new UsageError(`--train-args: ${name} is retrain's to set`, hint);
  }
}

/**
 * The train step's arguments (`--train-args` with what retrain adds: --incremental or --config-from) read by
 * train's own flags, schema and combination rules now, not when the step starts after a collect from the
 * exchange: a typo (`--epochz 3`), a bad value, a shape flag a weekly fine-tune cannot take, or one that does
 * not fit the model current records (a monthly `--d-model` over a lightweight_lstm) is a usage error (exit 2)
 * before anything runs.
 */
export async function checkTrainStep(
  args: readonly string[],
  /** Whether `--train-args` typed any flags: only then can one clash with current's recorded configuration. */
  typed = true,
): Promise<TrainOptions> {
  const command = trainCommand().exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .action(() => {});
  const opts = asTrainArgsError(() => {
    command.parse(args.slice(1), { from: "user" }); // after the command's name
    const opts = parseFlags("train", TrainFlagsSchema, typedRunConfigFlags(command));
    if (opts.incremental) {
      // --incremental is retrain's, not the user's: say what the weekly run does, and the mode that takes it.
      refuseTypedFlags(
        command,
        SHAPE_FLAGS,
        "a weekly run: it fine-tunes current, keeping its architecture, window, labels and scaler",
        "--mode monthly trains from scratch and takes it; or leave it out",
      );
      // Before: "--blend-boosting cannot be combined with --incremental" and a hint to train by hand with
      // --config-from, though the user typed no --incremental (retrain adds it) and retrain has a mode for it.
      const blend = typedBlendFlag(command);
      if (blend) {
        throw new UsageError(
          `${blend} cannot be combined with a weekly run: it fine-tunes current, and a fine-tune serves ` +
            "what its parent serves (a blend keeps current's gradient boosting, which a week of candles would fit poorly)",
          `run 'retrain --mode monthly' with it: a monthly run trains from scratch and takes it (without it, it ` +
            "keeps what current serves); or leave it out of the weekly run",
        );
      }
      refuseIncrementalConflicts(command, opts);
    }
    return opts;
  });
  // The configuration the step will start from (current's record), read as train reads it; its own failures
  // (an unreadable current) are runtime errors, not the flags'.
  if (opts.configFrom && typed) {
    const config = await configFromVersion(opts.configFrom);
    asTrainArgsError(() => runConfigOf(opts, { config, keepShape: false }));
  }
  return opts;
}

/**
 * The window the train step's candidate will have (its lookback and the horizon its labels look ahead), from the
 * step's flags as `checkTrainStep` read them: current's own for a fine-tune (`--incremental`), else the
 * recorded configuration `--config-from` names with `--train-args` over it, else train's defaults with them.
 * Null when current's files cannot be read: the train step then says why itself.
 */
export async function candidateWindow(
  opts: TrainOptions,
  currentDir: string | null,
): Promise<{ readonly lookback: number; readonly horizon: number } | null> {
  try {
    if (opts.incremental) {
      if (currentDir === null) return null;
      const { lookback, horizon } = await readPreprocessorFile(currentDir);
      return { lookback, horizon };
    }
    const base = opts.configFrom
      ? { config: await configFromVersion(opts.configFrom), keepShape: false }
      : undefined;
    const config = runConfigOf(opts, base);
    return { lookback: config.model.lookback, horizon: config.data.horizon };
  } catch {
    return null;
  }
}

/** `work`'s usage errors, and commander's, as `--train-args` errors with train's help named. */
function asTrainArgsError<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`--train-args: ${error.message}`, error.hint);
    // Commander reports a help request as an error whose message is its internal token "(outputHelp)".
    if (error instanceof CommanderError && /^commander\.help/.test(error.code)) {
      throw new UsageError(
        "--train-args: --help is not a training flag",
        "run 'candlecast train --help' for the flags --train-args may pass",
      );
    }
    throw new UsageError(
      `--train-args: ${(error as Error).message.replace(/^error: /, "")}`,
      "run 'candlecast train --help' for the flags --train-args may pass",
    );
  }
}
