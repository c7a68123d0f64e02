/**
 * Multiclass histogram gradient boosting (scikit-learn HistGradientBoostingClassifier-like): softmax loss,
 * one tree per class per iteration on the gradients p − y and hessians p(1 − p), starting from the log class
 * priors; the number of iterations is chosen on a validation set's log-loss (stop after `patience` rounds
 * without improvement, keep the best). No randomness besides the seeded row sample the bins are fit on, so the
 * same data and seed give the same model.
 *
 * Written here rather than taken from npm: the registry offers ml-xgboost (an old emscripten build of XGBoost,
 * ~1.5k downloads a month, no release in years) and scoring-only packages; a few hundred lines of typed-array
 * code are easier to keep than that dependency.
 */
import { applyQuantileBins, binCounts, type QuantileBins, quantileBinsSteps } from "./quantile_bins.ts";
import { growTree, type Tree, type TreeParams, treeValue, treeWorkspace } from "./histogram_tree.ts";

export interface GbdtOptions {
  readonly learningRate?: number;
  readonly maxLeaves?: number;
  readonly minSamplesLeaf?: number;
  readonly l2?: number;
  readonly maxBins?: number;
  readonly maxIterations?: number;
  /** Stop after this many iterations without a validation log-loss improvement of more than `tolerance`. */
  readonly patience?: number;
  readonly tolerance?: number;
  readonly seed?: number;
  /** Called after every iteration (progress logs). */
  readonly onIteration?: (iteration: number, validationLoss: number) => void;
}

export interface GbdtModel {
  readonly classes: number;
  readonly bins: QuantileBins;
  /** Raw score of every row before any tree: the log class priors. */
  readonly initial: Float64Array;
  /** trees[iteration][class]. */
  readonly trees: readonly (readonly Tree[])[];
  /** Validation log-loss before any tree (index 0) and after each iteration that was run. */
  readonly validationLoss: readonly number[];
  /** Iterations kept (the best on validation). */
  readonly iterations: number;
}

/** Features [rows, columns] and their class labels 0 … classes − 1. */
export interface GbdtData {
  readonly x: Float32Array;
  readonly labels: Int8Array;
}

const EPS = 1e-15;

/** The settings a caller leaves out: at most 1000 iterations, stopping after 20 without improvement. */
export const GBDT_DEFAULTS = {
  learningRate: 0.1,
  maxLeaves: 31,
  minSamplesLeaf: 200,
  l2: 1,
  maxBins: 255,
  maxIterations: 1000,
  patience: 20,
  tolerance: 1e-7,
  seed: 0,
} as const;

function softmaxRow(raw: Float64Array, o: number, k: number, out: Float64Array): void {
  let max = -Infinity;
  for (let c = 0; c < k; c++) if (raw[o + c] > max) max = raw[o + c];
  let sum = 0;
  for (let c = 0; c < k; c++) sum += out[c] = Math.exp(raw[o + c] - max);
  for (let c = 0; c < k; c++) out[c] /= sum;
}

function logLoss(raw: Float64Array, labels: Int8Array, k: number): number {
  const p = new Float64Array(k);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    softmaxRow(raw, i * k, k, p);
    sum -= Math.log(Math.max(p[labels[i]], EPS));
  }
  return sum / labels.length;
}

/**
 * Boosts on `train` until `validation`'s log-loss has not improved for `patience` iterations, keeping the
 * trees up to the best one. Throws a RangeError on no training rows or features that do not match the labels.
 */
export function fitGbdt(
  train: GbdtData,
  validation: GbdtData,
  classes: number,
  opts: GbdtOptions = {},
): GbdtModel {
  const rounds = gbdtRounds(train, validation, classes, opts);
  for (;;) {
    const round = rounds.next();
    if (round.done) return round.value;
  }
}

/**
 * `fitGbdt` as a generator that pauses after each iteration (yielding its number), and while it bins the
 * features (yielding undefined; seconds on 170k windows), so that a caller can let the event loop turn
 * (`fitGradientBoosting`: Ctrl-C during minutes of boosting); it returns the model.
 */
export function* gbdtRounds(
  train: GbdtData,
  validation: GbdtData,
  classes: number,
  opts: GbdtOptions = {},
): Generator<number | undefined, GbdtModel> {
  // An option given as undefined keeps its default (spread, it would replace it: no iterations at all).
  const o = { ...GBDT_DEFAULTS, ...definedOnly(opts) };
  const n = train.labels.length, k = classes;
  if (n === 0) throw new RangeError("gradient boosting needs at least one training row");
  const columns = train.x.length / n;
  if (!Number.isInteger(columns) || validation.x.length !== validation.labels.length * columns) {
    throw new RangeError(`features do not match labels (${train.x.length} values for ${n} rows)`);
  }
  const bins = yield* quantileBinsSteps(train.x, columns, { maxBins: o.maxBins, seed: o.seed });
  const ws = treeWorkspace(applyQuantileBins(bins, train.x), columns, binCounts(bins));
  const validBins = applyQuantileBins(bins, validation.x);
  const params: TreeParams = {
    maxLeaves: o.maxLeaves,
    minSamplesLeaf: o.minSamplesLeaf,
    l2: o.l2,
    shrinkage: o.learningRate,
    minHessian: 1e-3,
  };

  const counts = new Float64Array(k);
  for (let i = 0; i < n; i++) counts[train.labels[i]]++;
  const initial = counts.map((c) => Math.log(Math.max(c / n, EPS)));
  const raw = new Float64Array(n * k), validRaw = new Float64Array(validation.labels.length * k);
  for (let i = 0; i < raw.length; i++) raw[i] = initial[i % k];
  for (let i = 0; i < validRaw.length; i++) validRaw[i] = initial[i % k];

  const grad = Array.from({ length: k }, () => new Float32Array(n));
  const hess = Array.from({ length: k }, () => new Float32Array(n));
  const p = new Float64Array(k);
  const trees: Tree[][] = [];
  const losses = [logLoss(validRaw, validation.labels, k)];
  let best = 0;
  for (let it = 1; it <= o.maxIterations && it - best <= o.patience; it++) {
    for (let i = 0; i < n; i++) {
      softmaxRow(raw, i * k, k, p);
      for (let c = 0; c < k; c++) {
        grad[c][i] = p[c] - (train.labels[i] === c ? 1 : 0);
        hess[c][i] = p[c] * (1 - p[c]);
      }
    }
    const round: Tree[] = [];
    for (let c = 0; c < k; c++) {
      const { tree, leaves } = growTree(ws, grad[c], hess[c], params);
      for (const leaf of leaves) {
        const v = tree.value[leaf.node];
        for (let j = leaf.start; j < leaf.end; j++) raw[ws.order[j] * k + c] += v;
      }
      for (let i = 0; i < validation.labels.length; i++) {
        validRaw[i * k + c] += treeValue(tree, validBins, columns, i);
      }
      round.push(tree);
    }
    trees.push(round);
    const loss = logLoss(validRaw, validation.labels, k);
    losses.push(loss);
    if (loss < losses[best] - o.tolerance) best = it;
    o.onIteration?.(it, loss);
    yield it;
  }
  return { classes: k, bins, initial, trees: trees.slice(0, best), validationLoss: losses, iterations: best };
}

/** Class probabilities [rows, classes] of the rows of `x`. */
export function predictGbdt(m: GbdtModel, x: Float32Array): Float32Array {
  const k = m.classes, columns = m.bins.columns;
  const binned = applyQuantileBins(m.bins, x);
  const rows = x.length / columns;
  const raw = new Float64Array(rows * k);
  const p = new Float64Array(k);
  const out = new Float32Array(rows * k);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < k; c++) raw[i * k + c] = m.initial[c];
    for (const round of m.trees) {
      for (let c = 0; c < k; c++) raw[i * k + c] += treeValue(round[c], binned, columns, i);
    }
    softmaxRow(raw, i * k, k, p);
    out.set(p, i * k);
  }
  return out;
}

/** `opts` without the keys whose value is undefined. */
function definedOnly<T extends object>(opts: T): Partial<T> {
  return Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as Partial<T>;
}
