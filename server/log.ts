/**
 * Structured logs: one JSON object per line. Request lines carry method, path, status, latency, symbol and
 * model version, never bodies (candles are the bot's data and can be large).
 */
export type LogRecord = Record<string, unknown>;
export type Logger = (record: LogRecord) => void;

const encoder = new TextEncoder();

/** Writes each record as one JSON line to stdout (the default for `candlecast serve`). */
export const stdoutLogger: Logger = (record) => {
  try {
    Deno.stdout.writeSync(
      encoder.encode(JSON.stringify({ time: new Date().toISOString(), ...record }) + "\n"),
    );
  } catch (error) {
    // A closed stdout (the reader of a pipe went away) must not turn requests into errors or stop shutdown.
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
  }
};

export const silentLogger: Logger = () => {};
