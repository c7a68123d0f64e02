/**
 * What tells `retrain --keep` (ml/checkpoints `pruneVersions`) that a version is being served: a SHARED kernel
 * lock (flock) on the version FOLDER itself, opened read-only, held for as long as the version is served.
 * Before, a `serve --checkpoint ck/v2_…` pinned to an old version had it deleted under it: it answered from
 * memory with /health "healthy", and after a restart 503. Prune, under `.current.lock`, skips a version whose
 * folder it cannot lock exclusively. The folder, not its manifest.json: `candlecast export` into the served
 * version rewrites manifest.json atomically (a new file renamed over it), and a lock on the old, unlinked file
 * protected nothing from then on (for good, when the reload that followed failed). Read-only, so a store this
 * user may not write (a read-only mount, another user's versions) serves as before: nothing is written into
 * the version. Nothing else locks a version folder for long (the version writer's lock on its temporary folder
 * lasts until just after the rename that names it). The lock dies with the process however it ends.
 *
 * Where the folder cannot be held, its manifest.json is, as before (with the hole above: a rewrite drops it):
 * on Windows, where a folder is not opened as a file (nor could prune rename one held open), and where the
 * folder cannot be opened (no read permission) or locked. Prune asks both. Where neither can be locked (a file
 * system without locks), nothing is held, and serving goes on unheld.
 */
import { join } from "node:path";
import { openExistingLockReadOnly, openFolderReadOnly, sameFile } from "../../base/index.ts";

/** A version held while it is served; `release` when another is installed or serve stops (twice is harmless). */
export interface VersionHold {
  release(): void;
}

/** How long a hold waits for prune's exclusive claim (held only while it renames one folder) to end. */
const CLAIM_WAIT_MS = 2_000;
const POLL_MS = 20;

/**
 * Takes the shared lock on the version folder `dir` (where it cannot: on its manifest.json, see above), or
 * null when there is nothing to hold: no such folder (the load says what is missing), neither opened nor
 * locked, or a prune holding it longer than `CLAIM_WAIT_MS` (serving goes on unheld, as before). Once
 * locked, the folder must still be the one at that path: a prune that renamed it away while the lock was
 * being taken leaves nothing to serve (the load then fails on the missing folder).
 */
export async function holdVersion(dir: string): Promise<VersionHold | null> {
  const deadline = performance.now() + CLAIM_WAIT_MS;
  const targets: { path: string; open: (path: string) => Promise<Deno.FsFile> }[] = [
    { path: join(dir, "manifest.json"), open: (path) => openExistingLockReadOnly(path) },
  ];
  if (Deno.build.os !== "windows") targets.unshift({ path: dir, open: openFolderReadOnly });
  for (const { path, open } of targets) {
    const held = await holdAt(path, open, deadline);
    if (held !== "cannot") return held;
  }
  return null;
}

/**
 * The shared lock on `path`; null when not had in time or `path` went meanwhile; "cannot" when it cannot be
 * opened or locked at all (then the next way is tried).
 */
async function holdAt(
  path: string,
  open: (path: string) => Promise<Deno.FsFile>,
  deadline: number,
): Promise<VersionHold | null | "cannot"> {
  for (;;) {
    let file: Deno.FsFile;
    try {
      file = await open(path);
    } catch {
      return "cannot";
    }
    let locked = false;
    try {
      // Polled, not a blocking lock(): one that never ends would hang the load, and serve with it.
      while (!(locked = await file.tryLock(false)) && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } catch {
      file.close();
      return "cannot"; // no locks here
    }
    if (locked && await stillAt(file, path)) {
      let held = true;
      return {
        release: () => {
          if (!held) return;
          held = false;
          file.close(); // closing the descriptor drops the lock
        },
      };
    }
    file.close();
    // Not locked in time, or no longer what `path` names: opened again (then gone, or replaced).
    if (!locked || performance.now() >= deadline) return null;
  }
}

/**
 * True when `path` still names the open `file` (same device and inode; where the system gives none, assumed).
 * Both stats settle before it answers: with `Promise.all`, a path renamed away rejected at once while
 * `file.stat()` was still running, and the caller's `file.close()` only took effect once that stat ended, so
 * the shared lock outlived `holdVersion`'s null by a few ms (a prune then saw the version held).
 */
async function stillAt(file: Deno.FsFile, path: string): Promise<boolean> {
  const [open, named] = await Promise.allSettled([file.stat(), Deno.stat(path)]);
  return open.status === "fulfilled" && named.status === "fulfilled" && sameFile(open.value, named.value);
}
