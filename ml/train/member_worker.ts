/**
 * A Web Worker that trains one ensemble member at a time with the one training loop, so members train on
 * several cores at once (`parallel_members.ts`). It rebuilds the member from its topology and weights, trains
 * it with the member's own seed, and sends the trained weights back; the arithmetic is the same as in the
 * main thread on the same backend, so the result does not depend on where a member trained.
 */
/// <reference lib="deno.worker" />
import * as tf from "@tensorflow/tfjs";
import "../layers/index.ts";
import { type BackendName, initBackend } from "../runtime/index.ts";
import type { Dataset, Scaling } from "../data/index.ts";
import type { TrainConfig } from "./config.ts";
import { trainModel, type TrainResult } from "./loop.ts";

/** A layer's weights as plain arrays, by layer name (the same in the ensemble and the member's model). */
export type LayerWeights = Record<string, { shape: number[]; values: Float32Array }[]>;

export type ToWorker =
  | { type: "init"; backend: BackendName }
  | {
    type: "train";
    member: number;
    topology: tf.io.ModelJSON["modelTopology"];
    weights: LayerWeights;
    data: Dataset;
    scaling: Scaling;
    config: TrainConfig;
  }
  | { type: "stop" };

export type FromWorker =
  | { type: "ready" }
  | { type: "log"; member: number; line: string }
  | { type: "done"; member: number; result: TrainResult; weights: LayerWeights }
  | { type: "error"; message: string };

export function layerWeights(model: tf.LayersModel): LayerWeights {
  const out: LayerWeights = {};
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length > 0) {
      out[layer.name] = ws.map((w) => ({ shape: [...w.shape], values: w.dataSync() as Float32Array }));
    }
  }
  return out;
}

export function setLayerWeights(model: tf.LayersModel, weights: LayerWeights): void {
  for (const [name, ws] of Object.entries(weights)) {
    const tensors = ws.map((w) => tf.tensor(w.values, w.shape));
    model.getLayer(name).setWeights(tensors);
    tf.dispose(tensors);
  }
}

const self = globalThis as unknown as Worker & { close(): void };
const post = (message: FromWorker, transfer: Transferable[] = []) => self.postMessage(message, transfer);
let stop = new AbortController();

async function train(message: Extract<ToWorker, { type: "train" }>): Promise<void> {
  stop = new AbortController();
  const model = await tf.models.modelFromJSON({ modelTopology: message.topology });
  setLayerWeights(model, message.weights);
  const result = await trainModel(model, message.data, message.scaling, message.config, {
    log: (line) => post({ type: "log", member: message.member, line }),
    signal: stop.signal,
  });
  const weights = layerWeights(model);
  model.dispose();
  post(
    { type: "done", member: message.member, result, weights },
    Object.values(weights).flatMap((ws) => ws.map((w) => w.values.buffer as ArrayBuffer)),
  );
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  const fail = (error: unknown) =>
    post({ type: "error", message: error instanceof Error ? error.message : String(error) });
  if (message.type === "stop") stop.abort();
  else if (message.type === "init") initBackend(message.backend).then(() => post({ type: "ready" }), fail);
  else train(message).catch(fail);
};
