/**
 * One retrain run as its steps (`run.ts`) share it: what it started over (current, its manifest, a fine-tune or
 * training from scratch), the held-out cut it trains and scores on, what `--json` reports beside the summary
 * line, and the outcome a step that ends the run returns.
 */
import { basename, join } from "node:path";
import type { CandleSeries } from "../../features/index.ts";
import { plural } from "../../base/index.ts";
import { currentVersion, type PruneResult } from "../../ml/checkpoints/index.ts";
import { checkpointsFlag } from "../flags.ts";
import { currentManifest, prune } from "./store.ts";
import type { RetrainJson, RetrainOutcome, RetrainReason } from "./outcome.ts";
import type { PromotionRule } from "./promotion.ts";

export interface RetrainOptions {
  readonly mode: "weekly" | "monthly";
  readonly data: string;
  readonly checkpoints: string;
  readonly collect: boolean;
  readonly baseUrl: string;
  readonly interval?: string;
  readonly holdoutDays: number;
  /** How the candidate must score against current to be promoted (`PromotionRule`). */
  readonly promoteIf: PromotionRule;
  /** The candidate may be this much worse in macro-F1 / log-loss and still be promoted. */
  readonly f1Tolerance: number;
  readonly loglossTolerance: number;
  readonly keep: number;
  readonly log: string;
  /** Passed through to `train` (epochs, model, budget flags), over current's recorded configuration. */
  readonly trainArgs: readonly string[];
  /** Aborted on Ctrl-C / SIGTERM: the running step is stopped, nothing is promoted, the run ends with exit 130. */
  readonly signal?: AbortSignal;
  /** Hears a line as each step starts (retrain on a terminal; cron mail keeps its one summary line). */
  readonly progress?: (line: string) => void;
}

export type Manifest = Awaited<ReturnType<typeof currentManifest>>;

type Report = Pick<
  RetrainJson,
  | "holdout"
  | "candidate_scores"
  | "current_scores"
  | "log_loss_difference"
  | "failed_criteria"
  | "tolerated_criteria"
  | "gradient_boosting_log_loss"
  | "gradient_boosting_iterations"
  | "removed_versions"
  | "kept_in_use"
  | "prune_warnings"
  | "skipped_steps"
>;

/** The data, where its held-out days start, and the candidate's training copy of the data before them. */
export interface HoldoutCut {
  readonly series: readonly CandleSeries[];
  readonly start: number;
  readonly before: readonly CandleSeries[];
  readonly trainCsv: string;
}

export class RetrainRun {
  readonly currentDir: string | null;
  readonly incremental: boolean;
  /** What --json reports beside the summary line, filled in as the run goes. */
  readonly report: Report;

  private constructor(
    readonly opts: RetrainOptions,
    readonly root: string,
    readonly current: string | null,
    readonly manifest: Manifest | null,
  ) {
    this.currentDir = current ? join(root, current) : null;
    // Weekly fine-tunes current; without one (or monthly) the candidate is trained from scratch.
    this.incremental = opts.mode === "weekly" && current !== null;
    this.report = {
      holdout: null,
      candidate_scores: null,
      current_scores: null,
      log_loss_difference: null,
      failed_criteria: [],
      tolerated_criteria: [],
      gradient_boosting_log_loss: null,
      gradient_boosting_iterations: null,
      removed_versions: [],
      kept_in_use: [],
      prune_warnings: [],
      skipped_steps: opts.collect ? [] : [{ step: "collect", reason: "--no-collect" }],
    };
  }

  /** The run over the store at `root` as it is now: its current version and current's checked manifest. */
  static async open(opts: RetrainOptions, root: string): Promise<RetrainRun> {
    const current = await currentVersion(root);
    const manifest = current ? await currentManifest(root, current) : null;
    return new RetrainRun(opts, root, current, manifest);
  }

  /** The mode as the summary line names it once a candidate was trained. */
  get summaryMode(): string {
    return this.opts.mode === "weekly" && !this.incremental
      ? "weekly (no current model: trained from scratch)"
      : this.opts.mode;
  }

  // Hints spell out the store: printed bare, 'candlecast models promote vN' acted on the default checkpoints/
  // folder, not the one retrain ran on (helper's trial 31).
  promoteCommand(version: string): string {
    return `candlecast models promote ${version}${checkpointsFlag(this.opts.checkpoints)}`;
  }

  skip(steps: RetrainJson["skipped_steps"][number]["step"][], reason: string): void {
    steps.forEach((step) => this.report.skipped_steps.push({ step, reason }));
  }

  async outcome(
    summary: string,
    promoted: boolean,
    reason: RetrainReason,
    candidate: string | null,
  ): Promise<RetrainOutcome> {
    return {
      summary,
      promoted,
      candidate,
      json: {
        mode: this.opts.mode,
        from_scratch: !this.incremental,
        promote_if: this.opts.promoteIf,
        promoted,
        reason,
        current_before: this.current,
        current_after: await currentVersion(this.root).catch(() => null),
        candidate,
        ...this.report,
        summary,
        log: this.opts.log,
      },
    };
  }

  /**
   * The versions beyond --keep removed, and the end of the summary line that names them, those a running serve
   * kept, and the folders that could not be deleted: after the promotion, so a deletion that fails is said
   * beside the run's outcome, not reported as a failed run (exit 1, no outcome, every later run the same).
   * `candidate`: this run's; `byHand` when the summary tells the operator to promote it by hand, which spares
   * it (before, "promote it by hand with …" and then "removed … (v11…)" in one line: that promote failed);
   * otherwise, turned down and removed, it is named as such, not as an old version.
   */
  async pruneBeyondKeep(candidate?: { readonly version: string; readonly byHand: boolean }): Promise<string> {
    const spare = candidate?.byHand ? [candidate.version] : [];
    const pruned = await prune(this.root, this.opts.keep, spare);
    this.report.removed_versions = pruned.removed;
    this.report.kept_in_use = pruned.inUse;
    // The folder as --checkpoints spells it (the root is resolved); the hint's command has it whole.
    this.report.prune_warnings = pruned.warnings.map((w) => ({
      ...w,
      path: join(this.opts.checkpoints, basename(w.path)),
    }));
    return keptLine(pruned, this.report.prune_warnings, this.opts.keep, candidate?.version ?? null);
  }
}

/** A step's result that ends the run: its outcome, returned as it is. */
export function ended<T extends object | string>(result: T | RetrainOutcome): result is RetrainOutcome {
  return typeof result === "object" && "json" in result;
}

/**
 * The versions removed beyond the newest `keep` (never current or the last promoted), for the run's summary
 * line: monitor skips the logged predictions of a version that is gone, and says only that. Then those a
 * running serve kept, and each folder that could not be deleted, with why and what to do.
 */
function keptLine(
  { removed, inUse, spared }: Pick<PruneResult, "removed" | "inUse" | "spared">,
  warnings: RetrainJson["prune_warnings"],
  keep: number,
  candidate: string | null,
): string {
  // A version whose folder could not be deleted is out of the store but still on disk: "removed" said the
  // space was freed (a capacity planner's trial); the warning below says where it is.
  const stuck = new Set(warnings.map((w) => w.version));
  const gone = removed.filter((v) => !stuck.has(v));
  // This run's candidate, turned down a moment earlier, is named as such: "removed 1 old version" read as a
  // version from months ago.
  const old = gone.filter((v) => v !== candidate);
  const olds = `${plural(old.length, "old version")}`;
  let line = old.length === gone.length
    ? (gone.length > 0 ? `; removed ${olds} beyond --keep ${keep} (${gone.join(", ")})` : "")
    : `; removed this run's turned-down candidate ${candidate}${
      old.length > 0 ? ` and ${olds} (${old.join(", ")})` : ""
    } beyond --keep ${keep} (versions that never served go first)`;
  // The candidate to promote by hand, which would have gone first (it never served): kept.
  for (const v of spared ?? []) {
    line += `; kept ${v} for that promote by hand (never served, --keep ${keep} would have removed it)`;
  }
  if (inUse.length > 0) {
    line += `; kept ${inUse.join(", ")} beyond --keep ${keep}: ` +
      (inUse.length === 1
        ? "in use by a running serve (or a train about to promote it)"
        : "in use by running serves (or a train about to promote one)");
  }
  for (const w of warnings) line += `; could not delete ${w.path} (${w.reason}): ${w.hint}`;
  return line;
}
