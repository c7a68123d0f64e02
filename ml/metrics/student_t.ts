/**
 * What the intervals `evaluate` and `monitor` draw from a few blocks of evidence share: Student's t quantiles and
 * the standard deviation of the bootstrap's draws.
 */

/** Student's t 97.5 % quantiles for 1–10 degrees of freedom (tables); beyond, Cornish–Fisher (error < 0.3 %). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

/**
 * The 97.5 % quantile of Student's t with `df` degrees of freedom: the two-sided 95 % critical value.
 *
 * @example
 * ```ts
 * studentT975(3); // 3.182
 * studentT975(1e9); // 1.960
 * ```
 */
export function studentT975(df: number): number {
  if (df <= T975.length) return T975[Math.max(1, Math.round(df)) - 1];
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

/**
 * The sample standard deviation (n − 1 in the denominator) of `values`; 0 for a single value.
 *
 * @example
 * ```ts
 * standardDeviation(new Float64Array([1, 2, 3])); // 1
 * ```
 */
export function standardDeviation(values: Float64Array): number {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return Math.sqrt(squares / Math.max(1, values.length - 1));
}
