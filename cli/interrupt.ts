/**
 * Ctrl-C for long work (train, evaluate): the first press asks the work to stop after its current batch (it
 * sees `signal` aborted and saves what it can); a second press quits at once with exit code 130. SIGTERM (a
 * systemd stop, `kill`) counts as a press too: the first one saves like Ctrl-C instead of losing the run.
 */
export async function withInterrupt<T>(
  /** `first` may be a function: what a first press does can depend on where the work is (train's saving). */
  messages: { readonly first: string | (() => string); readonly second?: string },
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) {
      if (messages.second) console.error(`\n${messages.second}`);
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
