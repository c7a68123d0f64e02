/**
 * How sure is "the model beats the baseline"? A block bootstrap of the difference in macro-F1 and log-loss
 * between two predictors scored on the same windows. Windows are resampled in whole blocks of consecutive time
 * (all symbols together), because neighbouring windows share candles and markets move together: resampling
 * single windows would pretend there is far more independent evidence than there is.
 */
import { seededRng } from "../data/index.ts";
import { LOG_LOSS_FLOOR, macroF1, standardDeviation, studentT975 } from "../metrics/index.ts";

const K = 3;

export interface Scored {
  /** [n, 3] probabilities (for log-loss). */
  readonly probabilities: ArrayLike<number>;
  /** The named class per window (for macro-F1). */
  readonly classes: ArrayLike<number>;
}

export interface BootstrapOptions {
  readonly resamples?: number;
  readonly seed?: number;
}

export interface Interval {
  /** The difference on the data as observed. */
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
}

export interface BootstrapResult {
  /** macro-F1(a) − macro-F1(b): above 0 favours a. */
  readonly macro_f1_diff: Interval;
  /** log-loss(a) − log-loss(b): below 0 favours a. */
  readonly log_loss_diff: Interval;
  readonly blocks: number;
  readonly resamples: number;
  readonly level: number;
}

/** Bootstrap blocks: this many candles of time (4 days of 1h candles), all symbols together. */
export const BOOTSTRAP_BLOCK_CANDLES = 96;

/** Block ids 0 … B−1 from each window's time: windows within the same `blockMs` span share a block. */
export function timeBlocks(times: ArrayLike<number>, blockMs: number): Int32Array {
  let t0 = Infinity;
  for (let i = 0; i < times.length; i++) t0 = Math.min(t0, times[i]);
  const raw = Int32Array.from({ length: times.length }, (_, i) => Math.floor((times[i] - t0) / blockMs));
  // Renumber densely: gaps between folds would otherwise leave empty blocks that resampling could draw.
  const ids = new Map<number, number>();
  for (const r of [...new Set(raw)].sort((x, y) => x - y)) ids.set(r, ids.size);
  return raw.map((r) => ids.get(r)!);
}

/** Per block: confusion counts of a and b (9 each), their log-loss sums and the window count. */
const STATS = 2 * K * K + 3;

/**
 * 95 % intervals of a − b in macro-F1 and in log-loss: the observed difference ± Student's t on (blocks − 1)
 * degrees of freedom times the standard error of `resamples` draws of whole blocks (`blocks[i]`: window i's
 * dense block id, as `timeBlocks` gives), scaled by √(B/(B−1)) since resampling B blocks gives the plug-in
 * variance; seeded so a rerun agrees. Throws when there is no window. The draws' own percentiles were too
 * narrow for the few blocks a quarter holds: two equally good learners were told apart on log-loss (either
 * way) in 16 % of simulated 6-block evaluations (a 4h quarter), 10 % at 12 and 8 % at 23, where 5 % is
 * nominal; with t, 5–6 % (`deno task bench:bootstrap-interval`).
 */
export function blockBootstrap(
  labels: ArrayLike<number>,
  a: Scored,
  b: Scored,
  blocks: ArrayLike<number>,
  opts: BootstrapOptions = {},
): BootstrapResult {
  const resamples = opts.resamples ?? 1000, level = 0.95;
  let nBlocks = 0;
  for (let i = 0; i < blocks.length; i++) nBlocks = Math.max(nBlocks, blocks[i] + 1);
  if (labels.length === 0 || nBlocks === 0) throw new Error("the bootstrap needs at least one scored window");
  const stats = new Float64Array(nBlocks * STATS);
  for (let i = 0; i < labels.length; i++) {
    const o = blocks[i] * STATS, y = labels[i];
    stats[o + y * K + a.classes[i]]++;
    stats[o + K * K + y * K + b.classes[i]]++;
    stats[o + 2 * K * K] -= Math.log(Math.max(a.probabilities[i * K + y], LOG_LOSS_FLOOR));
    stats[o + 2 * K * K + 1] -= Math.log(Math.max(b.probabilities[i * K + y], LOG_LOSS_FLOOR));
    stats[o + 2 * K * K + 2]++;
  }
  const total = new Float64Array(STATS);
  const differences = (pick: (j: number) => number, draws: number) => {
    total.fill(0);
    for (let j = 0; j < draws; j++) {
      const o = pick(j) * STATS;
      for (let s = 0; s < STATS; s++) total[s] += stats[o + s];
    }
    const n = total[STATS - 1];
    return [
      macroF1(total.subarray(0, K * K)) - macroF1(total.subarray(K * K, 2 * K * K)),
      (total[2 * K * K] - total[2 * K * K + 1]) / n,
    ];
  };
  const [f1Estimate, llEstimate] = differences((j) => j, nBlocks);
  const rng = seededRng(opts.seed ?? 1);
  const f1 = new Float64Array(resamples), ll = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    [f1[r], ll[r]] = differences(() => Math.floor(rng() * nBlocks), nBlocks);
  }
  // With one block there is no spread to measure: the interval is unbounded (and evaluate judges nothing
  // from fewer than six blocks anyway).
  const half = (draws: Float64Array) =>
    nBlocks < 2
      ? Infinity
      : studentT975(nBlocks - 1) * standardDeviation(draws) * Math.sqrt(nBlocks / (nBlocks - 1));
  const interval = (estimate: number, draws: Float64Array) => ({
    estimate,
    low: estimate - half(draws),
    high: estimate + half(draws),
  });
  return {
    macro_f1_diff: interval(f1Estimate, f1),
    log_loss_diff: interval(llEstimate, ll),
    blocks: nBlocks,
    resamples,
    level,
  };
}
