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

/** Adds `sign`·ln(class weight) to every member's class bias (an ensemble averages probabilities, so every
 * member must be shifted itself). */
function shiftClassBias(model: tf.LayersModel, weights: readonly number[], sign: 1 | -1): void {
  const offsets = weights.map((w) => (w > 0 ? sign * Math.log(w) : 0));
  for (const { prefix } of offsets.some((o) => o !== 0) ? memberViews(model) : []) {
    const head = model.getLayer(`${prefix}class_logits`);
    const [kernel, bias] = head.getWeights();
    const shifted = tf.tidy(() => tf.add(bias, tf.tensor1d(offsets)));
    head.setWeights([kernel, shifted]);
    shifted.dispose();
  }
}

/** Removes ln(class weight) from every member's class bias, then returns the temperature fit on validation. */
export async function calibrate(
  model: tf.LayersModel,
  data: Dataset,
  scaling: Scaling,
  weights: readonly number[],
): Promise<number> {
  shiftClassBias(model, weights, -1);
  const validation = await modelOutputs(model, data.validation, data, scaling);
  return fitTemperature(validation.logits, data.validation.labels);
}

/**
 * Puts back the ln(class weight) that `calibrate` took out, before a calibrated model is fine-tuned with a
 * class-weighted loss again: the loss's optimum carries that bias, and `calibrate` takes it out once more after
 * the fine-tune. Without this, every fine-tune would start from the unbiased head, learn part of the bias back
 * and then lose all of it: the head would drift by up to ln(weight) per fine-tune.
 */
export function restoreClassBias(model: tf.LayersModel, weights: readonly number[]): void {
  shiftClassBias(model, weights, 1);
}
