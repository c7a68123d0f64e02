/** Types and helpers the custom layers share. */
import * as tf from "@tensorflow/tfjs";

/** tfjs's own LayerArgs (name, trainable, inputShape, …), which it does not export by name. */
export type BaseLayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
/** What `call` receives besides its inputs; `training: true` switches dropout on. */
export type Kwargs = Record<string, unknown>;

/** Deterministic per-weight seeds derived from a layer's seed, so one model seed fixes every initial weight. */
export function weightSeed(seed: number | undefined, index: number): number | undefined {
  return seed === undefined ? undefined : seed * 16 + index;
}

/** One tensor from a call's inputs, naming the layer when it got a list. */
export function single(inputs: tf.Tensor | tf.Tensor[], layer: string): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new Error(`${layer} takes one input, got ${inputs.length}`);
    return inputs[0];
  }
  return inputs;
}

/** `product` of x's rows [rows, in] and a kernel [in, out], reshaped back to x's leading axes: [..., out]. */
function onRows(
  x: tf.Tensor,
  kernel: tf.Tensor,
  product: (rows: tf.Tensor2D) => tf.Tensor,
): tf.Tensor {
  const rows = tf.reshape(x, [-1, x.shape[x.shape.length - 1]]) as tf.Tensor2D;
  return tf.reshape(product(rows), [...x.shape.slice(0, -1), kernel.shape[1]!]);
}

/** x [..., in] · kernel [in, out] + bias, as one 2-D matmul (the shape XNNPACK is fast on). */
export function dense(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | null): tf.Tensor {
  return onRows(
    x,
    kernel,
    (rows) => tf.fused.matMul({ a: rows, b: kernel as tf.Tensor2D, bias: bias ?? undefined }),
  );
}

/**
 * `dense` for an input that no trainable weight precedes (a model's own input channels), with the gradient
 * taken for the kernel and bias only. The same forward kernel; but tfjs's fused matMul computes the gradient of
 * every operand at once (it is a `customGrad`), so the input's, [rows, out]·[in, out]ᵀ, was computed and thrown
 * away: ~4 % of a lightweight_lstm training step (bench/RESULTS.md). Only for inputs that are data: an earlier
 * layer's weights would get no gradient through this product.
 *
 * @example
 * ```ts
 * const xs = denseOnData(input, kernel, bias); // tf.variableGrads reaches kernel and bias, never input
 * ```
 */
export function denseOnData(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  return onRows(x, kernel, (rows) => {
    const product = tf.customGrad((k, b, save) => {
      (save as tf.GradSaveFunc)([rows]);
      return {
        value: tf.fused.matMul({ a: rows, b: k as tf.Tensor2D, bias: b as tf.Tensor }),
        gradFunc: (dy: tf.Tensor, [a]: tf.Tensor[]) => [
          tf.matMul(a as tf.Tensor2D, dy as tf.Tensor2D, true, false),
          tf.sum(dy, 0),
        ],
      };
    });
    return product(kernel, bias);
  });
}
