/**
 * Structured logs: one JSON object per line. Request lines carry method, path, status, latency, client, symbol
 * and model version, and a refusal's `detail` (each client string through `truncate`), never bodies (candles
 * are the bot's data and can be large).
 *
 * Logging must never slow down or fail a request: stdout can be a full disk, `/dev/full`, or a pipe nobody
 * reads. So a record is only queued (in bounded memory) and a background pump writes the queue; a line that
 * does not fit in the queue, or whose write fails, is dropped and counted (`/metrics` shows the count).
 */
export type LogRecord = Record<string, unknown>;
export type Logger = (record: LogRecord) => void;

/** Longest string a log field keeps; longer values (a 1,000-character method or path) are cut. */
export const MAX_FIELD_LENGTH = 200;

/** Longest `detail` a request line keeps (the answer's, which may quote what the client sent). */
export const MAX_DETAIL_LENGTH = 300;

/**
 * Characters a log line must not carry raw: C0 and C1 controls and DEL, the line and paragraph separators
 * (JSON.stringify escapes C0 but leaves C1, U+2028 and U+2029 as they are, and some viewers break a line
 * there) and the bidirectional overrides, which can make one line read as another; the other invisible format
 * characters too (zero-width spaces and joiners, the soft hyphen, U+FEFF, tag characters: `\p{Cf}`), which
 * made `/metrics` followed by four of them read as `/metrics` (a security review), and private-use and
 * unassigned code points and lone surrogates, which no client needs to send. And the backslash itself, so
 * that a client who sends the six characters `\u2028` is not logged as one who sent U+2028.
 */
// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\p{Cf}\p{Co}\p{Cn}\p{Cs}\\]/gu;

/**
 * A client-sent string (a path, a symbol, a refusal's `detail` that quotes one) for a log field: at most `max`
 * of its characters, with a marker saying how many more there were, so a client cannot make log lines
 * arbitrarily long; each `UNSAFE` character written as its `\uXXXX` escape, so one event stays one line in
 * any viewer.
 */
export function truncate(value: string, max = MAX_FIELD_LENGTH): string {
  const head = value.length <= max ? value : value.slice(0, max);
  // Each UTF-16 unit escaped, as JSON writes a character outside the BMP (a tag character is two).
  const safe = head.replace(UNSAFE, (c) => {
    let escaped = "";
    for (let i = 0; i < c.length; i++) escaped += `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`;
    return escaped;
  });
  return value.length <= max ? safe : `${safe}…(${value.length - max} more)`;
}

/** Where the pump writes: `Deno.stdout` in production, a fake in tests. */
export interface LineSink {
  write(bytes: Uint8Array): Promise<number>;
}

export interface AsyncLoggerOptions {
  /** Most bytes waiting to be written; records beyond are dropped (default 1 MiB). */
  readonly maxQueuedBytes?: number;
}

/** A logger whose writes happen in the background, dropping (and counting) what cannot be written. */
export class AsyncLogger {
  readonly #sink: LineSink;
  readonly #maxQueuedBytes: number;
  readonly #encoder = new TextEncoder();
  #queue: string[] = [];
  #queuedBytes = 0;
  #pumping: Promise<void> | null = null;
  #written = 0;
  #dropped = 0;
  #writeErrors = 0;
  #lastError: string | null = null;

  constructor(sink: LineSink, options: AsyncLoggerOptions = {}) {
    this.#sink = sink;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? 1024 * 1024;
  }

  /** The `Logger` function: queues one record and returns at once. Never throws. */
  readonly log: Logger = (record) => {
    let line: string;
    try {
      line = JSON.stringify({ time: new Date().toISOString(), ...record }) + "\n";
    } catch {
      // A record that cannot be serialised (a cycle, a BigInt) is a bug in the caller, not a reason to fail.
      this.#dropped++;
      return;
    }
    if (this.#queuedBytes + line.length > this.#maxQueuedBytes) {
      this.#dropped++;
      return;
    }
    this.#queue.push(line);
    this.#queuedBytes += line.length;
    this.#pumping ??= this.#pump().finally(() => this.#pumping = null);
  };

  /** Lines written, dropped (queue full or write failed) and failed writes since start. */
  get stats(): { written: number; dropped: number; writeErrors: number; lastError: string | null } {
    return {
      written: this.#written,
      dropped: this.#dropped,
      writeErrors: this.#writeErrors,
      lastError: this.#lastError,
    };
  }

  /**
   * Resolves when the queue is written, or after `timeoutMs` (a stuck stdout must not hold up exit); what is
   * still queued then is counted as dropped.
   */
  async flush(timeoutMs = 1000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((resolve) =>
      timer = setTimeout(() => resolve("timeout"), timeoutMs)
    );
    for (;;) {
      const pumping = this.#pumping;
      if (pumping === null) break;
      if (await Promise.race([pumping.then(() => "done" as const), timedOut]) === "timeout") {
        this.#dropped += this.#queue.length;
        this.#queue = [];
        this.#queuedBytes = 0;
        break;
      }
    }
    clearTimeout(timer);
  }

  async #pump(): Promise<void> {
    while (this.#queue.length > 0) {
      const lines = this.#queue;
      this.#queue = [];
      this.#queuedBytes = 0;
      const bytes = this.#encoder.encode(lines.join(""));
      try {
        let offset = 0;
        while (offset < bytes.length) offset += await this.#sink.write(bytes.subarray(offset));
        this.#written += lines.length;
      } catch (error) {
        // A full disk, /dev/full or a closed pipe: these lines are lost, later ones are tried again.
        this.#dropped += lines.length;
        this.#writeErrors++;
        this.#lastError = error instanceof Error ? error.message : String(error);
      }
    }
  }
}

/** The process-wide stdout logger of `candlecast serve` (and `demo`). */
export const stdoutLog = new AsyncLogger(Deno.stdout);

/** Writes each record as one JSON line to stdout, in the background. */
export const stdoutLogger: Logger = stdoutLog.log;

/** A logger that drops every record (benches, tests). */
export const silentLogger: Logger = () => {};
