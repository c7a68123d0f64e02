/**
 * A path that exists but is the wrong kind of thing: a folder where a file is read or written, or a file
 * standing where a folder must be. The CLI reports it as a usage error (exit 2): the path named is wrong,
 * not the run.
 */
import { statSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type PathRules, PLATFORM_PATHS } from "./path_rules.ts";
import { ReportedError } from "./reported_error.ts";

/** A path of the wrong kind (a folder where a file goes, a file above a folder): the command line's to fix. */
export class PathKindError extends ReportedError {
  override name = "PathKindError";
  constructor(message: string, override readonly hint: string) {
    super(message, hint, 2);
  }
}

/** "file", "folder" (symlinks followed), or null when nothing is there. */
export function pathKind(path: string): "file" | "folder" | null {
  try {
    return statSync(path).isDirectory() ? "folder" : "file";
  } catch {
    return null;
  }
}

/**
 * `path`'s stat, following a symlink; null when nothing is there. Any other failure (no permission, a link loop)
 * is thrown: it is not "missing", and its own message says what to fix.
 */
export function statOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** The error for reading or writing `path` as a file when it is a folder; `example` names a file for the hint. */
export function folderNotFileError(path: string, example?: string): PathKindError {
  return new PathKindError(
    `${path} is a folder, not a file`,
    example ? `name a file, e.g. ${join(path, example)}` : "name a file, not a folder",
  );
}

/**
 * Why `path` cannot be written as a file, or null when it can be (missing folders above it are created on
 * write): it is a folder, it ends in a separator (a folder's name, there or not), or a file stands where one
 * of the folders above it must be. `paths`: the platform's rules, a parameter so both can be tested.
 */
export function outputFileProblem(
  path: string,
  example?: string,
  paths: PathRules = PLATFORM_PATHS,
): PathKindError | null {
  if (pathKind(path) === "folder") return folderNotFileError(path, example);
  // "out/" (a shell's completion of a folder yet to be made, or Windows' "out\"): collect reached its write and
  // failed there as "unexpected failure: ENOENT … this is a bug", after fetching every candle.
  if (path.endsWith("/") || path.endsWith(paths.sep)) {
    return new PathKindError(
      `${path} names a folder (it ends in "${path.at(-1)}"), not a file`,
      example ? `name a file, e.g. ${paths.join(path, example)}` : "name a file, not a folder",
    );
  }
  const file = fileAbove(path);
  return file === null ? null : new PathKindError(
    `${path} cannot be written: ${file} is a file, not a folder`,
    "choose a path under a folder, or move that file away",
  );
}

/** The file standing where one of the folders above `path` must be (so none can be made), or null. */
export function fileAbove(path: string): string | null {
  for (let dir = dirname(path);; dir = dirname(dir)) {
    const kind = pathKind(dir);
    if (kind === "file") return dir;
    if (kind === "folder" || dirname(dir) === dir) return null;
  }
}

/**
 * Whether two paths name one folder, through links and however spelt (`../ck` and `/tmp/ck` seen from /tmp/x);
 * false when either is not there.
 */
export async function sameFolder(a: string, b: string): Promise<boolean> {
  try {
    return await realpath(a) === await realpath(b);
  } catch {
    return false;
  }
}
