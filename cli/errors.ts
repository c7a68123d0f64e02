/**
 * The two ways a command fails, mapped to SPEC §1's exit codes: a UsageError (2) means "you asked wrongly,
 * here is how to ask"; a CommandError (1) means "what you asked for could not be done, here is why".
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

/** A command whose implementation has not landed yet: it says so instead of pretending. */
export function notBuilt(command: string, issue: number): never {
  throw new CommandError(`'${command}' is not built yet`, `it is tracked as issue #${issue}`);
}
