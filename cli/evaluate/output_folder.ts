/**
 * `evaluate --output-dir` claimed before any training: refused where writing would harm other files, and
 * locked so that two evaluations into one folder cannot leave one run's evaluation.json beside the other's
 * predictions.csv (evaluate runs for tens of minutes; collect, train and retrain all lock what they write).
 */
import { join } from "node:path";
import { describeOwner, type HeldLock, LockBusyError, lockFile, pathKind } from "../../features/index.ts";
import { CommandError, UsageError } from "../errors.ts";

/**
 * Refuses an `--output-dir` that is a model version (writing report.html there replaces the version's own,
 * whose hash its manifest records: `models promote`, `rollback` and every `retrain` would then refuse the
 * version) or that holds a report.html no evaluation wrote (none of its evaluation files beside it), then
 * takes the folder's lock (`.evaluate.lock` in it, removed at release) for the run; the caller releases it
 * (`using`).
 *
 * @example
 * ```ts
 * using _claim = await claimOutputFolder("evaluation");
 * ```
 */
export async function claimOutputFolder(dir: string): Promise<HeldLock> {
  if (pathKind(join(dir, "manifest.json")) === "file") {
    throw new UsageError(
      `--output-dir: ${dir} is a model version; evaluate's report.html would replace the version's own ` +
        "(its manifest's hashes would then refuse the version); nothing was run",
      "write the evaluation to a folder of its own, e.g. --output-dir evaluation",
    );
  }
  const ours = ["evaluation.json", "evaluation.partial.json"].some((name) =>
    pathKind(join(dir, name)) === "file"
  );
  if (!ours && pathKind(join(dir, "report.html")) === "file") {
    throw new UsageError(
      `--output-dir: ${dir} holds a report.html that no evaluation wrote (no evaluation.json beside it); this ` +
        "run would replace it; nothing was run",
      "choose another --output-dir, or move that report.html away",
    );
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
