/**
 * Trains every member of a model (`ml/models/ensemble.ts`) with the one training loop, one after another, each
 * from its own seed (its own shuffles and dropout masks too), each with its own early stopping. A plain model
 * is a single member. With `parallel` and more than one member, members train in worker threads, one core
 * each (same result). An interrupt stops the members in training (their best weights so far kept) and skips
 * the rest; `trainedMembers` says how many hold trained weights.
 */
import type * as tf from "@tensorflow/tfjs";
import type { Dataset, Scaling } from "../data/index.ts";
import { memberViews } from "../models/index.ts";
import type { TrainConfig } from "./config.ts";
import { type EpochRecord, type TrainHooks, trainModel, type TrainResult } from "./loop.ts";
import { type ParallelOptions, trainMembersInWorkers } from "./parallel_members.ts";

export interface MembersResult extends TrainResult {
  /** Members with trained weights (all of them unless interrupted). */
  readonly trainedMembers: number;
  readonly members: number;
  /** Each member's own result, in member order. */
  readonly perMember: readonly TrainResult[];
}

export async function trainMembers(
  model: tf.LayersModel,
  data: Dataset,
  scaling: Scaling,
  config: TrainConfig,
  hooks: TrainHooks = {},
  parallel?: ParallelOptions,
): Promise<MembersResult> {
  const members = memberViews(model);
  const memberConfig = (k: number): TrainConfig => ({ ...config, seed: config.seed + k - 1 });
  let perMember: TrainResult[] = [];
  // Per-batch and per-epoch hooks run in this thread, so a caller that sets them trains here.
  const inProcess = hooks.afterBatch !== undefined || hooks.afterEpoch !== undefined;
  if (parallel && parallel.workers > 1 && members.length > 1 && !inProcess) {
    perMember = await trainMembersInWorkers(members, data, scaling, memberConfig, hooks, parallel);
  } else {
    for (let k = 1; k <= members.length; k++) {
      const tag = members.length > 1 ? `member ${k}/${members.length}: ` : "";
      const result = await trainModel(members[k - 1].model, data, scaling, memberConfig(k), {
        ...hooks,
        log: hooks.log && ((line) => hooks.log!(tag + line)),
      });
      perMember.push(result);
      if (result.stopReason === "interrupted") break;
    }
  }
  const trained = perMember.filter((r) => r.bestEpoch !== null).length;
  const history: EpochRecord[] = perMember.flatMap((r, i) =>
    r.history.map((e) => (members.length > 1 ? { ...e, member: i + 1 } : e))
  );
  const interrupted = perMember.some((r) => r.stopReason === "interrupted") || hooks.signal?.aborted;
  const last = perMember[perMember.length - 1];
  return {
    history,
    bestEpoch: trained > 0 ? perMember[trained - 1].bestEpoch : null,
    stopReason: interrupted ? "interrupted" : last?.stopReason ?? "interrupted",
    trainedMembers: trained,
    members: members.length,
    perMember,
  };
}
