/**
 * `evaluate`'s flags as one typed object, parsed once at the edge. The model shape and training flags are
 * `train`'s own (`../run_config_flags.ts`): the same names and defaults; absent means "not typed".
 */
import { z } from "zod";
import { flag } from "../flags.ts";
import { backendFlag } from "../backend_flag.ts";
import { workersFlag } from "../workers_flag.ts";
import { RETRAIN_MODES } from "../../ml/evaluate/index.ts";
import { RunConfigFlagsSchema } from "../run_config_flags.ts";
import type { BatchProgress } from "../../ml/train/index.ts";

const probability = (what: string) => flag.number(what, (n) => n.gt(0).lt(1));

/** The fewest bootstrap resamples `--bootstrap` takes. */
export const MIN_RESAMPLES = 50;

export const EvaluateFlagsSchema = z.object({
  data: flag.filePath(),
  checkpoint: flag.folderPath().optional(),
  folds: flag.positiveInt(),
  validationMonths: flag.positiveInt(),
  /** Unset: `monthly` when training fresh models, `none` for a checkpoint. */
  retrain: z.enum(RETRAIN_MODES).optional(),
  outputDir: flag.folderPath(),
  lightweightBaseline: z.boolean().default(true),
  tradeThreshold: probability("a probability between 0 and 1, e.g. 0.4"),
  fee: flag.number(
    "a fee fraction, e.g. 0.001",
    (n) => n.min(0, "expected a fee ≥ 0").lt(0.5, "expected a fee fraction below 0.5 (0.001 = 0.1 %)"),
  ),
  short: z.boolean().default(false),
  // The interval's width is the resamples' standard deviation, which a handful cannot estimate: one resample
  // gave an interval of zero width and a confident "worse". At 50 that deviation is within ~10 % of itself.
  bootstrap: flag.positiveInt("a whole number of resamples, at least 50").pipe(
    z.number().min(MIN_RESAMPLES, `expected at least ${MIN_RESAMPLES} resamples (the default is 1000)`),
  ),
  backend: backendFlag(),
  workers: workersFlag(),
}).extend(RunConfigFlagsSchema.omit({ splitDates: true }).shape);

export type EvaluateOptions = z.infer<typeof EvaluateFlagsSchema>;

/** Where an evaluation reports: its lines, warnings, the batch progress bar, and Ctrl-C. */
export interface EvaluateIo {
  readonly out: (line: string) => void;
  readonly warn?: (line: string) => void;
  readonly progress?: BatchProgress;
  readonly signal?: AbortSignal;
}
