/**
 * What every exported candlecast model shares around its network body (SPEC §8): the input `input`
 * [batch, lookback, 35] of UNscaled features, the scaler as the first nodes ((x − mean)/std, clipped to ±clip
 * as in training), and the outputs: `class_logits` divided by the calibration temperature, `regression`
 * mapped back to a return fraction (y·std + mean), and `attention`: the network's, or all zeros for a model
 * without attention (lightweight_lstm), so a client written to SPEC §8 finds all three outputs. A blended version
 * (preprocessor.json `blend`) mixes gradient boosting's probabilities in: `class_logits` is then
 * log(w·softmax(logits / T) + (1 − w)·p_boosting), so softmax of it is the blend and every consumer that
 * softmaxes `class_logits` (serve, predict, the C# client) serves the blend unchanged.
 */
import { FEATURE_COUNT } from "../../features/index.ts";
import {
  blendTag,
  boostingShare,
  INPUT_NAME,
  MODEL_CLASS_NAMES,
  OUTPUT_NAMES,
  type Preprocessor,
} from "../../engine/index.ts";
import type { BoostedTrees } from "../baselines/index.ts";
import { boostingProbabilities } from "./boosting.ts";
import { attr, GraphBuilder, type Onnx } from "./graph.ts";
import { add, clip, div, identity, log, mul, softmax, sub } from "./ops.ts";

/** The network's raw outputs as graph values: logits [batch, 3], standardised return [batch, 1], attention. */
export interface BodyOutputs {
  readonly logits: string;
  readonly regression: string;
  /** [batch, lookback], or null for a model without attention. */
  readonly attention: string | null;
}

/** Builds the network from the scaled input [batch, lookback, 35]. */
export type Body = (g: GraphBuilder, scaled: string) => BodyOutputs;

export interface FrameOptions {
  readonly preprocessor: Preprocessor;
  /** Checkpoint version, e.g. "v3_2026-11-24" (metadata `version`). */
  readonly version: string;
  /** candlecast's version (the model's producer_version). */
  readonly producerVersion: string;
  /** The candles the version was trained on ("30m"), metadata `interval`; left out when unrecorded. */
  readonly interval?: string | null;
  /** How far the version's candles opened past the interval's UTC grid (metadata `grid_offset_ms`, when not 0). */
  readonly gridOffsetMs?: number | null;
  /**
   * Gradient boosting's trees (the version's boosting.json), required exactly when the preprocessor records a
   * blend: the graph mixes their probabilities into `class_logits`.
   */
  readonly boosting?: BoostedTrees;
}

export const BATCH = "batch";

function docString(p: Preprocessor, version: string, attention: boolean): string {
  const lines = [
    `candlecast ${MODEL_CLASS_NAMES[p.modelType]} ${version}.`,
    `input: float32 [batch, ${p.lookback}, ${FEATURE_COUNT}], UNscaled features in metadata feature_names order ` +
    `(the scaler is inside the graph); the last row is the most recent candle.`,
    p.blend
      ? `class_logits: float32 [batch, 3] in class order ${p.classes.join(", ")}, the log of a blend ` +
        `divided by the blend's own temperature: ln(${p.blend.weight} × the network's calibrated probabilities + ` +
        `${boostingShare(p.blend.weight)} × gradient boosting's (its trees in the graph, ai.onnx.ml)) ÷ ` +
        `${p.blend.temperature}; softmax gives the blended probabilities, recalibrated.`
      : `class_logits: float32 [batch, 3] in class order ${
        p.classes.join(", ")
      }; softmax gives the probabilities.`,
    `regression: float32 [batch, 1], the predicted close[t+${p.horizon}]/close[t] - 1 as a fraction.`,
  ];
  lines.push(
    attention
      ? `attention: float32 [batch, ${p.lookback}], final attention over timesteps (mean over heads); ` +
        `index ${p.lookback - 1} is the most recent candle.`
      : `attention: float32 [batch, ${p.lookback}], all zeros: this model has no attention over timesteps ` +
        `(the output is kept so every candlecast model has the same three).`,
  );
  return lines.join("\n");
}

/**
 * Zeros [batch, lookback] shaped like `input`'s first two dimensions: Shape(end 2) then ConstantOfShape, whose
 * default value is float32 0. Read from the shape alone, so a NaN in the input cannot reach it.
 */
function noAttention(g: GraphBuilder, input: string, name: string): string {
  const [dims] = g.node("Shape", [input], { attrs: { end: attr.int(2) } });
  return g.node("ConstantOfShape", [dims], { name })[0];
}

export function frameModel(body: Body, options: FrameOptions): Onnx.ModelProto {
  const p = options.preprocessor, trees = options.boosting;
  if (p.blend && !trees) {
    throw new Error(
      `ONNX export: preprocessor.json blends the network with ${p.blend.with} (weight ${p.blend.weight}), ` +
        "but no boosting trees were given; export the version with its boosting.json",
    );
  }
  if (!p.blend && trees) {
    throw new Error(
      "ONNX export: boosting trees were given, but preprocessor.json records no blend; the version serves " +
        "the network alone",
    );
  }
  if (p.scaler.mean.length !== FEATURE_COUNT) {
    throw new Error(
      `preprocessor: the scaler has ${p.scaler.mean.length} features, the model input ${FEATURE_COUNT}`,
    );
  }
  const g = new GraphBuilder(MODEL_CLASS_NAMES[p.modelType]);
  const input = g.input(INPUT_NAME, "float32", [BATCH, p.lookback, FEATURE_COUNT]);
  const scaled = g.scoped("scaler", () => {
    // Multiplying by 1/std, as features/scaler.ts does, keeps the graph bit-compatible with training.
    const centred = sub(g, input, g.floats("mean", p.scaler.mean, [FEATURE_COUNT]));
    const standard = mul(g, centred, g.floats("inv_std", p.scaler.std.map((s) => 1 / s), [FEATURE_COUNT]));
    return clip(g, standard, -p.clip, p.clip);
  });
  const out = g.scoped("model", () => body(g, scaled));
  // Boosting reads the UNscaled input: its trees split on raw feature values.
  const boosting = p.blend && trees ? boostingProbabilities(g, input, trees, p.lookback) : null;
  g.scoped("outputs", () => {
    const temperature = g.floats("temperature", [p.temperature], []);
    if (p.blend && boosting) {
      const network = softmax(g, div(g, out.logits, temperature), -1);
      const mixed = add(
        g,
        mul(g, network, g.floats("network_weight", [p.blend.weight], [])),
        mul(g, boosting, g.floats("boosting_weight", [1 - p.blend.weight], [])),
      );
      // The blend's own temperature: ln(blend) / T, whose softmax is the calibrated blend.
      div(g, log(g, mixed), g.floats("blend_temperature", [p.blend.temperature], []), OUTPUT_NAMES.logits);
    } else {
      div(g, out.logits, temperature, OUTPUT_NAMES.logits);
    }
    const std = mul(g, out.regression, g.floats("return_std", [p.returnScale.std], []));
    add(g, std, g.floats("return_mean", [p.returnScale.mean], []), OUTPUT_NAMES.regression);
    if (out.attention !== null) identity(g, out.attention, OUTPUT_NAMES.attention);
    else noAttention(g, input, OUTPUT_NAMES.attention);
  });
  g.output(OUTPUT_NAMES.logits, "float32", [BATCH, 3]);
  g.output(OUTPUT_NAMES.regression, "float32", [BATCH, 1]);
  g.output(OUTPUT_NAMES.attention, "float32", [BATCH, p.lookback]);
  return g.toModel({
    docString: docString(p, options.version, out.attention !== null),
    producerVersion: options.producerVersion,
    metadata: {
      feature_names: p.featureNames.join(","),
      classes: p.classes.join(","),
      lookback: String(p.lookback),
      horizon: String(p.horizon),
      // What lookback and horizon count, and the only candles the model was trained on: an in-process client
      // (no /model/info to ask) reads it here rather than feeding 1h candles to a 30m model.
      ...(options.interval ? { interval: options.interval } : {}),
      // The grid those candles open on, where it is not the UTC one (1d candles at 16:00 UTC): an in-process
      // client, which serve's check never sees, feeds the model candles of its own exchange (a review).
      ...(options.gridOffsetMs ? { grid_offset_ms: String(options.gridOffsetMs) } : {}),
      version: options.version,
      model_type: p.modelType,
      // How serve names the class from these probabilities, so an in-process client can name the same one:
      // "prior" is the class with the largest p / prior, the priors being the training split's frequencies.
      decision_rule: p.decisionRule ?? "argmax",
      ...(p.classPriors ? { class_priors: p.classPriors.join(",") } : {}),
      // Only a blended version says so: "gradient_boosting:0.5", the network's share after the colon.
      ...(p.blend ? { blend: blendTag(p.blend) } : {}),
    },
  });
}
