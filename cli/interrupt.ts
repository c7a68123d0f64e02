/**
 * Ctrl-C for long work (train, evaluate): the first press asks the work to stop after its current batch (it
 * sees `signal` aborted and saves what it can); a second press quits at once with exit code 130. SIGTERM (a
 * systemd stop, `kill`) counts as a press too: the first one saves like Ctrl-C instead of losing the run.
 */
import { writeStderrLine } from "../base/index.ts";

export async function withInterrupt<T>(
  /**
   * Either may be a function: what a press does can depend on where the work is (train's saving; a second press
   * before training started has no run to resume).
   */
  messages: {
    readonly first: string | (() => string);
    readonly second?: string | (() => string);
    /** What a second press does, after "Ctrl-C again" (default: "to quit now"). */
    readonly quitNow?: string;
  },
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const stop = new AbortController();
  const handler = (signal: Deno.Signal) => () => {
    // A new line after the terminal's "^C"; a SIGTERM (systemd, kill) lands in a log, where it would be blank.
    const lead = signal === "SIGINT" && Deno.stderr.isTerminal() ? "\n" : "";
    if (stop.signal.aborted) {
      const second = typeof messages.second === "function" ? messages.second() : messages.second;
      if (second) writeStderrLine(`${lead}${second}`);
      Deno.exit(130);
    }
    stop.abort();
    const first = typeof messages.first === "function" ? messages.first() : messages.first;
    // Named by what came: a log that says "Ctrl-C again" after systemd's stop misleads whoever reads it.
    const again = signal === "SIGINT" ? "Ctrl-C again" : "another SIGTERM or a Ctrl-C";
    writeStderrLine(`${lead}${first} (${again} ${messages.quitNow ?? "to quit now"})`);
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const listeners = signals.map((s) => [s, handler(s)] as const);
  for (const [s, listener] of listeners) Deno.addSignalListener(s, listener);
  try {
    return await work(stop.signal);
  } finally {
    for (const [s, listener] of listeners) Deno.removeSignalListener(s, listener);
  }
}
