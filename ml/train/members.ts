/**
 * Trains every member of a model (`ml/models/ensemble.ts`) with the one training loop, one after another, each
 * from its own seed (its own shuffles and dropout masks too), each with its own early stopping. A plain model
 * is a single member. An interrupt stops the member in training (its best weights so far kept) and skips the
 * rest; `trainedMembers` says how many hold trained weights.
 */
import type * as tf from "@tensorflow/tfjs";
import type { Dataset, Scaling } from "../data/index.ts";
import { memberViews } from "../models/index.ts";
import type { TrainConfig } from "./config.ts";
import { type EpochRecord, type TrainHooks, trainModel, type TrainResult } from "./loop.ts";

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
): Promise<MembersResult> {
  const members = memberViews(model);
  const perMember: TrainResult[] = [];
  for (let k = 1; k <= members.length; k++) {
    const tag = members.length > 1 ? `member ${k}/${members.length}: ` : "";
    const result = await trainModel(members[k - 1].model, data, scaling, {
      ...config,
      seed: config.seed + k - 1,
    }, {
      ...hooks,
      log: hooks.log && ((line) => hooks.log!(tag + line)),
    });
    perMember.push(result);
    if (result.stopReason === "interrupted") break;
  }
  const trained = perMember.filter((r) => r.bestEpoch !== null).length;
  const history: EpochRecord[] = perMember.flatMap((r, i) =>
    r.history.map((e) => (members.length > 1 ? { ...e, member: i + 1 } : e))
  );
  const last = perMember[perMember.length - 1];
  return {
    history,
    bestEpoch: trained > 0 ? perMember[trained - 1].bestEpoch : null,
    stopReason: last.stopReason,
    trainedMembers: trained,
    members: members.length,
    perMember,
  };
}
