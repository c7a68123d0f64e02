/** What the baselines look at: the last candle of each window (its 35 features and its own return). */
import { applyScaler, FEATURE_COUNT, featureIndex } from "../../features/index.ts";
import { gatherBatch, type LabelledSet, type Scaling, type WindowShape } from "../data/index.ts";

export interface LastCandles {
  readonly size: number;
  /** [size, 35], scaled and clipped like the model's input. */
  readonly features: Float32Array;
  /** The last candle's close/prev.close − 1 (unscaled). */
  readonly lastReturn: Float64Array;
  readonly labels: Int8Array;
  readonly returns: Float64Array;
}

const RET = featureIndex("ret");

/** The last candles of the windows at `picks` (all of the set when omitted). */
export function lastCandles(
  set: LabelledSet,
  shape: WindowShape,
  scaling: Scaling,
  picks: Int32Array = Int32Array.from({ length: set.size }, (_, i) => i),
): LastCandles {
  const n = picks.length;
  const features = new Float32Array(n * FEATURE_COUNT), lastReturn = new Float64Array(n);
  const labels = new Int8Array(n), returns = new Float64Array(n);
  const stride = shape.lookback * FEATURE_COUNT, lastRow = (shape.lookback - 1) * FEATURE_COUNT;
  const CHUNK = 512;
  for (let i = 0; i < n; i += CHUNK) {
    const part = picks.subarray(i, i + CHUNK);
    const batch = gatherBatch(set, part, shape);
    for (let b = 0; b < batch.size; b++) {
      const row = batch.x.subarray(b * stride + lastRow, (b + 1) * stride);
      lastReturn[i + b] = row[RET];
      features.set(row, (i + b) * FEATURE_COUNT);
      labels[i + b] = set.labels[part[b]];
      returns[i + b] = set.returns[part[b]];
    }
  }
  applyScaler(scaling.scaler, features, scaling.clip);
  return { size: n, features, lastReturn, labels, returns };
}
