/**
 * The sizes bench/train_reference.py builds in PyTorch (issue 12's table; train's defaults before the
 * round-2 recipe): d_model 64, 4 heads, FFN 256, 2 encoder layers, 2 LSTM layers of 64, one model. Shared by
 * bench/train.ts and bench/profile_train.ts so both measure the network PyTorch builds.
 */
import { defaultModelConfig, type ModelConfig, type ModelType } from "../ml/models/index.ts";

export function referenceConfig(type: ModelType, lookback: number): ModelConfig {
  return {
    ...defaultModelConfig(type, lookback),
    dModel: 64,
    heads: 4,
    ffnDim: 256,
    encoderLayers: 2,
    lstmHidden: 64,
    lstmLayers: 2,
    members: 1,
    // bench/train_reference.py builds the seed's network: no in-model volatility channels (they would also
    // need a fitted scaler, which a speed bench on random inputs has not got), heads on the pooled summary.
    volatilityChannels: false,
    headInput: "pooled",
  };
}
