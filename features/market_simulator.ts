/**
 * A synthetic market for the offline quick start, labelled as such everywhere it is used: regime-switching
 * drift and volatility (calm, trending up, trending down, turbulent), GARCH(1,1) volatility clustering and
 * Student-t(4) shocks for fat tails, volume that rises with the size of moves. It exists so a newcomer can run
 * the whole pipeline with no exchange access; it is never evidence of how a model does on real markets.
 */
import type { Ohlcv } from "./candles.ts";
import { normalFrom, seededRng } from "./rng.ts";

export interface SimulatorOptions {
  readonly seed: number;
  /** Open time of the first candle, ms since the epoch. */
  readonly start: number;
  readonly intervalMs: number;
  readonly count: number;
  readonly startPrice: number;
  readonly baseVolume: number;
}

interface Regime {
  readonly name: string;
  /** Mean log return per candle. */
  readonly drift: number;
  /** Multiplies the GARCH volatility. */
  readonly volatility: number;
}

const REGIMES: readonly Regime[] = [
  { name: "calm", drift: 0, volatility: 0.6 },
  { name: "bull", drift: 0.0006, volatility: 1 },
  { name: "bear", drift: -0.0007, volatility: 1.2 },
  { name: "turbulent", drift: 0, volatility: 2.2 },
];
/** Chance per candle of leaving the current regime (mean regime length ~1 week of 1h candles). */
const SWITCH_PROBABILITY = 1 / 150;

/** Student-t with ν degrees of freedom, scaled to unit variance. */
function studentT(normal: () => number, nu: number): number {
  let chi2 = 0;
  for (let i = 0; i < nu; i++) chi2 += normal() ** 2;
  return (normal() / Math.sqrt(chi2 / nu)) * Math.sqrt((nu - 2) / nu);
}

/** `count` synthetic candles, `intervalMs` apart from `start`; the same options give the same candles. */
export function simulateMarket(opts: SimulatorOptions): Ohlcv[] {
  const random = seededRng(opts.seed);
  const normal = normalFrom(random);
  // GARCH(1,1) around a long-run hourly volatility of 0.7 %: persistence α+β = 0.97.
  const longRun = 0.007 ** 2, alpha = 0.07, beta = 0.9, omega = longRun * (1 - alpha - beta);
  let variance = longRun, shock = 0, regime = 0;
  let price = opts.startPrice;
  const candles: Ohlcv[] = [];
  for (let i = 0; i < opts.count; i++) {
    if (random() < SWITCH_PROBABILITY) regime = Math.floor(random() * REGIMES.length);
    const r = REGIMES[regime];
    // GARCH runs on the un-multiplied shock: feeding the regime's multiplier back would make turbulent
    // regimes explosive. Capped so one extreme draw cannot blow up the variance either.
    variance = Math.min(omega + alpha * shock ** 2 + beta * variance, 0.03 ** 2);
    shock = Math.sqrt(variance) * Math.max(-8, Math.min(8, studentT(normal, 4)));
    const sigma = Math.sqrt(variance) * r.volatility;
    const move = shock * r.volatility;
    const open = price;
    const close = open * Math.exp(r.drift + move);
    // Wicks: excursions beyond the body, proportional to the candle's volatility.
    const high = Math.max(open, close) * Math.exp(Math.abs(normal()) * sigma * 0.6);
    const low = Math.min(open, close) * Math.exp(-Math.abs(normal()) * sigma * 0.6);
    const activity = 1 + 40 * Math.abs(move) + 0.3 * normal();
    const volume = opts.baseVolume * Math.max(0.05, activity) * Math.exp(0.25 * normal());
    candles.push({
      openTime: opts.start + i * opts.intervalMs,
      open: round(open),
      high: round(high),
      low: round(low),
      close: round(close),
      volume: Math.round(volume * 1e5) / 1e5,
    });
    price = close;
  }
  return candles;
}

/** Exchange-like tick precision (8 significant digits), so CSVs look like real ones. */
function round(price: number): number {
  return Number(price.toPrecision(8));
}
