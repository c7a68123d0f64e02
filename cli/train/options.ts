/**
 * `train`'s flags as one typed object: commander hands over strings, this schema turns them into numbers,
 * enums and dates once, and everything below works with `TrainOptions`.
 */
import { z } from "zod";
import { flag, splitList } from "../flags.ts";
import { MODEL_TYPES } from "../../engine/index.ts";
import { BACKEND_NAMES } from "../../ml/runtime/index.ts";
import { CLASS_WEIGHTINGS } from "../../ml/data/index.ts";
import { DEFAULT_TRAIN_CONFIG as D, LR_SCHEDULES } from "../../ml/train/index.ts";

const optionalPositiveInt = (what?: string) => flag.positiveInt(what).optional();
const fraction = (what: string) =>
  z.coerce.number({ error: `expected ${what}` }).min(0, `expected ${what}`).lt(1, `expected ${what}`);

const splitDates = z.union([z.string(), z.array(z.string())]).optional().transform((value, ctx) => {
  if (value === undefined) return undefined;
  const parts = splitList(value);
  const dates = parts.map((p) => flag.date().safeParse(p));
  if (parts.length !== 2 || dates.some((d) => !d.success)) {
    ctx.addIssue({
      code: "custom",
      message: "expected two dates YYYY-MM-DD,YYYY-MM-DD (validation start, test start)",
    });
    return z.NEVER;
  }
  const [validationStart, testStart] = parts.map((p) => Date.parse(p + "T00:00:00Z"));
  if (!(validationStart < testStart)) {
    ctx.addIssue({ code: "custom", message: "the validation start must come before the test start" });
    return z.NEVER;
  }
  return { validationStart, testStart, text: parts as [string, string] };
});

const WEIGHTING_MESSAGE = `expected ${CLASS_WEIGHTINGS.join(", ")} or a power between 0 and 1`;

export const TrainFlagsSchema = z.object({
  data: z.string().min(1),
  model: z.enum(MODEL_TYPES),
  batchSize: flag.positiveInt(),
  epochs: flag.positiveInt(),
  learningRate: flag.positiveNumber(),
  schedule: z.enum(LR_SCHEDULES).default(D.schedule),
  weightDecay: z.coerce.number({ error: "expected a number ≥ 0" }).min(0, "expected a number ≥ 0")
    .default(D.weightDecay),
  auxiliaryWeight: z.coerce.number({ error: "expected a number ≥ 0" }).min(0, "expected a number ≥ 0")
    .default(D.auxiliaryWeight),
  patience: flag.positiveInt(),
  lookback: flag.positiveInt().refine((n) => n >= 2, "expected at least 2 candles"),
  horizon: flag.positiveInt(),
  checkpoints: z.string().min(1),
  seed: flag.nonNegativeInt(),
  incremental: z.boolean().default(false),
  workers: optionalPositiveInt(),
  backend: z.enum(BACKEND_NAMES),
  splitDates,
  maxWindowsPerEpoch: flag.positiveInt().default(D.maxWindowsPerEpoch),
  maxValidationWindows: flag.positiveInt().default(D.maxValidationWindows),
  promote: z.boolean().default(true),
  threshold: flag.positiveNumber("a positive return fraction, e.g. 0.005").optional(),
  dModel: optionalPositiveInt(),
  heads: optionalPositiveInt(),
  ffn: optionalPositiveInt(),
  encoderLayers: optionalPositiveInt(),
  lstmHidden: optionalPositiveInt(),
  layers: optionalPositiveInt(),
  dropout: fraction("a dropout rate in [0, 1)").optional(),
  members: optionalPositiveInt(),
  volatilityChannels: z.boolean().optional(),
  classWeights: z.union([
    z.enum(CLASS_WEIGHTINGS),
    z.coerce.number().min(0, WEIGHTING_MESSAGE).max(1, WEIGHTING_MESSAGE),
  ], { error: WEIGHTING_MESSAGE }),
  labelSmoothing: fraction("a label smoothing ε in [0, 1)"),
  warmupSteps: flag.nonNegativeInt(),
  clipNorm: flag.positiveNumber(),
  regressionWeight: z.coerce.number({ error: "expected a number ≥ 0" }).min(0, "expected a number ≥ 0"),
  clip: flag.positiveNumber(),
});

export type TrainOptions = z.infer<typeof TrainFlagsSchema>;

/** Flags that shape the model or its input; `--incremental` keeps the parent's and refuses new ones. */
export const SHAPE_FLAGS = [
  "model",
  "lookback",
  "horizon",
  "threshold",
  "dModel",
  "heads",
  "ffn",
  "encoderLayers",
  "lstmHidden",
  "layers",
  "dropout",
  "members",
  "volatilityChannels",
  "clip",
] as const;
