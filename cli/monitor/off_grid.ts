/**
 * Predictions not found in the data whose candle times sit off the grid the data's candles open on: a bot that
 * stamps open times in its local time zone (India's +5:30 puts every 1h candle at :30) sent candles no row of
 * the data has, and monitor said only "not found", advising to collect the candles (whose closes must match),
 * which can never help. serve refuses such candles now (server/predict.ts); a log written before, or by a
 * version that recorded no interval, still holds them. The grid is features' `pastUtcGrid`, the one collect
 * and serve check open times against.
 */
import {
  type CandleSeries,
  inferGrid,
  isInterval,
  misreadOpenTime,
  offsetText,
  pastUtcGrid,
  upperSymbol,
  zoneOffset,
} from "../../features/index.ts";
import type { PredictionRecord } from "../../engine/index.ts";

/** The commonest offset of the unmatched predictions off the data's grid, as monitor says it. */
export interface OffGridFinding {
  /** Unmatched predictions whose candle time is off the data's grid, at any offset. */
  readonly predictions: number;
  /** How far past the data's grid the commonest offset is, in ms (step − 1: close times). */
  readonly offset: number;
  /** How many predictions are at that offset. */
  readonly atOffset: number;
  /** The data's interval, as `inferGrid` names it ("1h"). */
  readonly label: string;
  readonly step: number;
  /** How far the data's own candles are off the UTC grid (0: on it, as exchanges' are). */
  readonly dataPast: number;
}

interface SymbolGrid {
  readonly label: string;
  readonly step: number;
  readonly dataPast: number;
}

/** Counts the unmatched predictions `add` is given by their offset off their symbol's grid in the data. */
export class OffGridTally {
  readonly #grids = new Map<string, SymbolGrid | null>();
  readonly #byOffset = new Map<string, { grid: SymbolGrid; offset: number; n: number }>();
  #predictions = 0;

  constructor(series: readonly CandleSeries[]) {
    for (const s of series) {
      const grid = inferGrid(s.openTime);
      const first = s.openTime.find(Number.isFinite);
      // Months (no fixed step) and steps without a grid exchanges agree on (3d) are not read.
      const dataPast = grid?.stepMs && first !== undefined ? pastUtcGrid(first, grid.stepMs) : null;
      this.#grids.set(
        s.symbol,
        grid?.stepMs && dataPast !== null ? { label: grid.label, step: grid.stepMs, dataPast } : null,
      );
    }
  }

  /** A prediction the joiner counted as not found. */
  add(record: PredictionRecord): void {
    const t = record.last_candle_time;
    // Times in seconds or µs have their own count and advice; a symbol the data lacks has its own too.
    if (t === null || misreadOpenTime(t) !== null) return;
    const grid = this.#grids.get(record.symbol) ?? this.#grids.get(upperSymbol(record.symbol));
    if (!grid) return;
    const offset = ((pastUtcGrid(t, grid.step)! - grid.dataPast) % grid.step + grid.step) % grid.step;
    if (offset === 0) return;
    this.#predictions++;
    const key = `${grid.label}\u0000${offset}\u0000${grid.dataPast}`;
    const seen = this.#byOffset.get(key);
    if (seen) seen.n++;
    else this.#byOffset.set(key, { grid, offset, n: 1 });
  }

  /** The commonest offset; null when no unmatched prediction was off the grid. */
  get finding(): OffGridFinding | null {
    let best: { grid: SymbolGrid; offset: number; n: number } | null = null;
    for (const o of this.#byOffset.values()) if (!best || o.n > best.n) best = o;
    if (!best) return null;
    return {
      predictions: this.#predictions,
      offset: best.offset,
      atOffset: best.n,
      label: best.grid.label,
      step: best.grid.step,
      dataPast: best.grid.dataPast,
    };
  }
}

/**
 * Where the commonest offset puts the candle times (`candles`: the data as the sentence names it), and what that
 * says about them.
 */
function whereAndWhy(f: OffGridFinding, candles: string): { where: string; why: string } {
  if (f.dataPast !== 0) {
    return {
      where: `${offsetText(f.offset)} past the ${f.label} grid ${candles} open on`,
      why: `that grid is itself ${offsetText(f.dataPast)} past the UTC grid exchanges use`,
    };
  }
  const grid = `the ${f.label} UTC grid ${candles} open on`;
  return f.offset === f.step - 1
    ? { where: `1 ms before ${grid}`, why: "the bot sent close times (each candle's last millisecond)" }
    : {
      where: `${offsetText(f.offset)} past ${grid}`,
      // 7 s or 6 days past is no time zone's (zones sit quarter hours off UTC, 12 h west to 14 h east).
      why: zoneOffset(f.offset, f.step)
        ? "the bot sent local times, not UTC"
        : "the bot's times are not the exchange's open times",
    };
}

/** "1 at open times 30 min past the 1h UTC grid … : the bot sent local times, not UTC". */
function atTimes(f: OffGridFinding, candles: string): string {
  const { where, why } = whereAndWhy(f, candles);
  const others = f.predictions - f.atOffset;
  return `${f.atOffset.toLocaleString("en-US")} at open times ${where}` +
    (others > 0 ? ` (and ${others.toLocaleString("en-US")} at other offsets off it)` : "") + `: ${why}`;
}

/** The first line's note on them, after "N not found in <data>": " (of them, 1 at open times … : …)". */
export function offGridNote(f: OffGridFinding): string {
  return ` (of them, ${atTimes(f, "the candles")})`;
}

/**
 * The advice for them, in place of "collect the candles … (their closes must match)", which cannot help: the
 * times, not the candles, are wrong.
 */
export function offGridAdvice(f: OffGridFinding, data: string): string {
  // The data off the UTC grid: a version trained on it takes the bot's candles on that grid only (its
  // grid_offset_ms), so "send UTC open times" contradicted serve (a review).
  const todo = f.dataPast !== 0
    ? `have the bot send the candles of the exchange ${data} holds (their open times ${
      offsetText(f.dataPast)
    } past the UTC grid, as a version trained on them takes); if those are local times, collect the ` +
      "candles in UTC and train on them"
    : f.offset === f.step - 1
    ? "have the bot send each candle's open time, not its close time"
    : `have the bot send candle open times in UTC${
      isInterval(f.label) ? " (serve now refuses such candles)" : ""
    }`;
  return `${todo}; of the predictions not found, ${atTimes(f, `the candles in ${data}`)}, and predictions ` +
    "logged at such times can never be matched with a candle";
}
