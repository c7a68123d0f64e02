/**
 * Reading a file that must be a regular one (a checkpoint's manifest.json, model.onnx, metrics.json, a run's
 * state): opening a FIFO for reading waits for a writer for good, and a device never ends, so `models list`,
 * `promote`, `predict` and `export` hung on a FIFO named manifest.json; a folder failed with the system's bare
 * "Is a directory". A symlink to a regular file reads as that file.
 *
 * The file is opened without blocking (O_NONBLOCK, through node:fs: Deno.open takes no such flag) and what
 * was opened is asked, on the open descriptor, before a byte is read. A look at the path first and an open
 * after left a window: a FIFO put there in between still hung the open itself. On a regular file O_NONBLOCK
 * changes nothing.
 */
import { constants, type FileHandle, open } from "node:fs/promises";
import type { Stats } from "node:fs";
import { ReportedError } from "./reported_error.ts";

/** A path read as a file that is something else (a folder, a FIFO, a socket, a device). */
export class NotRegularFileError extends ReportedError {
  override name = "NotRegularFileError";
  constructor(readonly path: string, readonly kind: string, hint?: string) {
    super(`${path} is ${kind}, not a regular file`, hint);
  }
}

/** What `info` describes in words ("a FIFO (named pipe)"), or null when it is a regular file. */
export function nonRegularKind(info: Deno.FileInfo): string | null {
  if (info.isFile) return null;
  if (info.isDirectory) return "a folder";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isSocket) return "a socket";
  if (info.isCharDevice || info.isBlockDevice) return "a device";
  return "not a regular file";
}

/** As nonRegularKind, for node:fs's Stats. */
function nodeNonRegularKind(stats: Stats): string | null {
  return nonRegularKind({
    isFile: stats.isFile(),
    isDirectory: stats.isDirectory(),
    isFifo: stats.isFIFO(),
    isSocket: stats.isSocket(),
    isCharDevice: stats.isCharacterDevice(),
    isBlockDevice: stats.isBlockDevice(),
  } as Deno.FileInfo);
}

/**
 * Throws NotRegularFileError unless `path` (symlinks followed) is a regular file; Deno's NotFound (and any
 * other stat failure) passes through as it is, for the caller's "is missing". A look only: what is there may
 * change before any open that follows (readRegularFile does not rely on it).
 */
export async function requireRegularFile(path: string): Promise<void> {
  const kind = nonRegularKind(await Deno.stat(path));
  if (kind !== null) throw new NotRegularFileError(path, kind);
}

/** O_NONBLOCK where the system has it (not on Windows, which has no FIFOs in the file system to wait on). */
const NON_BLOCKING_READ = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * `path`'s bytes, read only once the open file is known to be a regular file (else NotRegularFileError, not a
 * byte read). Never waits on a FIFO, whatever is swapped in when. A missing file is Deno's NotFound, as the
 * callers' "is missing" expects; other failures are node:fs's errors (with their `code`, EACCES…).
 */
export async function readRegularFile(path: string): Promise<Uint8Array> {
  // A copy into a buffer of its own: node may hand back a view into a shared pool.
  return await withRegularFile(path, async (handle) => new Uint8Array(await handle.readFile()));
}

/**
 * The last `maxBytes` of `path` (all of it when shorter), read as `readRegularFile` reads: never from a FIFO
 * or a device. For a log's latest lines or how a file ends, without reading the rest.
 *
 * @example
 * const tail = new TextDecoder().decode(await readRegularFileTail("data/retrain.log", 1 << 20));
 */
export async function readRegularFileTail(path: string, maxBytes: number): Promise<Uint8Array> {
  return await withRegularFile(path, async (handle) => {
    const size = (await handle.stat()).size;
    const bytes = new Uint8Array(Math.min(size, maxBytes));
    let read = 0;
    while (read < bytes.length) {
      const { bytesRead } = await handle.read(bytes, read, bytes.length - read, size - bytes.length + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return bytes.subarray(0, read);
  });
}

/** `use` on `path` opened without blocking, once the open file is known to be a regular file. */
async function withRegularFile<T>(path: string, use: (handle: FileHandle) => Promise<T>): Promise<T> {
  let handle;
  try {
    handle = await open(path, NON_BLOCKING_READ);
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") {
      throw new Deno.errors.NotFound((error as Error).message);
    }
    // Some things are refused by the open itself: a Unix socket (ENXIO), a device without its driver, one this
    // user may not open. Named as what they are, as a FIFO is, not by the open's bare "no such device or
    // address" (a stat never waits).
    const kind = await Deno.stat(path).then(nonRegularKind, () => null);
    if (kind !== null) throw new NotRegularFileError(path, kind);
    throw error;
  }
  try {
    const kind = nodeNonRegularKind(await handle.stat());
    if (kind !== null) throw new NotRegularFileError(path, kind);
    return await use(handle);
  } finally {
    await handle.close();
  }
}

/** As readRegularFile, decoded as UTF-8. */
export async function readRegularTextFile(path: string): Promise<string> {
  return new TextDecoder().decode(await readRegularFile(path));
}
