/**
 * A Web Worker that trains one ensemble member at a time with the one training loop, so members train on
 * several cores at once (`parallel_members.ts`). It rebuilds the member from its topology and weights, trains
 * it with the member's own seed, and sends the trained weights back; the arithmetic is the same as in the
 * main thread on the same backend, so the result does not depend on where a member trained. Asked to, it also
 * sends every epoch's record and weights, which train's run folder saves while the member goes on training.
 */
/// <reference lib="deno.worker" />
import * as tf from "@tensorflow/tfjs";
import "../layers/index.ts";
import { initBackend } from "../runtime/index.ts";
import { ReportedError } from "../../base/index.ts";
import { trainModel } from "./loop.ts";
import { type FromWorker, layerWeights, setLayerWeights, type ToWorker } from "./member_protocol.ts";

const self = globalThis as unknown as Worker & { close(): void };
const post = (message: FromWorker, transfer: Transferable[] = []) => self.postMessage(message, transfer);
let stop = new AbortController();
/** How often a member's batch progress is sent to the main thread. */
const PROGRESS_EVERY_MS = 1000;

async function train(message: Extract<ToWorker, { type: "train" }>): Promise<void> {
  stop = new AbortController();
  const model = await tf.models.modelFromJSON({ modelTopology: message.topology });
  setLayerWeights(model, message.weights);
  // Members side by side showed no progress within an epoch, only each epoch's line: minutes of silence on a
  // large CSV that read as a hang (an operator's trial). Batches done go to the main thread, about once a second.
  let sent = -Infinity;
  const progress = {
    update: (done: number, total: number, label: string, text: string) => {
      const now = performance.now();
      if (now - sent < PROGRESS_EVERY_MS && done < total) return;
      sent = now;
      post({ type: "progress", member: message.member, done, total, label, text });
    },
    clear: () => {},
  };
  const result = await trainModel(model, message.data, message.scaling, message.config, {
    log: (line) => post({ type: "log", member: message.member, line }),
    progress,
    signal: stop.signal,
    afterEpoch: message.reportEpochs
      // Copied, not transferred: on some backends dataSync hands out the live tensor's own storage.
      ? (record, trained) =>
        post({ type: "epoch", member: message.member, record, weights: layerWeights(trained) })
      : undefined,
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
  // A ReportedError keeps its hint and exit code across the thread (structured clone keeps no class).
  const fail = (error: unknown) =>
    post(
      error instanceof ReportedError
        ? { type: "error", message: error.message, hint: error.hint, exitCode: error.exitCode }
        : { type: "error", message: error instanceof Error ? error.message : String(error) },
    );
  if (message.type === "stop") stop.abort();
  else if (message.type === "init") initBackend(message.backend).then(() => post({ type: "ready" }), fail);
  else train(message).catch(fail);
};
