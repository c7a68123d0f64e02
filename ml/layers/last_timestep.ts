/**
 * The last timestep of a sequence: [b, T, d] → [b, d]. The hybrid's heads read it beside the attention-pooled
 * summary (`headInput: "pooled_last"`): the label is about the next candles after the LAST one, and attention
 * pooling has to learn to find that timestep among T, where a skip hands it over directly. No weights.
 */
import * as tf from "@tensorflow/tfjs";
import { type BaseLayerArgs, type Kwargs, single } from "./common.ts";

export class LastTimestep extends tf.layers.Layer {
  static className = "LastTimestep";

  constructor(args: BaseLayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== 3) throw new Error(`${this.name}: expects [batch, steps, features], got [${shape}]`);
    return [shape[0], shape[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs, this.name);
      const [b, t, d] = x.shape;
      return tf.reshape(tf.slice(x, [0, t - 1, 0], [b, 1, d]), [b, d]);
    });
  }
}
