/** What a person watching training sees: one line per epoch on stdout, a batch progress bar on a TTY. */

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export interface BatchProgress {
  update(done: number, total: number, label: string, text: string): void;
  /** Removes the bar so the next line prints cleanly. */
  clear(): void;
}

const encoder = new TextEncoder();

/** A bar redrawn in place on stderr at most every 200 ms; nothing at all when stderr is not a terminal. */
export function terminalProgress(): BatchProgress {
  if (!Deno.stderr.isTerminal()) return { update() {}, clear() {} };
  let last = 0, drawn = false;
  const write = (s: string) => Deno.stderr.writeSync(encoder.encode(s));
  return {
    update(done, total, label, text) {
      const now = performance.now();
      if (now - last < 200 && done < total) return;
      last = now;
      const width = 24, filled = Math.round((width * done) / Math.max(total, 1));
      write(
        `\r\x1b[2K${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${text}`,
      );
      drawn = true;
    },
    clear() {
      if (drawn) write("\r\x1b[2K");
      drawn = false;
    },
  };
}
