/** `evaluate`'s flags as one typed object, parsed once at the edge. */
import { z } from "zod";
import { flag } from "../flags.ts";
import { MODEL_TYPES } from "../../engine/index.ts";
import { BACKEND_NAMES } from "../../ml/runtime/index.ts";
import { CLASS_WEIGHTINGS } from "../../ml/data/index.ts";
import { RETRAIN_MODES } from "../../ml/evaluate/index.ts";

const probability = (what: string) =>
  z.coerce.number({ error: `expected ${what}` }).gt(0, `expected ${what}`).lt(1, `expected ${what}`);

export const EvaluateFlagsSchema = z.object({
  data: z.string().min(1),
  checkpoint: z.string().min(1).optional(),
  model: z.enum(MODEL_TYPES),
  folds: flag.positiveInt(),
  validationMonths: flag.positiveInt(),
  /** Unset: `monthly` when training fresh models, `none` for a checkpoint. */
  retrain: z.enum(RETRAIN_MODES).optional(),
  outputDir: z.string().min(1),
  lookback: flag.positiveInt().refine((n) => n >= 2, "expected at least 2 candles"),
  horizon: flag.positiveInt(),
  epochs: flag.positiveInt(),
  batchSize: flag.positiveInt(),
  learningRate: flag.positiveNumber(),
  patience: flag.positiveInt(),
  maxWindowsPerEpoch: flag.positiveInt(),
  maxValidationWindows: flag.positiveInt(),
  classWeights: z.enum(CLASS_WEIGHTINGS),
  clip: flag.positiveNumber(),
  lightweightBaseline: z.boolean().default(true),
  tradeThreshold: probability("a probability between 0 and 1, e.g. 0.4"),
  fee: z.coerce.number({ error: "expected a fee fraction, e.g. 0.001" }).min(0, "expected a fee ≥ 0").lt(
    0.5,
    "expected a fee fraction below 0.5 (0.001 = 0.1 %)",
  ),
  short: z.boolean().default(false),
  bootstrap: flag.positiveInt("a number of resamples ≥ 1"),
  seed: flag.nonNegativeInt(),
  backend: z.enum(BACKEND_NAMES),
});

export type EvaluateOptions = z.infer<typeof EvaluateFlagsSchema>;
