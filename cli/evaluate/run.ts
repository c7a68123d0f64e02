/**
 * `candlecast evaluate` end to end: CSV → calendar folds → the model and its baselines brought up to date
 * before each fold as `--retrain` says → scores, bootstrap, backtest → terminal tables, evaluation.json and a
 * self-contained report.html.
 */
import { join } from "node:path";
import type { CandleSeries } from "../../features/index.ts";
import { pathKind, plural } from "../../base/index.ts";
import { CommandError, InterruptedError } from "../errors.ts";
import { requireCandles, requireOutputFolder } from "../flags.ts";
import { blendWords, sourceCommit, VERSION } from "../../engine/index.ts";
import { describeBackend, initBackend } from "../../ml/runtime/index.ts";
import { BOOSTING_BLEND_WEIGHT, defaultModelConfig } from "../../ml/models/index.ts";
import {
  baselineLearners,
  type EvaluationSummary,
  FoldError,
  type FoldOutcome,
  type FoldPlan,
  formatSummary,
  inSampleFolds,
  type Learner,
  NetworkLearner,
  predictionsCsv,
  refitAtFirstUnseen,
  summarize,
  turnAction,
  walkForward,
} from "../../ml/evaluate/index.ts";
import { evaluationReport, renderReport } from "../../ml/report/index.ts";
import type { EvaluateIo, EvaluateOptions } from "./options.ts";
import { foldStageLine, TimeLeft } from "./time_left.ts";
import { boostingProgress, phaseProgress } from "../phase_progress.ts";
import { claimOutputFolder, writeEvaluation } from "./output_folder.ts";
import { checkpointSubject, freshSubject, networkOptions, type Subject } from "./subject.ts";
import { requireBatchFits, requireWeightsFit } from "../run_config_flags.ts";
import { checkRoomToTrain, checkTestWindows, describeData, planFoldsOrExplain } from "./fold_checks.ts";
import { requireEveryClass } from "../train/index.ts";
import { evaluationFacts, evaluationSettings, foldSpan } from "./facts.ts";
import { trainingCores, workersNote } from "../workers_flag.ts";
import { clearingProgress, readTrainingData } from "../run_data.ts";

export interface EvaluateOutcome {
  readonly summary: EvaluationSummary;
  readonly jsonPath: string;
  readonly reportPath: string;
  /** Every test window with each learner's probabilities (`predictionsCsv`). */
  readonly predictionsPath: string;
}

/** A stop before any fold finished (while the CSV was read, or in the first fold): nothing to write. */
function stoppedBeforeFirstFold(): InterruptedError {
  return new InterruptedError(
    "evaluation interrupted before its first fold finished; nothing was written",
    "run the same command again; a finished fold is kept when a later one is interrupted",
  );
}

export async function runEvaluation(opts: EvaluateOptions, given: EvaluateIo): Promise<EvaluateOutcome> {
  return await clearingProgress(given, () => evaluationSteps(opts, given));
}

/** One evaluation once its data are read and its subject is loaded: what each of its steps works from. */
interface Evaluation {
  readonly opts: EvaluateOptions;
  /** Where it reports, the batch bar prefixed with the step (`overall`). */
  readonly io: EvaluateIo;
  /** The caller's own io: the phases before the first turn (the fold's labelling) are not prefixed. */
  readonly given: EvaluateIo;
  /** The step, fold and learner the batch bar is prefixed with, set as each learner's turn starts. */
  readonly overall: { where: string };
  /** performance.now() when the run started. */
  readonly started: number;
  readonly series: CandleSeries[];
  /** sha256 of --data as read. */
  readonly dataSha256: string;
  /** The Deno and the kernels that ran, as a version's manifest records them (`--backend` says what was asked). */
  readonly runtime: { readonly deno: string; readonly backend: string };
  readonly subject: Subject;
  /** Every learner made so far, the subject's first: the caller disposes of them however the run ends. */
  readonly learners: Learner[];
}

async function evaluationSteps(opts: EvaluateOptions, given: EvaluateIo): Promise<EvaluateOutcome> {
  const started = performance.now();
  // Where the results go is checked first: a file named as --output-dir would otherwise fail after every fold.
  requireOutputFolder("--output-dir", opts.outputDir, "evaluation.json");
  using _claim = await claimOutputFolder(opts.outputDir);
  if (pathKind(join(opts.outputDir, "evaluation.json")) === "file") {
    given.out(`${opts.outputDir} holds an earlier evaluation: this run replaces it when it finishes`);
  }
  const overall = { where: "" };
  const io = prefixedWithStep(given, overall);
  const backend = await initBackend(opts.backend);
  io.out(`backend: ${describeBackend(backend)}`);
  const oversubscribed = workersNote(opts.workers);
  if (oversubscribed) io.out(oversubscribed);

  // Its sha256, as a version's manifest records train's: evaluation.json named the path alone, as typed.
  const { series, sha256 } = await readTrainingData(opts.data, given, stoppedBeforeFirstFold);
  // A header alone: said as what it is, in train's and retrain's words: the input is what is wrong (exit 2).
  requireCandles(series, opts.data, "evaluate");
  const subject = opts.checkpoint
    ? await checkpointSubject(opts.checkpoint, opts, io, series)
    : freshSubject(opts, io);
  // Sizes the WebAssembly heap cannot hold fail as train says, not mid-fold "Array buffer allocation failed".
  if (!opts.checkpoint && backend.backend !== "tensorflow") {
    requireWeightsFit(subject.config.model, "evaluate");
    requireBatchFits(subject.config);
  }
  const learners: Learner[] = [subject.learner];
  try {
    return await evaluateSubject({
      opts,
      io,
      given,
      overall,
      started,
      series,
      dataSha256: sha256,
      runtime: { deno: Deno.version.deno, backend: describeBackend(backend) },
      subject,
      learners,
    });
  } finally {
    for (const l of learners) l.dispose();
    await subject.close();
  }
}

/**
 * Overall progress across folds: the batch bar (or log line) is prefixed with the step, fold and learner
 * (`overall.where`), and each learner's turn gets a line with the time so far and a rough time left.
 */
function prefixedWithStep(given: EvaluateIo, overall: { readonly where: string }): EvaluateIo {
  const batches = given.progress;
  return {
    ...given,
    progress: batches && {
      update: (done, total, label, text, unit) =>
        batches.update(done, total, `${overall.where} ${label}`, text, unit),
      clear: () => batches.clear(),
    },
  };
}

/** The folds planned, the learners made, the folds walked, summarized and written. */
async function evaluateSubject(run: Evaluation): Promise<EvaluateOutcome> {
  const { opts, io, series, subject, learners } = run;
  const { plans, trainedUntil } = plannedFolds(run);
  const lightweight = opts.lightweightBaseline && subject.learner.name !== "lightweight_lstm";
  addBaselines(run, lightweight);
  io.out(
    `data: ${describeData(series)}; ${
      plural(plans.length, `${subject.retrain === "weekly" ? "weekly" : "monthly"} fold`)
    } ${foldSpan(plans)}, retrain ${subject.retrain}; learners: ` +
      learners.map((l) => l.name).join(", "),
  );
  if (subject.servesBlend) {
    // Kept as it is, the version is scored as served: every row under its name is the blend's, not the
    // network's (the blend table is left out).
    io.out(
      `${subject.learner.name} serves a blend (${blendWords(subject.servesBlend)}): kept as it is, its ` +
        "scores here are the blend's; --retrain monthly scores the network alone, with the blend beside it",
    );
  }
  // What train --blend-boosting would serve, scored beside the model (not for a blend kept as it is).
  const blendSpec = subject.servesBlend
    ? undefined
    : { model: subject.learner.name, with: "gradient_boosting", weight: BOOSTING_BLEND_WEIGHT };
  const outcomes = await walkFolds(run, plans, blendSpec);
  // Ctrl-C: the folds that finished are kept (written below, marked partial); the one running was dropped.
  const interrupted = io.signal?.aborted ?? false;
  const missing = plans.slice(outcomes.length).map((p) => p.label);
  if (outcomes.length === 0) throw stoppedBeforeFirstFold();
  const summary = summarize(series, outcomes, {
    model: subject.learner.name,
    horizon: subject.shape.horizon,
    threshold: opts.tradeThreshold,
    fee: opts.fee,
    short: opts.short,
    seed: subject.config.training.seed,
    resamples: opts.bootstrap,
    trainedUntil,
    missingFolds: missing,
    decisionRule: subject.decisionRule,
    blend: blendSpec,
  });
  formatSummary(summary).forEach((line) => io.out(line));
  return await writeResults(run, { plans, outcomes, summary, lightweight, interrupted });
}

/**
 * The folds the flags ask for, refused before any training if they leave nothing to train or test on; a
 * version kept as it is refits at its first fold past its own data. `trainedUntil`: the newest candle the
 * subject learnt from before the folds (undefined: it learns nothing before them); folds before it are
 * warned of as in-sample.
 */
function plannedFolds(run: Evaluation): { plans: FoldPlan[]; trainedUntil: number | undefined } {
  const { opts, io, series, subject } = run;
  let plans = planFoldsOrExplain(series, subject, opts);
  checkRoomToTrain(series, plans, subject, opts);
  checkTestWindows(series, plans, subject, opts);
  // A checkpoint rebuilt from scratch in every fold (--retrain monthly) keeps only its architecture; kept
  // as it is or fine-tuned, it carries what it learnt from its own training data into the folds.
  const trainedUntil = subject.retrain === "monthly" ? undefined : subject.seenUntil;
  if (subject.retrain === "none" && trainedUntil !== undefined) {
    plans = refitAtFirstUnseen(plans, trainedUntil);
  }
  const early = inSampleFolds(
    subject.learner.name,
    plans.map((p) => ({ label: p.label, test_start: new Date(p.testStart).toISOString() })),
    trainedUntil,
  );
  if (early) io.warn?.(`warning: ${early.message}`);
  return { plans, trainedUntil };
}

/** The baselines, added to `run.learners` one by one (so a failure midway still disposes of those made). */
function addBaselines(run: Evaluation, lightweight: boolean): void {
  const { opts, io, subject, learners } = run;
  learners.push(
    ...baselineLearners({
      seed: subject.config.training.seed,
      gradientBoosting: { onIteration: boostingProgress(io) },
      signal: io.signal,
    }),
  );
  if (lightweight) {
    // The baseline network gets the model's recipe, window and ensemble size (so --members 1 makes it cheap
    // too), at lightweight_lstm's default size.
    learners.push(
      new NetworkLearner({
        ...networkOptions(opts, io, "lightweight_lstm", subject.config),
        modelConfig: {
          ...defaultModelConfig("lightweight_lstm", subject.shape.lookback),
          members: subject.config.model.members,
        },
      }),
    );
  }
}

/** Every learner's turn in every fold (`walkForward`), each announced with the time so far and left. */
async function walkFolds(
  run: Evaluation,
  plans: readonly FoldPlan[],
  blend: { model: string; with: string; weight: number } | undefined,
): Promise<FoldOutcome[]> {
  const { io, learners, subject } = run;
  // A turn that trains (from scratch or fine-tuning) is timed apart from one that only predicts.
  const clock = new TimeLeft(
    plans.flatMap((plan) =>
      learners.map((l) => `${l.name} ${turnAction(plan, l) === "keep" ? "predicts" : "trains"}`)
    ),
  );
  try {
    return await walkForward(run.series, plans, learners, {
      shape: subject.shape,
      clip: subject.clip,
      blend,
      stage: (s) => {
        run.overall.where = `[${s.step}/${s.steps} fold ${s.fold.index + 1}/${s.folds} ${s.learner}]`;
        const line = foldStageLine(s, clock, (performance.now() - run.started) / 1000);
        io.progress?.clear();
        io.out(line);
      },
      log: (line) => {
        io.progress?.clear();
        io.out(line);
      },
      signal: io.signal,
      // As train refuses: every learner of the fold (baselines too) would be scored as perfect on labels of one
      // class, "ECE 0.0000 … confidence can be read as a probability" (a quant's trial with --threshold 0.5).
      // With --checkpoint the label rule is the version's (--threshold is refused there): the hint says what
      // can change instead (a review). A later fold's training windows hold every earlier fold's, so only the
      // first can lack a class; nothing is written either way.
      checkFold: (dataset, plan) =>
        requireEveryClass(dataset.trainClassCounts, subject.shape.labelRule, run.opts.data, {
          windows: `fold ${plan.label}'s training windows of ${run.opts.data}`,
          nothing: "nothing was evaluated",
          hint: run.opts.checkpoint
            ? `${subject.learner.name}'s recorded label rule leaves that class out of these windows, so no ` +
              "learner can be trained or compared on them: give --data more history before the folds, or " +
              "fewer --folds"
            : undefined,
        }),
      // Not prefixed with the step: the fold is labelled before its first learner's turn.
      labelling: phaseProgress(run.given, "labelling the fold's windows"),
    });
  } catch (error) {
    if (error instanceof FoldError) {
      throw new CommandError(
        error.message,
        "use fewer --folds, --retrain weekly, or a CSV with more history",
      );
    }
    throw error;
  }
}

/** What the folds came to, for the files. */
interface Walked {
  readonly plans: readonly FoldPlan[];
  readonly outcomes: readonly FoldOutcome[];
  readonly summary: EvaluationSummary;
  readonly lightweight: boolean;
  /** Whether a stop was heard by the time the folds ended. */
  readonly interrupted: boolean;
}

/** evaluation.json, report.html and predictions.csv written as one set; an interrupted run then says so. */
async function writeResults(run: Evaluation, walked: Walked): Promise<EvaluateOutcome> {
  const { opts, io, series, subject, learners } = run;
  const { plans, outcomes, summary } = walked;
  const workers = trainingCores(opts.workers);
  const names = learners.map((l) => l.name);
  const settings = evaluationSettings(opts, subject, series, run.dataSha256, workers, names);
  const seconds = (performance.now() - run.started) / 1000;
  // Which code made these numbers: the version string alone stayed the same across recipe changes.
  const commit = sourceCommit();
  const facts = evaluationFacts({
    opts,
    series,
    subject,
    plans,
    foldsDone: outcomes.length,
    summary,
    lightweight: walked.lightweight,
    workers,
    seconds,
    commit,
  });
  const { jsonPath, reportPath, predictionsPath, beside } = await writeEvaluation(
    opts.outputDir,
    summary.partial !== null,
    {
      predictions: predictionsCsv(series, outcomes, names),
      json: JSON.stringify(
        {
          created_at: new Date().toISOString(),
          candlecast_version: VERSION,
          ...(commit ? { candlecast_commit: commit } : {}),
          // What ran, beside settings.backend (what was asked: "auto"), as docs/training.md says both files
          // record: evaluation.json had it on the terminal only (a docs reader's trial).
          runtime: run.runtime,
          settings,
          ...summary,
        },
        null,
        1,
      ),
      report: renderReport(evaluationReport(summary, facts)),
    },
  );
  const written = `${jsonPath}, ${reportPath} and ${predictionsPath}`;
  // Read again: a press after the last fold (while the bootstrap ran, or the files were written) is a stop
  // too, not an exit 0 as if never pressed.
  if (walked.interrupted || (io.signal?.aborted ?? false)) {
    throw interruptedAfterFolds(
      summary,
      outcomes.length,
      plans.length,
      written,
      beside ? opts.outputDir : null,
    );
  }
  io.out("");
  io.out(`wrote ${written} (${(seconds / 60).toFixed(1)} min)`);
  return { summary, jsonPath, reportPath, predictionsPath };
}

/**
 * A stop after at least one fold finished, its files `written`: the folds that finished and those that did not
 * run, or that the stop came after the last. `keptComplete`: the folder whose complete evaluation a partial
 * one was written beside (null: none).
 */
function interruptedAfterFolds(
  summary: EvaluationSummary,
  foldsDone: number,
  folds: number,
  written: string,
  keptComplete: string | null,
): InterruptedError {
  const done = `${plural(foldsDone, "fold")} of ${folds}`;
  return new InterruptedError(
    summary.partial
      ? `evaluation interrupted; the ${done} that finished (${summary.partial.folds_done.join(", ")}) ${
        foldsDone === 1 ? "was" : "were"
      } written to ${written}, marked partial`
      : `evaluation interrupted after its last fold; the complete evaluation was written to ${written}`,
    summary.partial
      ? `${summary.partial.folds_missing.join(", ")} did not run; run the same command again for every fold` +
        (keptComplete !== null
          ? ` (the complete evaluation in ${keptComplete} is kept until it finishes)`
          : "")
      : undefined,
  );
}
