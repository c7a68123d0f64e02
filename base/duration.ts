/**
 * How long something took or will take, as people read it in a progress line: `42s`, `3m07s`, `2h05m`. One
 * function for train's epoch lines, evaluate's steps and collect's bars, so the same duration reads the same in
 * every command. The seconds are rounded once, before they are split, so 119.6 s is `2m00s`, never `1m60s`.
 *
 * @example
 * ```ts
 * formatDuration(187); // "3m07s"
 * formatDuration(Infinity); // "?" (an ETA before anything was measured)
 * formatDuration(1.23, { tenths: true }); // "1.2s" (under 10 s, for runs that are often that short)
 * ```
 */
export function formatDuration(seconds: number, options: { readonly tenths?: boolean } = {}): string {
  if (!Number.isFinite(seconds)) return "?";
  // Collect's whole run often takes a second or two, where "in 0s" would say nothing.
  if (options.tenths && seconds < 9.95) return `${Math.max(0, seconds).toFixed(1)}s`;
  const s = Math.round(Math.max(0, seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** The longest delay a timer holds: a signed 32-bit count of ms, about 24.8 days. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `ms` as a timer can take it. A longer delay was set to 1 ms by the runtime, with a TimeoutOverflowWarning
 * on stderr each time: `serve --reload-interval 3000000` looked at its checkpoint a thousand times a second.
 *
 * @example
 * ```ts
 * setTimeout(() => {}, timerMs(3_000_000_000)); // waits ~24.8 days, not 1 ms
 * ```
 */
export function timerMs(ms: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(0, ms));
}
