/** The two output heads both models share: 3 class logits and the standardised return. */
import * as tf from "@tensorflow/tfjs";
import { SeededDropout } from "../layers/index.ts";
import type { Seeds } from "./seeds.ts";

/** What one model (or one ensemble member) computes, as symbolic tensors. */
export interface MemberOutputs {
  readonly logits: tf.SymbolicTensor;
  readonly regression: tf.SymbolicTensor;
  /** transformer_lstm only: the final attention weights over timesteps. */
  readonly attention?: tf.SymbolicTensor;
}

export function outputHeads(
  features: tf.SymbolicTensor,
  hidden: number,
  dropout: number,
  seeds: Seeds,
  prefix = "",
): [tf.SymbolicTensor, tf.SymbolicTensor] {
  const dense = (units: number, name: string, activation?: "relu") =>
    tf.layers.dense({
      units,
      name: prefix + name,
      activation,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.next() }),
    });
  const shared = new SeededDropout({ rate: dropout, seed: seeds.next(), name: `${prefix}head_dropout` })
    .apply(features) as tf.SymbolicTensor;
  const cls = dense(hidden, "class_hidden", "relu").apply(shared) as tf.SymbolicTensor;
  const reg = dense(hidden, "regression_hidden", "relu").apply(shared) as tf.SymbolicTensor;
  return [
    dense(3, "class_logits").apply(cls) as tf.SymbolicTensor,
    dense(1, "regression").apply(reg) as tf.SymbolicTensor,
  ];
}
