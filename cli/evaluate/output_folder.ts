/**
 * `evaluate --output-dir`: claimed before any training, refused where writing would harm other files, and
 * locked so that two evaluations into one folder cannot leave one run's evaluation.json beside the other's
 * predictions.csv (evaluate runs for tens of minutes; collect, train and retrain all lock what they write);
 * then written, the three files as one set (`writeEvaluation`).
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import {
  describeOwner,
  type FileData,
  type HeldLock,
  LockBusyError,
  lockFile,
  nonRegularKind,
  pathKind,
  processUser,
  readRegularFile,
  refuseDanglingFolderLink,
  shellWord,
  writeFilesAtomic,
} from "../../base/index.ts";
import { CommandError, UsageError } from "../errors.ts";
import { EVALUATE_OUTPUT, refuseProtectedOutput } from "../protected_output.ts";

/**
 * Refuses an `--output-dir` that is a model version (writing report.html there replaces the version's own,
 * whose hash its manifest records: `models promote`, `rollback` and every `retrain` would then refuse the
 * version) or that holds a report.html or predictions.csv no evaluation wrote (none of its evaluation files
 * beside it), or where something that is no regular file (a FIFO, a folder) stands at one of the names the run
 * writes, or whose evaluation files the run must leave as they are (`protectedOutputProblem`: read-only,
 * or another user's that only its owner may write; `uid` is the process's), then takes the folder's lock
 * (`.evaluate.lock` in it, removed at release) for the run; the caller releases it (`using`).
 *
 * @example
 * ```ts
 * using _claim = await claimOutputFolder("evaluation");
 * ```
 */
export async function claimOutputFolder(
  dir: string,
  uid: number | null = processUser()?.uid ?? null,
): Promise<HeldLock> {
  // A link to a folder not there (an unmounted drive): said before the folds run, not as mkdir's EEXIST.
  await refuseDanglingFolderLink(join(dir, "evaluation.json"));
  if (pathKind(join(dir, "manifest.json")) === "file") {
    throw new UsageError(
      `--output-dir: ${dir} is a model version; evaluate's report.html would replace the version's own ` +
        "(its manifest's hashes would then refuse the version); nothing was run",
      "write the evaluation to a folder of its own, e.g. --output-dir evaluation",
    );
  }
  // Something that is no regular file where the run writes (a FIFO, a socket, a folder; a device where the
  // run reads): a FIFO named evaluation.json read as an earlier evaluation, and an interrupted run's check of it
  // waited for a writer for good. Refused now, unread, before the training. A device where evaluate only
  // writes is written into, as every write does (`predictions.csv -> /dev/null` to keep no predictions).
  const read = new Set<string>(["evaluation.json", "evaluation.partial.json"]);
  for (const name of [...EVALUATION_FILES, ...PARTIAL_FILES]) {
    const path = join(dir, name);
    const info = statAt(path);
    const kind = info === null ? null : nonRegularKind(info);
    // A character device (/dev/null), not a disk's block device, whose bytes a write would replace.
    if (kind === null || (info?.isCharDevice === true && !read.has(name))) continue;
    throw new UsageError(
      `--output-dir: ${path} is ${kind}, not a regular file; evaluate writes its ${name} there; nothing was run`,
      `move it away ('mv ${shellWord(path)} ${shellWord(`${path}.aside`)}'), or choose another --output-dir`,
    );
  }
  const ours = ["evaluation.json", "evaluation.partial.json"].some((name) =>
    pathKind(join(dir, name)) === "file"
  );
  // predictions.csv too: a folder of the user's own predictions lost its file, unasked, at the run's end.
  const foreign = ours
    ? undefined
    : ["report.html", "predictions.csv"].find((name) => pathKind(join(dir, name)) === "file");
  if (foreign) {
    throw new UsageError(
      `--output-dir: ${dir} holds a ${foreign} that no evaluation wrote (no evaluation.json beside it); this ` +
        "run would replace it; nothing was run",
      `choose another --output-dir, or move that ${foreign} away`,
    );
  }
  // Every evaluation file the run may replace or remove (a complete run removes the partial ones): one its
  // owner made read-only, or another user's in a shared folder, was replaced at the run's end, the other
  // user's becoming this user's. Refused now, before the training, as collect and export refuse theirs.
  for (const name of [...EVALUATION_FILES, ...PARTIAL_FILES]) {
    await refuseProtectedOutput(join(dir, name), EVALUATE_OUTPUT, uid);
  }
  // Inside the folder (made now, as the run would at its end): a lock beside it would litter the folder above.
  const path = join(dir, ".evaluate.lock");
  const made = pathKind(dir) === null;
  try {
    const held = await lockFile(path, `evaluate into ${dir}`, { waitMs: 0 });
    // Removed while still held, then released: the folder keeps only the evaluation. A run starting in that
    // moment locks a new file of that name, and this run's files are written by then.
    const release = () => {
      try {
        Deno.removeSync(path);
      } catch {
        // gone already (removed by hand): the kernel lock is what counted
      }
      held.release();
      // A folder this claim made and the run left empty (refused or failed before writing) goes too.
      if (made) {
        try {
          Deno.removeSync(dir);
        } catch {
          // it holds the evaluation (or something else now): kept
        }
      }
    };
    return { path, release, [Symbol.dispose]: release };
  } catch (error) {
    if (!(error instanceof LockBusyError)) throw error;
    throw new CommandError(
      `${dir} is being written by ${describeOwner(error.owner)}; nothing was run`,
      `let that run finish, or evaluate into another --output-dir; ${path} is the lock`,
    );
  }
}

/** What one evaluation writes: evaluation.json's text, report.html's page and predictions.csv's rows. */
export interface EvaluationContents {
  readonly json: string;
  readonly report: string;
  readonly predictions: FileData;
}

/** Where an evaluation's files went; `beside` when a partial one was written beside a complete one. */
export interface EvaluationFiles {
  readonly jsonPath: string;
  readonly reportPath: string;
  readonly predictionsPath: string;
  readonly beside: boolean;
}

/**
 * Writes an evaluation into `dir` as one set (`writeFilesAtomic`: all three files on disk before any replaces an
 * earlier run's, so a failed write or a full disk never leaves this run's predictions.csv beside that run's
 * evaluation.json; the renames that follow take microseconds, evaluation.json's last). A partial evaluation
 * never replaces a complete one already there (the run said it would replace it when it finishes): it is
 * written beside it, as evaluation.partial.json, report.partial.html and predictions.partial.csv. A complete
 * one supersedes the partial files an earlier interrupted re-run left: kept, they would read as a newer result
 * than they are.
 */
export async function writeEvaluation(
  dir: string,
  partial: boolean,
  contents: EvaluationContents,
): Promise<EvaluationFiles> {
  await Deno.mkdir(dir, { recursive: true });
  const beside = partial && await holdsCompleteEvaluation(dir);
  const jsonPath = join(dir, beside ? PARTIAL_FILES[0] : "evaluation.json");
  const reportPath = join(dir, beside ? PARTIAL_FILES[1] : "report.html");
  const predictionsPath = join(dir, beside ? PARTIAL_FILES[2] : "predictions.csv");
  // Renamed in this order, evaluation.json last: a crash between two renames can leave this run's
  // predictions.csv beside an earlier report, but a new evaluation.json is always beside its own two files.
  await writeFilesAtomic([
    [predictionsPath, contents.predictions],
    [reportPath, contents.report],
    [jsonPath, contents.json],
  ]);
  if (!beside) { for (const name of PARTIAL_FILES) await rm(join(dir, name), { force: true }); }
  return { jsonPath, reportPath, predictionsPath, beside };
}

/** What a complete evaluation writes. */
const EVALUATION_FILES = ["evaluation.json", "report.html", "predictions.csv"] as const;

/** What an interrupted re-run writes beside a complete evaluation, rather than over it. */
const PARTIAL_FILES = ["evaluation.partial.json", "report.partial.html", "predictions.partial.csv"] as const;

/** An evaluation.json that finished: its folds, and no `partial` mark (null, or absent in older files). */
const CompleteEvaluationSchema = z.object({ folds: z.array(z.unknown()), partial: z.null().optional() });

/**
 * What stands at `path` when it is no regular file ("a FIFO (named pipe)", following a link); null for a
 * regular file, nothing, or a path that cannot be looked at (a dangling link or a loop, which the write's rename
 * replaces rather than follows).
 */
/** `path`'s stat, following links; null when it cannot be had (nothing there). */
function statAt(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch {
    return null;
  }
}

/** True when `dir` holds an evaluation.json that is readable and not marked partial (`partial: null`). */
async function holdsCompleteEvaluation(dir: string): Promise<boolean> {
  try {
    // Only from a regular file: a FIFO put there since the claim would wait for a writer for good.
    const bytes = await readRegularFile(join(dir, "evaluation.json"));
    const earlier: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return CompleteEvaluationSchema.safeParse(earlier).success;
  } catch {
    return false;
  }
}
