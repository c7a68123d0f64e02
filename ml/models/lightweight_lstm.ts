/** LightweightLSTMModel: stacked unidirectional LSTM → the last timestep's state → class and regression heads. */
import * as tf from "@tensorflow/tfjs";
import { SeededDropout } from "../layers/index.ts";
import type { ModelConfig } from "./config.ts";
import { type MemberOutputs, outputHeads } from "./heads.ts";
import { FAST_LAYERS, type LayerKit } from "./layer_kit.ts";
import { type InputScaling, modelInput } from "./input_channels.ts";
import { Seeds } from "./seeds.ts";

type Sym = tf.SymbolicTensor;

/** The LSTM's layers applied to `input`, every layer name starting with `prefix` (ensemble members). */
export function lightweightLstmGraph(
  input: Sym,
  c: ModelConfig,
  seed: number,
  kit: LayerKit = FAST_LAYERS,
  prefix = "",
): MemberOutputs {
  const seeds = new Seeds(seed);
  let x: Sym = input;
  for (let n = 1; n <= c.lstmLayers; n++) {
    const last = n === c.lstmLayers;
    x = kit.lstm({
      units: c.lstmHidden,
      bidirectional: false,
      returnSequences: !last,
      seed: seeds.next(),
      name: `${prefix}lstm${n}`,
      // The first layer reads the input channels, which have no weights: skip their gradient.
      inputIsData: n === 1,
    })
      .apply(x) as Sym;
    x = new SeededDropout({ rate: c.dropout, seed: seeds.next(), name: `${prefix}lstm${n}_dropout` })
      .apply(x) as Sym;
  }
  const [logits, regression] = outputHeads(x, c.lstmHidden, c.dropout, seeds, prefix);
  return { logits, regression };
}

export function buildLightweightLstm(
  c: ModelConfig,
  seed: number,
  kit: LayerKit = FAST_LAYERS,
  scaling?: InputScaling,
): tf.LayersModel {
  const input = tf.input({ shape: [c.lookback, c.features], name: "input" });
  const { logits, regression } = lightweightLstmGraph(modelInput(input, c, scaling), c, seed, kit);
  return tf.model({ inputs: input, outputs: [logits, regression], name: "LightweightLSTMModel" });
}
