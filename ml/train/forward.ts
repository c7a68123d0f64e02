/** Runs a built model and picks its outputs by name (the order is the model's, not ours to assume). */
import * as tf from "@tensorflow/tfjs";

export interface ModelOutputs {
  readonly logits: tf.Tensor;
  readonly regression: tf.Tensor;
  /** The auxiliary targets' predictions, when the model is a training model with that head. */
  readonly auxiliary?: tf.Tensor;
}

/** The output called `name`, or an ensemble member's `m{k}_name` when the model is a member's view. */
export function outputIndex(model: tf.LayersModel, name: string): number {
  const exact = model.outputNames.indexOf(name);
  const i = exact >= 0
    ? exact
    : model.outputNames.findIndex((n) => /^m\d+_/.test(n) && n.endsWith(`_${name}`));
  if (i < 0) throw new Error(`the model has no output "${name}" (it has ${model.outputNames.join(", ")})`);
  return i;
}

/**
 * The model's outputs on `x`, picked by name; `training` turns dropout on. `auxiliary` is there only when the
 * model has that head.
 */
export function forward(model: tf.LayersModel, x: tf.Tensor, training: boolean): ModelOutputs {
  const out = model.apply(x, { training });
  const list = Array.isArray(out) ? out : [out];
  const aux = model.outputNames.findIndex((n) => n === "auxiliary" || /^m\d+_auxiliary$/.test(n));
  return {
    logits: list[outputIndex(model, "class_logits")] as tf.Tensor,
    regression: list[outputIndex(model, "regression")] as tf.Tensor,
    auxiliary: aux >= 0 ? list[aux] as tf.Tensor : undefined,
  };
}
