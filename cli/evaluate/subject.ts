/**
 * The model under evaluation (`Subject`): trained from scratch in the folds from the flags (`freshSubject`), or
 * a version (`checkpointSubject`), its files first checked against its manifest, kept as it is on ONNX Runtime,
 * fine-tuned weekly, or rebuilt monthly from its recorded configuration.
 */
import { type CandleSeries, otherInterval } from "../../features/index.ts";
import { plural } from "../../base/index.ts";
import { CommandError, UsageError } from "../errors.ts";
import {
  type Blend,
  blendWords,
  type DecisionRule,
  effectiveRule,
  loadPredictor,
  type Predictor,
  type Preprocessor,
  readPreprocessorFile,
  TRAINED_DECISION_RULE,
  verifyCheckpointFiles,
} from "../../engine/index.ts";
import type { LayersModel } from "../../ml/runtime/index.ts";
import { recordedRunConfig, type RunConfig, windowShapeOf } from "../../ml/train/index.ts";
import { loadModel, MODEL_JSON, type ModelConfig, WEIGHTS_BIN } from "../../ml/models/index.ts";
import { readManifest, seenUntilOf } from "../../ml/checkpoints/index.ts";
import { type Learner, NetworkLearner, OnnxLearner, type RetrainMode } from "../../ml/evaluate/index.ts";
import type { WindowShape } from "../../ml/data/index.ts";
import type { EvaluateIo, EvaluateOptions } from "./options.ts";
import { runConfigOf } from "../run_config_flags.ts";
import { trainingCores } from "../workers_flag.ts";

/** The model under evaluation, its configuration and input shape, and what to release afterwards. */
export interface Subject {
  readonly learner: Learner;
  /** How it is (re)trained in the folds: the flags', or a checkpoint's recorded one with typed flags over it. */
  readonly config: RunConfig;
  /**
   * A checkpoint kept as it is (`--retrain none`): the configuration its manifest records. evaluation.json's
   * `settings.config` says this one: `config` carries the flags typed over it (`--seed`), which reach only the
   * baselines, and read as the checkpoint's own they described a training it never had.
   */
  readonly recorded?: RunConfig;
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
  /**
   * The learner already serves a blend with gradient boosting (a blended checkpoint's model.onnx, kept as it
   * is): the summary then blends nothing more, and the run says its scores are the blend's.
   */
  readonly servesBlend?: Blend;
  readonly close: () => Promise<void>;
}

/** A network learner's options: the run configuration's recipe and clipping, and where it reports. */
export function networkOptions(opts: EvaluateOptions, io: EvaluateIo, name: string, config: RunConfig) {
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

export function freshSubject(opts: EvaluateOptions, io: EvaluateIo): Subject {
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
  await verifyCheckpointFiles(dir, READS[retrain]);
}

/** A version as evaluate reads it: its files checked, its preprocessor, manifest and configuration. */
interface VersionRead {
  readonly dir: string;
  readonly retrain: RetrainMode;
  readonly preprocessor: Preprocessor;
  readonly manifest: Awaited<ReturnType<typeof readManifest>>;
  /** `modelType@version`, as the tables name it. */
  readonly name: string;
  readonly recorded: RunConfig;
  readonly config: RunConfig;
  readonly shape: WindowShape;
  readonly seenUntil: number | undefined;
  readonly facts: [string, string][];
  /** The manifest records no valid architecture (`--retrain monthly` cannot rebuild it). */
  readonly modelUnreadable?: boolean;
}

export async function checkpointSubject(
  dir: string,
  opts: EvaluateOptions,
  io: EvaluateIo,
  series: readonly CandleSeries[],
): Promise<Subject> {
  const version = await readVersion(dir, opts, series);
  return version.retrain === "none"
    ? await servedSubject(version)
    : await retrainedSubject(version, opts, io);
}

async function readVersion(
  dir: string,
  opts: EvaluateOptions,
  series: readonly CandleSeries[],
): Promise<VersionRead> {
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
  return {
    dir,
    retrain,
    preprocessor,
    manifest,
    name,
    recorded: recorded.config,
    ...(recorded.derived.includes("model") ? { modelUnreadable: true } : {}),
    config,
    shape: windowShapeOf(config),
    seenUntil: newestSeen(manifest),
    facts: [["model", `${name} (${dir})`]],
  };
}

/** `--retrain none`: the version's model.onnx on ONNX Runtime, exactly as served, under its own rule. */
async function servedSubject(v: VersionRead): Promise<Subject> {
  let predictor: Predictor;
  try {
    predictor = await loadPredictor(v.dir);
  } catch (error) {
    const hint = (error as { hint?: string }).hint;
    throw new CommandError((error as Error).message, hint);
  }
  const blend = v.preprocessor.blend;
  v.facts.push([
    "inference",
    "the checkpoint's model.onnx on ONNX Runtime, exactly as served; never retrained" +
    (blend ? ` (a blend: ${blendWords(blend)})` : ""),
  ]);
  return {
    learner: new OnnxLearner(v.name, predictor),
    config: v.config,
    recorded: v.recorded,
    shape: v.shape,
    clip: v.preprocessor.clip,
    retrain: v.retrain,
    facts: v.facts,
    seenUntil: v.seenUntil,
    // preprocessor.json's schema refuses the prior rule without its priors (readPreprocessor, above).
    decisionRule: effectiveRule("version", v.preprocessor.decisionRule),
    ...(blend ? { servesBlend: blend } : {}),
    close: () => predictor.close(),
  };
}

/** `--retrain weekly` (fine-tuned from the version's weights) or `monthly` (rebuilt from its architecture). */
async function retrainedSubject(v: VersionRead, opts: EvaluateOptions, io: EvaluateIo): Promise<Subject> {
  const { name, config, retrain } = v;
  let modelConfig: ModelConfig | undefined;
  if (retrain === "monthly") {
    if (v.modelUnreadable) {
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
    model = await loadModel(v.dir);
  } catch (error) {
    throw new CommandError(
      `cannot load the tfjs model in ${v.dir}: ${(error as Error).message}`,
      "the version is incomplete; evaluate another one (candlecast models list) or train again",
    );
  }
  v.facts.push([
    "retraining",
    retrain === "weekly"
      ? "the checkpoint as it is for the first fold, then fine-tuned on each week entering the training data " +
        "(about --validation-months before the week tested)"
      : `rebuilt from scratch with the checkpoint's configuration before every month (${
        describeModel(config.model)
      })`,
  ]);
  if (v.preprocessor.blend) {
    v.facts.push([
      "blend",
      `the version serves ${
        blendWords(v.preprocessor.blend)
      }; retrained here, ${name} is scored as the network ` +
      "alone, and the blend table shows it blended with the gradient_boosting baseline, as the version would",
    ]);
  }
  return {
    learner: new NetworkLearner(
      { ...networkOptions(opts, io, name, config), modelConfig },
      { model, preprocessor: v.preprocessor, classWeights: v.manifest.training?.class_weights },
    ),
    config,
    shape: v.shape,
    clip: v.preprocessor.clip,
    retrain,
    facts: v.facts,
    seenUntil: v.seenUntil,
    // Rebuilt or fine-tuned, the models are what `train` writes, whatever rule an older version stored.
    decisionRule: TRAINED_DECISION_RULE,
    close: () => Promise.resolve(),
  };
}
