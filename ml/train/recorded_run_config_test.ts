import assert from "node:assert/strict";
import { CLASSES, FEATURE_NAMES } from "../../features/index.ts";
import type { Preprocessor } from "../../engine/index.ts";
import { defaultModelConfig } from "../models/index.ts";
import { DEFAULT_TRAIN_CONFIG } from "./config.ts";
import { DEFAULT_TRAINING_RECIPE, defaultRunConfig, type RunConfig, runConfigJson } from "./run_config.ts";
import { ManifestSchema } from "../checkpoints/index.ts";
import { recordedRunConfig } from "./recorded_run_config.ts";

const preprocessor: Preprocessor = {
  modelType: "lightweight_lstm",
  featureNames: [...FEATURE_NAMES],
  lookback: 24,
  horizon: 6,
  labelRule: { kind: "fixed", threshold: 0.004 },
  classes: [...CLASSES],
  scaler: { featureNames: [], mean: [], std: [] },
  clip: 7,
  returnScale: { mean: 0, std: 1 },
  temperature: 1,
};

/** A manifest.json as `train` writes it, with `hyperparameters` and the data split given. */
function manifest(hyperparameters: unknown, split: unknown = null) {
  return ManifestSchema.parse({
    version: "v1_2024-01-01",
    created_at: "2024-01-01T00:00:00Z",
    parent: null,
    model_type: "lightweight_lstm",
    data: { end_ms: 0, symbols: {}, split },
    files: {},
    hyperparameters,
  });
}

Deno.test("a run configuration written whole reads back whole, Infinity included", () => {
  const config: RunConfig = {
    model: { ...defaultModelConfig("lightweight_lstm", 24), lstmHidden: 16, members: 2 },
    training: {
      ...DEFAULT_TRAINING_RECIPE,
      epochs: 9,
      maxWindowsPerEpoch: Infinity,
      clipNorm: Infinity,
      classWeighting: 0.25,
      seed: 11,
    },
    data: {
      horizon: 6,
      labelRule: { kind: "fixed", threshold: 0.004 },
      clip: 7,
      split: { kind: "dates", validationStart: Date.UTC(2023, 0, 1), testStart: Date.UTC(2023, 6, 1) },
    },
  };
  const json = JSON.parse(JSON.stringify(runConfigJson(config)));
  assert.equal(json.training.maxWindowsPerEpoch, null, "JSON has no Infinity");
  const read = recordedRunConfig(manifest(json), preprocessor);
  assert.deepEqual(read, { config, derived: [] });
});

Deno.test("a first-round manifest's model (before ensembles, channels and head inputs) reads as what it was", () => {
  // As candlecast 0c1689a (2026-11-24) wrote it: every size, no members. Before, its model did not parse, so
  // --config-from and retrain trained today's default shape instead, and a fine-tune recorded that shape.
  const model = {
    type: "lightweight_lstm",
    lookback: 24,
    features: 35,
    dModel: 64,
    heads: 4,
    ffnDim: 256,
    encoderLayers: 2,
    lstmHidden: 64,
    lstmLayers: 2,
    dropout: 0.1,
  };
  const read = recordedRunConfig(manifest({ model }), preprocessor);
  assert.deepEqual(read.derived, ["training"]);
  assert.deepEqual(read.config.model, {
    ...model,
    members: 1,
    volatilityChannels: false,
    volatilityReference: "candle",
    headInput: "pooled",
  });
});

Deno.test("an older manifest's pieces are read back; the window shape comes from preprocessor.json", () => {
  // hyperparameters as versions before the one configuration wrote them.
  const model = { ...defaultModelConfig("lightweight_lstm", 24), lstmHidden: 8, members: 1 };
  const older = {
    model,
    training: {
      ...DEFAULT_TRAIN_CONFIG,
      epochs: 4,
      labelSmoothing: 0.1,
      maxValidationWindows: null,
      classWeights: [1.2, 0.7, 1.1],
    },
    class_weighting: "sqrt",
    lookback: 24,
    horizon: 6,
    label_rule: { kind: "fixed", threshold: 0.004 },
    clip: 7,
  };
  const split = {
    kind: "dates",
    validation_start: "2023-01-01T00:00:00.000Z",
    test_start: "2023-07-01T00:00:00.000Z",
  };
  const { config, derived } = recordedRunConfig(manifest(older, split), preprocessor);
  assert.deepEqual(derived, []);
  assert.deepEqual(config.model, model);
  assert.deepEqual(config.training, {
    ...DEFAULT_TRAINING_RECIPE,
    epochs: 4,
    labelSmoothing: 0.1,
    maxValidationWindows: Infinity,
    classWeighting: "sqrt",
  });
  assert.deepEqual(config.data, {
    horizon: 6,
    labelRule: { kind: "fixed", threshold: 0.004 },
    clip: 7,
    split: { kind: "dates", validationStart: Date.UTC(2023, 0, 1), testStart: Date.UTC(2023, 6, 1) },
  });
});

Deno.test("a manifest with nothing recorded: the default recipe for the preprocessor's model, marked derived", () => {
  for (const hyper of [undefined, {}, { model: { dModel: "wide" } }]) {
    const { config, derived } = recordedRunConfig(manifest(hyper), preprocessor);
    assert.deepEqual(derived, ["model", "training"]);
    const defaults = defaultRunConfig("lightweight_lstm", 24);
    assert.deepEqual(config.model, defaults.model);
    assert.deepEqual(config.training, defaults.training);
    assert.equal(config.data.horizon, 6);
    assert.equal(config.data.clip, 7);
    assert.deepEqual(config.data.split, defaults.data.split);
  }
});

Deno.test("a whole configuration written before epochFraction and auxiliaryHorizons reads back as it trained", () => {
  const json = JSON.parse(JSON.stringify(runConfigJson(defaultRunConfig("lightweight_lstm", 24))));
  delete json.training.epochFraction;
  delete json.training.auxiliaryHorizons;
  const read = recordedRunConfig(manifest(json), preprocessor);
  assert.equal(read.config.training.epochFraction, 1, "no fraction limit, as before the option");
  assert.equal(read.config.training.auxiliaryHorizons, "label");
  assert.deepEqual(read.derived, []);
});
