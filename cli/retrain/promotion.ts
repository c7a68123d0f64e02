/**
 * The promotion rules (`not-worse`: the candidate is not worse than current in macro-F1 and log-loss, within
 * tolerances; `clearly-better`: also lower in log-loss beyond the difference's interval), the default of each
 * mode, and how the summary prints the scores and the difference it compares.
 */
import type { Metrics } from "../../ml/metrics/index.ts";
import {
  type BootstrapResult,
  enoughBlocks,
  intervalWords,
  judge,
  minimumBlocks,
  signedDifference,
} from "../../ml/evaluate/index.ts";
import { plural } from "../../base/index.ts";
import { keptIterationsText } from "../../ml/baselines/index.ts";
import { UsageError } from "../errors.ts";

/** Scores in summaries: four decimals, enough to tell apart most candidates from current (`scorePair`). */
const SCORE_DIGITS = 4;
export const score = (x: number) => x.toFixed(SCORE_DIGITS);

/**
 * The summary's reference clause: "; gradient_boosting log-loss 1.0468, 37 iterations kept" (empty without a
 * reference). The count is there because boosting that kept none scores exactly as the training class shares
 * do, which in a cron mail would read as a broken run.
 */
export function boostingReference(
  boosting: (Pick<Metrics, "log_loss"> & { readonly iterations: number }) | null,
): string {
  return boosting
    ? `; gradient_boosting log-loss ${score(boosting.log_loss)}, ${keptIterationsText(boosting.iterations)}`
    : "";
}

/**
 * Candidate's and current's score side by side, with four decimals or as many more as it takes to show them
 * apart: at three, a rejection for "higher log-loss" printed "log-loss 1.098 vs 1.098", a reason the reader
 * could not see. Equal numbers print equal.
 */
export function scorePair(a: number, b: number): string {
  let digits = SCORE_DIGITS;
  // Up to toFixed's limit of 100 decimals, which tells apart any two different doubles of a score's size.
  while (digits < 100 && a !== b && a.toFixed(digits) === b.toFixed(digits)) digits++;
  return `${a.toFixed(digits)} vs ${b.toFixed(digits)}`;
}

type Scores = Pick<Metrics, "macro_f1" | "log_loss">;
type Tolerance = { readonly f1Tolerance: number; readonly loglossTolerance: number };

/**
 * `not-worse`: macro-F1 not lower and log-loss not higher on the held-out days, as points (the tolerances
 * relax both). `clearly-better`: that, and the held-out log-loss difference's 95 % interval wholly below 0.
 */
export const PROMOTION_RULES = ["not-worse", "clearly-better"] as const;
export type PromotionRule = (typeof PROMOTION_RULES)[number];

/**
 * The rule a mode promotes by when `--promote-if` is not given (bench/RESULTS.md § "Session 31"). A weekly
 * candidate fine-tunes current, so a win that is noise becomes the next fine-tune's start and such wins
 * compound: in session 30's ten weekly runs the point rule let in three (by 0.002–0.006, each inside its
 * interval of ±0.02–0.03) and the served model drifted 0.023 above never retraining; re-run under
 * clearly-better, the ten weeks promoted nothing and the parent kept serving. A monthly candidate is
 * trained afresh, so a wrong pick costs one month: replayed over eleven monthly decisions of 2020-08 … 2021-06,
 * the point rule served models 0.0055 better than never retraining (better in nine of eleven months), within
 * 0.0002 of promoting every candidate, and the clearly-better rule, which kept one model for ten months, was
 * 0.0025 worse than the point rule.
 */
export function defaultPromotionRule(mode: "weekly" | "monthly"): PromotionRule {
  return mode === "weekly" ? "clearly-better" : "not-worse";
}

/**
 * `clearly-better` judges from whole held-out days, at least `minimumBlocks` of them (6): with fewer, no
 * candidate could ever be promoted, and each run would still end "kept current" with exit 0, unseen by cron.
 * Said before anything is collected or trained (exit 2). `mode`: the rule is that mode's default, not asked for.
 */
export function requireJudgeableHoldout(rule: PromotionRule, holdoutDays: number, mode: string | null): void {
  const needed = minimumBlocks(0.95);
  if (rule !== "clearly-better" || holdoutDays >= needed) return;
  const who = mode === null
    ? "--promote-if clearly-better"
    : `a ${mode} run (--promote-if clearly-better, its default)`;
  throw new UsageError(
    `--holdout-days ${holdoutDays}: ${who} promotes only a clear win, judged from at least ${needed} held-out ` +
      "days; with fewer it could never promote",
    `hold out ${needed} days or more (14 is the default), or pass --promote-if not-worse`,
  );
}

/**
 * Which criteria of the promotion rule the candidate fails, as the summary words them (none: promote). With
 * `clearWin` (the held-out difference, under `clearly-better`) the log-loss must also be lower beyond the
 * interval, from at least as many days as `evaluate` judges from.
 */
export function failedCriteria(
  candidate: Scores,
  current: Scores,
  tolerance: Tolerance,
  clearWin?: Pick<BootstrapResult, "log_loss_diff" | "blocks" | "level">,
): string[] {
  // A comparison with NaN is false, so a candidate whose scores are not finite numbers (outputs that overflowed on
  // the held-out days) would pass both criteria below and be promoted: it fails instead.
  const unscored = (["macro_f1", "log_loss"] as const).filter((k) => !Number.isFinite(candidate[k]));
  if (unscored.length > 0) {
    return unscored.map((k) => `${k === "macro_f1" ? "macro-F1" : "log-loss"} not finite`);
  }
  const higher = candidate.log_loss > current.log_loss + tolerance.loglossTolerance;
  // A current without a finite log-loss blocks nothing (its interval would be NaN and never below 0).
  const unclear = clearWin !== undefined && Number.isFinite(current.log_loss) &&
    !(enoughBlocks(clearWin) && clearWin.log_loss_diff.high < 0);
  return [
    ...(candidate.macro_f1 < current.macro_f1 - tolerance.f1Tolerance ? ["lower macro-F1"] : []),
    ...(higher
      ? ["higher log-loss"]
      : unclear
      ? ["a log-loss not clearly lower (--promote-if clearly-better)"]
      : []),
  ];
}

/**
 * The criteria the candidate meets only thanks to `--f1-tolerance` / `--logloss-tolerance`: those it fails
 * without them and passes with them, worded as `failedCriteria` words them.
 */
export function toleratedCriteria(
  candidate: Scores,
  current: Scores,
  tolerance: Tolerance,
  clearWin?: Pick<BootstrapResult, "log_loss_diff" | "blocks" | "level">,
): string[] {
  const failed = failedCriteria(candidate, current, tolerance, clearWin);
  return failedCriteria(candidate, current, { f1Tolerance: 0, loglossTolerance: 0 }, clearWin)
    .filter((c) => !failed.includes(c));
}

/**
 * What a promotion owes to its tolerances, for the summary after "promoted vN over vM": " despite a lower
 * macro-F1, allowed by --f1-tolerance 1" (empty when none). Before, such a promotion read as any other.
 */
export function toleranceClause(tolerated: readonly string[], tolerance: Tolerance): string {
  if (tolerated.length === 0) return "";
  const flag = (c: string) =>
    c === "lower macro-F1"
      ? `--f1-tolerance ${tolerance.f1Tolerance}`
      : `--logloss-tolerance ${tolerance.loglossTolerance}`;
  return ` despite ${tolerated.map((c) => `a ${c}`).join(" and ")}, allowed by ${
    tolerated.map(flag).join(" and ")
  }`;
}

/**
 * The held-out difference as `describeDifference` words it: the bootstrap's interval, and where its blocks
 * span several days (`heldOutDifference` on coarse candles), the days its windows fill and the days per block.
 */
export type DifferenceSummary = Pick<BootstrapResult, "log_loss_diff" | "blocks" | "level"> & {
  readonly days?: number;
  readonly blockDays?: number;
};

/**
 * The candidate's held-out log-loss minus current's with its interval and what the interval says, as
 * `evaluate`'s verdict writes them, e.g. "difference -0.0020, 95 % interval -0.0219 … +0.0179 over 14 days:
 * no clear difference"; the word is the candidate's ("better": the whole interval below 0). Fewer days than
 * `evaluate` judges from are said to be too few, whatever the interval shows. Blocks of several days (1d
 * candles) are named as such, "over windows on 41 days in 6 blocks of 8 days": the days alone overstated the
 * evidence, and on 1M candles one window's day read "over 1 day" for a month held out.
 */
export function describeDifference(d: DifferenceSummary): string {
  const { estimate, low, high } = d.log_loss_diff;
  const blockDays = d.blockDays ?? 1;
  const blocks = `${plural(d.blocks, "block")} of ${blockDays} days`;
  const over = blockDays === 1
    ? plural(d.blocks, "day")
    : d.days === undefined
    ? blocks
    : `windows on ${plural(d.days, "day")} in ${blocks}`;
  return `difference ${signedDifference(estimate)}, ${Math.round(100 * d.level)} % interval ` +
    `${intervalWords(low, high)} over ${over}: ${differenceJudgement(d)}`;
}

/** What the difference's interval says of the candidate, the words ending `describeDifference`. */
export function differenceJudgement(d: DifferenceSummary): string {
  const { low, high } = d.log_loss_diff;
  const blockDays = d.blockDays ?? 1;
  const units = blockDays === 1 ? "days" : `blocks of ${blockDays} days`;
  return enoughBlocks(d)
    ? judge(low, high, true)
    : `too few ${units} to judge (${minimumBlocks(d.level)} needed)`;
}
