/**
 * Structured logs: one JSON object per line. Request lines carry method, path, status, latency, symbol and
 * model version, never bodies (candles are the bot's data and can be large).
 */
export type LogRecord = Record<string, unknown>;
export type Logger = (record: LogRecord) => void;

const encoder = new TextEncoder();

/** Writes each record as one JSON line to stdout (the default for `candlecast serve`). */
export const stdoutLogger: Logger = (record) => {
  Deno.stdout.writeSync(encoder.encode(JSON.stringify({ time: new Date().toISOString(), ...record }) + "\n"));
};

export const silentLogger: Logger = () => {};
