/**
 * Which implementation of the LSTM and LayerNorm a model is built from. `FAST_LAYERS` is what candlecast trains;
 * `STOCK_LAYERS` builds the same architecture from tfjs's own `lstm`/`bidirectional`/`layerNormalization`, the
 * baseline `bench/train.ts` measures against (same architecture and maths, much slower on wasm).
 */
import * as tf from "@tensorflow/tfjs";
import { FastLSTM, LayerNorm } from "../layers/index.ts";

export interface RecurrentArgs {
  units: number;
  bidirectional: boolean;
  returnSequences: boolean;
  seed: number;
  name: string;
  /** The layer reads the model's input channels (no trainable weight before it): see `FastLSTM`. */
  inputIsData?: boolean;
}

export interface LayerKit {
  lstm(args: RecurrentArgs): tf.layers.Layer;
  layerNorm(name: string): tf.layers.Layer;
}

/** candlecast's own FastLSTM and LayerNorm: what it trains with. */
export const FAST_LAYERS: LayerKit = {
  lstm: (args) => new FastLSTM(args),
  layerNorm: (name) => new LayerNorm({ name, epsilon: 1e-5 }),
};

/** tfjs's own lstm, bidirectional and layerNormalization: same maths, slower; bench/train.ts's baseline. */
export const STOCK_LAYERS: LayerKit = {
  lstm: ({ units, bidirectional, returnSequences, seed, name }) => {
    const cell = (direction: number) =>
      tf.layers.lstm({
        units,
        returnSequences,
        recurrentActivation: "sigmoid",
        unitForgetBias: true,
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 16 + 3 * direction }),
        recurrentInitializer: tf.initializers.orthogonal({ seed: seed * 16 + 3 * direction + 1 }),
        name: bidirectional ? undefined : name,
      });
    return bidirectional
      ? tf.layers.bidirectional({ layer: cell(0) as tf.RNN, mergeMode: "concat", name })
      : cell(0);
  },
  layerNorm: (name) => tf.layers.layerNormalization({ axis: -1, epsilon: 1e-5, name }),
};
