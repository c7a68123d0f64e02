/** Runs a built model and picks its outputs by name (the order is the model's, not ours to assume). */
import * as tf from "@tensorflow/tfjs";

export interface ModelOutputs {
  readonly logits: tf.Tensor;
  readonly regression: tf.Tensor;
  /** The auxiliary targets' predictions, when the model is a training model with that head. */
  readonly auxiliary?: tf.Tensor;
}

export function outputIndex(model: tf.LayersModel, name: string): number {
  const i = model.outputNames.indexOf(name);
  if (i < 0) throw new Error(`the model has no output "${name}" (it has ${model.outputNames.join(", ")})`);
  return i;
}

export function forward(model: tf.LayersModel, x: tf.Tensor, training: boolean): ModelOutputs {
  const out = model.apply(x, { training });
  const list = Array.isArray(out) ? out : [out];
  const aux = model.outputNames.indexOf("auxiliary");
  return {
    logits: list[outputIndex(model, "class_logits")] as tf.Tensor,
    regression: list[outputIndex(model, "regression")] as tf.Tensor,
    auxiliary: aux >= 0 ? list[aux] as tf.Tensor : undefined,
  };
}
