/**
 * Layer normalisation over the last axis, built from broadcasting ops: tfjs's own `layerNormalization` tiles
 * gamma/beta, and on wasm the Tile gradient emits one Slice+Add per repetition (thousands of kernels a step).
 * y = (x − mean) / sqrt(var + epsilon) · gamma + beta, with the biased variance (as PyTorch and ONNX).
 */
import * as tf from "@tensorflow/tfjs";
import { type BaseLayerArgs, type Kwargs, single } from "./common.ts";

export interface LayerNormArgs extends BaseLayerArgs {
  epsilon?: number;
}

export class LayerNorm extends tf.layers.Layer {
  static className = "LayerNorm";
  readonly epsilon: number;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;

  constructor(args: LayerNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-5;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape as tf.Shape;
    const dim = shape[shape.length - 1] as number;
    this.gamma = this.addWeight("gamma", [dim], "float32", tf.initializers.ones());
    this.beta = this.addWeight("beta", [dim], "float32", tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs, this.name);
      const axis = x.rank - 1;
      const centred = tf.sub(x, tf.mean(x, axis, true));
      const variance = tf.mean(tf.square(centred), axis, true);
      const normed = tf.mul(centred, tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(normed, this.gamma!.read()), this.beta!.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
