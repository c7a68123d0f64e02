/**
 * Network building blocks written as ONNX subgraphs: Dense, LayerNorm and multi-head attention. They take
 * weights in the Keras/tfjs layout (kernel [in, out], bias [out]) so an exporter passes a layer's weights
 * straight through. Every shape keeps the batch dimension dynamic: reshapes copy it with 0.
 */
import type { GraphBuilder } from "./graph.ts";
import { add, layerNorm, matMul, reshape, softmax, transpose } from "./ops.ts";

export interface DenseWeights {
  /** [in, out] */
  readonly kernel: Float32Array;
  /** [out], or null for a layer without bias. */
  readonly bias: Float32Array | null;
}

/** x [..., in] · kernel + bias → [..., out]; MatMul broadcasts over the leading axes. */
export function dense(
  g: GraphBuilder,
  x: string,
  w: DenseWeights,
  inputSize: number,
  outputSize: number,
): string {
  if (w.kernel.length !== inputSize * outputSize) {
    throw new Error(`Dense: expected a [${inputSize}, ${outputSize}] kernel, got ${w.kernel.length} values`);
  }
  const y = matMul(g, x, g.floats("kernel", w.kernel, [inputSize, outputSize]));
  return w.bias ? add(g, y, g.floats("bias", w.bias, [outputSize])) : y;
}

export interface LayerNormWeights {
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
  readonly epsilon: number;
}

export function layerNormBlock(g: GraphBuilder, x: string, w: LayerNormWeights): string {
  const width = w.gamma.length;
  return layerNorm(g, x, g.floats("gamma", w.gamma, [width]), g.floats("beta", w.beta, [width]), w.epsilon);
}

export interface AttentionWeights {
  readonly query: DenseWeights;
  readonly key: DenseWeights;
  readonly value: DenseWeights;
  readonly output: DenseWeights;
}

export interface AttentionShape {
  readonly heads: number;
  /** Model width d (split into heads of d/heads). */
  readonly dModel: number;
  /** Width of the input x. */
  readonly inputSize: number;
  /** Timesteps T (fixed: the graph's lookback). */
  readonly steps: number;
}

/** Keras-layout kernels side by side: [in, d] × 3 → [in, 3d] (bias likewise), the first scaled by `scale`. */
export function packQkv(w: AttentionWeights, inputSize: number, d: number, scale: number): DenseWeights {
  const kernel = new Float32Array(inputSize * 3 * d);
  const bias = new Float32Array(3 * d);
  [w.query, w.key, w.value].forEach((p, n) => {
    const f = n === 0 ? scale : 1;
    for (let i = 0; i < inputSize; i++) {
      for (let j = 0; j < d; j++) kernel[i * 3 * d + n * d + j] = p.kernel[i * d + j] * f;
    }
    for (let j = 0; p.bias && j < d; j++) bias[n * d + j] = p.bias[j] * f;
  });
  return { kernel, bias };
}

/**
 * Multi-head self-attention: softmax(q·kᵀ/√dk)·v per head, heads merged, output projection. q, k and v come
 * from one [in, 3d] projection (the 1/√dk folded into q's weights, where tfjs applies it too) and one
 * transpose to [3, batch, heads, T, dk]: a third of the nodes of three separate projections, which matters
 * at batch 1 where ONNX Runtime's per-node cost rivals the arithmetic.
 * x is [batch, T, in]. Returns the projected context [batch, T, d] and the weights [1, batch, heads, T, T].
 */
export function selfAttention(
  g: GraphBuilder,
  x: string,
  w: AttentionWeights,
  s: AttentionShape,
): { output: string; weights: string } {
  const d = s.dModel;
  const dk = d / s.heads;
  if (!Number.isInteger(dk)) throw new Error(`attention: d_model ${d} is not divisible by ${s.heads} heads`);
  const qkv = g.scoped(
    "qkv",
    () => dense(g, x, packQkv(w, s.inputSize, d, 1 / Math.sqrt(dk)), s.inputSize, 3 * d),
  );
  const heads = transpose(g, reshape(g, qkv, [0, s.steps, 3, s.heads, dk]), [2, 0, 3, 1, 4]);
  const [q, k, v] = g.node("Split", [heads], { outputs: 3, attrs: { axis: { int: 0 } } });
  const weights = softmax(g, matMul(g, q, transpose(g, k, [0, 1, 2, 4, 3])), -1);
  const context = reshape(g, transpose(g, matMul(g, weights, v), [0, 1, 3, 2, 4]), [-1, s.steps, d]);
  const output = g.scoped("output", () => dense(g, context, w.output, d, d));
  return { output, weights };
}
