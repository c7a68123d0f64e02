/**
 * FastLSTM: an LSTM (optionally bidirectional) whose input projection for all timesteps is one matmul and whose
 * recurrence is `lstmRecurrence` (only h·U per step, hand-written backward pass). Same maths as
 * `tf.layers.lstm({recurrentActivation: "sigmoid", unitForgetBias: true})`: i, f, o = σ, candidate and output
 * = tanh, zero initial state. Weights and gate order are listed in `README.md` (for the ONNX exporter).
 */
import * as tf from "@tensorflow/tfjs";
import { type BaseLayerArgs, dense, denseOnData, type Kwargs, single, weightSeed } from "./common.ts";
import { candidateScale, lstmRecurrence } from "./lstm_recurrence.ts";

export interface FastLSTMArgs extends BaseLayerArgs {
  /** Hidden size per direction (H). */
  units: number;
  /** Run a second LSTM backwards in time and concatenate its outputs: [forward | backward]. */
  bidirectional?: boolean;
  /** Output every timestep [b, T, H·dirs] (true) or only the final state [b, H·dirs] (false). */
  returnSequences?: boolean;
  /** Seeds the initial weights. */
  seed?: number;
  /**
   * The input is data (no trainable weight before this layer): its gradient is not computed (`denseOnData`).
   * Set only on a model's first layer; a layer after trainable ones would cut their gradients off.
   */
  inputIsData?: boolean;
}

interface DirectionWeights {
  kernel: tf.LayerVariable;
  recurrentKernel: tf.LayerVariable;
  bias: tf.LayerVariable;
}

/**
 * A [rows, cols] matrix with orthonormal rows (rows ≤ cols), as Keras's orthogonal initializer makes for
 * recurrent kernels; written here because tfjs's warns on every matrix over 2,000 elements.
 */
function orthogonalRows(rows: number, cols: number, seed: number | undefined): tf.Tensor2D {
  const [q] = tf.linalg.qr(tf.randomNormal([cols, rows], 0, 1, "float32", seed) as tf.Tensor2D);
  return tf.transpose(q) as tf.Tensor2D;
}

export class FastLSTM extends tf.layers.Layer {
  static className = "FastLSTM";
  readonly units: number;
  readonly bidirectional: boolean;
  readonly returnSequences: boolean;
  readonly seed: number | undefined;
  readonly inputIsData: boolean;
  private directions: DirectionWeights[] = [];

  constructor(args: FastLSTMArgs) {
    super(args);
    this.units = args.units;
    this.bidirectional = args.bidirectional ?? false;
    this.returnSequences = args.returnSequences ?? true;
    this.seed = args.seed;
    this.inputIsData = args.inputIsData ?? false;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape as tf.Shape;
    const inputDim = shape[shape.length - 1] as number;
    const prefixes = this.bidirectional ? ["", "backward_"] : [""];
    this.directions = prefixes.map((prefix, d) => ({
      kernel: this.addWeight(
        `${prefix}kernel`,
        [inputDim, 4 * this.units],
        "float32",
        tf.initializers.glorotUniform({ seed: weightSeed(this.seed, 3 * d) }),
      ),
      recurrentKernel: this.addWeight(
        `${prefix}recurrent_kernel`,
        [this.units, 4 * this.units],
        "float32",
        tf.initializers.zeros(),
      ),
      bias: this.addWeight(`${prefix}bias`, [4 * this.units], "float32", tf.initializers.zeros()),
    }));
    // Keras's unit_forget_bias: the forget gate starts open (bias 1), which keeps early gradients flowing.
    const forgetOpen = new Float32Array(4 * this.units).fill(1, this.units, 2 * this.units);
    tf.tidy(() =>
      this.directions.forEach((w, d) => {
        w.bias.write(tf.tensor1d(forgetOpen));
        w.recurrentKernel.write(orthogonalRows(this.units, 4 * this.units, weightSeed(this.seed, 3 * d + 1)));
      })
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = inputShape as tf.Shape;
    const width = this.units * this.directions.length || this.units * (this.bidirectional ? 2 : 1);
    return this.returnSequences ? [shape[0], shape[1], width] : [shape[0], width];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs, this.name) as tf.Tensor3D;
      const [batch, steps] = x.shape;
      const dirs = this.directions.length;
      const gates = 4 * this.units;
      // Every direction's input projection for every timestep in one matmul, [b, T, D·4H], with the candidate's
      // columns doubled (the recurrence derives tanh from a sigmoid).
      const scale = candidateScale(this.units, dirs);
      const kernel = tf.mul(tf.concat(this.directions.map((w) => w.kernel.read()), 1), scale);
      const bias = tf.mul(tf.concat(this.directions.map((w) => w.bias.read()), 0), scale);
      const projected = this.inputIsData ? denseOnData(x, kernel, bias) : dense(x, kernel, bias);
      const xs = tf.transpose(tf.reshape(projected, [batch, steps, dirs, gates]), [1, 2, 3, 0]);
      const us = tf.mul(
        tf.stack(this.directions.map((w) => w.recurrentKernel.read())),
        candidateScale(this.units),
      );
      const h = lstmRecurrence(xs as tf.Tensor4D, us as tf.Tensor3D); // [T, D, H, b], time order
      if (this.returnSequences) {
        return tf.reshape(tf.transpose(h, [3, 0, 1, 2]), [batch, steps, dirs * this.units]);
      }
      // Each direction's final state: forward at T−1, backward at 0.
      const last = this.directions.map((_, d) =>
        tf.slice(h, [d === 0 ? steps - 1 : 0, d, 0, 0], [1, 1, this.units, batch])
      );
      const finals = last.length === 1 ? last[0] : tf.concat(last, 1); // [1, D, H, b]
      return tf.reshape(tf.transpose(finals, [0, 3, 1, 2]), [batch, dirs * this.units]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      bidirectional: this.bidirectional,
      returnSequences: this.returnSequences,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
      ...(this.inputIsData ? { inputIsData: true } : {}),
    };
  }
}
