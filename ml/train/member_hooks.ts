/**
 * What a caller of `trainMembers` (members.ts) may hook into, in either mode (one after another, or in worker
 * threads: parallel_members.ts): each member's epochs and end, where it starts, the teacher's fits. A file of
 * its own so that parallel_members.ts, which members.ts uses, need not import members.ts.
 */
import type { TrainConfig } from "./config.ts";
import type { EpochRecord, TrainResult } from "./loop.ts";
import type { LayerWeights } from "./member_protocol.ts";

/** How member k (1-based) starts: by default from scratch with `memberTrainConfig(config, k)`. */
export type MemberStart =
  /** Already trained by an earlier run: not trained again; its weights are already in the model. */
  | { readonly finished: TrainResult }
  /** Trained with this config instead (a resumed member's remaining epochs, from its weights in the model). */
  | { readonly config: TrainConfig };

export interface MemberHooks {
  /**
   * After each epoch of member k (1-based): its record (epochs counted within this call) and its weights
   * after that epoch. Awaited in order; in worker mode the workers go on training meanwhile.
   */
  readonly afterMemberEpoch?: (
    member: number,
    record: EpochRecord,
    weights: () => LayerWeights,
  ) => unknown;
  /** After member k stopped (epochs done, early stopping or interrupt), its best weights restored. */
  readonly afterMember?: (member: number, result: TrainResult) => unknown;
  readonly start?: (member: number) => MemberStart | undefined;
  /**
   * Told true before the distillation teacher's fits start and false once they end (aborted or not): no
   * member has trained meanwhile, so a stop then keeps nothing (train's Ctrl-C message says so).
   */
  readonly teacherFitting?: (fitting: boolean) => unknown;
}
