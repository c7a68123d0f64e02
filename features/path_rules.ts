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
