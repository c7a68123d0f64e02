/**
 * Dropout whose masks come from a seeded generator that advances every call, so `--seed` makes two training
 * runs identical. (tfjs's Dropout with a seed reuses the same mask every step; without one it uses Math.random.)
 */
import * as tf from "@tensorflow/tfjs";
import { type BaseLayerArgs, type Kwargs, single } from "./common.ts";

export interface SeededDropoutArgs extends BaseLayerArgs {
  rate: number;
  seed?: number;
}

export class SeededDropout extends tf.layers.Layer {
  static className = "SeededDropout";
  readonly rate: number;
  readonly seed: number;
  private calls = 0;

  constructor(args: SeededDropoutArgs) {
    super(args);
    this.rate = args.rate;
    this.seed = args.seed ?? Math.floor(Math.random() * 2 ** 31);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = single(inputs, this.name);
    if (kwargs.training !== true || this.rate <= 0) return x;
    return tf.tidy(() => {
      const draw = tf.randomUniform(x.shape, 0, 1, "float32", this.seed * 7919 + this.calls++);
      const keep = tf.cast(tf.greaterEqual(draw, this.rate), "float32");
      return tf.mul(x, tf.mul(keep, 1 / (1 - this.rate)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
