/**
 * Trains an ensemble's members on several cores: a pool of `member_worker.ts` workers, each training one member
 * at a time from the member's topology and current weights, its trained weights written back into the
 * ensemble by layer name. Members are independent (own seed, shuffles, masks, early stopping), so the result
 * equals training them one after another on the same backend — only sooner. The member hooks (saving each
 * epoch and each finished member) run here in the main thread, one at a time in arrival order, while the
 * workers go on; every one of them has finished before this returns.
 */
import type * as tf from "@tensorflow/tfjs";
import type { BackendName } from "../runtime/index.ts";
import type { Dataset, Scaling } from "../data/index.ts";
import type { Member } from "../models/index.ts";
import type { TrainConfig } from "./config.ts";
import type { TrainHooks, TrainResult } from "./loop.ts";
import type { BatchProgress } from "../../base/index.ts";
import type { MemberHooks } from "./member_hooks.ts";
import { type FromWorker, layerWeights, setLayerWeights, type ToWorker } from "./member_protocol.ts";
import { ReportedError } from "../../base/index.ts";

export interface ParallelOptions {
  /** Workers to start (each costs one model's memory and one core while it trains). */
  readonly workers: number;
  /** The backend every worker starts; the main thread's own. */
  readonly backend: BackendName;
  /**
   * The parts a member training alone cuts each batch into, each on its own core (`TrainExecution.dataParallel`;
   * default 1): a single model, and with more than 1 the member left over when the members do not divide among
   * the workers, which then trains after the others instead of beside idle cores.
   */
  readonly dataParallel?: number;
}

/**
 * Trains `toTrain` (1-based member numbers) of `members` (views of one ensemble) in workers; results by
 * member index, undefined for members not trained (not in `toTrain`, or skipped after an interrupt).
 */
export async function trainMembersInWorkers(
  members: readonly Member[],
  toTrain: readonly number[],
  data: Dataset,
  scaling: Scaling,
  memberConfig: (k: number) => TrainConfig,
  hooks: TrainHooks & MemberHooks,
  options: ParallelOptions,
): Promise<(TrainResult | undefined)[]> {
  const results: (TrainResult | undefined)[] = new Array(members.length);
  const count = Math.max(1, Math.min(options.workers, toTrain.length));
  const workers = Array.from(
    { length: count },
    () => new Worker(new URL("./member_worker.ts", import.meta.url), { type: "module" }),
  );
  const stopAll = () => workers.forEach((w) => w.postMessage({ type: "stop" } satisfies ToWorker));
  hooks.signal?.addEventListener("abort", stopAll, { once: true });
  const reportEpochs = hooks.afterMemberEpoch !== undefined;
  // The hooks' work (saving), chained so it runs in arrival order; a failure stops everything.
  let saving: Promise<unknown> = Promise.resolve();
  const progress = membersProgress(members.length, hooks.progress);
  let next = 0;
  let stopped = false;
  try {
    await Promise.all(workers.map((worker) =>
      new Promise<void>((resolve, reject) => {
        const send = (m: ToWorker) => worker.postMessage(m);
        const later = (work: () => unknown) => {
          saving = saving.then(work);
          saving.catch((error) => {
            stopped = true;
            stopAll();
            reject(error);
          });
        };
        const startNext = () => {
          if (stopped || hooks.signal?.aborted || next >= toTrain.length) return resolve();
          const k = toTrain[next++];
          const view: tf.LayersModel = members[k - 1].model;
          send({
            type: "train",
            member: k,
            topology: view.toJSON(null, false) as unknown as tf.io.ModelJSON["modelTopology"],
            weights: layerWeights(view),
            data,
            scaling,
            config: memberConfig(k),
            reportEpochs,
          });
        };
        worker.onmessage = (event: MessageEvent<FromWorker>) => {
          const m = event.data;
          if (m.type === "ready") startNext();
          else if (m.type === "progress") progress.update(m);
          else if (m.type === "log") {
            progress.clear();
            hooks.log?.(`member ${m.member}/${members.length}: ${m.line}`);
          } else if (m.type === "epoch") {
            later(() => hooks.afterMemberEpoch?.(m.member, m.record, () => m.weights));
          } else if (m.type === "error") {
            // Written for the user in the worker (a loss gone NaN, a backend that cannot start): still so here.
            reject(
              m.exitCode === undefined
                ? new Error(m.message)
                : new ReportedError(m.message, m.hint, m.exitCode),
            );
          } else if (m.type === "done") {
            progress.finished(m.member);
            setLayerWeights(members[m.member - 1].model, m.weights);
            results[m.member - 1] = m.result;
            if (m.result.stopReason === "interrupted") stopped = true;
            later(() => hooks.afterMember?.(m.member, m.result));
            startNext();
          }
        };
        worker.onerror = (event) => {
          event.preventDefault();
          reject(new Error(`a training worker failed: ${event.message}`));
        };
        send({ type: "init", backend: options.backend });
      })
    ));
    await saving;
  } finally {
    progress.clear();
    hooks.signal?.removeEventListener("abort", stopAll);
    workers.forEach((w) => w.terminate());
  }
  return results;
}

type MemberProgress = Omit<Extract<FromWorker, { type: "progress" }>, "type">;

/**
 * One progress bar for the members training side by side: their batches done this epoch summed, labelled with
 * each member's epoch, and each one's loss and speed after it ("member 1: loss 1.0712  812.3 samples/s").
 *
 * @example
 * ```ts
 * const bar = membersProgress(3, terminalProgress());
 * bar.update({ member: 1, done: 40, total: 120, label: "epoch 2/6", text: "loss 1.0712" });
 * ```
 */
export function membersProgress(count: number, sink: BatchProgress | undefined) {
  const latest = new Map<number, MemberProgress>();
  return {
    update(m: MemberProgress): void {
      if (!sink) return;
      latest.set(m.member, m);
      const all = [...latest.values()].sort((a, b) => a.member - b.member);
      const sum = (f: (p: MemberProgress) => number) => all.reduce((n, p) => n + f(p), 0);
      sink.update(
        sum((p) => p.done),
        sum((p) => p.total),
        all.map((p) => `member ${p.member}/${count} ${p.label}`).join(", "),
        all.map((p) => `member ${p.member}: ${p.text}`).join("; "),
      );
    },
    /** A member that finished is no longer counted. */
    finished(member: number): void {
      latest.delete(member);
    },
    clear(): void {
      sink?.clear();
    },
  };
}
