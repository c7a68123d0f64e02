/**
 * Which class a prediction names. Argmax of calibrated probabilities says SIDEWAYS almost always on real
 * candles (it is the commonest class and the model is rarely sure of a move); the prior-corrected rule divides
 * each probability by its class's training prior first, so a class is named when the model rates it above its
 * base rate. Pure and dependency-free so `serve`/`predict` can import it as well as `evaluate`.
 */

export const DECISION_RULES = ["argmax", "prior"] as const;
export type DecisionRule = typeof DECISION_RULES[number];

/**
 * The rule `train` stores in every version it writes: calibrated probabilities rarely make UP or DOWN the most
 * likely class, so argmax would name SIDEWAYS nearly always; the prior rule names the class the model rates
 * furthest above its base rate (bench/RESULTS.md § "Model quality, round 2").
 */
export const TRAINED_DECISION_RULE: DecisionRule = "prior";

/** What serve/predict accept: a rule, or `version` — the rule the model version was trained to be served with. */
export const DECISION_CHOICES = ["version", ...DECISION_RULES] as const;
export type DecisionChoice = typeof DECISION_CHOICES[number];

/** The rule a choice means for a version that stores `stored` (versions from before it was stored: argmax). */
export function effectiveRule(choice: DecisionChoice, stored: DecisionRule | undefined): DecisionRule {
  return choice === "version" ? stored ?? "argmax" : choice;
}

const K = 3;

/**
 * The class index chosen for one probability row (`offset` into a flat [n, 3] array). `priors` (training class
 * frequencies, summing to 1) is needed for `prior`; a class with prior 0 is never chosen by it. Ties go to the
 * lower class index for argmax; for `prior`, classes rated equally far above their priors (to 1e-6, e.g. a model
 * that outputs the priors themselves) fall back to the most probable of them, so no-information predictions
 * are not decided by float rounding.
 */
export function decideClass(
  probabilities: ArrayLike<number>,
  rule: DecisionRule,
  priors?: ArrayLike<number>,
  offset = 0,
): number {
  if (rule === "prior" && !priors) throw new Error("the prior decision rule needs the training class priors");
  const score = (k: number) => {
    const p = probabilities[offset + k];
    return rule === "argmax" ? p : priors![k] > 0 ? p / priors![k] : -Infinity;
  };
  let best = 0;
  for (let k = 1; k < K; k++) if (score(k) > score(best)) best = k;
  if (rule === "argmax") return best;
  const top = score(best);
  for (let k = 0; k < K; k++) {
    const tied = Math.abs(score(k) - top) <= 1e-6 * Math.abs(top);
    if (tied && probabilities[offset + k] > probabilities[offset + best]) best = k;
  }
  return best;
}

/** The chosen class of every row of [n, 3] probabilities. */
export function decideClasses(
  probabilities: ArrayLike<number>,
  rule: DecisionRule,
  priors?: ArrayLike<number>,
): Int8Array {
  const n = probabilities.length / K;
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) out[i] = decideClass(probabilities, rule, priors, i * K);
  return out;
}

/** Class frequencies of a label set (the priors the `prior` rule divides by). */
export function classPriors(labels: ArrayLike<number>): [number, number, number] {
  const counts: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  const n = Math.max(labels.length, 1);
  return [counts[0] / n, counts[1] / n, counts[2] / n];
}
