/** Student's t quantiles for the intervals `evaluate` and `monitor` draw from a few blocks of evidence. */

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
