/** Small real datasets and tiny models for the training tests (a few hundred candles, seconds per test). */
import { sliceSeries } from "../features/index.ts";
import { loadRealSeries } from "./real_data.ts";
import { classWeights, type Dataset, DEFAULT_SPLIT, prepareDataset, type Scaling } from "../ml/data/index.ts";
import { defaultModelConfig, type ModelConfig } from "../ml/models/index.ts";
import type { ModelType } from "../engine/preprocessor.ts";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../ml/train/config.ts";

export const TINY_LOOKBACK = 12;

export async function tinyDataset(candles = 500): Promise<Dataset> {
  const s = sliceSeries(await loadRealSeries("BTCUSDT"), 45_000, 45_000 + candles);
  return prepareDataset([s], {
    lookback: TINY_LOOKBACK,
    horizon: 4,
    labelRule: { kind: "volatility", multiplier: 0.5 },
    split: DEFAULT_SPLIT,
  });
}

export function scalingOf(d: Dataset): Scaling {
  return { scaler: d.scaler, clip: 10, returnScale: d.returnScale };
}

export function tinyModelConfig(type: ModelType = "transformer_lstm"): ModelConfig {
  return {
    ...defaultModelConfig(type, TINY_LOOKBACK),
    // Built without a training scaler: the channels (tested in input_channels_test.ts) need one.
    volatilityChannels: false,
    dModel: 8,
    heads: 2,
    ffnDim: 16,
    encoderLayers: 1,
    lstmHidden: 4,
    lstmLayers: 1,
    members: 1,
  };
}

export function tinyTrainConfig(d: Dataset, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...DEFAULT_TRAIN_CONFIG,
    epochs: 3,
    batchSize: 32,
    learningRate: 0.01,
    warmupSteps: 5,
    patience: 5,
    // Whole passes: the loop tests count an epoch's batches against the training set's size.
    epochFraction: 1,
    classWeights: classWeights(d.trainClassCounts, "balanced"),
    seed: 7,
    ...overrides,
  };
}
