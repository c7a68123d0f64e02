/**
 * One retrain at a time: a kernel-held lock (base's `lockFile`, not waiting) on `checkpoints/.retrain.lock`. It dies
 * with its process, so a crashed or killed retrain never blocks the next cron run, and a lock file naming
 * some other live process (a reused PID) blocks nobody. A second retrain fails at once rather than waiting:
 * cron will start the next one on schedule.
 */
import { type HeldLock, LockBusyError, lockFile } from "../../base/index.ts";
import { CommandError } from "../errors.ts";

export async function acquireLock(path: string): Promise<HeldLock> {
  try {
    return await lockFile(path, "retrain", { waitMs: 0 });
  } catch (error) {
    if (!(error instanceof LockBusyError)) throw error;
    throw new CommandError(
      `another retrain is running (${error.owner.pid !== null ? `pid ${error.owner.pid}` : "pid unknown"}, ` +
        `since ${error.owner.since ?? "?"}); ${path} is its lock`,
      "wait for it to finish; the lock is released when its process ends, however it ends",
    );
  }
}
