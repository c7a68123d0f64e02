/**
 * A cost-aware backtest of the simplest way to trade the predictions: go long when P(UP) exceeds a threshold
 * (short when P(DOWN) does, if shorts are on), hold exactly `horizon` candles, pay `fee` per side, and never
 * hold two positions in one symbol at once. Symbols are equal-weight sleeves of one portfolio (no rebalancing);
 * positions are marked to market every candle, so the Sharpe ratio and drawdown see the path, not only exits.
 */

export interface SymbolSignals {
  readonly symbol: string;
  /** The whole series' open times and closes (signals index into them). */
  readonly openTime: ArrayLike<number>;
  readonly close: ArrayLike<number>;
  /** Last-candle indices of the predicted windows, ascending; a trade enters at close[end]. */
  readonly ends: ArrayLike<number>;
  readonly pUp: ArrayLike<number>;
  readonly pDown: ArrayLike<number>;
}

export interface BacktestOptions {
  /** Enter when P(UP) (or P(DOWN), with `short`) is strictly above this. */
  readonly threshold: number;
  readonly horizon: number;
  /** Fraction of the position paid on entry and again on exit (0.001 = 0.1 % per side). */
  readonly fee: number;
  readonly short: boolean;
  /** Candles per year, to annualise the Sharpe ratio. */
  readonly periodsPerYear: number;
}

export interface BacktestSummary {
  /** Final portfolio value / initial − 1. */
  readonly total_return: number;
  /** Annualised mean/std of per-candle portfolio returns (NaN when the curve never moves). */
  readonly sharpe: number;
  /** Largest peak-to-trough fall of the portfolio value, as a fraction. */
  readonly max_drawdown: number;
  readonly trades: number;
  /** Share of trades that made money after fees (NaN without trades). */
  readonly win_rate: number;
  /** Share of symbol-candles spent in a position. */
  readonly exposure: number;
  readonly per_symbol: readonly {
    readonly symbol: string;
    readonly total_return: number;
    readonly trades: number;
  }[];
}

export interface EquityCurve {
  /** Open time of the candle whose close each value is marked at. */
  readonly times: Float64Array;
  readonly equity: Float64Array;
}

export interface Backtest {
  readonly summary: BacktestSummary;
  readonly curve: EquityCurve;
}

interface SymbolRun {
  /** Step times (open time of candle t+1 for the step close[t] → close[t+1]) and step returns. */
  readonly times: Float64Array;
  readonly returns: Float64Array;
  readonly trades: number;
  readonly wins: number;
  readonly inPosition: number;
}

/** Decides a direction at candle t when flat: +1 long, −1 short, 0 stay out. */
type Entry = (t: number) => number;

function simulate(
  s: SymbolSignals,
  range: [number, number],
  entry: Entry,
  hold: number,
  fee: number,
): SymbolRun {
  const [start, end] = range;
  const steps = Math.max(end - start, 0);
  const times = new Float64Array(steps), returns = new Float64Array(steps);
  let direction = 0, entryPrice = 0, exitAt = 0, trades = 0, wins = 0, inPosition = 0;
  // A long is worth close/entry, a short 2 − close/entry (fixed notional), each from 1 at entry.
  const value = (price: number) => direction > 0 ? price / entryPrice : 2 - price / entryPrice;
  for (let t = start; t < end; t++) {
    const j = t - start;
    times[j] = s.openTime[t + 1];
    if (direction === 0) {
      const d = entry(t);
      if (d !== 0) {
        direction = d;
        entryPrice = s.close[t];
        exitAt = Math.min(t + hold, end);
        returns[j] = 1 - fee; // the entry fee, charged in the step the position opens
      } else {
        continue;
      }
    } else {
      returns[j] = 1;
    }
    inPosition++;
    const before = value(s.close[t]), after = value(s.close[t + 1]);
    returns[j] *= before > 0 ? Math.max(after, 0) / before : 1;
    if (t + 1 === exitAt) {
      returns[j] *= 1 - fee;
      trades++;
      if (Math.max(after, 0) * (1 - fee) ** 2 > 1) wins++;
      direction = 0;
    }
    returns[j] -= 1;
  }
  return { times, returns, trades, wins, inPosition };
}

/** The candle range a symbol's signals cover: from the first window's end to the last one's exit. */
function rangeOf(s: SymbolSignals, horizon: number): [number, number] | null {
  if (s.ends.length === 0) return null;
  const start = s.ends[0];
  const end = Math.min(s.ends[s.ends.length - 1] + horizon, s.close.length - 1);
  return end > start ? [start, end] : null;
}

function portfolio(runs: readonly SymbolRun[], symbols: readonly string[], periodsPerYear: number): Backtest {
  const stamps = [...new Set(runs.flatMap((r) => [...r.times]))].sort((a, b) => a - b);
  const at = new Map(stamps.map((t, i) => [t, i]));
  const m = runs.length;
  // Each sleeve starts at 1/m; per stamp, the sleeves that trade then move, the others keep their value.
  const sleeve = new Float64Array(m).fill(1 / Math.max(m, 1));
  const moves = stamps.map(() => [] as [number, number][]);
  runs.forEach((r, k) => r.times.forEach((t, j) => moves[at.get(t)!].push([k, r.returns[j]])));
  const equity = new Float64Array(stamps.length + 1);
  equity[0] = 1;
  let peak = 1, maxDrawdown = 0;
  const stepReturns = new Float64Array(stamps.length);
  for (let i = 0; i < stamps.length; i++) {
    for (const [k, r] of moves[i]) sleeve[k] *= 1 + r;
    equity[i + 1] = sleeve.reduce((a, b) => a + b, 0);
    stepReturns[i] = equity[i + 1] / equity[i] - 1;
    peak = Math.max(peak, equity[i + 1]);
    maxDrawdown = Math.max(maxDrawdown, 1 - equity[i + 1] / peak);
  }
  let mean = 0;
  for (const r of stepReturns) mean += r / Math.max(stepReturns.length, 1);
  let variance = 0;
  for (const r of stepReturns) variance += (r - mean) ** 2 / Math.max(stepReturns.length - 1, 1);
  const std = Math.sqrt(variance);
  const trades = runs.reduce((n, r) => n + r.trades, 0), wins = runs.reduce((n, r) => n + r.wins, 0);
  const steps = runs.reduce((n, r) => n + r.returns.length, 0);
  const times = new Float64Array(stamps.length + 1);
  times.set(stamps, 1);
  times[0] = stamps.length > 0 ? stamps[0] - (stamps.length > 1 ? stamps[1] - stamps[0] : 0) : NaN;
  return {
    summary: {
      total_return: equity[equity.length - 1] - 1,
      sharpe: std > 1e-15 ? (mean / std) * Math.sqrt(periodsPerYear) : NaN,
      max_drawdown: maxDrawdown,
      trades,
      win_rate: trades > 0 ? wins / trades : NaN,
      exposure: steps > 0 ? runs.reduce((n, r) => n + r.inPosition, 0) / steps : 0,
      per_symbol: runs.map((r, k) => ({
        symbol: symbols[k],
        total_return: r.returns.reduce((v, x) => v * (1 + x), 1) - 1,
        trades: r.trades,
      })),
    },
    curve: { times, equity },
  };
}

/** Trades every symbol's signals under `opts` and sums the sleeves into one portfolio. */
export function backtest(signals: readonly SymbolSignals[], opts: BacktestOptions): Backtest {
  const runs: SymbolRun[] = [], names: string[] = [];
  for (const s of signals) {
    const range = rangeOf(s, opts.horizon);
    if (!range) continue;
    const byEnd = new Map<number, number>();
    for (let i = 0; i < s.ends.length; i++) byEnd.set(s.ends[i], i);
    const entry: Entry = (t) => {
      const i = byEnd.get(t);
      if (i === undefined) return 0;
      // Both sides above a low threshold: the more probable one (a tie goes long). UP was taken first, so with
      // --short a window more likely DOWN was bought (a quant's trial: 23 of gradient boosting's at 0.3).
      if (opts.short && s.pDown[i] > opts.threshold && s.pDown[i] > s.pUp[i]) return -1;
      return s.pUp[i] > opts.threshold ? 1 : 0;
    };
    runs.push(simulate(s, range, entry, opts.horizon, opts.fee));
    names.push(s.symbol);
  }
  return portfolio(runs, names, opts.periodsPerYear);
}

/** Buying every symbol at the first signal and selling at the last exit, with the same fees. */
export function buyAndHold(signals: readonly SymbolSignals[], opts: BacktestOptions): Backtest {
  const runs: SymbolRun[] = [], names: string[] = [];
  for (const s of signals) {
    const range = rangeOf(s, opts.horizon);
    if (!range) continue;
    runs.push(simulate(s, range, (t) => (t === range[0] ? 1 : 0), range[1] - range[0], opts.fee));
    names.push(s.symbol);
  }
  return portfolio(runs, names, opts.periodsPerYear);
}

/** A fee fraction as a percentage for reports: 0.0007 → "0.07" (not 0.06999999999999999). */
export function feePercent(fee: number): string {
  return String(Number((100 * fee).toFixed(6)));
}

/** A mean calendar year (365.25 days) in ms, to annualise the backtest's Sharpe ratio. */
export const YEAR_MS = 365.25 * 24 * 3600 * 1000;
