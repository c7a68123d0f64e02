/**
 * The candidate judged on the held-out days (`run.ts`): the windows it is scored on (only those current did not
 * see in training), its scores beside current's and the boosting reference's in the run's report, and the
 * verdict the summary line gives: promote or keep current, and why.
 */
import { join } from "node:path";
import { plural, utcDay } from "../../base/index.ts";
import { seenUntilOf } from "../../ml/checkpoints/index.ts";
import type { LabelledSet, WindowShape } from "../../ml/data/index.ts";
import type { CandleSeries } from "../../features/index.ts";
import { type Preprocessor, readPreprocessorFile } from "../../engine/index.ts";
import { CommandError } from "../errors.ts";
import {
  heldOutDifference,
  holdoutSet,
  scoreCheckpoint,
  scoreGradientBoosting,
  type ServedMetrics,
} from "../../ml/evaluate/index.ts";
import {
  boostingReference,
  describeDifference,
  differenceJudgement,
  failedCriteria,
  score,
  scorePair,
  toleranceClause,
  toleratedCriteria,
} from "./promotion.ts";
import { differenceJson, finite, type RetrainOutcome, type RetrainReason } from "./outcome.ts";
import type { HoldoutCut, RetrainRun } from "./run_state.ts";

/** The held-out windows the candidate and current are scored on, and the window shape they were cut to. */
export interface ScoringWindows {
  readonly candidatePre: Preprocessor;
  readonly currentPre: Preprocessor | null;
  readonly shape: WindowShape;
  readonly set: LabelledSet;
  /** The held-out period as the summary line names it. */
  readonly period: string;
}

/** What the scores decided, before the promotion is tried. */
export interface Verdict {
  readonly promoted: boolean;
  readonly verdict: string;
  readonly reason: RetrainReason;
  /** The verdict tells the operator to promote the candidate by hand: --keep spares it (`pruneBeyondKeep`). */
  readonly byHand?: boolean;
}

/**
 * The held-out windows to score on, recorded in the report; the run's outcome instead when current saw all of
 * the held-out days in training.
 */
export async function scoringWindows(
  run: RetrainRun,
  cut: HoldoutCut,
  candidate: string,
): Promise<ScoringWindows | RetrainOutcome> {
  const { opts, current, currentDir, manifest } = run;
  const { series, start } = cut;
  const candidatePre = await readPreprocessorFile(join(run.root, candidate));
  const currentPre = currentDir ? await readPreprocessorFile(currentDir) : null;
  const shape = {
    lookback: Math.max(candidatePre.lookback, currentPre?.lookback ?? 0),
    horizon: candidatePre.horizon,
    labelRule: candidatePre.labelRule,
  };
  // A current model that saw part of the held-out days in its training (fit, early stopping, calibration)
  // would be scored in-sample there, and the candidate of a weekly run inherits its weights: compare only on
  // windows after the last time current saw, as evaluate --checkpoint does (seenUntilOf: its split's test
  // start, not its data's end: a version trained by hand with a test split was called in-sample on days it
  // had only been tested on, and its candidate never promoted; a newcomer's trial).
  const seenUntil = current && manifest ? seenUntilOf(manifest) ?? null : null;
  const scoredFrom = seenUntil !== null && seenUntil >= start ? seenUntil + 1 : start;
  const trimmed = scoredFrom > start
    ? ` (from ${utcDay(scoredFrom)}: ${current} saw data up to ${
      utcDay(seenUntil!)
    } in training, earlier days ` +
      "would be in-sample)"
    : "";
  const set = holdoutSet(series, scoredFrom, shape);
  const newest = Math.max(...series.map((s) => s.openTime[s.length - 1]));
  const { without, of } = symbolsScored(series, set);
  run.report.holdout = {
    days: opts.holdoutDays,
    from: utcDay(start),
    scored_from: utcDay(scoredFrom),
    to: utcDay(newest),
    windows: set.size,
    // None at all (the in-sample trim below, or nothing labelled yet) is said as such, not as every symbol's
    // data having stopped.
    symbols_without_windows: set.size === 0 ? [] : without,
  };
  if (set.size === 0 && trimmed) {
    // --keep holds here too: a cron running retrain again within --holdout-days ends here every time, and
    // each run added a version that was never pruned (operator trial).
    run.skip(
      ["compare", "promote"],
      "current saw all of the held-out days in training: scores there are in-sample",
    );
    return await run.outcome(
      `retrain ${run.summaryMode}: kept ${current}; it saw all of the held-out ${opts.holdoutDays} days in ` +
        `training (data up to ${
          utcDay(seenUntil!)
        }), so scores there are in-sample, not evidence; ${candidate} ` +
        `was kept but not promoted (promote it by hand with '${run.promoteCommand(candidate)}', or ` +
        `run retrain after more new candles)${await run.pruneBeyondKeep({
          version: candidate,
          byHand: true,
        })}`,
      false,
      "in_sample",
      candidate,
    );
  }
  if (set.size === 0) {
    throw new CommandError(
      `no labelled windows in the held-out ${opts.holdoutDays} days; ${candidate} was kept but not promoted`,
      "collect more recent candles or raise --holdout-days",
    );
  }
  const period = `holdout ${utcDay(scoredFrom)}…${utcDay(newest)}, ` +
    `${plural(set.size, "window")}${of}${trimmed}`;
  return { candidatePre, currentPre, shape, set, period };
}

/** The candidate scored on the windows beside the boosting reference and current (when comparable): the verdict. */
export async function judgeCandidate(
  run: RetrainRun,
  cut: HoldoutCut,
  candidate: string,
  windows: ScoringWindows,
): Promise<Verdict> {
  const { current } = run;
  const { candidatePre, currentPre, shape, set, period } = windows;
  const cand = await scoreCheckpoint(join(run.root, candidate), set);
  // The baseline the model has to beat (issue 11), on the same held-out windows: a reference, not a gate.
  const boosting = await scoreGradientBoosting(cut.series, cut.start, shape, set, run.opts.signal);
  const reference = boostingReference(boosting);
  run.report.candidate_scores = scoresJson(cand);
  run.report.gradient_boosting_log_loss = boosting ? finite(boosting.log_loss) : null;
  run.report.gradient_boosting_iterations = boosting?.iterations ?? null;
  if (!current || !currentPre) {
    run.skip(["compare"], "no current model to compare with");
    return {
      promoted: true,
      reason: "no_current_model",
      verdict: `promoted ${candidate} (no current model; ${period}: macro-F1 ${score(cand.macro_f1)} ` +
        `(${cand.rule} rule), ` +
        `log-loss ${score(cand.log_loss)}${reference})`,
    };
  }
  if (
    currentPre.horizon !== candidatePre.horizon ||
    JSON.stringify(currentPre.labelRule) !== JSON.stringify(candidatePre.labelRule)
  ) {
    run.skip(["compare", "promote"], "the candidate predicts another horizon or label rule than current");
    return {
      promoted: false,
      reason: "not_comparable",
      byHand: true,
      verdict: `kept ${current}: ${candidate} predicts another horizon or label rule, so the two cannot be ` +
        `compared; promote it by hand with '${run.promoteCommand(candidate)}'`,
    };
  }
  return await compareWithCurrent(run, candidate, cand, windows, reference);
}

/** The candidate's scores against current's on the same windows, by the promotion rule. */
async function compareWithCurrent(
  run: RetrainRun,
  candidate: string,
  cand: ServedMetrics,
  { shape, set, period }: ScoringWindows,
  reference: string,
): Promise<Verdict> {
  const { opts, current } = run;
  const cur = await scoreCheckpoint(run.currentDir!, set);
  const difference = heldOutDifference(set, cand, cur, shape.horizon);
  const clearWin = opts.promoteIf === "clearly-better" ? difference : undefined;
  const failed = failedCriteria(cand, cur, opts, clearWin);
  const promoted = failed.length === 0;
  // Criteria met only within --f1-tolerance / --logloss-tolerance: before, a promotion with a lower macro-F1
  // read as any other ("promoted v4 over v3 (… macro-F1 0.2844 vs 0.3203 …)", reason "passed").
  const tolerated = toleratedCriteria(cand, cur, opts, clearWin);
  run.report.tolerated_criteria = tolerated;
  const reason = promoted ? "passed" : "failed_criteria";
  run.report.current_scores = scoresJson(cur);
  run.report.log_loss_difference = differenceJson(difference, differenceJudgement(difference));
  run.report.failed_criteria = failed;
  if (!promoted) {
    run.skip(["promote"], `the candidate scored ${failed.join(" and ")} on the held-out windows`);
  }
  const rules = cand.rule === cur.rule ? `${cand.rule} rule` : `${cand.rule} vs ${cur.rule} rule`;
  const numbers = `${period}: macro-F1 ${scorePair(cand.macro_f1, cur.macro_f1)} (${rules}), ` +
    `log-loss ${scorePair(cand.log_loss, cur.log_loss)} (${describeDifference(difference)})${reference}`;
  // Which criterion failed on these windows, never a general "worse".
  const verdict = promoted
    ? `promoted ${candidate} over ${current}${toleranceClause(tolerated, opts)} (${numbers})`
    : `kept ${current}; ${candidate} scored ${failed.join(" and ")} on the held-out windows (${numbers})`;
  return { promoted, verdict, reason };
}

/**
 * The symbols with no window among the scored ones, and where each one's candles end, and the summary's words
 * for them (empty when every symbol has windows): before, a symbol whose candles stopped before the held-out
 * days was not mentioned, and the decision rested on the others alone unsaid (a seat's trial).
 */
function symbolsScored(
  series: readonly CandleSeries[],
  set: Pick<LabelledSet, "seriesIndex">,
): { without: { symbol: string; data_ends: string }[]; of: string } {
  const scored = new Set(set.seriesIndex);
  const without = series.flatMap((s, k) =>
    scored.has(k) ? [] : [{ symbol: s.symbol, data_ends: utcDay(s.openTime[s.length - 1]) }]
  );
  if (without.length === 0 || scored.size === 0) return { without, of: "" };
  const names = series.filter((_, k) => scored.has(k)).map((s) => s.symbol);
  const whose = without.map((w) => `${w.symbol}, whose candles end ${w.data_ends}`).join(", or ");
  const all = names.length <= 3 ? `all of ${names.join(", ")}` : `of ${names.length} symbols`;
  return { without, of: `, ${all} (none of ${whose})` };
}

function scoresJson(m: ServedMetrics) {
  return { macro_f1: finite(m.macro_f1), log_loss: finite(m.log_loss), rule: m.rule };
}
