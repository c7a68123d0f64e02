/**
 * Labels of SPEC §6: the forward return r = close[t+h]/close[t] − 1 and its class, UP if r > τ, DOWN if
 * r < −τ, else SIDEWAYS. τ scales with the window's own volatility by default so "sideways" means the same
 * thing in calm and wild markets.
 */

/** Class order everywhere (model outputs, metrics, ONNX): 0 DOWN, 1 SIDEWAYS, 2 UP. */
export const CLASSES = ["DOWN", "SIDEWAYS", "UP"] as const;
export type ClassName = typeof CLASSES[number];
export type ClassIndex = 0 | 1 | 2;
/** The class indices, in the order of `CLASSES`. */
export const DOWN = 0, SIDEWAYS = 1, UP = 2;

export type LabelRule =
  | { readonly kind: "volatility"; readonly multiplier: number }
  | { readonly kind: "fixed"; readonly threshold: number };

/** τ = 0.5 · volatility_20 · √horizon: the label rule of a run that names no other. */
export const DEFAULT_LABEL_RULE: LabelRule = { kind: "volatility", multiplier: 0.5 };

/** r = close[t+horizon]/close[t] − 1, the return a label classifies; NaN when t + horizon is past the end. */
export function forwardReturn(close: ArrayLike<number>, t: number, horizon: number): number {
  return close[t + horizon] / close[t] - 1;
}

/** τ for a window whose last candle has volatility_20 = `volatility20`. */
export function labelThreshold(rule: LabelRule, volatility20: number, horizon: number): number {
  return rule.kind === "fixed" ? rule.threshold : rule.multiplier * volatility20 * Math.sqrt(horizon);
}

/** UP above +`threshold`, DOWN below −`threshold`, else SIDEWAYS (as is a return exactly at ±τ, or NaN). */
export function classify(r: number, threshold: number): ClassIndex {
  if (r > threshold) return UP;
  if (r < -threshold) return DOWN;
  return SIDEWAYS;
}

/** The rule in words, for summaries: "fixed threshold ±0.01" or "±0.5·volatility_20·√horizon". */
export function describeLabelRule(rule: LabelRule): string {
  return rule.kind === "fixed"
    ? `fixed threshold ±${rule.threshold}`
    : `±${rule.multiplier}·volatility_20·√horizon`;
}
