/**
 * The ways a command fails, mapped to exit codes: a UsageError (2, SPEC §1) means "you asked wrongly, here is
 * how to ask"; a CommandError (1) means "what you asked for could not be done, here is why"; an
 * InterruptedError (130) means "stopped on request, and this is what was kept".
 */
export class UsageError extends Error {
  override name = "UsageError";
  readonly exitCode = 2;
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

export class CommandError extends Error {
  override name = "CommandError";
  readonly exitCode = 1;
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

/**
 * A long command stopped by Ctrl-C (or SIGTERM) after saving what it could: reported like a CommandError (one
 * line saying what was kept, and a hint) with exit code 130, the shell's code for a SIGINT, so scripts can
 * tell "stopped on request" from "failed".
 */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  readonly exitCode = 130;
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

/** A command whose implementation has not landed yet: it says so instead of pretending. */
export function notBuilt(command: string, issue: number): never {
  throw new CommandError(`'${command}' is not built yet`, `it is tracked as issue #${issue}`);
}
