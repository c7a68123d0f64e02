/**
 * A version's run configuration read back from its manifest.json (`hyperparameters`) and preprocessor.json.
 * Versions written before the one configuration recorded pieces (`model`, the loop's `training` with its class
 * weights, `class_weighting`); what is missing is derived as before: the default recipe, and the window shape
 * from preprocessor.json. The preprocessor always has the last word on the window shape and clipping: it is
 * what the weights were trained and calibrated with.
 */
import { z } from "zod";
import type { Preprocessor } from "../../engine/index.ts";
import { defaultModelConfig, type ModelConfig, modelConfigProblem } from "../models/index.ts";
import type { SplitRule } from "../data/index.ts";
import {
  DEFAULT_DATA_CONFIG,
  DEFAULT_TRAINING_RECIPE,
  ModelConfigSchema,
  type RunConfig,
  RunConfigSchema,
  type TrainingRecipe,
  TrainingRecipeSchema,
} from "./run_config.ts";
import type { ManifestView } from "../checkpoints/index.ts";

export interface RecordedRunConfig {
  readonly config: RunConfig;
  /** Parts the manifest did not record, filled with today's defaults (older versions). */
  readonly derived: readonly ("model" | "training")[];
}

/** `hyperparameters` as versions before the one configuration wrote it (only the parts read back). */
const OlderHyperparametersSchema = z.object({
  model: z.unknown().optional(),
  training: z.unknown().optional(),
  class_weighting: TrainingRecipeSchema.shape.classWeighting.optional(),
}).loose();

/** The split the manifest's `data.split` describes (older versions), or the default. */
function recordedSplit(manifest: ManifestView): SplitRule {
  const split = manifest.data.split as
    | { kind?: string; train?: number; validation?: number; validation_start?: string; test_start?: string }
    | null
    | undefined;
  if (split?.kind === "dates" && split.validation_start && split.test_start) {
    const [validationStart, testStart] = [Date.parse(split.validation_start), Date.parse(split.test_start)];
    if (Number.isFinite(validationStart) && Number.isFinite(testStart)) {
      return { kind: "dates", validationStart, testStart };
    }
  }
  if (split?.kind === "fractions" && split.train && split.validation) {
    return { kind: "fractions", train: split.train, validation: split.validation };
  }
  return DEFAULT_DATA_CONFIG.split;
}

function olderModel(raw: unknown, preprocessor: Preprocessor): ModelConfig | null {
  const parsed = ModelConfigSchema.safeParse(raw);
  if (!parsed.success || modelConfigProblem(parsed.data)) return null;
  return parsed.data.type === preprocessor.modelType ? parsed.data : null;
}

function olderTraining(
  raw: unknown,
  older: z.infer<typeof OlderHyperparametersSchema>,
): TrainingRecipe | null {
  if (raw === undefined || raw === null) return null;
  // One field that does not parse (a future or hand-edited manifest) leaves that field at its default.
  const fields = TrainingRecipeSchema.omit({ classWeighting: true }).shape;
  const known = Object.fromEntries(
    Object.entries(fields).flatMap(([key, schema]) => {
      const value = schema.safeParse((raw as Record<string, unknown>)[key]);
      return value.success ? [[key, value.data]] : [];
    }),
  );
  return {
    ...DEFAULT_TRAINING_RECIPE,
    ...known,
    classWeighting: older.class_weighting ?? DEFAULT_TRAINING_RECIPE.classWeighting,
  };
}

/**
 * The run configuration version `manifest` was trained with: as recorded, or, for older versions, pieced
 * together from what they recorded and today's defaults (named in `derived`). preprocessor.json's window
 * shape, label rule and clip win.
 */
export function recordedRunConfig(manifest: ManifestView, preprocessor: Preprocessor): RecordedRunConfig {
  const hyper = (manifest as { hyperparameters?: unknown }).hyperparameters;
  const fromPreprocessor = {
    horizon: preprocessor.horizon,
    labelRule: preprocessor.labelRule,
    clip: preprocessor.clip,
  };
  const shape = { type: preprocessor.modelType, lookback: preprocessor.lookback };
  const whole = RunConfigSchema.safeParse(hyper);
  if (whole.success) {
    const c = whole.data;
    return {
      config: {
        model: { ...c.model, ...shape },
        training: c.training,
        data: { ...c.data, ...fromPreprocessor },
      },
      derived: [],
    };
  }
  const older = OlderHyperparametersSchema.safeParse(hyper ?? {});
  const pieces = older.success ? older.data : {};
  const model = olderModel(pieces.model, preprocessor);
  const training = typeof pieces.training === "object" ? olderTraining(pieces.training, pieces) : null;
  return {
    config: {
      model: model ? { ...model, ...shape } : defaultModelConfig(shape.type, shape.lookback),
      training: training ?? {
        ...DEFAULT_TRAINING_RECIPE,
        classWeighting: pieces.class_weighting ?? DEFAULT_TRAINING_RECIPE.classWeighting,
      },
      data: { ...fromPreprocessor, split: recordedSplit(manifest) },
    },
    derived: [...(model ? [] : ["model" as const]), ...(training ? [] : ["training" as const])],
  };
}
