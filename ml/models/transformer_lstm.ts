/**
 * TransformerLSTMModel: input projection + LayerNorm → sinusoidal positions → post-LN Transformer encoder layers
 * → bidirectional LSTM layers → multi-head attention pooling (weights exposed) → class and regression heads.
 */
import * as tf from "@tensorflow/tfjs";
import {
  AttentionPooling,
  LastTimestep,
  MultiHeadSelfAttention,
  PositionalEncoding,
  SeededDropout,
} from "../layers/index.ts";
import type { ModelConfig } from "./config.ts";
import { type MemberOutputs, outputHeads } from "./heads.ts";
import { FAST_LAYERS, type LayerKit } from "./layer_kit.ts";
import { type InputScaling, modelInput } from "./input_channels.ts";
import { Seeds } from "./seeds.ts";

type Sym = tf.SymbolicTensor;

function encoderLayer(x: Sym, c: ModelConfig, seeds: Seeds, n: number, kit: LayerKit, p: string): Sym {
  const dropout = (name: string) => new SeededDropout({ rate: c.dropout, seed: seeds.next(), name });
  const attention = new MultiHeadSelfAttention({
    heads: c.heads,
    seed: seeds.next(),
    name: `${p}enc${n}_attention`,
  })
    .apply(x) as Sym;
  const residual1 = tf.layers.add({ name: `${p}enc${n}_residual1` })
    .apply([x, dropout(`${p}enc${n}_attention_dropout`).apply(attention) as Sym]) as Sym;
  const norm1 = kit.layerNorm(`${p}enc${n}_norm1`).apply(residual1) as Sym;
  const ffn1 = tf.layers.dense({
    units: c.ffnDim,
    activation: "relu",
    name: `${p}enc${n}_ffn1`,
    kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.next() }),
  }).apply(norm1) as Sym;
  const ffn2 = tf.layers.dense({
    units: c.dModel,
    name: `${p}enc${n}_ffn2`,
    kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.next() }),
  }).apply(dropout(`${p}enc${n}_ffn_dropout`).apply(ffn1) as Sym) as Sym;
  const residual2 = tf.layers.add({ name: `${p}enc${n}_residual2` })
    .apply([norm1, dropout(`${p}enc${n}_output_dropout`).apply(ffn2) as Sym]) as Sym;
  return kit.layerNorm(`${p}enc${n}_norm2`).apply(residual2) as Sym;
}

/** The hybrid's layers applied to `input`, every layer name starting with `prefix` (ensemble members). */
export function transformerLstmGraph(
  input: Sym,
  c: ModelConfig,
  seed: number,
  kit: LayerKit = FAST_LAYERS,
  prefix = "",
): MemberOutputs {
  const p = prefix;
  const seeds = new Seeds(seed);
  let x = tf.layers.dense({
    units: c.dModel,
    name: `${p}input_projection`,
    kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.next() }),
  }).apply(input) as Sym;
  x = kit.layerNorm(`${p}input_norm`).apply(x) as Sym;
  x = new PositionalEncoding({ name: `${p}positional_encoding` }).apply(x) as Sym;
  x = new SeededDropout({ rate: c.dropout, seed: seeds.next(), name: `${p}input_dropout` }).apply(x) as Sym;
  for (let n = 1; n <= c.encoderLayers; n++) x = encoderLayer(x, c, seeds, n, kit, p);
  for (let n = 1; n <= c.lstmLayers; n++) {
    x = kit.lstm({
      units: c.lstmHidden,
      bidirectional: true,
      returnSequences: true,
      seed: seeds.next(),
      name: `${p}bilstm${n}`,
    }).apply(x) as Sym;
    x = new SeededDropout({ rate: c.dropout, seed: seeds.next(), name: `${p}bilstm${n}_dropout` }).apply(
      x,
    ) as Sym;
  }
  const [pooled, weights] = new AttentionPooling({
    heads: c.heads,
    seed: seeds.next(),
    name: `${p}attention_pool`,
  })
    .apply(x) as Sym[];
  // A named identity so the weights are the model output "attention".
  const attention = tf.layers.activation({ activation: "linear", name: `${p}attention` }).apply(
    weights,
  ) as Sym;
  // "pooled_last": the heads also read the last timestep itself (no weights, so the seeds stay in step);
  // "pooled_last_input": and the last candle's input channels too, a linear path from what gradient boosting
  // reads (the last candle's features) to the heads, beside what the sequence layers make of them.
  const mode = c.headInput ?? "pooled";
  const headInput = mode === "pooled" ? pooled : tf.layers.concatenate({ name: `${p}head_input` }).apply([
    pooled,
    new LastTimestep({ name: `${p}last_step` }).apply(x) as Sym,
    ...(mode === "pooled_last_input"
      ? [new LastTimestep({ name: `${p}last_input` }).apply(input) as Sym]
      : []),
  ]) as Sym;
  const [logits, regression] = outputHeads(headInput, c.dModel, c.dropout, seeds, p);
  return { logits, regression, attention };
}

export function buildTransformerLstm(
  c: ModelConfig,
  seed: number,
  kit: LayerKit = FAST_LAYERS,
  scaling?: InputScaling,
): tf.LayersModel {
  const input = tf.input({ shape: [c.lookback, c.features], name: "input" });
  const { logits, regression, attention } = transformerLstmGraph(modelInput(input, c, scaling), c, seed, kit);
  return tf.model({ inputs: input, outputs: [logits, regression, attention!], name: "TransformerLSTMModel" });
}
