/**
 * An error written for the person running candlecast: `message` says what happened, `hint` (when there is
 * one) what to do about it, `exitCode` whose fix it is (2: the command line's; 1: the data's or the machine's).
 * Every layer's own errors extend it, so the CLI can report any of them as written: a conversion a command
 * forgot no longer reaches the user as "unexpected failure … this is a bug" (as a damaged parent manifest under
 * `train --incremental` once did).
 *
 * @example
 * ```ts
 * throw new ReportedError("prices.csv: row 7 has no close", "fix the row, or collect the data again");
 * ```
 */
export class ReportedError extends Error {
  override name = "ReportedError";
  constructor(message: string, readonly hint?: string, readonly exitCode: number = 1) {
    super(message);
  }
}
