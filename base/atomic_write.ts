/**
 * Writes that never leave a half-written file: data goes to a temporary file beside the target, is flushed,
 * then renamed over it (rename is atomic on one filesystem). A crash leaves the old file intact.
 */
import { lstat, mkdir, open, readlink, realpath, rename, rm, stat } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import process from "node:process";
import { folderNotFileError, outputFileProblem, PathKindError } from "./path_kind.ts";
import { ReportedError } from "./reported_error.ts";
import { processUser } from "./process_user.ts";

/**
 * What `writeFileAtomic` writes: the bytes, the text, or either in pieces written as they are produced (a
 * large file rendered block by block is never held whole). Pieces are consumed once.
 */
export type FileData = string | Uint8Array | Iterable<string | Uint8Array>;

/** How `writeFileAtomic` treats a target that already holds the same bytes. */
export interface WriteOptions {
  /**
   * Leave a target that already holds exactly these bytes as it is (its modification time, inode and links)
   * and return false: a rerun with nothing new (collect of the same files) then looks unchanged to make,
   * rsync, backups and "retrain when the data changed" scripts. The new bytes are still written to a
   * temporary file first and compared, so a file whose bytes would change (an older candlecast's) is replaced.
   */
  readonly keepSame?: boolean;
  /**
   * Called for each target right before its temporary file is renamed over it (the data written and flushed):
   * a throw leaves the target as it is. A caller that read the target first refuses here a target replaced
   * since, which only a look at the path, this late, sees (collect's merge; see `writeTrainingCsvSpliced`).
   */
  readonly beforeRename?: (path: string) => void | Promise<void>;
}

/**
 * Fails with a PathKindError, leaving nothing behind, when `path` is a folder or lies under a file. Returns
 * false when `keepSame` kept the target as it was, true when it was written.
 */
export async function writeFileAtomic(
  path: string,
  data: FileData,
  options: WriteOptions = {},
): Promise<boolean> {
  return await writeFilesAtomic([[path, data]], options);
}

/**
 * Writes several files as one set, for outputs that are read together (evaluate's evaluation.json, report.html
 * and predictions.csv): every file is written to its temporary name and flushed first, and only then are they
 * renamed over their targets one after another. A failure or crash while writing leaves every old file as it
 * was; only a crash between the renames, microseconds apart, could mix a new file with older ones (written one
 * after another, the set was mixed for as long as rendering the later files took).
 *
 * @example
 * ```ts
 * await writeFilesAtomic([["out/evaluation.json", "{}\n"], ["out/report.html", "<html></html>\n"]]);
 * ```
 */
export async function writeFilesAtomic(
  files: readonly (readonly [string, FileData])[],
  options: WriteOptions = {},
): Promise<boolean> {
  const staged: { tmp: string; path: string }[] = [];
  let wrote = false;
  const through: (readonly [string, FileData])[] = [];
  try {
    for (const [given, data] of files) {
      const target = await targetOf(given);
      if (target.through) {
        through.push([target.path, data]);
        continue;
      }
      const tmp = `${target.path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
      staged.push({ tmp, path: target.path });
      unfinished.add(tmp);
      try {
        await writeInto(tmp, data, true, target.mode, target.owner);
      } catch (error) {
        throw outputFileProblem(target.path) ?? namingPath(error, target.path);
      }
    }
    for (const { tmp, path } of staged) {
      if (options.keepSame && await sameBytes(tmp, path)) continue; // its temp is removed below
      await options.beforeRename?.(path);
      wrote = true;
      try {
        await rename(tmp, path);
      } catch (error) {
        throw outputFileProblem(path) ?? namingPath(error, path);
      }
    }
  } finally {
    // After a failure: the temporary files not renamed (after success there are none).
    for (const { tmp } of staged) {
      await rm(tmp, { force: true });
      unfinished.delete(tmp);
    }
  }
  for (const [path, data] of through) await writeThrough(path, data);
  return wrote || through.length > 0;
}

/**
 * Temporary files being written now. A process that exits mid-write (a second Ctrl-C: `Deno.exit`, which runs
 * no `finally`) removes them as it goes: collect's 45 MB temp was left beside the output until the next collect
 * into it, while the run said "nothing more was written" (helper trial s43). Only kill -9 or a crash leaves one,
 * for `removeStaleTemps`.
 */
const unfinished = new Set<string>();
globalThis.addEventListener("unload", () => {
  for (const tmp of unfinished) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // Already renamed or removed; or not removable, and then `removeStaleTemps` sweeps it later.
    }
  }
});

/** Whether the regular file at `b` holds exactly the bytes of `a` (false when `b` is missing or unreadable). */
async function sameBytes(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a), stat(b).catch(() => null)]);
  if (!sb?.isFile() || sa.size !== sb.size) return false;
  const [fa, fb] = await Promise.all([open(a, "r"), open(b, "r").catch(() => null)]);
  if (!fb) {
    await fa.close();
    return false;
  }
  try {
    const size = 1 << 20;
    const [ba, bb] = [new Uint8Array(size), new Uint8Array(size)];
    for (;;) {
      // Reads of a regular file return what was asked for until its end: both files are the same size.
      const [ra, rb] = await Promise.all([fa.read(ba, 0, size, null), fb.read(bb, 0, size, null)]);
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (ra.bytesRead === 0) return true;
      for (let i = 0; i < ra.bytesRead; i++) if (ba[i] !== bb[i]) return false;
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

/**
 * A folder on the way to `path` that is a symlink to something not there (data → /mnt/nas, the drive not
 * mounted): refused as a link to a file is (`targetOf`), naming both. mkdir's EEXIST on the link went out as
 * "unexpected failure … this is a bug" (a review). Exported for commands that make an output folder before
 * long work (`evaluate --output-dir`).
 *
 * @example
 * await refuseDanglingFolderLink("evaluation/evaluation.json"); // throws when evaluation → a folder not there
 */
export async function refuseDanglingFolderLink(path: string): Promise<void> {
  for (let folder = dirname(path); folder !== dirname(folder); folder = dirname(folder)) {
    const link = await lstat(folder).catch(() => null);
    if (link === null) continue; // not there yet: made below
    if (!link.isSymbolicLink() || (await stat(folder).then(() => true, () => false))) return;
    const target = await linkTarget(folder);
    throw linkToNothing(folder, target, target, "");
  }
}

/**
 * A link at `link` to `target`, where `missing` (the target itself, or the folder it would be made in) is not
 * there: the words of both refusals above, `also` ending the hint.
 */
function linkToNothing(link: string, target: string, missing: string, also: string): PathKindError {
  return new PathKindError(
    `${link} is a link to ${target}, ${
      missing === target ? "which" : `and ${missing}`
    } is not there (a drive not mounted, a folder moved)`,
    `mount or restore it, make it ('mkdir -p ${missing}') if it is meant to be new, or remove the link${also}`,
  );
}

/** Who owns a file a replacement takes the place of. */
type Owner = { uid: number; gid: number };

/**
 * Where writing `path` lands, whether it is written into as it is (`through`) rather than replaced, and the
 * permission bits and owner of the file a replacement takes the place of (`mode`, `owner`: none when there is
 * none yet). A symlink is written through to what it names (data/x.csv → elsewhere keeps its link; /dev/stdout
 * → /proc/self/fd/1 is not replaced by a regular file for every process). A device or a pipe at the end
 * (`--output /dev/null`, a FIFO, a magic link to one) is written into, not renamed over: a rename would replace
 * the device node itself. The target's folder is created.
 */
async function targetOf(
  path: string,
  create = true,
): Promise<{ path: string; through: boolean; mode?: number; owner?: Owner }> {
  await refuseDanglingFolderLink(path);
  if (create) {
    try {
      await mkdir(dirname(path), { recursive: true });
    } catch (error) {
      throw outputFileProblem(path) ?? error;
    }
  }
  const link = await lstat(path).catch(() => null);
  if (link?.isSymbolicLink()) {
    // What the link leads to; null when nothing is there yet. Any other failure is said: links that lead to
    // each other (ELOOP) were followed back and forth by readlink, without end.
    const kind = await stat(path).catch((error) => {
      if ((error as { code?: unknown }).code === "ENOENT") return null;
      throw outputFileProblem(path) ?? namingPath(error, path);
    });
    // Nothing there yet (a link made ahead of its file): the file is created where the link points, when the
    // folder it points into is there. A link into a drive not mounted now (data/x.csv → /mnt/nas/…) made that
    // folder on the local disk and wrote a fresh file there, exit 0, hidden once the drive came back.
    if (kind === null) {
      const target = await linkTarget(path);
      const folder = dirname(target);
      if (!(await stat(folder).then((f) => f.isDirectory(), () => false))) {
        throw linkToNothing(path, target, folder, " to write a file in its place");
      }
      return await targetOf(target, create);
    }
    // A folder is refused here, before any file of a set replaces its target (a write into it fails only later).
    if (kind.isDirectory()) throw folderNotFileError(path);
    if (!kind.isFile()) return { path, through: true };
    return await targetOf(await realpath(path), create);
  }
  // A folder: its rename would fail only after the files before it in a set had been renamed over theirs.
  if (link?.isDirectory()) throw folderNotFileError(path);
  // The replacement keeps the old file's permission bits (not setuid/setgid/sticky): created afresh it had the
  // umask's, so a file made private (chmod 600) was world-readable again after the next write.
  const mode = link?.isFile() && Deno.build.os !== "windows" ? link.mode & 0o777 : undefined;
  // And its owner: root (a cron job, sudo) renaming a new file over another user's left it root's, so that
  // user could no longer write the file they had made (collect then refused it as read-only to them).
  const owner = link?.isFile() && Deno.build.os !== "windows" ? { uid: link.uid, gid: link.gid } : undefined;
  return {
    path,
    through: link !== null && !link.isFile(),
    ...(mode === undefined ? {} : { mode }),
    ...(owner === undefined ? {} : { owner }),
  };
}

/**
 * Where the link at `path` points, as the system reads it: a relative target from the real folder the link lies
 * in, so a '..' in it climbs from there. Taken from `path` as written, data/training.csv → ../training.csv
 * with data a link to store/2024 made the file beside data, not in store, and left the link leading nowhere.
 */
async function linkTarget(path: string): Promise<string> {
  const target = await readlink(path);
  return isAbsolute(target) ? target : resolve(await realpath(dirname(path)), target);
}

/**
 * The file `writeFileAtomic(path, …)` would replace: `path` with its symlinks followed as the writer follows
 * them (a link made ahead of its file: where it points; a device or a pipe: the link itself). Creates nothing;
 * fails where the write would fail on the path itself (a folder, links that lead to each other).
 *
 * @example
 * await writtenFile("bot.onnx"); // "/srv/ck/v2_2024-05-06/model.onnx" when bot.onnx links there
 */
export async function writtenFile(path: string): Promise<string> {
  return (await targetOf(path, false)).path;
}

/**
 * The operating system's error from writing `path`, its message prefixed with the path: a write's own error
 * says "No space left on device (os error 28)" and names no file, so a full disk, a quota or an I/O error
 * reached the user without the file that could not be written (collect, evaluate, train's run folder,
 * retrain's data copy). The error is kept (its class and `code`, which the CLI words from); an error of
 * candlecast's own (one the data's pieces threw) is left as it is.
 */
function namingPath(error: unknown, path: string): unknown {
  if (!(error instanceof Error) || error instanceof ReportedError) return error;
  // Some of the system's errors come without a code, only the OS's words ("File too large (os error 27)").
  const system = typeof (error as { code?: unknown }).code === "string" ||
    /\(os error \d+\)/.test(error.message);
  if (!system || error.message.includes(path)) return error;
  error.message = `${path}: ${error.message}`;
  return error;
}

/** `NAME.<pid>.<8 hex>.tmp`: what writeFileAtomic, the version writer and the `current` switch leave mid-write. */
const TEMP_NAME = /^(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * True unless the process is known to be gone: signal 0 (sends nothing) answers ESRCH for no such process.
 * Anything else (EPERM: another user's; Deno's NotCapable without --allow-run) counts as alive, so nothing is
 * removed that might still be written. Reading /proc/<pid> was the test before, but Deno refuses /proc/<pid> to
 * all but --allow-all (NotCapable), which read as "gone": under the product's named permissions every other
 * process's temporary file was swept, a live writer's too (a seat's check). Linux only, as before.
 */
function mayBeAlive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  if (Deno.build.os !== "linux") return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code !== "ESRCH";
  }
}

/**
 * True when a temporary folder's writer holds the kernel lock on it (`lockTempFolder`). The pid in its name
 * cannot say: a writer in another PID namespace (a container sharing the volume) has a pid this process does
 * not see, and its live folder was removed under it.
 */
async function folderLocked(path: string): Promise<boolean> {
  let folder: Deno.FsFile;
  try {
    folder = await Deno.open(path, { read: true });
  } catch {
    return false; // gone already, or unreadable: the removal below says what it can
  }
  try {
    return !(await folder.tryLock(true));
  } catch {
    return false; // a file system without locks: the pid is all there is to go by
  } finally {
    folder.close();
  }
}

/**
 * Holds a kernel lock on the temporary folder `path` while it is written, so that `removeStaleTemps` in any
 * process, in any PID namespace, leaves it alone; the lock goes with the process (kill -9 included). Close
 * the returned file when the folder is renamed into place or given up.
 *
 * @example
 * ```ts
 * const held = await lockTempFolder(tmp);
 * try { await Deno.rename(tmp, dir); } finally { held.close(); }
 * ```
 */
export async function lockTempFolder(path: string): Promise<{ close(): void }> {
  let folder: Deno.FsFile;
  try {
    folder = await Deno.open(path, { read: true });
  } catch {
    // A folder cannot be opened as a file everywhere (Windows): guarded by the pid alone, as before.
    return { close: () => {} };
  }
  try {
    await folder.lock(true);
  } catch {
    // A file system without locks (some network mounts): guarded by the pid alone, as before.
  }
  return folder;
}

/**
 * Removes the temporary files and folders in `dir` whose writer died mid-write (kill -9, power loss): they
 * carry their writer's pid, and a live writer's are left alone, as is a folder whose writer holds its lock
 * (`lockTempFolder`: a writer in another PID namespace). `prefix` limits it to one target's temps
 * (`training.csv.` for a CSV). Returns the names removed. A missing `dir` has none.
 */
export async function removeStaleTemps(dir: string, prefix = ""): Promise<string[]> {
  const removed: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const match = TEMP_NAME.exec(entry.name);
      if (!match || !entry.name.startsWith(prefix) || mayBeAlive(Number(match[2]))) continue;
      if (entry.isDirectory && await folderLocked(`${dir}/${entry.name}`)) continue;
      await rm(`${dir}/${entry.name}`, { recursive: true, force: true });
      removed.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return removed;
    throw error;
  }
  return removed.sort();
}

/** Writes `data` into `path` as it is (no temporary file): for devices, pipes and links that lead to none. */
async function writeThrough(path: string, data: FileData): Promise<void> {
  try {
    await writeInto(path, data, false);
  } catch (error) {
    throw outputFileProblem(path) ?? namingPath(error, path);
  }
}

/** Opens `path` for writing (truncating it), writes `data`, flushed to disk first when `sync`, and closes it. */
async function writeInto(
  path: string,
  data: FileData,
  sync: boolean,
  mode?: number,
  owner?: Owner,
): Promise<void> {
  const handle = await open(path, "w");
  try {
    // The replacement keeps the old file's owner and group where the system lets it: root may give a file to
    // anyone; its owner may give it a group they belong to (a CSV chgrp'd to a shared group stayed writable by
    // that group only until the next write, which gave it the writer's primary group). Anyone else replacing a
    // file keeps it as their own (EPERM, said nowhere: the write itself is what was asked).
    const user = owner === undefined ? null : processUser();
    if (owner !== undefined && user !== null && (owner.uid !== user.uid || owner.gid !== user.gid)) {
      await handle.chown(user.uid === 0 ? owner.uid : user.uid, owner.gid).catch((error) => {
        if ((error as { code?: unknown }).code !== "EPERM") throw error;
      });
    }
    // Before any byte is written, so the data is never readable under the wider mode a new file gets.
    if (mode !== undefined) await handle.chmod(mode);
    if (typeof data === "string" || data instanceof Uint8Array) await handle.writeFile(data);
    else {
      // Pieces are written one after another as they are produced, each in full (a write may take part).
      const encoder = new TextEncoder();
      for (const piece of data) {
        const bytes = typeof piece === "string" ? encoder.encode(piece) : piece;
        for (let at = 0; at < bytes.length;) {
          at += (await handle.write(bytes, at, bytes.length - at)).bytesWritten;
        }
      }
    }
    if (sync) await handle.sync();
  } finally {
    await handle.close();
  }
}
