/**
 * Monitor's verdict, worked out once: which warnings count against the served version, whether they fail the run
 * under --fail-on-warning, and the reason and hints said for it. `run.ts` throws from it (the exit code),
 * `json.ts` prints it (`verdict` in `--json`), so the two cannot drift apart.
 */
import type { MonitorReport } from "../../ml/monitor/index.ts";
import type { MonitorOptions } from "./options.ts";
import { count } from "./print.ts";
import type { ServedUnscored } from "./served.ts";

/** What to do about a log that stopped: retraining mends a model, not a log. */
export const STALE_LOG_HINT =
  "check that serve is running and logging its predictions, and that the bot calls it";

/** The hints for the served version's warnings: retrain for a week worse than test, serve and the bot for a stale log. */
export function warningHints(
  warnings: readonly { readonly worse: readonly unknown[] }[],
  retrainHint: string,
): string[] {
  return [
    ...(warnings.some((w) => w.worse.length > 0) ? [retrainHint] : []),
    ...(warnings.some((w) => w.worse.length === 0) ? [STALE_LOG_HINT] : []),
  ];
}

/**
 * The report's warnings on the version served now (all of them when no version answered). Only these can fail
 * the run: a version no longer served is reported, but retraining would not change it, and its last week stays
 * its last week until the log rotates out (a cron --fail-on-warning would fail every day).
 */
export function servedWarnings(
  warnings: MonitorReport["warnings"],
  served: string | null,
): MonitorReport["warnings"] {
  return warnings.filter((w) => served === null || w.version === served);
}

/** What the verdict is worked out from: the end of a run, as `MonitorFacts` holds it. */
export interface VerdictFacts {
  /** The version that answered the last logged prediction; null: nothing logged. */
  readonly served: string | null;
  /** Scored: the report, and the served version's predictions none of which was scored (null when some were). */
  readonly scored: { readonly report: MonitorReport; readonly unscored: ServedUnscored | null } | null;
  /**
   * When nothing could be scored: the line that says so, its advice, and whether some predictions cannot be
   * scored by waiting alone (`stuck`: a warning, not "nothing yet").
   */
  readonly nothingToScore:
    | { readonly line: string; readonly advice: readonly string[]; readonly stuck: boolean }
    | null;
  /** The retrain to consider, said when the served version's week is worse than its test split. */
  readonly retrainHint: string;
}

/** What decides the exit code, and what is said about it. */
export interface Verdict {
  /**
   * nothing_to_score: no prediction could be scored yet, or none of the served version's, every one still
   * awaiting its horizon; warning: the served version's last week is worse, its log stopped while the candles
   * went on, or none of its predictions could be scored (or, with nothing scored at all, some never will be by
   * waiting); ok: the served version was scored and did not warn.
   */
  readonly status: "nothing_to_score" | "ok" | "warning";
  /** Warnings on the served version: what --fail-on-warning exits 1 on. */
  readonly warnings: number;
  /** --fail-on-warning and at least one warning: the run exits 1. */
  readonly failing: boolean;
  readonly reason: string;
  /** What to do: the advice when nothing could be scored; on warnings, what mends each. */
  readonly hints: readonly string[];
  /** The report's warnings on the served version (`servedWarnings`); empty when nothing was scored. */
  readonly live: MonitorReport["warnings"];
}

/** The verdict on a run's end. */
export function verdict(opts: Pick<MonitorOptions, "failOnWarning">, f: VerdictFacts): Verdict {
  const report = f.scored?.report;
  const live = report ? servedWarnings(report.warnings, f.served) : [];
  const unscored = f.scored?.unscored ?? null;
  const warnings = live.length + (unscored?.warning || f.nothingToScore?.stuck ? 1 : 0);
  const failing = opts.failOnWarning && warnings > 0;
  // A warning outranks the served version's predictions all awaiting their horizon (a stale log beside them).
  const status = report === undefined
    ? (warnings > 0 ? "warning" : "nothing_to_score")
    : warnings > 0
    ? "warning"
    : unscored !== null
    ? "nothing_to_score"
    : "ok";
  const warningsOf = (n: number) => count(n, "monitoring warning");
  const reason = f.nothingToScore
    ? f.nothingToScore.line
    : status === "nothing_to_score"
    ? `nothing to score yet on the served version ${f.served}: ${unscored!.causes}`
    : status === "ok"
    ? `no warning on the served version ${f.served}`
    : failing
    ? `${warningsOf(warnings)} on the served version ${f.served} (--fail-on-warning)`
    : `${warningsOf(warnings)} on the served version ${f.served}; exit 0 without --fail-on-warning`;
  // Retraining mends a model that got worse, not a log that stopped (that warning names no metric), nor a CSV
  // that collect stopped refreshing.
  const hints = f.nothingToScore
    ? [...f.nothingToScore.advice]
    : status === "warning"
    ? [...warningHints(live, f.retrainHint), ...(unscored?.warning ? unscored.hints : [])]
    : status === "nothing_to_score"
    ? [...unscored!.hints]
    : [];
  return { status, warnings, failing, reason, hints, live };
}
