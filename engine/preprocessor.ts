/**
 * preprocessor.json (SPEC §7): everything needed to turn candles into the model's input and its outputs back
 * into numbers a user reads. Written by `train`, read by the engine, the exporter (which bakes the scaler and
 * the return de-standardisation into the ONNX graph) and `serve`.
 */
import { z } from "zod";
import { CLASSES, FEATURE_NAMES, type LabelRule, type Scaler, ScalerSchema } from "../features/index.ts";
import { DECISION_RULES, type DecisionRule } from "./decision.ts";

/** The two architectures, as `--model` and preprocessor.json's `modelType` name them. */
export const MODEL_TYPES = ["transformer_lstm", "lightweight_lstm"] as const;
export type ModelType = typeof MODEL_TYPES[number];
/** The names /model/info reports (the seed's Python class names, which the C# bot may log). */
export const MODEL_CLASS_NAMES: Record<ModelType, string> = {
  transformer_lstm: "TransformerLSTMModel",
  lightweight_lstm: "LightweightLSTMModel",
};
/**
 * Whether the architecture attends over its timesteps. lightweight_lstm does not: its ONNX `attention` output
 * (kept so every model.onnx has SPEC §8's three outputs) is all zeros, and /predict's `attention_summary` is `{}`.
 */
export const MODEL_HAS_ATTENTION: Record<ModelType, boolean> = {
  transformer_lstm: true,
  lightweight_lstm: false,
};

export interface Preprocessor {
  readonly modelType: ModelType;
  readonly featureNames: readonly string[];
  readonly lookback: number;
  readonly horizon: number;
  readonly labelRule: LabelRule;
  readonly classes: readonly string[];
  /** Standardisation of the 35 features, fit on the training split only. */
  readonly scaler: Scaler;
  /** Standardised features are clipped to ±clip before the model sees them (outlier bars). */
  readonly clip: number;
  /** The regression head predicts (r − mean)/std; these map it back to a return fraction. */
  readonly returnScale: { readonly mean: number; readonly std: number };
  /** Softmax temperature applied to the logits (1 = none); calibration may set it. */
  readonly temperature: number;
  /** Class frequencies of the training split (DOWN, SIDEWAYS, UP), for the `prior` decision rule. */
  readonly classPriors?: readonly [number, number, number];
  /**
   * How `prediction` is chosen from the calibrated probabilities (SPEC §4); absent in versions from before it
   * was stored, which were served with `argmax`.
   */
  readonly decisionRule?: DecisionRule;
  /**
   * A served blend (`train --blend-boosting`): the probabilities are `weight` × the network's calibrated ones +
   * (1 − weight) × gradient boosting's calibrated ones (the version's boosting.json, inside model.onnx); absent
   * in a version that serves the network alone.
   */
  readonly blend?: Blend;
}

/** What a blended version mixes into the network's probabilities, and how much of the network it keeps. */
export interface Blend {
  readonly with: "gradient_boosting";
  /** The network's share, in (0, 1); boosting gets the rest. */
  readonly weight: number;
  /**
   * The blend's own calibration: the served probabilities are softmax(ln(blend) / temperature). An average of
   * calibrated probabilities is not calibrated itself (Ranjan & Gneiting 2010, linear pools), so it is fit on
   * the validation split like the network's.
   */
  readonly temperature: number;
}

/** Boosting's share of a blend, 1 − weight, without float noise (0.30000000000000004 for a weight of 0.7). */
export function boostingShare(weight: number): number {
  return Number((1 - weight).toPrecision(12));
}

/** "0.5 × the network + 0.5 × gradient boosting": what a blended version serves, in the words every command uses. */
export function blendWords(blend: { readonly with: string; readonly weight: number }): string {
  return `${blend.weight} × the network + ${boostingShare(blend.weight)} × ${blend.with.replace("_", " ")}`;
}

/**
 * A blend in one token, "gradient_boosting:0.5" (the network's share after the colon): model.onnx's `blend`
 * metadata and /metrics' `blend` label, where a version serving the network alone says "none".
 */
export function blendTag(blend: Blend | undefined): string {
  return blend ? `${blend.with}:${blend.weight}` : "none";
}

export const BlendSchema = z.object({
  with: z.literal("gradient_boosting"),
  weight: z.number().gt(0).lt(1),
  temperature: z.number().positive(),
});

/** A label rule as preprocessor.json and run configs store it: a multiplier > 0 of volatility, or a τ ≥ 0. */
export const LabelRuleSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("volatility"), multiplier: z.number().positive() }),
  z.object({ kind: z.literal("fixed"), threshold: z.number().nonnegative() }),
]);

/**
 * How far from 1 the class priors may sum: train's counts / n are off by a few ulps (1e-16), a hand-written
 * [0.9, 0.05, 0.05] by one.
 */
const PRIOR_SUM_TOLERANCE = 1e-6;

export const PreprocessorSchema = z.object({
  modelType: z.enum(MODEL_TYPES),
  featureNames: z.array(z.string()),
  lookback: z.number().int().positive(),
  horizon: z.number().int().positive(),
  labelRule: LabelRuleSchema,
  classes: z.array(z.string()),
  scaler: ScalerSchema,
  clip: z.number().positive(),
  returnScale: z.object({ mean: z.number(), std: z.number().positive() }),
  temperature: z.number().positive().default(1),
  // Class frequencies (train writes counts / n): a share each, summing to 1 up to float rounding. [0, 0, 0]
  // was taken, and the `prior` rule, which never names a class of prior 0, then answered DOWN to every window.
  classPriors: z.tuple([z.number().min(0), z.number().min(0), z.number().min(0)]).superRefine(
    (priors, ctx) => {
      const sum = priors[0] + priors[1] + priors[2];
      if (Math.abs(sum - 1) > PRIOR_SUM_TOLERANCE) {
        ctx.addIssue({
          code: "custom",
          message:
            `the training split's class shares sum to ${sum}, not 1: the file was changed since training`,
        });
      }
    },
  ).optional(),
  decisionRule: z.enum(DECISION_RULES).optional(),
  blend: BlendSchema.optional(),
}).refine((p) => p.decisionRule !== "prior" || p.classPriors !== undefined, {
  // Refused when the file is read, not when the first prediction needs them (serve, retrain, evaluate).
  message: "missing, and the decision rule it names (prior) divides by them",
  path: ["classPriors"],
});

/** Parses preprocessor.json, refusing one whose feature list is not this build's (a silent mismatch is worse). */
export function parsePreprocessor(value: unknown, source = "preprocessor.json"): Preprocessor {
  const result = PreprocessorSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${source}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  const p = result.data;
  if (p.featureNames.join(",") !== FEATURE_NAMES.join(",")) {
    throw new Error(
      `${source}: the model was trained on other features than this candlecast computes; retrain it`,
    );
  }
  if (p.classes.join(",") !== CLASSES.join(",")) {
    throw new Error(`${source}: classes must be ${CLASSES.join(",")}, found ${p.classes.join(",")}`);
  }
  return p;
}
