/**
 * Class weights for the cross-entropy, from the training split only. Rarer classes weigh more so the model
 * cannot settle on predicting the commonest class (the seed's model collapsed to a constant class).
 * Weights are normalised so that the expected weight of a training window is 1: the loss keeps its scale.
 */
import { CLASSES } from "../../features/index.ts";

/** The named class weightings (`--class-weights` also takes a power α); see `classWeights`. */
export const CLASS_WEIGHTINGS = ["balanced", "sqrt", "none"] as const;
/** A named rule, or the power α of w_c ∝ n_c^−α (balanced = 1, sqrt = 0.5, none = 0). */
export type ClassWeighting = typeof CLASS_WEIGHTINGS[number] | number;

const POWERS: Record<typeof CLASS_WEIGHTINGS[number], number> = { balanced: 1, sqrt: 0.5, none: 0 };
export type ClassVector = [number, number, number];

/** Windows per class, in class order DOWN, SIDEWAYS, UP. */
export function classCounts(labels: ArrayLike<number>): ClassVector {
  const counts: ClassVector = [0, 0, 0];
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

/**
 * `balanced`: n / (k · n_c), sklearn's rule (k = classes present); `sqrt`: a milder 1/√n_c; `none`: all 1.
 * Weighting distorts the probabilities (a weighted model over-predicts rare classes, which costs log-loss);
 * α trades that against collapsing onto the commonest class. A class absent from training gets weight 0.
 */
export function classWeights(counts: readonly number[], weighting: ClassWeighting): ClassVector {
  const n = counts.reduce((a, b) => a + b, 0);
  if (n === 0) throw new Error("cannot weigh classes of an empty training split");
  const power = typeof weighting === "number" ? weighting : POWERS[weighting];
  if (power === 0) return [1, 1, 1];
  const raw = counts.map((c) => c === 0 ? 0 : c ** -power);
  const expected = raw.reduce((sum, w, k) => sum + w * counts[k] / n, 0);
  return raw.map((w) => w / expected) as ClassVector;
}

/**
 * Class counts for the log, grouped as train's other counts are: "DOWN 40,828 (26.1%), SIDEWAYS 72,362 (46.3%),
 * UP 43,170 (27.6%)" (it printed "DOWN 40828" under "windows: train 156,360").
 */
export function describeCounts(counts: readonly number[]): string {
  const n = counts.reduce((a, b) => a + b, 0);
  return CLASSES.map((c, k) =>
    `${c} ${counts[k].toLocaleString("en-US")} (${(100 * counts[k] / Math.max(n, 1)).toFixed(1)}%)`
  ).join(", ");
}
