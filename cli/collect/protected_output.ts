/**
 * Whether collect may replace the training CSV it merges into. The merge renames a new file over the old one,
 * which needs only the folder's write permission, so a file its owner protected, or another user's, was
 * replaced without a word whenever the folder let it.
 */
import { UsageError } from "../errors.ts";
import { shellWord } from "../../features/index.ts";

/** What of the output's stat the rules read (`Deno.FileInfo` has it). */
export type OutputFileInfo = { isFile: boolean; mode: number | null; uid: number | null };

/**
 * The usage error for an `--output` collect must leave as it is, or null when it may merge into it.
 * `uid` is the process's (`processUser()`'s, null when unknown); `os` is a parameter so one platform's tests
 * check the other's rule.
 *
 * @example
 * ```ts
 * const problem = protectedOutputProblem("data/training.csv", await Deno.stat("data/training.csv"), 1000);
 * if (problem) throw problem;
 * ```
 */
export function protectedOutputProblem(
  output: string,
  info: OutputFileInfo,
  uid: number | null,
  os: typeof Deno.build.os = Deno.build.os,
): UsageError | null {
  if (!info.isFile || info.mode === null || os === "windows") return null;
  // A file its owner made read-only (chmod 444, chmod a-w) is one they meant to keep as it is (its mode 444
  // was even kept). Judged by the owner's write bit, not by access(): root passes access() for any file, and
  // a cron job run as root is the collect most likely to meet a protected file.
  if ((info.mode & 0o200) === 0) {
    const mode = (info.mode & 0o777).toString(8);
    return new UsageError(
      `--output: ${output} is read-only (mode ${mode}); collect merges new candles into it by ` +
        "replacing it, and does not replace a file its owner protected",
      `chmod u+w ${shellWord(output)} to let collect merge into it, or choose another --output`,
    );
  }
  // Another user's file that neither its group nor others may write (mode 644 in a shared folder): the rename
  // would take it from its owner. Root is let through: the replacement keeps the owner (features/atomic_write).
  // A group-writable file is let through without reading the process's groups, which Deno does not list.
  if (uid !== null && uid !== 0 && info.uid !== null && info.uid !== uid && (info.mode & 0o022) === 0) {
    return new UsageError(
      `--output: ${output} belongs to another user (uid ${info.uid}) and only its owner may write it ` +
        `(mode ${
          (info.mode & 0o777).toString(8)
        }); collect merges new candles into it by replacing it, which ` +
        "would take the file from its owner",
      "run collect as that user, or choose another --output",
    );
  }
  return null;
}
