/**
 * The train step that makes the candidate (`run.ts`): the version it wrote, or what a stopped or failed step
 * leaves: its run folder removed, a version it finished kept unpromoted, too little new data to fine-tune on as
 * the run's outcome.
 */
import { join, resolve } from "node:path";
import { rm } from "node:fs/promises";
import { utcDay } from "../../base/index.ts";
import { listVersionNames, recordDataSource } from "../../ml/checkpoints/index.ts";
import { CommandError, InterruptedError } from "../errors.ts";
import { runFolderNames, withoutKeptRunClause } from "../train_runs/index.ts";
import { dataEnd } from "./coverage.ts";
import { appendLogLine, step, StepError, STOPPED_HINT } from "./step.ts";
import { ownRunFolders, versionsTrainedOn } from "./store.ts";
import { trainStepArgs } from "./train_step.ts";
import type { RetrainOutcome } from "./outcome.ts";
import type { HoldoutCut, RetrainRun } from "./run_state.ts";

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

/** The train step on the cut's training copy: the candidate version it wrote, or the run's outcome without one. */
export async function trainCandidate(run: RetrainRun, cut: HoldoutCut): Promise<string | RetrainOutcome> {
  const { opts, root } = run;
  const existingVersions = new Set(await listVersionNames(root));
  const existingRuns = new Set(await runFolderNames(root));
  try {
    await step(
      opts.log,
      trainStepArgs(cut.trainCsv, root, run.incremental, run.currentDir, opts.trainArgs),
      opts.signal,
      opts.progress,
    );
  } catch (error) {
    return await failedStep(run, cut, error, existingVersions, existingRuns);
  }
  const candidate = (await versionsTrainedOn(root, existingVersions, cut.trainCsv))[0] ?? null;
  if (!candidate) {
    throw new CommandError(
      `train finished but wrote no new version into ${root}; current is unchanged`,
      `its output is in ${opts.log}; run retrain again, or train by hand to see why`,
    );
  }
  // The candidate names the CSV it came from, not this run's copy of it (removed when the run ends).
  await recordDataSource(join(root, candidate), resolve(opts.data), cut.start);
  return candidate;
}

/**
 * A stopped or failed train step: too little new data to fine-tune on is the run's outcome; anything else is
 * thrown, said as retrain left things.
 */
async function failedStep(
  run: RetrainRun,
  cut: HoldoutCut,
  error: unknown,
  existingVersions: ReadonlySet<string>,
  existingRuns: ReadonlySet<string>,
): Promise<RetrainOutcome> {
  const { opts, root, current, manifest } = run;
  const { start, before, trainCsv } = cut;
  // A stopped or failed step's run cannot be resumed (its --data is this run's temporary copy, removed
  // when the run ends: runRetrain's `finally`), so its run folder goes, however it ended (train keeps one on a full disk for --resume); a
  // version train finished writing before it stopped stays, unpromoted.
  const left = await ownRunFolders(root, existingRuns, trainCsv);
  for (const r of left) await rm(join(root, r), { recursive: true, force: true });
  // The step's output above it in the log may end in train's own "finish the run with 'candlecast train
  // --resume …'", which stderr no longer says but the log kept, and which then failed (a seat's trial).
  if (left.length > 0) {
    await appendLogLine(
      opts.log,
      `retrain: removed the run folder of the training above (${left.join(", ")}): its data was retrain's ` +
        "temporary copy, so a 'candlecast train --resume' hint above does not apply",
    );
  }
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
        ? `promote it by hand with '${run.promoteCommand(written[0])}', or let the next run decide`
        : STOPPED_HINT,
    );
  }
  // Some new candles, but too few to split into training, validation and test windows: as above, nothing
  // to fine-tune on yet (train stops before it writes anything; its own reason is in the log).
  if (run.incremental && error instanceof StepError && error.tooLittleNewData) {
    const since = manifest ? dataEnd(manifest.data, before) : null;
    run.skip(["compare", "promote"], "too little new data to fine-tune on: train wrote no candidate");
    return await run.outcome(
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
