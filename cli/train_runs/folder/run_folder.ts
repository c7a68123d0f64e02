/**
 * A training run's own folder, `checkpoints/.train_<start>_<id>/`, written while it trains: for every member
 * of the model (a plain model is one member) its best weights so far (`member_<k>.weights`, one file written
 * atomically after every epoch that improved it) and, in `run.json`, its epochs done, best epoch and score,
 * history, and how it ended (null while it trains) — plus the run's flags. A member's file and its entry are
 * saved as soon as it finishes, so `train --resume` skips finished members and continues an interrupted one.
 * A run that saves a complete version, or fails, removes the folder; one that is interrupted (Ctrl-C,
 * SIGTERM) keeps it beside its unpromoted version, and one that is killed (kill -9, power loss) leaves it.
 * The running process holds a kernel lock on `.lock` inside, so a folder whose lock is free is abandoned.
 */
import { dirname, join } from "node:path";
import { z } from "zod";
import {
  type HeldLock,
  plural,
  readRegularFile,
  readRegularTextFile,
  refuseDanglingFolderLink,
  shellWord,
  tryLockFile,
  writeFileAtomic,
} from "../../../base/index.ts";
import type { LayersModel } from "../../../ml/runtime/index.ts";
import { listVersionNames } from "../../../ml/checkpoints/index.ts";
import {
  type EpochRecord,
  EpochRecordSchema,
  improves,
  type LayerWeights,
  setLayerWeights,
  type TrainResult,
} from "../../../ml/train/index.ts";
import { decodeWeights, encodeWeights, WeightsFileError } from "./weights_file.ts";
import { isVersionName, readVersionJson } from "../../../engine/index.ts";
import { CommandError, UsageError } from "../../errors.ts";
import { checkpointsFlag, parseFlags } from "../../flags.ts";
import {
  isLiveRun,
  isRetrainCopy,
  runData,
  runFolderNames,
  STAGING_NAME,
  STAGING_SUFFIX,
} from "../run_names.ts";
const STATE = "run.json";
/** How old an unlocked folder being set up must be to count as left by a train killed then (it takes ms). */
const STAGING_LEFTOVER_MS = 10 * 60_000;
const weightsFile = (k: number) => `member_${k}.weights`;

const MemberStateSchema = z.object({
  /** Over the member's whole training, resumed parts included. */
  epochsDone: z.number().int().nonnegative(),
  /** 1-based, over the whole training; null before the member's first epoch. */
  bestEpoch: z.number().int().positive().nullable(),
  bestScore: z.number().nullable(),
  history: z.array(EpochRecordSchema),
  /** How the member's training ended: null while it trains (or when killed); "interrupted" is resumed too. */
  stopReason: z.enum(["epochs", "early_stopping", "interrupted"]).nullable(),
});
export type MemberState = z.infer<typeof MemberStateSchema>;

const stateText = (state: RunState) => JSON.stringify(state, null, 2) + "\n";

/** run.json: parsed at the edge like every file candlecast reads back. */
const RunStateSchema = z.object({
  /** The raw train flags of the run (re-parsed by train's own schema on resume). */
  flags: z.record(z.string(), z.unknown()),
  /**
   * The version an --incremental run fine-tunes: a version name, as `train --resume` reads it under
   * --checkpoints (a tampered "../../x" had it read and fine-tune a model from outside the store).
   */
  parent: z.string().refine(isVersionName, "a version name like v3_2026-11-24 is expected").nullable(),
  /**
   * The version `current` pointed at when the run started (null: none), recorded by a run that promotes: its
   * version replaces that one only, so a promote or rollback made by hand meanwhile, before a `--resume` too,
   * stays. Absent in runs started with --no-promote or by an older candlecast (a resume then reads it anew).
   */
  current: z.string().refine(isVersionName, "a version name like v3_2026-11-24 is expected").nullable()
    .optional(),
  /** One entry per member, in member order. */
  members: z.array(MemberStateSchema).min(1),
  startedAt: z.string(),
  /**
   * sha256 of the --data file the run started on: its split, scaler and finished members come from those
   * candles, so a resumed run refuses a file changed since (runs saved before this was recorded: unchecked).
   */
  dataSha256: z.string().optional(),
  /**
   * The run's 70/15/15 split cuts every symbol at the same dates (candlecast since 2026-12-03); absent in runs
   * started by an older candlecast, which cut each symbol at its own: their members learnt from another split.
   */
  splitAtCommonDates: z.literal(true).optional(),
});
export type RunState = z.infer<typeof RunStateSchema>;

/**
 * Whether this candlecast refuses to resume the run (`requireSameSplitRule`): one an older candlecast started on
 * the default 70/15/15 split, which it cut at each symbol's own dates. `--split-dates` is never inherited (not
 * even by a fine-tune), so the run's own flags say whether it split by dates instead.
 */
export const splitOutdated = (state: RunState): boolean =>
  state.splitAtCommonDates !== true && state.flags.splitDates === undefined;

/** What to do with a stopped run this candlecast cannot resume (see `splitOutdated`). */
export const OUTDATED_RUN =
  "it was started by an older candlecast, whose per-symbol split 'train --resume' " +
  "cannot continue: delete the folder, or finish the run with the candlecast that started it";

/** A member that stopped on its own (all epochs, or early stopping): a resumed run does not train it again. */
export const isFinished = (m: MemberState) => m.stopReason === "epochs" || m.stopReason === "early_stopping";

/**
 * The epochs member m ran whole. An epoch Ctrl-C cut short is validated and counted in `epochsDone` (its weights
 * may be the member's best, which the interrupted version keeps), but it did not run whole: a resume runs it
 * again in full, from the member's best weights, and its record is replaced by the whole one's.
 */
export const wholeEpochs = (m: MemberState) => m.epochsDone - (m.history.at(-1)?.partial ? 1 : 0);

/** Epochs done over all members. */
export const epochsDone = (state: RunState) => state.members.reduce((n, m) => n + m.epochsDone, 0);

export class RunFolder {
  /**
   * Whole epochs each member had done when this process took the run over: its epochs are numbered after them,
   * so an epoch cut short is numbered, and recorded, again.
   */
  private readonly offsets: readonly number[];
  /** Saves run one after another, in the order they were asked for (workers report while others save). */
  private pending: Promise<unknown> = Promise.resolve();

  private constructor(readonly dir: string, private state: RunState, private readonly lock: HeldLock) {
    this.offsets = state.members.map(wholeEpochs);
  }

  get current(): RunState {
    return this.state;
  }

  /** Starts the folder of a new run of a model with `members` members. */
  static async create(
    root: string,
    flags: Record<string, unknown>,
    parent: string | null,
    members: number,
    dataSha256?: string,
    /** `current` at the run's start, for a run that promotes (`RunState.current`). */
    current?: string | null,
  ): Promise<RunFolder> {
    const started = new Date();
    const stamp = started.toISOString().slice(0, 19).replace(/[-:]/g, "");
    const dir = join(root, `.train_${stamp}_${crypto.randomUUID().slice(0, 8)}`);
    const fresh: MemberState = {
      epochsDone: 0,
      bestEpoch: null,
      bestScore: null,
      history: [],
      stopReason: null,
    };
    const state: RunState = {
      flags,
      parent,
      ...(current !== undefined ? { current } : {}),
      members: Array.from({ length: members }, () => fresh),
      startedAt: started.toISOString(),
      dataSha256,
      splitAtCommonDates: true,
    };
    // Made under a name no reader lists (`run_names.ts`), locked and given its run.json, then renamed into
    // place: a listed run folder is never one whose lock is not taken yet, which retrain's cleanup (it removes
    // the unlocked run folders its own train step left) could take for its own. The lock is on the open file,
    // so it holds across the rename. One a kill -9 left here is removed by `pruneAbandonedRuns`.
    const staging = `${dir}${STAGING_SUFFIX}`;
    // --checkpoints (or a folder above it) a link to a folder not there, a models disk not mounted: refused as
    // collect and evaluate refuse it (exit 2), not as mkdir's EEXIST on the link, "unexpected failure".
    await refuseDanglingFolderLink(staging);
    await Deno.mkdir(staging, { recursive: true });
    let lock: HeldLock | null = null;
    try {
      lock = (await tryLockFile(join(staging, ".lock"), "train"))!;
      await writeFileAtomic(join(staging, STATE), stateText(state));
      await Deno.rename(staging, dir);
    } catch (error) {
      lock?.release();
      await Deno.remove(staging, { recursive: true }).catch(() => {});
      throw error;
    }
    return new RunFolder(dir, state, lock);
  }

  /**
   * Takes over an abandoned run's folder (its lock must be free). `current`: where `current` points as the
   * resume starts, recorded for a run that promotes when its run.json has none (an older candlecast's), so a
   * later resume compares with the same version.
   */
  static async adopt(dir: string, state: RunState, current?: string | null): Promise<RunFolder> {
    const lock = await tryLockFile(join(dir, ".lock"), "train --resume");
    // Another `train --resume` took it between the choice of the newest abandoned run and here.
    if (!lock) {
      throw new CommandError(
        `${dir} is being continued by another 'train --resume'`,
        "let that one finish (it trains the same run); 'candlecast models list" +
          checkpointsFlag(dirname(dir)) +
          "' shows its version when it is done",
      );
    }
    try {
      // Checked again here, after the data loaded, for a caller that did not check before (`resumableState`).
      await requireIntact(dir, state);
    } catch (error) {
      lock.release();
      throw error;
    }
    return new RunFolder(
      dir,
      current !== undefined && state.current === undefined ? { ...state, current } : state,
      lock,
    );
  }

  /**
   * After every epoch of member k (1-based): the epoch is counted, and if it beat the member's best score
   * (the loop's own rule, `improves`) its weights become the member's saved best. The
   * weights file is written before run.json, so run.json never names weights that are not on disk.
   */
  afterEpoch(k: number, record: EpochRecord, weights: () => LayerWeights, minDelta: number): Promise<void> {
    // Decided in turn, after the saves before it; `weights` stay valid until the returned promise settles
    // (in-process training awaits it; a worker's weights are a copy).
    return this.serially(async () => {
      const epoch = record.epoch + this.offsets[k - 1];
      const m = this.state.members[k - 1];
      const score = record.val_calibrated_log_loss;
      const improved = improves(score, m.bestScore ?? undefined, minDelta);
      if (improved) await writeFileAtomic(join(this.dir, weightsFile(k)), encodeWeights(weights()));
      // The member is the entry's place in `members`; records keep the shape of a single model's.
      const { member: _member, ...rest } = record;
      const entry: EpochRecord = { ...rest, epoch };
      this.setMember(k, {
        ...m,
        epochsDone: epoch,
        bestEpoch: improved ? epoch : m.bestEpoch,
        bestScore: improved ? score : m.bestScore,
        // The whole run of an epoch cut short before the resume replaces its partial record. Its best, if the
        // cut one was and this one does not beat it, stays the cut one's weights (this run started from them).
        history: [...m.history.filter((e) => e.epoch < epoch), entry],
      });
      await this.writeState();
    });
  }

  /** Member k stopped: how is recorded (its best weights are on disk from its best epoch). */
  memberEnded(k: number, result: TrainResult): Promise<void> {
    return this.serially(async () => {
      this.setMember(k, { ...this.state.members[k - 1], stopReason: result.stopReason });
      await this.writeState();
    });
  }

  /**
   * Every saved member's best weights copied into `model` (same architecture), by layer name. Weights that do
   * not fit it (a layer renamed or reshaped in the file's header, or a model its flags now build otherwise) are
   * the run's damage, said as such: they were tfjs's "No such layer: x_lstm1", reported as a bug.
   */
  async restore(model: LayersModel): Promise<void> {
    await this.pending;
    for (const [i, m] of this.state.members.entries()) {
      if (m.bestEpoch === null) continue;
      const weights = await readWeights(this.dir, i + 1);
      try {
        setLayerWeights(model, weights);
      } catch (error) {
        throw damagedRun(
          this.dir,
          `its ${weightsFile(i + 1)} does not fit the model its flags build (${
            error instanceof Error ? error.message : String(error)
          }): the file was changed, or this candlecast builds that model otherwise`,
          // Said, since train's failure path then removes the folder as it removes any failed run's (a review:
          // a run an older candlecast could have finished goes with it).
          "start a new run without --resume: this one cannot be continued, and its folder is removed now",
        );
      }
    }
  }

  /** Each member's result over the whole run, resumed parts included; undefined for one never trained. */
  results(): (TrainResult | undefined)[] {
    return this.state.members.map((m) =>
      m.epochsDone === 0 && m.stopReason === null ? undefined : {
        history: m.history,
        bestEpoch: m.bestEpoch,
        stopReason: m.stopReason ?? "interrupted",
      }
    );
  }

  /** The run stopped early but may be continued: the folder stays for `train --resume`. */
  async keep(): Promise<void> {
    await this.pending.catch(() => {});
    this.lock.release();
  }

  /** The run ended (a version was written, or it failed): nothing to resume. */
  async remove(): Promise<void> {
    await this.pending.catch(() => {});
    this.lock.release();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  private setMember(k: number, m: MemberState): void {
    const members = [...this.state.members];
    members[k - 1] = m;
    this.state = { ...this.state, members };
  }

  private serially(work: () => Promise<void>): Promise<void> {
    const run = this.pending.then(work);
    this.pending = run.catch(() => {});
    return run;
  }

  private async writeState(): Promise<void> {
    await writeFileAtomic(join(this.dir, STATE), stateText(this.state));
  }
}

/** "3 epochs done", or "3 epochs done, epoch 4 cut short (it runs again in full)". */
function done(m: MemberState): string {
  const whole = wholeEpochs(m);
  if (whole === m.epochsDone) return `${plural(whole, "epoch")} done`;
  return `${
    whole > 0 ? `${plural(whole, "epoch")} done, ` : ""
  }epoch ${m.epochsDone} cut short (it runs again in full)`;
}

/**
 * After a resumed run trained: the epochs cut short before it that have now run whole, in words ("epoch 4, cut
 * short before the resume, ran again in full"), and where that run did not beat the best it started from,
 * that those weights stay (else "same temperature, a new version" of a resume looked like nothing was trained);
 * null when there were none.
 */
export function rerunLine(before: RunState, after: RunState): string | null {
  const n = before.members.length;
  const rerun = before.members.flatMap((m, i) => {
    if (isFinished(m) || wholeEpochs(m) === m.epochsDone) return [];
    const now = after.members[i];
    const whole = now.history.find((e) => e.epoch === m.epochsDone && !e.partial);
    if (!whole) return [];
    const which = `${n > 1 ? `member ${i + 1}/${n}'s ` : ""}epoch ${m.epochsDone}`;
    // The best is kept, not replaced, unless an epoch of this run beat it (the loop's `improves`).
    if (m.bestScore === null || now.bestScore !== m.bestScore) return [`${which} ran again in full`];
    const best = m.bestEpoch === m.epochsDone ? "its cut-short run" : `epoch ${m.bestEpoch}`;
    return [
      `${which} ran again in full (val_calibrated_log_loss ${
        whole.val_calibrated_log_loss.toFixed(4)
      }) without beating ` +
      `${best} (${m.bestScore.toFixed(4)}), whose weights stay`,
    ];
  });
  if (rerun.length === 0) return null;
  return `cut short before the resume: ${rerun.join("; ")}`;
}

/** What a resumed run starts from, in words: "2 epochs done, best epoch 2" or per member. */
export function describeRun(state: RunState): string {
  const one = (m: MemberState) =>
    isFinished(m) ? `finished after ${plural(m.epochsDone, "epoch")}` : m.epochsDone === 0
      ? "not started"
      // Ctrl-C's partial epoch is counted in epochsDone: "4 epochs done" for 3 and a few batches overstated it,
      // and a resume runs it again in full.
      : `${done(m)}, best epoch ${m.bestEpoch}`;
  if (state.members.length === 1) return one(state.members[0]);
  return state.members.map((m, i) => `member ${i + 1}/${state.members.length} ${one(m)}`).join("; ");
}

/** run.json's `startedAt` as "2026-12-06 18:58 UTC" (as written when it is not a date). */
function startedWhen(startedAt: string): string {
  const ms = Date.parse(startedAt);
  return Number.isNaN(ms) ? startedAt : `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The flags that say what a run trains, shown by name; the others are counted ("and 9 more flags"). */
const SHOWN_FLAGS = ["incremental", "configFrom", "model", "epochs", "members", "promote"];
/** Where and how a run trains, not what: never shown. */
const WHERE_FLAGS = new Set(["data", "checkpoints", "backend", "workers", "resume"]);

/** A run's flags in short: "--epochs 6 --members 1 and 10 more flags" ("no flags beyond --data"). */
function flagsInShort(flags: Record<string, unknown>): string {
  const shown: string[] = [];
  for (const key of SHOWN_FLAGS) {
    const value = flags[key];
    if (key === "promote") {
      if (value === false) shown.push("--no-promote");
    } else if (value === true) shown.push(`--${kebab(key)}`);
    else if (typeof value === "string" || typeof value === "number") {
      shown.push(`--${kebab(key)} ${shellWord(String(value))}`);
    }
  }
  const more =
    Object.keys(flags).filter((k) =>
      !SHOWN_FLAGS.includes(k) && !WHERE_FLAGS.has(k) && flags[k] !== undefined
    ).length;
  if (more > 0) {
    shown.push(`${shown.length > 0 ? "and " : ""}${plural(more, shown.length > 0 ? "more flag" : "flag")}`);
  }
  return shown.length > 0 ? shown.join(" ") : "no flags beyond --data";
}

/**
 * Who started a run, when and on what, in short, for the user to know what `--resume` continues (it said the
 * folder's name alone, and continued a run retrain's train step had started as if it were the user's):
 * "'candlecast train' started it 2026-12-06 18:58 UTC on data.csv with --epochs 6 and 10 more flags", or
 * "retrain's train step started it … on retrain's temporary copy of its data".
 */
export function runOrigin(state: RunState): string {
  const when = startedWhen(state.startedAt);
  const tune = state.parent !== null ? `, fine-tuning ${state.parent}` : "";
  if (isRetrainCopy(state.flags.data)) {
    return `retrain's train step started it ${when} on retrain's temporary copy of its data${tune}`;
  }
  const data = typeof state.flags.data === "string" ? shellWord(state.flags.data) : "its data";
  return `'candlecast train' started it ${when} on ${data} with ${flagsInShort(state.flags)}${tune}`;
}

/**
 * A stopped run retrain's train step started (`isRetrainCopy`): left when retrain was stopped at once or
 * killed, since retrain removes its train step's run however the step ended.
 */
export interface RetrainRun {
  /** What it trained, as `Abandoned.state` would say it; null when nothing (or run.json is damaged). */
  readonly state: RunState | null;
  /** Why its files cannot be read back, as `Abandoned.damaged` says it. */
  readonly damaged?: string;
  /**
   * Whether an older stopped run that 'candlecast train' started is there for `--resume` to take (one that
   * finished an epoch, or a damaged one it refuses by name) instead of saying that only retrain's is left.
   */
  readonly handRunBehind: boolean;
}

export interface Abandoned {
  readonly dir: string;
  /** Null when run.json is unreadable, no epoch finished, or the run is retrain's: nothing to resume from. */
  readonly state: RunState | null;
  /**
   * Why the run cannot be resumed when its files are damaged (run.json not JSON or not a run's, a member's
   * weights file gone) or its run.json is an older candlecast's, in words after "the stopped run in DIR cannot
   * be resumed: "; absent otherwise.
   * `resumableState` says it: `--resume` answered "no interrupted training run to resume", naming nothing.
   */
  readonly damaged?: string;
  /**
   * The version this run saved, when it was stopped after saving it (its folder goes only once the version is
   * promoted): said by `--resume` and `models list`, which otherwise left no trace of the promotion it was
   * about to make. For a run of retrain's (`retrain` set too) it is a candidate retrain saved and was killed
   * before it compared it with current: said as such, never as a version to promote.
   */
  readonly savedAs?: string;
  /**
   * Set for a run retrain's train step started (`state` and `damaged` are then here, not above): `train
   * --resume` passes it over, and a new run's start removes it. Resumed by hand it was continued as the user's
   * (named by its folder alone) on retrain's temporary copy of the data, an unjudged candidate whose run and
   * data the next retrain removes (`clearLeftovers` in ../../retrain/store.ts), however the hand resume ended:
   * retrain never continues such a run, its train step starts a fresh candidate each time.
   */
  readonly retrain?: RetrainRun;
}

/**
 * Run folders in `root` whose process is gone (their lock is free), newest first. One whose version was saved
 * (a version's manifest names it in `training.run`: killed after the save, before its folder went) has
 * nothing to resume: resumed, it was saved again as a second copy of that version, and promoted.
 */
export async function abandonedRuns(root: string): Promise<Abandoned[]> {
  const names = await runFolderNames(root);
  const runs: Abandoned[] = [];
  let saved: Map<string, string> | undefined;
  for (const name of names.sort().reverse()) {
    const dir = join(root, name);
    if (await isLiveRun(dir)) continue;
    const read = await readState(dir);
    saved ??= read.state === null ? undefined : await savedRuns(root);
    const savedAs = saved?.get(name);
    // Told retrain's before its saved version is looked at: a run of retrain's that saved its candidate was
    // taken for the user's, and `models list` said "'candlecast models promote vN' serves it" of a candidate
    // retrain never judged. A damaged run.json may still say its --data (runData reads it leniently).
    if (isRetrainCopy(read.state?.flags.data ?? await runData(dir))) {
      // A saved one has nothing left to train: nothing in it for `--resume` to pass over or refuse.
      const retrain = savedAs === undefined
        ? { ...read, handRunBehind: false }
        : { state: null, handRunBehind: false };
      runs.push({ dir, state: null, retrain, ...(savedAs === undefined ? {} : { savedAs }) });
    } else if (savedAs !== undefined) runs.push({ dir, state: null, savedAs });
    else runs.push({ dir, ...read });
  }
  // Oldest first: whether a run started by hand is older than each of retrain's.
  let handRun = false;
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i];
    if (run.retrain) runs[i] = { ...run, retrain: { ...run.retrain, handRunBehind: handRun } };
    else if (run.state !== null || run.damaged !== undefined) handRun = true;
  }
  return runs;
}

/**
 * What a version's manifest.json says of the run it was saved from. Not ml/checkpoints' `readManifest`, which
 * asks for every field `train` writes: a version that names its run counts whatever else it lacks.
 */
const SavedRunSchema = z.object({
  training: z.object({ run: z.string(), stop_reason: z.string().optional() }).loose(),
}).loose();

/**
 * The run folders the versions in `root` were saved from (their manifests' `training.run`), each with its
 * version. A version saved by a Ctrl-C leaves its run resumable: candlecast between 2bf2d25 and 2231e3b named
 * the run in such versions too, and that run was then refused by `--resume` while `models list` offered it.
 */
async function savedRuns(root: string): Promise<Map<string, string>> {
  const runs = new Map<string, string>();
  for (const version of await listVersionNames(root)) {
    try {
      const parsed = SavedRunSchema.safeParse(
        await readVersionJson(join(root, version, "manifest.json"), "manifest.json"),
      );
      if (parsed.success && parsed.data.training.stop_reason !== "interrupted") {
        runs.set(parsed.data.training.run, version);
      }
    } catch {
      // unreadable: it names no run
    }
  }
  return runs;
}

/**
 * The run's state, null when there is nothing to resume: no run.json (an older candlecast wrote it after the
 * first epoch), no epoch finished, or files that are damaged (`damaged` says how). Its weights files are only
 * looked for here (`models list` reads this too); `requireIntact` reads them.
 */
async function readState(dir: string): Promise<{ state: RunState | null; damaged?: string }> {
  let text: string;
  try {
    text = await readRegularTextFile(join(dir, STATE));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { state: null };
    return { state: null, damaged: `its ${STATE} cannot be read (${messageOf(error)})` };
  }
  const json = parseJson(text);
  const parsed = RunStateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // The first candlecast that kept run folders (2ede00f) wrote one model's state, with no members: a run of
    // its is no damaged file.
    if (json !== null && typeof json === "object" && !("members" in json) && "epochsDone" in json) {
      return {
        state: null,
        damaged: `its ${STATE} was written by an older candlecast, which this one cannot continue`,
      };
    }
    const why = text.trim() === ""
      ? "it is empty"
      : json === NOT_JSON
      ? "it is not JSON: cut short or overwritten"
      : `${issue.path.join(".") || "(root)"}: ${issue.message}`;
    return { state: null, damaged: `its ${STATE} is damaged (${why})` };
  }
  const state = parsed.data;
  if (state.members.every((m) => m.bestEpoch === null)) return { state: null };
  for (const [i, m] of state.members.entries()) {
    if (m.bestEpoch === null) continue;
    const problem = await Deno.stat(join(dir, weightsFile(i + 1))).then(
      () => null,
      (error) =>
        error instanceof Deno.errors.NotFound ? "is missing" : `cannot be read (${messageOf(error)})`,
    );
    if (problem !== null) {
      // Written before run.json names its epoch (afterEpoch): gone since, by hand or with a bad copy.
      return {
        state: null,
        damaged: `its ${weightsFile(i + 1)}, member ${i + 1}'s best weights, ${problem}`,
      };
    }
  }
  return { state };
}

const NOT_JSON = Symbol("not JSON");
const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
};
const messageOf = (error: unknown) => error instanceof Error ? error.message : String(error);

/** A run `train --resume` refuses because its files are damaged: the run, and what is wrong, naming the file. */
export class DamagedRunError extends CommandError {
  constructor(readonly dir: string, readonly problem: string, override readonly hint: string) {
    super(`the stopped run in ${dir} cannot be resumed: ${problem}`, hint);
  }
}

/**
 * What `train --resume` says of a stopped run it cannot continue because its files are damaged (`problem`: what
 * is wrong, naming the file), with what to do. One wording for all of them, as `OUTDATED_RUN` and the refusal
 * of a run's own flags say a run that cannot be resumed.
 */
function damagedRun(dir: string, problem: string, hint: string): DamagedRunError {
  return new DamagedRunError(dir, problem, hint);
}

/**
 * A damaged run whose run.json still reads as a run's: a new run's start keeps it (it is the newest run that
 * finished an epoch) and `models list` names it, so the hint says how to drop it.
 */
const keptHint = (dir: string) =>
  `start a new run without --resume; 'rm -r ${shellWord(dir)}' drops this one, which train and models list ` +
  "otherwise keep naming";

/**
 * A run `train --resume` refuses because its run.json records a flag value this candlecast does not take (one
 * an older candlecast read leniently: `--epochs 1e3`, `--seed ""`): a usage error (exit 2), as it has been, but
 * one typing cannot fix, since --resume takes no such flag; `problem` and `hint` as `DamagedRunError`'s, for
 * `models list` and a new run's start to say it as they say a damaged file.
 */
export class RunFlagsError extends UsageError {
  readonly problem: string;
  constructor(readonly dir: string, reason: string, override readonly hint: string) {
    super(
      `--resume: the run in ${dir} was started with a value this candlecast does not take (${reason})`,
      hint,
    );
    this.problem = `it was started with a value this candlecast does not take (${reason})`;
  }
}

/** The run's flags `train --resume` takes typed over the run's own that say how it trains, not what. */
const TYPED_OVER_RUN = new Set(["backend", "workers"]);

/** `RunFlagsError` for the flag `failed` (kebab-case; undefined when parseFlags named none) and its reason. */
function runFlagsError(dir: string, reason: string, failed: string | undefined): RunFlagsError {
  // --backend and --workers may be typed with --resume, over the run's own: the one fix typing makes.
  const typedOver = failed !== undefined && TYPED_OVER_RUN.has(failed)
    ? `'candlecast train --resume --${failed} …' replaces the run's own value; or `
    : "";
  return new RunFlagsError(
    dir,
    reason,
    `${typedOver}start a new run with a value 'candlecast train --help' allows (remove ${
      shellWord(dir)
    } to drop this one, which train and models list otherwise keep naming), or finish it with the ` +
      "candlecast version that started it",
  );
}

/** What `train --resume` refuses a run for, where `models list` and a new run's start name it instead. */
export type RefusedRun = DamagedRunError | RunFlagsError;

/**
 * A stopped run's flags as `train --resume` runs it: its run.json's, where it now trains (`checkpoints`), and
 * the flags typed with --resume (`typed`, by their option names) over them, parsed by train's own schema
 * (`schema`: `TrainFlagsSchema`, handed in, since train's folder builds on this one). The one check of them,
 * for `--resume` and for what offers it (`resumeChoice`, for `models list`; a new run's start): `models list`
 * offered `--resume` for a run `--resume` then refused over its recorded `--epochs 1e3`.
 * A value the run recorded that this candlecast refuses is a `RunFlagsError`; one typed now is the user's to
 * fix as any flag is, `parseFlags`' own UsageError (a review found it blamed on the run).
 */
export function resumedFlags<T extends z.ZodType>(
  dir: string,
  flags: Record<string, unknown>,
  schema: T,
  typed: readonly string[] = [],
): z.infer<T> {
  try {
    return parseFlags("train", schema, flags);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const failed = /^--([a-z0-9-]+):/.exec(error.message)?.[1];
    if (failed !== undefined && typed.some((k) => kebab(k) === failed)) throw error;
    throw runFlagsError(dir, error.message, failed);
  }
}

/**
 * The state `train --resume` continues from `run`, or null when it has nothing to resume (see `Abandoned`).
 * Throws a CommandError (exit 1) naming the damaged file when its run.json or a member's weights file is
 * damaged: said before the data loads, where the weights were read after it and failed as "unexpected failure
 * … member_1.weights is not a member weights file … this is a bug". Then its flags (`resumedFlags`, by train's
 * `schema`, `typed`: the flags typed with --resume): a value it recorded that this candlecast refuses is a
 * `RunFlagsError` (exit 2).
 */
export async function resumableState(
  run: Abandoned,
  schema: z.ZodType,
  typed: Readonly<Record<string, unknown>> = {},
): Promise<RunState | null> {
  if (run.retrain) {
    const { state, damaged, handRunBehind } = run.retrain;
    // Passed over for an older run of the user's (which `train --resume` then says: `passedOverLine`), or
    // nothing in it to resume.
    if (handRunBehind || (state === null && damaged === undefined)) return null;
    throw new CommandError(
      `the stopped run in ${run.dir} is retrain's, which 'train --resume' leaves to retrain, and no run ` +
        `started by 'candlecast train' is there to resume: ${retrainRunWords(run.retrain)}`,
      "the next 'candlecast retrain' removes it and trains a new candidate; or start a new run without --resume " +
        "(its start removes it too)",
    );
  }
  if (run.damaged !== undefined) {
    throw damagedRun(
      run.dir,
      run.damaged,
      `start a new run without --resume (its start removes this folder), or 'rm -r ${shellWord(run.dir)}'`,
    );
  }
  if (run.state === null) return null;
  await requireIntact(run.dir, run.state);
  resumedFlags(
    run.dir,
    { ...run.state.flags, checkpoints: dirname(run.dir), ...typed },
    schema,
    Object.keys(typed),
  );
  return run.state;
}

/** A retrain's run in words: "retrain's train step started it … (5 epochs done, best epoch 3)". */
function retrainRunWords({ state, damaged }: RetrainRun): string {
  if (state === null) return `retrain's train step started it, and ${damaged ?? "it finished no epoch"}`;
  return `${runOrigin(state)} (${describeRun(state)})`;
}

/**
 * What `train --resume` says of a newer run of retrain's it passed over to continue an older one (it continued
 * retrain's, named by its folder alone).
 */
export function passedOverLine(run: Abandoned & { readonly retrain: RetrainRun }): string {
  return `passed over the newer stopped run in ${run.dir}, retrain's, which 'train --resume' does not ` +
    `continue (the next train or retrain to start removes it): ${retrainRunWords(run.retrain)}`;
}

/**
 * What to do with a version a run of retrain's saved (`Abandoned.savedAs` with `retrain`): retrain was killed
 * between its train step's save and its judgement, so nothing compared the candidate with current, and no
 * later retrain does (each trains and judges its own candidate; its `--keep` removes versions that never
 * served first). `models list` and `train --resume` said "'candlecast models promote vN' serves it", as of a
 * run of the user's whose promotion was cut off: a candidate retrain might have turned down, served blind.
 */
export function unjudgedCandidateHint(root: string, version: string): string {
  const evaluate = `'candlecast evaluate --checkpoint ${shellWord(join(root, version))}'`;
  const promote = `'candlecast models promote ${version}${checkpointsFlag(root)}'`;
  return `${evaluate} scores it, and only then, if you judge it fit to serve, ${promote} serves it`;
}

/** Which stopped run `train --resume` takes, and what it passes over or refuses on the way (`resumeChoice`). */
export interface ResumeChoice {
  /** The run it continues; null when none. */
  readonly run: (Abandoned & { readonly state: RunState }) | null;
  /**
   * The newest run whose files are damaged or whose recorded flags this candlecast refuses, where it stops and
   * refuses (then `run` is null).
   */
  readonly refused: RefusedRun | null;
  /** Retrain's runs newer than either (all of them when neither), with something in them, passed over. */
  readonly passedOver: readonly (Abandoned & { readonly retrain: RetrainRun })[];
}

/**
 * What `train --resume` (typed with no other flag) does with `runs` (`abandonedRuns`, newest first), said
 * without starting it: the run it continues (its weights read and checked, its flags parsed by train's
 * `schema`, as `resumableState` does), or the one it refuses, and retrain's runs it passes over. `models list`
 * offers `--resume` by it: it offered it for a run whose weights file was cut short, or whose run.json
 * recorded `--epochs 1e3`, which `--resume` then refused.
 */
export async function resumeChoice(runs: readonly Abandoned[], schema: z.ZodType): Promise<ResumeChoice> {
  const passedOver: (Abandoned & { readonly retrain: RetrainRun })[] = [];
  for (const run of runs) {
    if (run.retrain) {
      const retrain = run.retrain;
      if (retrain.state !== null || retrain.damaged !== undefined) passedOver.push({ ...run, retrain });
      continue;
    }
    try {
      const state = await resumableState(run, schema);
      if (state) return { run: { ...run, state }, refused: null, passedOver };
    } catch (error) {
      if (error instanceof DamagedRunError || error instanceof RunFlagsError) {
        return { run: null, refused: error, passedOver };
      }
      throw error;
    }
  }
  return { run: null, refused: null, passedOver };
}

/**
 * Refuses a run whose run.json contradicts itself or whose members' weights files are not whole: a hand edit,
 * a bad copy, a disk that lost their end. The numbers are checked because a resume trusts them: `epochsDone:
 * 1e9` stopped a 40-epoch run after the 16 it had done, recorded as ended by "epochs"; `history: []` beside 16
 * epochs done recorded 24 epochs run of 40.
 */
async function requireIntact(dir: string, state: RunState): Promise<void> {
  const problem = inconsistency(state);
  if (problem !== null) throw damagedRun(dir, `its ${STATE} is damaged (${problem})`, keptHint(dir));
  for (const [i, m] of state.members.entries()) {
    if (m.bestEpoch !== null) await readWeights(dir, i + 1);
  }
}

/** Member k's saved best weights; a file that is not whole (or not there) is the run's damage, said so. */
async function readWeights(dir: string, k: number): Promise<LayerWeights> {
  const path = join(dir, weightsFile(k));
  try {
    return decodeWeights(await readRegularFile(path), path);
  } catch (error) {
    const why = error instanceof WeightsFileError
      ? `is damaged (${error.why})`
      : error instanceof Deno.errors.NotFound
      ? "is missing"
      : null;
    if (why === null) throw error;
    throw damagedRun(dir, `its ${weightsFile(k)} ${why}`, keptHint(dir));
  }
}

/** The run's --epochs as its flags recorded it (a string as typed, or a number), or null when not given. */
function recordedEpochs(flags: Record<string, unknown>): number | null {
  const raw = flags.epochs;
  const n = typeof raw === "number" ? raw : typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** How run.json's numbers contradict each other, named by their place in it; null when they agree. */
function inconsistency(state: RunState): string | null {
  const epochs = recordedEpochs(state.flags);
  for (const [i, m] of state.members.entries()) {
    const at = `members[${i}]`;
    // Every epoch counted has its record (afterEpoch writes both), a cut one's included.
    if (m.history.length !== m.epochsDone) {
      return `${at}.epochsDone is ${m.epochsDone} but its history records ${
        plural(m.history.length, "epoch")
      }`;
    }
    if (epochs !== null && m.epochsDone > epochs) {
      return `${at}.epochsDone is ${m.epochsDone}, more than the run's ${plural(epochs, "epoch")}`;
    }
    if (m.bestEpoch !== null && m.bestEpoch > m.epochsDone) {
      return `${at}.bestEpoch is ${m.bestEpoch}, after its ${plural(m.epochsDone, "epoch")} done`;
    }
    if ((m.bestEpoch === null) !== (m.bestScore === null)) {
      return `${at} has ${
        m.bestEpoch === null ? "a best score but no best epoch" : "a best epoch but no score"
      }`;
    }
  }
  return null;
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
  for (const dir of await stagingLeftovers(root)) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    removed.push(dir);
  }
  for (const run of runs) {
    if (run === kept) continue;
    await Deno.remove(run.dir, { recursive: true }).catch(() => {});
    removed.push(run.dir);
  }
  return { removed, kept };
}

/**
 * The folders in `root` of runs killed while `RunFolder.create` set them up (between its mkdir and rename):
 * unlocked and older than any setup takes. A younger unlocked one may be another train's between its mkdir and
 * lock, so it is left for a later start.
 */
async function stagingLeftovers(root: string): Promise<string[]> {
  const left: string[] = [];
  for (const name of await runFolderNames(root, STAGING_NAME)) {
    const dir = join(root, name);
    const mtime = await Deno.stat(dir).then((info) => info.mtime, () => null); // renamed into place meanwhile
    if (mtime === null || Date.now() - mtime.getTime() < STAGING_LEFTOVER_MS) continue;
    if (await isLiveRun(dir).catch(() => true)) continue;
    left.push(dir);
  }
  return left;
}
