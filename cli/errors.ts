/**
 * The ways a command fails, mapped to exit codes: a UsageError (2, SPEC §1) means "you asked wrongly, here is
 * how to ask"; a CommandError (1) means "what you asked for could not be done, here is why"; an
 * InterruptedError (130) means "stopped on request, and this is what was kept".
 */
import { ReportedError } from "../base/index.ts";
export class UsageError extends ReportedError {
  override name = "UsageError";
  constructor(message: string, hint?: string) {
    super(message, hint, 2);
  }
}

export class CommandError extends ReportedError {
  override name = "CommandError";
  constructor(message: string, hint?: string) {
    super(message, hint, 1);
  }
}

/**
 * A long command stopped by Ctrl-C (or SIGTERM) after saving what it could: reported like a CommandError (one
 * line saying what was kept, and a hint) with exit code 130, the shell's code for a SIGINT, so scripts can
 * tell "stopped on request" from "failed".
 */
export class InterruptedError extends ReportedError {
  override name = "InterruptedError";
  constructor(message: string, hint?: string) {
    super(message, hint, 130);
  }
}

/**
 * A `filesystemProblem` hint without its closing "and run it again", for a hint that goes on with the step that
 * is left ("…; then 'candlecast models promote v2'"): the version is whole, and running `train` again would
 * retrain it for nothing (a disaster trial).
 */
export function withoutRunAgain(hint: string): string {
  return hint.replace(/,? (and|then) run it again$/, "");
}

/**
 * What the operating system said when a file could not be written or read for a reason of the machine, not of
 * candlecast: a full disk, a read-only file system, a quota, a failing device, permissions that refuse it. Reported as such (exit 1, with
 * what to do) rather than as "unexpected failure … this is a bug". Null for any other error.
 */
export function filesystemProblem(error: unknown): { message: string; hint: string } | null {
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: unknown }).code;
  const text = error.message;
  const is = (name: string, errno: number) => code === name || text.includes(`(os error ${errno})`);
  const kinds: [boolean, string, string][] = [
    [
      is("ENOSPC", 28),
      "no space left on the device",
      "free space there (df -h shows where) and run it again",
    ],
    [is("EDQUOT", 122), "the disk quota is exceeded", "free space or raise the quota, and run it again"],
    [is("EROFS", 30), "the file system is read-only", "write somewhere writable, or remount it read-write"],
    [is("EIO", 5), "the device reported an input/output error", "check the disk (dmesg), then run it again"],
    // The process's file size limit (ulimit -f, systemd's LimitFSIZE=) with SIGXFSZ ignored: it read
    // "unexpected failure: File too large (os error 27) … this is a bug" (helper trial s43).
    [
      is("EFBIG", 27),
      "the file would pass a file size limit, this process's or the file system's own (FAT32's 4 GB)",
      "raise the process's ('ulimit -f unlimited', LimitFSIZE= in a systemd unit) or write to another file " +
      "system, and run it again",
    ],
    // A folder or file this user may not write (or read): `chmod -w`, another user's checkpoints.
    [
      is("EACCES", 13) || is("EPERM", 1),
      "permission denied",
      "give this user access to the path named (ls -ld shows its owner and mode), or choose another path",
    ],
  ];
  const kind = kinds.find(([matches]) => matches);
  return kind ? { message: `${kind[1]} (${text})`, hint: kind[2] } : null;
}
