/**
 * Whether a command may replace a file at a path the user named (collect's and export's `--output`, the
 * evaluation files in evaluate's `--output-dir`). Every one of them writes a new file and renames it over the
 * old one, which needs only the folder's write permission: a file its owner protected, or another user's, was
 * replaced without a word whenever the folder let it, and the other user's file became the writer's.
 */
import { UsageError } from "./errors.ts";
import { processUser, shellWord } from "../base/index.ts";

/** What of the output's stat the rules read (`Deno.FileInfo` has it). */
export type OutputFileInfo = { isFile: boolean; mode: number | null; uid: number | null };

/** How a command's messages name the flag and what it does to the file it replaces. */
export interface OutputUse {
  /** The flag that named the path: `--output`, `--output-dir`. */
  readonly flag: string;
  /** The command, as typed: `collect`. */
  readonly command: string;
  /** What the command does to the file, said after its name: "merges new candles into it by replacing it". */
  readonly replaces: string;
  /** What `chmod u+w` would let it do, said after its name: "merge into it". */
  readonly allow: string;
}

/** collect's `--output`: the training CSV it merges into. */
export const COLLECT_OUTPUT: OutputUse = {
  flag: "--output",
  command: "collect",
  replaces: "merges new candles into it by replacing it",
  allow: "merge into it",
};

/** export's `--output`: the ONNX file a re-export replaces. */
export const EXPORT_OUTPUT: OutputUse = {
  flag: "--output",
  command: "export",
  replaces: "writes the model by replacing it",
  allow: "replace it",
};

/** The evaluation files in evaluate's `--output-dir`: a complete run replaces them and removes partial ones. */
export const EVALUATE_OUTPUT: OutputUse = {
  flag: "--output-dir",
  command: "evaluate",
  replaces: "replaces (or removes) the evaluation files in the folder with its own",
  allow: "replace it",
};

/**
 * The usage error for an output `use.command` must leave as it is, or null when it may replace it.
 * `uid` is the process's (`processUser()`'s, null when unknown); `os` is a parameter so one platform's tests
 * check the other's rule.
 *
 * @example
 * ```ts
 * const problem = protectedOutputProblem("data/training.csv", await Deno.stat("data/training.csv"), 1000, COLLECT_OUTPUT);
 * if (problem) throw problem;
 * ```
 */
export function protectedOutputProblem(
  output: string,
  info: OutputFileInfo,
  uid: number | null,
  use: OutputUse,
  os: typeof Deno.build.os = Deno.build.os,
): UsageError | null {
  if (!info.isFile || info.mode === null || os === "windows") return null;
  const { flag, command } = use;
  // A file its owner made read-only (chmod 444, chmod a-w) is one they meant to keep as it is (its mode 444
  // was even kept). Judged by the owner's write bit, not by access(): root passes access() for any file, and
  // a cron job run as root is the run most likely to meet a protected file.
  if ((info.mode & 0o200) === 0) {
    const mode = (info.mode & 0o777).toString(8);
    return new UsageError(
      `${flag}: ${output} is read-only (mode ${mode}); ${command} ${use.replaces}, and does not replace a ` +
        "file its owner protected",
      `chmod u+w ${shellWord(output)} to let ${command} ${use.allow}, or choose another ${flag}`,
    );
  }
  // Another user's file that neither its group nor others may write (mode 644 in a shared folder): the rename
  // would take it from its owner. Root is let through: the replacement keeps the owner (base/atomic_write).
  // A group-writable file is let through without reading the process's groups, which Deno does not list.
  if (uid !== null && uid !== 0 && info.uid !== null && info.uid !== uid && (info.mode & 0o022) === 0) {
    return new UsageError(
      `${flag}: ${output} belongs to another user (uid ${info.uid}) and only its owner may write it ` +
        `(mode ${(info.mode & 0o777).toString(8)}); ${command} ${use.replaces}, which would take the file ` +
        "from its owner",
      `run ${command} as that user, or choose another ${flag}`,
    );
  }
  return null;
}

/**
 * Throws `protectedOutputProblem`'s usage error for the file at `output` (followed through symlinks, as the
 * writers follow them); nothing there, or a path that cannot be read, is left to the write to judge.
 *
 * @example
 * ```ts
 * await refuseProtectedOutput("trading_model.onnx", EXPORT_OUTPUT);
 * ```
 */
export async function refuseProtectedOutput(
  output: string,
  use: OutputUse,
  uid: number | null = processUser()?.uid ?? null,
): Promise<void> {
  const info = await Deno.stat(output).catch(() => null);
  const problem = info && protectedOutputProblem(output, info, uid, use);
  if (problem) throw problem;
}
