/**
 * A moment as the UTC calendar day people type in `--split-dates`, `--start-date` and read in logs:
 * `2023-01-01`. One function for every command, and one that never throws: `new Date(NaN).toISOString()`
 * throws "Invalid time value", which reached users as "unexpected failure … this is a bug" where a file held
 * candles without open times. A finite moment beyond what a Date holds (±8.64e15 ms, ±275 760 years: a
 * damaged manifest's 1e300) is no time known either: it threw the same "Invalid time value".
 *
 * @example
 * ```ts
 * utcDay(Date.UTC(2023, 0, 1, 23)); // "2023-01-01"
 * utcDay(NaN); // "?" (no time known)
 * ```
 */
export function utcDay(ms: number): string {
  // Cut at the "T": a year past 9999 (or before 0) is written with a sign and six digits (+275760-09-13).
  return isDateTime(ms) ? new Date(ms).toISOString().split("T")[0] : "?";
}

/**
 * A moment to the minute, as candlecast's messages write candle times: `2026-02-03 23:00 UTC` (train's cuts,
 * monitor's last candle and stale-log warning). `?` where no time is known (or none a Date holds), as `utcDay`.
 *
 * @example
 * ```ts
 * utcMinute(Date.UTC(2022, 10, 5, 13)); // "2022-11-05 13:00 UTC"
 * utcMinute(NaN); // "?"
 * ```
 */
export function utcMinute(ms: number): string {
  if (!isDateTime(ms)) return "?";
  const [day, time] = new Date(ms).toISOString().split("T");
  return `${day} ${time.slice(0, 5)} UTC`;
}

/** The most milliseconds from 1970 a Date holds, either way (ECMAScript's time range: ±100 000 000 days). */
const MAX_DATE_MS = 8.64e15;

/** Whether `ms` is a moment a Date can print: `toISOString` throws on NaN, ±Infinity and beyond ±8.64e15. */
function isDateTime(ms: number): boolean {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS;
}
