/**
 * What monitor reads besides the candles: the prediction log as one snapshot of its files, and each version
 * the log names (its preprocessor, the test scores live ones are compared with, and how far its data went).
 */
import type { TestScores } from "../../ml/monitor/index.ts";
import {
  type MetricsFile,
  parseMetricsFile,
  type Preprocessor,
  readMetricsFile,
  readPreprocessorFile,
} from "../../engine/index.ts";
import { readManifest, seenUntilOf } from "../../ml/checkpoints/index.ts";
import { type PredictionLogSnapshot, snapshotPredictionLog } from "../../server/index.ts";
import { CommandError } from "../errors.ts";

/** The log and its rotated files (`path.1` …) as they are now. */
export async function openPredictions(path: string): Promise<PredictionLogSnapshot> {
  const log = await snapshotPredictionLog(path);
  if (log.files === 0) {
    log.close();
    throw new CommandError(
      `${path}: no prediction log`,
      "serve writes it (--predictions-log); point --predictions at it",
    );
  }
  return log;
}

/** Whether the log holds a prediction; when not, how many of its lines were not one (0: it is empty). */
export async function hasRecords(log: PredictionLogSnapshot): Promise<{ records: boolean; skipped: number }> {
  const counts = { skipped: 0 };
  for await (const _ of log.batches(counts)) return { records: true, skipped: counts.skipped };
  return { records: false, skipped: counts.skipped };
}

/** What monitor needs of a version the log names. */
export interface VersionFacts {
  readonly preprocessor: Preprocessor;
  readonly test?: TestScores;
  /** The open time of the newest candle the version's training may have seen (null: unknown). */
  readonly seenUntil: number | null;
  readonly interval: string | null;
  readonly createdAt: string | null;
}

/** A version's preprocessor, test scores and data span; null when it cannot be read (scored as unknown). */
export async function readVersion(dir: string): Promise<VersionFacts | null> {
  try {
    const preprocessor = await readPreprocessorFile(dir);
    // A missing, damaged or changed metrics.json leaves the version without a yardstick, not its predictions
    // unscored (a score edited since training would decide whether --fail-on-warning warns).
    const manifest = await readManifest(dir).catch(() => null);
    const metrics = await readMetricsFile(dir, manifest?.files);
    return {
      preprocessor,
      test: testScores(metrics),
      // What evaluate --checkpoint and retrain take as seen: its split's test start, else its data's end. A
      // version's test split is not fit on, so a prediction about those candles is scored (by the data's end,
      // a trader replaying the test months was told they were candles "their version was trained on").
      seenUntil: manifest ? seenUntilOf(manifest) ?? null : null,
      interval: manifest?.interval ?? null,
      createdAt: manifest?.created_at ?? null,
    };
  } catch {
    return null;
  }
}

/** The three scores monitor compares, when a metrics.json part has them all. */
function scored(m: MetricsFile["test"]): Omit<TestScores, "rule"> | undefined {
  return m && m.macro_f1 !== undefined && m.log_loss !== undefined && m.accuracy !== undefined
    ? { macro_f1: m.macro_f1, log_loss: m.log_loss, accuracy: m.accuracy }
    : undefined;
}

/**
 * The yardstick for a version's live scores. Live predictions are scored by the class `serve` named (the
 * logged `prediction`, under the version's decision rule), so they are compared with the test split scored
 * under that same rule (`served.metrics`); a version written before `served` existed has argmax `test`
 * figures only, and argmax was then what serve answered.
 */
export function testScores(metrics: unknown): TestScores | undefined {
  const m = parseMetricsFile(metrics);
  const served = m?.served ? scored(m.served.metrics) : undefined;
  if (m?.served && served) {
    const ece = m.served.confidence_ece;
    return { ...served, rule: m.served.rule, ...(ece !== undefined ? { ece } : {}) };
  }
  return scored(m?.test);
}
