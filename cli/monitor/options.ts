/** `monitor`'s flags as one typed object, parsed once at the edge. */
import { z } from "zod";

export const MonitorFlags = z.object({
  data: z.string().min(1, "expected a training CSV"),
  predictions: z.string().min(1, "expected a file path"),
  checkpoints: z.string().min(1, "expected a folder"),
  failOnWarning: z.boolean().default(false),
  json: z.boolean().default(false),
});
export type MonitorOptions = z.infer<typeof MonitorFlags>;
