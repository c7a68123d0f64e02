/**
 * `candlecast train` end to end: CSV → honest splits → model → training → test metrics beside baselines →
 * a new checkpoint version → `current` (unless --no-promote, an interrupt, or a failed export).
 */
import { join } from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { CLASSES, FEATURE_NAMES, type LabelRule, readTrainingCsv } from "../../features/index.ts";
import { CommandError, UsageError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { BackendError, initBackend } from "../../ml/backend.ts";
import {
  classWeights,
  type Dataset,
  DatasetError,
  DEFAULT_SPLIT,
  evaluationOrder,
  prepareDataset,
  type Scaling,
  seededRng,
  SplitError,
  type SplitRule,
} from "../../ml/data/index.ts";
import {
  buildModel,
  defaultModelConfig,
  type ModelConfig,
  modelConfigProblem,
} from "../../ml/models/index.ts";
import { loadModel } from "../../ml/model_io.ts";
import { exportOnnx } from "../../ml/onnx/index.ts";
import { checkExport } from "../../ml/onnx/verify.ts";
import { MODEL_CLASS_NAMES, parsePreprocessor, type Preprocessor } from "../../ml/preprocessor.ts";
import { evaluateBaselines } from "../../ml/baselines/index.ts";
import {
  type BatchProgress,
  DEFAULT_TRAIN_CONFIG,
  evaluateModel,
  type TrainConfig,
  trainModel,
  type TrainResult,
} from "../../ml/train/index.ts";
import {
  currentVersion,
  type DataDescription,
  intervalOf,
  isoOrNull,
  type ManifestView,
  promote,
  readManifest,
  writeVersion,
} from "../../ml/checkpoints/index.ts";
import type { TrainOptions } from "./options.ts";
import { dataLines, metricsTable } from "./report.ts";

export interface TrainIo {
  /** One line of normal output (stdout). */
  readonly out: (line: string) => void;
  readonly progress?: BatchProgress;
  /** Aborting stops training after the current batch (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Test hook: called after every training batch. */
  readonly afterBatch?: (epoch: number, batch: number) => void;
}

export interface TrainOutcome {
  readonly version: string;
  readonly dir: string;
  readonly promoted: boolean;
  readonly interrupted: boolean;
  readonly onnxError?: Error;
}

interface Parent {
  readonly version: string;
  readonly manifest: ManifestView;
  readonly preprocessor: Preprocessor;
  readonly model: tf.LayersModel;
  readonly modelConfig: unknown;
}

async function loadParent(root: string): Promise<Parent> {
  const version = await currentVersion(root);
  if (!version) {
    throw new CommandError(
      `--incremental fine-tunes ${join(root, "current")}, and there is none`,
      "train a first model without --incremental",
    );
  }
  const dir = join(root, version);
  const manifest = await readManifest(dir);
  const preprocessor = parsePreprocessor(
    JSON.parse(await Deno.readTextFile(join(dir, "preprocessor.json"))),
    join(dir, "preprocessor.json"),
  );
  const hyper = manifest.hyperparameters as { model?: unknown } | undefined;
  return { version, manifest, preprocessor, model: await loadModel(dir), modelConfig: hyper?.model ?? null };
}

const MODEL_FLAGS: Record<string, string> = {
  dModel: "--d-model",
  heads: "--heads",
  ffnDim: "--ffn",
  encoderLayers: "--encoder-layers",
  lstmHidden: "--lstm-hidden",
  lstmLayers: "--layers",
  dropout: "--dropout",
  lookback: "--lookback",
};

export function modelConfigOf(opts: TrainOptions): ModelConfig {
  const base = defaultModelConfig(opts.model, opts.lookback);
  const config: ModelConfig = {
    ...base,
    dModel: opts.dModel ?? base.dModel,
    heads: opts.heads ?? base.heads,
    ffnDim: opts.ffn ?? base.ffnDim,
    encoderLayers: opts.encoderLayers ?? base.encoderLayers,
    lstmHidden: opts.lstmHidden ?? base.lstmHidden,
    lstmLayers: opts.layers ?? base.lstmLayers,
    dropout: opts.dropout ?? base.dropout,
  };
  const problem = modelConfigProblem(config);
  if (problem) {
    const flagged = problem.replace(
      /\b(dModel|heads|ffnDim|encoderLayers|lstmHidden|lstmLayers|dropout|lookback)\b/g,
      (k) => MODEL_FLAGS[k],
    );
    throw new UsageError(
      `model size: ${flagged}`,
      "run 'candlecast train --help' for the model size flags",
    );
  }
  return config;
}

function trainConfigOf(opts: TrainOptions, data: Dataset): TrainConfig {
  return {
    ...DEFAULT_TRAIN_CONFIG,
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    learningRate: opts.learningRate,
    warmupSteps: opts.warmupSteps,
    clipNorm: opts.clipNorm,
    patience: opts.patience,
    classWeights: classWeights(data.trainClassCounts, opts.classWeights),
    labelSmoothing: opts.labelSmoothing,
    regressionWeight: opts.regressionWeight,
    maxWindowsPerEpoch: opts.maxWindowsPerEpoch ?? Infinity,
    maxValidationWindows: opts.maxValidationWindows ?? Infinity,
    seed: opts.seed,
  };
}

/** JSON has no Infinity: "no limit" is written as null. */
const finiteOrNull = (config: object) =>
  Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v === Infinity ? null : v]));

function describeData(path: string, data: Dataset, split: SplitRule, since: number | null): DataDescription {
  const first = Math.min(...data.symbols.map((s) => s.firstOpenTime));
  const last = Math.max(...data.symbols.map((s) => s.lastOpenTime));
  return {
    path,
    start: isoOrNull(first),
    end: isoOrNull(last),
    end_ms: Number.isFinite(last) ? last : null,
    interval: intervalOf(data.train.series.map((s) => s.openTime)),
    symbols: Object.fromEntries(data.symbols.map((s) => [s.symbol, {
      first: isoOrNull(s.firstOpenTime),
      last: isoOrNull(s.lastOpenTime),
      last_ms: Number.isFinite(s.lastOpenTime) ? s.lastOpenTime : null,
      candles: s.candles,
      windows: { train: s.train, validation: s.validation, test: s.test },
      skipped_missing_indicators: s.skipped,
      purged: s.purged,
    }])),
    windows: { train: data.train.size, validation: data.validation.size, test: data.test.size },
    skipped_missing_indicators: data.skipped,
    split: split.kind === "dates"
      ? {
        kind: "dates",
        validation_start: isoOrNull(split.validationStart),
        test_start: isoOrNull(split.testStart),
      }
      : { kind: "fractions", train: split.train, validation: split.validation },
    since: since === null ? null : isoOrNull(since),
  };
}

function historyOf(result: TrainResult) {
  return { best_epoch: result.bestEpoch, stop_reason: result.stopReason, epochs: result.history };
}

export async function runTraining(opts: TrainOptions, io: TrainIo): Promise<TrainOutcome> {
  const started = performance.now();
  // A bad model size is a usage error: say so before reading any data.
  const newModelConfig = opts.incremental ? null : modelConfigOf(opts);
  const series = await readTrainingCsv(opts.data);
  let backend;
  try {
    backend = await initBackend(opts.backend);
  } catch (error) {
    if (error instanceof BackendError) throw new CommandError(error.message);
    throw error;
  }
  io.out(`backend: ${backend.backend} (${backend.device})`);
  const parent = opts.incremental ? await loadParent(opts.checkpoints) : null;
  const labelRule: LabelRule = opts.threshold !== undefined
    ? { kind: "fixed", threshold: opts.threshold }
    : { kind: "volatility", multiplier: 0.5 };
  const shape = parent
    ? {
      lookback: parent.preprocessor.lookback,
      horizon: parent.preprocessor.horizon,
      labelRule: parent.preprocessor.labelRule,
    }
    : { lookback: opts.lookback, horizon: opts.horizon, labelRule };
  const split: SplitRule = opts.splitDates
    ? {
      kind: "dates",
      validationStart: opts.splitDates.validationStart,
      testStart: opts.splitDates.testStart,
    }
    : DEFAULT_SPLIT;
  const parentEnd = parent?.manifest.data.end_ms ?? null;
  if (parent) {
    io.out(
      `incremental: fine-tuning ${parent.version} on windows labelled after ${
        isoOrNull(parentEnd ?? NaN) ?? "?"
      }`,
    );
  }
  let data: Dataset;
  try {
    data = prepareDataset(series, {
      ...shape,
      split,
      since: parent
        ? (symbol) => parent.manifest.data.symbols[symbol]?.last_ms ?? parentEnd ?? undefined
        : undefined,
      scaler: parent?.preprocessor.scaler,
      returnScale: parent?.preprocessor.returnScale,
    });
  } catch (error) {
    if (error instanceof DatasetError || error instanceof SplitError) {
      throw new CommandError(
        error.message,
        parent ? `there may be too little data since ${parent.version}; collect more first` : undefined,
      );
    }
    throw error;
  }
  dataLines(data).forEach((line) => io.out(line));

  const modelType = parent ? parent.preprocessor.modelType : opts.model;
  let model: tf.LayersModel, modelConfig: unknown;
  if (parent) {
    model = parent.model;
    modelConfig = parent.modelConfig;
  } else {
    model = buildModel(newModelConfig!, opts.seed);
    modelConfig = newModelConfig;
  }
  const scaling: Scaling = {
    scaler: data.scaler,
    clip: parent?.preprocessor.clip ?? opts.clip,
    returnScale: data.returnScale,
  };
  const config = trainConfigOf(opts, data);
  io.out(
    `model: ${modelType}, ${model.countParams().toLocaleString("en-US")} parameters; class weights ` +
      config.classWeights.map((w, k) => `${CLASSES[k]} ${w.toFixed(3)}`).join(", "),
  );

  const result = await trainModel(model, data, scaling, config, {
    log: io.out,
    progress: io.progress,
    signal: io.signal,
    afterBatch: io.afterBatch,
  });
  if (result.bestEpoch === null) {
    throw new CommandError("training was interrupted before its first batch finished; nothing was saved");
  }
  const interrupted = result.stopReason === "interrupted";
  io.out(
    `${
      interrupted ? "interrupted" : result.stopReason === "early_stopping" ? "early stopping" : "done"
    } after ${result.history.length} epochs; best epoch ${result.bestEpoch} (its weights are kept)`,
  );

  io.out(
    `evaluating on the test split (${data.test.size.toLocaleString("en-US")} windows) and the baselines …`,
  );
  const test = await evaluateModel(
    model,
    data.test,
    evaluationOrder(data.test.size, seededRng(0)),
    data,
    scaling,
    {
      classWeights: config.classWeights,
      regressionWeight: config.regressionWeight,
      batchSize: config.evalBatchSize,
    },
  );
  const baselines = evaluateBaselines(data, scaling, { seed: opts.seed });
  metricsTable([
    ["model", test.metrics],
    ["majority", baselines.majority],
    ["persistence", baselines.persistence],
    ["logistic_regression", baselines.logistic_regression],
  ]).forEach((line) => io.out(line));

  const preprocessor: Preprocessor = {
    modelType,
    featureNames: [...FEATURE_NAMES],
    lookback: data.lookback,
    horizon: data.horizon,
    labelRule: data.labelRule,
    classes: [...CLASSES],
    scaler: data.scaler,
    clip: scaling.clip,
    returnScale: data.returnScale,
    temperature: 1,
  };
  const written = await writeVersion(opts.checkpoints, {
    model,
    preprocessor,
    history: historyOf(result),
    metrics: { split: "test", test: test.metrics, test_loss: test.loss, baselines },
    manifest: {
      parent: parent?.version ?? null,
      candlecast_version: VERSION,
      model_type: modelType,
      model_class: MODEL_CLASS_NAMES[modelType],
      data: describeData(opts.data, data, split, parentEnd),
      symbols: data.symbols.map((s) => s.symbol),
      interval: intervalOf(series.map((s) => s.openTime)),
      hyperparameters: {
        model: modelConfig,
        training: finiteOrNull(config),
        class_weighting: opts.classWeights,
        lookback: data.lookback,
        horizon: data.horizon,
        label_rule: data.labelRule,
        clip: scaling.clip,
      },
      backend: backend.backend,
      device: backend.device,
      training: {
        epochs_run: result.history.length,
        best_epoch: result.bestEpoch,
        stop_reason: result.stopReason,
        seconds: Math.round((performance.now() - started) / 1000),
      },
    },
    exportOnnx: async (version) => {
      const bytes = exportOnnx(model, preprocessor, { version });
      const check = await checkExport(model, preprocessor, bytes);
      if (!check.ok) {
        const diffs = Object.entries(check.maxDiff).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(", ");
        throw new Error(
          `model.onnx does not match the trained model on ONNX Runtime (max differences: ${diffs})`,
        );
      }
      return bytes;
    },
  });
  model.dispose();

  const promoted = opts.promote && !interrupted && !written.onnxError;
  if (promoted) await promote(opts.checkpoints, written.version);
  io.out(
    `saved ${written.dir}${
      promoted ? `; ${join(opts.checkpoints, "current")} → ${written.version}` : " (not promoted)"
    }`,
  );
  return { version: written.version, dir: written.dir, promoted, interrupted, onnxError: written.onnxError };
}
