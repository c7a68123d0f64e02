/**
 * The teacher of distillation (`--distill-weight`, issue 11): the gradient-boosting baseline's class
 * probabilities for every training window, each predicted by a model that did not see that window.
 *
 * Why out of fold: boosting's in-sample probabilities carry its fit to the labels' noise, which a student
 * trained on them would copy. The training windows are cut, per symbol and in time order, into `folds`
 * blocks; each block is predicted by boosting fit on the other blocks, with the number of iterations that
 * early stopping chose on the validation split for boosting fit on all of them (so no block picks its own).
 * Training windows whose label window reaches into the predicted block (within `horizon` candles of it) are
 * left out of that fit, so no label the block is scored against leaks into its teacher.
 *
 * @example
 * ```ts
 * const teacher = outOfFoldBoosting(dataset, { folds: 4, seed: 42 });
 * teacher.probabilities; // [train.size, 3], rows sum to 1
 * ```
 */
import { sampleIndices, seededRng } from "../data/index.ts";
import { fitGbdt, type GbdtData, predictGbdt } from "./gbdt.ts";
import type { GradientBoostingData } from "./gradient_boosting.ts";
import { GBDT_LAGS, laggedCandles } from "./inputs.ts";

export interface TeacherOptions {
  /** Time blocks of the training windows (per symbol); each is predicted by a fit on the others. */
  readonly folds?: number;
  readonly seed?: number;
  /** Early stopping looks at most at this many validation windows (a seeded sample), as the baseline does. */
  readonly maxValidationWindows?: number;
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

/** Each training window's block: its rank among its symbol's windows, cut into `folds` equal runs. */
export function timeBlocks(seriesIndex: Int32Array, folds: number): Int32Array {
  const counts = new Map<number, number>();
  for (const k of seriesIndex) counts.set(k, (counts.get(k) ?? 0) + 1);
  const seen = new Map<number, number>();
  const block = new Int32Array(seriesIndex.length);
  for (let i = 0; i < seriesIndex.length; i++) {
    const k = seriesIndex[i], rank = seen.get(k) ?? 0;
    seen.set(k, rank + 1);
    block[i] = Math.min(folds - 1, Math.floor((rank * folds) / counts.get(k)!));
  }
  return block;
}

/** Rows `picks` of a row-major [rows, columns] matrix with its labels. */
function rowsOf(x: Float32Array, labels: Int8Array, columns: number, picks: readonly number[]): GbdtData {
  const out = new Float32Array(picks.length * columns), outLabels = new Int8Array(picks.length);
  picks.forEach((p, i) => {
    out.set(x.subarray(p * columns, (p + 1) * columns), i * columns);
    outLabels[i] = labels[p];
  });
  return { x: out, labels: outLabels };
}

export function outOfFoldBoosting(data: GradientBoostingData, opts: TeacherOptions = {}): Teacher {
  const t0 = performance.now();
  const folds = Math.max(2, opts.folds ?? 4), seed = opts.seed ?? 0;
  const train = laggedCandles(data.train, data, GBDT_LAGS);
  const validPicks = sampleIndices(
    data.validation.size,
    opts.maxValidationWindows ?? 100_000,
    seededRng(seed + 1),
  );
  const validation = laggedCandles(data.validation, data, GBDT_LAGS, validPicks);
  const columns = train.columns;
  const all: GbdtData = { x: train.features, labels: train.labels };
  const { iterations } = fitGbdt(all, { x: validation.features, labels: validation.labels }, CLASSES, {
    seed,
  });

  const block = timeBlocks(data.train.seriesIndex, folds);
  const probabilities = new Float32Array(train.size * CLASSES);
  let logLoss = 0;
  for (let f = 0; f < folds; f++) {
    const fit: number[] = [], held: number[] = [];
    for (let i = 0; i < train.size; i++) {
      if (block[i] === f) held.push(i);
      else if (!nearBlock(data.train.seriesIndex, data.train.ends, block, i, f, data.horizon)) fit.push(i);
    }
    if (held.length === 0) continue;
    const heldRows = rowsOf(train.features, train.labels, columns, held);
    if (fit.length === 0) {
      // A set too small to leave anything out (a few windows of fine-tuning): a uniform teacher, i.e. smoothing.
      held.forEach((row) => probabilities.fill(1 / CLASSES, row * CLASSES, (row + 1) * CLASSES));
      logLoss += held.length * Math.log(CLASSES);
      continue;
    }
    // A fixed number of iterations: `tolerance: −∞` keeps every one, so the held block chooses nothing.
    const model = fitGbdt(rowsOf(train.features, train.labels, columns, fit), heldRows, CLASSES, {
      seed,
      maxIterations: iterations,
      tolerance: -Infinity,
    });
    const p = predictGbdt(model, heldRows.x);
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

/**
 * Whether window `i` (outside block `f`) ends within `horizon` candles of one of block f's windows of the same
 * symbol: its label would overlap theirs. Windows of a symbol are in time order, so only the block's two edges
 * matter, and the neighbours at distance ≤ horizon in the set are the only candidates.
 */
function nearBlock(
  seriesIndex: Int32Array,
  ends: Int32Array,
  block: Int32Array,
  i: number,
  f: number,
  horizon: number,
): boolean {
  for (let d = -horizon; d <= horizon; d++) {
    const j = i + d;
    if (d === 0 || j < 0 || j >= block.length || block[j] !== f || seriesIndex[j] !== seriesIndex[i]) {
      continue;
    }
    if (Math.abs(ends[j] - ends[i]) <= horizon) return true;
  }
  return false;
}
