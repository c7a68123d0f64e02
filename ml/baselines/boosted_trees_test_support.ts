/**
 * A small gradient-boosting fit on lagged synthetic rows, and rows that sit on and beside every threshold its
 * trees split at (NaN too): what the tests of the tree conversion and of its ONNX form check parity on.
 */
import { seededRng } from "../data/index.ts";
import { FEATURE_COUNT } from "../../features/index.ts";
import { fitGbdt, type GbdtData, type GbdtModel } from "./gbdt.ts";
import type { GradientBoostingModel } from "./gradient_boosting.ts";
import { GBDT_LAGS } from "./inputs.ts";
import { float32AtMost, lagRow } from "./boosted_trees.ts";

export const COLUMNS = FEATURE_COUNT * GBDT_LAGS.length;

/**
 * Lagged rows whose classes depend on a few columns: some columns take few distinct values (thresholds are
 * midpoints, most of them not float32 values), others many (quantile thresholds); 10 % of the values NaN.
 */
export function synthetic(n: number, seed: number): GbdtData {
  const rng = seededRng(seed);
  const x = new Float32Array(n * COLUMNS).map((_, i) => {
    const u = rng() * 2 - 1;
    if (rng() < 0.1) return NaN;
    return i % COLUMNS % 3 === 0 ? Math.round(u * 7) / 7 : u * 1e-3 * (1 + (i % 5));
  });
  const labels = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * COLUMNS;
    const a = x[o] || 0, b = x[o + 40] || 0, c = x[o + 71] || 0;
    labels[i] = a > 0.3 ? 2 : b * c > 0 ? 0 : 1;
    if (rng() < 0.1) labels[i] = Math.floor(rng() * 3);
  }
  return { x, labels };
}

export function boostingModel(gbdt: GbdtModel): GradientBoostingModel {
  return { gbdt, lags: GBDT_LAGS, classMeanReturn: [-0.01, 0, 0.01], trainWindows: 0, seconds: 0 };
}

/** A GBDT of a few dozen iterations on `synthetic` rows (under a second). */
export function fittedGbdt(maxIterations = 25): GbdtModel {
  return fitGbdt(synthetic(3000, 1), synthetic(1000, 2), 3, {
    minSamplesLeaf: 20,
    patience: 5,
    maxIterations,
  });
}

/** The float32 value t and its neighbours one ulp away on each side (NaN beside ±0's bit patterns). */
export function neighbours(t: number): number[] {
  const bits = new Float32Array([t]), word = new Int32Array(bits.buffer);
  const at = bits[0];
  word[0] += 1;
  const a = bits[0];
  word[0] -= 2;
  const b = bits[0];
  return [at, a, b];
}

/** Rows of random values with one column, per row, on or beside a threshold the trees split at, or NaN. */
export function edgeRows(m: GbdtModel): Float32Array {
  const rng = seededRng(3);
  const rows: number[][] = [];
  for (const round of m.trees) {
    for (const tree of round) {
      for (let n = 0; n < tree.feature.length; n++) {
        const f = tree.feature[n];
        if (f === -1) continue;
        const t = m.bins.thresholds[f][tree.bin[n]];
        for (const v of [...neighbours(t), ...neighbours(float32AtMost(t)), NaN]) {
          const row = Array.from({ length: COLUMNS }, () => (rng() < 0.5 ? rng() * 2 - 1 : 0));
          row[f] = v;
          rows.push(row);
        }
      }
    }
  }
  return Float32Array.from(rows.flat());
}

/** Windows [count, lookback, 35] whose lagged rows (`lagWindows`) are `rows`; the other time rows are noise. */
export function windowsOf(rows: Float32Array, lookback: number, lags = GBDT_LAGS): Float32Array {
  const columns = FEATURE_COUNT * lags.length, count = rows.length / columns;
  const rng = seededRng(9);
  const x = new Float32Array(count * lookback * FEATURE_COUNT).map(() => rng() * 6 - 3);
  for (let b = 0; b < count; b++) {
    lags.forEach((lag, l) => {
      const from = b * columns + l * FEATURE_COUNT;
      x.set(
        rows.subarray(from, from + FEATURE_COUNT),
        (b * lookback + lagRow(lag, lookback)) * FEATURE_COUNT,
      );
    });
  }
  return x;
}
