/**
 * What a retrain run decided: the summary line cron mails, and the same decision as one JSON document for
 * `retrain --json` (scripts in cron, CI, Ansible that would otherwise parse the line). Keys are snake_case as in
 * metrics.json, evaluation.json and `models list --json`.
 */
import { z } from "zod";
import type { BootstrapResult } from "../../ml/evaluate/index.ts";
import { PROMOTION_RULES } from "./promotion.ts";

const Scores = z.object({
  macro_f1: z.number().nullable(),
  log_loss: z.number().nullable(),
  /** The decision rule the classes were named by, as serve answers with the version (argmax, prior). */
  rule: z.string(),
});

/** Why the candidate was promoted or not, one word per branch of the run. */
export const RETRAIN_REASONS = [
  /** The candidate met the promotion rule against current on the held-out windows. */
  "passed",
  /** It did not: `failed_criteria` names which criterion. */
  "failed_criteria",
  /** There was no current model: the candidate is the first one served. */
  "no_current_model",
  /** The candidate predicts another horizon or label rule than current: not comparable, kept unpromoted. */
  "not_comparable",
  /** Current saw every held-out day in training: scores there are in-sample, so the candidate is not promoted. */
  "in_sample",
  /** Weekly: current already covers the data before the held-out days; no candidate was trained. */
  "nothing_to_fine_tune",
  /** Weekly: too few new windows to fine-tune on; the train step wrote nothing. */
  "too_little_new_data",
  /** `current` was changed by hand (promote, rollback) while retrain ran; that choice is left in place. */
  "current_changed",
] as const;
export type RetrainReason = (typeof RETRAIN_REASONS)[number];

export const RetrainJson = z.object({
  mode: z.enum(["weekly", "monthly"]),
  /** The candidate was trained from scratch (monthly, or weekly with no current model to fine-tune). */
  from_scratch: z.boolean(),
  promote_if: z.enum(PROMOTION_RULES),
  promoted: z.boolean(),
  reason: z.enum(RETRAIN_REASONS),
  /** `current` when the run started, and when it ended. */
  current_before: z.string().nullable(),
  current_after: z.string().nullable(),
  /** The version this run trained (kept whether promoted or not); null when none was trained. */
  candidate: z.string().nullable(),
  /** The held-out days the decision was taken on; null when the run ended before scoring. */
  holdout: z.object({
    days: z.number(),
    /** Where the held-out days start, and where scoring started (later when current saw some of them). */
    from: z.string(),
    scored_from: z.string(),
    to: z.string(),
    windows: z.number().int(),
    /**
     * Symbols of the data with no window among those scored, and the day each one's candles end (a symbol not
     * collected lately): the decision rests on the others. Empty when every symbol has windows.
     */
    symbols_without_windows: z.array(z.object({ symbol: z.string(), data_ends: z.string() })),
  }).nullable(),
  candidate_scores: Scores.nullable(),
  current_scores: Scores.nullable(),
  /**
   * Candidate's held-out log-loss minus current's, with its interval over blocks of whole days and what it
   * says: `days` the held-out days holding windows, `blocks` how many blocks of `block_days` days they fill
   * (the interval's independent units: one a day, or several days a block on coarse candles, 8 on 1d candles
   * with horizon 4, where a day is short of twice the label horizon).
   */
  log_loss_difference: z.object({
    estimate: z.number().nullable(),
    low: z.number().nullable(),
    high: z.number().nullable(),
    level: z.number(),
    days: z.number().int(),
    blocks: z.number().int(),
    block_days: z.number().int(),
    /** "better", "worse", "no clear difference", or too few days to judge (the candidate's side). */
    judgement: z.string(),
  }).nullable(),
  /** The promotion criteria the candidate failed, as the summary words them (empty when promoted). */
  failed_criteria: z.array(z.string()),
  /**
   * Those it met only thanks to `--f1-tolerance` or `--logloss-tolerance` ("lower macro-F1", "higher
   * log-loss": failed without the tolerance), promoted or not; empty when none, or when not compared.
   */
  tolerated_criteria: z.array(z.string()),
  /** The gradient-boosting baseline's log-loss on the same windows: a reference, not part of the rule. */
  gradient_boosting_log_loss: z.number().nullable(),
  /**
   * The iterations early stopping kept in that baseline (null beside a null log-loss): with 0 it gives the
   * training class shares, so its log-loss is the class shares', not a broken fit.
   */
  gradient_boosting_iterations: z.number().int().nullable(),
  /** Versions removed beyond --keep. */
  removed_versions: z.array(z.string()),
  /** Versions beyond --keep that were kept because a running serve uses them (pinned to one, say). */
  kept_in_use: z.array(z.string()),
  /**
   * Folders --keep could not delete (another user's, read-only): a warning, the run's outcome stands. `path`
   * as --checkpoints spells it; `kept`: the version could not even be renamed away and is still a version,
   * else `path` is the hidden `.removing-…` folder it was renamed to; `reason` in a few words ("permission
   * denied"); `hint` what to do. Each run tries again.
   */
  prune_warnings: z.array(z.object({
    version: z.string(),
    path: z.string(),
    kept: z.boolean(),
    reason: z.string(),
    hint: z.string(),
  })),
  /** Steps this run did not take, and why. */
  skipped_steps: z.array(z.object({
    step: z.enum(["collect", "train", "compare", "promote"]),
    reason: z.string(),
  })),
  /** The summary line printed without --json (on stderr with it), and where the steps' output went. */
  summary: z.string(),
  log: z.string(),
});
export type RetrainJson = z.infer<typeof RetrainJson>;

export interface RetrainOutcome {
  readonly summary: string;
  readonly promoted: boolean;
  readonly candidate: string | null;
  readonly json: RetrainJson;
}

/** A score as JSON: NaN and ±Infinity (a candidate whose outputs overflowed) are null, not a string. */
export const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The held-out difference as `retrain --json` gives it; `judgement` is what the summary says of it. */
export function differenceJson(
  d: Pick<BootstrapResult, "log_loss_diff" | "blocks" | "level"> & {
    readonly days?: number;
    readonly blockDays?: number;
  },
  judgement: string,
): NonNullable<RetrainJson["log_loss_difference"]> {
  const { estimate, low, high } = d.log_loss_diff;
  return {
    estimate: finite(estimate),
    low: finite(low),
    high: finite(high),
    level: d.level,
    days: d.days ?? d.blocks,
    blocks: d.blocks,
    block_days: d.blockDays ?? 1,
    judgement,
  };
}
