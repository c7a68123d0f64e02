/**
 * Open times in the unit SPEC §2 fixes, ms since the epoch, from files that write them in another one:
 * Binance's spot dumps switched to µs on 2025-01-01, and exchanges, databases and pandas write seconds or
 * nanoseconds. A unit is read off a value's magnitude: each unit puts the dates from 1973-03-03 to the year
 * 5138 in its own three decades of numbers, so a value that is a date at all is one in exactly one unit.
 * A file's times must agree on their unit (ms and µs may mix: a file joined across Binance's switch), so a
 * stray value is refused rather than converted into a date it never meant.
 */
import { CandleError } from "./candles.ts";

interface Unit {
  /** "in seconds": reads after "open_time 1502942400 is" and "the file's open times are". */
  readonly phrase: string;
  /** Values from here up to the next unit's `from` are in this unit. */
  readonly from: number;
  /** ms per one of this unit. */
  readonly ms: number;
}

/** 1973-03-03 in ms is 1e11: below that a value reads as seconds, whose 1e8 is the same day. */
const SECONDS: Unit = { phrase: "in seconds", from: 1e8, ms: 1e3 };
const MILLISECONDS: Unit = { phrase: "in milliseconds", from: 1e11, ms: 1 };
const MICROSECONDS: Unit = { phrase: "in microseconds", from: 1e14, ms: 1e-3 };
const NANOSECONDS: Unit = { phrase: "in nanoseconds", from: 1e17, ms: 1e-6 };
const UNITS: readonly Unit[] = [SECONDS, MILLISECONDS, MICROSECONDS, NANOSECONDS];
/** A nanosecond value from here on would be after the year 5138: no open time in any unit. */
const BEYOND_NANOSECONDS = 1e20;

/**
 * Values below 1e8 (negative ones too) are a date after 1973 in no unit: synthetic data's small times
 * (0, 1, 2 …), kept as written in ms. Beside real dates in one file they are refused.
 */
const AS_WRITTEN: Unit = { phrase: "below 1e8 (a date after 1973 in no unit)", from: -Infinity, ms: 1 };

function unitOf(t: number): Unit {
  for (let u = UNITS.length - 1; u >= 0; u--) if (t >= UNITS[u].from) return UNITS[u];
  return AS_WRITTEN;
}

const ONE_UNIT_HINT = "write every open time in one unit, best in ms since the epoch (SPEC §2)";

/** Two units one file may hold together: ms and µs, Binance's dumps before and after their switch. */
const BINANCE_SWITCH = new Set([MILLISECONDS, MICROSECONDS]);
const mixable = (a: Unit, b: Unit) => a === b || (BINANCE_SWITCH.has(a) && BINANCE_SWITCH.has(b));

/** `t` in ms: to the nearest ms where the conversion's rounding error lands beside it, else the ms it is in. */
function toMs(t: number, unit: Unit): number {
  if (unit.ms === 1) return t;
  const ms = t * unit.ms;
  const nearest = Math.round(ms);
  return Math.abs(ms - nearest) < 1e-3 ? nearest : Math.floor(ms);
}

/**
 * `times` (one file's open times, NaN where a row has none) rewritten in place to ms since the epoch. Throws
 * a CandleError naming the row (`where(i)`) and the `field` of a value that is no open time in any unit, or
 * whose unit differs from that of most of the file's times; then nothing is rewritten.
 */
export function openTimesToMs(
  times: Float64Array,
  where: (i: number) => string,
  field = "open_time",
): void {
  const units = new Array<Unit | null>(times.length);
  const counts = new Map<Unit, number>();
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    if (Number.isNaN(t)) {
      units[i] = null;
      continue;
    }
    if (t >= BEYOND_NANOSECONDS) {
      throw new CandleError(
        `${where(i)}: ${field} ${t} is no time in ms, s, µs or ns (as nanoseconds it would be after the ` +
          "year 5138)",
        ONE_UNIT_HINT,
      );
    }
    const unit = unitOf(t);
    units[i] = unit;
    counts.set(unit, (counts.get(unit) ?? 0) + 1);
  }
  let main: Unit | null = null;
  for (const [unit, count] of counts) if (main === null || count > counts.get(main)!) main = unit;
  if (main === null) return;
  const first = units.findIndex((u) => u !== null && !mixable(u, main));
  if (first >= 0) {
    const example = units.findIndex((u) => u === main);
    // Small times beside larger ones: ms counted from 1970 (synthetic data) cannot be told from seconds.
    const small = units[first] === AS_WRITTEN || main === AS_WRITTEN;
    throw new CandleError(
      `${where(first)}: ${field} ${times[first]} is ${units[first]!.phrase} while most of the file's ` +
        `open times are ${main.phrase} (${where(example)}: ${times[example]}); a file holds one unit` +
        (small ? ", and times this close to 1970 read as ms or as seconds alike" : ""),
      small ? "give open times in ms since the epoch from 1973-03-03 (1e11) on" : ONE_UNIT_HINT,
    );
  }
  for (let i = 0; i < times.length; i++) if (units[i]) times[i] = toMs(times[i], units[i]!);
}

/** A lone open time in seconds from here (2001-09-09); see `misreadOpenTime`. */
const LONE_SECONDS_FROM = 1e9;

/**
 * One open time meant as ms that is in fact in another unit: the unit and the ms it stands for (`ms` null when
 * it is no time in any unit, past the year 5138 even as ns); null when it reads as ms. Unlike a file's times,
 * a lone value has no others to agree with, so seconds start at 2001 (1e9), not 1973: ms below that are the
 * small times of synthetic series (1e9 ms is 1970-01-12), kept as ms.
 *
 * @example
 * ```ts
 * misreadOpenTime(1_700_000_000); // { phrase: "in seconds", ms: 1_700_000_000_000 } (C#'s ToUnixTimeSeconds)
 * misreadOpenTime(1_700_000_000_000); // null: ms
 * ```
 */
export function misreadOpenTime(t: number): { phrase: string; ms: number | null } | null {
  if (t >= BEYOND_NANOSECONDS) return { phrase: "past the year 5138 in every unit", ms: null };
  if (t < LONE_SECONDS_FROM) return null;
  const unit = unitOf(t);
  return unit === MILLISECONDS ? null : { phrase: unit.phrase, ms: toMs(t, unit) };
}
