/**
 * What a person watching a long step sees: a progress bar with an ETA on a terminal or, in a log (cron,
 * systemd, a pipe), a plain line every ~30 s, so a long epoch, or a long read, never looks like a hang.
 * Training's batches are its first use (ml/train re-exports it); here, below every layer, so a command that
 * loads no model (monitor reading a large log) shows its progress the same way without loading tfjs.
 */
import { formatDuration } from "./duration.ts";
import { columnsOf, cutToColumns } from "./text_width.ts";
import { writeStderr } from "./stderr.ts";

export interface BatchProgress {
  /**
   * `done` of `total` batches of the run named `label` (e.g. "epoch 3/100"); `text` is loss, speed, …; `unit`
   * names what is counted when it is not batches (e.g. "MB" read).
   */
  update(done: number, total: number, label: string, text: string, unit?: string): void;
  /** Removes the bar so the next line prints cleanly. */
  clear(): void;
}

export interface ProgressOptions {
  /** Where the output goes (stderr by default). */
  readonly write?: (text: string) => void;
  /** Draw a bar in place (a terminal) or print plain lines (a log); by default `drawsInPlace()`. */
  readonly terminal?: boolean;
  /** Milliseconds (performance.now() by default). */
  readonly now?: () => number;
  /** Plain lines in a log come at most this often (ms). */
  readonly logEvery?: number;
  /** Context before the label, e.g. evaluate's "step 3/8 fold 2/3 lightweight_lstm". */
  readonly prefix?: () => string;
  /** The terminal's width in characters, undefined when unknown (by default the console's). */
  readonly columns?: () => number | undefined;
}

/** The console's width, undefined when it has none (a pipe, a service). */
export function consoleColumns(): number | undefined {
  try {
    return Deno.consoleSize().columns || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether stderr takes a bar redrawn in place (`\r` and an erase-line escape): a terminal, unless it says it
 * is dumb (`TERM=dumb`: Emacs' shell buffer, some CI consoles), where each redraw showed as `^[[2K` garbage and
 * stacked `\r`s instead of plain lines.
 */
export function drawsInPlace(
  isTerminal: boolean = Deno.stderr.isTerminal(),
  term: string | undefined = envTerm(),
): boolean {
  return isTerminal && term !== "dumb";
}

/** $TERM, undefined when unset or not readable (a run without --allow-env). */
function envTerm(): string | undefined {
  try {
    return Deno.env.get("TERM");
  } catch {
    return undefined;
  }
}

/** Time left for a run from its pace so far; "" until there is a pace to go by. */
export function etaText(done: number, total: number, elapsedMs: number): string {
  if (done <= 0 || done >= total || elapsedMs <= 0) return "";
  return `ETA ${formatDuration((elapsedMs / 1000 / done) * (total - done))}`;
}

/** What follows the count: the run's text and its ETA, each after two spaces, none for an empty one. */
const tail = (text: string, eta: string): string =>
  [text, eta].map((part) => (part ? `  ${part}` : "")).join("");

/**
 * A bar redrawn in place at most every 200 ms on a terminal; elsewhere a plain line at most every `logEvery`
 * (30 s): "epoch 3/100 batch 1,200/5,000 (24 %)  loss 1.0832  128.5 samples/s  ETA 4m10s".
 */
export function terminalProgress(options: ProgressOptions = {}): BatchProgress {
  const write = options.write ?? writeStderr;
  const terminal = options.terminal ?? drawsInPlace();
  const now = options.now ?? (() => performance.now());
  const logEvery = options.logEvery ?? 30_000;
  const columns = options.columns ?? consoleColumns;
  let last = -Infinity, drawn = false;
  // The run being timed: a new label, or a count that went back, starts a new one.
  let runLabel = "", runStart = 0, firstDone = 0, lastDone = 0;
  return {
    update(done, total, label, text, unit) {
      const t = now();
      if (label !== runLabel || done < lastDone) {
        [runLabel, runStart, firstDone] = [label, t, done];
        last = terminal ? -Infinity : t; // a log line only once a run has lasted logEvery
      }
      lastDone = done;
      const prefix = options.prefix ? `${options.prefix()} ` : "";
      // Paced from the first update seen (the batches before it have no start time).
      const eta = etaText(done - firstDone, total - firstDone, t - runStart);
      if (terminal) {
        if (t - last < 200 && done < total) return;
        last = t;
        const width = 24, filled = Math.round((width * done) / Math.max(total, 1));
        // Text after a unit is set apart by two spaces, as in a log: with one, "12/1000 iterations at most
        // validation log-loss 1.0305" ran the unit into the text.
        const after = text ? `${unit ? "  " : " "}${text}${eta ? `  ${eta}` : ""}` : eta ? ` ${eta}` : "";
        const line = `${prefix}${label} [${"#".repeat(filled)}${
          ".".repeat(width - filled)
        }] ${done}/${total}${unit ? ` ${unit}` : ""}${after}`;
        // Cut to the terminal's width: a longer line wraps, and the redraw's \r and erase reach only its last
        // row, so every redraw left a row behind (evaluate's boosting bar, ~150 characters, printed a new row
        // five times a second for minutes).
        write(`\r\x1b[2K${fitLine(line, columns())}`);
        drawn = true;
        return;
      }
      if (t - last < logEvery || done >= total) return;
      last = t;
      const share = Math.floor((100 * done) / Math.max(total, 1));
      write(
        `${prefix}${label} ${unit ? "" : "batch "}${done.toLocaleString("en-US")}/${
          total.toLocaleString("en-US")
        }${unit ? ` ${unit}` : ""} (${share} %)${tail(text, eta)}\n`,
      );
    },
    clear() {
      if (drawn) write("\r\x1b[2K");
      drawn = false;
    },
  };
}

/**
 * A line redrawn in place, cut to the terminal's width: a longer one wraps, and the redraw's `\r` and erase
 * reach only its last row, so every redraw leaves a row behind.
 *
 * @example
 * ```ts
 * fitLine("BTCUSDT [####----] 10,000/43,080 candles", 20); // "BTCUSDT [####----] " (19 characters)
 * ```
 */
export function fitLine(line: string, columns: number | undefined): string {
  // By terminal columns, not code units: a symbol of wide characters (币安人生USDT) made a line that fit by
  // length wrap.
  return columns !== undefined && columnsOf(line) >= columns
    ? cutToColumns(line, Math.max(0, columns - 1))
    : line;
}
