/**
 * `train`'s flags as one typed object: commander hands over strings, this schema turns them into numbers,
 * enums and dates once, and everything below works with `TrainOptions`. The run configuration's flags (model
 * shape, training, data) are `../run_config_flags.ts`'s, shared with `evaluate`; absent means "not typed".
 */
import { z } from "zod";
import { backendFlag } from "../backend_flag.ts";
import { flag } from "../flags.ts";
import { workersFlag } from "../workers_flag.ts";
import { RunConfigFlagsSchema } from "../run_config_flags.ts";

export const TrainFlagsSchema = z.object({
  data: flag.filePath(),
  checkpoints: flag.folderPath(),
  incremental: z.boolean().default(false),
  /** A version folder whose recorded run configuration a new run starts from (typed flags override it). */
  configFrom: flag.folderPath().optional(),
  workers: workersFlag(),
  backend: backendFlag(),
  promote: z.boolean().default(true),
  /** Serve a blend of the network and gradient boosting (true), the network alone (false), or as recorded. */
  blendBoosting: z.boolean().optional(),
}).extend(RunConfigFlagsSchema.shape);

export type TrainOptions = z.infer<typeof TrainFlagsSchema>;
