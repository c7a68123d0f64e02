/**
 * One ONNX conversion per tfjs layer class the candlecast models use: stock Dense/Activation/Add/Dropout, the
 * custom layers of `ml/layers/`, and stock LSTM/Bidirectional/LayerNormalization (the `STOCK_LAYERS` build). Each reads the layer's weights by name, in tfjs layout, and emits the
 * equivalent subgraph; the maths each one mirrors is documented on the layer itself.
 */
import type * as tf from "@tensorflow/tfjs";
import {
  alignedLength,
  pathScales,
  sinusoidalTable,
  VOLATILITY_FLOOR,
  volatilityConstants,
} from "../layers/index.ts";
import { dense, layerNormBlock, selfAttention } from "./blocks.ts";
import type { GraphBuilder } from "./graph.ts";
import { lstmLayer, type LstmWeights } from "./lstm.ts";
import {
  add,
  clip,
  concat,
  cumSum,
  div,
  gather,
  gelu,
  identity,
  log,
  matMul,
  max,
  mul,
  neg,
  pad,
  reduceMean,
  relu,
  reshape,
  sigmoid,
  slice,
  softmax,
  tanh,
  transpose,
} from "./ops.ts";

type Layer = tf.layers.Layer;

export interface ConvertContext {
  /** ONNX gate order for LSTMs; only a test overrides it (a deliberately wrong model must be caught). */
  readonly lstmGateOrder?: readonly number[];
}

export interface LayerInput {
  readonly value: string;
  /** The tfjs symbolic shape, batch first (null). */
  readonly shape: readonly (number | null)[];
}

export type LayerConverter = (
  g: GraphBuilder,
  layer: Layer,
  inputs: readonly LayerInput[],
  ctx: ConvertContext,
) => string[];

/** A weight by the name its layer gave it (`kernel`, `backward_bias`…), as float32 values. */
export function weight(layer: Layer, short: string): Float32Array {
  const variable = layer.weights.find((w) => w.originalName.split("/").pop() === short);
  if (!variable) {
    const names = layer.weights.map((w) => w.originalName).join(", ");
    throw new Error(
      `ONNX export: layer '${layer.name}' has no weight '${short}' (it has: ${names || "none"})`,
    );
  }
  return variable.read().dataSync() as Float32Array;
}

export function optionalWeight(layer: Layer, short: string): Float32Array | null {
  return layer.weights.some((w) => w.originalName.split("/").pop() === short) ? weight(layer, short) : null;
}

export function config<T>(layer: Layer, key: string): T {
  return (layer.getConfig() as Record<string, unknown>)[key] as T;
}

export function lastDim(input: LayerInput, layer: Layer): number {
  const dim = input.shape[input.shape.length - 1];
  if (typeof dim !== "number") {
    throw new Error(`ONNX export: layer '${layer.name}' has an unknown input width`);
  }
  return dim;
}

export function steps(input: LayerInput, layer: Layer): number {
  const dim = input.shape[1];
  if (input.shape.length !== 3 || typeof dim !== "number") {
    throw new Error(
      `ONNX export: layer '${layer.name}' needs a [batch, steps, features] input with fixed steps`,
    );
  }
  return dim;
}

export function activation(g: GraphBuilder, x: string, name: string, layer: Layer): string {
  switch (name) {
    case "linear":
      return x;
    case "relu":
      return relu(g, x);
    case "tanh":
      return tanh(g, x);
    case "sigmoid":
      return sigmoid(g, x);
    case "gelu":
      return gelu(g, x);
    case "softmax":
      return softmax(g, x, -1);
    default:
      throw new Error(
        `ONNX export: layer '${layer.name}' uses activation '${name}', which the exporter lacks`,
      );
  }
}

const denseLayer: LayerConverter = (g, layer, [x]) => {
  const units = config<number>(layer, "units");
  const y = dense(
    g,
    x.value,
    { kernel: weight(layer, "kernel"), bias: optionalWeight(layer, "bias") },
    lastDim(x, layer),
    units,
  );
  return [activation(g, y, config<string>(layer, "activation"), layer)];
};

export const activationLayer: LayerConverter = (g, layer, [x]) => {
  const y = activation(g, x.value, config<string>(layer, "activation"), layer);
  // A linear activation is how a model names an output; keep a node so the value has a layer's name.
  return [y === x.value ? identity(g, y) : y];
};

export const addLayer: LayerConverter = (g, _layer, inputs) => [
  inputs.slice(1).reduce((sum, x) => add(g, sum, x.value), inputs[0].value),
];

/**
 * EnsembleMean (ml/layers/ensemble_mean.ts): Sum of the members, ×1/n; for class logits Softmax first, Log
 * after; shorter attention weights (members with shorter windows) padded with zeros in front first.
 */
const ensembleMeanLayer: LayerConverter = (g, layer, inputs) => {
  const mode = config<string>(layer, "mode");
  const longest = alignedLength(
    inputs.map((x) => (typeof x.shape[1] === "number" ? x.shape[1] : 0)),
    config<number | undefined>(layer, "steps"),
  );
  const aligned = (x: LayerInput): string => {
    const steps = x.shape[1];
    if (mode !== "values" || typeof steps !== "number" || steps === longest) return x.value;
    const pads = new Array(2 * x.shape.length).fill(0);
    pads[1] = longest - steps;
    return pad(g, x.value, pads);
  };
  const parts = inputs.map((x) => (mode === "probabilities" ? softmax(g, x.value, -1) : aligned(x)));
  const sum = parts.length === 1 ? parts[0] : g.node("Sum", parts)[0];
  const mean = mul(g, sum, g.floats("inv_members", [1 / parts.length], []));
  return [mode === "probabilities" ? g.node("Log", [mean])[0] : mean];
};

/** LastTimestep (ml/layers/last_timestep.ts): Slice the last step of [b, T, d], Reshape to [b, d]. */
const lastTimestepLayer: LayerConverter = (g, layer, [x]) => {
  const t = steps(x, layer);
  return [reshape(g, slice(g, x.value, [t - 1], [t], [1]), [0, lastDim(x, layer)])];
};

/** RecentSteps (ml/layers/recent_steps.ts): Slice the last `steps` timesteps of [b, T, d]. */
const recentStepsLayer: LayerConverter = (g, layer, [x]) => {
  const t = steps(x, layer), keep = config<number>(layer, "steps");
  return [slice(g, x.value, [t - keep], [t], [1])];
};

/** tf.layers.concatenate along its axis (the last, as the models use it). */
const concatenateLayer: LayerConverter = (g, layer, inputs) => {
  const axis = config<number | undefined>(layer, "axis") ?? -1;
  return [concat(g, inputs.map((x) => x.value), axis)];
};

/** Dropout is off at inference: the value passes through, no node. */
export const passThrough: LayerConverter = (_g, _layer, [x]) => [x.value];

const layerNormLayer: LayerConverter = (g, layer, [x]) => [
  layerNormBlock(g, x.value, {
    gamma: weight(layer, "gamma"),
    beta: weight(layer, "beta"),
    epsilon: config<number>(layer, "epsilon") ?? 1e-5,
  }),
];

const positionalEncodingLayer: LayerConverter = (g, layer, [x]) => {
  const t = steps(x, layer), d = lastDim(x, layer);
  return [add(g, x.value, g.floats("table", sinusoidalTable(t, d), [t, d]))];
};

const projection = (layer: Layer, name: string) => ({
  kernel: weight(layer, `${name}_kernel`),
  bias: optionalWeight(layer, `${name}_bias`),
});

const selfAttentionLayer: LayerConverter = (g, layer, [x]) => {
  const d = lastDim(x, layer);
  const w = {
    query: projection(layer, "query"),
    key: projection(layer, "key"),
    value: projection(layer, "value"),
    output: projection(layer, "output"),
  };
  const heads = config<number>(layer, "heads");
  return [selfAttention(g, x.value, w, { heads, dModel: d, inputSize: d, steps: steps(x, layer) }).output];
};

/**
 * AttentionPooling (ml/layers/attention.ts): one learned query per head scores every timestep's key; the
 * softmax over time weights the values; out = pooled·Wo + bo. Exported with its projections folded at export
 * time (float64), which is the same function with ~1.6M fewer multiply-adds per window and half the nodes:
 * - score[t,h] = (x_t·Wk + bk)·q_h/√dk = x_t·Sk[:,h] + const_h, and softmax over t ignores a per-head
 *   constant, so scores = x·Sk with Sk = Wk·q_h/√dk;
 * - the weights of each head sum to 1 over t, so Σ_t w[h,t]·(x_t·Wv + bv) = (Σ_t w[h,t]·x_t)·Wv + bv: pool x
 *   per head first (ctx [b, heads, d]), then out = Σ_h ctx_h·(Wv_h·Wo_h) + (bv·Wo + bo), one matmul over the
 *   flattened [heads·d] context.
 * Returns [out [batch, d], mean weights over heads [batch, T]].
 */
/** AttentionPooling's projections folded as described above: Sk [d, heads], Wv·Wo per head [heads·d, d], bias [d]. */
export function foldedPooling(
  layer: Layer,
  d: number,
): { sk: Float32Array; m: Float32Array; bias: Float32Array } {
  const heads = config<number>(layer, "heads");
  const dk = d / heads;
  const query = weight(layer, "query");
  const wk = weight(layer, "key_kernel");
  const wv = weight(layer, "value_kernel"), bv = optionalWeight(layer, "value_bias");
  const wo = weight(layer, "output_kernel"), bo = optionalWeight(layer, "output_bias");
  const sk = new Float32Array(d * heads);
  for (let i = 0; i < d; i++) {
    for (let h = 0; h < heads; h++) {
      let s = 0;
      for (let e = h * dk; e < (h + 1) * dk; e++) s += wk[i * d + e] * query[e];
      sk[i * heads + h] = s / Math.sqrt(dk);
    }
  }
  const m = new Float32Array(heads * d * d); // row h·d + i: head h's value-then-output map from input i
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < d; i++) {
      for (let o = 0; o < d; o++) {
        let s = 0;
        for (let e = h * dk; e < (h + 1) * dk; e++) s += wv[i * d + e] * wo[e * d + o];
        m[(h * d + i) * d + o] = s;
      }
    }
  }
  const bias = new Float32Array(d);
  for (let o = 0; o < d; o++) {
    let s = bo ? bo[o] : 0;
    for (let j = 0; bv && j < d; j++) s += bv[j] * wo[j * d + o];
    bias[o] = s;
  }
  return { sk, m, bias };
}

const attentionPoolingLayer: LayerConverter = (g, layer, [x]) => {
  const d = lastDim(x, layer);
  const heads = config<number>(layer, "heads");
  const { sk, m, bias } = foldedPooling(layer, d);
  const scores = matMul(g, x.value, g.floats("key_query", sk, [d, heads])); // [b, T, heads]
  const weights = softmax(g, scores, 1); // over time
  const context = matMul(g, transpose(g, weights, [0, 2, 1]), x.value); // [b, heads, d]
  const flat = reshape(g, context, [0, heads * d]);
  const out = add(
    g,
    matMul(g, flat, g.floats("value_output", m, [heads * d, d])),
    g.floats("bias", bias, [d]),
  );
  return [out, reduceMean(g, weights, [2])];
};

/**
 * VolatilityChannels (ml/layers/volatility_channels.ts), op for op: Gather the columns, ×std + mean, Max with
 * the floor for the two volatilities, ratios r/(vol20·√k), Log(vol5/vol20), Clip, Concat after the input; with
 * reference "last", vol20 is the last timestep's and the regime is Log(vol5/it), Log(vol20/it); "last-path"
 * adds the two paths, −CumSum(exclusive, reverse) of log_ret (÷ that vol20 and ×1/√(T − t)) and of
 * volume_log_change.
 */
const volatilityChannelsLayer: LayerConverter = (g, layer, [x]) => {
  const c = volatilityConstants(config<number[]>(layer, "mean"), config<number[]>(layer, "std"));
  const bound = config<number>(layer, "clip");
  const k = c.ratioIndex.length;
  const raw = (name: string, index: readonly number[], mean: readonly number[], std: readonly number[]) =>
    g.scoped(name, () =>
      add(
        g,
        mul(g, gather(g, x.value, index, 2), g.floats("std", std, [index.length])),
        g.floats("mean", mean, [index.length]),
      ));
  const numerators = raw("returns", c.ratioIndex, c.ratioMean, c.ratioStd);
  const volatility = max(
    g,
    raw("volatility", c.volatilityIndex, c.volatilityMean, c.volatilityStd),
    g.floats("floor", [VOLATILITY_FLOOR], []),
  );
  const long = slice(g, volatility, [0], [1], [2]);
  const short = slice(g, volatility, [1], [2], [2]);
  // "last": the final timestep's volatility_20 [b, 1, 1] for every timestep (configs without the key: "candle").
  const which = config<string | undefined>(layer, "reference") ?? "candle";
  const last = which !== "candle";
  const t = steps(x, layer);
  const reference = last ? slice(g, long, [t - 1], [t], [1]) : long;
  const ratios = div(g, numerators, mul(g, reference, g.floats("sqrt_candles", c.ratioSqrt, [k])));
  const regime = last
    ? [log(g, div(g, short, reference)), log(g, div(g, long, reference))]
    : [log(g, div(g, short, long))];
  const paths: string[] = [];
  if (which === "last-path") {
    const logPaths = g.scoped(
      "paths",
      () => neg(g, cumSum(g, raw("changes", c.pathIndex, c.pathMean, c.pathStd), 1, true, true)),
    );
    const close = slice(g, logPaths, [0], [1], [2]);
    const volume = slice(g, logPaths, [1], [2], [2]);
    paths.push(mul(g, div(g, close, reference), g.floats("path_scales", pathScales(t), [1, t, 1])), volume);
  }
  const channels = clip(g, concat(g, [ratios, ...regime, ...paths], 2), -bound, bound);
  return [concat(g, [x.value, channels], 2)];
};

const fastLstmLayer: LayerConverter = (g, layer, [x], ctx) => {
  const units = config<number>(layer, "units");
  const bidirectional = config<boolean>(layer, "bidirectional") ?? false;
  const direction = (prefix: string): LstmWeights => ({
    kernel: weight(layer, `${prefix}kernel`),
    recurrentKernel: weight(layer, `${prefix}recurrent_kernel`),
    bias: optionalWeight(layer, `${prefix}bias`),
  });
  return [
    lstmLayer(g, x.value, {
      directions: bidirectional ? [direction(""), direction("backward_")] : [direction("")],
      inputSize: lastDim(x, layer),
      hidden: units,
      returnSequences: config<boolean>(layer, "returnSequences") ?? true,
      order: ctx.lstmGateOrder,
    }),
  ];
};

/** A stock tfjs LSTM direction's weights, from its own variables (a Bidirectional holds two sets). */
function stockDirection(layer: Layer, vars: readonly tf.LayerVariable[]): LstmWeights {
  const find = (short: string) => vars.find((v) => v.originalName.split("/").pop() === short);
  const kernel = find("kernel"), recurrent = find("recurrent_kernel"), bias = find("bias");
  if (!kernel || !recurrent) throw new Error(`ONNX export: layer '${layer.name}' lacks LSTM kernels`);
  const values = (v: tf.LayerVariable) => v.read().dataSync() as Float32Array;
  return { kernel: values(kernel), recurrentKernel: values(recurrent), bias: bias ? values(bias) : null };
}

/** ONNX's LSTM is Keras's with sigmoid gates and tanh: refuse anything else rather than export wrong maths. */
function checkStockLstm(layer: Layer, cfg: Record<string, unknown>): void {
  const problems = [
    cfg.recurrentActivation !== "sigmoid" &&
    `recurrentActivation '${cfg.recurrentActivation}' (must be sigmoid)`,
    cfg.activation !== "tanh" && `activation '${cfg.activation}' (must be tanh)`,
    cfg.goBackwards === true && "goBackwards",
    cfg.stateful === true && "stateful",
  ].filter(Boolean);
  if (problems.length > 0) {
    throw new Error(`ONNX export: LSTM layer '${layer.name}' cannot be exported: ${problems.join(", ")}`);
  }
}

/** tf.layers.lstm (stock, as `STOCK_LAYERS` builds it). */
const stockLstmLayer: LayerConverter = (g, layer, [x], ctx) => {
  const cfg = layer.getConfig() as Record<string, unknown>;
  checkStockLstm(layer, cfg);
  return [
    lstmLayer(g, x.value, {
      directions: [stockDirection(layer, layer.weights)],
      inputSize: lastDim(x, layer),
      hidden: cfg.units as number,
      returnSequences: cfg.returnSequences === true,
      order: ctx.lstmGateOrder,
    }),
  ];
};

/** tf.layers.bidirectional over a stock LSTM, outputs concatenated [forward | backward]. */
const bidirectionalLayer: LayerConverter = (g, layer, [x], ctx) => {
  const cfg = layer.getConfig() as {
    layer: { className: string; config: Record<string, unknown> };
    mergeMode?: string;
  };
  if (cfg.layer.className !== "LSTM" || (cfg.mergeMode ?? "concat") !== "concat") {
    throw new Error(
      `ONNX export: Bidirectional layer '${layer.name}' wraps ${cfg.layer.className} with mergeMode ` +
        `${cfg.mergeMode}; only LSTM with concat is supported`,
    );
  }
  checkStockLstm(layer, cfg.layer.config);
  // Bidirectional lists the forward layer's weights, then the backward layer's.
  const half = layer.weights.length / 2;
  return [
    lstmLayer(g, x.value, {
      directions: [
        stockDirection(layer, layer.weights.slice(0, half)),
        stockDirection(layer, layer.weights.slice(half)),
      ],
      inputSize: lastDim(x, layer),
      hidden: cfg.layer.config.units as number,
      returnSequences: cfg.layer.config.returnSequences === true,
      order: ctx.lstmGateOrder,
    }),
  ];
};

/** tf.layers.layerNormalization over the last axis. */
const stockLayerNormLayer: LayerConverter = (g, layer, [x]) => {
  const cfg = layer.getConfig() as { axis: number | number[]; epsilon: number };
  const axes = Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis];
  if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== x.shape.length - 1)) {
    throw new Error(
      `ONNX export: layer '${layer.name}' normalises axes [${axes}]; only the last axis is supported`,
    );
  }
  const width = lastDim(x, layer);
  return [
    layerNormBlock(g, x.value, {
      gamma: optionalWeight(layer, "gamma") ?? new Float32Array(width).fill(1),
      beta: optionalWeight(layer, "beta") ?? new Float32Array(width),
      epsilon: cfg.epsilon,
    }),
  ];
};

export const LAYER_CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  LSTM: stockLstmLayer,
  Bidirectional: bidirectionalLayer,
  LayerNormalization: stockLayerNormLayer,
  Dense: denseLayer,
  Activation: activationLayer,
  Add: addLayer,
  Dropout: passThrough,
  SeededDropout: passThrough,
  LayerNorm: layerNormLayer,
  PositionalEncoding: positionalEncodingLayer,
  MultiHeadSelfAttention: selfAttentionLayer,
  AttentionPooling: attentionPoolingLayer,
  FastLSTM: fastLstmLayer,
  EnsembleMean: ensembleMeanLayer,
  VolatilityChannels: volatilityChannelsLayer,
  LastTimestep: lastTimestepLayer,
  RecentSteps: recentStepsLayer,
  Concatenate: concatenateLayer,
};
