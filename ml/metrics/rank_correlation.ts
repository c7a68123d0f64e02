/**
 * Spearman's rank correlation, the "information coefficient" of a predicted return: does a higher prediction
 * go with a higher realised return, whatever the scale? The return head's MAE alone cannot say, as a head
 * that predicts ~0 everywhere scores the MAE of predicting no change while ranking nothing.
 */

/**
 * The ranks of `values`, 1 … n, ties sharing the mean of the ranks they span (scipy's `rankdata`, "average"),
 * so a learner that predicts a few distinct returns (persistence: one per direction) is ranked fairly.
 */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

/**
 * Spearman's rank correlation of `x` and `y` (the Pearson correlation of their average ranks), −1 … 1. NaN
 * where it is undefined: fewer than two pairs, either side constant (majority's one predicted return), or a
 * value that is not a finite number (a diverged head), which has no rank.
 *
 * @example
 * ```ts
 * spearman([1, 2, 3], [10, 30, 20]); // 0.5
 * ```
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (y.length !== n) throw new RangeError(`spearman: ${n} values against ${y.length}`);
  if (n < 2) return NaN;
  for (let i = 0; i < n; i++) if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) return NaN;
  const rx = averageRanks(x), ry = averageRanks(y);
  // Both rank vectors have mean (n + 1) / 2; centred sums keep 44k windows' products exact enough.
  const mean = (n + 1) / 2;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = rx[i] - mean, dy = ry[i] - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}
