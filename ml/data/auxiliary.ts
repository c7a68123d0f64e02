/**
 * Auxiliary training targets: what the next `horizon` candles do, in units of the window's own volatility.
 * Volatility regime is the learnable part of the SPEC §6 labels (a two-feature volatility model alone beats
 * every simple baseline on 2023), and multi-horizon/volatility side tasks lift recurrent nets on such data
 * (Qlib's TCTS), so the trunk is asked to predict both; the heads that serve stay the class and return heads.
 *
 * Per window ending at candle e, with σ = sample std of the last 20 log returns (volatility_20 of SPEC §5),
 * for each auxiliary horizon k (the label's h alone, or every k = 1…h with `"all"`):
 *  - `scaledReturn` = ln(close[e+k] / close[e]) / (σ·√k), clipped to ±AUX_CLIP;
 *  - `volatilityRatio` = ln(realised σ of the next k log returns / σ), clipped to ±AUX_CLIP.
 * Horizons stop at h: the splits drop h candles at each cut, so a longer look ahead would read past it.
 */
import type { CandleSeries } from "../../features/index.ts";
import type { WindowSet } from "./window_set.ts";

/** Targets beyond ±5 are rare outliers that would dominate a squared loss. */
export const AUX_CLIP = 5;
/** Targets per auxiliary horizon: the scaled return and the volatility ratio. */
export const AUX_TARGETS_PER_HORIZON = 2;
/** Which horizons the auxiliary targets look at: the label's horizon only, or every one from 1 to it. */
export const AUXILIARY_HORIZONS = ["label", "all"] as const;
export type AuxiliaryHorizons = typeof AUXILIARY_HORIZONS[number];

/** The horizons (in candles) of `which` for labels `horizon` candles ahead. */
export function auxiliaryHorizonList(which: AuxiliaryHorizons, horizon: number): number[] {
  return which === "label" ? [horizon] : Array.from({ length: horizon }, (_, i) => i + 1);
}
const TINY = 1e-8;

const clipped = (v: number) => Math.max(-AUX_CLIP, Math.min(AUX_CLIP, v));

/**
 * σ of SPEC §5: the sample std of the 20 log returns ending at candle `e`, floored at TINY so a flat window
 * divides safely (NaN without 21 closes). Computed here from the whole series rather than taken from the
 * engineered window (`features/engineer.ts`, which warms up inside the window): a target is the series' own
 * fact, not what a short lookback could see. With the default lookback of 50 the two agree to float rounding;
 * below 21 candles the feature is a shorter std and this one is not. Changing it would change every trained
 * model's bits, so it stays as measured.
 */
function volatility20(close: Float64Array, e: number): number {
  if (e < 20) return NaN;
  let sum = 0, sq = 0;
  for (let j = e - 19; j <= e; j++) {
    const r = Math.log(close[j] / close[j - 1]);
    sum += r;
    sq += r * r;
  }
  const mean = sum / 20;
  return Math.max(Math.sqrt(Math.max(0, (sq - 20 * mean * mean) / 19)), TINY);
}

/** The two targets of one window ending at `e` of `series` (see the module comment). */
export function windowAuxiliary(series: CandleSeries, e: number, horizon: number): [number, number] {
  return targetsAt(series, e, horizon, volatility20(series.close, e));
}

/** `windowAuxiliary` with the window's σ (NaN without history) computed once by the caller. */
function targetsAt(series: CandleSeries, e: number, horizon: number, sigma: number): [number, number] {
  const close = series.close;
  if (!Number.isFinite(sigma) || e + horizon >= series.length) return [0, 0];
  let sq = 0;
  for (let j = e + 1; j <= e + horizon; j++) sq += Math.log(close[j] / close[j - 1]) ** 2;
  const realised = Math.sqrt(sq / horizon);
  const scaledReturn = Math.log(close[e + horizon] / close[e]) / (sigma * Math.sqrt(horizon));
  const volatilityRatio = Math.log(Math.max(realised, TINY) / sigma);
  // A zero or missing price (which collect refuses) must not poison a batch with NaN.
  if (!Number.isFinite(scaledReturn) || !Number.isFinite(volatilityRatio)) return [0, 0];
  return [clipped(scaledReturn), clipped(volatilityRatio)];
}

/**
 * [picks.length × 2·horizons.length] targets of the windows at `picks` of `set`: per window, for each horizon
 * in order, its scaled return then its volatility ratio.
 */
export function auxiliaryTargets(
  set: WindowSet,
  picks: ArrayLike<number>,
  horizons: readonly number[],
): Float32Array {
  const width = AUX_TARGETS_PER_HORIZON * horizons.length;
  const out = new Float32Array(picks.length * width);
  for (let b = 0; b < picks.length; b++) {
    const pick = picks[b];
    const series = set.series[set.seriesIndex[pick]], e = set.ends[pick];
    // σ is the window's, whatever the horizon: computed once, not once per horizon.
    const sigma = volatility20(series.close, e);
    horizons.forEach((k, i) => {
      const [ret, vol] = targetsAt(series, e, k, sigma);
      out[b * width + 2 * i] = ret;
      out[b * width + 2 * i + 1] = vol;
    });
  }
  return out;
}
