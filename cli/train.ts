/**
 * `candlecast train`: flags → TrainOptions (parsed once) → `runTraining`. Ctrl-C (or SIGTERM) stops after the
 * current batch (in worker threads too) and keeps the best weights so far as a new, unpromoted version; a
 * second one quits at once. Every member's best weights are saved in a run folder as it trains and as it
 * finishes, so a run interrupted or killed outright can be continued with `--resume`.
 */
import { Command, Option } from "commander";
import { DEFAULTS } from "./defaults.ts";
import { join } from "node:path";
import { CommandError, filesystemProblem, InterruptedError, UsageError, withoutRunAgain } from "./errors.ts";
import { withInterrupt } from "./interrupt.ts";
import { backendOption } from "./backend_flag.ts";
import { versionNameHint } from "./checkpoint_flag.ts";
import { workersOption } from "./workers_flag.ts";
import {
  checkpointsFlag,
  kebab,
  parseFlags,
  refuseTypedFlags,
  requireFolderPath,
  requireInput,
  requireWritableFolder,
} from "./flags.ts";
import { runTraining, TrainFlagsSchema, type TrainOptions, type TrainPhase } from "./train/index.ts";
import { addRunConfigFlags, SHAPE_FLAGS, typedRunConfigFlags } from "./run_config_flags.ts";
import {
  type Abandoned,
  abandonedRuns,
  resumableState,
  resumedFlags,
  unjudgedCandidateHint,
} from "./train_runs/folder/index.ts";
import { currentVersion } from "../ml/checkpoints/index.ts";
import { liveRuns } from "./train_runs/index.ts";
import { terminalProgress } from "../ml/train/index.ts";
import { shellWord } from "../base/index.ts";

/** What a first Ctrl-C (or SIGTERM) in each phase of a run says will happen: each is what the run then does. */
export const FIRST_PRESS: Readonly<Record<"preparing" | TrainPhase, string>> = {
  preparing: "stopping: training has not started, so nothing will be saved",
  // Distillation's out-of-fold boosting runs before the first member's first batch: there are no weights yet.
  teacher:
    "stopping: the distillation teacher is being fitted and no member has trained, so nothing will be saved",
  training: "stopping after this batch; the best weights so far will be saved",
  // The phase calibrates, scores the test split and fits the baselines before writing (tens of seconds on a
  // large CSV: 58 s on 115,000 candles, a trial): "being saved" read as a save that had hung.
  saving:
    "training has ended: the model is being calibrated, scored on the test split beside the baselines " +
    "and saved (up to a minute or more on large data); it will not be promoted",
  promoting: "the model is saved and current is being switched to it; that finishes",
};

/**
 * What a second Ctrl-C says as it quits at once: what happened, then what to do on a `hint:` line of its own, as
 * every failure says it (the command that continues the run was folded into the reason). Before training starts
 * there is no run folder yet (or a resumed one is as it was), and while the teacher is fitted no epoch has
 * ended, so none is saved for --resume either: the command is run again, or the resumed run resumed again.
 */
export function secondPress(phase: "preparing" | TrainPhase, resumed: boolean, checkpoints: string): string {
  const resume = `'candlecast train --resume${checkpointsFlag(checkpoints)}'`;
  const where = checkpointsFlag(checkpoints);
  const [reason, hint] = phase === "preparing" || phase === "teacher"
    ? [
      "stopped before training started; nothing was saved",
      resumed ? `${resume} still continues the run` : "run the same command again to train",
    ]
    // The version is saved and its run folder gone by then: --resume has nothing to continue.
    : phase === "promoting"
    ? [
      `stopped while promoting the saved version; ${
        join(checkpoints, "current")
      } may still point at the one ` +
      "before it",
      `'candlecast models list${where}' shows where it points; 'candlecast models promote VERSION${where}' ` +
      "points it at the new one",
    ]
    : [
      `stopped without saving; ${join(checkpoints, "current")} is untouched`,
      `${resume} continues from the last finished epoch`,
    ];
  return `candlecast: ${reason}\nhint: ${hint}`;
}

// Flags a resumed run may be given: where and how it runs, and whether it is promoted — not what it trains.
const RESUME_FLAGS = new Set(["resume", "checkpoints", "backend", "workers", "promote"]);

/**
 * `--resume`: the newest run killed in --checkpoints, with the flags it was started with. `typedNow`: the flags
 * typed with it over the run's own (--backend, --workers, --no-promote), checked with the run's
 * (`resumableState`, as `models list` and a new run's start check the run they name).
 */
async function resumable(command: Command, typedNow: Readonly<Record<string, unknown>>) {
  const typed = command.options.map((o) => o.attributeName())
    .find((k) => !RESUME_FLAGS.has(k) && command.getOptionValueSource(k) === "cli");
  if (typed) {
    throw new UsageError(
      `--${kebab(typed)} cannot be combined with --resume`,
      "a resumed run keeps the flags it was started with; start a new run to change them",
    );
  }
  const root = String(command.opts().checkpoints);
  const runs = await abandonedRuns(root);
  // Newest first. A damaged one (run.json, a weights file) is refused naming the file, before the data loads:
  // it was passed over ("no interrupted training run to resume"), or failed after it as "a bug".
  for (const run of runs) {
    const state = await resumableState(run, TrainFlagsSchema, typedNow);
    if (state) return { dir: run.dir, state };
  }
  throw await nothingToResume(root, runs);
}

/**
 * Why `--resume` has nothing to continue, said as what is there: a run still training (stopped with SIGSTOP,
 * hung, or in another container) and a run killed after saving its version were both "no interrupted
 * training run … start a new run", which threw a finished training away.
 */
async function nothingToResume(root: string, runs: readonly Abandoned[]): Promise<CommandError> {
  const where = checkpointsFlag(root);
  const live = (await liveRuns(root)).length;
  if (live > 0) {
    return new CommandError(
      `${live === 1 ? "a training run is" : `${live} training runs are`} in progress in ${root}, not stopped`,
      "--resume continues a run that was stopped or killed: wait for it to end (its process may be paused, " +
        `kill -CONT resumes it), or stop it first; 'candlecast models list${where}' shows it`,
    );
  }
  const current = await currentVersion(root).catch(() => null);
  const saved = runs.find((r) => r.savedAs !== undefined && r.savedAs !== current && !r.retrain);
  if (saved?.savedAs !== undefined) {
    return new CommandError(
      `a stopped run in ${root} had trained and saved ${saved.savedAs}, and was stopped before it ended: ` +
        "nothing is left to train",
      `'candlecast models promote ${saved.savedAs}${where}' serves it, as the run would have if it promotes`,
    );
  }
  // Retrain's: its candidate, never judged. It was said as the user's, with "'candlecast models promote vN'
  // serves it, as the run would have", which retrain's run never would unjudged.
  const candidate = runs.find((r) => r.savedAs !== undefined && r.savedAs !== current && r.retrain);
  if (candidate?.savedAs !== undefined) {
    return new CommandError(
      `the stopped run in ${candidate.dir} is retrain's, and its train step had saved ${candidate.savedAs} ` +
        `before retrain was killed: nothing is left to train, and retrain never compared ${candidate.savedAs} ` +
        "with current",
      unjudgedCandidateHint(root, candidate.savedAs) +
        "; the next 'candlecast retrain' trains and judges a new candidate",
    );
  }
  return new CommandError(
    `no interrupted training run to resume in ${root}`,
    "a run killed after its first epoch leaves one; otherwise start a new run without --resume",
  );
}

/**
 * `--blend-boosting` or `--no-blend-boosting` as typed, or null: both set one option, so naming the option
 * told a user who typed `--no-blend-boosting` that `--blend-boosting` was refused.
 */
export function typedBlendFlag(command: Command): string | null {
  if (command.getOptionValueSource("blendBoosting") !== "cli") return null;
  return command.opts().blendBoosting === false ? "--no-blend-boosting" : "--blend-boosting";
}

/** What `--incremental` cannot be typed with: a shape flag (the current model keeps its own) or --config-from. */
export function refuseIncrementalConflicts(command: Command, opts: TrainOptions): void {
  refuseTypedFlags(
    command,
    SHAPE_FLAGS,
    "--incremental",
    "fine-tuning keeps the current model's architecture, lookback, horizon, label rule and scaler",
  );
  // The blend's boosting was fit on the parent's whole training split; a fine-tune's few new windows would
  // make a poor one, so a fine-tune keeps the parent's (trees and temperature) or its absence.
  const blend = typedBlendFlag(command);
  if (blend) {
    throw new UsageError(
      `${blend} cannot be combined with --incremental`,
      "a fine-tune serves what its parent serves (a blend keeps the parent's boosting); to change it, train a " +
        "new version with --config-from and --blend-boosting or --no-blend-boosting",
    );
  }
  if (opts.configFrom) {
    throw new UsageError(
      "--config-from cannot be combined with --incremental",
      "--incremental continues with the current model's own configuration; typed flags override it",
    );
  }
}

async function train(command: Command): Promise<void> {
  requireFolderPath("--checkpoints", String(command.opts().checkpoints));
  requireWritableFolder("--checkpoints", String(command.opts().checkpoints));
  // Resumed: the run's own flags, then where and how it runs now (--backend, --workers, --promote) where typed.
  const typedNow = Object.fromEntries(
    ["promote", "backend", "workers"].filter((k) => command.getOptionValueSource(k) === "cli")
      .map((k) => [k, command.opts()[k]]),
  );
  const resume = command.opts().resume ? await resumable(command, typedNow) : undefined;
  const flags: Record<string, unknown> = resume
    ? { ...resume.state.flags, checkpoints: command.opts().checkpoints, ...typedNow }
    : typedRunConfigFlags(command);
  delete flags.resume;
  // A resumed run's flags were checked as `resumable` took it; parsed here by the same check.
  const opts = resume
    ? resumedFlags(resume.dir, flags, TrainFlagsSchema, Object.keys(typedNow))
    : parseFlags("train", TrainFlagsSchema, flags);
  if (opts.configFrom) {
    requireInput(
      "--config-from",
      opts.configFrom,
      versionNameHint("--config-from", opts.configFrom, opts.checkpoints) ??
        `see 'candlecast models list${checkpointsFlag(opts.checkpoints)}' for the versions`,
    );
  }
  if (opts.incremental && !resume) refuseIncrementalConflicts(command, opts);
  // The hints name --checkpoints when it is not the default, so they work as printed.
  const where = checkpointsFlag(opts.checkpoints);
  let phase: "preparing" | TrainPhase = "preparing";
  await withInterrupt(
    {
      first: () => FIRST_PRESS[phase],
      // Before training starts there is no run folder yet (or a resumed one is as it was): nothing to continue.
      // While the teacher is fitted no epoch has ended, so none is saved for --resume either.
      second: () => secondPress(phase, resume !== undefined, opts.checkpoints),
    },
    async (signal) => {
      const outcome = await runTraining(opts, {
        out: (line) => console.log(line),
        progress: terminalProgress(),
        signal,
        onPhase: (p) => (phase = p),
        flags,
        resume,
      });
      if (outcome.onnxError) throw onnxFailure(outcome.onnxError, outcome.version, outcome.dir, opts);
      if (outcome.stoppedAfterTraining) {
        throw new InterruptedError(
          `stopped after training ended; ${outcome.version} is saved whole${
            opts.promote ? " but was not promoted" : ""
          }`,
          `serve it with 'candlecast models promote ${outcome.version}${where}'`,
        );
      }
      if (outcome.interrupted) {
        throw new InterruptedError(
          `training was interrupted; the best weights so far are saved as ${outcome.version} (not promoted)`,
          `serve it with 'candlecast models promote ${outcome.version}${where}'` +
            (outcome.resumable ? `, or finish the run with 'candlecast train --resume${where}'` : ""),
        );
      }
    },
  );
}

/**
 * A version saved without model.onnx: why, and the two commands that finish it (export into it, then promote
 * it, which train would have done). A full or read-only disk is the machine's, worded as such: it read "the
 * ONNX export failed (ENOSPC …)" with a hint to export again at once, into the same full disk, and no word of
 * the promotion still to make.
 */
export function onnxFailure(
  error: Error,
  version: string,
  dir: string,
  opts: Pick<TrainOptions, "checkpoints" | "promote">,
): CommandError {
  const machine = filesystemProblem(error);
  const exportLine = `'candlecast export --checkpoint ${shellWord(dir)} --output ${
    shellWord(join(dir, "model.onnx"))
  }'`;
  const promoteLine = opts.promote
    ? `, then 'candlecast models promote ${version}${checkpointsFlag(opts.checkpoints)}'`
    : "";
  return new CommandError(
    machine
      ? `could not write ${join(dir, "model.onnx")}: ${machine.message}; ${version} was saved without it ` +
        "and not promoted"
      : `the ONNX export failed (${error.message}); ${version} was saved without model.onnx and not promoted`,
    `${machine ? `${withoutRunAgain(machine.hint)}; then ` : "retry with "}` +
      exportLine + promoteLine,
  );
}

export function trainCommand(): Command {
  const command = new Command("train")
    .summary("train a model on a training CSV into a new checkpoint version")
    .description(
      "Trains on a training CSV (from 'candlecast collect'): split by time into train, validation and\n" +
        "test (70/15/15 of all windows at dates common to every symbol, or --split-dates), with `horizon`\n" +
        "candles dropped at each cut. The scaler and class weights come from the training split only. The\n" +
        "result is a new version checkpoints/v{N}_{date}/ with test metrics beside baselines; 'current'\n" +
        "moves to it unless --no-promote, or unless it was changed by hand (models promote, rollback) while\n" +
        "the run trained: that change stays, and the new version is saved unpromoted.",
    )
    .option("--data <path>", "training CSV from 'candlecast collect'", DEFAULTS.trainingCsv)
    .option("--checkpoints <dir>", "where versions are stored", DEFAULTS.checkpoints)
    .option(
      "--incremental",
      "fine-tune the current model on the data since its data end, with its configuration (training flags " +
        "override it; shape flags, --config-from and --(no-)blend-boosting are refused)",
    )
    .option(
      "--config-from <version-dir>",
      "start from the run configuration recorded in this version's manifest.json (e.g. checkpoints/current); " +
        "flags given override it",
    )
    .addOption(workersOption())
    .addOption(backendOption())
    .option("--no-promote", "keep 'current' where it is")
    .addOption(
      new Option(
        "--blend-boosting",
        "serve a blend: half the network's calibrated probabilities, half gradient boosting's (the test " +
          "baseline's fit, its own temperature; both in model.onnx); the report scores the network alone " +
          "beside it. Off unless given, recorded in --config-from's version, or kept from the parent by " +
          "--incremental (and retrain, from current)",
      ),
    )
    .addOption(new Option("--no-blend-boosting", "serve the network alone (over a recorded blend)"))
    .option(
      "--resume",
      "continue the newest run in --checkpoints that was killed (kill -9, power loss) or interrupted " +
        "(Ctrl-C, SIGTERM), with the flags it was started with: finished ensemble members are kept, an " +
        "interrupted one continues from its best weights and epoch count, the rest train as they would have " +
        "(only --checkpoints, --backend, --workers and --no-promote may be given with it)",
    );
  addRunConfigFlags(command);
  return command.action(() => train(command));
}
