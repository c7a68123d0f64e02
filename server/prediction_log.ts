/**
 * Every served prediction, appended as one JSON line to `data/predictions.jsonl`, so `candlecast monitor` can
 * later join it with what the market did. Writes are buffered and flushed in the background: the log must
 * never add latency to /predict or fail a request.
 *
 * A failed write (full disk, a folder made read-only) keeps its lines and is retried with backoff, so a fixed
 * disk resumes logging without a restart; what a failed write did store is cut off again first, so a record
 * is never in the file twice nor glued to a cut line. Only past `maxPending` lines are dropped, and both are
 * counted on /metrics. The file is rotated by size (`name` → `name.1` → … → `name.<keep>`, the oldest
 * deleted), and several `serve` workers share it safely: every append and rotation holds an exclusive lock on
 * `name.lock`. That lock is waited for a few seconds at most (`lockWaitMs`): held longer (by another process
 * that may open it), the write counts as failed, is said and retried as a full disk's; a shutdown waits for it
 * about a second, then counts what is still buffered as dropped.
 * The line format (PredictionRecord) lives in engine/, which monitor reads too.
 */
import { mkdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { PredictionRecord } from "../engine/index.ts";
import {
  LOCK_FILE_MODE,
  notALockFile,
  NotRegularFileError,
  openExistingLockReadOnly,
  ReportedError,
  shellWord,
} from "../base/index.ts";
import type { Logger } from "./log.ts";
import type { Sample } from "./metrics.ts";

export interface PredictionLogOptions {
  readonly flushMs?: number;
  readonly maxBuffered?: number;
  /** Lines kept in memory while writes fail; more are dropped and counted (default 100,000). */
  readonly maxPending?: number;
  /** Rotate when the file would grow past this many bytes (default 100 MiB). */
  readonly maxBytes?: number;
  /** Rotated files kept (default 10); 0 deletes the full file. */
  readonly keep?: number;
  /**
   * How long an append waits for the log's lock (default 5 s; serve's own writers hold it for an append, a
   * moment) before it counts as a failed write, logged and retried; tests shorten it.
   */
  readonly lockWaitMs?: number;
  readonly log?: Logger;
  /** Opens the log for an append (read too, for its last byte); a seam for tests that fill the disk. */
  readonly openFile?: (path: string) => Promise<LogFile>;
}

/** What an append does with the log's file; a `Deno.FsFile` opened read + append. */
export type LogFile = Pick<Deno.FsFile, "write" | "read" | "seek" | "stat" | "truncate" | "close">;

/** The rotated files of `path`, newest first: `path.1`, `path.2`, … (only names, whether or not they exist). */
export function rotatedNames(path: string, keep: number): string[] {
  return Array.from({ length: keep }, (_, i) => `${path}.${i + 1}`);
}

/**
 * Deletes the rotated files numbered past `keep`: a serve restarted with a lower --predictions-log-keep left
 * them for good (0.94 GB going from 10 to 1 at the defaults: an operator short of disk got nothing back, and
 * monitor went on reading them as history).
 */
async function removeBeyondKeep(path: string, keep: number): Promise<void> {
  try {
    for (const { n, name } of await rotatedFiles(path)) {
      if (n > keep) await Deno.remove(name).catch(() => {});
    }
  } catch {
    // The folder cannot be listed: the files past keep stay, as before; the append goes on.
  }
}

const RETRY_MS = [500, 1000, 2000, 5000, 10_000, 30_000];
/** How long a retry (the log already failing) waits for the lock. */
const LOCK_RETRY_WAIT_MS = 250;
/** How long the last flush waits for the lock, from `close`, every write still queued included. */
const CLOSE_LOCK_WAIT_MS = 1_000;
const LOCK_POLL_MS = 10;

/**
 * The mode a new predictions log is made with (the umask can only take bits away): it holds the bot's symbols
 * and every call, and was made world-readable under the usual umask 022 (Docker's, a shell's), where only the
 * systemd unit's UMask=0027 kept it private (a security review). The lock file's own mode, for the same group.
 */
export const PREDICTIONS_LOG_MODE = LOCK_FILE_MODE;

/**
 * The log's lock stayed held for longer than an append waits: by another process, which has it open (serve's
 * own writers hold it only for an append). What holds it leaves no note: the lock is opened read-only, so that
 * one left by another user (root) still serves.
 */
export class LogLockHeldError extends ReportedError {
  override name = "LogLockHeldError";
  constructor(readonly path: string, readonly waitedMs: number) {
    super(
      `${path} has been locked by another process for ${(waitedMs / 1000).toFixed(1)} s, so no prediction ` +
        "can be written",
      `only serve's own writes hold that lock, each for a moment: find the process holding it ('fuser -v ${
        shellWord(path)
      }' as root, or 'lslocks') and stop it; 'chmod o-rw ${
        shellWord(path)
      }' keeps other users from opening it`,
    );
  }
}

/**
 * The lock file every append and rotation of the log at `path` holds (`path.lock`). An existing one is opened
 * for reading only (a kernel lock needs no write access): opened for writing, a lock left by another user (a
 * `serve` run once by hand as root, 0644) failed every write of the service's user, for as long as it ran,
 * while the log itself was writable and the start check passed.
 */
export async function openLogLock(path: string): Promise<Deno.FsFile> {
  const name = `${path}.lock`;
  try {
    // A folder, FIFO, socket or device there is refused, never waited on: serve hung at its start (and each
    // write after) on a FIFO of that name.
    // A link is refused too, never opened nor created through (a dangling one made the file it names).
    return await openExistingLockReadOnly(name, { links: "refuse" });
  } catch (error) {
    if (error instanceof NotRegularFileError) {
      throw notALockFile(name, error.kind, "serve keeps the log's lock there");
    }
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  // Made 0640 (O_EXCL: never through a link): readable by all (the umask's 0644), any local user could hold it
  // and stall the log. Made by another writer meanwhile: that one is opened.
  return await Deno.open(name, { write: true, createNew: true, mode: LOCK_FILE_MODE }).catch((error) => {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    return openExistingLockReadOnly(name, { links: "refuse" });
  });
}

/**
 * The predictions log: `record` queues a line and returns at once (ignored once closed); lines are written
 * every `flushMs` or each `maxBuffered` lines, and `close` makes a last flush.
 */
export class PredictionLog {
  readonly #path: string;
  readonly #flushMs: number;
  readonly #maxBuffered: number;
  readonly #maxPending: number;
  readonly #maxBytes: number;
  readonly #keep: number;
  readonly #lockWaitMs: number;
  readonly #log: Logger;
  readonly #openFile: (path: string) => Promise<LogFile>;
  #lines: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();
  #failures = 0;
  #counts = { written: 0, writeErrors: 0, dropped: 0, rotations: 0 };
  #closed = false;
  /** When a closing flush stops waiting for the lock (performance.now()); null until `close`. */
  #closeBy: number | null = null;

  constructor(path: string, options: PredictionLogOptions = {}) {
    this.#path = path;
    this.#flushMs = options.flushMs ?? 500;
    this.#maxBuffered = options.maxBuffered ?? 1000;
    this.#maxPending = options.maxPending ?? 100_000;
    this.#maxBytes = options.maxBytes ?? 100 * 1024 * 1024;
    this.#keep = options.keep ?? 10;
    this.#lockWaitMs = options.lockWaitMs ?? 5_000;
    this.#log = options.log ?? (() => {});
    this.#openFile = options.openFile ??
      ((path) => Deno.open(path, { read: true, append: true, create: true, mode: PREDICTIONS_LOG_MODE }));
  }

  get path(): string {
    return this.#path;
  }

  /** Lines written, failed writes, lines dropped, rotations since start; `failing` while writes fail. */
  get stats() {
    return { ...this.#counts, failing: this.#failures > 0 };
  }

  samples(): Sample[] {
    const c = this.#counts;
    const counter = (name: string, help: string, value: number): Sample => ({
      name,
      help,
      type: "counter",
      value,
    });
    return [
      counter("candlecast_predictions_log_lines_total", "Prediction lines written to the log.", c.written),
      counter(
        "candlecast_predictions_log_write_errors_total",
        "Failed writes (retried with backoff).",
        c.writeErrors,
      ),
      counter(
        "candlecast_predictions_log_lines_dropped_total",
        "Prediction lines dropped because writes kept failing.",
        c.dropped,
      ),
      counter("candlecast_predictions_log_rotations_total", "Size-based rotations.", c.rotations),
      {
        name: "candlecast_predictions_log_failing",
        // Summed over `serve --workers` like every series: an alert reads it as > 0, not == 1.
        help: "1 while this process's writes fail (summed over workers: how many fail).",
        type: "gauge",
        value: this.#failures > 0 ? 1 : 0,
      },
    ];
  }

  record(entry: PredictionRecord): void {
    if (this.#closed) return;
    if (this.#lines.length >= this.#maxPending) {
      this.#counts.dropped++;
      return;
    }
    this.#lines.push(JSON.stringify(entry) + "\n");
    if (this.#failures > 0) return; // the retry timer is already set
    if (this.#lines.length >= this.#maxBuffered) this.flush();
    else if (this.#timer === undefined) this.#timer = setTimeout(() => this.flush(), this.#flushMs);
  }

  /** Writes what is buffered; resolves when every earlier write has landed or failed. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#lines.length > 0) {
      const lines = this.#lines;
      this.#lines = [];
      this.#writing = this.#writing.then(() => this.#append(lines));
    }
    return this.#writing;
  }

  /**
   * A last flush (one try; a lock held elsewhere is waited for ~1 s in all, a wait under way included); pending
   * lines that still cannot be written are counted as dropped.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closeBy ??= performance.now() + CLOSE_LOCK_WAIT_MS;
    await this.flush();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#counts.dropped += this.#lines.length;
    this.#lines = [];
  }

  async #append(lines: string[]): Promise<void> {
    const progress = { kept: 0 };
    try {
      await mkdir(dirname(this.#path), { recursive: true });
      const lock = await openLogLock(this.#path);
      try {
        await this.#takeLock(lock);
        const bytes = encoder.encode(lines.join(""));
        await this.#rotateIfFull(bytes.byteLength);
        // Opened for each append (not kept open): a file rotated or replaced since the last one is followed.
        const file = await this.#openFile(this.#path);
        try {
          await writeWholeOrUndo(file, bytes, progress);
        } finally {
          file.close();
        }
      } finally {
        lock.close(); // closing releases the lock
      }
      this.#counts.written += lines.length;
      if (this.#failures > 0) {
        this.#log({ event: "prediction_log_recovered", failed_writes: this.#failures });
        this.#failures = 0;
      }
    } catch (error) {
      this.#counts.writeErrors++;
      if (this.#failures++ === 0) {
        this.#log({
          event: "prediction_log_failed",
          // The file: a write's own error ("No space left on device (os error 28)") names none, and the
          // hint's "check the disk" needs to know which.
          path: this.#path,
          error: error instanceof Error ? error.message : String(error),
          hint: "predictions are still served and kept in memory while the write is retried; " +
            (error instanceof NotRegularFileError || error instanceof LogLockHeldError
              ? error.hint
              : error instanceof Deno.errors.PermissionDenied
              ? "give the file to the user serve runs as (chown), or make its folder writable"
              : /\(os error 27\)/.test(String(error))
              // EFBIG: the file size limit, not the disk (the log rotates at --predictions-log-max-mb).
              ? "raise the file size limit (ulimit -f, LimitFSIZE) or lower --predictions-log-max-mb below it"
              : /\(os error 30\)/.test(String(error))
              // EROFS: a mount made read-only (by hand, or by the kernel after disk errors), not a full disk.
              ? "its file system is read-only: remount it read-write (after checking it for errors, if the " +
                "kernel made it read-only), or restart serve with --predictions-log on a writable one"
              : "check the disk"),
        });
      }
      // Lines a cut write left whole in the file (only when it could not be undone) are written: not again.
      this.#counts.written += progress.kept;
      lines = lines.slice(progress.kept);
      // Back in front of newer lines, within the memory bound; then try again later.
      const room = Math.max(0, this.#maxPending - this.#lines.length);
      this.#counts.dropped += Math.max(0, lines.length - room);
      this.#lines = [...lines.slice(0, room), ...this.#lines];
      if (!this.#closed) {
        // One retry timer: several queued writes failing in turn (behind a held lock) each set one.
        if (this.#timer !== undefined) clearTimeout(this.#timer);
        const delay = RETRY_MS[Math.min(this.#failures - 1, RETRY_MS.length - 1)];
        this.#timer = setTimeout(() => this.flush(), delay);
      }
    }
  }

  /**
   * The log's lock on `lock`, polled (a blocking lock() cannot be given up: a lock held by another process
   * stalled every write, silently, and shutdown waited as long as it was held): up to `lockWaitMs`, or
   * LOCK_RETRY_WAIT_MS while failing already, and never past the closing flush's deadline.
   */
  async #takeLock(lock: Deno.FsFile): Promise<void> {
    const start = performance.now();
    for (;;) {
      if (await lock.tryLock(true)) return;
      const waited = performance.now() - start;
      const limit = Math.min(
        start + (this.#failures > 0 ? LOCK_RETRY_WAIT_MS : this.#lockWaitMs),
        this.#closeBy ?? Infinity,
      );
      if (start + waited >= limit) throw new LogLockHeldError(`${this.#path}.lock`, waited);
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }

  async #rotateIfFull(adding: number): Promise<void> {
    let live: Deno.FileInfo;
    try {
      live = await Deno.stat(this.#path);
    } catch {
      return; // no file yet
    }
    if (live.size === 0 || live.size + adding <= this.#maxBytes) return;
    const names = [this.#path, ...rotatedNames(this.#path, this.#keep)];
    await Deno.remove(names[names.length - 1]).catch(() => {});
    for (let i = names.length - 2; i >= 0; i--) {
      await Deno.rename(names[i], names[i + 1]).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    }
    await removeBeyondKeep(this.#path, this.#keep);
    this.#counts.rotations++;
    // The new live file gets the old one's permission bits: created by the append with the umask's, a log made
    // private (chmod 600: the bot's symbols and every call) turned world-readable at its first rotation.
    if (live.mode !== null && Deno.build.os !== "windows") {
      const mode = live.mode & 0o777;
      // Created with the mode (never wider: the umask only takes bits away), then given it exactly.
      const created = await Deno.open(this.#path, { write: true, createNew: true, mode }).then(
        (file) => (file.close(), true),
        () => false, // created meanwhile by a writer outside the lock: left as it is
      );
      if (created) await Deno.chmod(this.#path, mode);
    }
  }
}

const encoder = new TextEncoder();
const NEWLINE = 0x0a;

/**
 * Appends `bytes` (whole lines) to the open log so that each line lands once and whole, or not at all. On a
 * nearly full disk a write stores what fits, ending mid-line, and then fails with ENOSPC; the batch is
 * retried later, so what did land is cut off first: left there, the retry's first record was glued onto the
 * cut line (both lost to `monitor`) and the records before it were in the file twice.
 *
 * When even that fails, `progress.kept` says how many of the lines are in the file whole (the caller does not
 * write them again), and the cut line is ended by the next append (below): one line the reader skips.
 */
async function writeWholeOrUndo(file: LogFile, bytes: Uint8Array, progress: { kept: number }): Promise<void> {
  const size = (await file.stat()).size;
  // A last line without its newline (a process killed mid-write, a cut write that could not be undone) is
  // ended first, so that it stays a line of its own rather than swallow this batch's first record.
  let whole = bytes;
  if (size > 0 && !(await endsWithNewline(file, size))) {
    whole = new Uint8Array(bytes.byteLength + 1);
    whole[0] = NEWLINE;
    whole.set(bytes, 1);
  }
  let done = 0;
  try {
    while (done < whole.byteLength) done += await file.write(whole.subarray(done));
  } catch (error) {
    if (done > 0) {
      try {
        // Cut through the descriptor written to, so it is that file even if it was renamed meanwhile, and
        // back by what this write added to its end: `size` is stale if someone truncated the file
        // (copytruncate) since. Other appenders hold the lock, so the last `done` bytes are this write's.
        const end = (await file.stat()).size;
        await file.truncate(Math.max(0, end - done));
      } catch {
        const prefix = whole.byteLength - bytes.byteLength;
        progress.kept = whole.subarray(prefix, done).filter((b) => b === NEWLINE).length;
      }
    }
    throw error;
  }
}

async function endsWithNewline(file: LogFile, size: number): Promise<boolean> {
  const last = new Uint8Array(1);
  // Moves reads only: a write in append mode still goes to the end.
  await file.seek(size - 1, Deno.SeekMode.Start);
  return (await file.read(last)) === 1 && last[0] === NEWLINE;
}

/**
 * The log's files oldest first: every rotated one in its folder (`name.N` … `name.1`, by N), then `name`.
 * Rotation keeps the numbers contiguous, but an operator may archive one (gzip `name.3`): the files past that
 * gap are still read (the first gap used to end the list, and monitor silently lost every older week).
 */
export async function predictionLogFiles(path: string): Promise<string[]> {
  const files = (await rotatedFiles(path)).sort((a, b) => b.n - a.n).map((r) => r.name);
  if (await Deno.stat(path).then((info) => info.isFile, () => false)) files.push(path);
  return files;
}

/** The rotated files of the log at `path` (`name.N`, N ≥ 1, files through links), unordered; none without a folder. */
async function rotatedFiles(path: string): Promise<{ n: number; name: string }[]> {
  const folder = dirname(path);
  const prefix = `${basename(path)}.`;
  const rotated: { n: number; name: string }[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      const suffix = entry.name.startsWith(prefix) ? entry.name.slice(prefix.length) : "";
      if (!/^[1-9]\d*$/.test(suffix)) continue;
      const name = join(folder, entry.name);
      // Through links as the log itself is read; a folder of that name is no log.
      if (await Deno.stat(name).then((info) => info.isFile, () => false)) {
        rotated.push({ n: Number(suffix), name });
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return rotated;
}
