/**
 * Combines the members of an ensemble into the outputs one model would have, so the saved model, its ONNX
 * graph and serve see a single model. `probabilities` turns each member's class logits into probabilities,
 * averages them and returns their log — valid logits whose softmax is the averaged probability (temperature
 * scaling then applies to the ensemble as a whole); `values` is the plain mean (returns, attention weights).
 * Averaging probabilities of independently trained members is what took a small recurrent net past gradient
 * boosting on these labels; averaging logits instead would be a different, sharper model.
 *
 * Members with shorter windows (`RecentSteps`) give shorter attention weights [b, k]: `values` aligns every
 * input on its last timestep and counts the steps a member does not see as 0, so each member's weights still
 * sum to 1 and so does their mean, and index T−1 stays the most recent candle.
 */
import * as tf from "@tensorflow/tfjs";
import type { BaseLayerArgs, Kwargs } from "./common.ts";

export const ENSEMBLE_MODES = ["probabilities", "values"] as const;
export type EnsembleMode = typeof ENSEMBLE_MODES[number];

export interface EnsembleMeanArgs extends BaseLayerArgs {
  readonly mode: EnsembleMode;
  /**
   * `values` over timesteps: the output's length (the model's lookback), when every member's window may be
   * shorter. Absent: the longest input's.
   */
  readonly steps?: number;
}

export class EnsembleMean extends tf.layers.Layer {
  static className = "EnsembleMean";
  readonly mode: EnsembleMode;
  readonly steps: number | undefined;

  constructor(args: EnsembleMeanArgs) {
    super(args);
    if (!ENSEMBLE_MODES.includes(args.mode)) throw new Error(`EnsembleMean: unknown mode '${args.mode}'`);
    this.mode = args.mode;
    this.steps = args.steps;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as tf.Shape[];
    if (this.mode === "probabilities" || shapes[0].length < 2) return shapes[0];
    return [shapes[0][0], alignedLength(shapes.map((s) => s[1] ?? 0), this.steps), ...shapes[0].slice(2)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    return tf.tidy(() => {
      if (this.mode === "values") return tf.div(tf.addN(alignedOnLastStep(list, this.steps)), list.length);
      // The same operations the ONNX graph runs (Softmax, Sum, Mul by 1/n, Log), so the two agree closely.
      return tf.log(tf.mul(tf.addN(list.map((x) => tf.softmax(x, -1))), 1 / list.length));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    // Written only when set, so models without it serialise exactly as before.
    const config: tf.serialization.ConfigDict = { ...super.getConfig(), mode: this.mode };
    if (this.steps !== undefined) config.steps = this.steps;
    return config;
  }
}

/** The length members' timestep values are aligned to: `steps` when given, else the longest. */
export function alignedLength(lengths: readonly number[], steps: number | undefined): number {
  return Math.max(steps ?? 0, ...lengths);
}

/** Each of `list` padded with zeros in front on axis 1 to the aligned length (unchanged when equal). */
function alignedOnLastStep(list: readonly tf.Tensor[], steps: number | undefined): tf.Tensor[] {
  const longest = alignedLength(list.map((x) => x.shape[1] ?? 0), steps);
  return list.map((x) => {
    const missing = x.rank >= 2 ? longest - x.shape[1]! : 0;
    if (missing === 0) return x;
    const padding = x.shape.map((): [number, number] => [0, 0]);
    padding[1] = [missing, 0];
    return tf.pad(x, padding);
  });
}
