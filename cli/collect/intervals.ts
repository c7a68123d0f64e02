/**
 * Binance's kline intervals and the time grid they lay down. Every interval is a fixed duration except `1M`,
 * whose candles open on the 1st of each UTC month, so grid arithmetic goes through these helpers.
 */

export const INTERVALS = [
  "1m",
  "3m",
  "5m",
  "15m",
  "30m",
  "1h",
  "2h",
  "4h",
  "6h",
  "8h",
  "12h",
  "1d",
  "3d",
  "1w",
  "1M",
] as const;
export type Interval = typeof INTERVALS[number];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const FIXED_MS: Record<Exclude<Interval, "1M">, number> = {
  "1m": MINUTE,
  "3m": 3 * MINUTE,
  "5m": 5 * MINUTE,
  "15m": 15 * MINUTE,
  "30m": 30 * MINUTE,
  "1h": HOUR,
  "2h": 2 * HOUR,
  "4h": 4 * HOUR,
  "6h": 6 * HOUR,
  "8h": 8 * HOUR,
  "12h": 12 * HOUR,
  "1d": DAY,
  "3d": 3 * DAY,
  "1w": 7 * DAY,
};

export function isInterval(value: string): value is Interval {
  return (INTERVALS as readonly string[]).includes(value);
}

/** `t` moved by `months` calendar months (UTC), the day clamped to the target month's length. */
export function addMonths(t: number, months: number): number {
  const d = new Date(t);
  const [year, month] = [d.getUTCFullYear(), d.getUTCMonth() + months];
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const timeOfDay = t - Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return Date.UTC(year, month, Math.min(d.getUTCDate(), lastDay)) + timeOfDay;
}

/** Open time of the candle that follows the one opening at `openTime`. */
export function nextOpenTime(openTime: number, interval: Interval): number {
  return interval === "1M" ? addMonths(openTime, 1) : openTime + FIXED_MS[interval];
}

/** Binance's close time of a candle: the last millisecond before the next one opens. */
export function closeTimeOf(openTime: number, interval: Interval): number {
  return nextOpenTime(openTime, interval) - 1;
}

/**
 * The latest open time a closed candle can have at `now`. A candle is closed once its close time
 * (next open − 1) is before now; for fixed intervals that is every open time ≤ now − duration, whatever the
 * grid's phase (weeks open on Mondays), and for months every month before the current one.
 */
export function closedOpenTimeBound(now: number, interval: Interval): number {
  if (interval !== "1M") return now - FIXED_MS[interval];
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - 1;
}

/** Candles of this interval that open in [first, last] on the grid through `first` (for progress). */
export function candlesBetween(first: number, last: number, interval: Interval): number {
  if (last < first) return 0;
  if (interval !== "1M") return Math.floor((last - first) / FIXED_MS[interval]) + 1;
  let n = 0;
  for (let t = first; t <= last; t = addMonths(t, 1)) n++;
  return n;
}

/** A time grid gaps are counted on: a Binance interval, or a step inferred from data without one. */
export interface Grid {
  readonly label: string;
  /** Candles missing strictly between two consecutive open times. */
  missingBetween(a: number, b: number): number;
}

export function gridOf(interval: Interval): Grid {
  if (interval === "1M") {
    return {
      label: interval,
      missingBetween(a, b) {
        const [da, db] = [new Date(a), new Date(b)];
        const months = (db.getUTCFullYear() - da.getUTCFullYear()) * 12 + db.getUTCMonth() - da.getUTCMonth();
        return Math.max(0, months - 1);
      },
    };
  }
  return stepGrid(interval, FIXED_MS[interval]);
}

function stepGrid(label: string, stepMs: number): Grid {
  return { label, missingBetween: (a, b) => Math.max(0, Math.round((b - a) / stepMs) - 1) };
}

/**
 * The grid of a series that came without an interval (CSV, C# export): the most common step between
 * consecutive open times, named after the Binance interval it equals. Null when there is no step to see.
 */
export function inferGrid(openTimes: ArrayLike<number>): Grid | null {
  const counts = new Map<number, number>();
  for (let i = 1; i < openTimes.length; i++) {
    const step = openTimes[i] - openTimes[i - 1];
    if (step > 0) counts.set(step, (counts.get(step) ?? 0) + 1);
  }
  let best = 0;
  let bestCount = 0;
  for (const [step, count] of counts) if (count > bestCount) [best, bestCount] = [step, count];
  if (best === 0) return null;
  if (best >= 28 * DAY && best <= 31 * DAY) return gridOf("1M");
  const named = INTERVALS.find((i) => i !== "1M" && FIXED_MS[i] === best);
  return stepGrid(named ?? `${best / 1000}s`, best);
}
