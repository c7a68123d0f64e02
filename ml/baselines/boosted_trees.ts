/**
 * A fitted gradient-boosting baseline in the form a served blend stores and exports (boosting.json, and the
 * ai.onnx.ml TreeEnsembleRegressor inside model.onnx): trees that split on raw feature values instead of
 * quantile bins, so no binning step has to travel with them, plus the calibration temperature and the class
 * mean returns. The conversion is exact: `predictBoostedTrees` equals `predictGbdt` for every float32 input,
 * NaN included (the thresholds are float32 values chosen so that `x ≤ threshold` sends each value where the
 * bins send it).
 */
import { z } from "zod";
import { FEATURE_COUNT } from "../../features/index.ts";
import type { GradientBoostingModel } from "./gradient_boosting.ts";
import type { Tree } from "./histogram_tree.ts";

/** One regression tree; node 0 is the root, a leaf has feature −1, and a row goes left when x ≤ threshold. */
export interface BoostedTree {
  /** The class whose raw score this tree's leaves add to. */
  readonly class: number;
  /** Column of the lagged features ([lag 0's 35, lag 1's 35, …]) or −1 for a leaf. */
  readonly feature: readonly number[];
  /** A float32 value (exact in ONNX's float attributes); 0 for a leaf. NaN goes left. */
  readonly threshold: readonly number[];
  /** Child node indices, always after their parent; −1 for a leaf. */
  readonly left: readonly number[];
  readonly right: readonly number[];
  /** A leaf's addition to its class's raw score; 0 for a branch. */
  readonly value: readonly number[];
}

/** A served blend's trees: class probabilities softmax((initial + Σ leaves) / temperature). */
export interface BoostedTrees {
  /** Candles before the last whose 35 features are columns, in column order (`GBDT_LAGS`). */
  readonly lags: readonly number[];
  /** 35 × lags.length. */
  readonly columns: number;
  readonly classes: 3;
  /** Raw score of each class before any tree (the log class priors). */
  readonly initial: readonly number[];
  /** Calibration temperature the raw scores are divided by (1: boosting's own probabilities). */
  readonly temperature: number;
  /** Mean forward return of each class on the training windows. */
  readonly classMeanReturn: readonly number[];
  readonly trees: readonly BoostedTree[];
}

const CLASSES = 3;

/**
 * The largest float32 ≤ t. The bins send x left when x ≤ t compared in float64; every input is a float32, so
 * x ≤ t ⇔ x ≤ this value, and the comparison stays exact in ONNX Runtime's float32 arithmetic.
 */
export function float32AtMost(t: number): number {
  const r = Math.fround(t);
  if (r <= t) return r;
  // Rounded up: step one ulp down (towards −∞) through the bit pattern.
  const bits = new Float32Array([r]), word = new Int32Array(bits.buffer);
  if (r > 0) word[0]--;
  else if (r === 0) word[0] = 0x80000001; // −0 → the smallest negative subnormal
  else word[0]++;
  return bits[0];
}

/** One binned tree as raw-threshold nodes in preorder (children after their parent). */
function convertTree(tree: Tree, thresholds: readonly Float64Array[], cls: number): BoostedTree {
  const feature: number[] = [], threshold: number[] = [], left: number[] = [], right: number[] = [];
  const value: number[] = [];
  const emit = (node: number): number => {
    const f = tree.feature[node];
    if (f !== -1) {
      const t = thresholds[f], b = tree.bin[node];
      // bin ≤ b for every value (b at or past the last threshold, or a threshold of +∞): the split sends every
      // row left, so the left subtree stands in for it (no infinite threshold, which JSON cannot hold).
      if (b >= t.length || t[b] === Infinity) return emit(tree.left[node]);
      if (!(t[b] > -Infinity)) {
        throw new RangeError(
          `gradient boosting split feature ${f} at ${t[b]}: only infinite training features give that, ` +
            "and the readers refuse them",
        );
      }
    }
    const id = feature.length;
    feature.push(f), threshold.push(0), left.push(-1), right.push(-1), value.push(0);
    if (f === -1) {
      value[id] = tree.value[node];
    } else {
      threshold[id] = float32AtMost(thresholds[f][tree.bin[node]]);
      left[id] = emit(tree.left[node]);
      right[id] = emit(tree.right[node]);
    }
    return id;
  };
  emit(0);
  return { class: cls, feature, threshold, left, right, value };
}

/** The bin-free form of a fitted gradient-boosting baseline, with its calibration temperature. */
export function boostedTrees(model: GradientBoostingModel, temperature: number): BoostedTrees {
  const { gbdt, lags } = model;
  if (gbdt.classes !== CLASSES) {
    throw new RangeError(`gradient boosting has ${gbdt.classes} classes, a served blend needs ${CLASSES}`);
  }
  if (gbdt.bins.columns !== FEATURE_COUNT * lags.length) {
    throw new RangeError(
      `gradient boosting reads ${gbdt.bins.columns} columns, ${FEATURE_COUNT} × ${lags.length} lags expected`,
    );
  }
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new RangeError(`the temperature must be a positive number, got ${temperature}`);
  }
  return {
    lags: [...lags],
    columns: gbdt.bins.columns,
    classes: CLASSES,
    initial: [...gbdt.initial],
    temperature,
    classMeanReturn: [...model.classMeanReturn],
    trees: gbdt.trees.flatMap((round) => round.map((t, c) => convertTree(t, gbdt.bins.thresholds, c))),
  };
}

/** Class probabilities [rows, 3] of `x` ([rows, columns], lagged as `lagWindows` gives them). */
export function predictBoostedTrees(t: BoostedTrees, x: Float32Array): Float32Array {
  const k = t.classes, columns = t.columns;
  if (x.length % columns !== 0) {
    throw new RangeError(`expected rows of ${columns} values, got ${x.length} values`);
  }
  const rows = x.length / columns;
  const out = new Float32Array(rows * k), raw = new Float64Array(k);
  for (let i = 0; i < rows; i++) {
    const o = i * columns;
    raw.set(t.initial);
    for (const tree of t.trees) {
      let n = 0;
      while (tree.feature[n] !== -1) {
        const v = x[o + tree.feature[n]];
        // NaN goes left, as it falls in bin 0 when binned.
        n = Number.isNaN(v) || v <= tree.threshold[n] ? tree.left[n] : tree.right[n];
      }
      raw[tree.class] += tree.value[n];
    }
    let max = -Infinity, sum = 0;
    for (let c = 0; c < k; c++) max = Math.max(max, raw[c] / t.temperature);
    for (let c = 0; c < k; c++) sum += raw[c] = Math.exp(raw[c] / t.temperature - max);
    for (let c = 0; c < k; c++) out[i * k + c] = raw[c] / sum;
  }
  return out;
}

/**
 * The trees' input rows of windows [count, lookback, 35] (unscaled, as model.onnx takes them): each lag's
 * candle's 35 features in turn, a lag past the window's first candle taking the first (as `laggedCandles`).
 */
export function lagWindows(windows: Float32Array, lookback: number, lags: readonly number[]): Float32Array {
  const stride = lookback * FEATURE_COUNT, columns = FEATURE_COUNT * lags.length;
  if (windows.length % stride !== 0) {
    throw new RangeError(`expected windows of ${lookback} × ${FEATURE_COUNT} values, got ${windows.length}`);
  }
  const count = windows.length / stride;
  const out = new Float32Array(count * columns);
  for (let b = 0; b < count; b++) {
    lags.forEach((lag, l) => {
      const from = b * stride + lagRow(lag, lookback) * FEATURE_COUNT;
      out.set(windows.subarray(from, from + FEATURE_COUNT), b * columns + l * FEATURE_COUNT);
    });
  }
  return out;
}

/** The time row of a window of `lookback` candles that lag `lag` reads (its first candle when past it). */
export function lagRow(lag: number, lookback: number): number {
  return lookback - 1 - Math.min(lag, lookback - 1);
}

const finiteList = z.array(z.number());

const BoostedTreeSchema = z.object({
  class: z.number().int().min(0).max(CLASSES - 1),
  feature: z.array(z.number().int().min(-1)).min(1),
  threshold: finiteList,
  left: z.array(z.number().int()),
  right: z.array(z.number().int()),
  value: finiteList,
}).superRefine((t, ctx) => {
  const n = t.feature.length;
  for (const key of ["threshold", "left", "right", "value"] as const) {
    if (t[key].length !== n) {
      ctx.addIssue({ code: "custom", path: [key], message: `has ${t[key].length} nodes, feature has ${n}` });
    }
  }
  for (let i = 0; i < n; i++) {
    if (t.feature[i] === -1) continue;
    // Children after their parent: a walk from the root always ends (no cycle, no self-reference).
    for (const key of ["left", "right"] as const) {
      const c = t[key][i];
      if (!(c > i && c < n)) {
        ctx.addIssue({ code: "custom", path: [key, i], message: `${c} is not a node after ${i} (of ${n})` });
      }
    }
    const th = t.threshold[i];
    if (th !== undefined && Math.fround(th) !== th) {
      // ONNX stores thresholds as float32: another value would split elsewhere than this file says.
      ctx.addIssue({ code: "custom", path: ["threshold", i], message: `${th} is not a float32 value` });
    }
  }
});

/** boosting.json's shape: the fields of `BoostedTrees`, checked for a walk that stays inside every tree. */
export const BoostedTreesSchema = z.object({
  lags: z.array(z.number().int().min(0)).min(1),
  columns: z.number().int().positive(),
  classes: z.literal(CLASSES),
  initial: z.array(z.number()).length(CLASSES),
  temperature: z.number().positive(),
  classMeanReturn: z.array(z.number()).length(CLASSES),
  trees: z.array(BoostedTreeSchema),
}).superRefine((t, ctx) => {
  if (t.columns !== FEATURE_COUNT * t.lags.length) {
    ctx.addIssue({
      code: "custom",
      path: ["columns"],
      message: `is ${t.columns}, ${FEATURE_COUNT} × ${t.lags.length} lags = ${FEATURE_COUNT * t.lags.length}`,
    });
  }
  t.trees.forEach((tree, i) => {
    const j = tree.feature.findIndex((f) => f >= t.columns);
    if (j >= 0) {
      ctx.addIssue({
        code: "custom",
        path: ["trees", i, "feature", j],
        message: `${tree.feature[j]} is not one of the ${t.columns} columns`,
      });
    }
  });
});

/** Parses boosting.json (`source` names it in the error), refusing trees a walk could leave or loop in. */
export function parseBoostedTrees(value: unknown, source = "boosting.json"): BoostedTrees {
  const result = BoostedTreesSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${source}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return result.data;
}
