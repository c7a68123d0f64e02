/**
 * One batch's gradients: forward in training mode, the training loss, gradients of every trainable variable,
 * read back as plain arrays. The one place the step's arithmetic lives: the training loop, its data-parallel
 * replicas (`data_parallel.ts`) and `bench:train` all call it.
 */
import * as tf from "@tensorflow/tfjs";
import { FEATURE_COUNT } from "../../features/index.ts";
import { withBatchRowOffset } from "../layers/index.ts";
import { forward } from "./forward.ts";
import { type LossOptions, lossTensors } from "./loss.ts";

/** A batch (or rows of one) as plain arrays: what crosses to a replica. */
export interface BatchPart {
  readonly size: number;
  /** [size, lookback, 35], scaled and clipped. */
  readonly x: Float32Array;
  readonly labels: ArrayLike<number>;
  /** The standardised forward return. */
  readonly target: Float32Array;
  /** [size, auxiliaryWidth] auxiliary targets, when the model trains an auxiliary head. */
  readonly auxiliary?: Float32Array;
  /** [size, 3] the teacher's class probabilities, when training distils (`LossOptions.distillWeight`). */
  readonly teacher?: Float32Array;
}

export interface PartGradients {
  /** The part's mean training loss. */
  readonly loss: number;
  /** Windows whose argmax class is the label. */
  readonly hits: number;
  /** d(mean loss)/d(variable), in the variables' order. */
  readonly grads: Float32Array[];
}

/** Rows `start` … `end − 1` of `batch`, copied (a view would carry its whole buffer to a worker). */
export function batchRows(batch: BatchPart, start: number, end: number, lookback: number): BatchPart {
  const row = lookback * FEATURE_COUNT;
  const width = batch.auxiliary ? batch.auxiliary.length / batch.size : 0;
  return {
    size: end - start,
    x: batch.x.slice(start * row, end * row),
    labels: Array.prototype.slice.call(batch.labels, start, end) as number[],
    target: batch.target.slice(start, end),
    auxiliary: batch.auxiliary?.slice(start * width, end * width),
    teacher: batch.teacher?.slice(start * 3, end * 3),
  };
}

/**
 * Gradients of the mean loss over `part` (rows `rowOffset` … of the whole batch: dropout draws those rows'
 * masks). `loss.auxiliaryWeight` is each auxiliary target's weight, as `lossTensors` takes it.
 */
export function batchGradients(
  trainer: tf.LayersModel,
  variables: readonly tf.Variable[],
  part: BatchPart,
  lookback: number,
  loss: LossOptions,
  rowOffset = 0,
): PartGradients {
  let hits: tf.Tensor | null = null;
  const { value, grads } = withBatchRowOffset(rowOffset, () =>
    tf.variableGrads(() => {
      const x = tf.tensor3d(part.x, [part.size, lookback, FEATURE_COUNT]);
      const labels = tf.tensor1d(Int32Array.from(part.labels), "int32");
      const out = forward(trainer, x, true);
      hits = tf.keep(tf.sum(tf.equal(tf.argMax(out.logits, 1), labels).toInt()));
      const auxiliary = out.auxiliary && part.auxiliary
        ? {
          output: out.auxiliary,
          target: tf.tensor2d(part.auxiliary, out.auxiliary.shape as [number, number]),
        }
        : undefined;
      const target = tf.tensor1d(part.target);
      const teacher = part.teacher ? tf.tensor2d(part.teacher, [part.size, 3]) : undefined;
      return lossTensors(out.logits, out.regression, labels, target, loss, auxiliary, teacher).total;
    }, variables as tf.Variable[]));
  const result = {
    loss: value.dataSync()[0],
    hits: hits!.dataSync()[0],
    grads: variables.map((v) => Float32Array.from(grads[v.name].dataSync() as Float32Array)),
  };
  tf.dispose([value, hits!, ...Object.values(grads)]);
  return result;
}
