import assert from "node:assert/strict";
import { type CandleSeries, sliceSeries } from "../../features/index.ts";
import { haveRealData, loadRealSeries } from "../../test/real_data.ts";
import { initBackend } from "../runtime/backend.ts";
import { classWeights, prepareDataset } from "../data/index.ts";
import { buildModel, defaultModelConfig, FAST_LAYERS } from "../models/index.ts";
import { softmaxRows } from "../metrics/index.ts";
import { DEFAULT_TRAIN_CONFIG, trainMembers } from "../train/index.ts";
import { calibrate } from "./calibrate.ts";
import type { FoldPlan } from "./folds.ts";
import { modelOutputs } from "./model_outputs.ts";
import { NetworkLearner } from "./network_learner.ts";

const LOOKBACK = 12;
const shape = { lookback: LOOKBACK, horizon: 4, labelRule: { kind: "volatility", multiplier: 0.5 } } as const;

async function series(): Promise<CandleSeries[]> {
  const start = Date.parse("2023-06-05T00:00Z"), end = Date.parse("2023-07-31T00:00Z");
  return await Promise.all(["BTCUSDT", "ETHUSDT"].map(async (symbol) => {
    const s = await loadRealSeries(symbol);
    return sliceSeries(s, s.openTime.findIndex((t) => t >= start), s.openTime.findIndex((t) => t >= end));
  }));
}

/** One weekly fold of two real symbols, and a two-member lightweight ensemble weighted "balanced". */
async function fixture(retrain: FoldPlan["retrain"], train: Partial<typeof DEFAULT_TRAIN_CONFIG>) {
  await initBackend("wasm");
  const validationStart = Date.parse("2023-07-17T00:00Z"), testStart = Date.parse("2023-07-24T00:00Z");
  const dataset = prepareDataset(await series(), {
    ...shape,
    split: { kind: "dates", validationStart, testStart },
  });
  const scaling = { scaler: dataset.scaler, clip: 5, returnScale: dataset.returnScale };
  const plan: FoldPlan = {
    index: 0,
    label: "2023-W30",
    validationStart,
    testStart,
    testEnd: Date.parse("2023-07-31T00:00Z"),
    action: "fit",
    retrain,
  };
  const modelConfig = {
    ...defaultModelConfig("lightweight_lstm", LOOKBACK),
    lstmHidden: 4,
    lstmLayers: 1,
    members: 2,
  };
  const config = { ...DEFAULT_TRAIN_CONFIG, epochs: 1, batchSize: 32, seed: 5, ...train };
  const learner = new NetworkLearner({
    name: "lightweight_lstm",
    modelConfig,
    train: config,
    classWeighting: "balanced",
    clip: 5,
  });
  return { dataset, scaling, plan, modelConfig, train: config, learner, validationStart, testStart };
}

Deno.test({
  name: "evaluate's network learner scores the model train ships: class weights out of each member, then T",
  ignore: !haveRealData(),
  async fn() {
    const { dataset, scaling, plan, modelConfig, train, learner, testStart } = await fixture("monthly", {
      maxWindowsPerEpoch: 256,
      maxValidationWindows: 256,
    });
    const fold = { plan, dataset, scaling, newSince: testStart };
    const report = await learner.fit(fold);
    const scored = await learner.predict(dataset.test, fold);
    learner.dispose();

    // What train does: the same model and seed, trained, then calibrated in its weights.
    const weights = classWeights(dataset.trainClassCounts, "balanced");
    assert.ok(Math.max(...weights) / Math.min(...weights) > 1.2, "the classes are uneven enough to weigh");
    const model = buildModel(modelConfig, train.seed, FAST_LAYERS, scaling);
    await trainMembers(model, dataset, scaling, { ...train, classWeights: weights });
    const temperature = await calibrate(model, dataset, scaling, weights);
    const shipped = softmaxRows(
      (await modelOutputs(model, dataset.test, dataset, scaling)).logits,
      temperature,
    );
    model.dispose();

    assert.equal(report.temperature, temperature);
    assert.equal(scored.probabilities.length, shipped.length);
    const gap = scored.probabilities.reduce((m, p, i) => Math.max(m, Math.abs(p - shipped[i])), 0);
    // Before, evaluate took ln(weight) out of the members' averaged probabilities: another model (gap ~1e-3).
    assert.ok(gap < 1e-6, `evaluate's probabilities differ from train's by ${gap}`);
  },
});

Deno.test({
  name: "a fine-tune puts back the class bias calibration took out, so repeated fine-tunes do not drift it",
  ignore: !haveRealData(),
  async fn() {
    // A learning rate of 0: training moves no weight, so only calibration can touch the class bias.
    const { dataset, scaling, plan, learner, validationStart } = await fixture("weekly", {
      maxWindowsPerEpoch: 64,
      learningRate: 0,
    });
    const fold = { plan, dataset, scaling, newSince: validationStart - 7 * 24 * 3600_000 };
    await learner.fit(fold);
    const before = await learner.predict(dataset.test, fold);
    for (let k = 0; k < 2; k++) await learner.update({ ...fold, plan: { ...plan, action: "update" } });
    const after = await learner.predict(dataset.test, fold);
    learner.dispose();
    const gap = before.probabilities.reduce(
      (m, p, i) => Math.max(m, Math.abs(p - after.probabilities[i])),
      0,
    );
    // Before, each fine-tune took ln(weight) out of the bias once more: gaps of several hundredths.
    assert.ok(gap < 1e-6, `two fine-tunes that learnt nothing moved the probabilities by ${gap}`);
  },
});
