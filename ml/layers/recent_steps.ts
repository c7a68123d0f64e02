/**
 * The most recent `steps` timesteps of a sequence: [b, T, d] → [b, steps, d]. An ensemble member with a shorter
 * window than the model's (`ModelConfig.memberLookbacks`) reads its input through this layer, so members of
 * different window lengths share one input and one ONNX graph. The member still sees features computed over
 * the whole window (their warm-up is the model's, SPEC §5); only its sequence layers see fewer candles. No
 * weights.
 *
 * @example
 * ```ts
 * const last24 = new RecentSteps({ steps: 24, name: "m2_window" }).apply(features); // [b, 24, d]
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import { type BaseLayerArgs, type Kwargs, single } from "./common.ts";

export interface RecentStepsArgs extends BaseLayerArgs {
  readonly steps: number;
}

export class RecentSteps extends tf.layers.Layer {
  static className = "RecentSteps";
  readonly steps: number;

  constructor(args: RecentStepsArgs) {
    super(args);
    if (!Number.isInteger(args.steps) || args.steps < 1) {
      throw new Error(`RecentSteps: steps must be a positive integer, got ${args.steps}`);
    }
    this.steps = args.steps;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== 3) throw new Error(`${this.name}: expects [batch, steps, features], got [${shape}]`);
    if (typeof shape[1] === "number" && shape[1] < this.steps) {
      throw new Error(`${this.name}: keeps ${this.steps} steps of a ${shape[1]}-step input`);
    }
    return [shape[0], this.steps, shape[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs, this.name);
      const [b, t, d] = x.shape;
      return tf.slice(x, [0, t - this.steps, 0], [b, this.steps, d]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), steps: this.steps };
  }
}
