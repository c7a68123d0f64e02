/**
 * An ensemble exported as ONE network with a member axis. Member k's layers (`m{k}_…`, ml/models/ensemble.ts)
 * have the same shapes in every member, so each group of same-named layers becomes one layer over a value
 * [M, b, …] that holds every member's value, member first: a Dense is one MatMul against the members' kernels
 * stacked [M, …, in, out] (ONNX Runtime runs one GEMM per member, no multiply-add wasted), LayerNorm, attention,
 * pooling and the heads likewise; only the LSTMs stay one ONNX node per member (ONNX's LSTM has no member axis,
 * and a block-diagonal one of M·H units costs M times the recurrent multiply-adds). Every member computes what
 * it computes alone, up to float summation order.
 *
 * Why: at batch 1 much of ONNX Runtime's cost is per node: three members as three branches are 154 nodes, one
 * member axis 90. Measured (bench/RESULTS.md § Session 4, `bench:inference`): batch-1 p50 1.09× faster, batch
 * 256 0.82× (the per-member bias and γ/β adds broadcast, and MatMul+Add no longer fuse into one Gemm). Serve
 * runs batch 1, so this is the default; `exportOnnx(…, { fuseMembers: false })` writes the branches.
 *
 * Layers outside the members (the volatility channels) convert as usual into "shared" values [b, …] that every
 * member reads; `EnsembleMean` averages over the member axis.
 */
import type * as tf from "@tensorflow/tfjs";
import { sinusoidalTable } from "../layers/index.ts";
import { memberPrefix } from "../models/index.ts";
import { type AttentionWeights, type DenseWeights, packQkv } from "./blocks.ts";
import type { Body } from "./frame.ts";
import type { GraphBuilder } from "./graph.ts";
import { type LstmWeights, onnxLstmTensors } from "./lstm.ts";
import {
  add,
  concat,
  layerNorm,
  log,
  lstm,
  matMul,
  mul,
  reduceMean,
  reshape,
  slice,
  softmax,
  transpose,
} from "./ops.ts";
import {
  activation,
  activationLayer,
  addLayer,
  config,
  type ConvertContext,
  foldedPooling,
  lastDim,
  LAYER_CONVERTERS,
  type LayerConverter,
  optionalWeight,
  passThrough,
  steps,
  weight,
} from "./tfjs_layers.ts";

type Layer = tf.layers.Layer;
type Symbolic = tf.SymbolicTensor;

/** A graph value: one every member reads (`shared`, [b, …]) or all members' values (`wide`, [M, b, …]). */
interface Value {
  readonly value: string;
  readonly wide: boolean;
  /** One member's (or the shared) tfjs symbolic shape, batch first. */
  readonly shape: readonly (number | null)[];
}

/** Converts one group of same-named member layers (member 1 first) applied to `inputs`; returns wide values. */
type GroupConverter = (
  g: GraphBuilder,
  layers: readonly Layer[],
  inputs: readonly Value[],
  ctx: ConvertContext,
) => string[];

/** The members' arrays stacked, in member order. */
function stacked(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The members' [in, out] matrices as one initializer [M, 1…, in, out] that MatMul broadcasts against a value
 * of one member's rank (`rank`, batch included) plus the member axis, or a shared value of that rank.
 */
function memberMatrix(
  g: GraphBuilder,
  name: string,
  parts: readonly Float32Array[],
  rows: number,
  cols: number,
  rank: number,
) {
  return g.floats(name, stacked(parts), [parts.length, ...new Array(rank - 2).fill(1), rows, cols]);
}

/** The members' [n] vectors as [M, 1…, n], broadcasting over a member value of rank `rank` (batch included). */
function memberVector(g: GraphBuilder, name: string, parts: readonly Float32Array[], rank: number) {
  return g.floats(name, stacked(parts), [parts.length, ...new Array(rank - 1).fill(1), parts[0].length]);
}

const denseGroup: GroupConverter = (g, layers, [x]) => {
  const units = config<number>(layers[0], "units"), rank = x.shape.length;
  const kernels = layers.map((l) => weight(l, "kernel"));
  let y = matMul(g, x.value, memberMatrix(g, "kernel", kernels, lastDim(x, layers[0]), units, rank));
  const biases = layers.map((l) => optionalWeight(l, "bias"));
  if (biases.every((b) => b !== null)) {
    y = add(g, y, memberVector(g, "bias", biases as Float32Array[], rank));
  } else if (biases.some((b) => b !== null)) {
    throw new Error(`fused ensemble: layer '${layers[0].name}' has a bias in some members only`);
  }
  return [activation(g, y, config<string>(layers[0], "activation"), layers[0])];
};

/** Elementwise layers act on the member axis as on any other: member 1's single-layer converter serves. */
const elementwise = (convert: LayerConverter): GroupConverter => (g, layers, inputs, ctx) =>
  convert(g, layers[0], inputs, ctx);

/**
 * The last timestep of [M, b, T, d] → [M, b, d]. Of a shared value [b, T, d] (the input channels every member
 * reads), the same step broadcast to every member, so what follows (a Concatenate with wide values) sees [M, b, d].
 */
const lastTimestepGroup: GroupConverter = (g, layers, [x]) => {
  const t = steps(x, layers[0]), d = lastDim(x, layers[0]), m = layers.length;
  if (!x.wide) {
    const last = reshape(g, slice(g, x.value, [t - 1], [t], [1]), [1, -1, d]);
    return [add(g, last, g.floats("member_zeros", new Float32Array(m), [m, 1, 1]))];
  }
  return [reshape(g, slice(g, x.value, [t - 1], [t], [2]), [m, -1, d])];
};

/** Concatenate on the last axis (a member's last axis is the wide value's last axis too). */
const concatenateGroup: GroupConverter = (g, layers, inputs) => {
  const axis = config<number | undefined>(layers[0], "axis") ?? -1;
  if (axis !== -1 && axis !== inputs[0].shape.length - 1) {
    throw new Error(`fused ensemble: layer '${layers[0].name}' concatenates on axis ${axis}, not the last`);
  }
  return [concat(g, inputs.map((x) => x.value), -1)];
};

/** LayerNorm over the last axis, then each member's γ and β. */
const layerNormGroup: GroupConverter = (g, layers, [x]) => {
  const d = lastDim(x, layers[0]), rank = x.shape.length;
  const epsilon = config<number>(layers[0], "epsilon") ?? 1e-5;
  const ones = g.floats("ones", new Float32Array(d).fill(1), [d]);
  const normed = layerNorm(g, x.value, ones, g.floats("zeros", new Float32Array(d), [d]), epsilon);
  const gamma = memberVector(g, "gamma", layers.map((l) => weight(l, "gamma")), rank);
  return [add(g, mul(g, normed, gamma), memberVector(g, "beta", layers.map((l) => weight(l, "beta")), rank))];
};

const positionalGroup: GroupConverter = (g, layers, [x]) => {
  const t = steps(x, layers[0]), d = lastDim(x, layers[0]);
  return [add(g, x.value, g.floats("table", sinusoidalTable(t, d), [t, d]))];
};

/**
 * Self-attention per member (MultiHeadSelfAttention, the maths of blocks.ts' selfAttention) on x [M, b, T, d]:
 * one q|k|v projection per member, heads split to [3, M, b, heads, T, dk], softmax(q·kᵀ)·v, output projection.
 */
const selfAttentionGroup: GroupConverter = (g, layers, [x]) => {
  const d = lastDim(x, layers[0]), t = steps(x, layers[0]), m = layers.length;
  const heads = config<number>(layers[0], "heads"), dk = d / heads;
  if (!Number.isInteger(dk)) throw new Error(`attention: d_model ${d} is not divisible by ${heads} heads`);
  const projection = (l: Layer, name: string): DenseWeights => ({
    kernel: weight(l, `${name}_kernel`),
    bias: optionalWeight(l, `${name}_bias`) ?? new Float32Array(d),
  });
  const packed = layers.map((l) => {
    const w: AttentionWeights = {
      query: projection(l, "query"),
      key: projection(l, "key"),
      value: projection(l, "value"),
      output: projection(l, "output"),
    };
    return { qkv: packQkv(w, d, d, 1 / Math.sqrt(dk)), output: w.output };
  });
  const qkv = add(
    g,
    matMul(g, x.value, memberMatrix(g, "qkv_kernel", packed.map((p) => p.qkv.kernel), d, 3 * d, 3)),
    memberVector(g, "qkv_bias", packed.map((p) => p.qkv.bias!), 3),
  ); // [M, b, T, 3d]
  const split = transpose(g, reshape(g, qkv, [0, 0, t, 3, heads, dk]), [3, 0, 1, 4, 2, 5]);
  const [q, k, v] = g.node("Split", [split], { outputs: 3, attrs: { axis: { int: 0 } } });
  const weights = softmax(g, matMul(g, q, transpose(g, k, [0, 1, 2, 3, 5, 4])), -1);
  const context = reshape(g, transpose(g, matMul(g, weights, v), [0, 1, 2, 4, 3, 5]), [m, -1, t, d]);
  const output = add(
    g,
    matMul(g, context, memberMatrix(g, "output_kernel", packed.map((p) => p.output.kernel), d, d, 3)),
    memberVector(g, "output_bias", packed.map((p) => p.output.bias!), 3),
  );
  return [output];
};

/**
 * Members' LSTMs, one ONNX LSTM node each (see the module note) on its slice of the time-major input, their
 * outputs gathered back onto the member axis: [M, b, T, dirs·H] with each member's [forward | backward].
 */
const lstmGroup: GroupConverter = (g, layers, [x], ctx) => {
  const units = config<number>(layers[0], "units"),
    m = layers.length,
    inSize = lastDim(x, layers[0]),
    t = steps(x, layers[0]);
  const bidirectional = config<boolean>(layers[0], "bidirectional") ?? false;
  const sequences = config<boolean>(layers[0], "returnSequences") ?? true;
  const dirs = bidirectional ? 2 : 1;
  let inputs: string[];
  if (x.wide) {
    const timeMajor = transpose(g, x.value, [0, 2, 1, 3]); // [M, T, b, in]
    inputs = g.node("Split", [timeMajor], { outputs: m, attrs: { axis: { int: 0 } } })
      .map((part) => reshape(g, part, [t, -1, inSize]));
  } else {
    inputs = new Array<string>(m).fill(transpose(g, x.value, [1, 0, 2]));
  }
  const outputs = layers.map((layer, k) =>
    g.scoped(`m${k + 1}`, () => {
      const direction = (prefix: string): LstmWeights => ({
        kernel: weight(layer, `${prefix}kernel`),
        recurrentKernel: weight(layer, `${prefix}recurrent_kernel`),
        bias: optionalWeight(layer, `${prefix}bias`),
      });
      const directions = bidirectional ? [direction(""), direction("backward_")] : [direction("")];
      const { w, r, b } = onnxLstmTensors(directions, inSize, units, ctx.lstmGateOrder);
      return lstm(
        g,
        inputs[k],
        g.floats("W", w, [dirs, 4 * units, inSize]),
        g.floats("R", r, [dirs, 4 * units, units]),
        g.floats("B", b, [dirs, 8 * units]),
        { hiddenSize: units, direction: dirs === 2 ? "bidirectional" : "forward" },
      );
    })
  );
  if (sequences) {
    // Y [T, dirs, b, H] per member → [T, M·dirs, b, H] → [M, b, T, dirs, H] → [M, b, T, dirs·H].
    const y = reshape(g, concat(g, outputs.map((o) => o.y), 1), [t, m, dirs, -1, units]);
    return [reshape(g, transpose(g, y, [1, 3, 0, 2, 4]), [m, -1, t, dirs * units])];
  }
  // Y_h [dirs, b, H] per member → [M, dirs, b, H] → [M, b, dirs·H] (a BiLSTM's final state: forward | backward).
  const yH = reshape(g, concat(g, outputs.map((o) => o.yH), 0), [m, dirs, -1, units]);
  return [reshape(g, transpose(g, yH, [0, 2, 1, 3]), [m, -1, dirs * units])];
};

/**
 * AttentionPooling per member, folded as in tfjs_layers.ts, on x [M, b, T, d]: scores x·Sk, softmax over time,
 * the pooled context through each member's value-output map. Outputs [M, b, d] and head-mean weights [M, b, T].
 */
const poolingGroup: GroupConverter = (g, layers, [x]) => {
  const d = lastDim(x, layers[0]), m = layers.length;
  const heads = config<number>(layers[0], "heads");
  const folded = layers.map((l) => foldedPooling(l, d));
  const scores = matMul(g, x.value, memberMatrix(g, "key_query", folded.map((f) => f.sk), d, heads, 3));
  const weights = softmax(g, scores, 2); // [M, b, T, heads], over time
  const context = reshape(g, matMul(g, transpose(g, weights, [0, 1, 3, 2]), x.value), [m, -1, heads * d]);
  const out = add(
    g,
    matMul(g, context, memberMatrix(g, "value_output", folded.map((f) => f.m), heads * d, d, 2)),
    memberVector(g, "bias", folded.map((f) => f.bias), 2),
  );
  return [out, reduceMean(g, weights, [3])];
};

const GROUP_CONVERTERS: Readonly<Record<string, GroupConverter>> = {
  Dense: denseGroup,
  Activation: elementwise(activationLayer),
  Add: elementwise(addLayer),
  Dropout: elementwise(passThrough),
  SeededDropout: elementwise(passThrough),
  LayerNorm: layerNormGroup,
  PositionalEncoding: positionalGroup,
  MultiHeadSelfAttention: selfAttentionGroup,
  FastLSTM: lstmGroup,
  AttentionPooling: poolingGroup,
  LastTimestep: lastTimestepGroup,
  Concatenate: concatenateGroup,
};

const MEMBER = /^m(\d+)_(.+)$/;

/** Members of `model` (≥ 2), or 0 when it is not an ensemble this exporter can fuse (then export it as it is). */
export function fusableMembers(model: tf.LayersModel): number {
  let members = 0;
  while (model.layers.some((l) => l.name === `${memberPrefix(members + 1)}class_logits`)) members++;
  if (members < 2) return 0;
  const names = new Set(model.layers.map((l) => l.name));
  for (const layer of model.layers) {
    const match = MEMBER.exec(layer.name);
    if (!match) continue;
    if (!GROUP_CONVERTERS[layer.getClassName()]) return 0;
    for (let k = 1; k <= members; k++) if (!names.has(`${memberPrefix(k)}${match[2]}`)) return 0;
  }
  return members;
}

/** EnsembleMean over the member axis of a wide value [M, b, k]: Softmax first and Log after for probabilities. */
function ensembleMean(g: GraphBuilder, layer: Layer, x: Value): string {
  if (config<string>(layer, "mode") !== "probabilities") return reduceMean(g, x.value, [0]);
  return log(g, reduceMean(g, softmax(g, x.value, -1), [0]));
}

/** The body of an ensemble's ONNX graph with its members fused; `fusableMembers(model)` must be ≥ 2. */
export function fusedEnsembleBody(model: tf.LayersModel, ctx: ConvertContext = {}): Body {
  const members = fusableMembers(model);
  if (members < 2) throw new Error(`ONNX export: '${model.name}' is not an ensemble that can be fused`);
  return (g, scaled) => {
    const values = new Map<number, Value>([[model.inputs[0].id, {
      value: scaled,
      wide: false,
      shape: model.inputs[0].shape,
    }]]);
    const valueOf = (t: Symbolic) => {
      const v = values.get(t.id);
      if (v === undefined) throw new Error(`ONNX export: tensor '${t.name}' is used before it is computed`);
      return v;
    };
    const list = (x: Symbolic | Symbolic[]) => (Array.isArray(x) ? x : [x]);
    for (const layer of model.layers) {
      const className = layer.getClassName();
      if (className === "InputLayer") continue;
      const match = MEMBER.exec(layer.name);
      if (match && match[1] !== "1") continue; // converted with member 1's
      if (className === "EnsembleMean") {
        // Its inputs are the members' outputs; member 1's stands for the wide value of all of them.
        const x = valueOf(list(layer.input)[0]);
        const out = g.scoped(layer.name, () => ensembleMean(g, layer, x));
        values.set(list(layer.output)[0].id, { value: out, wide: false, shape: list(layer.output)[0].shape });
        continue;
      }
      const inputs = list(layer.input).map(valueOf);
      const symbolic = list(layer.output);
      let outputs: string[];
      if (match) {
        const group = Array.from(
          { length: members },
          (_, k) => model.getLayer(`${memberPrefix(k + 1)}${match[2]}`),
        );
        outputs = g.scoped(`members_${match[2]}`, () => GROUP_CONVERTERS[className](g, group, inputs, ctx));
      } else {
        if (inputs.some((v) => v.wide)) {
          throw new Error(`ONNX export: layer '${layer.name}' outside the members reads a member's value`);
        }
        const convert = LAYER_CONVERTERS[className];
        if (!convert) {
          throw new Error(`ONNX export: layer '${layer.name}' is a ${className}, which cannot be converted`);
        }
        outputs = g.scoped(layer.name, () => convert(g, layer, inputs, ctx));
      }
      if (outputs.length !== symbolic.length) {
        throw new Error(
          `ONNX export: layer '${layer.name}' gave ${outputs.length} outputs, tfjs has ${symbolic.length}`,
        );
      }
      symbolic.forEach((t, i) => values.set(t.id, { value: outputs[i], wide: !!match, shape: t.shape }));
    }
    const [logits, regression, attention] = model.outputs.map((t) => {
      const v = valueOf(t);
      if (v.wide) throw new Error(`ONNX export: output '${t.name}' is a member's value, not the ensemble's`);
      return v.value;
    });
    return { logits, regression, attention: attention ?? null };
  };
}
