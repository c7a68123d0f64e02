/**
 * `candlecast evaluate` end to end: CSV → calendar folds → the model and its baselines brought up to date
 * before each fold as `--retrain` says → scores, bootstrap, backtest → terminal tables, evaluation.json and a
 * self-contained report.html.
 */
import { z } from "zod";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import {
  type CandleSeries,
  commonestStep,
  describeLabelRule,
  formatDuration,
  intervalOf,
  otherInterval,
  pathKind,
  plural,
  readTrainingCsv,
  writeFilesAtomic,
} from "../../features/index.ts";
import { CommandError, InterruptedError, UsageError } from "../errors.ts";
import { requireOutputFolder } from "../flags.ts";
import {
  CheckpointError,
  type DecisionRule,
  effectiveRule,
  loadPredictor,
  type Predictor,
  type Preprocessor,
  readPreprocessorFile,
  TRAINED_DECISION_RULE,
  verifyCheckpointFiles,
  VERSION,
} from "../../engine/index.ts";
import { BackendError, describeBackend, initBackend, type LayersModel } from "../../ml/runtime/index.ts";
import {
  type BatchProgress,
  recordedRunConfig,
  type RunConfig,
  runConfigJson,
  windowShapeOf,
} from "../../ml/train/index.ts";
import {
  defaultModelConfig,
  loadModel,
  MODEL_JSON,
  type ModelConfig,
  WEIGHTS_BIN,
} from "../../ml/models/index.ts";
import { readManifest, seenUntilOf } from "../../ml/checkpoints/index.ts";
import {
  baselineLearners,
  dataEnd,
  type EvaluationSummary,
  FEW_TRAINING_WINDOWS,
  FoldError,
  type FoldPlan,
  foldWindows,
  formatSummary,
  inSampleFolds,
  type Learner,
  NetworkLearner,
  OnnxLearner,
  planFolds,
  predictionsCsv,
  type RetrainMode,
  summarize,
  turnAction,
  walkForward,
} from "../../ml/evaluate/index.ts";
import { evaluationReport, renderReport } from "../../ml/report/index.ts";
import type { WindowShape } from "../../ml/data/index.ts";
import type { EvaluateOptions } from "./options.ts";
import { TimeLeft } from "./time_left.ts";
import { claimOutputFolder } from "./output_folder.ts";
import { runConfigOf } from "../run_config_flags.ts";
import { trainingCores } from "../workers_flag.ts";

export interface EvaluateIo {
  readonly out: (line: string) => void;
  readonly warn?: (line: string) => void;
  readonly progress?: BatchProgress;
  readonly signal?: AbortSignal;
}

export interface EvaluateOutcome {
  readonly summary: EvaluationSummary;
  readonly jsonPath: string;
  readonly reportPath: string;
  /** Every test window with each learner's probabilities (`predictionsCsv`). */
  readonly predictionsPath: string;
}

/** The model under evaluation, its configuration and input shape, and what to release afterwards. */
interface Subject {
  readonly learner: Learner;
  /** How it is (re)trained in the folds: the flags', or a checkpoint's recorded one with typed flags over it. */
  readonly config: RunConfig;
  readonly shape: WindowShape;
  readonly clip: number;
  readonly retrain: RetrainMode;
  readonly facts: [string, string][];
  /** Data end of the checkpoint's own training data (ms), when known. */
  readonly seenUntil?: number;
  /**
   * How the model names a class when served: the checkpoint's own rule when it is kept as it is, else the one
   * `train` stores in what it writes.
   */
  readonly decisionRule: DecisionRule;
  readonly close: () => Promise<void>;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** "2023-08" for one fold, "2023-07 … 2023-09" for several. */
const foldSpan = (plans: readonly FoldPlan[]) =>
  plans.length === 1 ? plans[0].label : `${plans[0].label} … ${plans.at(-1)!.label}`;

/** A network learner's options: the run configuration's recipe and clipping, and where it reports. */
function networkOptions(opts: EvaluateOptions, io: EvaluateIo, name: string, config: RunConfig) {
  const { classWeighting, ...train } = config.training;
  const cores = trainingCores(opts.workers);
  return {
    name,
    train,
    classWeighting,
    clip: config.data.clip,
    log: io.out,
    progress: io.progress,
    signal: io.signal,
    // As in train: members on the cores at once, a model training alone splits its batches across them.
    parallel: { workers: cores, backend: opts.backend, dataParallel: cores },
  };
}

/** The model's size in a few words, for the report's facts. */
function describeModel(m: ModelConfig): string {
  const lstm = `LSTM ${m.lstmLayers} × ${m.lstmHidden}`;
  const size = m.type === "transformer_lstm"
    ? `d_model ${m.dModel}, ${m.heads} heads, ffn ${m.ffnDim}, ${m.encoderLayers} encoder layer(s), ${lstm}`
    : lstm;
  const windows = m.memberLookbacks ? ` (windows ${m.memberLookbacks.join(", ")}, cycled)` : "";
  return `${size}, dropout ${m.dropout}, ${plural(m.members, "member")}${windows}`;
}

/**
 * The open time of the newest candle a version may have learnt from: its data end, or just before its split's
 * common test start (nothing from that candle on was seen, so a fold starting there is out-of-sample).
 */
function newestSeen(manifest: Parameters<typeof seenUntilOf>[0]): number | undefined {
  const seen = seenUntilOf(manifest);
  const split = manifest.data.split;
  const testStart = split?.test_start ? Date.parse(split.test_start) : NaN;
  return seen !== undefined && seen === testStart ? seen - 1 : seen;
}

function freshSubject(opts: EvaluateOptions, io: EvaluateIo): Subject {
  const config = runConfigOf(opts, undefined, "evaluate");
  const type = config.model.type;
  return {
    learner: new NetworkLearner({ ...networkOptions(opts, io, type, config), modelConfig: config.model }),
    config,
    shape: windowShapeOf(config),
    clip: config.data.clip,
    retrain: opts.retrain ?? "monthly",
    facts: [["model", `${type}, trained from scratch in the folds (${describeModel(config.model)})`]],
    decisionRule: TRAINED_DECISION_RULE,
    close: () => Promise.resolve(),
  };
}

async function readPreprocessor(dir: string): Promise<Preprocessor> {
  try {
    return await readPreprocessorFile(dir);
  } catch (error) {
    throw new CommandError(
      `${dir} is not a usable checkpoint: ${(error as Error).message}`,
      "point --checkpoint at a version folder written by 'candlecast train' (or checkpoints/current)",
    );
  }
}

function requireOwnInterval(
  recorded: string | null | undefined,
  series: readonly CandleSeries[],
  data: string,
  name: string,
): void {
  const ours = otherInterval(series.map((s) => s.openTime), recorded);
  if (ours === null) return;
  throw new UsageError(
    `--data: ${data} holds ${ours} candles, but ${name} was trained on ${recorded} candles: its ` +
      "predictions would be scored against outcomes it was never asked about",
    `point --data at ${recorded} candles, or add --retrain monthly to rebuild its architecture on these`,
  );
}

/**
 * The files of version `dir` that evaluating it under `retrain` reads, as the manifest hashed them: kept as it
 * is, what serve reads; fine-tuned, what `train --incremental` and `export` read; rebuilt, its scaler and shape.
 * Unchecked, a weekly run fine-tuned and scored weights changed since training (models list: CHANGED), and a
 * damaged preprocessor.json was called "not a checkpoint written by train".
 */
const READS: Readonly<Record<RetrainMode, readonly string[]>> = {
  none: ["model.onnx", "preprocessor.json"],
  weekly: ["preprocessor.json", MODEL_JSON, WEIGHTS_BIN],
  monthly: ["preprocessor.json"],
};

async function requireIntactFiles(dir: string, retrain: RetrainMode): Promise<void> {
  try {
    await verifyCheckpointFiles(dir, READS[retrain]);
  } catch (error) {
    if (error instanceof CheckpointError) throw new CommandError(error.message, error.hint);
    throw error;
  }
}

async function checkpointSubject(
  dir: string,
  opts: EvaluateOptions,
  io: EvaluateIo,
  series: readonly CandleSeries[],
): Promise<Subject> {
  const retrain = opts.retrain ?? "none";
  await requireIntactFiles(dir, retrain);
  const preprocessor = await readPreprocessor(dir);
  let manifest;
  try {
    manifest = await readManifest(dir);
  } catch (error) {
    throw new CommandError(
      (error as Error).message,
      "evaluate a complete version written by 'candlecast train'",
    );
  }
  const name = `${preprocessor.modelType}@${manifest.version}`;
  // Kept or fine-tuned, the version reads its horizon and lookback in its own candles; rebuilt monthly it keeps
  // only its architecture, which any interval can be trained with.
  if (retrain !== "monthly") requireOwnInterval(manifest.interval, series, opts.data, name);
  // The checkpoint's whole configuration: its shape always, its training recipe unless flags override it.
  const recorded = recordedRunConfig(manifest, preprocessor);
  const config = runConfigOf(opts, { config: recorded.config, keepShape: true }, "evaluate");
  const shape = windowShapeOf(config);
  const seenUntil = newestSeen(manifest);
  const facts: [string, string][] = [["model", `${name} (${dir})`]];
  // preprocessor.json's schema refuses the prior rule without its priors (readPreprocessor, above).
  const ownRule = effectiveRule("version", preprocessor.decisionRule);
  if (retrain === "none") {
    let predictor: Predictor;
    try {
      predictor = await loadPredictor(dir);
    } catch (error) {
      const hint = (error as { hint?: string }).hint;
      throw new CommandError((error as Error).message, hint);
    }
    facts.push([
      "inference",
      "the checkpoint's model.onnx on ONNX Runtime, exactly as served; never retrained",
    ]);
    return {
      learner: new OnnxLearner(name, predictor),
      config,
      shape,
      clip: preprocessor.clip,
      retrain,
      facts,
      seenUntil,
      decisionRule: ownRule,
      close: () => predictor.close(),
    };
  }
  let modelConfig: ModelConfig | undefined;
  if (retrain === "monthly") {
    if (recorded.derived.includes("model")) {
      throw new CommandError(
        `--retrain monthly rebuilds ${name} from scratch, but its architecture cannot be read ` +
          "(no valid hyperparameters.model in manifest.json)",
        "use --retrain weekly (fine-tunes the checkpoint) or --model without --checkpoint",
      );
    }
    modelConfig = config.model;
  }
  let model: LayersModel;
  try {
    model = await loadModel(dir);
  } catch (error) {
    throw new CommandError(
      `cannot load the tfjs model in ${dir}: ${(error as Error).message}`,
      "the version is incomplete; evaluate another one (candlecast models list) or train again",
    );
  }
  facts.push([
    "retraining",
    retrain === "weekly"
      ? "the checkpoint as it is for the first fold, then fine-tuned on each week entering the training data " +
        "(about --validation-months before the week tested)"
      : `rebuilt from scratch with the checkpoint's configuration before every month (${
        describeModel(config.model)
      })`,
  ]);
  return {
    learner: new NetworkLearner(
      { ...networkOptions(opts, io, name, config), modelConfig },
      { model, preprocessor, classWeights: manifest.training?.class_weights },
    ),
    config,
    shape,
    clip: preprocessor.clip,
    retrain,
    facts,
    seenUntil,
    // Rebuilt or fine-tuned, the models are what `train` writes, whatever rule an older version stored.
    decisionRule: TRAINED_DECISION_RULE,
    close: () => Promise.resolve(),
  };
}

/**
 * The first fold trains on what comes before its validation block, which starts `--validation-months` months
 * before its test block, `--folds` blocks from the end: when that leaves nothing, the error names both flags
 * and the values that would fit, before any training starts.
 */
function checkRoomToTrain(
  series: readonly CandleSeries[],
  plans: readonly FoldPlan[],
  subject: Subject,
  opts: EvaluateOptions,
): void {
  const first = plans[0];
  if (foldWindows(series, first, subject.shape).train > 0) return;
  const end = dataEnd(series);
  const begins = Math.min(...series.map((s) => s.openTime[0]));
  // Folds are whole months (weeks), the last one the data nearly covers: data shorter than a block has none
  // at all, and naming a fold before the data began would only confuse.
  const last = plans[plans.length - 1];
  if (last.testStart < begins) {
    const block = subject.retrain === "weekly" ? "week" : "month";
    throw new CommandError(
      `the data (${day(begins)} … ${day(end)}) holds no complete ${block} to test on: evaluate tests on ` +
        `whole ${block}s, each after ${
          plural(opts.validationMonths, "month")
        } of validation and some training`,
      `use a CSV with more history (at least ${
        opts.validationMonths + 2
      } months for one fold), or 'candlecast ` +
        "train' with --split-dates for a single split",
    );
  }
  // The counts suggested leave the first fold a training set worth the name where any do (FEW_TRAINING_WINDOWS,
  // as train notes): "the most that leave training data" once gave a first fold of 46 windows,
  // whose model was no more than the class shares and was pooled into the verdict.
  const trainWindows = (folds: number, months: number) =>
    foldWindows(series, planFolds(end, folds, subject.retrain, months)[0], subject.shape).train;
  // One fold after one month of validation leaves the most training windows: if not that many, any will do.
  const least = trainWindows(1, 1) >= FEW_TRAINING_WINDOWS ? FEW_TRAINING_WINDOWS : 1;
  const fits = (folds: number, months: number) => trainWindows(folds, months) >= least;
  const dataStart = begins;
  let months = opts.validationMonths - 1;
  while (months >= 1 && !fits(opts.folds, months)) months--;
  let folds = opts.folds - 1;
  while (folds >= 1 && !fits(folds, opts.validationMonths)) folds--;
  const options = [
    months >= 1 ? `--validation-months ${months}` : "",
    folds >= 1 ? `--folds ${folds}` : "",
  ].filter(Boolean);
  // Neither alone may do where both together do (four months of candles: one fold, one month): the most folds
  // first, then the longest validation.
  for (let f = opts.folds - 1; options.length === 0 && f >= 1; f--) {
    for (let m = opts.validationMonths - 1; m >= 1; m--) {
      if (fits(f, m)) {
        options.push(`--folds ${f} --validation-months ${m}`);
        break;
      }
    }
  }
  // Fewer folds or months would do: a usage error (2), as the other refusals that other flags fix.
  const refusal = options.length > 0 ? UsageError : CommandError;
  throw new refusal(
    `nothing to train on before the first fold: fold ${first.label} (test from ${day(first.testStart)}) is ` +
      `validated on the ${plural(opts.validationMonths, "month")} before it (--validation-months ` +
      `${opts.validationMonths}), from ${day(first.validationStart)}, and the data begins ${day(dataStart)}` +
      `, too late for a training window of lookback ${subject.shape.lookback} + horizon ${subject.shape.horizon}`,
    options.length > 0
      ? `use ${options.join(" or ")} (the most that leave ${
        least > 1 ? `at least ${least.toLocaleString("en-US")} training windows` : "training data"
      }), or a CSV with more history`
      : "use a CSV with more history: even one fold with one month of validation leaves nothing to train on",
  );
}

/**
 * Every fold must hold test windows: a window is tested when its label candle, `horizon` candles after its
 * last one, opens inside the block, so a month of 1w candles (4–5 of them) at horizon 4 holds almost none.
 * Before, evaluate trained every learner on the first fold and then stopped at the next with "the test split
 * has no windows", and its hint (--retrain weekly, more history) could not help. Said before any training.
 */
function checkTestWindows(
  series: readonly CandleSeries[],
  plans: readonly FoldPlan[],
  subject: Subject,
  opts: EvaluateOptions,
): void {
  const empty = plans.find((plan) => foldWindows(series, plan, subject.shape).test === 0);
  if (!empty) return;
  const block = subject.retrain === "weekly" ? "week" : "month";
  const step = commonestStep(series.map((s) => s.openTime));
  const perBlock = step === null ? NaN : Math.floor((empty.testEnd - empty.testStart) / step);
  const where = `fold ${empty.label} (test ${day(empty.testStart)} … ${
    day(empty.testEnd)
  }) holds no test window`;
  const { horizon } = subject.shape;
  if (perBlock <= horizon) {
    const interval = intervalOf(series.map((s) => s.openTime));
    const candle = interval === null ? "candle" : `${interval} candle`;
    // Month blocks are 28–31 days: the shortest holds this many candles.
    const perMonth = step === null ? NaN : Math.floor(28 * 86_400_000 / step);
    // A usage error (2), as retrain's refusal of too few held-out days: no history fixes it; other flags
    // or another command do, and the hint names them.
    throw new UsageError(
      `${where}: a window is tested when its label candle, ${
        plural(horizon, "candle")
      } after its last one, ` +
        `opens in the same ${block}, and a ${block} holds only ${plural(perBlock, candle)}`,
      `evaluate tests whole ${block}s; on ${
        interval ?? "these"
      } candles score one split with 'candlecast train ` +
        `--split-dates VALIDATION_START,TEST_START'` +
        (opts.checkpoint || perBlock < 2 ? "" : `, or look fewer candles ahead (--horizon ${perBlock - 1})`) +
        (subject.retrain === "weekly" && perMonth > horizon
          ? ", or use --retrain monthly (month blocks)"
          : ""),
    );
  }
  throw new CommandError(
    `${where}: its candles are too few or missing (${describeData(series)})`,
    "use fewer --folds, or a CSV with more history",
  );
}

function describeData(series: readonly CandleSeries[]): string {
  const first = Math.min(...series.map((s) => s.openTime[0]));
  const last = Math.max(...series.map((s) => s.openTime[s.length - 1]));
  const candles = series.reduce((n, s) => n + s.length, 0);
  return `${plural(series.length, "symbol")}, ${plural(candles, "candle")}, ${day(first)} … ${day(last)}`;
}

export async function runEvaluation(opts: EvaluateOptions, given: EvaluateIo): Promise<EvaluateOutcome> {
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
      update: (done, total, label, text) => batches.update(done, total, `${overall.where} ${label}`, text),
      clear: () => batches.clear(),
    },
  };
  try {
    const backend = await initBackend(opts.backend);
    io.out(`backend: ${describeBackend(backend)}`);
  } catch (error) {
    if (error instanceof BackendError) throw new CommandError(error.message, error.hint);
    throw error;
  }
  const series = await readTrainingCsv(opts.data);
  const subject = opts.checkpoint
    ? await checkpointSubject(opts.checkpoint, opts, io, series)
    : freshSubject(opts, io);
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
    const early = inSampleFolds(
      subject.learner.name,
      plans.map((p) => ({ label: p.label, test_start: new Date(p.testStart).toISOString() })),
      trainedUntil,
    );
    if (early) io.warn?.(`warning: ${early.message}`);
    const lightweight = opts.lightweightBaseline && subject.learner.name !== "lightweight_lstm";
    const seed = subject.config.training.seed;
    learners.push(...baselineLearners({ seed }));
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
    // A turn that trains (from scratch or fine-tuning) is timed apart from one that only predicts.
    const clock = new TimeLeft(
      plans.flatMap((plan) =>
        learners.map((l) => `${l.name} ${turnAction(plan, l) === "keep" ? "predicts" : "trains"}`)
      ),
    );
    let outcomes;
    try {
      outcomes = await walkForward(series, plans, learners, {
        shape: subject.shape,
        clip: subject.clip,
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
        log: io.out,
        signal: io.signal,
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
    if (outcomes.length === 0) {
      throw new InterruptedError(
        "evaluation interrupted before its first fold finished; nothing was written",
        "run the same command again; a finished fold is kept when a later one is interrupted",
      );
    }
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
    });
    formatSummary(summary).forEach((line) => io.out(line));

    const settings = {
      ...opts,
      config: runConfigJson(subject.config),
      retrain: subject.retrain,
      lookback: subject.shape.lookback,
      horizon: subject.shape.horizon,
      label_rule: subject.shape.labelRule,
      clip: subject.clip,
      learners: learners.map((l) => l.name),
    };
    const seconds = (performance.now() - started) / 1000;
    const t = subject.config.training;
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
      [
        "training budget",
        `${t.epochs} epochs × ≤ ${t.maxWindowsPerEpoch.toLocaleString("en-US")} windows ` +
        `(≤ ${Math.round(t.epochFraction * 100)} % of the training set), patience ` +
        `${t.patience}, batch ${t.batchSize}, lr ${t.learningRate}, class weights ${t.classWeighting}, ` +
        `seed ${t.seed}`,
      ],
      [
        "calibration",
        "neural models: logits − ln(class weight), then ÷ a temperature fit on each fold's validation block " +
        "(a checkpoint kept as it is uses its own temperature)",
      ],
      ["run time", `${(seconds / 60).toFixed(1)} min, candlecast ${VERSION}`],
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
    await Deno.mkdir(opts.outputDir, { recursive: true });
    // A partial evaluation never replaces a complete one already there (the run said it would replace it
    // when it finishes): it is written beside it, as evaluation.partial.json, report.partial.html and
    // predictions.partial.csv.
    const beside = summary.partial !== null && await holdsCompleteEvaluation(opts.outputDir);
    const jsonPath = join(opts.outputDir, beside ? PARTIAL_FILES[0] : "evaluation.json");
    const reportPath = join(opts.outputDir, beside ? PARTIAL_FILES[1] : "report.html");
    const predictionsPath = join(opts.outputDir, beside ? PARTIAL_FILES[2] : "predictions.csv");
    const written = `${jsonPath}, ${reportPath} and ${predictionsPath}`;
    // One set: all three are written and flushed before any replaces the files of an earlier run there, so a
    // crash or a full disk never leaves this run's predictions.csv beside that run's evaluation.json.
    await writeFilesAtomic([
      [predictionsPath, predictionsCsv(series, outcomes, learners.map((l) => l.name))],
      [
        jsonPath,
        JSON.stringify(
          { created_at: new Date().toISOString(), candlecast_version: VERSION, settings, ...summary },
          null,
          1,
        ),
      ],
      [reportPath, renderReport(evaluationReport(summary, facts))],
    ]);
    // Written as evaluation.json, this run supersedes the partial one an earlier interrupted re-run left beside
    // it: kept, that one would read as a newer result than it is.
    if (!beside) { for (const name of PARTIAL_FILES) await rm(join(opts.outputDir, name), { force: true }); }
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

/** What an interrupted re-run writes beside a complete evaluation, rather than over it. */
const PARTIAL_FILES = ["evaluation.partial.json", "report.partial.html", "predictions.partial.csv"] as const;

/** An evaluation.json that finished: its folds, and no `partial` mark (null, or absent in older files). */
const CompleteEvaluationSchema = z.object({ folds: z.array(z.unknown()), partial: z.null().optional() });

/** True when `dir` holds an evaluation.json that is readable and not marked partial (`partial: null`). */
async function holdsCompleteEvaluation(dir: string): Promise<boolean> {
  try {
    const earlier: unknown = JSON.parse(await Deno.readTextFile(join(dir, "evaluation.json")));
    return CompleteEvaluationSchema.safeParse(earlier).success;
  } catch {
    return false;
  }
}
