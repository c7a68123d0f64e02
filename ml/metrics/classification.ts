/**
 * Metrics of SPEC/issue #4 for three-class probabilistic predictions plus the return regression, accumulated
 * batch by batch so evaluating 44k windows never holds them all (the returns' rank correlation, which needs
 * every value, only when asked for).
 */
import { CLASSES } from "../../features/index.ts";
import { spearman } from "./rank_correlation.ts";

export interface ClassScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Windows whose true class this is. */
  readonly support: number;
}

export interface Metrics {
  readonly windows: number;
  readonly accuracy: number;
  readonly macro_f1: number;
  readonly per_class: Readonly<Record<string, ClassScores>>;
  /** confusion[true][predicted], class order DOWN, SIDEWAYS, UP. */
  readonly confusion_matrix: readonly (readonly number[])[];
  /** Share of windows predicted as each class (a collapsed model predicts one class ~100 %). */
  readonly predicted_share: Readonly<Record<string, number>>;
  /** Mean −ln p(true class), probabilities floored at 1e-7. */
  readonly log_loss: number;
  /** Mean Σ_k (p_k − y_k)², 0 … 2. */
  readonly brier: number;
  /** Mean |predicted − true forward return|, as a fraction. */
  readonly regression_mae: number;
  /** Share of windows where the predicted return has the true return's sign (zero counts as its own sign). */
  readonly sign_accuracy: number;
  /**
   * Mean |true forward return|: the return MAE of predicting no change (0) on the same windows, the yardstick
   * `regression_mae` must beat (the model's return head did not, out of time: bench/RESULTS.md).
   */
  readonly no_change_mae: number;
  /**
   * Spearman rank correlation of the predicted with the true return (ties at their mean rank), −1 … 1: whether a
   * higher prediction goes with a higher return. NaN (null in JSON) where undefined, e.g. a constant prediction;
   * absent where the accumulator was not asked to keep the returns (`rankCorrelation`).
   */
  readonly return_rank_correlation?: number;
}

const K = CLASSES.length;
/**
 * The probability every reported log-loss floors the realised class's at (train, evaluate and its bootstrap,
 * monitor), so one confident miss costs −ln 1e-7 ≈ 16.1 rather than infinity, and the same predictions score
 * the same wherever they are scored.
 */
export const LOG_LOSS_FLOOR = 1e-7;

/** Precision, recall and F1 of one class from counts (each 0 where its denominator is). */
export function classScores(
  truePositives: number,
  named: number,
  realised: number,
): { precision: number; recall: number; f1: number } {
  const precision = named > 0 ? truePositives / named : 0;
  const recall = realised > 0 ? truePositives / realised : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

/**
 * Macro-F1 of a 3 × 3 confusion held row-major, row = the realised class, column = the class named: the mean of
 * the classes' F1, a class never named nor realised scoring 0.
 *
 * @example
 * ```ts
 * macroF1([5, 0, 0, 0, 5, 0, 0, 0, 5]); // 1
 * ```
 */
export function macroF1(confusion: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < K; k++) {
    let realised = 0, named = 0;
    for (let j = 0; j < K; j++) {
      realised += confusion[k * K + j];
      named += confusion[j * K + k];
    }
    sum += classScores(confusion[k * K + k], named, realised).f1;
  }
  return sum / K;
}

/** Argmax of one probability row; ties go to the lower class index. */
export function argmax3(p: ArrayLike<number>, offset = 0): number {
  let best = 0;
  for (let k = 1; k < K; k++) if (p[offset + k] > p[offset + best]) best = k;
  return best;
}

/**
 * The metrics of predictions added batch by batch (`add`), read once all are in (`result`, which throws when
 * none were added). Every sum is a counter, so memory does not grow with the windows (monitor keeps one per
 * day and version over a whole log), except with `rankCorrelation`: a rank correlation needs every pair of
 * returns, 16 bytes a window, which those scoring a bounded set ask for (train's test split, ~44k windows;
 * evaluate and the baselines, which hold their predictions anyway, through `computeMetrics`).
 */
export class MetricsAccumulator {
  readonly #confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  #n = 0;
  #logLoss = 0;
  #brier = 0;
  #absError = 0;
  #absTrue = 0;
  #signHits = 0;
  /** The returns kept for the rank correlation (predicted, true); null when not asked. */
  readonly #kept: { predicted: number[]; realised: number[] } | null;

  constructor(opts: { readonly rankCorrelation?: boolean } = {}) {
    this.#kept = opts.rankCorrelation ? { predicted: [], realised: [] } : null;
  }

  /**
   * `probabilities` is [n, 3] row-major; `predictedReturns`/`trueReturns` are return fractions. The predicted
   * class is the argmax unless `predictedClasses` says otherwise (a rule-based baseline whose probabilities
   * are only its calibration).
   */
  add(
    labels: ArrayLike<number>,
    probabilities: ArrayLike<number>,
    trueReturns: ArrayLike<number>,
    predictedReturns: ArrayLike<number>,
    predictedClasses?: ArrayLike<number>,
  ): void {
    for (let i = 0; i < labels.length; i++) {
      const y = labels[i];
      const o = i * K;
      this.#confusion[y][predictedClasses ? predictedClasses[i] : argmax3(probabilities, o)]++;
      this.#logLoss -= Math.log(Math.max(probabilities[o + y], LOG_LOSS_FLOOR));
      for (let k = 0; k < K; k++) this.#brier += (probabilities[o + k] - (k === y ? 1 : 0)) ** 2;
      this.#absError += Math.abs(predictedReturns[i] - trueReturns[i]);
      this.#absTrue += Math.abs(trueReturns[i]);
      if (Math.sign(predictedReturns[i]) === Math.sign(trueReturns[i])) this.#signHits++;
      this.#kept?.predicted.push(predictedReturns[i]);
      this.#kept?.realised.push(trueReturns[i]);
    }
    this.#n += labels.length;
  }

  result(): Metrics {
    const n = this.#n;
    if (n === 0) throw new Error("no windows were evaluated");
    const c = this.#confusion;
    const perClass: Record<string, ClassScores> = {};
    const predictedShare: Record<string, number> = {};
    let correct = 0, f1Sum = 0;
    for (let k = 0; k < K; k++) {
      const tp = c[k][k];
      const support = c[k].reduce((a, b) => a + b, 0);
      const predicted = c.reduce((a, row) => a + row[k], 0);
      const { precision, recall, f1 } = classScores(tp, predicted, support);
      perClass[CLASSES[k]] = { precision, recall, f1, support };
      predictedShare[CLASSES[k]] = predicted / n;
      correct += tp;
      f1Sum += f1;
    }
    return {
      windows: n,
      accuracy: correct / n,
      macro_f1: f1Sum / K,
      per_class: perClass,
      confusion_matrix: c.map((row) => [...row]),
      predicted_share: predictedShare,
      log_loss: this.#logLoss / n,
      brier: this.#brier / n,
      regression_mae: this.#absError / n,
      sign_accuracy: this.#signHits / n,
      no_change_mae: this.#absTrue / n,
      ...(this.#kept
        ? {
          return_rank_correlation: spearman(this.#kept.predicted, this.#kept.realised),
        }
        : {}),
    };
  }
}

/** Metrics of a whole set of predictions at once, the returns' rank correlation included. */
export function computeMetrics(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  trueReturns: ArrayLike<number>,
  predictedReturns: ArrayLike<number>,
  predictedClasses?: ArrayLike<number>,
): Metrics {
  const acc = new MetricsAccumulator({ rankCorrelation: true });
  acc.add(labels, probabilities, trueReturns, predictedReturns, predictedClasses);
  return acc.result();
}

/** Softmax of [n, 3] logits divided by `temperature`, row by row. */
export function softmaxRows(logits: ArrayLike<number>, temperature = 1): Float32Array {
  const out = new Float32Array(logits.length);
  for (let o = 0; o < logits.length; o += K) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, logits[o + k] / temperature);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += out[o + k] = Math.exp(logits[o + k] / temperature - max);
    for (let k = 0; k < K; k++) out[o + k] /= sum;
  }
  return out;
}
