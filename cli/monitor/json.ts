/**
 * What `monitor --json` prints: the facts of monitor's lines and tables as one JSON document, for scripts (cron,
 * CI, Ansible) that would otherwise scrape them, with the verdict that decides the exit code spelt out so a
 * script need not re-derive it. Keys are snake_case as in metrics.json, evaluation.json and `models list --json`.
 */
import { utcDay } from "../../base/index.ts";
import { z } from "zod";
import type { JoinResult, LiveScores, MonitorReport, TestScores } from "../../ml/monitor/index.ts";
import type { MonitorOptions } from "./options.ts";
import type { ServedUnscored } from "./served.ts";
import type { Verdict } from "./verdict.ts";

const Count = z.number().int().min(0);
const Interval = z.tuple([z.number(), z.number()]);
const Metric = z.enum(["macro_f1", "log_loss"]);

/** A table row's figures; `ece` and `ece_floor` are null where the table shows "–" (no bin had a prediction). */
const Scores = z.object({
  predictions: Count,
  accuracy: z.number(),
  macro_f1: z.number(),
  log_loss: z.number(),
  mean_confidence: z.number(),
  ece: z.number().nullable(),
  ece_floor: z.number().nullable(),
});

export const MonitorJson = z.object({
  data: z.string(),
  predictions: z.string(),
  checkpoints: z.string(),
  /** The first line's counts: what happened to each logged prediction. */
  counts: z.object({
    logged: Count,
    /** Joined with their outcome and scored (each candle once per version). */
    scored: Count,
    /** Further predictions about a candle already scored: counted, not scored. */
    repeats: Count,
    awaiting_horizon: Count,
    not_found: Count,
    /** Of `not_found`: logged with open times in seconds or µs, not ms. */
    not_found_wrong_time_unit: Count,
    /** Of not_found, those at a candle's open time with another close (still open when sent, another feed). */
    not_found_other_close: Count,
    /**
     * Of not_found_other_close, those whose close is the candle's a whole number of hours after the time sent,
     * by that number ("4": a bot sending UTC−4 local times).
     */
    not_found_hours_west: z.record(z.string(), Count),
    /** Of `not_found`, those on candles newer than the data's last (collect has not run since them). */
    not_found_newer_than_data: Count,
    /** Of `not_found`: symbols the data does not hold at all, with how many predictions named each. */
    missing_symbols: z.record(z.string(), Count),
    /** On candles their version's training may have seen: never scored. */
    in_sample: Count,
    /** Their label candle lies past missing candles: not scored, as training leaves such windows out. */
    label_spans_gap: Count,
    unreadable_lines: Count,
  }),
  /** Predictions set aside by version: none in --checkpoints, or another model under the same name. */
  skipped_versions: z.array(z.object({
    version: z.string(),
    predictions: Count,
    reason: z.enum(["not_in_checkpoints", "another_model"]),
    /**
     * The creation time the log recorded (null where its lines carry none), and that of the version in
     * --checkpoints ("another_model" only).
     */
    logged_created_at: z.string().nullable(),
    checkpoint_created_at: z.string().nullable(),
  })),
  /** The version that answered the last logged prediction (what serve serves now); null: nothing logged. */
  served_version: z.string().nullable(),
  by_day: z.array(z.object({ day: z.string(), version: z.string(), scores: Scores })),
  by_version: z.array(z.object({
    version: z.string(),
    served: z.boolean(),
    scores: Scores,
    /** The test split's figures it is compared with, under `rule` (null: argmax figures of an old version). */
    test: z.object({
      accuracy: z.number(),
      macro_f1: z.number(),
      log_loss: z.number(),
      rule: z.string().nullable(),
      /** The test split's ECE of the served confidence, the live `ece`'s yardstick (null: not recorded). */
      ece: z.number().nullable(),
    }).nullable(),
    /** The week before the version's latest scored prediction, ending on the day `to`. */
    last_week: z.object({
      to: z.string(),
      scores: Scores,
      /** Judged against `test`: there are test figures and enough predictions (otherwise a note says why). */
      judged: z.boolean(),
      /** 95 % intervals of the week's figures, when judged. */
      interval: z.object({ macro_f1: Interval, log_loss: Interval }).nullable(),
      /** The metrics whose whole interval lies on the worse side of the test figure. */
      worse: z.array(Metric),
    }).nullable(),
  })),
  /**
   * Last weeks worse than their test split (kind "worse_than_test"), a log that stopped while the candles
   * went on ("log_stale", on the version that answered last), and the served version's predictions of which
   * none could be scored while some never will be by waiting ("none_scored": on candles newer than the data's
   * last, not found, of a version not in --checkpoints …; the message says which, `verdict.hints` what to do).
   * Only those of `served_version` (`served`) count toward the verdict; the others are printed as notes
   * (retraining cannot change a version no longer served).
   */
  warnings: z.array(z.object({
    kind: z.enum(["worse_than_test", "log_stale", "none_scored"]),
    version: z.string(),
    served: z.boolean(),
    worse: z.array(Metric),
    message: z.string(),
  })),
  /**
   * Versions whose last week held too few predictions to judge, and the served version whose every prediction
   * still awaits its horizon (none scored yet: a version just promoted). Never a failure.
   */
  unjudged: z.array(z.object({ version: z.string(), message: z.string() })),
  /** What decided the exit code (the same as without --json). */
  verdict: z.object({
    /**
     * nothing_to_score: no prediction could be scored yet, or none of the served version's, every one still
     * awaiting its horizon (`by_version` then holds the others'); warning: the served version's last week is
     * worse, its log stopped while the candles went on, or none of its predictions could be scored; ok: the
     * served version was scored and did not warn.
     */
    status: z.enum(["nothing_to_score", "ok", "warning"]),
    /** Warnings on the served version: what --fail-on-warning exits 1 on. */
    warnings: Count,
    fail_on_warning: z.boolean(),
    exit_code: z.union([z.literal(0), z.literal(1)]),
    reason: z.string(),
    /**
     * What to do: the advice when nothing could be scored; on warnings, the retrain to consider (a worse week)
     * and the check of serve and the bot (a stale log).
     */
    hints: z.array(z.string()),
  }),
});
export type MonitorJson = z.infer<typeof MonitorJson>;

/** Everything monitor knows at the end of a run, as its printing code holds it. */
export interface MonitorFacts {
  readonly logged: number;
  readonly unreadable: number;
  readonly join: Omit<JoinResult, "joined"> & { readonly joined: number };
  readonly otherModel: ReadonlyMap<string, { predictions: number; loggedCreatedAt: string }>;
  readonly createdAt: ReadonlyMap<string, string>;
  /** Per version, the creation time the log recorded (`JoinPass.loggedCreatedAt`). */
  readonly loggedCreatedAt: ReadonlyMap<string, string>;
  readonly served: string | null;
  /** Scored: the report, each version's yardstick and the time (ms) of its latest scored prediction. */
  readonly scored: {
    readonly report: MonitorReport;
    readonly tests: ReadonlyMap<string, TestScores>;
    readonly latest: ReadonlyMap<string, number>;
    /** The notes' full text, as printed (an unjudged week's note may say no week will ever be judged). */
    readonly unjudged: readonly { version: string; message: string }[];
    /** The served version's predictions, none of them scored (`servedUnscored`); null when some were. */
    readonly unscored: ServedUnscored | null;
  } | null;
  /** When nothing could be scored: the line that says so, and its advice, one piece per cause. */
  readonly nothingToScore:
    | {
      readonly line: string;
      readonly advice: readonly string[];
      /** Some predictions cannot be scored by waiting alone (`run.ts`): a warning, not "nothing yet". */
      readonly stuck: boolean;
    }
    | null;
  /** The retrain to consider, said when the served version warns. */
  readonly retrainHint: string;
}

const nullIfNaN = (x: number) => (Number.isNaN(x) ? null : x);

function scores(s: LiveScores): z.infer<typeof Scores> {
  return {
    predictions: s.predictions,
    accuracy: s.accuracy,
    macro_f1: s.macro_f1,
    log_loss: s.log_loss,
    mean_confidence: s.mean_confidence,
    ece: nullIfNaN(s.ece),
    ece_floor: nullIfNaN(s.ece_floor),
  };
}

const pair = ([lo, hi]: readonly [number, number]): [number, number] => [lo, hi];

/** The JSON document of a run's end, with its verdict (`verdict.ts`, which `run.ts` exits by). */
export function monitorJson(opts: MonitorOptions, f: MonitorFacts, v: Verdict): MonitorJson {
  const report = f.scored?.report;
  const unscored = f.scored?.unscored ?? null;
  const j = f.join;
  return {
    data: opts.data,
    predictions: opts.predictions,
    checkpoints: opts.checkpoints,
    counts: {
      logged: f.logged,
      scored: j.joined,
      repeats: j.repeats,
      awaiting_horizon: j.pending,
      not_found: j.unmatched,
      not_found_wrong_time_unit: j.unmatchedWrongUnit,
      not_found_other_close: j.unmatchedClose,
      not_found_hours_west: Object.fromEntries(j.unmatchedHoursWest),
      not_found_newer_than_data: j.unmatchedAfterData,
      missing_symbols: Object.fromEntries(j.missingSymbols),
      in_sample: j.inSample,
      label_spans_gap: j.gapped,
      unreadable_lines: f.unreadable,
    },
    skipped_versions: [
      ...[...j.unknownVersions].map(([version, predictions]) => ({
        version,
        predictions,
        reason: "not_in_checkpoints" as const,
        // From the log (null in logs written before it recorded one): the store no longer has its manifest.
        logged_created_at: f.loggedCreatedAt.get(version) ?? null,
        checkpoint_created_at: null,
      })),
      ...[...f.otherModel].map(([version, other]) => ({
        version,
        predictions: other.predictions,
        reason: "another_model" as const,
        logged_created_at: other.loggedCreatedAt,
        checkpoint_created_at: f.createdAt.get(version) ?? null,
      })),
    ],
    served_version: f.served,
    by_day: report?.byDay.map((d) => ({ day: d.day, version: d.version, scores: scores(d.scores) })) ?? [],
    by_version: report?.byVersion.map((v) => {
      const test = f.scored!.tests.get(v.version);
      const latest = f.scored!.latest.get(v.version);
      return {
        version: v.version,
        served: v.version === f.served,
        scores: scores(v.scores),
        test: test
          ? {
            accuracy: test.accuracy,
            macro_f1: test.macro_f1,
            log_loss: test.log_loss,
            rule: test.rule ?? null,
            ece: test.ece ?? null,
          }
          : null,
        last_week: v.lastWeek && latest !== undefined
          ? {
            to: utcDay(latest),
            scores: scores(v.lastWeek),
            judged: v.lastWeekInterval !== null,
            interval: v.lastWeekInterval
              ? { macro_f1: pair(v.lastWeekInterval.macro_f1), log_loss: pair(v.lastWeekInterval.log_loss) }
              : null,
            worse: [...(report.warnings.find((w) => w.version === v.version)?.worse ?? [])],
          }
          : null,
      };
    }) ?? [],
    warnings: [
      ...report?.warnings.map((w) => ({
        kind: w.worse.length > 0 ? "worse_than_test" as const : "log_stale" as const,
        version: w.version,
        served: v.live.includes(w),
        worse: [...w.worse],
        message: w.message,
      })) ?? [],
      ...(unscored?.warning
        ? [{
          kind: "none_scored" as const,
          version: unscored.version,
          served: true,
          worse: [],
          message: unscored.message,
        }]
        : []),
      ...(f.nothingToScore?.stuck && f.served !== null
        ? [{
          kind: "none_scored" as const,
          version: f.served,
          served: true,
          worse: [],
          message: f.nothingToScore.line,
        }]
        : []),
    ],
    unjudged: f.scored ? [...f.scored.unjudged] : [],
    verdict: {
      status: v.status,
      warnings: v.warnings,
      fail_on_warning: opts.failOnWarning,
      exit_code: v.failing ? 1 : 0,
      reason: v.reason,
      hints: [...v.hints],
    },
  };
}
