/**
 * Deleting old versions (`retrain --keep`): `pruneVersions` decides which under `.current.lock`, as promote and
 * rollback decide what `current` becomes, renames them away there, and deletes them after the lock is let go.
 * A version a running `serve` holds is spared, and a folder that cannot be deleted is a warning.
 */
import { dirname, join, resolve } from "node:path";
import { rm } from "node:fs/promises";
import { openExistingLockReadOnly, openFolderReadOnly, shellWord } from "../../base/index.ts";
import { readHistoryFile } from "./history.ts";
import { currentVersion, listVersionNames, rollbackTarget, withCurrentLock } from "./store.ts";

/**
 * A version being deleted: renamed to `.removing-<version>-<id>` under `.current.lock`, so it stops being a
 * version at once, then deleted. A deletion cut short (kill -9) left a half-deleted version that `models list`
 * showed with files missing; now it leaves a hidden folder that the next `pruneVersions` deletes.
 */
const REMOVING = /^\.removing-(.+?)(?:-[0-9a-f]{8})?$/;

/**
 * A folder `pruneVersions` could not delete. Said, not thrown: by then retrain has promoted (or kept) and
 * that is its outcome; a version a `sudo candlecast train` left root-owned, or one made read-only by hand,
 * failed every later run with "permission denied (EACCES: permission denied, rm)", no path, no outcome.
 */
export interface PruneWarning {
  /** The version it was (or still is, when `kept`). */
  readonly version: string;
  /**
   * The folder left: the hidden `.removing-…` one the version was renamed to (no longer a version; the next
   * prune tries again), or, when `kept`, the version's own folder, which could not even be renamed.
   */
  readonly path: string;
  /** The version could not be renamed away: it is still a version, listed and promotable. */
  readonly kept: boolean;
  /** Why, in a few words: "permission denied", "read-only file system", or the system's message. */
  readonly reason: string;
  /**
   * What to do about it, with the absolute path: the command that removes a `.removing-…` folder, or, when
   * `kept`, what the store folder needs to let the version be renamed away (never `rm -rf` on a version).
   */
  readonly hint: string;
}

/** What `pruneVersions` did. */
export interface PruneResult {
  /** The versions removed: no longer versions (a warning says when one's files could not be deleted). */
  readonly removed: string[];
  /**
   * Versions beyond `keep` spared because a running `serve` serves them (it holds a shared lock on their
   * folder: `--checkpoint ck/vN` pinned to one, or a worker still on an older one), or a running `train` has
   * just saved them and not yet promoted (it holds the folder's lock from its save to its promote). Deleted,
   * serve answered from memory until its next restart, then 503; train's version was lost.
   */
  readonly inUse: string[];
  /** Folders that could not be deleted, and why. */
  readonly warnings: PruneWarning[];
  /**
   * Versions the caller asked to spare (`spare`) that would otherwise have gone: another went in each one's
   * place. Absent when none was.
   */
  readonly spared?: string[];
}

/**
 * Deletes as many versions as stand beyond the newest `keep`, choosing those that never served first (oldest
 * first), then served ones (oldest first); never `current`, the version a rollback would return to, nor one a
 * running `serve` serves (`inUse`), and says which it removed. Which ones is decided under `.current.lock`,
 * as promote and rollback decide: read without it (retrain's `--keep` did), a version promoted by hand while
 * the old ones were being deleted was deleted too and `current` left pointing at nothing. The files themselves
 * go after the lock is released, so a promote never waits on a slow deletion. A folder that cannot be renamed
 * or deleted (another user's, read-only) is a warning (`warnings`), not a failure: everything else throws.
 * `spare` names versions the caller needs kept as well (retrain's candidate that its summary tells the operator
 * to promote by hand: deleted in the same run, that promote failed); as many go all the same.
 */
export async function pruneVersions(
  root: string,
  keep: number,
  what: string,
  spare: readonly string[] = [],
): Promise<PruneResult> {
  const warnings = await clearRemoving(root, what);
  const { removed, inUse, moved, spared } = await withCurrentLock(root, what, async () => {
    const names = await listVersionNames(root);
    const current = await currentVersion(root);
    const { previous: history, served: everServed } = await readHistoryFile(root);
    // The version rollback returns to is found as rollback finds it (`rollbackTarget`, what `models list`
    // marks), not only as the history's last entry: that one is current itself after a rollback whose history
    // write failed, or a version removed by hand, and then the real target, the one before it, was pruned.
    const protect = new Set(
      [current, history[history.length - 1], await rollbackTarget(root)].filter((v): v is string => !!v),
    );
    const removed: string[] = [];
    const inUse: string[] = [];
    const moved: { version: string; path: string }[] = [];
    // Versions that never served (candidates retrain turned down) go before those that did, each oldest first:
    // by age alone, a monthly retrain's default --keep 8 deleted, within a year, the versions that had served
    // the bot for months while keeping candidates that never had, and monitor could no longer score 271 of
    // 361 predictions (a year's trial). Served: `current`, or any version `current` ever pointed at (the
    // history's `served`, which a rollback keeps: taken from the rollback targets alone, a version promoted by
    // hand and rolled back counted as never served and went first). As many go as before (the unprotected among
    // the oldest beyond `keep`: a protected one among them is kept on top of `keep`), chosen in that order;
    // listVersionNames gives them oldest first.
    const served = new Set(everServed);
    const beyond = names.slice(0, Math.max(0, names.length - keep)).filter((v) => !protect.has(v));
    const order = [...names.filter((v) => !served.has(v)), ...names.filter((v) => served.has(v))]
      .filter((v) => !protect.has(v));
    // A version the caller spares is protected too: kept on top of `keep` when it stands among the oldest, and
    // passed over in the order otherwise (retrain's candidate is the newest: another goes in its place).
    const spared = order.slice(0, beyond.length).filter((v) => spare.includes(v));
    const count = beyond.filter((v) => !spare.includes(v)).length;
    for (const v of order.filter((v) => !spare.includes(v)).slice(0, count)) {
      let claim = await claimUnserved(join(root, v));
      if (claim === "served") {
        inUse.push(v);
        continue;
      }
      const to = join(root, `.removing-${v}-${crypto.randomUUID().slice(0, 8)}`);
      try {
        // On Windows a folder holding an open file cannot be renamed: the claim (its manifest.json there) is
        // let go first.
        if (Deno.build.os === "windows") {
          claim?.close();
          claim = null;
        }
        await Deno.rename(join(root, v), to);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) continue; // gone already
        warnings.push(pruneWarning(what, v, join(root, v), true, error));
        continue;
      } finally {
        claim?.close();
      }
      removed.push(v);
      moved.push({ version: v, path: to });
    }
    return { removed, inUse, moved, spared };
  });
  // A version linked in from another folder is a link here: rm removes the link, never the folder it names.
  for (const { version, path } of moved) {
    await rm(path, { recursive: true, force: true }).catch((error) => {
      warnings.push(pruneWarning(what, version, path, false, error));
    });
  }
  return { removed, inUse, warnings, ...(spared.length > 0 ? { spared } : {}) };
}

/**
 * Version folder `dir` claimed for deletion, or "served" when a running `serve` serves it: serve holds a
 * shared kernel lock on the folder of the version it serves (server/models/version_hold.ts), so an exclusive
 * one cannot be had. Held through the rename, a serve that opens the folder meanwhile waits, then finds it
 * renamed away and does not serve it. Its manifest.json is asked too, and claimed the same way: what serve
 * holds where it cannot hold the folder (Windows, where no folder is opened as a file; a folder that user may
 * not read). Null (nothing to hold) when neither can be opened or locked (a file system without locks): no
 * serve can hold them either, and deletion goes ahead.
 */
async function claimUnserved(dir: string): Promise<{ close(): void } | "served" | null> {
  const claims: Deno.FsFile[] = [];
  const release = () => {
    for (const claim of claims.splice(0)) claim.close();
  };
  // Read-only, as serve opens them: a version this user may not write can still be asked.
  const opens = [() => openExistingLockReadOnly(join(dir, "manifest.json"))];
  if (Deno.build.os !== "windows") opens.unshift(() => openFolderReadOnly(dir));
  for (const open of opens) {
    let file: Deno.FsFile;
    try {
      file = await open();
    } catch {
      continue;
    }
    let free: boolean;
    try {
      free = await file.tryLock(true);
    } catch {
      file.close(); // no locks here
      continue;
    }
    if (!free) {
      file.close();
      release();
      return "served";
    }
    claims.push(file);
  }
  return claims.length === 0 ? null : { close: release };
}

/** A folder that could not be deleted (`kept`: not even renamed away), as `PruneResult.warnings` says it. */
function pruneWarning(
  what: string,
  version: string,
  path: string,
  kept: boolean,
  error: unknown,
): PruneWarning {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown })?.code;
  const folder = shellWord(resolve(path));
  // The folder that holds the versions: renaming one away (`kept`: what failed) needs write access to it, not
  // to the version. `rm -rf` on a version is never the hint: it would skip the rename and a running serve's
  // hold; only a `.removing-…` folder, no longer a version, is to be removed by hand.
  const store = shellWord(dirname(resolve(path)));
  const retried = kept
    ? `it stays a version until then, and each ${what} run tries again`
    : `each ${what} run tries again, and says so until it is gone`;
  if (
    error instanceof Deno.errors.PermissionDenied || code === "EACCES" || code === "EPERM" ||
    /\(os error (1|13)\)/.test(message)
  ) {
    return {
      version,
      path,
      kept,
      reason: "permission denied",
      hint: kept
        ? `give this user write access to ${store}, the folder that holds the versions ('ls -ld ${store}' ` +
          `shows who owns it), or run ${what} as its owner; ${retried}`
        : `remove it as its owner or as root, e.g. 'sudo rm -rf ${folder}' ('ls -ld ${folder}' shows ` +
          `who owns it); ${retried}`,
    };
  }
  if (code === "EROFS" || /\(os error 30\)/.test(message)) {
    return {
      version,
      path,
      kept,
      reason: "read-only file system",
      hint: kept
        ? `run ${what} where ${store} is mounted read-write; ${retried}`
        : `remove it where the store is mounted read-write ('rm -rf ${folder}'); ${retried}`,
    };
  }
  return {
    version,
    path,
    kept,
    reason: message,
    hint: kept
      ? `fix what stops it being renamed within ${store} (the reason says what); ${retried}`
      : `remove it by hand ('rm -rf ${folder}'); ${retried}`,
  };
}

/**
 * Deletes what an earlier `pruneVersions` cut short or could not delete (its hidden `.removing-*` folders);
 * those that still cannot be deleted are returned as warnings.
 */
async function clearRemoving(root: string, what: string): Promise<PruneWarning[]> {
  const warnings: PruneWarning[] = [];
  try {
    for await (const entry of Deno.readDir(root)) {
      const removing = entry.name.match(REMOVING);
      if (removing === null) continue;
      const path = join(root, entry.name);
      await rm(path, { recursive: true, force: true }).catch((error) => {
        warnings.push(pruneWarning(what, removing[1], path, false, error));
      });
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return warnings;
}
