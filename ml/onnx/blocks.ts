/**
 * Network building blocks written as ONNX subgraphs: Dense, LayerNorm and multi-head attention. They take
 * weights in the Keras/tfjs layout (kernel [in, out], bias [out]) so an exporter passes a layer's weights
 * straight through. Every shape keeps the batch dimension dynamic: reshapes copy it with 0.
 */
import type { GraphBuilder } from "./graph.ts";
import { add, layerNorm, matMul, mul, reshape, softmax, transpose } from "./ops.ts";

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
  /** Width of the query/key/value inputs (d unless the caller projects from another width). */
  readonly inputSize: number;
  readonly queryLength: number;
  readonly keyLength: number;
}

/**
 * Multi-head attention: q, k, v projections, split into heads, softmax(q·kᵀ/√dk)·v, merge, output projection.
 * `query` is [batch, lq, in], `memory` [batch, lk, in]. Returns the projected context [batch, lq, d] and the
 * attention weights [batch, heads, lq, lk].
 */
export function multiHeadAttention(
  g: GraphBuilder,
  query: string,
  memory: string,
  w: AttentionWeights,
  s: AttentionShape,
): { output: string; weights: string } {
  const dk = s.dModel / s.heads;
  if (!Number.isInteger(dk)) {
    throw new Error(`attention: d_model ${s.dModel} is not divisible by ${s.heads} heads`);
  }
  const heads = (x: string, length: number, perm: readonly number[]) =>
    transpose(g, reshape(g, x, [0, length, s.heads, dk]), perm);
  const q = g.scoped(
    "query",
    () => heads(dense(g, query, w.query, s.inputSize, s.dModel), s.queryLength, [0, 2, 1, 3]),
  );
  // Keys go straight to [batch, heads, dk, lk], so the score product needs no separate transpose.
  const k = g.scoped(
    "key",
    () => heads(dense(g, memory, w.key, s.inputSize, s.dModel), s.keyLength, [0, 2, 3, 1]),
  );
  const v = g.scoped(
    "value",
    () => heads(dense(g, memory, w.value, s.inputSize, s.dModel), s.keyLength, [0, 2, 1, 3]),
  );
  const scores = mul(g, matMul(g, q, k), g.floats("scale", [1 / Math.sqrt(dk)], []));
  const weights = softmax(g, scores, -1);
  const context = reshape(g, transpose(g, matMul(g, weights, v), [0, 2, 1, 3]), [0, s.queryLength, s.dModel]);
  const output = g.scoped("output", () => dense(g, context, w.output, s.dModel, s.dModel));
  return { output, weights };
}
