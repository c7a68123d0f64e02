/**
 * What the first layer of a model sees: the 35 scaled features, optionally followed by the volatility-relative
 * channels of `ml/layers/volatility_channels.ts` (config `volatilityChannels`). The channels un-standardise
 * their columns with the training scaler, so a model that has them is built with that scaler; the layer keeps
 * its statistics in its config, so a saved model (and each ensemble member's view) carries them.
 */
import type * as tf from "@tensorflow/tfjs";
import { volatilityChannelCount, VolatilityChannels } from "../layers/index.ts";
import type { ModelConfig } from "./config.ts";

type Sym = tf.SymbolicTensor;

/** The training scaler's statistics and the input clip (ml/data's `Scaling` fits this shape). */
export interface InputScaling {
  readonly scaler: { readonly mean: readonly number[]; readonly std: readonly number[] };
  readonly clip: number;
}

/** The name of the one channels layer a model has (shared by every ensemble member). */
export const VOLATILITY_LAYER = "volatility_channels";

/** Old configs (manifests written before the field) have no `volatilityChannels`: they had none. */
export const hasVolatilityChannels = (c: ModelConfig): boolean => c.volatilityChannels === true;

/** Values per timestep the model's first layer receives. */
export const inputWidth = (c: ModelConfig): number =>
  c.features + (hasVolatilityChannels(c) ? volatilityChannelCount(volatilityReferenceOf(c)) : 0);

/** Configs written before the option divided by each candle's own volatility_20. */
export const volatilityReferenceOf = (c: ModelConfig) => c.volatilityReference ?? "candle";

/** `input` itself, or `input` with the channels appended when the config asks for them. */
export function modelInput(input: Sym, c: ModelConfig, scaling: InputScaling | undefined): Sym {
  if (!hasVolatilityChannels(c)) return input;
  if (!scaling) {
    throw new Error(
      "model config: volatilityChannels needs the training scaler (build the model after fitting it)",
    );
  }
  return new VolatilityChannels({
    name: VOLATILITY_LAYER,
    mean: scaling.scaler.mean,
    std: scaling.scaler.std,
    clip: scaling.clip,
    reference: volatilityReferenceOf(c),
  }).apply(input) as Sym;
}

/** The scaler statistics a built model's channels layer holds, or undefined for a model without one. */
export function inputScalingOf(model: tf.LayersModel): InputScaling | undefined {
  const layer = model.layers.find((l) => l.name === VOLATILITY_LAYER);
  if (!(layer instanceof VolatilityChannels)) return undefined;
  return { scaler: { mean: layer.mean, std: layer.std }, clip: layer.clip };
}
