/**
 * Raw outputs of a tfjs model over a window set: class logits (before any temperature) and predicted returns
 * as fractions. Calibration needs the logits themselves, which the training loop's metrics never keep.
 */
import * as tf from "@tensorflow/tfjs";
import { FEATURE_COUNT } from "../../features/index.ts";
import { eventLoopTurns } from "../../base/index.ts";
import { modelBatches, type Scaling, type WindowSet, type WindowShape } from "../data/index.ts";
import { forward } from "../train/index.ts";

export interface ModelOutputs {
  /** [n, 3] logits, class order DOWN, SIDEWAYS, UP. */
  readonly logits: Float32Array;
  /** Predicted forward return per window (de-standardised, a fraction). */
  readonly returns: Float64Array;
}

/** Runs `model` (inference mode, no dropout) on every window of `set`, in the set's order. */
export async function modelOutputs(
  model: tf.LayersModel,
  set: WindowSet,
  shape: WindowShape,
  scaling: Scaling,
  batchSize = 256,
  /** Called after each batch with the batches done and their total (a long scoring pass is not silent). */
  progress?: (done: number, total: number) => void,
): Promise<ModelOutputs> {
  const logits = new Float32Array(set.size * 3), returns = new Float64Array(set.size);
  const order = Int32Array.from({ length: set.size }, (_, i) => i);
  const { mean, std } = scaling.returnScale;
  let at = 0, batches = 0;
  const total = Math.ceil(set.size / batchSize);
  // `data()` of tfjs-wasm settles at once, so awaiting it never turns the event loop: a pass of minutes
  // (calibration, test scoring on big data) would leave a second Ctrl-C unheard until its end.
  const turn = eventLoopTurns();
  for (const batch of modelBatches(set, order, batchSize, shape, scaling)) {
    const [l, r] = tf.tidy(() => {
      const out = forward(model, tf.tensor3d(batch.x, [batch.size, shape.lookback, FEATURE_COUNT]), false);
      return [out.logits, out.regression];
    });
    logits.set(await l.data() as Float32Array, at * 3);
    const z = await r.data();
    for (let b = 0; b < batch.size; b++) returns[at + b] = z[b] * std + mean;
    tf.dispose([l, r]);
    at += batch.size;
    progress?.(++batches, total);
    await turn();
  }
  return { logits, returns };
}
