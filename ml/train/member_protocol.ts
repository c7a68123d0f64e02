/**
 * What the main thread and a member worker (`member_worker.ts`) say to each other, and how a model's weights
 * travel between them: as plain arrays by layer name (names are the same in the ensemble and the member's model).
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendName } from "../runtime/index.ts";
import type { Dataset, Scaling } from "../data/index.ts";
import type { TrainConfig } from "./config.ts";
import type { EpochRecord, TrainResult } from "./loop.ts";

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
    /** Send each epoch's record and weights (`epoch` messages) so the main thread can save them. */
    reportEpochs: boolean;
  }
  | { type: "stop" };

export type FromWorker =
  | { type: "ready" }
  | { type: "log"; member: number; line: string }
  /** Batches done of the member's epoch (at most about once a second): the main thread's progress bar. */
  | { type: "progress"; member: number; done: number; total: number; label: string; text: string }
  | { type: "epoch"; member: number; record: EpochRecord; weights: LayerWeights }
  | { type: "done"; member: number; result: TrainResult; weights: LayerWeights }
  /** A failure; `hint` and `exitCode` when it was written for the user (a ReportedError), to rebuild it. */
  | { type: "error"; message: string; hint?: string; exitCode?: number };

/** Every layer's weights (of layers that have any), by name, as plain arrays a worker message can carry. */
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

/**
 * Loads `weights` into the layers of `model` with the same names; throws when `model` has no layer of one of
 * them.
 */
export function setLayerWeights(model: tf.LayersModel, weights: LayerWeights): void {
  for (const [name, ws] of Object.entries(weights)) {
    const tensors = ws.map((w) => tf.tensor(w.values, w.shape));
    model.getLayer(name).setWeights(tensors);
    tf.dispose(tensors);
  }
}
