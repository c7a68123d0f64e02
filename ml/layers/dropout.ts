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

/**
 * The mask values, 0 (dropped) or 1/(1−rate), from mulberry32 seeded with `seed`: elements `start` …
 * `start + size − 1` of that stream. mulberry32's state after i draws is seed + i·0x6d2b79f5, so any stretch
 * of the stream costs only its own length: a data-parallel replica computing rows r… of a batch draws exactly
 * the mask values the whole batch would have given those rows.
 */
export function dropoutMask(size: number, rate: number, seed: number, start = 0): Float32Array {
  const mask = new Float32Array(size);
  const keep = 1 / (1 - rate);
  // Keep when the 32-bit draw is at or above rate·2³².
  const threshold = Math.floor(rate * 4294967296);
  let a = (seed + Math.imul(start, 0x6d2b79f5)) >>> 0;
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    mask[i] = ((t ^ (t >>> 14)) >>> 0) >= threshold ? keep : 0;
  }
  return mask;
}

/** Rows `offset` … of a batch being computed in parts (`ml/train/data_parallel.ts`); offset 0: the whole batch. */
let batchRowOffset = 0;

/**
 * Runs `fn` with every SeededDropout treating its inputs as the rows from `offset` on of a larger batch, so a
 * batch split across replicas gets the masks it would have had whole (every dropout here sees batch-first
 * tensors).
 */
export function withBatchRowOffset<T>(offset: number, fn: () => T): T {
  const before = batchRowOffset;
  batchRowOffset = offset;
  try {
    return fn();
  } finally {
    batchRowOffset = before;
  }
}

export class SeededDropout extends tf.layers.Layer {
  static className = "SeededDropout";
  readonly rate: number;
  readonly seed: number;
  /** Training calls so far: each draws a fresh mask. Replicas of one model keep it in step (data_parallel.ts). */
  calls = 0;

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
      const start = batchRowOffset * (x.size / x.shape[0]);
      return tf.mul(x, tf.tensor(dropoutMask(x.size, this.rate, seed, start), x.shape, "float32"));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
