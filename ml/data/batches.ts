/**
 * Batches as the model sees them: features engineered on demand, standardised with the training scaler and
 * clipped to ±clip (outlier bars would otherwise dominate the gradients); the regression target is the
 * standardised forward return, clipped the same way.
 */
import { applyScaler, type Scaler } from "../../features/index.ts";
import { permutation, type Rng } from "../../features/rng.ts";
import { gatherBatch, type WindowSet, type WindowShape } from "./window_set.ts";
import type { ReturnScale } from "./dataset.ts";

export interface ModelBatch {
  readonly size: number;
  /** [size, lookback, 35], scaled and clipped. */
  readonly x: Float32Array;
  readonly labels: Int8Array;
  /** (r − mean) / std, clipped to ±clip. */
  readonly target: Float32Array;
  /** The raw forward return r. */
  readonly returns: Float64Array;
  /** Position of each window in its set. */
  readonly picks: Int32Array;
}

export interface Scaling {
  readonly scaler: Scaler;
  readonly clip: number;
  readonly returnScale: ReturnScale;
}

/** Yields the windows of `set` at `order`'s positions, `batchSize` at a time (the last batch may be short). */
export function* modelBatches(
  set: WindowSet,
  order: Int32Array,
  batchSize: number,
  shape: WindowShape,
  scaling: Scaling,
): Generator<ModelBatch> {
  const { scaler, clip, returnScale } = scaling;
  for (let i = 0; i < order.length; i += batchSize) {
    const picks = order.subarray(i, i + batchSize);
    const batch = gatherBatch(set, picks, shape);
    const target = new Float32Array(batch.size);
    for (let b = 0; b < batch.size; b++) {
      const z = (batch.forwardReturn[b] - returnScale.mean) / returnScale.std;
      target[b] = Math.max(-clip, Math.min(clip, z));
    }
    yield {
      size: batch.size,
      x: applyScaler(scaler, batch.x, clip),
      labels: batch.label,
      target,
      returns: batch.forwardReturn,
      picks,
    };
  }
}

/** One epoch's visiting order: a seeded shuffle, cut to `maxWindows` (a fresh random subset every epoch). */
export function epochOrder(size: number, rng: Rng, maxWindows = Infinity): Int32Array {
  const order = permutation(size, rng);
  return maxWindows < size ? order.subarray(0, maxWindows) : order;
}

/** The set in its own order, optionally a fixed seeded subsample (validation that must cost little). */
export function evaluationOrder(size: number, rng: Rng, maxWindows = Infinity): Int32Array {
  if (maxWindows >= size) return Int32Array.from({ length: size }, (_, i) => i);
  return permutation(size, rng).subarray(0, maxWindows).sort();
}
