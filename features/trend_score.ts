/**
 * SPEC §4 trend_score: a model-free summary of the last candle, −5…5, the sum of ±1 for close > ema,
 * ema rising, macdHist > 0, rsi > 50 and stochK > stochD. The bot can sanity-check the model against it.
 * Each vote is SPEC's strict ">", so a tie votes −1: a candle that did not move (a pegged pair) scores −5 like
 * a falling one. The bot computes the same sum, so the rule stays SPEC's (docs/api.md says how to read it).
 */
import type { CandleSeries } from "./candles.ts";

/**
 * The SPEC §4 trend_score of the series' last candle, −5…5. A NaN indicator (still warming up) votes −1; an
 * empty series throws a RangeError.
 */
export function trendScore(s: CandleSeries): number {
  const t = s.length - 1;
  if (t < 0) throw new RangeError("trend_score needs at least one candle");
  const prevEma = t > 0 ? s.ema[t - 1] : s.ema[t];
  const votes = [
    s.close[t] > s.ema[t],
    s.ema[t] > prevEma,
    s.macdHist[t] > 0,
    s.rsi[t] > 50,
    s.stochK[t] > s.stochD[t],
  ];
  return votes.reduce((sum, up) => sum + (up ? 1 : -1), 0);
}
