/**
 * Calibration at the end of `train` (what `evaluate` measured on real candles): class-weighted cross-entropy is
 * minimised by probabilities inflated by each class's weight, so ln(weight) is taken out of the class head's
 * bias — in the weights themselves, so model.json, ONNX and the engine agree — and then one temperature is fit
 * on the validation split. Redone after every training, incremental ones included.
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset, Scaling } from "../data/index.ts";
import { memberViews } from "../models/index.ts";
import { fitTemperature } from "../metrics/index.ts";
import { modelOutputs } from "./model_outputs.ts";

/** Removes ln(class weight) from every member's class bias, then returns the temperature fit on validation. */
export async function calibrate(
  model: tf.LayersModel,
  data: Dataset,
  scaling: Scaling,
  weights: readonly number[],
): Promise<number> {
  const offsets = weights.map((w) => (w > 0 ? Math.log(w) : 0));
  // Each member's head: an ensemble averages probabilities, so every member must be unbiased itself.
  for (const { prefix } of offsets.some((o) => o !== 0) ? memberViews(model) : []) {
    const head = model.getLayer(`${prefix}class_logits`);
    const [kernel, bias] = head.getWeights();
    const unbiased = tf.tidy(() => tf.sub(bias, tf.tensor1d(offsets)));
    head.setWeights([kernel, unbiased]);
    unbiased.dispose();
  }
  const validation = await modelOutputs(model, data.validation, data, scaling);
  return fitTemperature(validation.logits, data.validation.labels);
}
