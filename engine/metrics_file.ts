/**
 * A version's metrics.json as its readers need it: the test split's scores under argmax (`test`) and under the
 * version's served decision rule (`served`), parsed once with one schema. Scores a file lacks (older versions,
 * hand-made ones) are absent rather than a failure: metrics.json informs, it never decides whether a version
 * can serve.
 */
import { join } from "node:path";
import { z } from "zod";
import { sha256Hex } from "./manifest.ts";
import { readRegularFile } from "../base/index.ts";

const ScoresSchema = z.object({
  accuracy: z.number().optional(),
  macro_f1: z.number().optional(),
  log_loss: z.number().optional(),
  windows: z.number().optional(),
}).loose();

/** metrics.json's scores; a `test` or `served` entry that does not parse reads as absent, not as an error. */
export const MetricsFileSchema = z.object({
  test: ScoresSchema.optional().catch(undefined),
  served: z.object({
    rule: z.string(),
    metrics: ScoresSchema,
    /** The calibration of what serve sends as `confidence` (the served class's probability): monitor's ECE. */
    confidence_ece: z.number().optional().catch(undefined),
  }).loose().optional().catch(undefined),
}).loose();

export type MetricsFile = z.infer<typeof MetricsFileSchema>;

/**
 * The parsed metrics.json of version folder `dir`; null when it is missing or not JSON, or when `files` (the
 * manifest's sha256 per file) lists it and it no longer hashes so: a score edited since training is not the
 * version's, and what states or compares against it (`/model/info`, `monitor`) must not take it as such.
 */
export async function readMetricsFile(
  dir: string,
  files?: Readonly<Record<string, string>>,
): Promise<MetricsFile | null> {
  let bytes: Uint8Array;
  try {
    // Looked at before it is opened: a FIFO of that name hung models list and predict (read as absent).
    bytes = await readRegularFile(join(dir, "metrics.json"));
  } catch {
    return null;
  }
  const hash = files?.["metrics.json"];
  if (hash !== undefined && (await sha256Hex(bytes)) !== hash) return null;
  try {
    return parseMetricsFile(JSON.parse(new TextDecoder().decode(bytes)));
  } catch {
    return null;
  }
}

/** `json` (a metrics.json's content) through the schema; null when it is not an object. */
export function parseMetricsFile(json: unknown): MetricsFile | null {
  const parsed = MetricsFileSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}
