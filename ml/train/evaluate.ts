/**
 * Scores a model on a window set without training behaviour (no dropout): the unsmoothed loss the early
 * stopping watches, and the full metrics with returns de-standardised to fractions.
 */
import * as tf from "@tensorflow/tfjs";
import { FEATURE_COUNT } from "../../features/index.ts";
import { eventLoopTurns } from "../../base/index.ts";
import {
  type ClassVector,
  type LabelledSet,
  modelBatches,
  type Scaling,
  type WindowShape,
} from "../data/index.ts";
import { type Metrics, MetricsAccumulator, softmaxRows } from "../metrics/index.ts";
import { forward } from "./forward.ts";
import { lossSums } from "./loss.ts";
import { decideClasses, type DecisionRule } from "../../engine/index.ts";

export interface EvaluationOptions {
  readonly classWeights: ClassVector;
  readonly regressionWeight: number;
  readonly batchSize: number;
  /** Softmax temperature for the probabilities (the loss always uses the raw logits). */
  readonly temperature?: number;
  /** Also return the raw logits [n × 3] in `order`'s order (calibration during training needs them). */
  readonly keepLogits?: boolean;
  /** Also score the classes this rule names (what serve answers), beside argmax's. */
  readonly decision?: { readonly rule: DecisionRule; readonly priors: readonly number[] };
  /** Called after each batch with the batches done and their total (a long scoring pass is not silent). */
  readonly progress?: (done: number, total: number) => void;
  /**
   * A served blend (`train --blend-boosting`): the metrics score softmax(ln(`weight` × the model's
   * probabilities (at `temperature`) + (1 − weight) × `probabilities`) ÷ the blend's `temperature`), the other
   * learner's `probabilities` given for every window of the set in the set's order ([set.size × 3]); `network`
   * then holds the model's own. The loss stays the model's.
   */
  readonly blend?: Mix;
  /**
   * Also the predicted returns' rank correlation with the true ones (`return_rank_correlation`), which keeps
   * every window's pair of returns: the test split's scoring asks, an epoch's validation pass has no use for it.
   */
  readonly rankCorrelation?: boolean;
}

export interface Evaluation {
  readonly loss: number;
  readonly crossEntropy: number;
  readonly mse: number;
  readonly metrics: Metrics;
  /** The metrics with `decision`'s classes instead of argmax's (log-loss and the rest are the same). */
  readonly served?: Metrics;
  /** With `blend`: the model's own probabilities' metrics (argmax), beside the blend's in `metrics`. */
  readonly network?: Metrics;
  readonly logits?: Float32Array;
  readonly labels?: Int8Array;
}

/**
 * Scores `model` (dropout off) on the windows of `set` that `order` picks: the loss of the raw logits, and
 * the metrics of the probabilities at `opts.temperature` with returns back in fractions.
 */
export async function evaluateModel(
  model: tf.LayersModel,
  set: LabelledSet,
  order: Int32Array,
  shape: WindowShape,
  scaling: Scaling,
  opts: EvaluationOptions,
): Promise<Evaluation> {
  const kept = { rankCorrelation: opts.rankCorrelation };
  const acc = new MetricsAccumulator(kept);
  const served = opts.decision ? new MetricsAccumulator(kept) : undefined;
  const blend = opts.blend;
  if (blend && blend.probabilities.length !== set.size * 3) {
    throw new RangeError(`blend: ${set.size} windows need ${set.size * 3} probabilities`);
  }
  const network = blend ? new MetricsAccumulator(kept) : undefined;
  let crossEntropy = 0, squaredError = 0, n = 0;
  const keptLogits = opts.keepLogits ? new Float32Array(order.length * 3) : undefined;
  const keptLabels = opts.keepLogits ? new Int8Array(order.length) : undefined;
  let batches = 0;
  const totalBatches = Math.ceil(order.length / opts.batchSize);
  const turn = eventLoopTurns(); // a second Ctrl-C is heard during a long pass (see eventLoopTurns)
  for (const batch of modelBatches(set, order, opts.batchSize, shape, scaling)) {
    const [logits, regression] = tf.tidy(() => {
      const x = tf.tensor3d(batch.x, [batch.size, shape.lookback, FEATURE_COUNT]);
      const out = forward(model, x, false);
      return [out.logits, out.regression];
    });
    const l = await logits.data() as Float32Array, r = await regression.data() as Float32Array;
    tf.dispose([logits, regression]);
    keptLogits?.set(l, n * 3);
    keptLabels?.set(batch.labels, n);
    const sums = lossSums(l, r, batch.labels, batch.target, opts.classWeights);
    crossEntropy += sums.crossEntropy;
    squaredError += sums.squaredError;
    n += batch.size;
    const { mean, std } = scaling.returnScale;
    const predictedReturns = Float64Array.from(r, (z) => z * std + mean);
    const own = softmaxRows(l, opts.temperature ?? 1);
    const probabilities = blend ? blended(own, blend, batch.picks) : own;
    network?.add(batch.labels, own, batch.returns, predictedReturns);
    acc.add(batch.labels, probabilities, batch.returns, predictedReturns);
    if (served && opts.decision) {
      const classes = decideClasses(probabilities, opts.decision.rule, opts.decision.priors);
      served.add(batch.labels, probabilities, batch.returns, predictedReturns, classes);
    }
    opts.progress?.(++batches, totalBatches);
    await turn();
  }
  const mse = squaredError / n;
  return {
    loss: crossEntropy / n + opts.regressionWeight * mse,
    crossEntropy: crossEntropy / n,
    mse,
    metrics: acc.result(),
    served: served?.result(),
    network: network?.result(),
    logits: keptLogits,
    labels: keptLabels,
  };
}

/** What a blend mixes into a model's probabilities, and its own temperature. */
export interface Mix {
  readonly weight: number;
  readonly temperature: number;
  /** The other learner's probabilities for every window of the set, in the set's order ([set.size × 3]). */
  readonly probabilities: Float32Array;
}

/**
 * softmax(ln(weight × `own` + (1 − weight) × the other learner's rows at `rows`) ÷ temperature): the calibrated
 * blend of the windows `rows` of the set (`own`'s rows in that order).
 */
export function blended(own: Float32Array, mix: Mix, rows: ArrayLike<number>): Float32Array {
  const logs = new Float32Array(own.length), w = mix.weight;
  for (let b = 0; b < rows.length; b++) {
    for (let c = 0; c < 3; c++) {
      logs[b * 3 + c] = Math.log(w * own[b * 3 + c] + (1 - w) * mix.probabilities[rows[b] * 3 + c]);
    }
  }
  return softmaxRows(logs, mix.temperature);
}
