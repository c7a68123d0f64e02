/**
 * The rules a file path is cut and joined with: Windows' where candlecast runs there (`\` and `/`, drive
 * letters), POSIX' elsewhere. Code that reads a path's parts takes them as a parameter defaulting to
 * `PLATFORM_PATHS`, so that tests on Linux can check both; a path cut at "/" by hand broke on Windows (lock
 * files, `current`'s target, an output path ending in `\`).
 *
 * @example
 * ```ts
 * import { win32 } from "node:path";
 * const name = (path: string, paths: PathRules = PLATFORM_PATHS) => paths.basename(path);
 * name("C:\\data\\training.csv", win32); // "training.csv"
 * ```
 */
import { posix, win32 } from "node:path";

export type PathRules = Pick<typeof posix, "basename" | "dirname" | "join" | "sep">;

export const PLATFORM_PATHS: PathRules = Deno.build.os === "windows" ? win32 : posix;

/**
 * `path` without the separators it ends in: `/`, and on Windows `\` too. A shell's completion of a folder adds
 * one (`v3_2026-11-24/`, Windows' `v3_2026-11-24\`); stripping "/" alone refused the Windows spelling of a
 * name accepted with a slash.
 */
export function withoutTrailingSeparators(path: string, paths: PathRules = PLATFORM_PATHS): string {
  let end = path.length;
  while (end > 0 && (path[end - 1] === "/" || path[end - 1] === paths.sep)) end--;
  return path.slice(0, end);
}
