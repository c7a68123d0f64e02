/**
 * The versioned store of SPEC §7: `v{N}_{YYYY-MM-DD}/` folders and a `current` symlink that `serve` follows.
 * `current` only ever changes by an atomic rename of a fresh symlink over it, so a reader sees the old version
 * or the new one, never neither. Each promotion remembers the target it replaced, for `rollback` (history.ts);
 * deleting old versions is prune.ts's.
 */
import { join, resolve } from "node:path";
import {
  describeOwner,
  LockBusyError,
  lockFile,
  type LockOwner,
  NotRegularFileError,
  type PathRules,
  PLATFORM_PATHS,
  removeStaleTemps,
  sameFolder,
  shellWord,
} from "../../base/index.ts";
import {
  CheckpointError,
  describeFileProblems,
  fileProblems,
  hasFileProblems,
  isVersionName,
  modelsListChecks,
  readCheckpointFiles,
  readManifestInfo,
  versionNumber,
} from "../../engine/index.ts";
import { damagedHistoryError, readHistory, readHistoryFile, withServed, writeHistory } from "./history.ts";
import { CheckpointStoreError, CurrentChangedError, CurrentLinkError } from "./errors.ts";

/** The symlink under the store's root that `serve` follows: its target is the version in service. */
export const CURRENT = "current";

// The one spelling of a version's name is the engine's (serve finds a store's versions with it too).
export { isVersionName };

/**
 * Version folders under `root`, oldest first (by N), links to folders included. A missing root has none.
 */
export async function listVersionNames(root: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(root)) {
      if (!isVersionName(entry.name)) continue;
      // A version moved to another disk and linked back is promoted and served through its link: left out, the
      // served version was missing from `models list` (no row marked current, none in --json's versions).
      if (entry.isDirectory || (entry.isSymlink && await isFolder(join(root, entry.name)))) {
        names.push(entry.name);
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return names.sort((a, b) => versionNumber(a) - versionNumber(b));
}

/** True when `path` leads to a folder (through links). */
async function isFolder(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/** The name the next version gets: N one above the highest so far, with `date` (YYYY-MM-DD, UTC). */
export async function nextVersionName(root: string, date: string): Promise<string> {
  const names = await listVersionNames(root);
  const last = names.length > 0 ? versionNumber(names[names.length - 1]) : 0;
  return `v${last + 1}_${date}`;
}

/**
 * `--checkpoints ROOT` for a command in a hint: without it the command would act on the default folder, not on
 * the store the user named (as `modelsListChecks` says for `models list`).
 */
function promoteWhere(root: string): string {
  return `--checkpoints ${shellWord(root)}`;
}

/**
 * The version a `current` link's target names (its last part) and the folder it is reached through, null when
 * the target is the bare name. Cut with the platform's path rules: cut at "/" alone, a link made on Windows
 * (`mklink /D current v3_2026-11-24\`, or one to `C:\models\v3_2026-11-24`) read as no version at all.
 */
export function linkTargetParts(
  target: string,
  paths: PathRules = PLATFORM_PATHS,
): { version: string; folder: string | null } {
  const folder = paths.dirname(target);
  return { version: paths.basename(target), folder: folder === "." ? null : folder };
}

/** The version `current` points at, or null when there is none yet. */
export async function currentVersion(
  root: string,
  paths: PathRules = PLATFORM_PATHS,
): Promise<string | null> {
  const path = join(root, CURRENT);
  let target: string;
  try {
    target = await Deno.readLink(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    if (error instanceof Deno.errors.NotADirectory) {
      throw new CheckpointStoreError(
        `${root} is a file, not a folder of versions`,
        "point --checkpoints at the folder that holds the versions",
      );
    }
    throw new CurrentLinkError(
      `${path} is not a symlink to a version`,
      // The store named: printed bare, the command acted on the default checkpoints/ folder (trial 31).
      `move it away; 'candlecast models promote VERSION ${promoteWhere(root)}' then recreates it`,
    );
  }
  // Only a version's name is read from the target: `..`, `.` or any other folder would have models list report
  // it as current and promote record it as the version replaced (serve would try to load it as a model).
  const { version, folder } = linkTargetParts(target, paths);
  if (!isVersionName(version)) {
    throw new CurrentLinkError(
      `${path} points at ${JSON.stringify(target)}, which is not a version (v{N}_{YYYY-MM-DD})`,
      `remove it ('rm ${shellWord(path)}'); 'candlecast models promote VERSION ${promoteWhere(root)}' then ` +
        "recreates it",
    );
  }
  // Through a path, the version must be this store's own: a link into another store (a backup made with
  // `cp -a` whose hand-made absolute `current` still leads into the live store) made models list mark this
  // store's folder of the same name as current, promote record it as the version replaced and
  // `train --incremental` fine-tune it, while serve and predict loaded the other store's.
  if (folder !== null && !(await sameFolder(resolve(root, folder), root))) {
    throw new CurrentLinkError(
      `${path} points at ${JSON.stringify(target)}, a version outside ${root}; serve and predict load that ` +
        `one, not ${root}'s own ${version}`,
      `remove it ('rm ${shellWord(path)}'); 'candlecast models promote VERSION ${promoteWhere(root)}' then ` +
        "points it at a version of this folder",
    );
  }
  return version;
}

/** Re-points `current` atomically: a new symlink under a temporary name, renamed over the old one. */
async function pointCurrent(root: string, version: string): Promise<void> {
  const tmp = join(root, `.${CURRENT}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  // A directory link, said: unsaid, Deno on Windows guesses the kind by stat-ing the target from the working
  // folder, not from the link's, so promote failed ("an `options` argument is required if the target does
  // not exist") unless run inside the store. Ignored elsewhere.
  await Deno.symlink(version, tmp, { type: "dir" });
  try {
    await Deno.rename(tmp, join(root, CURRENT));
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}

async function requireVersion(root: string, version: string): Promise<void> {
  if (!isVersionName(version)) {
    throw new CheckpointStoreError(
      `"${version}" is not a version name (like v3_2026-11-24)`,
      `see 'candlecast models list ${promoteWhere(root)}'`,
    );
  }
  if (!(await hasVersion(root, version))) {
    // The store named: a version removed while promote waited for the lock (retrain --keep's prune) got "see
    // 'candlecast models list'", which lists the default store (a concurrency seat).
    throw new CheckpointStoreError(
      `there is no complete version ${version} in ${root}`,
      `see 'candlecast models list ${promoteWhere(root)}'`,
    );
  }
}

/** True when `root` holds `version` complete: its manifest.json is written last. */
export async function hasVersion(root: string, version: string): Promise<boolean> {
  try {
    await Deno.stat(join(root, version, "manifest.json"));
    return true;
  } catch {
    return false;
  }
}

/** Every check a version passes before `current` may point at it: complete, and intact. */
async function requirePromotable(root: string, version: string): Promise<void> {
  await requireVersion(root, version);
  await requireIntact(root, version);
}

/**
 * Why `version` fails a check promote makes (it is not complete, or not intact), or null when it passes: the
 * version it replaces does not block a promotion, whatever the reason.
 */
async function promotionProblem(root: string, version: string): Promise<string | null> {
  try {
    await requirePromotable(root, version);
    return null;
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).replace(/; current is unchanged$/, "");
  }
}

/**
 * Refuses a version `serve` could not load: files that no longer hash as its manifest says (a truncated
 * model.onnx would fail, a swapped one answer under the wrong name), or a manifest or preprocessor.json serve
 * cannot read (a version promoted anyway would serve until the next restart, then answer 503). The same reader
 * serve uses decides.
 */
async function requireIntact(root: string, version: string): Promise<void> {
  const dir = join(root, version);
  const unservable = (error: unknown) => {
    if (!(error instanceof CheckpointError)) return error;
    // The engine's own hint where it has one (a missing model.onnx: the export that writes it).
    return new CheckpointStoreError(
      `${version} cannot be served (${error.message}); current is unchanged`,
      error.hint ||
        `restore the version's files from a backup, or promote another version ${modelsListChecks(dir)}`,
    );
  };
  let files: Readonly<Record<string, string>>;
  let named: string;
  try {
    ({ files = {}, version: named } = await readManifestInfo(dir));
  } catch (error) {
    throw unservable(error);
  }
  // A copied or renamed folder (`cp -r v3_… v10_…`, a backup restored under a free name) serves under the
  // name its manifest records: promoted, `models list` said current was v10 while /health, every prediction
  // and the predictions log monitor reads said v3, another version's name.
  if (named !== version) {
    throw nameMismatchError(version, named, isVersionName(named) && await hasVersion(root, named));
  }
  const problems = await fileProblems(dir, files);
  if (hasFileProblems(problems)) {
    throw new CheckpointStoreError(
      `${version}: ${describeFileProblems(problems, "its manifest.json")}; current is unchanged`,
      `restore the files from a backup, or promote another version ${modelsListChecks(dir)}`,
    );
  }
  try {
    await readCheckpointFiles(dir);
  } catch (error) {
    throw unservable(error);
  }
}

/**
 * Folder `version` whose manifest.json records another version's name: what it is, and the way out (`taken`:
 * a folder of that name is in the store already, the original or another model of the same name).
 */
export function nameMismatchError(version: string, named: string, taken: boolean): CheckpointStoreError {
  return new CheckpointStoreError(
    `${version}'s manifest.json names it ${named} (a copied or renamed folder?), and serve, predict and ` +
      `monitor would report it as ${named}; current is unchanged`,
    taken
      ? `promote ${named} itself if this is a copy of it; a different model of that name needs a checkpoints ` +
        "folder of its own"
      : `rename the folder back to ${named}, the name its manifest gives it, and promote that`,
  );
}

/**
 * The error for `.current.lock` (`path`, in the store `root`) that could not be made or opened for writing,
 * saying whose fix it is; null for any other failure. Before, a store this process may not write was reported
 * by the system's words alone, and Deno's refusal (no --allow-write for it) with a hint about /dev and /proc.
 */
function lockCreationError(root: string, path: string, error: unknown): CheckpointStoreError | null {
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: unknown }).code;
  const what = `cannot open ${path}, the lock promote and rollback take`;
  if (error instanceof Deno.errors.NotCapable) {
    return new CheckpointStoreError(
      `${what}: this process may not write ${root} (${error.message}); current is unchanged`,
      `allow it (--allow-write=${shellWord(root)}), or run candlecast as 'deno task cli' or the compiled ` +
        "binary, which grant it",
      2,
    );
  }
  if (code === "EROFS" || /\(os error 30\)/.test(error.message)) {
    return new CheckpointStoreError(
      `${what}: the file system holding ${root} is read-only (${error.message}); current is unchanged`,
      `promote and rollback write in ${root}: run them where it is mounted read-write`,
    );
  }
  if (error instanceof Deno.errors.PermissionDenied || code === "EACCES" || code === "EPERM") {
    return new CheckpointStoreError(
      `${what}: permission denied (${error.message}); current is unchanged`,
      `promote and rollback write in ${root}: run them as its owner ('ls -ld ${
        shellWord(root)
      }' shows it), ` +
        "or give this user write access to it and to the lock",
    );
  }
  return null;
}

/** A promotion waits this long for another one (they take milliseconds), then fails saying who holds it. */
export const CURRENT_LOCK_WAIT_MS = 30_000;

/**
 * Promotions and rollbacks read `current` and the history, then rewrite both: two at once could each
 * record the other's target as "previous" and report a switch that did not stick. A kernel lock on
 * `.current.lock` (base's `lockFile`) serializes them across processes — serve only reads and never waits.
 * `pruneVersions` (prune.ts) decides under it too; index.ts does not export it.
 */
export async function withCurrentLock<T>(
  root: string,
  what: string,
  work: () => Promise<T>,
  onLockWait?: (owner: LockOwner, lock: string) => void,
): Promise<T> {
  const path = join(root, ".current.lock");
  let lock;
  try {
    lock = await lockFile(path, what, {
      waitMs: CURRENT_LOCK_WAIT_MS,
      ...(onLockWait ? { onWait: (owner: LockOwner) => onLockWait(owner, path) } : {}),
    });
  } catch (error) {
    if (error instanceof NotRegularFileError) {
      throw new CheckpointStoreError(
        `${path} is ${error.kind}, not the lock file promote and rollback take; current is unchanged`,
        error.hint,
      );
    }
    const uncreatable = lockCreationError(root, path, error);
    if (uncreatable !== null) throw uncreatable;
    if (!(error instanceof LockBusyError)) throw error;
    throw new CheckpointStoreError(
      `${join(root, CURRENT)} is being changed by ${describeOwner(error.owner)}; gave up after ` +
        `${Math.round(error.waitedMs / 1000)} s`,
      `try again when it has finished; ${path} is the lock`,
    );
  }
  try {
    await removeStaleCurrentTemps(root);
    return await work();
  } finally {
    lock.release();
  }
}

/**
 * Removes, under the lock, the temporary files a promote or rollback killed mid-write left (`.current.<pid>.…`
 * links and `.current_history.json.<pid>.…` files whose process is gone), with train's own sweep
 * (`removeStaleTemps`). Before, only train removed them, and a store whose retrains run elsewhere kept them.
 * One that cannot be removed is left: it blocks nothing.
 */
async function removeStaleCurrentTemps(root: string): Promise<void> {
  // The history's temps are writeFileAtomic's, beside history.ts's `.current_history.json`.
  for (const prefix of [`.${CURRENT}.`, ".current_history.json."]) {
    await removeStaleTemps(root, prefix).catch(() => {});
  }
}

export interface PromoteOptions {
  /**
   * Promote only if `current` still points here (null: at nothing), checked under the lock; otherwise throw
   * CurrentChangedError and leave it. `retrain` compares its candidate with the current it read at its start,
   * and a promote or rollback made by hand while it trained must not be silently undone.
   */
  readonly ifCurrent?: string | null;
  /**
   * Told, under the lock, when the version `current` pointed at fails promote's own checks (damaged, gone) and
   * so is not kept as the rollback target (`rollback` would refuse it): its name and why.
   */
  readonly onPreviousDropped?: (previous: string, reason: string) => void;
  /** Told once when `.current.lock` is held and the call waits for it (up to CURRENT_LOCK_WAIT_MS): by whom. */
  readonly onLockWait?: (owner: LockOwner, lock: string) => void;
}

/**
 * Points `current` at `version`, remembering the previous target for rollback when it passes promote's checks
 * (`onPreviousDropped` hears when it does not). Returns that target.
 */
export function promote(root: string, version: string, options: PromoteOptions = {}): Promise<string | null> {
  return withCurrentLock(
    root,
    `models promote ${version}`,
    () => promoteLocked(root, version, options),
    options.onLockWait,
  );
}

async function promoteLocked(root: string, version: string, options: PromoteOptions): Promise<string | null> {
  await requirePromotable(root, version);
  const previous = await currentVersion(root);
  if (options.ifCurrent !== undefined && previous !== options.ifCurrent) {
    throw new CurrentChangedError(options.ifCurrent, previous);
  }
  if (previous === version) return previous;
  // A current that fails promote's checks (damaged, or gone) is no rollback target: `rollback` would refuse it
  // on the hash check, or skip it. Dropped for good: restoring its files later does not put it back. It served
  // all the same: recorded as served (what retrain --keep deletes last). `version` is not, yet: a promote that
  // dies before `current` moves would leave a version marked served that never was, and --keep would then
  // delete one that had served before it. It is recorded by whichever promote or rollback moves off it.
  if (previous !== null) {
    const problem = await promotionProblem(root, previous);
    const history = await readHistoryFile(root);
    const served = withServed(history.served, previous);
    // Pushed once: a promote killed after this write and before `current` moved leaves `previous` last
    // already, and a second copy made a later killed rollback's retry return to the version it had left (a
    // concurrency seat: current v2, rollback target v3, the one just rolled away from).
    const pushed = history.previous.at(-1) === previous ? history.previous : [...history.previous, previous];
    if (problem === null) await writeHistory(root, { previous: pushed, served });
    else {
      await writeHistory(root, { previous: history.previous, served });
      options.onPreviousDropped?.(previous, problem);
    }
  }
  await pointCurrent(root, version);
  return previous;
}

/**
 * What a promotion says of the version it replaced when `onPreviousDropped` hears of it. Before, that version
 * was recorded as the rollback target, which `models rollback` then refused on its hash check.
 */
export function droppedPreviousLine(version: string, reason: string): string {
  return `${version} is not kept as the rollback target: ${reason}`;
}

/** What a rollback did: where `current` pointed, where it points now, and the targets skipped as deleted. */
export interface Rollback {
  readonly from: string | null;
  readonly to: string;
  /**
   * Versions served more recently than `to` that were deleted from the store since (newest first): skipped, and
   * named, so that the user learns `current` went further back than the version served before (a silent
   * skip left them believing the previous version was serving again).
   */
  readonly gone: readonly string[];
  /** Why the rollback history could not be rewritten after `current` moved (absent when it was). */
  readonly historyError?: string;
}

/**
 * The version `rollback` would return to now (the newest earlier target still there, as `rollbackLocked` walks
 * the history), or null: for `models list`, so a user pruning versions by hand can see which one to keep.
 * Read without the lock, so it may be stale by the time a rollback runs; a history that cannot be read is null.
 */
export async function rollbackTarget(root: string): Promise<string | null> {
  try {
    return (await previousVersion(root, await readHistory(root), await currentVersion(root)))?.to ?? null;
  } catch {
    return null; // no readable history, or no readable current: nothing to name
  }
}

/**
 * The version a rollback returns to: the history's latest entry that is not `from` (current) and is still a
 * complete version; `rest` is the history before it (what the history becomes), `gone` the entries skipped
 * as deleted since. One walk for `rollback` and for `rollbackTarget` (models list, retrain --keep), so what is
 * marked and spared is what a rollback would take.
 */
async function previousVersion(
  root: string,
  history: readonly string[],
  from: string | null,
): Promise<{ to: string; rest: string[]; gone: string[] } | null> {
  const gone: string[] = [];
  for (let i = history.length - 1; i >= 0; i--) {
    const to = history[i];
    if (to === from) continue;
    if (!isVersionName(to) || !(await hasVersion(root, to))) {
      gone.push(to); // deleted since: skip to the one before it
      continue;
    }
    return { to, rest: history.slice(0, i), gone };
  }
  return null;
}

/** Points `current` back at the version it pointed at before the last promotion. */
export function rollback(
  root: string,
  { onLockWait }: Pick<PromoteOptions, "onLockWait"> = {},
): Promise<Rollback> {
  return withCurrentLock(root, "models rollback", () => rollbackLocked(root), onLockWait);
}

async function rollbackLocked(root: string): Promise<Rollback> {
  const from = await currentVersion(root);
  const history = await readHistoryFile(root);
  const previous = await previousVersion(root, history.previous, from);
  if (previous !== null) {
    const { to, rest, gone } = previous;
    await requireIntact(root, to); // damaged: say so rather than silently serve an older one
    // `from` served (promote records a version only once it moves off it): recorded before `current` moves, so
    // a history write that fails after the move (below) does not lose it. Best effort: the rollback matters more.
    const served = withServed(history.served, from);
    // Written as it must read on either side of the move: `to` last (the target before it, skipped as current
    // after it). The history as it was kept entries after `to`: a promote killed between its history write and
    // its move leaves `from` there, and a rollback killed after its move then had `from`, the version just
    // rolled away from, as the next target (a concurrency seat).
    const before = await writeHistory(root, { previous: [...rest, to], served }).then(
      () => null,
      (error: unknown) => error instanceof Error ? error.message : String(error),
    );
    // Unwritten, the history as read must not hold entries after `to` (a killed promote's): with `current` moved
    // they would be the next target, the version just left. Refused before the move (a review: a full disk).
    // Only `from` there harms: versions deleted since are skipped again on the next walk (a review).
    if (before !== null && from !== null && history.previous.slice(rest.length + 1).includes(from)) {
      throw new CheckpointStoreError(
        `cannot write ${join(root, ".current_history.json")} (${before}); current is unchanged (${from})`,
        `free space (or mend the folder's permissions), then run 'candlecast models rollback ${
          promoteWhere(root)
        }' again`,
      );
    }
    await pointCurrent(root, to);
    // `current` has moved: the rollback is done. A history that cannot be written now (a full disk) still ends
    // in `to`, which is harmless: a later rollback skips a target equal to current, as after a crash between
    // these two steps. So it is said beside the rollback, not reported as a failure of a switch that happened
    // (exit 1 while serve loads `to`).
    // The targets walked back over leave `previous`, not `served`: `from` served traffic (a version promoted by
    // hand and rolled back counted as never served, and retrain --keep deleted it first).
    const historyError = await writeHistory(root, { previous: rest, served }).then(
      () => null,
      (error: unknown) => error instanceof Error ? error.message : String(error),
    );
    return { from, to, gone, ...(historyError === null ? {} : { historyError }) };
  }
  // A history empty, cut short or of the wrong type: the file is named, with the promote that mends it (it was
  // "there is no earlier version to roll back to", as in a store never promoted twice).
  if (history.damaged !== undefined) throw damagedHistoryError(root, history.damaged);
  // The versions served before that were deleted since (by retrain --keep, or by hand): named, not left to
  // "no earlier version" beside a history that lists them (a year's trial).
  const gone = [...new Set(history.previous.filter((v) => v !== from))].reverse();
  throw new CheckpointStoreError(
    gone.length > 0
      ? `there is no earlier version to roll back to: the ones served before (${
        gone.join(", ")
      }) were deleted ` +
        "since"
      : "there is no earlier version to roll back to",
    `promote one with 'candlecast models promote VERSION ${promoteWhere(root)}'`,
  );
}
