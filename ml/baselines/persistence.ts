/**
 * Persistence: the next move repeats the last candle's direction (UP after a rising candle, DOWN after a
 * falling one, SIDEWAYS after an unchanged close). Its probabilities, used only for log-loss and Brier, are
 * the training split's class frequencies given that direction; its expected return is the training mean
 * return given that direction.
 */
import { DOWN, SIDEWAYS, UP } from "../../features/index.ts";
import type { Prediction } from "./prediction.ts";

export interface PersistenceModel {
  /** Per direction (DOWN, SIDEWAYS, UP): class frequencies and mean return on the training split. */
  readonly conditional: readonly (readonly number[])[];
  readonly meanReturn: readonly number[];
}

/** The class the last candle's return points to: UP above 0, DOWN below, SIDEWAYS at exactly 0. */
export function directionOf(lastReturn: number): number {
  return lastReturn > 0 ? UP : lastReturn < 0 ? DOWN : SIDEWAYS;
}

/**
 * Per direction of the last candle, the training split's class frequencies (Laplace-smoothed, so none is 0)
 * and mean return; a direction never seen takes the overall mean return.
 */
export function fitPersistence(
  lastReturn: Float64Array,
  labels: Int8Array,
  returns: Float64Array,
): PersistenceModel {
  // Laplace smoothing keeps every probability above zero (log-loss would be infinite otherwise).
  const counts = [0, 1, 2].map(() => [1, 1, 1]);
  const sums = [0, 0, 0], n = [0, 0, 0];
  for (let i = 0; i < labels.length; i++) {
    const d = directionOf(lastReturn[i]);
    counts[d][labels[i]]++;
    sums[d] += returns[i];
    n[d]++;
  }
  const total = returns.reduce((a, b) => a + b, 0) / Math.max(returns.length, 1);
  return {
    conditional: counts.map((row) => row.map((c) => c / row.reduce((a, b) => a + b, 0))),
    meanReturn: sums.map((s, d) => (n[d] > 0 ? s / n[d] : total)),
  };
}

/** Each window gets its last candle's direction, with that direction's training frequencies and return. */
export function predictPersistence(m: PersistenceModel, lastReturn: Float64Array): Prediction {
  const n = lastReturn.length;
  const probabilities = new Float32Array(n * 3), returns = new Float64Array(n), classes = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const d = directionOf(lastReturn[i]);
    probabilities.set(m.conditional[d], i * 3);
    returns[i] = m.meanReturn[d];
    classes[i] = d;
  }
  return { probabilities, returns, classes };
}
