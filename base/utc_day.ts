/**
 * A moment as the UTC calendar day people type in `--split-dates`, `--start-date` and read in logs:
 * `2023-01-01`. One function for every command, and one that never throws: `new Date(NaN).toISOString()`
 * throws "Invalid time value", which reached users as "unexpected failure … this is a bug" where a file held
 * candles without open times.
 *
 * @example
 * ```ts
 * utcDay(Date.UTC(2023, 0, 1, 23)); // "2023-01-01"
 * utcDay(NaN); // "?" (no time known)
 * ```
 */
export function utcDay(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : "?";
}

/**
 * A moment to the minute, as candlecast's messages write candle times: `2026-02-03 23:00 UTC` (train's cuts,
 * monitor's last candle and stale-log warning). `?` where no time is known, as `utcDay`.
 *
 * @example
 * ```ts
 * utcMinute(Date.UTC(2022, 10, 5, 13)); // "2022-11-05 13:00 UTC"
 * utcMinute(NaN); // "?"
 * ```
 */
export function utcMinute(ms: number): string {
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC` : "?";
}
