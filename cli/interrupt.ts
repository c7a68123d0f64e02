/**
 * Ctrl-C for long work (train, evaluate): the first press asks the work to stop after its current batch (it
 * sees `signal` aborted and saves what it can); a second press quits at once with exit code 130. SIGTERM (a
 * systemd stop, `kill`) counts as a press too: the first one saves like Ctrl-C instead of losing the run.
 */
export async function withInterrupt<T>(
  /**
   * Either may be a function: what a press does can depend on where the work is (train's saving; a second press
   * before training started has no run to resume).
   */
  messages: { readonly first: string | (() => string); readonly second?: string | (() => string) },
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) {
      const second = typeof messages.second === "function" ? messages.second() : messages.second;
      if (second) console.error(`\n${second}`);
      Deno.exit(130);
    }
    stop.abort();
    console.error(`\n${typeof messages.first === "function" ? messages.first() : messages.first}`);
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSigint);
  try {
    return await work(stop.signal);
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSigint);
  }
}
