/**
 * Reading a file that must be a regular one (a checkpoint's manifest.json, model.onnx, metrics.json, a run's
 * state): what stands at the path is looked at before it is opened. Opening a FIFO for reading waits for a
 * writer for good, and a device never ends, so `models list`, `promote`, `predict` and `export` hung on a FIFO
 * named manifest.json; a folder failed with the system's bare "Is a directory". A symlink to a regular file
 * reads as that file.
 */
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

/**
 * Throws NotRegularFileError unless `path` (symlinks followed) is a regular file; Deno's NotFound (and any
 * other stat failure) passes through as it is, for the caller's "is missing".
 */
export async function requireRegularFile(path: string): Promise<void> {
  const kind = nonRegularKind(await Deno.stat(path));
  if (kind !== null) throw new NotRegularFileError(path, kind);
}

/** `path`'s bytes, read only once it is known to be a regular file (else NotRegularFileError, unopened). */
export async function readRegularFile(path: string): Promise<Uint8Array> {
  await requireRegularFile(path);
  return await Deno.readFile(path);
}

/** As readRegularFile, decoded as UTF-8. */
export async function readRegularTextFile(path: string): Promise<string> {
  await requireRegularFile(path);
  return await Deno.readTextFile(path);
}
