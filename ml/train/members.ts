/**
 * Trains every member of a model (`ml/models/ensemble.ts`) with the one training loop, one after another, each
 * from its own seed (its own shuffles and dropout masks too), each with its own early stopping. A plain model
 * is a single member. With `parallel` and more than one member, members train in worker threads, one core
 * each (same result). With `parallel.dataParallel`, a member training alone (a single model, or the one left
 * over when the members do not divide among the workers) splits its batches across that many cores (the
 * same result up to float rounding). An interrupt stops the members in training (their best weights so far kept) and skips
 * the rest; `trainedMembers` says how many hold trained weights.
 *
 * `MemberHooks` let a caller save each member as it goes (train's run folder): every epoch's record and
 * weights, and each member's result when it ends, in either mode. `start` lets a resumed run skip members an
 * earlier process finished and continue an interrupted one with its own remaining config.
 */
import type * as tf from "@tensorflow/tfjs";
import { outOfFoldBoosting } from "../baselines/index.ts";
import type { Dataset, Scaling } from "../data/index.ts";
import { memberViews } from "../models/index.ts";
import type { TrainConfig } from "./config.ts";
import { type EpochRecord, type TrainHooks, trainModel, type TrainResult } from "./loop.ts";
import { layerWeights } from "./member_protocol.ts";
import { type ParallelOptions, trainMembersInWorkers } from "./parallel_members.ts";
import type { MemberHooks } from "./member_hooks.ts";

export type { MemberHooks, MemberStart } from "./member_hooks.ts";

export interface MembersResult extends TrainResult {
  /** Members with trained weights (all of them unless interrupted). */
  readonly trainedMembers: number;
  readonly members: number;
  /** Each member's own result, in member order. */
  readonly perMember: readonly TrainResult[];
}

/** Member k's training config: the model's, with the member's own seed. */
export const memberTrainConfig = (config: TrainConfig, k: number): TrainConfig => ({
  ...config,
  seed: config.seed + k - 1,
});

/** How members share the cores: some side by side in workers, then the rest one at a time, data parallel. */
export interface MemberSchedule {
  /** Members (1-based) trained in worker threads at once, one core each. */
  readonly together: readonly number[];
  /** Members trained after them, one at a time in this thread, each batch split into `dataParallel` parts. */
  readonly alone: readonly number[];
  readonly dataParallel: number;
  /** Worker threads for `together` (a pool: each takes the next member when its own ends). */
  readonly workers?: number;
}

/**
 * The schedule of `toTrain` on `parallel` (none: one after another on one core). With data parallelism, a
 * member that would train while other cores idle (the third of three on two cores) trains after the others,
 * on all of them.
 */
export function memberSchedule(toTrain: readonly number[], parallel?: ParallelOptions): MemberSchedule {
  const workers = Math.min(parallel?.workers ?? 1, toTrain.length);
  const dataParallel = parallel?.dataParallel ?? 1;
  if (workers <= 1) return { together: [], alone: toTrain, dataParallel };
  const leftover = dataParallel > 1 && toTrain.length % workers === 1 ? 1 : 0;
  const together = toTrain.slice(0, toTrain.length - leftover);
  return {
    together,
    alone: toTrain.slice(toTrain.length - leftover),
    dataParallel,
    ...(together.length > workers ? { workers } : {}),
  };
}

/** The schedule in words, for train's log: "members 1–2 side by side, then member 3 on 2 cores (data parallel)". */
export function describeSchedule(schedule: MemberSchedule, members: number): string {
  const list = (ks: readonly number[]) =>
    ks.length === 1
      ? `member ${ks[0]}`
      : ks.every((k, i) => i === 0 || k === ks[i - 1] + 1)
      ? `members ${ks[0]}–${ks[ks.length - 1]}`
      : `members ${ks.join(", ")}`;
  const alone = (ks: readonly number[]) =>
    schedule.dataParallel > 1
      ? `${
        members === 1 ? "one model" : list(ks)
      } on ${schedule.dataParallel} cores (each batch split, data parallel)`
      : `${members === 1 ? "one model" : list(ks) + " one after another"} on one core`;
  const parts = [];
  if (schedule.together.length > 0) {
    parts.push(
      schedule.workers
        ? `${list(schedule.together)} on ${schedule.workers} cores, one member a core at a time`
        : `${list(schedule.together)} side by side, one core each`,
    );
  }
  if (schedule.alone.length > 0) parts.push(alone(schedule.alone));
  return parts.join(", then ");
}

/** Below this many training windows an out-of-fold teacher is little more than the class frequencies. */
export const MIN_TEACHER_WINDOWS = 20_000;

/**
 * The distillation α a run on `data` trains with: `config`'s, but 0 when the set is too small for a teacher and
 * has none yet (`withTeacher` turns it off). The manifest records it beside the requested one, which a fine-tune
 * or `--config-from` reads back and decides again on its own data.
 */
export function appliedDistillWeight(
  data: Pick<Dataset, "train">,
  config: Pick<TrainConfig, "distillWeight">,
): number {
  if (config.distillWeight <= 0 || data.train.teacher) return config.distillWeight;
  return data.train.size < MIN_TEACHER_WINDOWS ? 0 : config.distillWeight;
}

/**
 * `data` with its training windows' teacher probabilities and the config to train with: when `config` distils
 * (`distillWeight` > 0) and they are not there yet, gradient boosting's, out of fold (`outOfFoldBoosting`),
 * computed once for every member this call trains. A set too small for a teacher (a fine-tuning run's new
 * windows) trains on its labels alone, said in the log. Null when `signal` aborted the teacher's fits.
 */
export async function withTeacher(
  data: Dataset,
  config: TrainConfig,
  log?: (line: string) => void,
  signal?: AbortSignal,
  fitting?: (fitting: boolean) => unknown,
): Promise<{ data: Dataset; config: TrainConfig } | null> {
  const size = data.train.size;
  if (config.distillWeight <= 0) return { data, config };
  if (data.train.teacher) {
    if (data.train.teacher.length !== size * 3) {
      throw new Error(`a teacher of ${data.train.teacher.length / 3} windows for ${size} training windows`);
    }
    return { data, config };
  }
  if (appliedDistillWeight(data, config) === 0) {
    log?.(
      `distillation: off for this run (${size.toLocaleString("en-US")} training windows, a teacher needs ` +
        `${MIN_TEACHER_WINDOWS.toLocaleString("en-US")})`,
    );
    return { data, config: { ...config, distillWeight: 0 } };
  }
  log?.(`distillation: fitting gradient boosting out of fold on ${size.toLocaleString("en-US")} windows`);
  fitting?.(true);
  const teacher = await outOfFoldBoosting(data, { seed: config.seed, signal }).finally(() =>
    fitting?.(false)
  );
  if (!teacher) return null;
  const { seconds, iterations, folds, logLoss } = teacher;
  log?.(
    `distillation: teacher ready in ${seconds.toFixed(0)} s (${iterations} iterations, ${folds} time ` +
      `blocks, out-of-fold log-loss ${logLoss.toFixed(4)}), α ${config.distillWeight}`,
  );
  return { data: { ...data, train: { ...data.train, teacher: teacher.probabilities } }, config };
}

/**
 * Trains each member of `model` that `hooks.start` does not report finished, in turn or in workers per
 * `parallel`, after fitting the distillation teacher when one is needed; the result combines every member's.
 */
export async function trainMembers(
  model: tf.LayersModel,
  dataset: Dataset,
  scaling: Scaling,
  config: TrainConfig,
  hooks: TrainHooks & MemberHooks = {},
  parallel?: ParallelOptions,
): Promise<MembersResult> {
  const members = memberViews(model);
  const starts = members.map((_, i) => hooks.start?.(i + 1));
  const toTrain = members.map((_, i) => i + 1).filter((k) => {
    const start = starts[k - 1];
    return !(start && "finished" in start);
  });
  const perMember: (TrainResult | undefined)[] = starts.map((s) =>
    s && "finished" in s ? s.finished : undefined
  );
  const taught = toTrain.length > 0
    ? await withTeacher(dataset, config, hooks.log, hooks.signal, hooks.teacherFitting)
    : null;
  if (!taught) return membersResult(perMember, hooks.signal?.aborted ?? false);
  const { data, config: trainConfig } = taught;
  const memberConfig = (k: number): TrainConfig => {
    const start = starts[k - 1];
    return start && "config" in start
      ? { ...start.config, distillWeight: trainConfig.distillWeight }
      : memberTrainConfig(trainConfig, k);
  };
  // Per-batch and per-epoch model hooks run in this thread, so a caller that sets them trains here.
  const inProcess = hooks.afterBatch !== undefined || hooks.afterEpoch !== undefined;
  const schedule = memberSchedule(toTrain, parallel && inProcess ? { ...parallel, workers: 1 } : parallel);
  if (parallel && toTrain.length > 0) hooks.log?.(`cores: ${describeSchedule(schedule, members.length)}`);
  let alone = schedule.alone;
  if (schedule.together.length > 0) {
    const results = await trainMembersInWorkers(
      members,
      schedule.together,
      data,
      scaling,
      memberConfig,
      hooks,
      parallel!,
    );
    results.forEach((r, k) => (perMember[k] = r ?? perMember[k]));
    const stopped = hooks.signal?.aborted || results.some((r) => r?.stopReason === "interrupted");
    if (stopped) alone = [];
  }
  const dataParallel = schedule.dataParallel;
  for (const k of alone) {
    const tag = members.length > 1 ? `member ${k}/${members.length}: ` : "";
    const result = await trainModel(members[k - 1].model, data, scaling, memberConfig(k), {
      ...hooks,
      log: hooks.log && ((line) => hooks.log!(tag + line)),
      afterEpoch: async (record, view) => {
        await hooks.afterEpoch?.(record, view);
        await hooks.afterMemberEpoch?.(k, record, () => layerWeights(view));
      },
    }, { dataParallel });
    perMember[k - 1] = result;
    await hooks.afterMember?.(k, result);
    if (result.stopReason === "interrupted") break;
  }
  return membersResult(perMember, hooks.signal?.aborted ?? false);
}

/**
 * The whole model's result from its members' (in member order; undefined: never trained). Also how a resumed
 * run puts together members trained by different processes.
 */
export function membersResult(
  perMember: readonly (TrainResult | undefined)[],
  aborted: boolean,
): MembersResult {
  const members = perMember.length;
  const ran = perMember.filter((r): r is TrainResult => r !== undefined);
  const trainedResults = ran.filter((r) => r.bestEpoch !== null);
  const history: EpochRecord[] = perMember.flatMap((r, i) =>
    (r?.history ?? []).map((e) => (members > 1 ? { ...e, member: i + 1 } : e))
  );
  const interrupted = aborted || ran.length < members || ran.some((r) => r.stopReason === "interrupted");
  const last = ran[ran.length - 1];
  return {
    history,
    bestEpoch: trainedResults.length > 0 ? trainedResults[trainedResults.length - 1].bestEpoch : null,
    stopReason: interrupted ? "interrupted" : last?.stopReason ?? "interrupted",
    trainedMembers: trainedResults.length,
    members,
    perMember: ran,
  };
}
