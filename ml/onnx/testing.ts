/**
 * Test helpers for the ONNX writer: run an encoded model on ONNX Runtime, compare arrays, and run the official
 * ONNX checker (Debian's python3-onnx) when it is installed. Used by tests only.
 */
import * as ort from "onnxruntime-node";

export interface Feed {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** Runs `bytes` once on ONNX Runtime (one thread, so results are repeatable) and returns every output. */
export async function runOnnx(
  bytes: Uint8Array,
  feeds: Readonly<Record<string, Feed>>,
): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, feed] of Object.entries(feeds)) {
      inputs[name] = new ort.Tensor("float32", feed.data, [...feed.dims]);
    }
    const results = await session.run(inputs);
    const out: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
    for (const [name, tensor] of Object.entries(results)) {
      out[name] = { data: tensor.data as Float32Array, dims: tensor.dims };
    }
    return out;
  } finally {
    await session.release();
  }
}

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
