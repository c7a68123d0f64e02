/**
 * Progress and notices on stderr that never stop the work they report on. `Deno.stderr.writeSync` throws when
 * stderr cannot take the text (its reader is gone: `2>&1 | head`, `| grep -q`, a logger that exited), where
 * `console.error` and `console.log` drop it: a training run's first progress line in a log (30 s in) ended
 * the run with exit 1, no version and no message, and a Binance collect failed after fetching its candles,
 * writing nothing.
 */
const encoder = new TextEncoder();

/** Writes `text` to stderr whole; when stderr refuses it, the text is lost and the caller goes on. */
export function writeStderr(text: string): void {
  const bytes = encoder.encode(text);
  try {
    // writeSync may take part of the bytes (a pipe nearly full): the rest follows.
    for (let done = 0; done < bytes.length;) done += Deno.stderr.writeSync(bytes.subarray(done));
  } catch {
    // Lost, as console.error loses it: a progress line is never worth the run.
  }
}

/**
 * One line of a notice, warning or error report on stderr, lost (not thrown) when stderr refuses it:
 * `console.error` throws on a full disk (ENOSPC: `2>> cron.log` on a full /var), which turned a usage error's
 * exit 2 into 1, and a SIGTERM to train into exit 1 with nothing saved (the signal handler's notice threw), and
 * `retrain --json` writes its summary line before its document.
 */
export function writeStderrLine(text: string): void {
  // Through console.error, not writeStderr: tests capture reports by replacing console.error.
  try {
    console.error(text);
  } catch {
    // Lost, as writeStderr loses progress: the exit code still says what happened.
  }
}
