/**
 * `candlecast train` end to end: CSV → honest splits → model → training → test metrics beside baselines →
 * a new checkpoint version → `current` (unless --no-promote, an interrupt, a failed ONNX check, or a promote
 * or rollback made by hand while it ran, which stays).
 */
import { keptRunClause } from "../train_runs/index.ts";
import { basename, join } from "node:path";
import {
  type CandleSeries,
  CLASSES,
  FEATURE_NAMES,
  gridOffsetOf,
  seriesInterval,
} from "../../features/index.ts";
import { plural, removeStaleTemps, shellWord, utcDay } from "../../base/index.ts";
import { CommandError, filesystemProblem, InterruptedError, withoutRunAgain } from "../errors.ts";
import { checkpointsFlag, requireCandles, requireInput } from "../flags.ts";
import { classPriors, type ModelType, type Preprocessor, TRAINED_DECISION_RULE } from "../../engine/index.ts";
import { type BackendInfo, describeBackend, initBackend, type LayersModel } from "../../ml/runtime/index.ts";
import { type Dataset, DatasetError, prepareDatasetAsync, type Scaling } from "../../ml/data/index.ts";
import {
  BOOSTING_BLEND_WEIGHT,
  buildModel,
  FAST_LAYERS,
  firstMembers,
  memberViews,
  scoringBatch,
} from "../../ml/models/index.ts";
import {
  type BatchProgress,
  membersResult,
  type MemberStart,
  memberTrainConfig,
  type RunConfig,
  type TrainConfig,
  trainConfigOf,
  trainMembers,
  windowShapeOf,
} from "../../ml/train/index.ts";
import {
  type Abandoned,
  abandonedRuns,
  DamagedRunError,
  describeRun,
  epochsDone,
  isFinished,
  passedOverLine,
  pruneAbandonedRuns,
  rerunLine,
  resumableState,
  resumeChoice,
  RunFlagsError,
  RunFolder,
  runOrigin,
  type RunState,
  splitOutdated,
  wholeEpochs,
} from "../train_runs/folder/index.ts";
import { TrainFlagsSchema, type TrainOptions } from "./options.ts";
import { runConfigOf } from "../run_config_flags.ts";
import { trainingCores, workersNote } from "../workers_flag.ts";
import {
  configFromVersion,
  loadParent,
  type Parent,
  parentDataEnd,
  type ParentFiles,
  readParent,
} from "./parent.ts";
import { currentChangedLines, dataLines, hour, keptRunLine, stopLine } from "./report.ts";
import {
  requireEveryClass,
  requireNewCandles,
  requireParentGrid,
  requireParentInterval,
  requirePromotable,
  requireSameData,
  requireSameSplitRule,
  requireSplitInData,
  requireTimedIncrement,
} from "./preflight.ts";
import { requireBatchFits, requireWeightsFit } from "../run_config_flags.ts";
import { scoreOnTest } from "./test_split.ts";
import { phaseProgress } from "../phase_progress.ts";
import { clearingProgress, readTrainingData } from "../run_data.ts";
import { type Prepared, promoteSaved, saveVersion, type Trained } from "./save.ts";
import { calibrateOnValidation, keepsTemperature, restoreClassBias } from "../../ml/evaluate/index.ts";
// The calibration line's wording, which report.html's verdict repeats when it warns.
import { temperatureWords } from "../../ml/report/index.ts";
import type { CurrentChangedError, WrittenVersion } from "../../ml/checkpoints/index.ts";

/** Where a run is, for what a Ctrl-C then does (`TrainIo.onPhase`). */
export type TrainPhase = "training" | "teacher" | "saving" | "promoting";

export interface TrainIo {
  /** One line of normal output (stdout). */
  readonly out: (line: string) => void;
  readonly progress?: BatchProgress;
  /**
   * Aborting stops training after the current batch (Ctrl-C); aborted once training has ended, the version is
   * still saved whole but not promoted (the user asked to stop, not to change what is served).
   */
  readonly signal?: AbortSignal;
  /**
   * Where the run is: "training" once the data are read and labelled (before, a stop ends the run with nothing
   * saved), "teacher" while distillation's teacher is fitted before the first member trains (a stop then
   * saves nothing either; "training" again after it; a resumed run's refit stays "training", since a stop
   * then saves its best weights), "saving" once training has ended and the model is
   * calibrated, scored and saved (a stop now keeps it from being promoted), "promoting" once `current` is
   * being switched to it (that finishes).
   */
  readonly onPhase?: (phase: TrainPhase) => void;
  /** Test hook: called after every training batch. */
  readonly afterBatch?: (epoch: number, batch: number) => void;
  /**
   * The raw train flags. Given (the CLI gives them), every member's best weights so far are saved after
   * every epoch, and each member as it finishes, in a run folder (`../train_runs/`) that `train --resume`
   * continues from after a kill or an interrupt.
   */
  readonly flags?: Record<string, unknown>;
  /** An abandoned run to continue (`train --resume`): its folder and state. */
  readonly resume?: Abandoned & { readonly state: RunState };
}

export interface TrainOutcome {
  readonly version: string;
  readonly dir: string;
  readonly promoted: boolean;
  readonly interrupted: boolean;
  /** An interrupted run whose run folder was kept: `train --resume` continues it. */
  readonly resumable: boolean;
  /** Training had ended when the stop came: the version is whole, and was not promoted because of the stop. */
  readonly stoppedAfterTraining: boolean;
  readonly onnxError?: Error;
}

async function startBackend(opts: TrainOptions): Promise<BackendInfo> {
  return await initBackend(opts.backend);
}

/**
 * Splits and labels the data; fine-tuning keeps the parent's window shape and scaler and takes newer data. A
 * stop (Ctrl-C, SIGTERM) is heard while the windows are labelled, and ends the run: nothing is trained yet.
 */
async function prepare(
  series: CandleSeries[],
  config: RunConfig,
  parent: Parent | null,
  stop: { readonly signal?: AbortSignal; readonly resuming: boolean },
  progress?: (done: number, total: number) => void,
): Promise<Dataset> {
  const { signal, resuming } = stop;
  try {
    return await prepareDatasetAsync(series, {
      signal,
      progress,
      ...windowShapeOf(config),
      split: config.data.split,
      since: parent ? (symbol) => parentDataEnd(parent, symbol) : undefined,
      scaler: parent?.preprocessor.scaler,
      returnScale: parent?.preprocessor.returnScale,
    });
  } catch (error) {
    if (signal?.aborted && error === signal.reason) throw stoppedBeforeTraining(resuming);
    // A split that cannot be made says why itself, with the exit code of whose fix it is (--split-dates on
    // candles without open times is the flag's: exit 2, with a hint; it was exit 1 without one), as does an
    // empty split (split dates inside the first windows' warm-up are the flag's too).
    if (error instanceof DatasetError && parent) {
      throw new CommandError(
        error.message,
        `there may be too little data since ${parent.version}; collect more first`,
      );
    }
    throw error;
  }
}

/** The run configuration with `--blend-boosting` (true), `--no-blend-boosting` (false) or as recorded. */
function withBlendFlag(config: RunConfig, blend: boolean | undefined): RunConfig {
  if (blend === undefined) return config;
  const { boostingBlend: _, ...model } = config.model;
  return { ...config, model: blend ? { ...model, boostingBlend: BOOSTING_BLEND_WEIGHT } : model };
}

/** A stop before the first batch: nothing was trained, so nothing is saved (exit 130, as every stop). */
function stoppedBeforeTraining(resuming: boolean): InterruptedError {
  return new InterruptedError(
    `training was interrupted before it started; nothing ${resuming ? "new " : ""}was saved`,
    `run the same command again${resuming ? " to continue the run" : " to start over"}`,
  );
}

function preprocessorOf(
  modelType: ModelType,
  data: Dataset,
  scaling: Scaling,
  temperature: number,
): Preprocessor {
  return {
    modelType,
    featureNames: [...FEATURE_NAMES],
    lookback: data.lookback,
    horizon: data.horizon,
    labelRule: data.labelRule,
    classes: [...CLASSES],
    scaler: data.scaler,
    clip: scaling.clip,
    returnScale: data.returnScale,
    temperature,
    classPriors: classPriors(data.train.labels),
    decisionRule: TRAINED_DECISION_RULE,
  };
}

export async function runTraining(opts: TrainOptions, io: TrainIo): Promise<TrainOutcome> {
  return await clearingProgress(io, () => trainingPhases(opts, io));
}

async function trainingPhases(opts: TrainOptions, io: TrainIo): Promise<TrainOutcome> {
  const started = performance.now();
  if (io.resume) await sayResuming(opts.checkpoints, io.resume, io);
  // A bad model size is a usage error: say so before reading any data.
  const base = opts.configFrom ? await configFromVersion(opts.configFrom) : undefined;
  const fresh = opts.incremental
    ? null
    : runConfigOf(opts, base && { config: base, keepShape: false }, "train", io.resume !== undefined);
  // "file": a folder was refused later, by the CSV reader, without the flag's name (evaluate's after the backend).
  requireInput(
    "--data",
    opts.data,
    "make a training CSV with 'candlecast collect', or point --data at one",
    "file",
  );
  // Reading, labelling, calibrating and scoring a large CSV's windows take minutes (2.2M candles: ~30 s to read,
  // a minute to label): each reports its progress as the epochs do (a bar, or a line every 30 s in a log).
  const { series, sha256: dataSha256 } = await readTrainingData(
    opts.data,
    io,
    () => stoppedBeforeTraining(io.resume !== undefined),
  );
  const { parentFiles, currentNow, startCurrent } = await checkBeforeBackend(
    opts,
    io,
    series,
    dataSha256,
    fresh,
  );
  const backend = await startBackend(opts);
  io.out(`backend: ${describeBackend(backend)}`);
  sayStartNotes(opts, io, base, currentNow, startCurrent);
  // tfjs-wasm's heap stops at 4 GB; TensorFlow's memory is the machine's.
  if (fresh && backend.backend !== "tensorflow") {
    requireWeightsFit(fresh.model);
    requireBatchFits(fresh);
  }
  const cleaned = await removeStaleTemps(opts.checkpoints);
  if (cleaned.length > 0) {
    io.out(`removed what killed runs left in ${opts.checkpoints}: ${cleaned.join(", ")}`);
  }
  const parent = parentFiles ? await loadParent(parentFiles) : null;
  if (parent) {
    io.out(
      `incremental: fine-tuning ${parent.version} on windows labelled after ${
        hour(parent.manifest.data.end_ms ?? NaN)
      }`,
    );
  }
  const { prepared, model } = await prepareTraining(opts, io, {
    series,
    backend,
    parent,
    fresh,
    started,
    dataSha256,
  });
  const run = await startRun(opts, io, parent, memberViews(model).length, dataSha256, startCurrent);
  try {
    return await trainAndSave(opts, io, prepared, model, run, startCurrent ?? null);
  } catch (error) {
    throw await failedRun(error, run, opts.checkpoints);
  }
}

/**
 * What is refused before the backend starts, so that a refusal does not wait on it: a resumed run's data
 * changed, `--incremental` without a `current` to fine-tune (or of other candles, or with none newer), a header
 * alone, split dates outside the data, a `current` promotion could not replace. Returns the parent's files and
 * where `current` points now and pointed when the run started (undefined: the run does not promote).
 */
async function checkBeforeBackend(
  opts: TrainOptions,
  io: TrainIo,
  series: CandleSeries[],
  /** sha256 of --data as read. */
  dataSha256: string,
  fresh: RunConfig | null,
): Promise<{ parentFiles: ParentFiles | null; currentNow?: string | null; startCurrent?: string | null }> {
  // Hashed from the bytes the read parsed, so run.json and the manifest record the candles the members train
  // on (a second read could meet the file collect had replaced since).
  if (io.resume) requireSameData(io.resume, opts.data, dataSha256);
  const resume = io.resume ?? null;
  const parentFiles = opts.incremental
    ? await readParent(opts.checkpoints, resume?.state.parent ?? undefined)
    : null;
  // A header alone is the input that is wrong (exit 2, as retrain and evaluate say it), said after the checks
  // that need no candles (a resumed run's data changed, --incremental with no current), before those that read
  // them.
  requireCandles(series, opts.data, "train");
  if (fresh) requireSplitInData(fresh.data.split, series, opts.data);
  if (parentFiles) {
    requireTimedIncrement(parentFiles, series, opts.data);
    requireParentInterval(parentFiles, series, opts.data);
    requireParentGrid(parentFiles, series, opts.data);
    requireNewCandles(parentFiles, series, opts.data);
  }
  // What the version is promoted over, and only if `current` still points there when it is saved.
  const currentNow = opts.promote ? await requirePromotable(opts.checkpoints) : undefined;
  const startCurrent = currentNow === undefined ? undefined : currentAtStart(currentNow, parentFiles, resume);
  return { parentFiles, currentNow, startCurrent };
}

/** The notes said once the backend is up, about what the flags alone would not show. */
function sayStartNotes(
  opts: TrainOptions,
  io: TrainIo,
  /** `--config-from`'s configuration. */
  base: RunConfig | undefined,
  currentNow: string | null | undefined,
  startCurrent: string | null | undefined,
): void {
  // A resumed run whose `current` was changed by hand since it first started: said now, not only at the end.
  if (io.resume && currentNow !== undefined && currentNow !== startCurrent) {
    const [now, then] = [currentNow ?? "none", startCurrent ?? "none"];
    io.out(
      `note: ${join(opts.checkpoints, "current")} is ${now} now, ${then} when this run started: it was ` +
        "changed since (by hand, or another train or retrain), so the resumed run's version will be saved but " +
        "not promoted over that change",
    );
  }
  // The split is never inherited (a version's dates may lie outside these data); said, since a re-run with
  // only --seed changed would otherwise compare test scores over other windows without knowing.
  const recordedSplit = base?.data.split;
  if (recordedSplit?.kind === "dates" && !opts.splitDates) {
    io.out(
      `note: --config-from: its --split-dates ${utcDay(recordedSplit.validationStart)},${
        utcDay(recordedSplit.testStart)
      } are not reused (the default split applies); give them again to test on the same dates`,
    );
  }
}

/**
 * The run configuration (a fine-tune's is its parent's, with the flags over its recipe), the data split and
 * labelled, and the model to train (a fine-tune's parent, its class bias restored, or a new one), with the
 * training loop's configuration for these data.
 */
async function prepareTraining(
  opts: TrainOptions,
  io: TrainIo,
  read: Pick<Prepared, "series" | "backend" | "parent" | "started" | "dataSha256"> & {
    readonly fresh: RunConfig | null;
  },
): Promise<{ prepared: Prepared; model: LayersModel }> {
  const { series, parent } = read;
  // Fine-tuning continues with the parent's configuration: its shape always, its recipe unless flags say. A
  // resumed fine-tune passes as a resumed fresh run does: --resume takes no other flags to fix its own with.
  const runConfig = parent
    ? runConfigOf(opts, { config: parent.config, keepShape: true }, "train", io.resume !== undefined)
    : withBlendFlag(read.fresh!, opts.blendBoosting);
  if (io.resume) requireSameSplitRule(io.resume, runConfig.data.split);
  const stop = { signal: io.signal, resuming: io.resume !== undefined };
  const data = await prepare(series, runConfig, parent, stop, phaseProgress(io, "labelling the windows"));
  io.progress?.clear();
  // A stop during labelling (or in the last chunk's turn) is heard here, before a run folder is made: a
  // version trained on one batch, then minutes of scoring and baselines, is not what a stop this early asks for.
  io.onPhase?.("training");
  if (io.signal?.aborted) throw stoppedBeforeTraining(stop.resuming);
  const interval = seriesInterval(series);
  const gridOffset = gridOffsetOf(series.map((s) => s.openTime), interval);
  dataLines(data, parent !== null, interval, gridOffset).forEach((line) => io.out(line));
  // Fresh training only: a fine-tune on a calm week may lack a class its parent has learnt (that class then
  // weighs 0), and the parent's label rule is not the user's to change here.
  if (!parent) requireEveryClass(data.trainClassCounts, data.labelRule, opts.data);

  const scaling: Scaling = { scaler: data.scaler, clip: runConfig.data.clip, returnScale: data.returnScale };
  // Built after the scaler is fit: volatility channels un-standardise with it (a parent keeps its own). The
  // parent's calibration took ln(class weight) out of its class bias, which the weighted loss's optimum has: put
  // back, it is taken out again after the fine-tune (else each fine-tune would drift the bias by up to that).
  const parentWeights = parent?.manifest.training?.class_weights;
  if (parent && parentWeights) restoreClassBias(parent.model, parentWeights);
  const model = parent
    ? parent.model
    : buildModel(runConfig.model, runConfig.training.seed, FAST_LAYERS, scaling);
  // A resumed run's members pick up where they stopped (memberStart below), each with its own config.
  // Scoring (validation, test) takes smaller batches where a long window's attention would not fit.
  const config = {
    ...trainConfigOf(runConfig.training, data.trainClassCounts),
    evalBatchSize: scoringBatch(runConfig.model, runConfig.training.evalBatchSize),
  };
  const { backend, started, dataSha256 } = read;
  return {
    prepared: { series, backend, parent, runConfig, data, scaling, config, started, dataSha256 },
    model,
  };
}

/**
 * A run that failed: the error to report, once its run folder is dealt with. A full or read-only disk is the
 * machine's, not the run's: what was trained is kept for `train --resume` once it is fixed (a month's
 * retraining is not thrown away for want of space). Other failures would fail again: the folder goes.
 */
async function failedRun(error: unknown, run: RunFolder | null, checkpoints: string): Promise<unknown> {
  const machine = filesystemProblem(error);
  // (A failure after the version was written finds the folder already gone: nothing to keep then.)
  const folderLeft = run !== null && (await Deno.stat(run.dir).then(() => true, () => false));
  if (machine && run && folderLeft && epochsDone(run.current) > 0) {
    await run.keep().catch(() => {});
    return new CommandError(
      machine.message,
      // Not "and run it again": the kept epochs are finished by --resume, not by training anew.
      withoutRunAgain(machine.hint) +
        keptRunClause(run.current.members.map((m) => m.epochsDone), run.dir, checkpointsFlag(checkpoints)),
    );
  }
  await run?.remove();
  return error;
}

/**
 * What `--resume` continues, said before anything loads: who started the run, when, on what data with which
 * flags, and its epochs done; and the newer runs of retrain's it passed over to take it (`resumeChoice`).
 * It said "resuming from <folder>: 5 epochs done" once the data had loaded, and continued a run retrain's train
 * step had started as if the user had.
 */
async function sayResuming(
  checkpoints: string,
  resume: Abandoned & { readonly state: RunState },
  io: TrainIo,
): Promise<void> {
  const runs = await abandonedRuns(checkpoints);
  const at = runs.findIndex((r) => basename(r.dir) === basename(resume.dir));
  // Only runs that --resume passed over are newer (it takes the newest it can): no weights are read for them.
  const passedOver = at > 0 ? (await resumeChoice(runs.slice(0, at), TrainFlagsSchema)).passedOver : [];
  passedOver.forEach((r) => io.out(passedOverLine(r)));
  io.out(`resuming from ${resume.dir} (${runOrigin(resume.state)}): ${describeRun(resume.state)}`);
}

/** The run folder of a model trained from the CLI (resumed or new); null otherwise. */
async function startRun(
  opts: TrainOptions,
  io: TrainIo,
  parent: Parent | null,
  members: number,
  /** sha256 of --data as read, recorded in run.json. */
  dataSha256: string,
  /** `current` at the run's start, recorded in run.json by a run that promotes (undefined: it does not). */
  startCurrent: string | null | undefined,
): Promise<RunFolder | null> {
  let run: RunFolder | null = null;
  if (io.resume && io.resume.state.members.length !== members) {
    // Its flags rebuilt a model of another size (a default changed since): its weights would not fit.
    throw new CommandError(
      `${io.resume.dir} holds ${plural(io.resume.state.members.length, "member")} but its flags now build ` +
        `${plural(members, "member")}`,
      "start a new run instead of --resume",
    );
  }
  if (io.resume) run = await RunFolder.adopt(io.resume.dir, io.resume.state, startCurrent);
  else if (io.flags) {
    run = await RunFolder.create(
      opts.checkpoints,
      io.flags,
      parent?.version ?? null,
      members,
      dataSha256,
      startCurrent,
    );
  }
  const { removed, kept } = await pruneAbandonedRuns(opts.checkpoints);
  if (removed.length > 0) io.out(`removed ${removed.length} abandoned training run folder(s)`);
  if (kept?.state) io.out(await keptRunSaid({ ...kept, state: kept.state }, opts.checkpoints));
  return run;
}

/**
 * The line for the stopped run a new run's start keeps, checked as `--resume` would check it
 * (`resumableState`: its run.json's numbers, its members' weights read whole, its flags parsed by train's
 * schema), so that it offers `--resume` only where `--resume` would continue it, as `models list` does
 * (`resumeChoice`). It offered it for a run whose member_1.weights was cut short, or whose run.json recorded
 * `--epochs 1e3`, which `--resume` then refused.
 */
async function keptRunSaid(
  kept: Abandoned & { readonly state: RunState },
  checkpoints: string,
): Promise<string> {
  const each = kept.state.members.map((m) => m.epochsDone);
  let refused: { problem: string; hint: string } | null = null;
  try {
    await resumableState(kept, TrainFlagsSchema);
  } catch (error) {
    // Not a reason to stop the run that is starting (until this check its start never read the kept run's
    // files): a weights file this user may not read, or a folder in its place, is said as what `--resume`
    // would stop on.
    refused = error instanceof DamagedRunError || error instanceof RunFlagsError ? error : {
      problem: `its files cannot be read (${error instanceof Error ? error.message : String(error)})`,
      hint: `make its files readable, or 'rm -r ${shellWord(kept.dir)}' drops it`,
    };
  }
  return keptRunLine(kept.dir, each, checkpoints, splitOutdated(kept.state), refused);
}

async function trainAndSave(
  opts: TrainOptions,
  io: TrainIo,
  prepared: Prepared,
  initial: LayersModel,
  run: RunFolder | null,
  /** Where `current` pointed when the run started: the version is promoted only if it still points there. */
  startCurrent: string | null,
): Promise<TrainOutcome> {
  const { parent, runConfig } = prepared;
  let model = initial;
  const { result, workers, resumed } = await trainModel(opts, io, prepared, model, run);
  const interrupted = result.stopReason === "interrupted";
  io.onPhase?.("saving");
  let recorded = runConfig;
  if (!parent && result.trainedMembers < result.members) {
    // Untrained members would drag the average towards noise: keep the trained ones only. (A fine-tuned
    // parent's members not reached yet keep the parent's trained weights, so they stay.)
    io.out(`keeping the ${result.trainedMembers} trained of ${result.members} members`);
    const kept = firstMembers(model, runConfig.model, runConfig.training.seed, result.trainedMembers);
    model.dispose();
    model = kept;
    recorded = { ...runConfig, model: { ...runConfig.model, members: result.trainedMembers } };
  }
  io.out(stopLine(result));
  const scored = await calibrateAndScore(io, prepared, model, recorded);
  const written = await saveVersion(opts, prepared, {
    model,
    result,
    recorded,
    ...scored,
    workers,
    resumed,
    // Only where the folder goes with this save: an interrupted run's stays for --resume, whose version it is.
    runFolder: run && !interrupted ? basename(run.dir) : undefined,
  });
  model.dispose();
  // Interrupted: the folder stays for `train --resume`. Otherwise the version holds it all, and the folder goes
  // once the version is promoted: removed before, a run killed between the save and the promotion would leave
  // no trace of the promotion it was to make (`--resume` and `models list` name the version).
  const resumable = interrupted && run !== null;
  if (resumable) await run.keep();
  // promoteAndSay lets go of the version's lock once the promote is done or given up (the process ending
  // would, too).
  const { promoted, stoppedAfterTraining } = await promoteAndSay(opts, io, written, run, {
    interrupted,
    resumable,
    startCurrent,
    parent: parent?.version ?? null,
  });
  return {
    version: written.version,
    dir: written.dir,
    promoted,
    interrupted,
    resumable,
    stoppedAfterTraining,
    onnxError: written.onnxError,
  };
}

/**
 * Trains `model`'s members (a resumed run's from where they stopped, its best weights restored), and refuses a
 * run that ended before its first batch finished: nothing to save.
 */
async function trainModel(
  opts: TrainOptions,
  io: TrainIo,
  prepared: Prepared,
  model: LayersModel,
  run: RunFolder | null,
): Promise<Pick<Trained, "result" | "workers" | "resumed">> {
  const { runConfig, data, scaling, config } = prepared;
  const resumed = run !== null && epochsDone(run.current) > 0;
  const before = run?.current;
  // What is resumed was said before the data loaded (`sayResuming`).
  if (resumed) await run.restore(model);
  const windows = runConfig.model.memberLookbacks;
  io.out(
    `model: ${runConfig.model.type}, ${model.countParams().toLocaleString("en-US")} parameters` +
      (windows ? `, member windows ${windows.join(" / ")} (cycled)` : "") + "; class weights " +
      config.classWeights.map((w, k) => `${CLASSES[k]} ${w.toFixed(3)}`).join(", "),
  );

  const workers = trainingCores(opts.workers);
  const oversubscribed = workersNote(opts.workers);
  if (oversubscribed) io.out(oversubscribed);
  // Members train on `workers` cores at once; a model training alone (one member, the member left over when
  // they do not divide among the workers, or one left by a resume) splits its batches across them instead.
  let result = await trainMembers(model, data, scaling, config, {
    log: io.out,
    progress: io.progress,
    signal: io.signal,
    afterBatch: io.afterBatch,
    afterMemberEpoch: run
      ? (k, record, weights) => run.afterEpoch(k, record, weights, config.minDelta)
      : undefined,
    afterMember: run ? (k, memberResult) => run.memberEnded(k, memberResult) : undefined,
    start: run && resumed ? (k) => memberStart(run.current, config, k) : undefined,
    // Resumed after an epoch, the teacher is fitted again but the run's best weights are already saved: a stop
    // then saves them as a version, as in "training" (whose first-press message says so), not nothing.
    teacherFitting: (fitting) => io.onPhase?.(fitting && !resumed ? "teacher" : "training"),
  }, { workers, backend: opts.backend, dataParallel: workers });
  if (run && resumed) {
    // The loop knows only this process's epochs; the run folder knows the whole run and holds every
    // member's best weights (an interrupted member's best may predate the resume).
    await run.restore(model);
    result = membersResult(run.results(), io.signal?.aborted ?? false);
    const rerun = rerunLine(before!, run.current);
    if (rerun) io.out(rerun);
  }
  if (result.bestEpoch === null) {
    // Stopped on request (Ctrl-C, SIGTERM) is exit 130 like every other stop, so scripts tell it from a failure.
    const message = "training was interrupted before its first batch finished; nothing was saved";
    if (io.signal?.aborted) throw new InterruptedError(message, "run the same command again to start over");
    throw new CommandError(message, "run the same command again to start over");
  }
  return { result, workers, resumed };
}

/**
 * The trained model calibrated on the validation split (a fine-tune with too few validation windows keeps its
 * parent's temperature, as `calibrate` decides), blended with gradient boosting under `--blend-boosting`, and
 * scored on the test split beside the baselines: the version's preprocessor and metrics.
 */
async function calibrateAndScore(
  io: TrainIo,
  prepared: Prepared,
  model: LayersModel,
  /** The run configuration recorded (its blend weight is the version's). */
  recorded: RunConfig,
): Promise<Pick<Trained, "preprocessor" | "metrics" | "boosting" | "temperature" | "keptFrom">> {
  const { parent, data, scaling, config } = prepared;
  const keptFrom = parent && keepsTemperature(data.validation.size, parent.preprocessor.temperature)
    ? parent.version
    : null;
  const { temperature, validationLogits } = await calibrateOnValidation(
    model,
    data,
    scaling,
    config.classWeights,
    parent?.preprocessor.temperature,
    config.evalBatchSize,
    phaseProgress(io, "calibrating on the validation split"),
  );
  io.progress?.clear();
  io.out(
    `calibrated: class-weight bias removed, ${
      temperatureWords(data.validation.size, temperature, keptFrom).line
    }`,
  );
  const blendWeight = recorded.model.boostingBlend;
  const network = preprocessorOf(prepared.runConfig.model.type, data, scaling, temperature);
  // A fine-tune of a blend keeps its parent's boosting (fit on the parent's whole training split), and its
  // blend temperature when it has too few validation windows to refit one.
  const blend = blendWeight !== undefined
    ? {
      weight: blendWeight,
      trees: parent?.boosting,
      keepTemperature: parent?.preprocessor.blend?.temperature,
      validationLogits,
    }
    : undefined;
  const { metrics, boosting, blend: served } = await scoreOnTest(
    model,
    data,
    scaling,
    config,
    temperature,
    {
      rule: network.decisionRule ?? "argmax",
      priors: network.classPriors ?? [1 / 3, 1 / 3, 1 / 3],
    },
    io,
    blend,
  );
  const preprocessor: Preprocessor = served ? { ...network, blend: served } : network;
  return { preprocessor, metrics, boosting, temperature, keptFrom };
}

/**
 * Points `current` at the saved version unless `--no-promote`, an interrupt, a failed ONNX check or a stop after
 * training keeps it from that; removes the run folder unless it is kept for `--resume`; and says where the
 * version went (a promote or rollback made by hand meanwhile stays, and is said).
 */
async function promoteAndSay(
  opts: TrainOptions,
  io: TrainIo,
  written: WrittenVersion,
  run: RunFolder | null,
  how: {
    readonly interrupted: boolean;
    /** The run folder is kept for `train --resume`. */
    readonly resumable: boolean;
    /** Where `current` pointed when the run started: the version is promoted only if it still points there. */
    readonly startCurrent: string | null;
    /** The version fine-tuned (null: a fresh model). */
    readonly parent: string | null;
  },
): Promise<{ promoted: boolean; stoppedAfterTraining: boolean }> {
  const { interrupted, resumable } = how;
  // Checked and announced in one synchronous step, so no stop can fall between the decision and its phase.
  const stoppedAfterTraining = !interrupted && (io.signal?.aborted ?? false);
  const promoting = opts.promote && !interrupted && !written.onnxError && !stoppedAfterTraining;
  let changed: CurrentChangedError | null = null;
  if (promoting) {
    io.onPhase?.("promoting");
    // A promotion that fails says so itself; the folder goes first, so that the failure is not taken for a
    // trained run to keep for --resume (the version is saved).
    changed = await promoteSaved(opts.checkpoints, written, io.out, how.startCurrent).catch(async (error) => {
      written.release();
      if (!resumable) await run?.remove();
      throw error;
    });
  }
  // Let go at once, before the run folder's removal: promoted, `current` protects the version from prune, and
  // serve's reload takes its shared lock on the folder within 2 s or serves it unheld.
  written.release();
  if (!resumable) await run?.remove();
  const promoted = promoting && changed === null;
  if (changed) {
    // A promote or rollback made by hand while it trained is the operator's choice: it stays, and is said.
    currentChangedLines(opts.checkpoints, written, changed, how.parent).forEach((line) => io.out(line));
  } else {
    const where = promoted
      ? `; ${join(opts.checkpoints, "current")} → ${written.version}`
      : " (not promoted)";
    io.out(`saved ${written.dir}${where}`);
  }
  return { promoted, stoppedAfterTraining };
}

/**
 * The version `current` pointed at when the run started, which its version replaces only if `current` still
 * points there then (a promote or rollback made by hand meanwhile stays): a fine-tune's parent (read from
 * `current` at the start); a resumed run's as its run.json recorded it when the run first started (one that
 * recorded none: its parent, or else `current` now, as the resume starts); otherwise `current` now.
 */
function currentAtStart(
  now: string | null,
  parent: ParentFiles | null,
  resume: (Abandoned & { readonly state: RunState }) | null,
): string | null {
  if (resume?.state.current !== undefined) return resume.state.current;
  return parent?.version ?? now;
}

/**
 * How member k of a resumed run starts: a finished member is not trained again; an interrupted one trains its
 * remaining epochs, with fresh shuffles, and the patience it had left. An epoch Ctrl-C cut short is not one of
 * those done: it runs again in full (before, it counted, so a member cut a few batches into its last epoch
 * resumed with none left and the resume saved the same weights again). (Its optimizer moments start again:
 * they are not part of the saved state, so an interrupted member does not end exactly as it would have
 * uninterrupted, though one_cycle goes on from its whole epochs; finished and not-started members do.)
 */
function memberStart(state: RunState, config: TrainConfig, k: number): MemberStart | undefined {
  const m = state.members[k - 1];
  const own = memberTrainConfig(config, k);
  if (isFinished(m)) {
    return {
      finished: { history: [], bestEpoch: m.bestEpoch, stopReason: m.stopReason ?? "epochs" },
    };
  }
  if (m.epochsDone === 0) return undefined;
  const whole = wholeEpochs(m);
  // Whole epochs since the best count against patience (a best in the cut epoch leaves it all).
  const sinceBest = Math.max(0, whole - (m.bestEpoch ?? whole));
  return {
    config: {
      ...own,
      epochs: Math.max(0, own.epochs - whole),
      seed: own.seed + m.epochsDone,
      patience: Math.max(1, own.patience - sinceBest),
      resumedFrom: m.bestScore === null ? undefined : { epochs: whole, bestScore: m.bestScore },
    },
  };
}
