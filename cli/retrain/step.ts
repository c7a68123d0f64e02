/**
 * Retrain's steps (collect, train), and stopping between them.
 *
 * Each step runs as its own candlecast process with its output appended to a log file: a crash or an
 * out-of-memory kill in training cannot take the orchestrator (or its lock) down with it, and cron mail gets
 * one summary line instead of a training transcript.
 */
import { CommandError, InterruptedError } from "../errors.ts";
import { childEnv } from "../exit_with_parent.ts";
import { selfCommand } from "../self_command.ts";
import { readRegularFileTail, shellWord } from "../../base/index.ts";

/** A step that failed: its one-line reason (and hint) as the CLI prints it. */
export class StepError extends CommandError {
  /** The step was `train --incremental` finding too few windows after its parent's data (its hint says so). */
  readonly tooLittleNewData: boolean;
  constructor(message: string, hint: string, reason: string) {
    super(message, hint);
    this.tooLittleNewData = /hint: there may be too little data since /.test(reason);
  }
}

/** Thrown (as InterruptedError) when the run was asked to stop; checked between steps. */
function stopIfAsked(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new InterruptedError(`retrain stopped on request ${what}`, STOPPED_HINT);
}
export const STOPPED_HINT = "current is untouched; the next scheduled run starts afresh";

/**
 * Appends `[time] line` to the log: a run's start and its outcome (the summary cron mails, or why it ended), so
 * the log alone answers "what did last Sunday's run decide?". Best effort: a log that cannot take it is no
 * reason to fail a run that has finished.
 */
export async function appendLogLine(log: string, line: string): Promise<void> {
  await Deno.writeTextFile(log, `[${new Date().toISOString()}] ${line}\n`, { append: true, create: true })
    .catch(() => {});
}

/** How much of the log's end `killedRunLine` reads: a run's steps write far less than this after its start. */
const LOG_TAIL_BYTES = 1 << 20;

/**
 * The line to log when the run before this one (process `self`, whose "started" line is already in the log)
 * left no line after its own "started": killed outright (kill -9, an OOM kill, a power loss), or its last line
 * could not be written. Null when it ended with a line, or there is none. Before, the log went from one run's
 * "started" to the next's, and docs/retrain.md says the log keeps how each run ended (a year's trial).
 */
export async function killedRunLine(log: string, self: number): Promise<string | null> {
  let text: string;
  try {
    text = new TextDecoder().decode(await readRegularFileTail(log, LOG_TAIL_BYTES));
  } catch {
    return null; // no log yet, or none readable: nothing to say
  }
  let previous: { time: string; pid: number } | null = null;
  let ended = false;
  for (const line of text.split("\n")) {
    const entry = /^\[(\S+)\] retrain [^:]*: (.*)$/.exec(line);
    if (!entry) continue; // a step's own output
    const started = /^started \(pid (\d+)\)$/.exec(entry[2]);
    if (started && Number(started[1]) === self) break;
    if (started) [previous, ended] = [{ time: entry[1], pid: Number(started[1]) }, false];
    else ended = true;
  }
  if (previous === null || ended) return null;
  return `retrain: the run started at ${previous.time} (pid ${previous.pid}) left no line saying how it ended: ` +
    "killed (kill -9, an out-of-memory kill, a power loss), or its last line could not be written; what it " +
    "left in the checkpoints folder is removed now";
}

/**
 * Runs `candlecast <args>` with its output appended to `log`. `progress` (retrain on a terminal) hears one line
 * as it starts: a step runs for minutes with its own progress in the log, and retrain by hand was silent
 * until its summary.
 */
export async function step(
  log: string,
  args: readonly string[],
  signal?: AbortSignal,
  progress?: (line: string) => void,
): Promise<void> {
  stopIfAsked(signal, `before '${args[0]}'`);
  progress?.(`retrain: running '${args[0]}'; its progress goes to ${log} (tail -f ${shellWord(log)})`);
  const opened = await Deno.open(log, { append: true, create: true });
  // A write's own error names no file ("No space left on device (os error 28)"): cron's mail said "free space
  // there" with no there, where data/ and checkpoints/ may sit on other disks (a capacity planner's trial).
  const file = {
    write: (bytes: Uint8Array) =>
      opened.write(bytes).catch((error) => Promise.reject(namingFile(error, log))),
    close: () => opened.close(),
  };
  try {
    await file.write(
      new TextEncoder().encode(
        `\n[${new Date().toISOString()}] $ candlecast ${args.map((a) => shellWord(a)).join(" ")}\n`,
      ),
    );
    const { command: cmd, args: cmdArgs } = selfCommand(args);
    const child = new Deno.Command(cmd, {
      args: cmdArgs,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
      env: childEnv(), // the step dies with this process, however it ends
    }).spawn();
    // Stop the step as Ctrl-C would (train saves nothing it would be asked to resume: see failedStep in candidate.ts).
    const stop = () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
    };
    signal?.addEventListener("abort", stop, { once: true });
    child.status.finally(() => signal?.removeEventListener("abort", stop));
    let tail = "";
    const copy = async (stream: ReadableStream<Uint8Array>, keepTail: boolean) => {
      for await (const chunk of stream) {
        await file.write(chunk);
        if (keepTail) tail = (tail + new TextDecoder().decode(chunk)).slice(-4000);
      }
    };
    const [status] = await Promise.all([child.status, copy(child.stdout, false), copy(child.stderr, true)]);
    if (!status.success && signal?.aborted) {
      throw new InterruptedError(`retrain stopped on request during '${args[0]}'`, STOPPED_HINT);
    }
    if (!status.success) {
      const how = status.signal ? `was killed by ${status.signal}` : `exited ${status.code}`;
      // The step's own one-line reason and hint (SPEC §1 errors) say more than "see the log".
      // Without the step's own "candlecast: ", which read twice in one line after retrain's.
      const reason = tail.split("\n").filter((l) => /^(candlecast|hint): /.test(l))
        .map((l) => l.replace(/^candlecast: /, "")).join("; ");
      throw new StepError(
        `'candlecast ${args[0]}' ${how}${reason ? `: ${reason}` : ""}`,
        `${log} has its output`,
        reason,
      );
    }
  } finally {
    file.close();
  }
}

/** `error` with the file it was writing named in its message (its code kept, so it is read as the same kind). */
export function namingFile(error: unknown, path: string): unknown {
  if (!(error instanceof Error)) return error;
  return Object.assign(new Error(`${error.message}, writing ${path}`), {
    code: (error as { code?: unknown }).code,
  });
}
