/**
 * FastLSTM: an LSTM (optionally bidirectional) whose input projection for all timesteps is one matmul and whose
 * recurrence is `lstmRecurrence` (only h·U per step, hand-written backward pass). Same maths as
 * `tf.layers.lstm({recurrentActivation: "sigmoid", unitForgetBias: true})`: i, f, o = σ, candidate and output
 * = tanh, zero initial state. Weights and gate order are listed in `README.md` (for the ONNX exporter).
 */
import * as tf from "@tensorflow/tfjs";
import { type BaseLayerArgs, dense, type Kwargs, single, weightSeed } from "./common.ts";
import { lstmRecurrence } from "./lstm_recurrence.ts";

export interface FastLSTMArgs extends BaseLayerArgs {
  /** Hidden size per direction (H). */
  units: number;
  /** Run a second LSTM backwards in time and concatenate its outputs: [forward | backward]. */
  bidirectional?: boolean;
  /** Output every timestep [b, T, H·dirs] (true) or only the final state [b, H·dirs] (false). */
  returnSequences?: boolean;
  /** Seeds the initial weights. */
  seed?: number;
}

interface DirectionWeights {
  kernel: tf.LayerVariable;
  recurrentKernel: tf.LayerVariable;
  bias: tf.LayerVariable;
}

export class FastLSTM extends tf.layers.Layer {
  static className = "FastLSTM";
  readonly units: number;
  readonly bidirectional: boolean;
  readonly returnSequences: boolean;
  readonly seed: number | undefined;
  private directions: DirectionWeights[] = [];

  constructor(args: FastLSTMArgs) {
    super(args);
    this.units = args.units;
    this.bidirectional = args.bidirectional ?? false;
    this.returnSequences = args.returnSequences ?? true;
    this.seed = args.seed;
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
        tf.initializers.orthogonal({ seed: weightSeed(this.seed, 3 * d + 1) }),
      ),
      bias: this.addWeight(`${prefix}bias`, [4 * this.units], "float32", tf.initializers.zeros()),
    }));
    // Keras's unit_forget_bias: the forget gate starts open (bias 1), which keeps early gradients flowing.
    const forgetOpen = new Float32Array(4 * this.units).fill(1, this.units, 2 * this.units);
    tf.tidy(() => this.directions.forEach((w) => w.bias.write(tf.tensor1d(forgetOpen))));
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
      const outputs = this.directions.map((w, d) => {
        const xw = dense(x, w.kernel.read(), w.bias.read()); // [b, T, 4H]
        const xwT = tf.transpose(xw, [1, 2, 0]) as tf.Tensor3D; // [T, 4H, b]
        const ut = tf.transpose(w.recurrentKernel.read()) as tf.Tensor2D; // [4H, H]
        const h = lstmRecurrence(xwT, ut, d === 1); // [T, H, b]
        if (this.returnSequences) return tf.transpose(h, [2, 0, 1]); // [b, T, H]
        // The final state: the forward run ends at T−1, the backward run at 0.
        const last = d === 1 ? 0 : steps - 1;
        return tf.transpose(
          tf.reshape(tf.slice(h, [last, 0, 0], [1, this.units, batch]), [this.units, batch]),
        );
      });
      return outputs.length === 1 ? outputs[0] : tf.concat(outputs, -1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      bidirectional: this.bidirectional,
      returnSequences: this.returnSequences,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}
