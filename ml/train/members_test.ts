import assert from "node:assert/strict";
import type * as tf from "@tensorflow/tfjs";
import { initBackend } from "../runtime/backend.ts";
import { ReportedError } from "../../base/index.ts";
import { buildModel } from "../models/index.ts";
import { haveRealData } from "../../test/real_data.ts";
import {
  appliedDistillWeight,
  describeSchedule,
  memberSchedule,
  trainMembers,
  withTeacher,
} from "./members.ts";
import { scalingOf, tinyDataset, tinyModelConfig, tinyTrainConfig } from "../../test/tiny_training.ts";

const real = haveRealData();
if (real) await initBackend("wasm");

const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

Deno.test({
  name:
    "a failure written for the user in a worker thread reaches the caller as such, hint and exit code kept",
  ignore: !real,
  async fn() {
    // Before: rebuilt as a plain Error, so a loss gone NaN in a worker read "unexpected failure … a bug".
    const data = await tinyDataset();
    const config = tinyTrainConfig(data, { epochs: 1, learningRate: 1e38, clipNorm: 1e38 });
    const model = buildModel({ ...tinyModelConfig(), members: 2 }, 5);
    await assert.rejects(
      trainMembers(model, data, scalingOf(data), config, {}, { workers: 2, backend: "wasm" }),
      (e: Error) =>
        e instanceof ReportedError && /the training loss became (NaN|-?Infinity)/.test(e.message) &&
        e.hint === "lower --learning-rate, or keep --clip-norm" && e.exitCode === 1,
    );
    model.dispose();
  },
});

Deno.test({
  name: "ensemble members trained in two worker threads get exactly the weights trained one after another",
  ignore: !real,
  async fn() {
    const data = await tinyDataset();
    const config = tinyTrainConfig(data, { epochs: 2 });
    const trained = async (workers: number) => {
      const model = buildModel({ ...tinyModelConfig(), members: 3 }, 5);
      const result = await trainMembers(model, data, scalingOf(data), config, {}, {
        workers,
        backend: "wasm",
      });
      const weights = weightsOf(model);
      model.dispose();
      return { result, weights };
    };
    const sequential = await trained(1);
    const parallel = await trained(2);
    assert.equal(sequential.result.trainedMembers, 3);
    assert.equal(parallel.result.trainedMembers, 3);
    assert.deepEqual(
      parallel.result.perMember.map((r) => r.history.map((e) => e.val_calibrated_log_loss)),
      sequential.result.perMember.map((r) => r.history.map((e) => e.val_calibrated_log_loss)),
    );
    assert.deepEqual(parallel.weights, sequential.weights);
    // Members start from different seeds and so end up different.
    assert.notDeepEqual(sequential.result.perMember[0].history, sequential.result.perMember[1].history);
  },
});

Deno.test({
  name:
    "with data parallelism the member left over (3 on 2 workers) trains last on both cores: same result up to rounding",
  ignore: !real,
  async fn() {
    const data = await tinyDataset();
    const config = tinyTrainConfig(data, { epochs: 2 });
    const trained = async (workers: number, dataParallel: number) => {
      const model = buildModel({ ...tinyModelConfig(), members: 3 }, 5);
      const order: number[] = [];
      const result = await trainMembers(model, data, scalingOf(data), config, {
        afterMember: (k) => order.push(k),
      }, { workers, backend: "wasm", dataParallel });
      model.dispose();
      return {
        result,
        order,
        losses: result.perMember.map((r) => r.history.map((e) => e.val_calibrated_log_loss)),
      };
    };
    const sequential = await trained(1, 1);
    const split = await trained(2, 2);
    assert.equal(split.result.trainedMembers, 3);
    assert.equal(split.order[2], 3, "member 3 ends last");
    // Members 1 and 2 trained in the workers exactly as one after another; member 3 up to float rounding.
    assert.deepEqual(split.losses.slice(0, 2), sequential.losses.slice(0, 2));
    split.losses[2].forEach((v, i) => assert.ok(Math.abs(v - sequential.losses[2][i]) < 1e-3));
  },
});

Deno.test("memberSchedule: members side by side on the workers, the one left over last on every core", () => {
  const on = (workers: number, dataParallel = workers) => ({
    workers,
    backend: "wasm" as const,
    dataParallel,
  });
  const words = (toTrain: number[], parallel?: ReturnType<typeof on>) =>
    describeSchedule(memberSchedule(toTrain, parallel), 3);
  assert.deepEqual(memberSchedule([1, 2, 3], on(2)), { together: [1, 2], alone: [3], dataParallel: 2 });
  assert.deepEqual(memberSchedule([1, 2, 3], on(2, 1)), {
    together: [1, 2, 3],
    alone: [],
    dataParallel: 1,
    workers: 2,
  });
  assert.deepEqual(memberSchedule([1, 2, 3, 4], on(2)), {
    together: [1, 2, 3, 4],
    alone: [],
    dataParallel: 2,
    workers: 2,
  });
  // More members than cores: a pool, and the log says so (six members are not six at once).
  assert.equal(words([1, 2, 3, 4, 5, 6], on(2)), "members 1–6 on 2 cores, one member a core at a time");
  assert.deepEqual(memberSchedule([3], on(2)), { together: [], alone: [3], dataParallel: 2 });
  assert.equal(
    words([1, 2, 3], on(2)),
    "members 1–2 side by side, one core each, then member 3 on 2 cores (each batch split, data parallel)",
  );
  assert.equal(words([1, 2, 3], undefined), "members 1–3 one after another on one core");
  assert.equal(words([1, 3], on(2)), "members 1, 3 side by side, one core each");
  assert.equal(
    describeSchedule(memberSchedule([1], on(2)), 1),
    "one model on 2 cores (each batch split, data parallel)",
  );
});

Deno.test({
  name:
    "distillation: a teacher travels to worker threads and changes what members learn; tiny sets go without",
  ignore: !real,
  async fn() {
    const data = await tinyDataset();
    const plain = tinyTrainConfig(data, { epochs: 1 });
    const distil = { ...plain, distillWeight: 0.5 };
    assert.deepEqual(
      await withTeacher(data, plain),
      { data, config: plain },
      "no teacher without distillation",
    );
    // Too few windows for an out-of-fold teacher: the labels alone, and the log says so.
    const lines: string[] = [];
    const small = await withTeacher(data, distil, (line) => lines.push(line));
    assert.equal(small?.config.distillWeight, 0);
    assert.equal(appliedDistillWeight(data, distil), 0, "what the manifest records as applied");
    assert.equal(appliedDistillWeight(data, plain), 0);
    assert.match(lines.join("\n"), /distillation: off for this run/);
    // A teacher already attached is used as it is (and must match the set).
    const teacher = Float32Array.from(
      { length: data.train.size * 3 },
      (_, i) => (i % 3 === data.train.labels[Math.floor(i / 3)] ? 0.6 : 0.2),
    );
    const taught = { ...data, train: { ...data.train, teacher } };
    assert.equal((await withTeacher(taught, distil))?.data, taught);
    assert.equal(appliedDistillWeight(taught, distil), 0.5, "a teacher attached is used whatever the size");
    const wrong = { ...data, train: { ...data.train, teacher: teacher.subarray(3) } };
    await assert.rejects(() => withTeacher(wrong, distil), /a teacher of/);
    const trained = async (config: typeof plain, workers: number) => {
      const model = buildModel({ ...tinyModelConfig(), members: 2 }, 5);
      await trainMembers(model, taught, scalingOf(data), config, {}, { workers, backend: "wasm" });
      const weights = weightsOf(model);
      model.dispose();
      return weights;
    };
    const inWorkers = await trained(distil, 2);
    assert.deepEqual(inWorkers, await trained(distil, 1));
    assert.notDeepEqual(inWorkers, await trained(plain, 2));
  },
});

Deno.test("membersProgress: the members side by side show one bar, their batches summed, each member's epoch and loss", async () => {
  const { membersProgress } = await import("./parallel_members.ts");
  const drawn: [number, number, string, string][] = [];
  let cleared = 0;
  const bar = membersProgress(3, {
    update: (done, total, label, text) => void drawn.push([done, total, label, text]),
    clear: () => void cleared++,
  });
  // Before, members in workers showed nothing within an epoch: minutes of silence read as a hang.
  bar.update({ member: 2, done: 10, total: 100, label: "epoch 1/6", text: "loss 1.1000" });
  bar.update({ member: 1, done: 30, total: 100, label: "epoch 1/6", text: "loss 1.0900" });
  assert.deepEqual(drawn.at(-1), [
    40,
    200,
    "member 1/3 epoch 1/6, member 2/3 epoch 1/6",
    "member 1: loss 1.0900; member 2: loss 1.1000",
  ]);
  bar.finished(2);
  bar.update({ member: 1, done: 50, total: 100, label: "epoch 2/6", text: "loss 1.0800" });
  assert.deepEqual(drawn.at(-1), [50, 100, "member 1/3 epoch 2/6", "member 1: loss 1.0800"]);
  bar.clear();
  assert.equal(cleared, 1);
  // No sink (a caller that wants no progress): nothing to draw, nothing thrown.
  membersProgress(2, undefined).update({ member: 1, done: 1, total: 2, label: "epoch 1/1", text: "" });
});
