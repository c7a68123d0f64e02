/**
 * Test helpers for the ONNX writer: run an encoded model on ONNX Runtime, compare arrays, and run the official
 * ONNX checker (Debian's python3-onnx) when it is installed. Used by tests only.
 */
import assert from "node:assert/strict";
import { applyScaler, CLASSES, FEATURE_NAMES } from "../features/index.ts";
import type { Preprocessor } from "../engine/preprocessor.ts";
import { dense, type DenseWeights } from "../ml/onnx/blocks.ts";
import type { Body } from "../ml/onnx/frame.ts";
import { reduceMean, reshape, softmax } from "../ml/onnx/ops.ts";
import { denseReference } from "../ml/onnx/reference_test_support.ts";

// Tests run encoded models through the engine's one-shot runner, the only place outside the predictor that
// touches ONNX Runtime.
export { type Feed, runOnnx } from "../engine/index.ts";

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}

/** Deterministic uniform values in [−scale, scale) (a small LCG: tests need repeatable, not random). */
export function pseudoRandom(length: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(length);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 * 2 - 1) * scale;
  }
  return out;
}

const PYTHON = "/usr/bin/python3";
const CHECK_SCRIPT = `
import sys, onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
print("ok ir", m.ir_version, "opset", m.opset_import[0].version)
`;

/**
 * Runs `onnx.checker.check_model(m, full_check=True)` (full shape inference) on the file. Returns null when
 * python3-onnx is not installed (the caller skips with a message), else the checker's verdict.
 */
export async function onnxChecker(path: string): Promise<{ ok: boolean; message: string } | null> {
  let probe;
  try {
    probe = await new Deno.Command(PYTHON, { args: ["-c", "import onnx"], stdout: "null", stderr: "null" })
      .output();
  } catch {
    return null;
  }
  if (!probe.success) return null;
  const result = await new Deno.Command(PYTHON, { args: ["-c", CHECK_SCRIPT, path] }).output();
  const decoder = new TextDecoder();
  const message = (decoder.decode(result.stdout) + decoder.decode(result.stderr)).trim();
  return { ok: result.success, message };
}

export const CHECKER_MISSING =
  "skipping the ONNX checker: /usr/bin/python3 with the onnx module is missing (apt-get install python3-onnx)";

/** Asserts that the ONNX checker accepts `bytes` (a temporary file); warns and passes when it is not installed. */
export async function assertOnnxChecks(bytes: Uint8Array): Promise<void> {
  const path = await Deno.makeTempFile({ suffix: ".onnx" });
  try {
    await Deno.writeFile(path, bytes);
    const verdict = await onnxChecker(path);
    if (verdict === null) console.warn(CHECKER_MISSING);
    else assert.ok(verdict.ok, verdict.message);
  } finally {
    await Deno.remove(path);
  }
}

/** A valid preprocessor with a non-trivial scaler, for tests that need one. */
export function testPreprocessor(overrides: Partial<Preprocessor> = {}): Preprocessor {
  const f = FEATURE_NAMES.length;
  return {
    modelType: "lightweight_lstm",
    featureNames: [...FEATURE_NAMES],
    lookback: 6,
    horizon: 4,
    labelRule: { kind: "volatility", multiplier: 0.5 },
    classes: [...CLASSES],
    scaler: {
      featureNames: [...FEATURE_NAMES],
      mean: [...pseudoRandom(f, 101, 0.5)],
      std: [...pseudoRandom(f, 102, 0.5)].map((v) => 1 + v),
    },
    clip: 3,
    returnScale: { mean: 0.001, std: 0.02 },
    temperature: 1.5,
    ...overrides,
  };
}

/**
 * A tiny stand-in network for tests of the frame and the engine: logits and the standardised return are
 * linear in the mean over time of the scaled input; attention is a softmax over a per-timestep score.
 */
export interface LinearBodyWeights {
  readonly logits: DenseWeights;
  readonly regression: DenseWeights;
  readonly score: DenseWeights;
}

export function linearBodyWeights(seed: number): LinearBodyWeights {
  const f = FEATURE_NAMES.length;
  const dense = (out: number, s: number): DenseWeights => ({
    kernel: pseudoRandom(f * out, s, 0.4),
    bias: pseudoRandom(out, s + 1, 0.1),
  });
  return { logits: dense(3, seed), regression: dense(1, seed + 2), score: dense(1, seed + 4) };
}

export function linearBody(w: LinearBodyWeights, lookback: number, withAttention = true): Body {
  const f = FEATURE_NAMES.length;
  return (g, scaled) => {
    const pooled = reduceMean(g, scaled, [1]);
    const attention = withAttention
      ? softmax(g, reshape(g, dense(g, scaled, w.score, f, 1), [0, lookback]), -1)
      : null;
    return {
      logits: dense(g, pooled, w.logits, f, 3),
      regression: dense(g, pooled, w.regression, f, 1),
      attention,
    };
  };
}

/** The same network in plain TypeScript on UNscaled windows: scaler, clip, body, temperature, return scale. */
export function linearReference(
  w: LinearBodyWeights,
  p: Preprocessor,
  x: Float32Array,
  count: number,
): { logits: Float64Array; regression: Float64Array; attention: Float64Array } {
  const f = FEATURE_NAMES.length, L = p.lookback;
  const scaled = applyScaler(p.scaler, x.slice(0, count * L * f), p.clip);
  const pooled = new Float64Array(count * f);
  for (let b = 0; b < count; b++) {
    for (let t = 0; t < L; t++) {
      for (let k = 0; k < f; k++) pooled[b * f + k] += scaled[(b * L + t) * f + k] / L;
    }
  }
  const logits = denseReference(pooled, count, f, w.logits.kernel, w.logits.bias, 3).map((v) =>
    v / p.temperature
  );
  const regression = denseReference(pooled, count, f, w.regression.kernel, w.regression.bias, 1)
    .map((v) => v * p.returnScale.std + p.returnScale.mean);
  const score = denseReference(scaled, count * L, f, w.score.kernel, w.score.bias, 1);
  const attention = new Float64Array(count * L);
  for (let b = 0; b < count; b++) {
    const row = score.subarray(b * L, (b + 1) * L);
    const max = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
    for (let t = 0; t < L; t++) attention[b * L + t] = Math.exp(row[t] - max) / sum;
  }
  return { logits, regression, attention };
}
