/**
 * Auxiliary training targets: what the next `horizon` candles do, in units of the window's own volatility.
 * Volatility regime is the learnable part of the SPEC §6 labels (a two-feature volatility model alone beats
 * every simple baseline on 2023), and multi-horizon/volatility side tasks lift recurrent nets on such data
 * (Qlib's TCTS), so the trunk is asked to predict both; the heads that serve stay the class and return heads.
 *
 * Per window ending at candle e, with σ = sample std of the last 20 log returns (volatility_20 of SPEC §5):
 *  - `scaledReturn` = ln(close[e+h] / close[e]) / (σ·√h), clipped to ±AUX_CLIP;
 *  - `volatilityRatio` = ln(realised σ of the next h log returns / σ), clipped to ±AUX_CLIP.
 */
import type { CandleSeries } from "../../features/index.ts";
import type { WindowSet } from "./window_set.ts";

/** Targets beyond ±5 are rare outliers that would dominate a squared loss. */
export const AUX_CLIP = 5;
/** Number of auxiliary targets per window. */
export const AUX_TARGETS = 2;
const TINY = 1e-8;

const clipped = (v: number) => Math.max(-AUX_CLIP, Math.min(AUX_CLIP, v));

/** σ of SPEC §5: the sample std of the 20 log returns ending at candle `e` (NaN without 21 closes). */
function volatility20(close: Float64Array, e: number): number {
  if (e < 20) return NaN;
  let sum = 0, sq = 0;
  for (let j = e - 19; j <= e; j++) {
    const r = Math.log(close[j] / close[j - 1]);
    sum += r;
    sq += r * r;
  }
  const mean = sum / 20;
  return Math.sqrt(Math.max(0, (sq - 20 * mean * mean) / 19));
}

/** The two targets of one window ending at `e` of `series` (see the module comment). */
export function windowAuxiliary(series: CandleSeries, e: number, horizon: number): [number, number] {
  const close = series.close;
  const sigma = Math.max(volatility20(close, e), TINY);
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

/** [picks.length × AUX_TARGETS] targets of the windows at `picks` of `set`. */
export function auxiliaryTargets(set: WindowSet, picks: ArrayLike<number>, horizon: number): Float32Array {
  const out = new Float32Array(picks.length * AUX_TARGETS);
  for (let b = 0; b < picks.length; b++) {
    const pick = picks[b];
    const [ret, vol] = windowAuxiliary(set.series[set.seriesIndex[pick]], set.ends[pick], horizon);
    out[b * AUX_TARGETS] = ret;
    out[b * AUX_TARGETS + 1] = vol;
  }
  return out;
}
