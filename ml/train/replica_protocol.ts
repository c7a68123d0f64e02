/** What the training thread and a data-parallel replica (`replica_worker.ts`) say to each other. */
import type * as tf from "@tensorflow/tfjs";
import type { BackendName } from "../runtime/index.ts";
import type { BatchPart } from "./gradients.ts";
import type { LossOptions } from "./loss.ts";

export type ToReplica =
  | { type: "init"; backend: BackendName; topology: tf.io.ModelJSON["modelTopology"] }
  | {
    type: "step";
    /** The training model's variables now, in its trainable-weights order. */
    weights: Float32Array[];
    /** Each SeededDropout's training calls so far, by layer name: the replica draws the next masks too. */
    dropoutCalls: Record<string, number>;
    part: BatchPart;
    /** The part's first row in the whole batch. */
    rowOffset: number;
    lookback: number;
    loss: LossOptions;
  };

export type FromReplica =
  | { type: "ready" }
  | { type: "gradients"; loss: number; hits: number; grads: Float32Array[] }
  | { type: "error"; message: string };
