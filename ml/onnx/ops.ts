/**
 * Opset-17 operators as one-line helpers over a GraphBuilder: each takes value names and returns the name of
 * what it produced, so an exporter reads like the model it mirrors. `name` overrides the node's name (and so
 * its output's), which is how the graph's documented outputs get their names.
 */
import { attr, type GraphBuilder } from "./graph.ts";

const one = (outputs: string[]): string => outputs[0];

export const matMul = (g: GraphBuilder, a: string, b: string, name?: string) =>
  one(g.node("MatMul", [a, b], { name }));

/** y = a·bᵀ + c when transB (weights stored [out, in]), else a·b + c; a is 2-D. */
export const gemm = (g: GraphBuilder, a: string, b: string, c: string, transB = false, name?: string) =>
  one(g.node("Gemm", [a, b, c], { name, attrs: transB ? { transB: attr.int(1) } : {} }));

export const add = (g: GraphBuilder, a: string, b: string, name?: string) =>
  one(g.node("Add", [a, b], { name }));
export const sub = (g: GraphBuilder, a: string, b: string, name?: string) =>
  one(g.node("Sub", [a, b], { name }));
export const mul = (g: GraphBuilder, a: string, b: string, name?: string) =>
  one(g.node("Mul", [a, b], { name }));
export const div = (g: GraphBuilder, a: string, b: string, name?: string) =>
  one(g.node("Div", [a, b], { name }));

/** Running sum along `axis`; `exclusive` leaves each element out of its own sum, `reverse` sums from the end. */
export const cumSum = (g: GraphBuilder, x: string, axis: number, exclusive: boolean, reverse: boolean) =>
  one(g.node("CumSum", [x, g.int64s("axis", [axis])], {
    attrs: { exclusive: attr.int(exclusive ? 1 : 0), reverse: attr.int(reverse ? 1 : 0) },
  }));
export const neg = (g: GraphBuilder, x: string) => one(g.node("Neg", [x]));

export const max = (g: GraphBuilder, a: string, b: string, name?: string) =>
  one(g.node("Max", [a, b], { name }));
export const log = (g: GraphBuilder, x: string, name?: string) => one(g.node("Log", [x], { name }));

/** Gather `indices` (int64 constants) along `axis`: picks feature columns when axis is the last. */
export const gather = (g: GraphBuilder, x: string, indices: readonly number[], axis: number, name?: string) =>
  one(g.node("Gather", [x, g.int64s("indices", indices)], { name, attrs: { axis: attr.int(axis) } }));

export const relu = (g: GraphBuilder, x: string) => one(g.node("Relu", [x]));
export const tanh = (g: GraphBuilder, x: string) => one(g.node("Tanh", [x]));
export const sigmoid = (g: GraphBuilder, x: string) => one(g.node("Sigmoid", [x]));
export const erf = (g: GraphBuilder, x: string) => one(g.node("Erf", [x]));
export const identity = (g: GraphBuilder, x: string, name?: string) => one(g.node("Identity", [x], { name }));

/** Exact (erf) GELU, 0.5·x·(1 + erf(x/√2)); opset 17 has no Gelu operator. */
export function gelu(g: GraphBuilder, x: string): string {
  return g.scoped("gelu", () => {
    const scaled = mul(g, x, g.floats("inv_sqrt2", [Math.SQRT1_2], []));
    const onePlus = add(g, erf(g, scaled), g.floats("one", [1], []));
    return mul(g, mul(g, x, onePlus), g.floats("half", [0.5], []));
  });
}

/** LayerNormalization over the last axis: (x − mean)/√(var + ε)·γ + β, var the population variance. */
export const layerNorm = (
  g: GraphBuilder,
  x: string,
  gamma: string,
  beta: string,
  epsilon: number,
  name?: string,
) =>
  one(
    g.node("LayerNormalization", [x, gamma, beta], {
      name,
      attrs: { axis: attr.int(-1), epsilon: attr.float(epsilon) },
    }),
  );

export const softmax = (g: GraphBuilder, x: string, axis = -1, name?: string) =>
  one(g.node("Softmax", [x], { name, attrs: { axis: attr.int(axis) } }));

/** Reshape to `shape`; 0 copies that dimension from the input (keeps the batch dynamic), −1 infers one. */
export const reshape = (g: GraphBuilder, x: string, shape: readonly number[], name?: string) =>
  one(g.node("Reshape", [x, g.int64s("shape", shape)], { name }));

export const transpose = (g: GraphBuilder, x: string, perm: readonly number[], name?: string) =>
  one(g.node("Transpose", [x], { name, attrs: { perm: attr.ints(perm) } }));

export const concat = (g: GraphBuilder, xs: readonly string[], axis: number, name?: string) =>
  one(g.node("Concat", xs, { name, attrs: { axis: attr.int(axis) } }));

export const slice = (
  g: GraphBuilder,
  x: string,
  starts: readonly number[],
  ends: readonly number[],
  axes: readonly number[],
  name?: string,
) =>
  one(
    g.node("Slice", [x, g.int64s("starts", starts), g.int64s("ends", ends), g.int64s("axes", axes)], {
      name,
    }),
  );

/** Pad with zeros: `pads` is ONNX's [begin of each axis…, end of each axis…]. */
export const pad = (g: GraphBuilder, x: string, pads: readonly number[], name?: string) =>
  one(g.node("Pad", [x, g.int64s("pads", pads)], { name }));

/** ReduceMean (opset 17 takes axes as an attribute; opset 18 moved them to an input). */
export const reduceMean = (
  g: GraphBuilder,
  x: string,
  axes: readonly number[],
  keepdims = false,
  name?: string,
) =>
  one(
    g.node("ReduceMean", [x], {
      name,
      attrs: { axes: attr.ints(axes), keepdims: attr.int(keepdims ? 1 : 0) },
    }),
  );

export const clip = (g: GraphBuilder, x: string, min: number, max: number, name?: string) =>
  one(g.node("Clip", [x, g.floats("min", [min], []), g.floats("max", [max], [])], { name }));

export interface LstmOptions {
  readonly hiddenSize: number;
  readonly direction: "forward" | "reverse" | "bidirectional";
}

/**
 * The ONNX LSTM (sigmoid gates, tanh cell and output; time-major X [seq, batch, in]). W [dirs, 4H, in],
 * R [dirs, 4H, H] and B [dirs, 8H] in ONNX's gate order i, o, f, c. Returns Y [seq, dirs, batch, H] and
 * Y_h [dirs, batch, H].
 */
export function lstm(
  g: GraphBuilder,
  x: string,
  w: string,
  r: string,
  b: string,
  options: LstmOptions,
): { y: string; yH: string } {
  const [y, yH] = g.node("LSTM", [x, w, r, b], {
    outputs: 2,
    attrs: { hidden_size: attr.int(options.hiddenSize), direction: attr.string(options.direction) },
  });
  return { y, yH };
}
