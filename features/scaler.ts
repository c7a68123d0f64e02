/**
 * Per-feature standardisation. Fit on the training split only (anything else leaks the future into the
 * model); saved in preprocessor.json and baked into the ONNX graph, so it is part of the model contract.
 */
import { z } from "zod";

export interface Scaler {
  readonly featureNames: readonly string[];
  readonly mean: readonly number[];
  /** Population standard deviation; 1 where a feature was constant, so it passes through as x − mean. */
  readonly std: readonly number[];
}

/** Accumulates mean and variance over row batches (Chan et al.'s parallel update: stable for 244k·50 rows). */
export class ScalerFitter {
  #count = 0;
  readonly #mean: Float64Array;
  readonly #m2: Float64Array;
  constructor(readonly featureNames: readonly string[]) {
    this.#mean = new Float64Array(featureNames.length);
    this.#m2 = new Float64Array(featureNames.length);
  }

  get count(): number {
    return this.#count;
  }

  /** Adds `rows` rows of `featureNames.length` values each, stored row-major in `x`. */
  add(x: Float32Array, rows = x.length / this.featureNames.length): void {
    const f = this.featureNames.length;
    if (rows === 0) return;
    for (let k = 0; k < f; k++) {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += x[r * f + k];
      const batchMean = sum / rows;
      let m2 = 0;
      for (let r = 0; r < rows; r++) m2 += (x[r * f + k] - batchMean) ** 2;
      const total = this.#count + rows;
      const delta = batchMean - this.#mean[k];
      this.#mean[k] += (delta * rows) / total;
      this.#m2[k] += m2 + (delta * delta * this.#count * rows) / total;
    }
    this.#count += rows;
  }

  finish(): Scaler {
    if (this.#count === 0) throw new Error("cannot fit a scaler on zero rows");
    const std = [...this.#m2].map((m2) => {
      const s = Math.sqrt(m2 / this.#count);
      return s > 1e-12 ? s : 1;
    });
    return { featureNames: [...this.featureNames], mean: [...this.#mean], std };
  }
}

/** The scaler of the row-major rows `x` (`ScalerFitter` takes rows batch by batch). Throws on zero rows. */
export function fitScaler(featureNames: readonly string[], x: Float32Array): Scaler {
  const fitter = new ScalerFitter(featureNames);
  fitter.add(x);
  return fitter.finish();
}

/**
 * Standardises row-major rows in place; `clip` bounds each value to ±clip (outlier bars must not saturate).
 *
 * In float32, step by step, as the exported graph does (a float32 mean subtracted, then times a float32 1/std,
 * each rounded: ml/onnx/frame.ts), so training and ONNX see the same bits. Computed in float64 and rounded once,
 * a value differed by a float32 step, which the volatility channels' floor (1e-6) magnified on candles that stood
 * still past SPEC §8's 1e-4 between ONNX and the trained model (an odd-pairs seat: 3.3e-4 in the logits of a
 * trained model; 6e-4 … 1.5e-3 on export_test's random ones).
 * Each float64 operation on float32 operands rounded to float32 is the float32 operation's exact result.
 *
 * @example
 * ```ts
 * const x = applyScaler({ featureNames: ["a"], mean: [1], std: [2] }, Float32Array.of(5, -9), 3);
 * // x: [2, -3] (the second clipped)
 * ```
 */
export function applyScaler(s: Scaler, x: Float32Array, clip = Infinity): Float32Array {
  const f = s.mean.length;
  const mean = s.mean.map(Math.fround);
  const inv = s.std.map((v) => Math.fround(1 / v));
  for (let i = 0; i < x.length; i++) {
    const k = i % f;
    const v = Math.fround(Math.fround(x[i] - mean[k]) * inv[k]);
    x[i] = v > clip ? clip : v < -clip ? -clip : v;
  }
  return x;
}

/** A scaler as preprocessor.json stores it: one mean and one positive std per feature name. */
export const ScalerSchema = z.object({
  featureNames: z.array(z.string()).min(1),
  mean: z.array(z.number()),
  std: z.array(z.number().positive()),
}).refine((s) => s.mean.length === s.featureNames.length && s.std.length === s.featureNames.length, {
  message: "mean, std and featureNames must have the same length",
});
