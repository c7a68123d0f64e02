/**
 * What a collection left in the training CSV, per symbol: rows, rows new in this run, rows replaced, first
 * and last open time, the candles missing on the interval grid (exchange outages show up here, not as
 * errors), and close-to-close jumps too large for one market (another symbol's candles mixed in).
 */
import { type CandleSeries, type Grid, type ShortSteps, shortSteps, stepName } from "../../features/index.ts";
import { columnsOf, padColumns, plural } from "../../base/index.ts";

export interface Gap {
  /** Open time of the last candle before the gap. */
  after: number;
  missing: number;
}

/** A close-to-close move between neighbouring candles beyond JUMP_FACTOR either way. */
export interface Jump {
  /** Open time of the candle that jumped. */
  at: number;
  from: number;
  to: number;
}

/**
 * Beyond ×3 (or ÷3) from one close to the next is implausible for one market even in a crash, and ordinary
 * when ETH's candles (≈2,000) land in BTC's history (≈40,000), so it is flagged, not refused.
 */
export const JUMP_FACTOR = 3;

/**
 * A run of this many candles or more, each the same step apart and that step off the file's grid, is read as
 * another interval's candles (4h candles after 1h ones), not as outages, which come in odd lengths. A day of
 * 1h candles missing every other hour would take 24 such steps.
 */
export const STEADY_OTHER_STEP = 24;

/** The longest run of candles spaced by one step other than the grid's. */
export interface OtherStep {
  /** Open time of the run's first candle. */
  from: number;
  steps: number;
  stepMs: number;
}

export interface SymbolSummary {
  symbol: string;
  rows: number;
  added: number;
  /** Rows whose candle changed in this run (only with --replace). */
  replaced: number;
  jumps: number;
  largestJump: Jump | null;
  first: number | null;
  last: number | null;
  grid: string | null;
  missing: number;
  gaps: number;
  largest: Gap | null;
  /** The longest run of at least STEADY_OTHER_STEP off-grid steps of one size, or null. */
  otherStep: OtherStep | null;
  /**
   * Steps shorter than one candle of the grid, which count no candle missing: a file's own are refused as it is
   * read, but rows an older version wrote into the output are summarized too.
   */
  shortSteps: ShortSteps | null;
}

export function summarize(s: CandleSeries, added: number, grid: Grid | null, replaced = 0): SymbolSummary {
  const first = s.length > 0 && !Number.isNaN(s.openTime[0]) ? s.openTime[0] : null;
  const last = s.length > 0 && !Number.isNaN(s.openTime[s.length - 1]) ? s.openTime[s.length - 1] : null;
  let [missing, gaps] = [0, 0];
  let largest: Gap | null = null;
  let otherStep: OtherStep | null = null;
  let run: OtherStep | null = null;
  if (grid && first !== null) {
    for (let i = 1; i < s.length; i++) {
      const m = grid.missingBetween(s.openTime[i - 1], s.openTime[i]);
      const step = s.openTime[i] - s.openTime[i - 1];
      if (m > 0 && run !== null && run.stepMs === step) run.steps++;
      else run = m > 0 ? { from: s.openTime[i - 1], steps: 1, stepMs: step } : null;
      if (run && run.steps >= STEADY_OTHER_STEP && (!otherStep || run.steps > otherStep.steps)) {
        otherStep = { ...run };
      }
      if (m === 0) continue;
      missing += m;
      gaps++;
      if (!largest || m > largest.missing) largest = { after: s.openTime[i - 1], missing: m };
    }
  }
  let jumps = 0;
  let largestJump: Jump | null = null;
  const size = (j: Jump) => Math.abs(Math.log(j.to / j.from));
  for (let i = 1; i < s.length; i++) {
    const jump = { at: s.openTime[i], from: s.close[i - 1], to: s.close[i] };
    if (!(size(jump) > Math.log(JUMP_FACTOR))) continue;
    jumps++;
    if (!largestJump || size(jump) > size(largestJump)) largestJump = jump;
  }
  return {
    symbol: s.symbol,
    rows: s.length,
    added,
    replaced,
    jumps,
    largestJump,
    first,
    last,
    grid: grid?.label ?? null,
    missing,
    gaps,
    largest,
    otherStep,
    shortSteps: grid && first !== null ? shortSteps(s.openTime, grid) : null,
  };
}

const count = (n: number) => n.toLocaleString("en-US");
export const utc = (t: number) => new Date(t).toISOString().slice(0, 16).replace("T", " ");

function gapText(s: SymbolSummary): string {
  if (s.grid === null || s.first === null) return "";
  if (s.missing === 0) return "no gaps";
  const largest = s.largest!;
  return `${count(s.missing)} missing ${s.grid} ${s.missing === 1 ? "candle" : "candles"} in ` +
    `${plural(s.gaps, "gap")} (largest ${count(largest.missing)} after ${utc(largest.after)})`;
}

const price = (v: number) => v.toLocaleString("en-US", { maximumSignificantDigits: 8 });

function jumpWarning(s: SymbolSummary, j: Jump): string {
  const where = Number.isNaN(j.at) ? "" : ` at ${utc(j.at)}`;
  return `  warning: ${s.symbol} has ${plural(s.jumps, "close-to-close jump")} beyond ` +
    `×${JUMP_FACTOR} (largest${where}: ${price(j.from)} → ${price(j.to)}); check that every source ` +
    `collected into it holds ${s.symbol}`;
}

function otherStepWarning(s: SymbolSummary, o: OtherStep): string {
  return `  warning: ${s.symbol}'s candles are ${stepName(o.stepMs)} apart for ${
    count(o.steps)
  } steps from ` +
    `${utc(o.from)}, not ${s.grid}: candles of another interval are mixed in; keep one interval per file ` +
    "(train and serve assume one)";
}

function shortStepWarning(s: SymbolSummary, o: ShortSteps): string {
  const [steps, from, to] = [plural(o.count, "step"), utc(o.from), utc(o.to)];
  return `  warning: ${s.symbol} has ${steps} shorter than ${s.grid} between open times (the first: ${from} → ` +
    `${to}): two candles less than ${s.grid} apart cannot both be ${s.grid} candles, so candles of another ` +
    "interval are mixed in; keep one interval per file (train and serve assume one)";
}

/** The closing report: one line for the file, one per symbol, columns aligned. */
export function formatSummary(
  output: string,
  summaries: readonly SymbolSummary[],
  unchanged = false,
): string {
  const rows = summaries.reduce((n, s) => n + s.rows, 0);
  const added = summaries.reduce((n, s) => n + s.added, 0);
  const lines = [
    `${output}: ${plural(rows, "row")} for ${plural(summaries.length, "symbol")} ` +
    `(${count(added)} new${unchanged ? "; the file already held them and was left as it was" : ""})`,
  ];
  const width = Math.max(...summaries.map((s) => columnsOf(s.symbol)));
  const rowWidth = Math.max(...summaries.map((s) => plural(s.rows, "row").length));
  // The new-row counts padded too: "(+60)" beside "(+3,000)" shifted a new pair's dates against the others'.
  const addedText = (s: SymbolSummary) =>
    `(+${count(s.added)}${s.replaced > 0 ? `, ${count(s.replaced)} replaced` : ""})`;
  const addedWidth = Math.max(...summaries.map((s) => addedText(s).length));
  for (const s of summaries) {
    const span = s.rows === 0
      ? "no candles"
      : s.first === null
      ? "no open times"
      : `${utc(s.first)} → ${utc(s.last!)} UTC`;
    const gaps = gapText(s);
    lines.push(
      `  ${padColumns(s.symbol, width)}  ${plural(s.rows, "row").padStart(rowWidth)}  ` +
        `${addedText(s).padEnd(addedWidth)}  ${span}${gaps ? `  ${gaps}` : ""}`,
    );
  }
  for (const s of summaries) if (s.largestJump) lines.push(jumpWarning(s, s.largestJump));
  for (const s of summaries) if (s.otherStep) lines.push(otherStepWarning(s, s.otherStep));
  for (const s of summaries) if (s.shortSteps) lines.push(shortStepWarning(s, s.shortSteps));
  return lines.join("\n");
}
