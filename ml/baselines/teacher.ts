/**
 * The teacher of distillation (`--distill-weight`, issue 11): the gradient-boosting baseline's class
 * probabilities for every training window, each predicted by a model that did not see that window.
 *
 * Why out of fold: boosting's in-sample probabilities carry its fit to the labels' noise, which a student
 * trained on them would copy. The training windows are cut by calendar time (all symbols together, since
 * crypto labels move together) into `folds` blocks of equal size; each block is predicted by boosting fit on
 * the others, with the number of iterations that early stopping chose on the validation split for boosting fit
 * on all of them (so no block picks its own). Windows whose label reaches into a predicted block's span, or
 * starts within its last `horizon` candles, are left out of that fit (a purge, as at the splits' cuts), so no
 * label a block is taught against overlaps a label its teacher learnt. Sources without open times fall back
 * to blocks of each symbol's windows in order.
 *
 * @example
 * ```ts
 * const teacher = await outOfFoldBoosting(dataset, { folds: 4, seed: 42 });
 * teacher?.probabilities; // [train.size, 3], rows sum to 1 (null: aborted)
 * ```
 */
import type { LabelledSet } from "../data/index.ts";
import { gatherRows, sampleIndices, seededRng } from "../data/index.ts";
import { finishStepsTurning } from "../../base/index.ts";
import { type GbdtData, type GbdtModel, type GbdtOptions, gbdtRounds, predictGbdt } from "./gbdt.ts";
import type { GradientBoostingData } from "./gradient_boosting.ts";
import { GBDT_LAGS, laggedCandlesSteps } from "./inputs.ts";

export interface TeacherOptions {
  /** Time blocks of the training windows; each is predicted by a fit on the others. */
  readonly folds?: number;
  readonly seed?: number;
  /** Early stopping looks at most at this many validation windows (a seeded sample), as the baseline does. */
  readonly maxValidationWindows?: number;
  /** Checked between iterations of every fit (the event loop turns there, so a SIGINT listener can run). */
  readonly signal?: AbortSignal;
  /** Early stopping of the fit that chooses the iterations (GBDT_DEFAULTS'; a test boosts without end). */
  readonly stopping?: Pick<GbdtOptions, "maxIterations" | "patience">;
}

export interface Teacher {
  /** [train.size, 3] class probabilities, in the training set's order. */
  readonly probabilities: Float32Array;
  /** Boosting iterations of every fit (chosen on the validation split). */
  readonly iterations: number;
  /** The teacher's log-loss on the training windows it predicted (each out of fold). */
  readonly logLoss: number;
  readonly folds: number;
  readonly seconds: number;
}

const CLASSES = 3;

/** Each window's last-candle open time (NaN where the source had none). */
export function windowTimes(set: LabelledSet): Float64Array {
  return Float64Array.from(
    { length: set.size },
    (_, i) => set.series[set.seriesIndex[i]].openTime[set.ends[i]],
  );
}

/** The most common gap between consecutive candles of the set's first series (ms): one candle's length. */
function candleLength(set: LabelledSet): number {
  const t = set.series[0]?.openTime ?? new Float64Array();
  const gaps = new Map<number, number>();
  for (let i = 1; i < Math.min(t.length, 2_000); i++) {
    gaps.set(t[i] - t[i - 1], (gaps.get(t[i] - t[i - 1]) ?? 0) + 1);
  }
  let best = NaN, count = 0;
  for (const [gap, n] of gaps) if (n > count && gap > 0) [best, count] = [gap, n];
  return best;
}

/**
 * Each window's block: which of `folds` equal-count spans of calendar time its last candle falls in (ties go
 * to the later block), so a block holds every symbol's windows of the same months.
 */
export function timeBlocks(times: Float64Array, folds: number): Int32Array {
  const sorted = Float64Array.from(times).sort();
  const cuts = Array.from(
    { length: folds - 1 },
    (_, k) => sorted[Math.floor(((k + 1) * sorted.length) / folds)],
  );
  return Int32Array.from(times, (t) => cuts.filter((c) => t >= c).length);
}

/** Blocks of each symbol's windows in order: for sources without open times. */
export function rankBlocks(seriesIndex: Int32Array, folds: number): Int32Array {
  const counts = new Map<number, number>();
  for (const k of seriesIndex) counts.set(k, (counts.get(k) ?? 0) + 1);
  const seen = new Map<number, number>();
  return Int32Array.from(seriesIndex, (k) => {
    const rank = seen.get(k) ?? 0;
    seen.set(k, rank + 1);
    return Math.min(folds - 1, Math.floor((rank * folds) / counts.get(k)!));
  });
}

/** Rows `picks` of a row-major [rows, columns] matrix with its labels. */
function rowsOf(x: Float32Array, labels: Int8Array, columns: number, picks: readonly number[]): GbdtData {
  return { x: gatherRows(x, columns, picks), labels: Int8Array.from(picks, (p) => labels[p]) };
}

/**
 * Which windows fit the teacher of block `f`: those outside it whose label (the `horizon` candles after the
 * window) does not overlap the label of a window in it. By time: outside the block's span widened by
 * `horizon` candles less one on each side; without times: at least `horizon` windows away from it in the same
 * symbol.
 */
export function fitRows(
  set: Pick<LabelledSet, "size" | "seriesIndex">,
  block: Int32Array,
  f: number,
  times: Float64Array | null,
  gap: number,
): number[] {
  const fit: number[] = [];
  if (times) {
    let lo = Infinity, hi = -Infinity;
    block.forEach((b, i) => {
      if (b === f) [lo, hi] = [Math.min(lo, times[i]), Math.max(hi, times[i])];
    });
    for (let i = 0; i < set.size; i++) {
      if (block[i] !== f && (times[i] <= lo - gap || times[i] >= hi + gap)) fit.push(i);
    }
    return fit;
  }
  for (let i = 0; i < set.size; i++) {
    if (block[i] === f) continue;
    let near = false;
    for (let j = Math.max(0, i - gap + 1); j <= Math.min(set.size - 1, i + gap - 1) && !near; j++) {
      near = block[j] === f && set.seriesIndex[j] === set.seriesIndex[i];
    }
    if (!near) fit.push(i);
  }
  return fit;
}

const yieldToEvents = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * `fitGbdt`, letting the event loop turn between iterations: each of the five fits is seconds to minutes of
 * synchronous work, during which a Ctrl-C or SIGTERM went unheard (34 s from the signal to the "stopping"
 * line on the five 1h series, measured: the first fit's end). Null when `signal` was aborted.
 */
async function fitHearingSignals(
  train: GbdtData,
  validation: GbdtData,
  opts: GbdtOptions,
  signal?: AbortSignal,
): Promise<GbdtModel | null> {
  try {
    return await finishStepsTurning(gbdtRounds(train, validation, CLASSES, opts), signal);
  } catch (error) {
    if (signal?.aborted && error === signal.reason) return null;
    throw error;
  }
}

/** The teacher of `data`'s training windows; null when `signal` aborted it. */
export async function outOfFoldBoosting(
  data: GradientBoostingData,
  opts: TeacherOptions = {},
): Promise<Teacher | null> {
  const t0 = performance.now();
  const folds = Math.max(2, opts.folds ?? 4), seed = opts.seed ?? 0;
  const stopped = async () => (await yieldToEvents(), opts.signal?.aborted ?? false);
  // Seconds of engineering on 170k windows: the event loop turns meanwhile, as in the fits.
  const train = await finishStepsTurning(laggedCandlesSteps(data.train, data, GBDT_LAGS));
  const validPicks = sampleIndices(
    data.validation.size,
    opts.maxValidationWindows ?? 100_000,
    seededRng(seed + 1),
  );
  const validation = await finishStepsTurning(
    laggedCandlesSteps(data.validation, data, GBDT_LAGS, validPicks),
  );
  if (await stopped()) return null;
  const all = await fitHearingSignals(
    { x: train.features, labels: train.labels },
    { x: validation.features, labels: validation.labels },
    { ...opts.stopping, seed },
    opts.signal,
  );
  if (!all) return null;
  const { iterations } = all;

  const times = windowTimes(data.train);
  const candle = candleLength(data.train);
  const timed = times.every(Number.isFinite) && Number.isFinite(candle);
  const block = timed ? timeBlocks(times, folds) : rankBlocks(data.train.seriesIndex, folds);
  const gap = timed ? data.horizon * candle : data.horizon;
  const probabilities = new Float32Array(train.size * CLASSES);
  let logLoss = 0;
  for (let f = 0; f < folds; f++) {
    if (await stopped()) return null;
    const held: number[] = [];
    block.forEach((b, i) => b === f && held.push(i));
    if (held.length === 0) continue;
    const fit = fitRows(data.train, block, f, timed ? times : null, gap);
    const heldRows = rowsOf(train.features, train.labels, train.columns, held);
    let p: Float32Array;
    if (fit.length === 0) {
      // Nothing left to fit on (a handful of windows): a uniform teacher, i.e. label smoothing.
      p = new Float32Array(held.length * CLASSES).fill(1 / CLASSES);
    } else {
      // A fixed number of iterations: `tolerance: −∞` keeps every one, so the held block chooses nothing.
      const model = await fitHearingSignals(
        rowsOf(train.features, train.labels, train.columns, fit),
        heldRows,
        { seed, maxIterations: iterations, tolerance: -Infinity },
        opts.signal,
      );
      if (!model) return null;
      p = predictGbdt(model, heldRows.x);
    }
    held.forEach((row, j) => {
      probabilities.set(p.subarray(j * CLASSES, (j + 1) * CLASSES), row * CLASSES);
      logLoss -= Math.log(Math.max(p[j * CLASSES + train.labels[row]], 1e-12));
    });
  }
  return {
    probabilities,
    iterations,
    logLoss: logLoss / Math.max(1, train.size),
    folds,
    seconds: (performance.now() - t0) / 1000,
  };
}
