/**
 * Adds the fixed sinusoidal position signal of "Attention Is All You Need" (no weights):
 * pe[t, 2k] = sin(t / 10000^(2k/d)), pe[t, 2k+1] = cos(t / 10000^(2k/d)), t = 0 for the oldest candle.
 */
import * as tf from "@tensorflow/tfjs";
import { type BaseLayerArgs, type Kwargs, single } from "./common.ts";

export function sinusoidalTable(steps: number, dim: number): Float32Array {
  const table = new Float32Array(steps * dim);
  for (let t = 0; t < steps; t++) {
    for (let j = 0; j < dim; j++) {
      const angle = t / Math.pow(10000, (2 * Math.floor(j / 2)) / dim);
      table[t * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return table;
}

export class PositionalEncoding extends tf.layers.Layer {
  static className = "PositionalEncoding";
  private table: tf.Tensor2D | null = null;

  constructor(args: BaseLayerArgs = {}) {
    super(args);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape as tf.Shape;
    const steps = shape[shape.length - 2];
    const dim = shape[shape.length - 1];
    if (typeof steps !== "number" || typeof dim !== "number") {
      throw new Error(`${this.name}: needs a fixed number of timesteps and features, got [${shape}]`);
    }
    this.table = tf.keep(tf.tensor2d(sinusoidalTable(steps, dim), [steps, dim]));
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => tf.add(single(inputs, this.name), this.table!));
  }

  override dispose(): { refCountAfterDispose: number; numDisposedVariables: number } {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0) this.table?.dispose();
    return result;
  }
}
