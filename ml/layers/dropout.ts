/**
 * Dropout whose masks come from a seeded generator that advances every call, so `--seed` makes two training
 * runs identical. (tfjs's Dropout with a seed reuses the same mask every step; without one it uses Math.random;
 * and tfjs's seeded random ops cost ~40 ns a number — 50 ms a step for this model — where mulberry32 in JS
 * costs ~2.)
 */
import * as tf from "@tensorflow/tfjs";
import { type BaseLayerArgs, type Kwargs, single } from "./common.ts";

export interface SeededDropoutArgs extends BaseLayerArgs {
  rate: number;
  seed?: number;
}

/** The mask values, 0 (dropped) or 1/(1−rate), from mulberry32 seeded with `seed`. */
export function dropoutMask(size: number, rate: number, seed: number): Float32Array {
  const mask = new Float32Array(size);
  const keep = 1 / (1 - rate);
  // Keep when the 32-bit draw is at or above rate·2³².
  const threshold = Math.floor(rate * 4294967296);
  let a = seed >>> 0;
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    mask[i] = ((t ^ (t >>> 14)) >>> 0) >= threshold ? keep : 0;
  }
  return mask;
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
      // A distinct, reproducible stream per call: the layer seed and the call count through a multiplicative hash.
      const seed = Math.imul(this.seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(++this.calls, 0xc2b2ae35);
      return tf.mul(x, tf.tensor(dropoutMask(x.size, this.rate, seed), x.shape, "float32"));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
