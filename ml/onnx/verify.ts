/**
 * Proves an exported file before anyone relies on it: ONNX Runtime runs the bytes on a few windows and its
 * outputs must equal the tfjs model's (through the same scaler, temperature and return scale) to 1e-4, the
 * SPEC §8 promise. `export` and `train` call it, so an architecture the exporter mis-maps never ships. A blended
 * version's `class_logits` is compared with the blend computed here: the tfjs model's calibrated probabilities
 * mixed with `predictBoostedTrees` on the same windows.
 */
import * as tf from "@tensorflow/tfjs";
import { applyScaler, FEATURE_COUNT, featureIndex } from "../../features/index.ts";
import { ReportedError } from "../../base/index.ts";
import { INPUT_NAME, OUTPUT_NAMES, type Preprocessor, runOnnx } from "../../engine/index.ts";
import { type BoostedTrees, lagWindows, predictBoostedTrees } from "../baselines/index.ts";
import { LONG_VOLATILITY, PATH_FEATURES, SHORT_VOLATILITY, VOLATILITY_RATIOS } from "../layers/index.ts";
import { exportOnnx, type ExportOptions } from "./export.ts";

/** The largest difference SPEC §8 allows between an export's outputs and the tfjs model's. */
export const EXPORT_TOLERANCE = 1e-4;

export interface ExportCheck {
  /** Largest absolute difference per output (for a model without attention, the attention output from 0). */
  readonly maxDiff: Readonly<Record<string, number>>;
  readonly ok: boolean;
}

/** Features a market that stands still has at 0: returns, momenta, MACD, volatility (the channels' inputs). */
const STILL_AT_ZERO = [
  ...VOLATILITY_RATIOS.map((r) => r.feature),
  LONG_VOLATILITY,
  SHORT_VOLATILITY,
  ...PATH_FEATURES,
].map(featureIndex);

/**
 * Windows spread around the scaler's range: each feature at mean + std·u, u in [−3, 3], every tenth u stretched
 * by clip + 1 so that most of those lie past the clip and the in-graph clip is exercised too. The last of two
 * or more ends in 25 candles that stood still: there the volatility channels divide by their floor, which
 * magnifies any rounding apart (an odd-pairs seat found such windows 3e-4 apart while random ones passed).
 */
export function probeWindows(p: Preprocessor, count: number): Float32Array {
  const x = new Float32Array(count * p.lookback * FEATURE_COUNT);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = (s / 2 ** 32) * 6 - 3;
    const k = i % FEATURE_COUNT;
    x[i] = p.scaler.mean[k] + p.scaler.std[k] * (i % 10 === 0 ? u * (p.clip + 1) : u);
  }
  if (count > 1) {
    for (let t = Math.max(0, p.lookback - 25); t < p.lookback; t++) {
      const row = ((count - 1) * p.lookback + t) * FEATURE_COUNT;
      for (const k of STILL_AT_ZERO) x[row + k] = 0;
    }
  }
  return x;
}

export interface CheckOptions {
  /** Probe windows run (default 4). */
  readonly count?: number;
  /** A blended version's boosting trees, the ones it was exported with (required when `p.blend` is set). */
  readonly boosting?: BoostedTrees;
}

/**
 * log(w·softmax(logits) + (1 − w)·boosting) ÷ `temperature` row by row, `logits` already divided by the
 * network's temperature: what a blended model outputs as `class_logits`.
 */
export function blendedLogits(
  logits: Float32Array,
  boosting: Float32Array,
  weight: number,
  temperature = 1,
): Float64Array {
  const out = new Float64Array(logits.length);
  for (let o = 0; o < logits.length; o += 3) {
    const row = logits.subarray(o, o + 3);
    const max = Math.max(...row);
    const e = [...row].map((v) => Math.exp(v - max));
    const sum = e[0] + e[1] + e[2];
    for (let c = 0; c < 3; c++) {
      out[o + c] = Math.log(weight * e[c] / sum + (1 - weight) * boosting[o + c]) / temperature;
    }
  }
  return out;
}

/**
 * Runs `bytes` on ONNX Runtime and `model` on tfjs over `count` probe windows and compares their outputs,
 * logits after the temperature (for a blended version, the log of the blend with `boosting`'s probabilities)
 * and the return standardised. `ok` is false, not an error, when a difference exceeds EXPORT_TOLERANCE; a
 * blend without its trees (or trees without a blend) throws.
 */
export async function checkExport(
  model: tf.LayersModel,
  p: Preprocessor,
  bytes: Uint8Array,
  options: CheckOptions = {},
): Promise<ExportCheck> {
  const { count = 4, boosting } = options;
  if (!p.blend !== !boosting) {
    throw new Error(
      p.blend
        ? "export check: preprocessor.json records a blend, but no boosting trees were given to compare with"
        : "export check: boosting trees were given, but preprocessor.json records no blend",
    );
  }
  const x = probeWindows(p, count);
  const expected = tf.tidy(() => {
    const scaled = applyScaler(p.scaler, x.slice(), p.clip);
    const ys = model.predict(tf.tensor3d(scaled, [count, p.lookback, FEATURE_COUNT])) as tf.Tensor[];
    return ys.map((y) => y.dataSync() as Float32Array);
  });
  // The blend's logits in float64 from the tfjs logits ÷ T and the trees on the same unscaled windows.
  const logits = p.blend && boosting
    ? blendedLogits(
      expected[0].map((v) => v / p.temperature),
      predictBoostedTrees(boosting, lagWindows(x, p.lookback, boosting.lags)),
      p.blend.weight,
      p.blend.temperature,
    )
    : null;
  const actual = await runOnnx(bytes, {
    [INPUT_NAME]: { data: x, dims: [count, p.lookback, FEATURE_COUNT] },
  });
  // Logits are compared as the graph outputs them (÷ temperature); the return standardised, so the 1e-4 bound
  // is not loosened by a small return std.
  const compare: [string, (tfjs: number, j: number) => number, (onnx: number) => number][] = [
    [OUTPUT_NAMES.logits, (v, j) => (logits ? logits[j] : v / p.temperature), (v) => v],
    [OUTPUT_NAMES.regression, (v) => v, (v) => (v - p.returnScale.mean) / p.returnScale.std],
    [OUTPUT_NAMES.attention, (v) => v, (v) => v],
  ];
  const maxDiff: Record<string, number> = {};
  expected.forEach((values, i) => {
    const [name, fromTfjs, fromOnnx] = compare[i];
    const onnx = actual[name]?.data as Float32Array | undefined;
    let max = onnx && onnx.length === values.length ? 0 : Infinity;
    for (let j = 0; onnx && j < values.length; j++) {
      const d = Math.abs(fromOnnx(onnx[j]) - fromTfjs(values[j], j));
      if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
    }
    maxDiff[name] = max;
  });
  // A model without attention: the graph's attention output must be the documented zeros.
  if (expected.length < compare.length) {
    const onnx = actual[OUTPUT_NAMES.attention]?.data as Float32Array | undefined;
    let max = onnx && onnx.length === count * p.lookback ? 0 : Infinity;
    for (let j = 0; onnx && j < onnx.length; j++) {
      const d = Math.abs(onnx[j]);
      if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
    }
    maxDiff[OUTPUT_NAMES.attention] = max;
  }
  return { maxDiff, ok: Object.values(maxDiff).every((d) => d <= EXPORT_TOLERANCE) };
}

/** The exported file does not compute what the tfjs model computes (an exporter bug for this architecture). */
export class ExportMismatchError extends ReportedError {
  override name = "ExportMismatchError";
  constructor(readonly maxDiff: Readonly<Record<string, number>>) {
    super(
      `the exported model does not match the trained one (max differences: ${
        Object.entries(maxDiff).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(", ")
      }; allowed ${EXPORT_TOLERANCE})`,
      "this is an exporter bug for this architecture; report it with the version's manifest.json",
    );
  }
}

/**
 * `exportOnnx`, then `checkExport` (with `options.boosting` for a blend): the bytes of a file proven to match
 * the model, or an ExportMismatchError.
 */
export async function exportCheckedOnnx(
  model: tf.LayersModel,
  p: Preprocessor,
  options: ExportOptions,
): Promise<{ bytes: Uint8Array; maxDiff: Readonly<Record<string, number>> }> {
  const bytes = exportOnnx(model, p, options);
  const check = await checkExport(model, p, bytes, { boosting: options.boosting });
  if (!check.ok) throw new ExportMismatchError(check.maxDiff);
  return { bytes, maxDiff: check.maxDiff };
}
