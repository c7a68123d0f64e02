/**
 * A data-parallel replica (`data_parallel.ts`): holds a copy of the training model and, each step, computes
 * the gradients of its rows of the batch with the weights and dropout state the training thread sends. It
 * keeps no optimiser state: the training thread sums every part's gradients and updates its own weights, which
 * reach the replica with the next step.
 */
/// <reference lib="deno.worker" />
import * as tf from "@tensorflow/tfjs";
import "../layers/index.ts";
import { SeededDropout } from "../layers/index.ts";
import { initBackend } from "../runtime/index.ts";
import { batchGradients } from "./gradients.ts";
import type { FromReplica, ToReplica } from "./replica_protocol.ts";

const self = globalThis as unknown as Worker & { close(): void };
const post = (message: FromReplica, transfer: Transferable[] = []) => self.postMessage(message, transfer);
let trainer: tf.LayersModel | null = null;
let variables: tf.Variable[] = [];

async function init(message: Extract<ToReplica, { type: "init" }>): Promise<void> {
  await initBackend(message.backend);
  trainer = await tf.models.modelFromJSON({ modelTopology: message.topology });
  variables = trainer.trainableWeights.map((w) => w.read() as tf.Variable);
  post({ type: "ready" });
}

function step(message: Extract<ToReplica, { type: "step" }>): void {
  if (!trainer) throw new Error("replica: a step before init");
  if (message.weights.length !== variables.length) {
    throw new Error(`replica: ${message.weights.length} weight arrays for ${variables.length} variables`);
  }
  variables.forEach((v, i) => {
    if (message.weights[i].length !== v.size) throw new Error(`replica: variable ${i} has ${v.size} values`);
    const next = tf.tensor(message.weights[i], v.shape, "float32");
    v.assign(next);
    next.dispose();
  });
  for (const layer of trainer.layers) {
    if (layer instanceof SeededDropout) layer.calls = message.dropoutCalls[layer.name] ?? 0;
  }
  const g = batchGradients(
    trainer,
    variables,
    message.part,
    message.lookback,
    message.loss,
    message.rowOffset,
  );
  post({ type: "gradients", ...g }, g.grads.map((a) => a.buffer as ArrayBuffer));
}

self.onmessage = (event: MessageEvent<ToReplica>) => {
  const fail = (error: unknown) =>
    post({ type: "error", message: error instanceof Error ? error.message : String(error) });
  const message = event.data;
  if (message.type === "init") init(message).catch(fail);
  else {
    try {
      step(message);
    } catch (error) {
      fail(error);
    }
  }
};
