/**
 * The training objective: class-weighted cross-entropy on the logits (optionally with label smoothing) plus
 * `regressionWeight` × MSE on the standardised return, plus `auxiliaryWeight` × the MSE of each auxiliary
 * target (volatility-scaled return, log volatility ratio) when the model has the auxiliary head. With a teacher
 * (distillation), the class target mixes its probabilities into the label. Also the same loss computed in plain
 * JS from model outputs, for validation, where smoothing and teacher are left out so val_loss measures the real
 * fit.
 */
import * as tf from "@tensorflow/tfjs";
import type { ClassVector } from "../data/index.ts";

export interface LossOptions {
  readonly classWeights: ClassVector;
  readonly labelSmoothing: number;
  /** α of distillation: the class target is (1 − α)·(smoothed) label + α·teacher, where a teacher is given. */
  readonly distillWeight?: number;
  readonly regressionWeight: number;
  /** Weight of each auxiliary target's MSE (0: the auxiliary head is not trained); the loop shares it by horizon. */
  readonly auxiliaryWeight?: number;
}

export interface LossTensors {
  readonly total: tf.Scalar;
  readonly crossEntropy: tf.Scalar;
  readonly mse: tf.Scalar;
}

/** The auxiliary head's output and its targets, both [b, AUX_TARGETS]. */
export interface AuxiliaryTerm {
  readonly output: tf.Tensor;
  readonly target: tf.Tensor;
}

/** `labels` int32 [b]; `target` float32 [b]; `logits` [b, 3]; `regression` [b, 1]. */
export function lossTensors(
  logits: tf.Tensor,
  regression: tf.Tensor,
  labels: tf.Tensor1D,
  target: tf.Tensor1D,
  opts: LossOptions,
  auxiliary?: AuxiliaryTerm,
  teacher?: tf.Tensor,
): LossTensors {
  const eps = opts.labelSmoothing, alpha = opts.distillWeight ?? 0;
  const oneHot = tf.oneHot(labels, 3).toFloat();
  const smoothed = eps > 0 ? tf.add(tf.mul(oneHot, 1 - eps), eps / 3) : oneHot;
  const soft = teacher && alpha > 0 ? tf.add(tf.mul(smoothed, 1 - alpha), tf.mul(teacher, alpha)) : smoothed;
  const perWindow = tf.neg(tf.sum(tf.mul(soft, tf.logSoftmax(logits)), 1));
  const weights = tf.gather(tf.tensor1d(opts.classWeights), labels);
  const crossEntropy = tf.mean(tf.mul(perWindow, weights)) as tf.Scalar;
  const mse = tf.mean(tf.square(tf.sub(tf.reshape(regression, [-1]), target))) as tf.Scalar;
  let total = tf.add(crossEntropy, tf.mul(mse, opts.regressionWeight)) as tf.Scalar;
  const auxWeight = opts.auxiliaryWeight ?? 0;
  if (auxiliary && auxWeight > 0) {
    // Sum over targets, mean over windows: each target carries `auxiliaryWeight`.
    const auxSquares = tf.sum(tf.square(tf.sub(auxiliary.output, auxiliary.target)), 1);
    total = tf.add(total, tf.mul(tf.mean(auxSquares), auxWeight)) as tf.Scalar;
  }
  return { total, crossEntropy, mse };
}

/** Sums of the unsmoothed loss terms over a batch, from logits and regression outputs already in JS. */
export function lossSums(
  logits: Float32Array,
  regression: Float32Array,
  labels: Int8Array,
  target: Float32Array,
  classWeights: ClassVector,
): { crossEntropy: number; squaredError: number } {
  let crossEntropy = 0, squaredError = 0;
  for (let i = 0; i < labels.length; i++) {
    const o = i * 3;
    const max = Math.max(logits[o], logits[o + 1], logits[o + 2]);
    const logSum = max +
      Math.log(Math.exp(logits[o] - max) + Math.exp(logits[o + 1] - max) + Math.exp(logits[o + 2] - max));
    crossEntropy += classWeights[labels[i]] * (logSum - logits[o + labels[i]]);
    squaredError += (regression[i] - target[i]) ** 2;
  }
  return { crossEntropy, squaredError };
}
