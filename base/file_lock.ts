/**
 * Locks for shared files, held by the kernel (`flock` through `Deno.FsFile.lock`): the lock dies with its
 * process however it ends (kill -9, OOM), so there is no stale lock to detect and no PID to trust — a lock
 * file naming a dead or an unrelated live PID blocks nobody. The file's content (owner pid, start, what) is
 * only for messages. Lock files are never deleted: removing one while another process waits on it would let
 * that process lock an unlinked file while a third creates a fresh one, and both would "hold" the lock.
 */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { type PathRules, PLATFORM_PATHS } from "./path_rules.ts";
import { z } from "zod";
import { ReportedError } from "./reported_error.ts";
import { nonRegularKind, NotRegularFileError, readRegularTextFile } from "./regular_file.ts";
import { shellWord } from "./shell_word.ts";
import { sameFile } from "./same_file.ts";

/** Who holds a lock, as its holder wrote it (for messages only; never trusted for ownership). */
export interface LockOwner {
  readonly pid: number | null;
  readonly since: string | null;
  readonly what: string | null;
}

export interface HeldLock {
  readonly path: string;
  release(): void;
  [Symbol.dispose](): void;
}

/** The lock stayed taken for as long as the caller would wait (0: not at all). */
export class LockBusyError extends ReportedError {
  override name = "LockBusyError";
  constructor(readonly path: string, readonly owner: LockOwner, readonly waitedMs: number) {
    super(
      `${path} is locked by ${describeOwner(owner)}`,
      "wait for that process to finish, then run this again",
    );
  }
}

/** The wait for a busy lock was given up on request (Ctrl-C): the lock was never taken. */
export class LockWaitInterrupted extends Error {
  override name = "LockWaitInterrupted";
  constructor(readonly path: string, readonly owner: LockOwner) {
    super(`stopped waiting for ${path}, locked by ${describeOwner(owner)}`);
  }
}

/**
 * A lock's holder as messages name it, e.g. "collect into data.csv (pid 812, since …)"; "another candlecast"
 * or "another process" where its note does not say.
 */
export function describeOwner(owner: LockOwner): string {
  const who = owner.pid !== null ? `pid ${owner.pid}` : "another process";
  return `${owner.what ?? "another candlecast"} (${who}${owner.since ? `, since ${owner.since}` : ""})`;
}

/**
 * A lock's note as any writer may have left it: each field kept when it has the right type, else unknown (an
 * older retrain wrote `started`, not `since`; a foreign file may hold anything).
 */
const LockNoteSchema = z.object({
  pid: z.number().nullable().catch(null).default(null),
  since: z.string().optional().catch(undefined),
  started: z.string().optional().catch(undefined),
  what: z.string().nullable().catch(null).default(null),
});

async function readOwner(path: string): Promise<LockOwner> {
  try {
    // Read only as a regular file: a FIFO there (no lock a process takes) that another process holds open for
    // writing had this read wait for good, for as long as that process lived.
    const note = LockNoteSchema.parse(JSON.parse(await readRegularTextFile(path)));
    return { pid: note.pid, since: note.since ?? note.started ?? null, what: note.what };
  } catch {
    return { pid: null, since: null, what: null }; // being written, or not ours: the message says less
  }
}

/**
 * The holder's note, given a moment to appear: a holder writes it right after taking the lock, and a busy
 * caller that reads in between would otherwise report "pid unknown" (seen under load in the retrain race
 * test). A note that never appears (a foreign or crashed writer's file) costs ~200 ms once.
 */
async function settledOwner(path: string): Promise<LockOwner> {
  let owner = await readOwner(path);
  for (let attempt = 0; attempt < 10 && owner.pid === null; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    owner = await readOwner(path);
  }
  return owner;
}

/** The mode a lock file is made with: its group may lock it too (a shared store), other users cannot open it. */
export const LOCK_FILE_MODE = 0o640;

/**
 * Whether a process holds the lock on `path` now, found without writing anything: the file is opened read-only
 * (a read-only or another user's folder can be asked) and neither created nor given a note. No file: never
 * locked; nor is a link, or anything else that is no regular file (no lock a process takes is one). The probe's
 * own lock lasts only while it looks.
 */
export async function isLockHeld(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    // Never a lock a process takes (those are regular files): `models list` hung on a FIFO named .lock in a run
    // folder. Read-only, as a store this user may not write must be asked.
    file = await openExistingLockReadOnly(path, { links: "refuse" });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof NotRegularFileError) return false;
    throw error;
  }
  try {
    return !(await file.tryLock(true));
  } finally {
    file.close(); // closing the descriptor drops the probe's lock
  }
}

/**
 * An existing lock file opened read-only (a kernel lock needs no write access, so another user's lock can be
 * taken or asked), once it is known to be a regular file: a folder, FIFO, socket or device is
 * NotRegularFileError, a missing file Deno's NotFound. Opening a FIFO read-only waits for a writer for good, so
 * the path is looked at first, and the open file is asked again, so nothing swapped in since (a device) is
 * taken for a lock. Residual: a FIFO swapped in between the look and the open still blocks the open (Deno.open
 * takes no O_NONBLOCK, and a lock needs a Deno.FsFile).
 *
 * `links: "refuse"` (a lock file proper: `isLockHeld`, serve's predictions-log lock) refuses a symbolic link
 * there as NotRegularFileError too, and the file opened must be the one looked at (same device and inode as
 * the path's own lstat after the open). The default follows a link, as the checkpoint reads do: serve holds a
 * version's manifest.json through this, and prune asks it, and both must see the file the loader reads.
 */
export async function openExistingLockReadOnly(
  path: string,
  { links = "follow" }: { readonly links?: "follow" | "refuse" } = {},
): Promise<Deno.FsFile> {
  if (links === "refuse") {
    return await openLockAt(path, "read", (kind) => new NotRegularFileError(path, kind));
  }
  const kind = nonRegularKind(await Deno.stat(path));
  if (kind !== null) throw new NotRegularFileError(path, kind);
  const file = await Deno.open(path, { read: true });
  const opened = await file.stat().then(nonRegularKind, (error) => {
    file.close();
    throw error;
  });
  if (opened === null) return file;
  file.close();
  throw new NotRegularFileError(path, opened);
}

/**
 * The error for a lock path where something that is no regular file stands (a lock a process takes always is
 * one): what it is, and that moving it away is safe; `keeper` says whose lock it is.
 */
export function notALockFile(
  path: string,
  kind: string,
  keeper = "candlecast keeps a lock there",
): NotRegularFileError {
  return new NotRegularFileError(
    path,
    kind,
    `move it away ('mv ${shellWord(path)} ${shellWord(`${path}.bak`)}'): ${keeper}, and makes the file anew`,
  );
}

/** What stands at `path` itself (a link not followed), or null when nothing does. */
async function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** `info` (an lstat of `path`) in words when it is no regular file ("a symbolic link (to /etc/passwd)"), else null. */
async function lockPathKind(path: string, info: Deno.FileInfo): Promise<string | null> {
  if (!info.isSymlink) return nonRegularKind(info);
  const target = await Deno.readLink(path).catch(() => null);
  return target === null ? "a symbolic link" : `a symbolic link (to ${shellWord(target)})`;
}

/** How often a lock path that changes between the look and the open is looked at again before giving up. */
const OPEN_ATTEMPTS = 5;

/**
 * The lock file at `path` opened, never through a link: a link there (planted by another user, say to a file
 * only root may write) is refused before anything is opened, and the open file must be what the path holds
 * after the open (same device and inode), so a link swapped in between is caught before a byte is written.
 * For writing, a missing file is made with O_EXCL (`createNew`, LOCK_FILE_MODE): that refuses any link,
 * dangling ones too, where a plain create would make the file it names; an existing one is opened without
 * create. Changed in between (made, moved away): looked at again. `refusal` words a refusal.
 */
async function openLockAt(
  path: string,
  access: "read" | "write",
  refusal: (kind: string) => Error,
): Promise<Deno.FsFile> {
  for (let attempt = 1;; attempt++) {
    // What stands there is looked at first: a folder cannot be opened for writing ("Is a directory" said nothing
    // of a lock), and opening a device may itself wait (a serial line, for its carrier).
    const before = access === "read" ? await Deno.lstat(path) : await lstatOrNull(path);
    const kindBefore = before === null ? null : await lockPathKind(path, before);
    if (kindBefore !== null) throw refusal(kindBefore);
    let file: Deno.FsFile;
    try {
      // Opened for reading and writing, a FIFO swapped in since the look above does not block the open (Linux:
      // fifo(7)), so the open file's own stat catches it before anything waits on it.
      file = before === null
        ? await Deno.open(path, { read: true, write: true, createNew: true, mode: LOCK_FILE_MODE })
        : await Deno.open(path, { read: true, write: access === "write" });
    } catch (error) {
      const changed = error instanceof Deno.errors.AlreadyExists || error instanceof Deno.errors.NotFound;
      if (changed && attempt < OPEN_ATTEMPTS) continue;
      throw error;
    }
    let same: boolean;
    try {
      const opened = await file.stat();
      const kind = nonRegularKind(opened);
      if (kind !== null) throw refusal(kind);
      const now = await lstatOrNull(path);
      const kindNow = now === null ? null : await lockPathKind(path, now);
      if (kindNow !== null) throw refusal(kindNow);
      same = now !== null && sameFile(opened, now);
    } catch (error) {
      file.close();
      throw error;
    }
    if (same) return file;
    file.close();
    if (attempt >= OPEN_ATTEMPTS) {
      throw new ReportedError(
        `${path} changed each time it was opened (${OPEN_ATTEMPTS} times): something keeps replacing the lock file`,
        "find what writes there (only candlecast should), stop it, then run this again",
      );
    }
  }
}

/**
 * Takes the lock if it is free right now; null when another open file holds it. A folder, FIFO, socket, device
 * or symbolic link at `path` is refused (NotRegularFileError, saying to move it away), never waited on nor
 * written through. A lock file made here is LOCK_FILE_MODE (0640 before the umask); an existing one is left
 * as it is.
 */
export async function tryLockFile(
  path: string,
  what: string,
  { makeFolder = true }: Pick<WaitOptions, "makeFolder"> = {},
): Promise<HeldLock | null> {
  if (makeFolder) await mkdir(dirname(path), { recursive: true });
  // Never truncate before holding the lock: the current holder's note must survive a failed attempt.
  const file = await openLockAt(path, "write", (kind) => notALockFile(path, kind));
  let locked = false;
  try {
    locked = await file.tryLock(true);
  } finally {
    if (!locked) file.close();
  }
  if (!locked) return null;
  try {
    // A file with other hard links is some other file too (one another user linked here): the lock holds, the
    // note is not written into it.
    if (((await file.stat()).nlink ?? 1) <= 1) {
      await file.truncate(0);
      const note = { pid: Deno.pid, since: new Date().toISOString(), what };
      await file.write(new TextEncoder().encode(JSON.stringify(note) + "\n"));
    }
  } catch {
    // The note is informational; the kernel lock is what counts.
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    file.close(); // closing the last descriptor drops the flock
  };
  return { path, release, [Symbol.dispose]: release };
}

export interface WaitOptions {
  /** How long to wait for the lock (ms); 0 fails at once. */
  readonly waitMs: number;
  /** Called once if the lock is busy and the caller is going to wait, with who holds it. */
  readonly onWait?: (owner: LockOwner) => void;
  /** Poll period; tests shorten it. */
  readonly pollMs?: number;
  /** Gives up the wait at once when aborted (Ctrl-C), with a LockWaitInterrupted. */
  readonly signal?: AbortSignal;
  /**
   * False: the lock's folder must exist (a NotFound error if it does not), never made: a lock inside a folder
   * another process may delete meanwhile (a model version) would bring the folder back holding the lock alone.
   */
  readonly makeFolder?: boolean;
}

/**
 * Takes the lock, waiting up to `waitMs` for its holder to finish. Polls `tryLock` rather than blocking in
 * `lock()`: a blocking lock cannot be given up on, and a wait must end with a clear message, not a hang.
 */
export async function lockFile(path: string, what: string, options: WaitOptions): Promise<HeldLock> {
  // A monotonic clock: an NTP step during the wait moved Date.now(), and a 10-minute wait ended after 6 s
  // ("after 905 s") when the wall clock jumped 15 minutes forward (an SRE's trial).
  const start = performance.now();
  let told = false;
  for (;;) {
    const held = await tryLockFile(path, what, options);
    if (held) return held;
    const waited = performance.now() - start;
    // Who holds it is read only when it is said: a poll does not wait for a note that may never come.
    if (waited >= options.waitMs) throw new LockBusyError(path, await settledOwner(path), waited);
    if (options.signal?.aborted) throw new LockWaitInterrupted(path, await settledOwner(path));
    if (!told) {
      told = true;
      options.onWait?.(await settledOwner(path));
    }
    await pause(Math.min(options.pollMs ?? 100, options.waitMs - waited), options.signal);
    // Aborted during the wait: given up, even when the holder let go meanwhile. The caller has said at the
    // press that the wait ends with nothing done (collect: "nothing will be written"); the next poll took the
    // lock and collect wrote its merge.
    if (options.signal?.aborted) throw new LockWaitInterrupted(path, await settledOwner(path));
  }
}

/** Sleeps `ms`, or less when `signal` aborts first. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * The lock file beside `path`: `dir/.name.lock` (hidden, so listings of data and checkpoints stay clean). Cut
 * with the platform's path rules: cut at the last "/" alone, Windows' `C:\data\training.csv` got the lock
 * `.C:\data\training.csv.lock`, a name Windows refuses (":"), so collect and train could not lock there.
 *
 * @example
 * ```ts
 * lockPathFor("data/training.csv"); // "data/.training.csv.lock" (on Windows "data\\.training.csv.lock")
 * ```
 */
export function lockPathFor(
  path: string,
  paths: PathRules = PLATFORM_PATHS,
): string {
  // The folder part kept as written (not joined anew: win32.join turns the drive-relative "C:" into "C:\\").
  const name = paths.basename(path);
  return `${path.slice(0, path.lastIndexOf(name))}.${name}.lock`;
}
