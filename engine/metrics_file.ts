/**
 * A version's metrics.json as its readers need it: the test split's scores under argmax (`test`) and under the
 * version's served decision rule (`served`), parsed once with one schema. Scores a file lacks (older versions,
 * hand-made ones) are absent rather than a failure: metrics.json informs, it never decides whether a version
 * can serve. A file holding a score no scoring gives (`macro_f1: -5`, `log_loss: -1e308`) is damaged, and read
 * as a missing one is (`SCORE_BOUNDS`).
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

/**
 * The range of every score of that name, wherever it stands in metrics.json (`test`, `served.metrics`, each
 * baseline, `per_class`): shares and their means in [0, 1], a log-loss ≥ 0 and finite (JSON's 1e400 reads as
 * Infinity), a three-class Brier score in [0, 2], a window count a whole number. null (what JSON.stringify
 * writes for a NaN: a class never predicted) is no score, as before.
 */
const SCORE_BOUNDS: Readonly<Record<string, { min: number; max: number; integer?: true }>> = {
  accuracy: { min: 0, max: 1 },
  macro_f1: { min: 0, max: 1 },
  precision: { min: 0, max: 1 },
  recall: { min: 0, max: 1 },
  f1: { min: 0, max: 1 },
  ece: { min: 0, max: 1 },
  confidence_ece: { min: 0, max: 1 },
  log_loss: { min: 0, max: Number.MAX_VALUE },
  brier: { min: 0, max: 2 },
  windows: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
};

/** The place of the first score in `value` outside its SCORE_BOUNDS ("test.macro_f1"), or null. */
function impossibleScore(value: unknown, at = ""): string | null {
  if (value === null || typeof value !== "object") return null;
  for (const [key, v] of Object.entries(value)) {
    const path = at === "" ? key : `${at}.${key}`;
    const bound = Object.hasOwn(SCORE_BOUNDS, key) ? SCORE_BOUNDS[key] : undefined;
    if (bound && typeof v === "number") {
      if (!(v >= bound.min && v <= bound.max) || (bound.integer && !Number.isInteger(v))) return path;
    } else {
      const inner = impossibleScore(v, path);
      if (inner !== null) return inner;
    }
  }
  return null;
}

/**
 * `json` (a metrics.json's content) through the schema; null when it is not an object, or when it holds a
 * score no scoring gives (`impossibleScore`): such a file is damaged, read as absent like one that is not JSON.
 * Before, `models list` showed a macro-F1 of −5.0000 and `monitor` compared live scores with a log-loss of
 * −1e308; a `served` part alone set aside would have had them fall back to the argmax `test` scores, another
 * rule's.
 */
export function parseMetricsFile(json: unknown): MetricsFile | null {
  if (impossibleScore(json) !== null) return null;
  const parsed = MetricsFileSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}
