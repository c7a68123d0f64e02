/**
 * Progress of a Binance collection on stderr: on a terminal one live bar per symbol (candles fetched of
 * expected, requests, ETA), redrawn in place; in a log (cron, CI) plain lines, at most one every few seconds
 * per symbol, so a long collection shows life without flooding the log.
 */
import type { Clock } from "./clock.ts";
import { consoleColumns, fitLine, formatDuration, plural } from "../../base/index.ts";

export interface Progress {
  start(symbol: string, expected: number): void;
  update(fetched: number, requests: number): void;
  /** A message that must be seen (a retry, a rate-limit wait). */
  notice(message: string): void;
  done(fetched: number, requests: number): void;
}

/** Progress that shows nothing, notices included (tests, benches). */
export const silentProgress: Progress = { start() {}, update() {}, notice() {}, done() {} };

const count = (n: number) => n.toLocaleString("en-US");
const duration = (ms: number) => formatDuration(ms / 1000, { tenths: true });

interface State {
  symbol: string;
  expected: number;
  fetched: number;
  requests: number;
  startedAt: number;
}

function eta(s: State, now: number): string {
  if (s.fetched === 0 || s.fetched >= s.expected) return "";
  const elapsed = now - s.startedAt;
  return ` ETA ${duration((elapsed / s.fetched) * (s.expected - s.fetched))}`;
}

/**
 * One live bar per symbol for a terminal, redrawn in place with `\r` and cut to the terminal's `columns` (a
 * 70-character bar on a 40-column terminal left a row behind at every redraw); each symbol ends on its own line.
 */
export function ttyProgress(
  write: (text: string) => void,
  clock: Clock,
  width = 24,
  columns: () => number | undefined = consoleColumns,
): Progress {
  let state: State | null = null;
  const render = () => {
    if (!state) return;
    const share = state.expected > 0 ? Math.min(1, state.fetched / state.expected) : 1;
    const filled = Math.round(share * width);
    const line = `${state.symbol} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ` +
      `${count(state.fetched)}/${count(state.expected)} candles, ${state.requests} req${
        eta(state, clock.now())
      }`;
    write(`\r\x1b[2K${fitLine(line, columns())}`);
  };
  return {
    start(symbol, expected) {
      state = { symbol, expected, fetched: 0, requests: 0, startedAt: clock.now() };
      render();
    },
    update(fetched, requests) {
      if (!state) return;
      Object.assign(state, { fetched, requests });
      render();
    },
    notice(message) {
      write(`\r\x1b[2K${message}\n`);
      render();
    },
    done(fetched, requests) {
      if (!state) return;
      if (fetched === 0) {
        // Nothing came: an empty result is not a finished bar.
        write(
          `\r\x1b[2K${state.symbol}: no candles, ${plural(requests, "request")} in ` +
            `${duration(clock.now() - state.startedAt)}\n`,
        );
        state = null;
        return;
      }
      // The final count is the truth (exchange gaps make it smaller than expected): a full bar, no ETA.
      Object.assign(state, { fetched, requests, expected: fetched });
      render();
      write(` in ${duration(clock.now() - state.startedAt)}\n`);
      state = null;
    },
  };
}

/**
 * Plain progress lines for logs: one when a symbol starts and ends, and at most one per `everyMs` between.
 */
export function lineProgress(write: (text: string) => void, clock: Clock, everyMs = 10_000): Progress {
  let state: State | null = null;
  let lastLine = 0;
  const line = (s: State) =>
    `${s.symbol}: ${count(s.fetched)}/${count(s.expected)} candles, ${s.requests} requests${
      eta(s, clock.now())
    }\n`;
  return {
    start(symbol, expected) {
      state = { symbol, expected, fetched: 0, requests: 0, startedAt: clock.now() };
      lastLine = clock.now();
      write(`${symbol}: fetching ~${count(expected)} candles\n`);
    },
    update(fetched, requests) {
      if (!state) return;
      Object.assign(state, { fetched, requests });
      if (clock.now() - lastLine >= everyMs) {
        lastLine = clock.now();
        write(line(state));
      }
    },
    notice(message) {
      write(message + "\n");
    },
    done(fetched, requests) {
      if (!state) return;
      write(
        `${state.symbol}: ${plural(fetched, "candle")}, ${plural(requests, "request")}, ` +
          `${duration(clock.now() - state.startedAt)}\n`,
      );
      state = null;
    },
  };
}
