/**
 * Majority class: always the training split's commonest class, with the training class frequencies as
 * probabilities and the training mean return as the expected return. Any model must beat this.
 */
import type { Prediction } from "./prediction.ts";

export interface MajorityModel {
  readonly priors: readonly number[];
  readonly meanReturn: number;
}

/** The training split's class frequencies and mean forward return: all the majority baseline knows. */
export function fitMajority(labels: Int8Array, returns: Float64Array): MajorityModel {
  const counts = [0, 0, 0];
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    counts[labels[i]]++;
    sum += returns[i];
  }
  return { priors: counts.map((c) => c / labels.length), meanReturn: sum / labels.length };
}

/** `n` identical predictions: the training priors and mean return; their argmax is the commonest class. */
export function predictMajority(m: MajorityModel, n: number): Prediction {
  const probabilities = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) probabilities.set(m.priors, i * 3);
  return { probabilities, returns: new Float64Array(n).fill(m.meanReturn) };
}
