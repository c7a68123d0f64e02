/**
 * Ctrl-C for long work (train, evaluate): the first press asks the work to stop after its current batch (it
 * sees `signal` aborted and saves what it can); a second press quits at once with exit code 130.
 */
export async function withInterrupt<T>(
  messages: { readonly first: string; readonly second?: string },
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) {
      if (messages.second) console.error(`\n${messages.second}`);
      Deno.exit(130);
    }
    stop.abort();
    console.error(`\n${messages.first}`);
  };
  Deno.addSignalListener("SIGINT", onSigint);
  try {
    return await work(stop.signal);
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
  }
}
