/**
 * `candlecast evaluate` end to end: CSV → calendar folds → the model and its baselines brought up to date
 * before each fold as `--retrain` says → scores, bootstrap, backtest → terminal tables, evaluation.json and a
 * self-contained report.html.
 */
import { join } from "node:path";
import {
  type CandleSeries,
  describeLabelRule,
  plural,
  readTrainingCsv,
  writeFileAtomic,
} from "../../features/index.ts";
import { CommandError } from "../errors.ts";
import {
  loadPredictor,
  type Predictor,
  type Preprocessor,
  readPreprocessorFile,
  VERSION,
} from "../../engine/index.ts";
import { BackendError, initBackend, type LayersModel, loadModel } from "../../ml/runtime/index.ts";
import {
  type BatchProgress,
  DEFAULT_TRAIN_CONFIG,
  formatDuration,
  type TrainConfig,
} from "../../ml/train/index.ts";
import { defaultModelConfig, type ModelConfig, modelConfigProblem } from "../../ml/models/index.ts";
import { readManifest, seenUntilOf } from "../../ml/checkpoints/index.ts";
import {
  baselineLearners,
  dataEnd,
  type EvaluationSummary,
  FoldError,
  formatSummary,
  inSampleFolds,
  type Learner,
  NetworkLearner,
  OnnxLearner,
  planFolds,
  type RetrainMode,
  summarize,
  walkForward,
} from "../../ml/evaluate/index.ts";
import { evaluationReport, writeReport } from "../../ml/report/index.ts";
import type { WindowShape } from "../../ml/data/index.ts";
import type { EvaluateOptions } from "./options.ts";

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
}

/** The model under evaluation, its input shape, and what to release afterwards. */
interface Subject {
  readonly learner: Learner;
  readonly shape: WindowShape;
  readonly clip: number;
  readonly retrain: RetrainMode;
  readonly facts: [string, string][];
  /** Data end of the checkpoint's own training data (ms), when known. */
  readonly seenUntil?: number;
  readonly close: () => Promise<void>;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function trainConfig(opts: EvaluateOptions): Omit<TrainConfig, "classWeights"> {
  return {
    ...DEFAULT_TRAIN_CONFIG,
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    learningRate: opts.learningRate,
    patience: opts.patience,
    maxWindowsPerEpoch: opts.maxWindowsPerEpoch,
    maxValidationWindows: opts.maxValidationWindows,
    seed: opts.seed,
  };
}

function networkOptions(opts: EvaluateOptions, io: EvaluateIo, name: string, clip: number) {
  return {
    name,
    train: trainConfig(opts),
    classWeighting: opts.classWeights,
    clip,
    log: io.out,
    progress: io.progress,
    signal: io.signal,
    parallel: { workers: navigator.hardwareConcurrency ?? 1, backend: opts.backend },
  };
}

function freshSubject(opts: EvaluateOptions, io: EvaluateIo): Subject {
  const config = defaultModelConfig(opts.model, opts.lookback);
  return {
    learner: new NetworkLearner({ ...networkOptions(opts, io, opts.model, opts.clip), modelConfig: config }),
    shape: {
      lookback: opts.lookback,
      horizon: opts.horizon,
      labelRule: { kind: "volatility", multiplier: 0.5 },
    },
    clip: opts.clip,
    retrain: opts.retrain ?? "monthly",
    facts: [["model", `${opts.model}, trained from scratch in the folds (default architecture)`]],
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

async function checkpointSubject(dir: string, opts: EvaluateOptions, io: EvaluateIo): Promise<Subject> {
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
  const retrain = opts.retrain ?? "none";
  const shape = {
    lookback: preprocessor.lookback,
    horizon: preprocessor.horizon,
    labelRule: preprocessor.labelRule,
  };
  const seenUntil = seenUntilOf(manifest);
  const facts: [string, string][] = [["model", `${name} (${dir})`]];
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
      shape,
      clip: preprocessor.clip,
      retrain,
      facts,
      seenUntil,
      close: () => predictor.close(),
    };
  }
  let modelConfig: ModelConfig | undefined;
  if (retrain === "monthly") {
    const stored = (manifest as { hyperparameters?: { model?: ModelConfig } }).hyperparameters?.model;
    const problem = stored ? modelConfigProblem(stored) : "no hyperparameters.model in manifest.json";
    if (!stored || problem) {
      throw new CommandError(
        `--retrain monthly rebuilds ${name} from scratch, but its architecture cannot be read (${problem})`,
        "use --retrain weekly (fine-tunes the checkpoint) or --model without --checkpoint",
      );
    }
    modelConfig = stored;
  }
  let model: LayersModel;
  try {
    model = await loadModel(dir);
  } catch (error) {
    throw new CommandError(`cannot load the tfjs model in ${dir}: ${(error as Error).message}`);
  }
  facts.push([
    "retraining",
    retrain === "weekly"
      ? "the checkpoint as it is for the first fold, fine-tuned on each new week after"
      : "rebuilt from scratch with the checkpoint's architecture before every month",
  ]);
  return {
    learner: new NetworkLearner(
      { ...networkOptions(opts, io, name, preprocessor.clip), modelConfig },
      { model, preprocessor },
    ),
    shape,
    clip: preprocessor.clip,
    retrain,
    facts,
    seenUntil,
    close: () => Promise.resolve(),
  };
}

function describeData(series: readonly CandleSeries[]): string {
  const first = Math.min(...series.map((s) => s.openTime[0]));
  const last = Math.max(...series.map((s) => s.openTime[s.length - 1]));
  const candles = series.reduce((n, s) => n + s.length, 0);
  return `${plural(series.length, "symbol")}, ${plural(candles, "candle")}, ${day(first)} … ${day(last)}`;
}

export async function runEvaluation(opts: EvaluateOptions, given: EvaluateIo): Promise<EvaluateOutcome> {
  const started = performance.now();
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
    io.out(`backend: ${backend.backend} (${backend.device})`);
  } catch (error) {
    if (error instanceof BackendError) throw new CommandError(error.message);
    throw error;
  }
  const series = await readTrainingCsv(opts.data);
  const subject = opts.checkpoint
    ? await checkpointSubject(opts.checkpoint, opts, io)
    : freshSubject(opts, io);
  const learners: Learner[] = [subject.learner];
  try {
    let plans;
    try {
      plans = planFolds(dataEnd(series), opts.folds, subject.retrain, opts.validationMonths);
    } catch (error) {
      if (error instanceof FoldError) throw new CommandError(error.message);
      throw error;
    }
    // A checkpoint rebuilt from scratch in every fold (--retrain monthly) keeps only its architecture; kept
    // as it is or fine-tuned, it carries what it learnt from its own training data into the folds.
    const trainedUntil = subject.retrain === "monthly" ? undefined : subject.seenUntil;
    const early = inSampleFolds(
      subject.learner.name,
      plans.map((p) => ({
        label: p.label,
        validation_start: new Date(p.validationStart).toISOString(),
      })),
      trainedUntil,
    );
    if (early) io.warn?.(`warning: ${early.message}`);
    const lightweight = opts.lightweightBaseline && subject.learner.name !== "lightweight_lstm";
    learners.push(...baselineLearners({ seed: opts.seed }));
    if (lightweight) {
      learners.push(
        new NetworkLearner({
          ...networkOptions(opts, io, "lightweight_lstm", subject.clip),
          modelConfig: defaultModelConfig("lightweight_lstm", subject.shape.lookback),
        }),
      );
    }
    io.out(
      `data: ${describeData(series)}; ${plans.length} ${
        subject.retrain === "weekly" ? "weekly" : "monthly"
      } ` +
        `folds ${plans[0].label} … ${plans.at(-1)!.label}, retrain ${subject.retrain}; learners: ` +
        learners.map((l) => l.name).join(", "),
    );
    let outcomes;
    try {
      outcomes = await walkForward(series, plans, learners, {
        shape: subject.shape,
        clip: subject.clip,
        stage: (s) => {
          overall.where = `[${s.step}/${s.steps} fold ${s.fold.index + 1}/${s.folds} ${s.learner}]`;
          const elapsed = (performance.now() - started) / 1000;
          const left = s.step > 1
            ? `, ~${formatDuration((elapsed / (s.step - 1)) * (s.steps - s.step + 1))} left`
            : "";
          io.progress?.clear();
          io.out(
            `step ${s.step}/${s.steps}: fold ${s.fold.index + 1}/${s.folds} ${s.fold.label}, ${s.learner} ` +
              `(${formatDuration(elapsed)} so far${left})`,
          );
        },
        log: (line) => {
          if (io.signal?.aborted) throw new CommandError("evaluation interrupted; nothing was written");
          io.out(line);
        },
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
    if (io.signal?.aborted) throw new CommandError("evaluation interrupted; nothing was written");
    const summary = summarize(series, outcomes, {
      model: subject.learner.name,
      horizon: subject.shape.horizon,
      threshold: opts.tradeThreshold,
      fee: opts.fee,
      short: opts.short,
      seed: opts.seed,
      resamples: opts.bootstrap,
      trainedUntil,
    });
    formatSummary(summary).forEach((line) => io.out(line));

    const settings = {
      ...opts,
      retrain: subject.retrain,
      lookback: subject.shape.lookback,
      horizon: subject.shape.horizon,
      label_rule: subject.shape.labelRule,
      clip: subject.clip,
      learners: learners.map((l) => l.name),
    };
    const seconds = (performance.now() - started) / 1000;
    const facts: [string, string][] = [
      ["data", `${opts.data}: ${describeData(series)}`],
      ...subject.facts,
      [
        "folds",
        `${plans.length} × ${subject.retrain === "weekly" ? "week" : "month"} (${plans[0].label} … ${
          plans.at(-1)!.label
        }), retrain ${subject.retrain}; each validated on the ${opts.validationMonths} month(s) before, horizon purged at every cut`,
      ],
      [
        "windows",
        `lookback ${subject.shape.lookback}, horizon ${subject.shape.horizon}, labels ${
          describeLabelRule(subject.shape.labelRule)
        }`,
      ],
      [
        "training budget",
        `${opts.epochs} epochs × ≤ ${opts.maxWindowsPerEpoch.toLocaleString("en-US")} windows, patience ` +
        `${opts.patience}, batch ${opts.batchSize}, lr ${opts.learningRate}, class weights ${opts.classWeights}, ` +
        `seed ${opts.seed}`,
      ],
      [
        "calibration",
        "neural models: logits − ln(class weight), then ÷ a temperature fit on each fold's validation block " +
        "(a checkpoint kept as it is uses its own temperature)",
      ],
      ["run time", `${(seconds / 60).toFixed(1)} min, candlecast ${VERSION}`],
    ];
    await Deno.mkdir(opts.outputDir, { recursive: true });
    const jsonPath = join(opts.outputDir, "evaluation.json");
    const reportPath = join(opts.outputDir, "report.html");
    await writeFileAtomic(
      jsonPath,
      JSON.stringify(
        { created_at: new Date().toISOString(), candlecast_version: VERSION, settings, ...summary },
        null,
        1,
      ),
    );
    await writeReport(reportPath, evaluationReport(summary, facts));
    io.out("");
    io.out(`wrote ${jsonPath} and ${reportPath} (${(seconds / 60).toFixed(1)} min)`);
    return { summary, jsonPath, reportPath };
  } finally {
    for (const l of learners) l.dispose();
    await subject.close();
  }
}
