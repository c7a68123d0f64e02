/**
 * Calibration at the end of `train` (what `evaluate` measured on real candles): class-weighted cross-entropy is
 * minimised by probabilities inflated by each class's weight, so ln(weight) is taken out of the class head's
 * bias — in the weights themselves, so model.json, ONNX and the engine agree — and then one temperature is fit
 * on the validation split. Redone after every training, incremental ones included.
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset, Scaling } from "../data/index.ts";
import { memberViews } from "../models/index.ts";
import { fitTemperature, logProbabilities } from "../metrics/index.ts";
import { blended } from "../train/index.ts";
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

/**
 * Fewer validation windows than this and a refit temperature costs more log-loss than the model's edge over
 * gradient boosting: fit on n consecutive 1h windows of a real quarter and scored on its other half, it cost a
 * median 0.0096 nats at 50 (one draw in ten ≥ 0.03), 0.0047 at 100 and 0.0025 at 200, where it meets the drift
 * between the halves (bench/RESULTS.md § "Session 29"). A fine-tune on a week of one symbol's 1h candles has
 * about 25.
 */
export const MIN_TEMPERATURE_WINDOWS = 200;

/** Whether `calibrate` keeps the temperature `keep` rather than fit one on `validationWindows`. */
export function keepsTemperature(validationWindows: number, keep: number | undefined): keep is number {
  return keep !== undefined && validationWindows < MIN_TEMPERATURE_WINDOWS;
}

/**
 * A served blend's own temperature (`train --blend-boosting`): that of ln(`weight` × the network's + (1 −
 * `weight`) × boosting's probabilities), both calibrated, of the validation windows in their order, fit on
 * `labels` (an average of calibrated probabilities is not calibrated itself); or `keep`, a fine-tune's
 * parent's, below MIN_TEMPERATURE_WINDOWS, as the network's. Without `keep` (a fresh training) it is fit
 * whatever the count, as the network's and boosting's are. `train` and `evaluate`'s fold blend both take it
 * from here, so the table scores what train serves. The probabilities are asked for only when it is fit.
 */
export async function blendTemperature(
  validation: () => Promise<{ readonly network: Float32Array; readonly boosting: Float32Array }>,
  labels: Int8Array,
  weight: number,
  keep?: number,
): Promise<number> {
  if (keepsTemperature(labels.length, keep)) return keep;
  const { network, boosting } = await validation();
  const rows = Int32Array.from({ length: labels.length }, (_, i) => i);
  const mixed = blended(network, { weight, temperature: 1, probabilities: boosting }, rows);
  return fitTemperature(logProbabilities(mixed), labels);
}

/**
 * Removes ln(class weight) from every member's class bias, then returns the temperature fit on validation, or
 * `keep` (a fine-tune's parent's, fit on more windows) when validation has fewer than MIN_TEMPERATURE_WINDOWS.
 */
export async function calibrate(
  model: tf.LayersModel,
  data: Dataset,
  scaling: Scaling,
  weights: readonly number[],
  keep?: number,
  batchSize?: number,
  /** Batches of the validation pass done, of their total (see `modelOutputs`). */
  progress?: (done: number, total: number) => void,
): Promise<number> {
  return (await calibrateOnValidation(model, data, scaling, weights, keep, batchSize, progress)).temperature;
}

/**
 * `calibrate`, also handing back the validation split's logits (set order, after the bias is taken out) when it
 * computed them, so a caller that needs them too (a blend's own temperature) does not run the pass again.
 */
export async function calibrateOnValidation(
  model: tf.LayersModel,
  data: Dataset,
  scaling: Scaling,
  weights: readonly number[],
  keep?: number,
  batchSize?: number,
  progress?: (done: number, total: number) => void,
): Promise<{ temperature: number; validationLogits?: Float32Array }> {
  shiftClassBias(model, weights, -1);
  if (keepsTemperature(data.validation.size, keep)) return { temperature: keep };
  const validation = await modelOutputs(model, data.validation, data, scaling, batchSize, progress);
  return {
    temperature: fitTemperature(validation.logits, data.validation.labels),
    validationLogits: validation.logits,
  };
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
