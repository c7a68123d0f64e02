/**
 * The auxiliary head used only while training: from the same pooled features the class and return heads read
 * (the output of `head_dropout`), a small MLP predicts the auxiliary targets of `ml/data/auxiliary.ts`. It
 * shapes the shared trunk and is then dropped: the saved model, its ONNX graph and what serve computes keep
 * the SPEC outputs (class_logits, regression[, attention]) only.
 */
import * as tf from "@tensorflow/tfjs";
import { Seeds } from "./seeds.ts";

/** Name of the auxiliary output of a training model. */
export const AUXILIARY_OUTPUT = "auxiliary";

/**
 * A model sharing every layer of `model` with one more output, `auxiliary` [b, targets]. Works on a model
 * loaded from disk too (fine-tuning): the head is new each time, only the trunk's weights carry over.
 */
export function withAuxiliaryHead(
  model: tf.LayersModel,
  seed: number,
  targets: number,
  prefix = "",
): tf.LayersModel {
  const pooled = model.getLayer(`${prefix}head_dropout`).output as tf.SymbolicTensor;
  const units = (model.getLayer(`${prefix}class_hidden`).getConfig() as { units: number }).units;
  const seeds = new Seeds(seed ^ 0x2545f491);
  const hidden = tf.layers.dense({
    units,
    activation: "relu",
    name: `${prefix}auxiliary_hidden`,
    kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.next() }),
  }).apply(pooled) as tf.SymbolicTensor;
  const aux = tf.layers.dense({
    units: targets,
    name: prefix + AUXILIARY_OUTPUT,
    kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.next() }),
  }).apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: model.inputs, outputs: [...model.outputs, aux], name: `${model.name}_training` });
}

/** Frees the auxiliary head's weights once training is over (the trunk's layers belong to the model). */
export function disposeAuxiliaryHead(trainer: tf.LayersModel, prefix = ""): void {
  for (const name of [`${prefix}auxiliary_hidden`, prefix + AUXILIARY_OUTPUT]) {
    const layer = trainer.layers.find((l) => l.name === name);
    if (layer) layer.dispose();
  }
}
