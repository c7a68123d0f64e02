/**
 * `candlecast models list|promote VERSION|rollback`: the versioned store seen from the command line. Every
 * change of `current` is the store's atomic symlink switch; `serve` follows it.
 */
import { Command } from "commander";
import { DEFAULTS } from "./defaults.ts";
import { join, resolve } from "node:path";
import { z } from "zod";
import { CommandError, UsageError } from "./errors.ts";
import { checkpointsFlag, flag, parseFlags, requireFolderPath } from "./flags.ts";
import { isLiveRun, runFolderNames } from "./train_runs/index.ts";
import { notePromotionChanges } from "./promotion_notes.ts";
import {
  describeOwner,
  type LockOwner,
  pathKind,
  type PathRules,
  PLATFORM_PATHS,
  plural,
  sameFolder,
  withoutTrailingSeparators,
  writeStderrLine,
} from "../base/index.ts";
import {
  CheckpointStoreError,
  CURRENT_LOCK_WAIT_MS,
  droppedPreviousLine,
  hasVersion,
  isVersionName,
  listVersionNames,
  promote,
  readCurrent,
  rollback,
  rollbackTarget,
  summarizeVersions,
  type VersionSummary,
} from "../ml/checkpoints/index.ts";

const FlagsSchema = z.object({ checkpoints: flag.folderPath() });
const ListFlagsSchema = FlagsSchema.extend({ json: z.boolean().default(false) });

/** Store failures are runtime failures with a hint (exit 1). */
async function store<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    // Its exit code kept: a store this process may not write for want of --allow-write is the command line's (2).
    if (error instanceof CheckpointStoreError) {
      throw error.exitCode === 2
        ? new UsageError(error.message, error.hint)
        : new CommandError(error.message, error.hint);
    }
    throw error;
  }
}

export function versionTable(
  versions: readonly VersionSummary[],
  rollbackTo: string | null = null,
): string[] {
  // The macro-F1 of the classes serve names by default, so under the version's rule (named beside it).
  // The interval is what a bot must send (serve refuses windows of another one) and what the collect lines of
  // retrain and monitor must fetch: docs/deployment.md sends users here to read it.
  const header = [
    "",
    "version",
    "date",
    "model",
    "interval",
    "test macro-F1 (rule, windows)",
    "parent",
    "files",
    "note",
  ];
  const rows = versions.map((v) => [
    v.current ? "*" : "",
    v.version,
    v.createdAt?.slice(0, 10) ?? "?",
    // A blend's score is not the network's: the model column says which a version serves (promote and rollback
    // between the two change what serve answers).
    (v.modelType ?? "?") + (v.blend ? " + boosting" : ""),
    v.interval ?? "?",
    // Beside the score, the windows it is over: a fine-tune's 150 test windows and another version's 1,620
    // read alike without them (a practitioner's trial).
    v.testMacroF1 === null ? "—" : `${v.testMacroF1.toFixed(4)} ${v.testRule}` +
      (v.testWindows === null ? "" : `, ${v.testWindows.toLocaleString("en-US")}`),
    v.parent ?? "",
    v.mismatched === null || v.missing === null
      ? "?"
      : v.missing.length > 0
      ? "MISSING"
      : v.mismatched.length > 0
      ? "CHANGED"
      : "ok",
    // The version rollback returns to: the one to keep when removing old versions by hand.
    [v.current ? "current" : "", v.version === rollbackTo ? "rollback target" : "", v.note ?? ""]
      .filter((s) => s).join("; "),
  ]);
  const widths = header.map((_, k) => Math.max(...[header, ...rows].map((r) => r[k].length)));
  return [header, ...rows].map((r) => r.map((cell, k) => cell.padEnd(widths[k])).join("  ").trimEnd());
}

/**
 * What `models list --json` prints: the table's facts, one object per version, for scripts (cron, CI, Ansible)
 * that would otherwise scrape the padded columns. Keys are snake_case as in manifest.json and metrics.json;
 * every fact the table or its closing lines show is here, `null` where the table shows "?" or "—".
 */
export const ModelsListJson = z.object({
  checkpoints: z.string(),
  /** The version `current` names, even one that is gone (`current_missing`); null without a `current`. */
  current: z.string().nullable(),
  /** `current` names a version that is not there: serve and predict have no model to load. */
  current_missing: z.boolean(),
  /**
   * Why `current` names no version although it is there (then `current` is null): a folder or file where the
   * symlink goes, or a link to something that is not a version of this store; with what to do. Null otherwise.
   */
  current_problem: z.string().nullable(),
  /** The version `models rollback` would point `current` at now; null when there is none to return to. */
  rollback_target: z.string().nullable(),
  versions: z.array(z.object({
    version: z.string(),
    created_at: z.string().nullable(),
    model_type: z.string().nullable(),
    interval: z.string().nullable(),
    /** Test macro-F1 under `test_rule`, the version's served decision rule (argmax for older versions). */
    test_macro_f1: z.number().nullable(),
    test_rule: z.string().nullable(),
    test_windows: z.number().int().nullable(),
    /**
     * What the version serves beside the network, as /model/info says it: {with: "gradient_boosting", weight:
     * the network's share} (train --blend-boosting; its test_macro_f1 is then the blend's), or null.
     */
    blend: z.object({ with: z.literal("gradient_boosting"), weight: z.number() }).nullable(),
    parent: z.string().nullable(),
    current: z.boolean(),
    /** The table's files column in lower case: "unknown" when the manifest could not be read or records no hashes. */
    files: z.enum(["ok", "changed", "missing", "unknown"]),
    /** Files that no longer hash as recorded, or that are no regular file (a FIFO, a folder; `note` says). */
    changed_files: z.array(z.string()).nullable(),
    missing_files: z.array(z.string()).nullable(),
    note: z.string().nullable(),
  })),
  /** Training runs in the folder that are not versions (yet): training now, and stopped or killed ones. */
  training_runs: z.object({
    in_progress: z.number().int(),
    stopped: z.number().int(),
    unreadable: z.number().int(),
  }),
});
export type ModelsListJson = z.infer<typeof ModelsListJson>;

function filesWord(v: VersionSummary): ModelsListJson["versions"][number]["files"] {
  if (v.mismatched === null || v.missing === null) return "unknown";
  return v.missing.length > 0 ? "missing" : v.mismatched.length > 0 ? "changed" : "ok";
}

export function versionsJson(
  checkpoints: string,
  versions: readonly VersionSummary[],
  current: { readonly version: string | null; readonly missing: boolean; readonly problem?: string | null },
  runs: RunCounts,
  rollbackTo: string | null = null,
): ModelsListJson {
  return {
    checkpoints,
    current: current.version,
    current_missing: current.missing,
    current_problem: current.problem ?? null,
    rollback_target: rollbackTo,
    versions: versions.map((v) => ({
      version: v.version,
      created_at: v.createdAt,
      model_type: v.modelType,
      interval: v.interval,
      test_macro_f1: v.testMacroF1,
      test_rule: v.testRule,
      test_windows: v.testWindows,
      blend: v.blend,
      parent: v.parent,
      current: v.current,
      files: filesWord(v),
      changed_files: v.mismatched === null ? null : [...v.mismatched],
      missing_files: v.missing === null ? null : [...v.missing],
      note: v.note,
    })),
    training_runs: { in_progress: runs.live, stopped: runs.stopped, unreadable: runs.unreadable },
  };
}

function checkpointsOption(command: Command): Command {
  return command.option("--checkpoints <dir>", "where versions are stored", DEFAULTS.checkpoints);
}

/**
 * A --checkpoints that does not exist is the user's to fix unless it is the default folder, which is simply
 * not made yet: a typo'd one read as an empty store (exit 2, so a script does not take it for "no versions").
 */
function requireDefaultIfMissing(checkpoints: string): void {
  if (resolve(checkpoints) === resolve(DEFAULTS.checkpoints)) return;
  throw new UsageError(
    `--checkpoints: ${checkpoints} does not exist`,
    "check the path ('candlecast train' creates the folder with its first version)",
  );
}

/** The --checkpoints folder of `command`; a file there is a usage error, a missing folder holds no versions. */
function checkpointsOf(name: string, command: Command): string {
  const { checkpoints } = parseFlags(name, FlagsSchema, command.opts());
  requireFolderPath("--checkpoints", checkpoints);
  return checkpoints;
}

/**
 * What to type instead of `given`, which is not a version name: the name alone when it is a version's path (a
 * shell's tab completion gives `checkpoints/v3_2026-11-24/`, on Windows `checkpoints\v3_2026-11-24\`), the
 * full name when it is its `v3` prefix. `paths`: the platform's rules, a parameter so both can be tested.
 */
export async function versionNameHint(
  given: string,
  checkpoints: string,
  paths: PathRules = PLATFORM_PATHS,
): Promise<string> {
  const path = withoutTrailingSeparators(given, paths);
  const name = paths.basename(path);
  if (isVersionName(name) && path !== name) {
    // The folder the path names, spelt as the user typed --checkpoints when both are the same folder.
    const above = paths.dirname(path);
    const store = await sameFolder(above, checkpoints) ? checkpoints : above;
    return `give the version's name alone: 'candlecast models promote ${name}${checkpointsFlag(store)}'`;
  }
  const named = /^v\d+$/.test(given)
    ? (await listVersionNames(checkpoints).catch(() => [])).find((v) => v.startsWith(`${given}_`))
    : undefined;
  if (named) {
    return `did you mean ${named}? 'candlecast models promote ${named}${checkpointsFlag(checkpoints)}'`;
  }
  return `see 'candlecast models list${checkpointsFlag(checkpoints)}' for the versions`;
}

interface RunCounts {
  readonly live: number;
  readonly stopped: number;
  /** Runs whose lock this user may not open (another user's, made mode 0640): live or not is unknown. */
  readonly unreadable: number;
}

/** The training runs in `checkpoints` that are not versions (yet): ones training now, and stopped or killed. */
async function countTrainingRuns(checkpoints: string): Promise<RunCounts> {
  let live = 0, stopped = 0, unreadable = 0;
  for (const name of await runFolderNames(checkpoints)) {
    // Another user's run: its lock is made mode 0640, so a user outside its group cannot open it to ask (the
    // list failed whole, "permission denied").
    const running = await isLiveRun(join(checkpoints, name)).catch((error) => {
      if (error instanceof Deno.errors.PermissionDenied) return null;
      throw error;
    });
    if (running === null) unreadable++;
    else if (running) live++;
    else stopped++;
  }
  return { live, stopped, unreadable };
}

/**
 * Lines about the training runs in `checkpoints` that are not versions (yet): ones training now, and ones
 * stopped or killed, whose trained epochs `train --resume` continues from (a killed run saves no version).
 */
async function trainingRuns(
  checkpoints: string,
  { live, stopped, unreadable }: RunCounts,
  current: string | null,
): Promise<string[]> {
  const lines: string[] = [];
  if (live > 0) lines.push(`${plural(live, "training run")} in progress in ${checkpoints}`);
  if (unreadable > 0) {
    lines.push(
      `${plural(unreadable, "training run")} in ${checkpoints} whose lock this user may not open (another ` +
        "user's): whether it is training now is not known here; 'candlecast models list' as that user says",
    );
  }
  if (stopped > 0) {
    // The run --resume would take, as it would take it (`resumeChoice`, with train's own flag schema): one it
    // refuses is not offered, but named with what to do: one an older candlecast started (an upgrade left such
    // a run listed as resumable, and the only way on from --resume's refusal unsaid), one whose weights file
    // is cut short or corrupt, or whose run.json records a flag value this candlecast refuses (offered, then
    // refused by --resume), and retrain's, which --resume does not continue.
    // Loaded only here: reading a run's state pulls in the training code and its tensor library (~0.2 s),
    // which a store without stopped runs (most `models list` calls) does not need; so are the weights read.
    const [folder, { TrainFlagsSchema }] = await Promise.all([
      import("./train_runs/folder/index.ts"),
      import("./train/index.ts"),
    ]);
    const runs = await folder.abandonedRuns(checkpoints);
    const choice = await folder.resumeChoice(runs, TrainFlagsSchema);
    const { run: newest, refused } = choice;
    const retrains = runs.filter((run) => run.retrain !== undefined);
    // Counted apart from the others (a run that started or ended since the count is not said twice).
    const own = Math.max(stopped - retrains.length, 0);
    const them = (n: number) => n === 1 ? "it" : "them";
    const stoppedRuns = `${plural(own, "stopped or killed training run")} in ${checkpoints}: `;
    // Killed between saving its version and promoting it: the version had an empty note and nothing said so.
    // Not once it is current (promoted by hand since, or the kill came after the switch).
    const saved = runs.find((run) => run.savedAs !== undefined && !run.retrain)?.savedAs;
    if (saved !== undefined && saved !== current) {
      lines.push(
        `a training run in ${checkpoints} saved ${saved} and was stopped before it ended, ${saved} not current; ` +
          `'candlecast models promote ${saved}${checkpointsFlag(checkpoints)}' serves it`,
      );
    }
    // Retrain's candidate, saved by its train step before retrain was killed: never judged, so never offered
    // for promotion as the user's version above is (it was, with "'candlecast models promote vN' serves it").
    for (const run of retrains) {
      if (run.savedAs === undefined || run.savedAs === current) continue;
      lines.push(
        `retrain was killed after its train step saved ${run.savedAs} in ${checkpoints} and before it compared ` +
          `${run.savedAs} with current: an unjudged candidate, not promoted, which no later retrain judges ` +
          `(each trains and judges its own); ${folder.unjudgedCandidateHint(checkpoints, run.savedAs)}`,
      );
    }
    if (own > 0 || retrains.length === 0) {
      lines.push(
        refused
          ? stoppedRuns +
            `'candlecast train --resume' would take the newest, ${refused.dir}, which cannot be ` +
            `resumed: ${refused.problem}; ${refused.hint}`
          : !newest
          // "--resume continues the newest" where --resume answers "no interrupted training run to resume".
          ? stoppedRuns +
            "none can be resumed (none finished an epoch, its version was saved, or its files " +
            `cannot be read); the next 'candlecast train' removes ${them(own)}`
          : folder.splitOutdated(newest.state)
          ? stoppedRuns + `the newest that finished an epoch, ${newest.dir}: ${folder.OUTDATED_RUN}`
          : stoppedRuns +
            `'candlecast train --resume${checkpointsFlag(checkpoints)}' continues the newest that ` +
            "finished an epoch",
      );
    }
    if (retrains.length > 0) {
      const n = retrains.length;
      // What --resume does with them, as it does it: passes them over for a run of the user's it takes or
      // refuses; else refuses the newest with something in it as retrain's (exit 1); else finds nothing to
      // continue. "passes it over" was said in every case, and --resume then refused the run as retrain's.
      const resume = newest || refused
        ? `passes ${them(n)} over`
        : choice.passedOver.length > 0
        ? `refuses to continue ${n === 1 ? "it" : "the newest"} as retrain's`
        : `has nothing in ${them(n)} to continue`;
      const which = `${plural(n, "stopped run")} in ${checkpoints} ${n === 1 ? "is" : "are"} retrain's`;
      const removes = `and the next train or retrain to start removes ${them(n)}`;
      lines.push(
        `${which} (its train step, left when retrain was killed): 'candlecast train --resume' ${resume}, ` +
          removes,
      );
    }
  }
  return lines;
}

export function modelsCommand(): Command {
  const models = new Command("models").summary("list model versions, promote one, or roll back").description(
    "Lists the model versions in --checkpoints, points 'current' (what serve, predict and export use) at one, " +
      "or back at the one served before it. serve picks up a new 'current' by itself.",
  );

  const list = checkpointsOption(models.command("list").description("list versions with their test metrics"))
    .option("--json", "print the same facts as one JSON object, for scripts");
  list.action(async () => {
    const checkpoints = checkpointsOf("models list", list);
    const { json } = parseFlags("models list", ListFlagsSchema, list.opts());
    const versions = await store(() => summarizeVersions(checkpoints));
    const counts = await countTrainingRuns(checkpoints);
    if (versions.length === 0 && pathKind(checkpoints) === null) requireDefaultIfMissing(checkpoints);
    // A `current` that is no link to a version (a folder copied over it) fails promote and rollback, which
    // say so; the list still lists the versions (it failed whole, exit 1) and says it once, below them.
    const { version: current, problem } = await store(() => readCurrent(checkpoints));
    const currentProblem = problem === null ? null : `${problem.message}; ${problem.hint}`;
    // A `current` left pointing at a version that is gone (a folder removed by hand).
    const currentMissing = current !== null && pathKind(join(checkpoints, "current")) === null;
    const rollbackTo = await rollbackTarget(checkpoints);
    if (json) {
      const body = versionsJson(
        checkpoints,
        versions,
        { version: current, missing: currentMissing, problem: currentProblem },
        counts,
        rollbackTo,
      );
      console.log(JSON.stringify(body, null, 2));
      return;
    }
    const runs = await trainingRuns(checkpoints, counts, current);
    if (versions.length === 0 && pathKind(checkpoints) === null) {
      console.log(
        `no versions: ${checkpoints} does not exist (check --checkpoints; train creates it with its first version)`,
      );
    } else if (versions.length === 0) {
      // The store named: printed bare, the command trained into the default folder.
      console.log(
        `no versions in ${checkpoints} yet; train one with 'candlecast train${checkpointsFlag(checkpoints)}'`,
      );
    } else {
      versionTable(versions, rollbackTo).forEach((line) => console.log(line));
    }
    if (problem !== null) {
      console.log(`${problem.message}, so no version is marked current`);
      console.log(`hint: ${problem.hint}`);
    }
    // Such a `current` shows no marker above: say so, since serve then has nothing to load.
    if (currentMissing) {
      console.log(
        `current → ${current}, which is not there: serve and predict have no model to load; point it at a ` +
          `version with 'candlecast models promote VERSION${checkpointsFlag(checkpoints)}'`,
      );
    }
    runs.forEach((line) => console.log(line));
  });

  /** Said once when promote or rollback waits for another change of `current` (or whoever holds its lock). */
  const lockWaitNotice = (checkpoints: string) => (owner: LockOwner, lock: string) =>
    writeStderrLine(
      `waiting for ${lock}: ${join(checkpoints, "current")} is being changed by ${describeOwner(owner)} ` +
        `(up to ${CURRENT_LOCK_WAIT_MS / 1000} s)`,
    );

  const promoteCommand = checkpointsOption(
    models.command("promote").argument("<version>", "version to serve, e.g. v3_2026-11-24").description(
      "point 'current' at VERSION",
    ),
  );
  promoteCommand.action(async (typed: string) => {
    const checkpoints = checkpointsOf("models promote", promoteCommand);
    // A shell's completion of the folder's name adds a separator: "v3_2026-11-24/" (on Windows also
    // "v3_2026-11-24\") names the same version.
    const version = withoutTrailingSeparators(typed);
    if (!isVersionName(version)) {
      throw new UsageError(
        `"${typed}" is not a version name (like v3_2026-11-24)`,
        await versionNameHint(typed, checkpoints),
      );
    }
    // A store that is not there is named as such, as list and rollback name it: "no complete version … in
    // nowhere" sent an operator to 'models list --checkpoints nowhere', which fails (an operator's trial).
    if (pathKind(checkpoints) === null) {
      requireDefaultIfMissing(checkpoints);
      throw new UsageError(
        `there is no version ${version} to promote: ${checkpoints} does not exist`,
        "train one first with 'candlecast train'",
      );
    }
    // A version that is not there is a wrong argument (2), like a malformed one; a damaged one is not (1).
    if (!(await hasVersion(checkpoints, version))) {
      throw new UsageError(
        `there is no complete version ${version} in ${checkpoints}`,
        `see 'candlecast models list${checkpointsFlag(checkpoints)}' for the versions`,
      );
    }
    let dropped = "";
    const previous = await store(() =>
      promote(checkpoints, version, {
        onPreviousDropped: (v, reason) => void (dropped = droppedPreviousLine(v, reason)),
        onLockWait: lockWaitNotice(checkpoints),
      })
    );
    const was = previous === null ? "" : previous === version ? " (already)" : ` (was ${previous})`;
    console.log(`${join(checkpoints, "current")} → ${version}${was}`);
    if (dropped) console.log(dropped);
    await notePromotionChanges(checkpoints, previous, version);
  });

  const rollbackCommand = checkpointsOption(
    models.command("rollback").description("point 'current' back at the previously served version"),
  );
  rollbackCommand.action(async () => {
    const checkpoints = checkpointsOf("models rollback", rollbackCommand);
    // Taking the lock would create the folder: a typo'd --checkpoints was made, with a .current.lock in it,
    // before 'there is no earlier version to roll back to' (exit 1), as if a store were there and empty.
    if (pathKind(checkpoints) === null) {
      requireDefaultIfMissing(checkpoints);
      throw new CommandError(
        `there is no version to roll back to: ${checkpoints} does not exist`,
        "train one first with 'candlecast train'",
      );
    }
    const { from, to, gone, historyError } = await store(() =>
      rollback(checkpoints, { onLockWait: lockWaitNotice(checkpoints) })
    );
    console.log(`${join(checkpoints, "current")} → ${to}${from ? ` (was ${from})` : ""}`);
    await notePromotionChanges(checkpoints, from, to);
    if (historyError) {
      writeStderrLine(
        `note: the rollback is done, but its history could not be updated (${historyError}); a later ` +
          "rollback still goes back past it",
      );
    }
    if (gone.length > 0) {
      console.log(
        `skipped ${gone.join(", ")}: served before ${from ?? "it"} but deleted from ${checkpoints} since`,
      );
    }
  });
  return models;
}
