/**
 * One training run's whole configuration (nanoGPT style: one object, one schema): the model's shape, how it is
 * trained, and what data it sees. `train` and `evaluate` build it from flags in one place, `train` writes it
 * whole into manifest.json (`hyperparameters`), and `--incremental`, `--config-from`, `retrain` and
 * `evaluate --checkpoint` read it back.
 *
 * The window length lives in `model.lookback` only (the model is built for it); the rest of the window's shape
 * (horizon, label rule, input clipping) and the split are `data`.
 */
import { z } from "zod";
import { DEFAULT_LABEL_RULE, DEFAULT_LOOKBACK, type LabelRule } from "../../features/index.ts";
import { LabelRuleSchema, MODEL_TYPES, type ModelType } from "../../engine/index.ts";
import {
  AUXILIARY_HORIZONS,
  CLASS_WEIGHTINGS,
  type ClassWeighting,
  classWeights,
  DEFAULT_SPLIT,
  type SplitRule,
  type WindowShape,
} from "../data/index.ts";
import { VOLATILITY_REFERENCES } from "../layers/index.ts";
import { defaultModelConfig, HEAD_INPUTS, type ModelConfig } from "../models/index.ts";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "./config.ts";
import { LR_SCHEDULES } from "./schedule.ts";

/** How to train: `TrainConfig` with the class-weighting rule in place of the weights it gives on a split. */
export interface TrainingRecipe extends Omit<TrainConfig, "classWeights"> {
  readonly classWeighting: ClassWeighting;
}

export interface DataConfig {
  /** Candles ahead the label looks. */
  readonly horizon: number;
  readonly labelRule: LabelRule;
  /** Standardised inputs (and return targets) are clipped to ±clip. */
  readonly clip: number;
  /** How the windows are cut into train/validation/test (fractions: at dates common to every symbol). */
  readonly split: SplitRule;
}

export interface RunConfig {
  readonly model: ModelConfig;
  readonly training: TrainingRecipe;
  readonly data: DataConfig;
}

/** The architecture when a run gives no `--model`. */
export const DEFAULT_MODEL_TYPE: ModelType = "transformer_lstm";

/** Labels 4 candles ahead by the default rule, features clipped to ±5 after scaling, the default split. */
export const DEFAULT_DATA_CONFIG: DataConfig = {
  horizon: 4,
  labelRule: DEFAULT_LABEL_RULE,
  clip: 5,
  split: DEFAULT_SPLIT,
};

/** The loop's defaults, with unweighted classes. */
export const DEFAULT_TRAINING_RECIPE: TrainingRecipe = { ...DEFAULT_TRAIN_CONFIG, classWeighting: "none" };

/** The default recipe for a model type and window length. */
export function defaultRunConfig(
  type: ModelType = DEFAULT_MODEL_TYPE,
  lookback = DEFAULT_LOOKBACK,
): RunConfig {
  return {
    model: defaultModelConfig(type, lookback),
    training: DEFAULT_TRAINING_RECIPE,
    data: DEFAULT_DATA_CONFIG,
  };
}

/** The loop's config: the recipe with class weights from the training split's class counts. */
export function trainConfigOf(recipe: TrainingRecipe, trainClassCounts: readonly number[]): TrainConfig {
  const { classWeighting, ...rest } = recipe;
  return { ...rest, classWeights: classWeights(trainClassCounts, classWeighting) };
}

/** The lookback, horizon and label rule the config's windows are cut and labelled with. */
export function windowShapeOf(config: RunConfig): WindowShape {
  return { lookback: config.model.lookback, horizon: config.data.horizon, labelRule: config.data.labelRule };
}

// JSON has no Infinity: "no limit" is written as null and read back as Infinity.
const unlimited = z.number().positive().nullable().transform((v) => v ?? Infinity);
const positiveInt = z.number().int().positive();
const nonNegative = z.number().min(0);

/**
 * The model config as manifest.json stores it; options added later default to how older versions were built.
 */
export const ModelConfigSchema = z.object({
  type: z.enum(MODEL_TYPES),
  lookback: z.number().int().min(2),
  features: positiveInt,
  dModel: positiveInt,
  heads: positiveInt,
  ffnDim: positiveInt,
  encoderLayers: z.number().int().min(0),
  lstmHidden: positiveInt,
  lstmLayers: positiveInt,
  dropout: nonNegative.lt(1),
  // Absent in configs written before ensembles (the first round's): one model.
  members: positiveInt.default(1),
  // Absent in configs written before the channels existed: off.
  volatilityChannels: z.boolean().default(false),
  // Absent in configs written before the option: each candle's own volatility.
  volatilityReference: z.enum(VOLATILITY_REFERENCES).default("candle"),
  // Absent in configs written before the option: the pooled summary alone.
  headInput: z.enum(HEAD_INPUTS).default("pooled"),
  // Absent in configs written before the option (and when every member reads the whole window).
  memberLookbacks: z.array(z.number().int().min(2)).min(1).optional(),
  // Absent in configs written before the option, and when the version serves the network alone.
  boostingBlend: z.number().gt(0).lt(1).optional(),
});

/**
 * The training recipe as manifest.json stores it (null for "no limit"); options added later default to how
 * older versions trained.
 */
export const TrainingRecipeSchema = z.object({
  epochs: positiveInt,
  batchSize: positiveInt,
  learningRate: z.number().positive(),
  schedule: z.enum(LR_SCHEDULES),
  warmupSteps: z.number().int().min(0),
  weightDecay: nonNegative,
  clipNorm: unlimited,
  patience: positiveInt,
  minDelta: nonNegative,
  labelSmoothing: nonNegative.lt(1),
  // Absent in configs written before the option: no distillation, as they trained.
  distillWeight: nonNegative.lt(1).default(0),
  regressionWeight: nonNegative,
  auxiliaryWeight: nonNegative,
  // Absent in configs written before the option: the label's horizon only.
  auxiliaryHorizons: z.enum(AUXILIARY_HORIZONS).default("label"),
  maxWindowsPerEpoch: unlimited,
  // Absent in configs written before the option: no fraction limit, as they trained.
  epochFraction: z.number().positive().max(1).default(1),
  // Absent in configs written before the option: uniform draws (null in JSON: off).
  recencyHalfLife: unlimited.default(Infinity),
  maxValidationWindows: unlimited,
  evalBatchSize: positiveInt,
  seed: z.number().int().min(0),
  classWeighting: z.union([z.enum(CLASS_WEIGHTINGS), z.number().min(0).max(1)]),
});

const SplitRuleSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("fractions"), train: z.number().positive(), validation: z.number().positive() }),
  z.object({ kind: z.literal("dates"), validationStart: z.number(), testStart: z.number() }),
]);

/**
 * The data config as manifest.json stores it: horizon, label rule, clip and split (by fractions or by dates).
 */
export const DataConfigSchema = z.object({
  horizon: positiveInt,
  labelRule: LabelRuleSchema,
  clip: z.number().positive(),
  split: SplitRuleSchema,
});

/** manifest.json's `hyperparameters` as written since the one configuration (older manifests: see checkpoints). */
export const RunConfigSchema = z.object({
  model: ModelConfigSchema,
  training: TrainingRecipeSchema,
  data: DataConfigSchema,
});

/** The config as JSON (Infinity → null), the form `RunConfigSchema` reads back. */
export function runConfigJson(config: RunConfig): Record<string, unknown> {
  const finite = (o: object) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v === Infinity ? null : v]));
  return {
    model: { ...config.model },
    training: finite(config.training),
    data: structuredClone(config.data),
  };
}
