/** From flags to the typed configs the ml modules take: model size, training, label rule, split. */
import type { LabelRule } from "../../features/index.ts";
import { classWeights, type Dataset, DEFAULT_SPLIT, type SplitRule } from "../../ml/data/index.ts";
import { defaultModelConfig, type ModelConfig, modelConfigProblem } from "../../ml/models/index.ts";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../ml/train/index.ts";
import { UsageError } from "../errors.ts";
import type { TrainOptions } from "./options.ts";

const MODEL_FLAGS: Record<string, string> = {
  dModel: "--d-model",
  heads: "--heads",
  ffnDim: "--ffn",
  encoderLayers: "--encoder-layers",
  lstmHidden: "--lstm-hidden",
  lstmLayers: "--layers",
  dropout: "--dropout",
  members: "--members",
  lookback: "--lookback",
};

/** The model's config from the size flags; a size the builder refuses is a usage error naming the flags. */
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
    members: opts.members ?? base.members,
    volatilityChannels: opts.volatilityChannels ?? base.volatilityChannels,
  };
  const problem = modelConfigProblem(config);
  if (problem) {
    const flagged = problem.replace(
      /\b(dModel|heads|ffnDim|encoderLayers|lstmHidden|lstmLayers|dropout|members|lookback)\b/g,
      (k) => MODEL_FLAGS[k],
    );
    throw new UsageError(`model size: ${flagged}`, "run 'candlecast train --help' for the model size flags");
  }
  return config;
}

export function trainConfigOf(opts: TrainOptions, data: Dataset): TrainConfig {
  return {
    ...DEFAULT_TRAIN_CONFIG,
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    learningRate: opts.learningRate,
    schedule: opts.schedule,
    warmupSteps: opts.warmupSteps,
    weightDecay: opts.weightDecay,
    clipNorm: opts.clipNorm,
    patience: opts.patience,
    classWeights: classWeights(data.trainClassCounts, opts.classWeights),
    labelSmoothing: opts.labelSmoothing,
    regressionWeight: opts.regressionWeight,
    auxiliaryWeight: opts.auxiliaryWeight,
    maxWindowsPerEpoch: opts.maxWindowsPerEpoch,
    maxValidationWindows: opts.maxValidationWindows,
    seed: opts.seed,
  };
}

export function labelRuleOf(opts: TrainOptions): LabelRule {
  return opts.threshold !== undefined
    ? { kind: "fixed", threshold: opts.threshold }
    : { kind: "volatility", multiplier: 0.5 };
}

export function splitRuleOf(opts: TrainOptions): SplitRule {
  return opts.splitDates
    ? {
      kind: "dates",
      validationStart: opts.splitDates.validationStart,
      testStart: opts.splitDates.testStart,
    }
    : DEFAULT_SPLIT;
}
