/**
 * Combines the members of an ensemble into the outputs one model would have, so the saved model, its ONNX
 * graph and serve see a single model. `probabilities` turns each member's class logits into probabilities,
 * averages them and returns their log — valid logits whose softmax is the averaged probability (temperature
 * scaling then applies to the ensemble as a whole); `values` is the plain mean (returns, attention weights).
 * Averaging probabilities of independently trained members is what took a small recurrent net past gradient
 * boosting on these labels; averaging logits instead would be a different, sharper model.
 */
import * as tf from "@tensorflow/tfjs";
import type { BaseLayerArgs, Kwargs } from "./common.ts";

export const ENSEMBLE_MODES = ["probabilities", "values"] as const;
export type EnsembleMode = typeof ENSEMBLE_MODES[number];

export interface EnsembleMeanArgs extends BaseLayerArgs {
  readonly mode: EnsembleMode;
}

export class EnsembleMean extends tf.layers.Layer {
  static className = "EnsembleMean";
  readonly mode: EnsembleMode;

  constructor(args: EnsembleMeanArgs) {
    super(args);
    if (!ENSEMBLE_MODES.includes(args.mode)) throw new Error(`EnsembleMean: unknown mode '${args.mode}'`);
    this.mode = args.mode;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    return tf.tidy(() => {
      if (this.mode === "values") return tf.div(tf.addN(list), list.length);
      // The same operations the ONNX graph runs (Softmax, Sum, Mul by 1/n, Log), so the two agree closely.
      return tf.log(tf.mul(tf.addN(list.map((x) => tf.softmax(x, -1))), 1 / list.length));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}
