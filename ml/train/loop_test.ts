import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend.ts";
import { buildModel } from "../models/index.ts";
import { haveRealData } from "../../test/real_data.ts";
import { type EpochRecord, trainModel } from "./loop.ts";
import { windowsPerEpoch } from "./config.ts";
import { learningRateAt } from "./schedule.ts";
import { DEFAULT_SPLIT, prepareDataset } from "../data/index.ts";
import { syntheticSeries } from "../../test/evaluation.ts";
import { ReportedError } from "../../base/index.ts";
import {
  scalingOf,
  TINY_LOOKBACK,
  tinyDataset,
  tinyModelConfig,
  tinyTrainConfig,
} from "../../test/tiny_training.ts";

const real = haveRealData();
if (real) await initBackend("wasm");

const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

Deno.test({
  name: "patience running out on the last epoch is no early stop: the schedule ran to its end",
  ignore: !real,
  async fn() {
    const data = await tinyDataset();
    const model = buildModel(tinyModelConfig(), 1);
    // Epoch 1 stays the best, so epoch 3 is both the last and the one where patience (2) runs out.
    const result = await trainModel(
      model,
      data,
      scalingOf(data),
      tinyTrainConfig(data, { epochs: 3, patience: 2, minDelta: 1e9 }),
    );
    assert.equal(result.stopReason, "epochs");
    assert.equal(result.history.length, 3);
    assert.equal(result.bestEpoch, 1);
    model.dispose();
  },
});

Deno.test({
  name:
    "a resumed member numbers its epochs after those it had done, and is best only against its saved score",
  ignore: !real,
  async fn() {
    // Before: its epochs printed as 1/2, 2/2 for what were epochs 3 and 4, the first marked *best though
    // worse than the score saved before the stop, and patience counted from that epoch.
    const data = await tinyDataset();
    const model = buildModel(tinyModelConfig(), 1);
    const start = weightsOf(model);
    const lines: string[] = [];
    const result = await trainModel(
      model,
      data,
      scalingOf(data),
      tinyTrainConfig(data, { epochs: 2, patience: 1, resumedFrom: { epochs: 2, bestScore: 1e-9 } }),
      { log: (l) => lines.push(l) },
    );
    assert.match(lines[0], /^epoch 3\/4 /);
    assert.doesNotMatch(lines[0], /\*best/, "not better than the saved score");
    // Patience 1 runs out after the first epoch that does not beat the saved best: it is no longer
    // counted from that epoch.
    assert.equal(result.stopReason, "early_stopping");
    assert.equal(result.history.length, 1);
    assert.equal(result.bestEpoch, 0);
    assert.deepEqual(weightsOf(model), start, "the weights it started from are kept");
    model.dispose();
  },
});

Deno.test({
  name: "early stopping restores the weights of the best epoch",
  ignore: !real,
  async fn() {
    const data = await tinyDataset();
    const model = buildModel(tinyModelConfig(), 1);
    const atEpoch = new Map<number, number[][]>();
    const lines: string[] = [];
    // A huge minDelta means no later epoch counts as an improvement: epoch 1 stays the best.
    const result = await trainModel(
      model,
      data,
      scalingOf(data),
      tinyTrainConfig(data, { epochs: 10, patience: 2, minDelta: 1e9 }),
      { log: (l) => lines.push(l), afterEpoch: (r, m) => atEpoch.set(r.epoch, weightsOf(m)) },
    );
    assert.equal(result.stopReason, "early_stopping");
    assert.equal(result.history.length, 3);
    assert.equal(result.bestEpoch, 1);
    assert.notDeepEqual(atEpoch.get(3), atEpoch.get(1));
    assert.deepEqual(weightsOf(model), atEpoch.get(1));
    assert.match(
      lines[0],
      /^epoch 1\/10 .*loss .*accuracy .*val_loss .*val_accuracy .*val_macro_f1 .*samples\/s .*elapsed .*ETA/,
    );
    model.dispose();
  },
});

Deno.test({
  name: "the best epoch is the one with the lowest calibrated validation log-loss (what is served)",
  ignore: !real,
  async fn() {
    const data = await tinyDataset();
    const model = buildModel(tinyModelConfig("lightweight_lstm"), 2);
    let best: { epoch: number; loss: number; weights: number[][] } | null = null;
    const result = await trainModel(
      model,
      data,
      scalingOf(data),
      tinyTrainConfig(data, { epochs: 4, learningRate: 0.05 }),
      {
        afterEpoch: (r: EpochRecord, m) => {
          if (!best || r.val_calibrated_log_loss < best.loss) {
            best = { epoch: r.epoch, loss: r.val_calibrated_log_loss, weights: weightsOf(m) };
          }
        },
      },
    );
    assert.equal(result.stopReason, "epochs");
    assert.equal(result.bestEpoch, best!.epoch);
    assert.deepEqual(weightsOf(model), best!.weights);
    model.dispose();
  },
});

Deno.test({
  name: "the same seed on the same backend gives identical training",
  ignore: !real,
  async fn() {
    const data = await tinyDataset();
    const run = async () => {
      const model = buildModel(tinyModelConfig(), 5);
      const result = await trainModel(
        model,
        data,
        scalingOf(data),
        tinyTrainConfig(data, { epochs: 2, seed: 11 }),
      );
      const weights = weightsOf(model);
      model.dispose();
      return {
        history: result.history.map(({ seconds: _s, samples_per_second: _r, ...rest }) => rest),
        weights,
      };
    };
    const a = await run(), b = await run();
    assert.deepEqual(a.history, b.history);
    assert.deepEqual(a.weights, b.weights);
  },
});

Deno.test({
  name: "an abort stops after the current batch and keeps the best weights so far; no tensors leak",
  ignore: !real,
  async fn() {
    const data = await tinyDataset();
    const model = buildModel(tinyModelConfig(), 3);
    const before = tf.memory().numTensors;
    const stop = new AbortController();
    let batchesSeen = 0;
    const result = await trainModel(model, data, scalingOf(data), tinyTrainConfig(data, { epochs: 5 }), {
      signal: stop.signal,
      afterBatch: (epoch, batch) => {
        batchesSeen++;
        if (epoch === 2 && batch === 2) stop.abort();
      },
    });
    assert.equal(result.stopReason, "interrupted");
    assert.equal(result.history.length, 2);
    assert.equal(result.history[1].partial, true);
    assert.equal(result.history[1].windows, 64);
    assert.equal(batchesSeen, Math.ceil(data.train.size / 32) + 2);
    assert.ok(result.bestEpoch === 1 || result.bestEpoch === 2);
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  },
});

Deno.test({
  name: "an epoch visits --epoch-fraction of the training windows (one batch at least)",
  ignore: !real,
  async fn() {
    const data = await tinyDataset();
    const model = buildModel(tinyModelConfig("lightweight_lstm"), 4);
    const config = tinyTrainConfig(data, { epochs: 2, epochFraction: 0.3 });
    const result = await trainModel(model, data, scalingOf(data), config);
    const expected = Math.max(32, Math.ceil(0.3 * data.train.size));
    assert.ok(expected < data.train.size, "the tiny set must be larger than the fraction for this test");
    assert.equal(windowsPerEpoch(config, data.train.size), expected);
    assert.deepEqual(result.history.map((r) => r.windows), [expected, expected]);
    model.dispose();
  },
});

/**
 * Makes the model's validation outputs NaN in the given epochs: NaN weights after the epoch's last batch, the
 * trained ones put back once the epoch is scored (so training itself never sees them).
 */
function nanValidationIn(epochs: readonly number[], model: tf.LayersModel, batches: number) {
  let saved: tf.Tensor[] | null = null;
  return {
    afterBatch: (epoch: number, batch: number) => {
      if (!epochs.includes(epoch) || batch !== batches) return;
      saved = model.getWeights().map((w) => w.clone());
      model.setWeights(saved.map((w) => tf.fill(w.shape, NaN)));
    },
    afterEpoch: () => {
      if (!saved) return;
      model.setWeights(saved);
      tf.dispose(saved);
      saved = null;
    },
  };
}

Deno.test({
  name: "an epoch whose validation is not a number is never the best: later epochs still can be",
  ignore: !real,
  async fn() {
    const data = await tinyDataset();
    const model = buildModel(tinyModelConfig("lightweight_lstm"), 6);
    const lines: string[] = [];
    const config = tinyTrainConfig(data, { epochs: 3, patience: 5 });
    const batches = Math.ceil(windowsPerEpoch(config, data.train.size) / config.batchSize);
    const result = await trainModel(model, data, scalingOf(data), config, {
      log: (l) => lines.push(l),
      ...nanValidationIn([1], model, batches),
    });
    assert.ok(Number.isNaN(result.history[0].val_calibrated_log_loss));
    assert.doesNotMatch(lines[0], /\*best/);
    // Before: epoch 1 (NaN) stayed the best, and its weights were the ones kept.
    assert.match(lines[1], /\*best/, "the first epoch with a score is the best so far");
    assert.notEqual(result.bestEpoch, 1);
    model.dispose();
  },
});

Deno.test({
  name: "training that never scores a finite validation log-loss fails with a message, keeping no weights",
  ignore: !real,
  async fn() {
    const data = await tinyDataset();
    const model = buildModel(tinyModelConfig("lightweight_lstm"), 6);
    const config = tinyTrainConfig(data, { epochs: 2, patience: 5 });
    const batches = Math.ceil(windowsPerEpoch(config, data.train.size) / config.batchSize);
    await assert.rejects(
      trainModel(model, data, scalingOf(data), config, nanValidationIn([1, 2], model, batches)),
      (e: Error) => {
        assert.ok(e instanceof ReportedError);
        assert.match(e.message, /validation log-loss was NaN after every epoch \(2\)/);
        return true;
      },
    );
    model.dispose();
  },
});

Deno.test({
  name: "an interrupted first epoch whose validation is not a number fails with that message, not 'no batch'",
  ignore: !real,
  async fn() {
    const data = await tinyDataset();
    const model = buildModel(tinyModelConfig("lightweight_lstm"), 6);
    const stop = new AbortController();
    // Ctrl-C during epoch 1, after its second batch, with the weights gone NaN: the partial epoch is scored.
    const nan = nanValidationIn([1], model, 2);
    await assert.rejects(
      trainModel(model, data, scalingOf(data), tinyTrainConfig(data, { epochs: 3 }), {
        signal: stop.signal,
        afterBatch: (epoch, batch) => {
          nan.afterBatch(epoch, batch);
          if (epoch === 1 && batch === 2) stop.abort();
        },
        afterEpoch: nan.afterEpoch,
      }),
      (e: Error) =>
        e instanceof ReportedError && /validation log-loss was NaN after every epoch \(1\)/.test(e.message),
    );
    model.dispose();
  },
});

Deno.test("an epoch record reads back through its schema as written, NaN (JSON's null) included", async () => {
  const { EpochRecordSchema } = await import("./loop.ts");
  const record = {
    epoch: 3,
    partial: false,
    windows: 30000,
    loss: 1.9,
    accuracy: 0.46,
    val_loss: NaN, // a validation that could not be scored
    val_accuracy: 0.45,
    val_macro_f1: 0.27,
    val_log_loss: 1.05,
    val_calibrated_log_loss: 1.05,
    val_temperature: 1.1,
    learning_rate: 0.002,
    samples_per_second: 900,
    seconds: 33,
  };
  const back = EpochRecordSchema.parse(JSON.parse(JSON.stringify(record)));
  assert.ok(Number.isNaN(back.val_loss));
  assert.deepEqual({ ...back, val_loss: 0 }, { ...record, val_loss: 0 });
  assert.equal(EpochRecordSchema.safeParse({ ...record, epoch: "3" }).success, false);
});

Deno.test("a resumed member's one_cycle goes on from its whole epochs, not from the start of a new cycle", async () => {
  await initBackend("wasm");
  const data = prepareDataset(syntheticSeries(12, ["SIMAUSDT"]), {
    lookback: TINY_LOOKBACK,
    horizon: 4,
    labelRule: { kind: "volatility", multiplier: 0.5 },
    split: DEFAULT_SPLIT,
  });
  // The epoch a stop cut short, run again: the last of 3, after 2 whole ones.
  const config = tinyTrainConfig(data, {
    epochs: 1,
    schedule: "one_cycle",
    resumedFrom: { epochs: 2, bestScore: 9 },
  });
  const model = buildModel(tinyModelConfig(), 1);
  const result = await trainModel(model, data, scalingOf(data), config);
  const batches = Math.ceil(windowsPerEpoch(config, data.train.size) / config.batchSize);
  // Its last update is the run's last, at the end of the cosine fall, as in the run that was not stopped.
  // Before: a one-epoch cycle of its own, whose rate had climbed back to the peak during the epoch.
  assert.equal(result.history[0].learning_rate, learningRateAt(config, 3 * batches - 1, 3 * batches));
  assert.notEqual(result.history[0].learning_rate, learningRateAt(config, batches - 1, batches));
  model.dispose();
});
