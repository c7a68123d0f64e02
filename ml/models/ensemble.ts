/**
 * An ensemble of independently initialised and trained members as ONE tfjs model: each member's layers carry
 * the prefix `m{k}_`, and `EnsembleMean` layers combine them into the usual outputs (`class_logits` = log of
 * the averaged probabilities, `regression` and `attention` averaged). model.json, the ONNX graph, serve and
 * evaluate therefore see one model; training sees the members through `memberViews`, models sharing the
 * ensemble's layers, so a member is trained exactly as a single model would be and its weights land in place.
 */
import * as tf from "@tensorflow/tfjs";
import { EnsembleMean, RecentSteps } from "../layers/index.ts";
import { memberLookback, type ModelConfig } from "./config.ts";
import type { MemberOutputs } from "./heads.ts";
import { FAST_LAYERS, type LayerKit } from "./layer_kit.ts";
import { type InputScaling, inputScalingOf, modelInput } from "./input_channels.ts";
import { lightweightLstmGraph } from "./lightweight_lstm.ts";
import { transformerLstmGraph } from "./transformer_lstm.ts";

type Sym = tf.SymbolicTensor;

/** Layer-name prefix of member k (1-based). */
export const memberPrefix = (k: number) => `m${k}_`;

/** Member k's seed: member 1 starts from the model seed itself. */
export const memberSeed = (seed: number, k: number) => seed + 7919 * (k - 1);

/** One member of a model: its layer-name prefix and a model over its layers alone (shared, not copied). */
export interface Member {
  readonly prefix: string;
  readonly model: tf.LayersModel;
}

/**
 * `c.members` members side by side as one model, each with its own seed, layer prefix and (`memberLookbacks`)
 * window, their outputs averaged by `EnsembleMean`. The config is not checked here (`buildModel` checks it).
 */
export function buildEnsemble(
  c: ModelConfig,
  seed: number,
  kit: LayerKit = FAST_LAYERS,
  scaling?: InputScaling,
): tf.LayersModel {
  const input = tf.input({ shape: [c.lookback, c.features], name: "input" });
  // One channels layer (no weights) feeds every member: each member sees exactly what a single model would.
  const features = modelInput(input, c, scaling);
  const graph = c.type === "transformer_lstm" ? transformerLstmGraph : lightweightLstmGraph;
  const members: MemberOutputs[] = [];
  for (let k = 1; k <= c.members; k++) {
    // A member with a shorter window reads the last candles of the same channels (no weights, so the seeds
    // and the other members stay as they are).
    const steps = memberLookback(c, k);
    const own = steps < c.lookback
      ? new RecentSteps({ steps, name: `${memberPrefix(k)}window` }).apply(features) as Sym
      : features;
    members.push(graph(own, c, memberSeed(seed, k), kit, memberPrefix(k)));
  }
  const combine = (name: string, mode: "probabilities" | "values", parts: Sym[], steps?: number) =>
    new EnsembleMean({ name, mode, steps }).apply(parts) as Sym;
  const outputs = [
    combine("class_logits", "probabilities", members.map((m) => m.logits)),
    combine("regression", "values", members.map((m) => m.regression)),
  ];
  if (members[0].attention) {
    // Attention over the model's whole window, whatever the members' own windows (steps a member does not see: 0).
    const shorter = members.some((_, i) => memberLookback(c, i + 1) < c.lookback);
    const steps = shorter ? c.lookback : undefined;
    outputs.push(combine("attention", "values", members.map((m) => m.attention!), steps));
  }
  const name = c.type === "transformer_lstm" ? "TransformerLSTMEnsemble" : "LightweightLSTMEnsemble";
  return tf.model({ inputs: input, outputs, name });
}

const hasLayer = (model: tf.LayersModel, name: string) => model.layers.some((l) => l.name === name);

/** The members of `model`: its ensemble members, or the model itself as the only one. */
export function memberViews(model: tf.LayersModel): Member[] {
  if (!hasLayer(model, `${memberPrefix(1)}class_logits`)) return [{ prefix: "", model }];
  const members: Member[] = [];
  for (let k = 1; hasLayer(model, `${memberPrefix(k)}class_logits`); k++) {
    const p = memberPrefix(k);
    const outputs = ["class_logits", "regression", "attention"]
      .filter((n) => hasLayer(model, p + n))
      .map((n) => model.getLayer(p + n).output as Sym);
    members.push({
      prefix: p,
      model: tf.model({ inputs: model.inputs, outputs, name: `${model.name}_m${k}` }),
    });
  }
  return members;
}

/**
 * A new ensemble of the first `count` members of `model`, weights copied by layer name: what an interrupted
 * run keeps, so members that never trained are not averaged in.
 */
export function firstMembers(
  model: tf.LayersModel,
  c: ModelConfig,
  seed: number,
  count: number,
  kit: LayerKit = FAST_LAYERS,
): tf.LayersModel {
  const kept = buildEnsemble({ ...c, members: count }, seed, kit, inputScalingOf(model));
  for (const layer of kept.layers) {
    if (layer.weights.length > 0) layer.setWeights(model.getLayer(layer.name).getWeights());
  }
  return kept;
}

/** The member prefix of a member's view (`m2_` for outputs `m2_class_logits`, …), "" for a plain model. */
export function prefixOf(model: tf.LayersModel): string {
  for (const name of model.outputNames) {
    const match = /^(m\d+_)class_logits$/.exec(name);
    if (match) return match[1];
  }
  return "";
}

/** True for a whole ensemble (its combined outputs), false for a plain model or one member's view. */
export function isEnsemble(model: tf.LayersModel): boolean {
  return model.outputNames.includes("class_logits") && hasLayer(model, `${memberPrefix(1)}class_logits`);
}
