/**
 * A training run's own folder, `checkpoints/.train_<start>_<id>/`, written while it trains: the best weights
 * so far (model.json + weights.bin, each written atomically, after every epoch that improved) and `run.json`
 * (the flags, epochs done, the best epoch and its score, the history). A run that ends — saved, interrupted
 * and saved, or failed — removes it; one that is killed (kill -9, power loss) leaves it for `train --resume`.
 * The running process holds a kernel lock on `.lock` inside, so a folder whose lock is free is abandoned.
 */
import { join } from "node:path";
import { z } from "zod";
import { type HeldLock, tryLockFile, writeFileAtomic } from "../../features/index.ts";
import { type LayersModel, loadModel, MODEL_JSON, saveModel } from "../../ml/runtime/index.ts";
import type { EpochRecord } from "../../ml/train/index.ts";

const RUN_NAME = /^\.train_(\d{8}T\d{6})_([0-9a-f]{8})$/;
const STATE = "run.json";

/** run.json: parsed at the edge like every file candlecast reads back. */
const RunStateSchema = z.object({
  /** The raw train flags of the run (re-parsed by train's own schema on resume). */
  flags: z.record(z.string(), z.unknown()),
  /** The version an --incremental run fine-tunes. */
  parent: z.string().nullable(),
  epochsDone: z.number().int().nonnegative(),
  /** Over the whole run, resumed parts included (1-based); null before the first epoch. */
  bestEpoch: z.number().int().positive().nullable(),
  bestScore: z.number().nullable(),
  history: z.array(z.record(z.string(), z.unknown())),
  startedAt: z.string(),
});
export type RunState = z.infer<typeof RunStateSchema>;

export class RunFolder {
  private constructor(readonly dir: string, private state: RunState, private readonly lock: HeldLock) {}

  get current(): RunState {
    return this.state;
  }

  /** Starts the folder of a new run. */
  static async create(
    root: string,
    flags: Record<string, unknown>,
    parent: string | null,
  ): Promise<RunFolder> {
    const started = new Date();
    const stamp = started.toISOString().slice(0, 19).replace(/[-:]/g, "");
    const dir = join(root, `.train_${stamp}_${crypto.randomUUID().slice(0, 8)}`);
    await Deno.mkdir(dir, { recursive: true });
    const lock = (await tryLockFile(join(dir, ".lock"), "train"))!;
    const run = new RunFolder(dir, {
      flags,
      parent,
      epochsDone: 0,
      bestEpoch: null,
      bestScore: null,
      history: [],
      startedAt: started.toISOString(),
    }, lock);
    await run.writeState();
    return run;
  }

  /** Takes over an abandoned run's folder (its lock must be free). */
  static async adopt(dir: string, state: RunState): Promise<RunFolder> {
    const lock = await tryLockFile(join(dir, ".lock"), "train --resume");
    if (!lock) throw new Error(`${dir} is in use by a running train`);
    return new RunFolder(dir, state, lock);
  }

  /**
   * After every epoch: the epoch is counted, and if it beat the run's best score (the loop's own rule:
   * lower by more than `minDelta`) its weights become the saved best. `offset` numbers a resumed run's epochs
   * after the ones done before. Weights are written before run.json, so run.json never names weights that
   * are not on disk.
   */
  async afterEpoch(
    record: EpochRecord,
    model: LayersModel,
    minDelta: number,
    offset: number,
  ): Promise<void> {
    const epoch = record.epoch + offset;
    const score = record.val_calibrated_log_loss;
    const improved = this.state.bestScore === null || score < this.state.bestScore - minDelta;
    if (improved) await saveModel(model, this.dir);
    this.state = {
      ...this.state,
      epochsDone: epoch,
      bestEpoch: improved ? epoch : this.state.bestEpoch,
      bestScore: improved ? score : this.state.bestScore,
      history: [...this.state.history, { ...record, epoch }],
    };
    await this.writeState();
  }

  /** The saved best weights copied into `model` (same architecture). */
  async restoreBest(model: LayersModel): Promise<void> {
    const saved = await loadModel(this.dir);
    try {
      model.setWeights(saved.getWeights());
    } finally {
      saved.dispose();
    }
  }

  /** The run ended (a version was written, or it failed): nothing to resume. */
  async remove(): Promise<void> {
    this.lock.release();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  private async writeState(): Promise<void> {
    await writeFileAtomic(join(this.dir, STATE), JSON.stringify(this.state, null, 2) + "\n");
  }
}

export interface Abandoned {
  readonly dir: string;
  /** Null when run.json is unreadable or no epoch finished: nothing to resume from. */
  readonly state: RunState | null;
}

/** Run folders in `root` whose process is gone (their lock is free), newest first. */
export async function abandonedRuns(root: string): Promise<Abandoned[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(root)) {
      if (entry.isDirectory && RUN_NAME.test(entry.name)) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const runs: Abandoned[] = [];
  for (const name of names.sort().reverse()) {
    const dir = join(root, name);
    const probe = await tryLockFile(join(dir, ".lock"), "probe");
    if (!probe) continue; // a live run
    probe.release();
    runs.push({ dir, state: await readState(dir) });
  }
  return runs;
}

async function readState(dir: string): Promise<RunState | null> {
  try {
    const state = RunStateSchema.parse(JSON.parse(await Deno.readTextFile(join(dir, STATE))));
    if (state.epochsDone === 0 || state.bestEpoch === null) return null;
    await Deno.stat(join(dir, MODEL_JSON));
    return state;
  } catch {
    return null;
  }
}

/**
 * Abandoned run folders to delete at the start of a run: all but the newest resumable one (kept so that
 * `train --resume` can still continue it). Returns the names removed and the one kept.
 */
export async function pruneAbandonedRuns(
  root: string,
): Promise<{ removed: string[]; kept: Abandoned | null }> {
  const runs = await abandonedRuns(root);
  const kept = runs.find((r) => r.state !== null) ?? null;
  const removed: string[] = [];
  for (const run of runs) {
    if (run === kept) continue;
    await Deno.remove(run.dir, { recursive: true }).catch(() => {});
    removed.push(run.dir);
  }
  return { removed, kept };
}
