/**
 * manifest.json (SPEC §7): what a version is and where it came from. Written once by the checkpoint writer;
 * read back (schema-checked, through the engine's reader) by `models list` and by `train --incremental`, which
 * needs the parent's data end.
 */
import { z } from "zod";
import { ManifestBaseSchema, ManifestFilesSchema } from "../../engine/index.ts";

export interface SymbolSpan {
  readonly first: string | null;
  readonly last: string | null;
  readonly last_ms: number | null;
  readonly candles: number;
  readonly windows: { readonly train: number; readonly validation: number; readonly test: number };
  readonly skipped_missing_indicators: number;
  readonly purged: number;
  /** Windows left out because candles were missing before their label candle. */
  readonly label_spans_gap: number;
}

export interface DataDescription {
  readonly path: string;
  /**
   * sha256 of the training CSV as read: the same span and candle counts can hide other bytes (a collect
   * --replace), so this is what says a rerun had the same data. The same candles with the symbols listed in
   * another order hash otherwise but train the same model (the reader sorts the series by symbol). Absent
   * where `path` is not the file trained on (retrain's copy).
   */
  readonly sha256?: string;
  readonly start: string | null;
  readonly end: string | null;
  readonly end_ms: number | null;
  readonly interval: string | null;
  readonly symbols: Readonly<Record<string, SymbolSpan>>;
  readonly windows: { readonly train: number; readonly validation: number; readonly test: number };
  readonly skipped_missing_indicators: number;
  readonly label_spans_gap: number;
  readonly split: unknown;
  /** `--incremental`: only windows labelled after this time were used. */
  readonly since: string | null;
  /**
   * Set by `retrain` (which trains on a copy of `path` ending before its held-out days): the candles of `path`
   * from this time on were held out, not trained on.
   */
  readonly held_out_from?: string;
}

/**
 * What `train` records of the run (manifest `training`). Every field is optional: a test's version, or one
 * written before a field existed, records fewer, and readers say "?" for what is missing.
 */
export interface TrainingRecord {
  readonly epochs_run?: number;
  readonly best_epoch?: number | null;
  /** Ensembles: each member's best epoch and epochs run. */
  readonly best_epochs?: readonly (number | null)[];
  readonly member_epochs?: readonly number[];
  /**
   * The members (1-based; 1 for a single model) whose last epoch a stop (Ctrl-C, SIGTERM) cut short: it is
   * validated and counted in `epochs_run` and `member_epochs` but did not run whole. Absent when none was (and
   * in versions written before it was recorded).
   */
  readonly cut_short?: readonly number[];
  /** "epochs", "early_stopping" or "interrupted". */
  readonly stop_reason?: string;
  readonly seconds?: number;
  /** The loss's class weights on this training split (taken out in calibration). */
  readonly class_weights?: readonly number[];
  /** Validation windows the temperature was fit on; 0 when a fine-tune kept its parent's (too few to refit). */
  readonly temperature_windows?: number;
  /** The version whose temperature a fine-tune kept (with `temperature_windows` 0). */
  readonly temperature_from?: string;
  /**
   * Distillation's α as trained, where `hyperparameters` asks for one: 0 when the run had too few windows for a
   * teacher. `hyperparameters` keeps the request, which a fine-tune or `--config-from` decides on again.
   */
  readonly distill_weight_applied?: number;
  /**
   * The cores the run trained on (`--workers`, by default every core the machine has). Not in `hyperparameters`
   * (it is no part of the recipe), but the weights depend on it up to float rounding: a model training alone
   * splits each batch across them. A rerun gives the same bits only with the same seed, backend and workers.
   */
  readonly workers?: number;
  /**
   * Set when `train --resume` finished the run: `workers` is then the resuming process's, and a member that
   * was interrupted mid-way continued from its best weights, so the flags alone no longer reproduce it.
   */
  readonly resumed?: true;
  /**
   * The run folder (`.train_…`) the version was trained in, written with the version: a train killed after
   * its version was in place but before its run folder went is then not resumed into a second copy of it.
   */
  readonly run?: string;
}

export interface Manifest {
  readonly version: string;
  readonly parent: string | null;
  readonly created_at: string;
  readonly candlecast_version: string;
  /** The git commit of the code that trained it, when it ran from a checkout (`sourceCommit`). */
  readonly candlecast_commit?: string;
  readonly model_type: string;
  readonly model_class: string;
  readonly data: DataDescription;
  readonly symbols: readonly string[];
  readonly interval: string | null;
  readonly hyperparameters: unknown;
  readonly backend: string;
  readonly device: string;
  /**
   * What else a rerun needs to match to reproduce the weights: the Deno that ran it, and the backend in full
   * (on wasm, the kernels the matrix products ran on). Absent in versions trained before it was recorded.
   */
  readonly runtime?: { readonly deno: string; readonly backend: string };
  readonly training: TrainingRecord;
  /** sha256 (hex) of every other file in the version folder. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * A candle's open time as a manifest records it: milliseconds a Date can hold (±8.64e15). An unbounded number
 * let a damaged manifest's 1e300 through to "unexpected failure: Invalid time value" in `train --incremental`
 * and `retrain`. Negative and fractional times are the training CSV's own (it reads candles before 1970 and
 * hand-made times as written), which train records as read: refusing them made train's own versions
 * "damaged" to its readers (a review).
 */
const OpenTimeMsSchema = z.number().refine(
  (ms) => Math.abs(ms) <= 8.64e15,
  "must be a time in milliseconds since 1970-01-01 UTC a date holds (±8.64e15)",
);

/** The fields read back (the engine's, plus what `models` and `--incremental` use); the rest is informational. */
export const ManifestSchema = ManifestBaseSchema.extend({
  parent: z.string().nullable(),
  model_type: z.string(),
  data: z.object({
    end_ms: OpenTimeMsSchema.nullable(),
    symbols: z.record(z.string(), z.object({ last_ms: OpenTimeMsSchema.nullable() }).loose()),
    // The split's test start (dates, and fractions cut at common dates): no candle from then on was trained on
    // or used for choosing and calibrating.
    split: z.object({ kind: z.string(), test_start: z.string().nullable().optional() }).loose().nullable()
      .optional(),
    // A fine-tune's parent's data end: windows labelled after it were new to the version.
    since: z.string().nullable().optional(),
  }).loose(),
  training: z.object({
    stop_reason: z.string().optional(),
    // The loss's class weights, taken out of the class bias by calibration: a fine-tune puts them back first.
    // A class absent from a fine-tune's windows weighs 0 (calibration leaves its bias alone).
    class_weights: z.array(z.number().nonnegative()).length(3).optional(),
  }).loose().optional(),
  files: ManifestFilesSchema,
}).loose();

export type ManifestView = z.infer<typeof ManifestSchema>;

// Hashing lives in engine/ so serving can check a version without ml/.
export { sha256Hex, verifyVersion } from "../../engine/index.ts";

/** `ms` as an ISO 8601 time, or null when it is not finite (an end never seen). */
export function isoOrNull(ms: number): string | null {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** The parts of a manifest's `data` that say where its candles end. */
export interface DataEnds {
  readonly end_ms: number | null;
  readonly symbols: Readonly<Record<string, { readonly last_ms?: number | null } | undefined>>;
}

/**
 * Where a version's training data ends for `symbol` (the open time of its last candle), else where its whole
 * data ends; undefined when unrecorded. `train --incremental` labels only windows after it; `retrain` reads it
 * to see whether there is anything to fine-tune on.
 */
export function symbolDataEnd(data: DataEnds, symbol: string): number | undefined {
  return data.symbols[symbol]?.last_ms ?? data.end_ms ?? undefined;
}

/**
 * The last time a version's training (fit, early stopping, calibration) may have seen: its split's test start
 * (every date split, and fractions since they are cut at dates common to every symbol), or else the end of its
 * data (fractions cut per symbol held out a different date for each).
 */
export function seenUntilOf(manifest: ManifestView): number | undefined {
  const split = manifest.data.split;
  const testStart = split?.test_start ? Date.parse(split.test_start) : NaN;
  if (!Number.isFinite(testStart)) return manifest.data.end_ms ?? undefined;
  // A fine-tune's weights come from a parent that saw everything up to `since`: a symbol new to the child can
  // pull the common cut dates before that.
  const since = manifest.data.since ? Date.parse(manifest.data.since) : NaN;
  return Number.isFinite(since) ? Math.max(testStart, since) : testStart;
}
