/**
 * `candlecast evaluate` end to end: CSV → calendar folds → the model and its baselines brought up to date
 * before each fold as `--retrain` says → scores, bootstrap, backtest → terminal tables, evaluation.json and a
 * self-contained report.html.
 */
import { join } from "node:path";
import { type CandleSeries, describeLabelRule, intervalOf, readTrainingCsv } from "../../features/index.ts";
import { formatDuration, pathKind, plural } from "../../base/index.ts";
import { CommandError, InterruptedError } from "../errors.ts";
import { requireCandles, requireOutputFolder } from "../flags.ts";
import { blendWords, sourceCommit, VERSION } from "../../engine/index.ts";
import { describeBackend, initBackend } from "../../ml/runtime/index.ts";
import { runConfigJson } from "../../ml/train/index.ts";
import { BOOSTING_BLEND_WEIGHT, defaultModelConfig } from "../../ml/models/index.ts";
import {
  baselineLearners,
  dataEnd,
  type EvaluationSummary,
  FoldError,
  type FoldPlan,
  formatSummary,
  inSampleFolds,
  type Learner,
  NetworkLearner,
  planFolds,
  predictionsCsv,
  refitAtFirstUnseen,
  summarize,
  turnAction,
  walkForward,
} from "../../ml/evaluate/index.ts";
import { evaluationReport, renderReport } from "../../ml/report/index.ts";
import type { EvaluateIo, EvaluateOptions } from "./options.ts";
import { TimeLeft } from "./time_left.ts";
import { boostingProgress, MB, phaseProgress } from "../phase_progress.ts";
import { claimOutputFolder, writeEvaluation } from "./output_folder.ts";
import { checkpointSubject, freshSubject, networkOptions } from "./subject.ts";
import { requireBatchFits, requireWeightsFit } from "../train/preflight.ts";
import { checkRoomToTrain, checkTestWindows, describeData, seriesSpan } from "./fold_checks.ts";
import { trainingCores, workersNote } from "../workers_flag.ts";

export interface EvaluateOutcome {
  readonly summary: EvaluationSummary;
  readonly jsonPath: string;
  readonly reportPath: string;
  /** Every test window with each learner's probabilities (`predictionsCsv`). */
  readonly predictionsPath: string;
}

/** "2023-08" for one fold, "2023-07 … 2023-09" for several. */
const foldSpan = (plans: readonly FoldPlan[]) =>
  plans.length === 1 ? plans[0].label : `${plans[0].label} … ${plans.at(-1)!.label}`;

/** A stop before any fold finished (while the CSV was read, or in the first fold): nothing to write. */
function stoppedBeforeFirstFold(): InterruptedError {
  return new InterruptedError(
    "evaluation interrupted before its first fold finished; nothing was written",
    "run the same command again; a finished fold is kept when a later one is interrupted",
  );
}

export async function runEvaluation(opts: EvaluateOptions, given: EvaluateIo): Promise<EvaluateOutcome> {
  // A failure mid-phase (a bad row late in the CSV) leaves its bar drawn: cleared, so the error that follows
  // starts its own line instead of running on after "… 5/11 MB ETA 0s".
  try {
    return await evaluationSteps(opts, given);
  } finally {
    given.progress?.clear();
  }
}

async function evaluationSteps(opts: EvaluateOptions, given: EvaluateIo): Promise<EvaluateOutcome> {
  const started = performance.now();
  // Where the results go is checked first: a file named as --output-dir would otherwise fail after every fold.
  requireOutputFolder("--output-dir", opts.outputDir, "evaluation.json");
  using _claim = await claimOutputFolder(opts.outputDir);
  if (pathKind(join(opts.outputDir, "evaluation.json")) === "file") {
    given.out(`${opts.outputDir} holds an earlier evaluation: this run replaces it when it finishes`);
  }
  // Overall progress across folds: the batch bar (or log line) is prefixed with the step, fold and learner,
  // and each learner's turn gets a line with the time so far and a rough time left.
  const overall = { where: "" };
  const batches = given.progress;
  const io: EvaluateIo = {
    ...given,
    progress: batches && {
      update: (done, total, label, text, unit) =>
        batches.update(done, total, `${overall.where} ${label}`, text, unit),
      clear: () => batches.clear(),
    },
  };
  const backend = await initBackend(opts.backend);
  io.out(`backend: ${describeBackend(backend)}`);
  const oversubscribed = workersNote(opts.workers);
  if (oversubscribed) io.out(oversubscribed);

  // A stop while the file is read ends the read there (a big file takes seconds), not at its end.
  // Its sha256, as a version's manifest records train's: evaluation.json named the path alone, as typed.
  let dataSha256: string | undefined;
  const series = await readTrainingCsv(opts.data, {
    progress: phaseProgress(given, `reading ${opts.data}`, MB),
    signal: io.signal,
    onDigest: (sha256) => void (dataSha256 = sha256),
  }).catch((error) => {
    if (io.signal?.aborted && error === io.signal.reason) throw stoppedBeforeFirstFold();
    throw error;
  });
  io.progress?.clear();
  // A header alone: said as what it is (it read "no candles with open times", with a hint to collect the
  // open times again), in train's and retrain's words: the input is what is wrong (exit 2).
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
    let plans;
    try {
      plans = planFolds(dataEnd(series), opts.folds, subject.retrain, opts.validationMonths);
    } catch (error) {
      // The flags' ranges are checked before, so what is left is data without open times: said with what to do
      // (before: the reason alone, no hint).
      if (error instanceof FoldError) {
        throw new CommandError(
          error.message,
          error.hint ??
            `collect ${opts.data} again with its open times (a C# export's "t", a CSV's open_time column); ` +
              "'candlecast train' takes such data, split per symbol, but evaluate's folds are calendar months or weeks",
        );
      }
      throw error;
    }
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
    const lightweight = opts.lightweightBaseline && subject.learner.name !== "lightweight_lstm";
    const seed = subject.config.training.seed;
    learners.push(
      ...baselineLearners({
        seed,
        gradientBoosting: { onIteration: boostingProgress(io) },
        signal: io.signal,
      }),
    );
    if (lightweight) {
      // The baseline network gets the model's recipe, window and ensemble (--members 1 to make evaluate cheap
      // trained three baseline members regardless), at lightweight_lstm's default size.
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
    io.out(
      `data: ${describeData(series)}; ${
        plural(plans.length, `${subject.retrain === "weekly" ? "weekly" : "monthly"} fold`)
      } ${foldSpan(plans)}, retrain ${subject.retrain}; learners: ` +
        learners.map((l) => l.name).join(", "),
    );
    if (subject.servesBlend) {
      // Kept as it is, the version is scored as served: every row under its name is the blend's, not the
      // network's (before, only report.html's facts said so, and the blend table is left out).
      io.out(
        `${subject.learner.name} serves a blend (${blendWords(subject.servesBlend)}): kept as it is, its ` +
          "scores here are the blend's; --retrain monthly scores the network alone, with the blend beside it",
      );
    }
    // A turn that trains (from scratch or fine-tuning) is timed apart from one that only predicts.
    const clock = new TimeLeft(
      plans.flatMap((plan) =>
        learners.map((l) => `${l.name} ${turnAction(plan, l) === "keep" ? "predicts" : "trains"}`)
      ),
    );
    // What train --blend-boosting would serve, scored beside the model (not for a blend kept as it is).
    const blendSpec = subject.servesBlend
      ? undefined
      : { model: subject.learner.name, with: "gradient_boosting", weight: BOOSTING_BLEND_WEIGHT };
    let outcomes;
    try {
      outcomes = await walkForward(series, plans, learners, {
        shape: subject.shape,
        clip: subject.clip,
        blend: blendSpec,
        stage: (s) => {
          overall.where = `[${s.step}/${s.steps} fold ${s.fold.index + 1}/${s.folds} ${s.learner}]`;
          const elapsed = (performance.now() - started) / 1000;
          const { seconds, untimed } = clock.start(s.step);
          const left = untimed === s.steps - s.step + 1
            ? ""
            : `, ~${formatDuration(seconds)} left${
              untimed > 0 ? ` + ${plural(untimed, "turn")} of learners not yet timed` : ""
            }`;
          io.progress?.clear();
          io.out(
            `step ${s.step}/${s.steps}: fold ${s.fold.index + 1}/${s.folds} ${s.fold.label}, ${s.learner} ` +
              `(${formatDuration(elapsed)} so far${left})`,
          );
        },
        log: (line) => {
          io.progress?.clear();
          io.out(line);
        },
        signal: io.signal,
        // Not prefixed with the step: the fold is labelled before its first learner's turn.
        labelling: phaseProgress(given, "labelling the fold's windows"),
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
      seed,
      resamples: opts.bootstrap,
      trainedUntil,
      missingFolds: missing,
      decisionRule: subject.decisionRule,
      blend: blendSpec,
    });
    formatSummary(summary).forEach((line) => io.out(line));

    const settings = {
      ...opts,
      // The cores the folds trained on, resolved: absent, it read as nothing, though the default is the
      // machine's and the networks' weights depend on it up to float rounding.
      workers: trainingCores(opts.workers),
      config: runConfigJson(subject.recorded ?? subject.config),
      // What seeded the baselines and the bootstrap (a kept checkpoint's config records its own training's).
      seed,
      retrain: subject.retrain,
      // Which data made these numbers (a script comparing runs read a relative path alone): the file's bytes
      // and the candles' span; report.html's facts say the same.
      data_sha256: dataSha256 ?? null,
      data_span: dataSpan(series),
      // The candles lookback and horizon count, as a version's manifest records it (null: no open times).
      interval: intervalOf(series.map((s) => s.openTime)),
      lookback: subject.shape.lookback,
      horizon: subject.shape.horizon,
      label_rule: subject.shape.labelRule,
      clip: subject.clip,
      learners: learners.map((l) => l.name),
    };
    const seconds = (performance.now() - started) / 1000;
    // Which code made these numbers: the version string alone stayed the same across recipe changes.
    const commit = sourceCommit();
    const t = subject.config.training;
    const budget = `${t.epochs} epochs × ≤ ${t.maxWindowsPerEpoch.toLocaleString("en-US")} windows ` +
      `(≤ ${Math.round(t.epochFraction * 100)} % of the training set), patience ` +
      `${t.patience}, batch ${t.batchSize}, lr ${t.learningRate}, class weights ${t.classWeighting}, ` +
      `seed ${t.seed}, ${plural(settings.workers, "core")} (--workers)`;
    // A checkpoint kept as it is trains nothing: the budget is the baseline network's, if one runs (it read as
    // the checkpoint's, with a typed --seed it never had).
    const trainingBudget = !subject.recorded
      ? budget
      : lightweight
      ? `the lightweight_lstm baseline's (the checkpoint is not trained): ${budget}`
      : "none: the checkpoint is kept as it is, and no baseline network runs";
    const facts: [string, string][] = [
      ["data", `${opts.data}: ${describeData(series)}`],
      ...subject.facts,
      [
        "folds",
        `${plans.length} × ${subject.retrain === "weekly" ? "week" : "month"} (${
          foldSpan(plans)
        }), retrain ${subject.retrain}; each validated on the ${
          plural(opts.validationMonths, "month")
        } before, horizon purged at every cut`,
      ],
      [
        "windows",
        `lookback ${subject.shape.lookback}, horizon ${subject.shape.horizon}, labels ${
          describeLabelRule(subject.shape.labelRule)
        }`,
      ],
      ["training budget", trainingBudget],
      [
        "calibration",
        "neural models: logits − ln(class weight), then ÷ a temperature fit on each fold's validation block " +
        "(a checkpoint kept as it is uses its own temperature)",
      ],
      [
        "run time",
        `${(seconds / 60).toFixed(1)} min, candlecast ${VERSION}` +
        (commit ? ` (commit ${commit.slice(0, 12)})` : ""),
      ],
    ];
    if (summary.partial) {
      facts.unshift([
        "interrupted",
        `only ${plural(outcomes.length, "fold")} of ${plans.length} finished (${
          summary.partial.folds_done.join(", ")
        }); ${summary.partial.folds_missing.join(", ")} did not run. Every number covers the finished ` +
        "folds only.",
      ]);
    }
    const { jsonPath, reportPath, predictionsPath, beside } = await writeEvaluation(
      opts.outputDir,
      summary.partial !== null,
      {
        predictions: predictionsCsv(series, outcomes, learners.map((l) => l.name)),
        json: JSON.stringify(
          {
            created_at: new Date().toISOString(),
            candlecast_version: VERSION,
            ...(commit ? { candlecast_commit: commit } : {}),
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
    // Read again: a press after the last fold (while the bootstrap ran, or the files were written) had printed
    // "stopping …" and then exited 0 as if never pressed.
    if (interrupted || (io.signal?.aborted ?? false)) {
      const done = `${plural(outcomes.length, "fold")} of ${plans.length}`;
      throw new InterruptedError(
        summary.partial
          ? `evaluation interrupted; the ${done} that finished (${summary.partial.folds_done.join(", ")}) ${
            outcomes.length === 1 ? "was" : "were"
          } written to ${written}, marked partial`
          : `evaluation interrupted after its last fold; the complete evaluation was written to ${written}`,
        summary.partial
          ? `${
            summary.partial.folds_missing.join(", ")
          } did not run; run the same command again for every fold` +
            (beside ? ` (the complete evaluation in ${opts.outputDir} is kept until it finishes)` : "")
          : undefined,
      );
    }
    io.out("");
    io.out(`wrote ${written} (${(seconds / 60).toFixed(1)} min)`);
    return { summary, jsonPath, reportPath, predictionsPath };
  } finally {
    for (const l of learners) l.dispose();
    await subject.close();
  }
}

/** `seriesSpan` for evaluation.json: open times as UTC ISO strings (null without times). */
function dataSpan(
  series: readonly CandleSeries[],
): { candles: number; first: string | null; last: string | null } {
  const { candles, first, last } = seriesSpan(series);
  const iso = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString() : null);
  return { candles, first: iso(first), last: iso(last) };
}
