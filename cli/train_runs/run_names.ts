/**
 * Which training runs a checkpoints folder holds, read without loading any of training's code: the run folders'
 * names (`.train_<start>_<id>`, `folder/run_folder.ts`) and whether each one's process still holds its lock.
 * `models list` reads this (it must stay light); `folder/run_folder.ts` builds on it.
 */
import { join } from "node:path";
import { z } from "zod";
import { isLockHeld, plural, readRegularTextFile } from "../../base/index.ts";

const RUN_NAME = /^\.train_(\d{8}T\d{6})_([0-9a-f]{8})$/;
/** Added to a run folder's name while `RunFolder.create` sets it up: no reader takes such a folder for a run. */
export const STAGING_SUFFIX = ".starting";
/** The names of run folders being set up, or left half-made by a train killed then. */
export const STAGING_NAME = new RegExp(`${RUN_NAME.source.slice(0, -1)}\\${STAGING_SUFFIX}$`);

/**
 * The names of the run folders (`.train_<start>_<id>`) in `root`, live or not; none when it does not exist.
 * `pattern` picks other folders of runs (`folder/run_folder.ts`: those a killed setup left).
 */
export async function runFolderNames(root: string, pattern = RUN_NAME): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(root)) {
      if (entry.isDirectory && pattern.test(entry.name)) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return names;
}

/**
 * Whether the run folder `dir` belongs to a process that is still training (it holds the folder's lock). Asked
 * without writing into the folder: `models list` reads a store it may not write, and a killed run's lock note
 * stays as its run left it.
 */
export async function isLiveRun(dir: string): Promise<boolean> {
  return await isLockHeld(join(dir, ".lock"));
}

/** The run folders in `root` whose process is still training (`isLiveRun`); one this user may not ask is left out. */
export async function liveRuns(root: string): Promise<string[]> {
  const live: string[] = [];
  for (const name of await runFolderNames(root)) {
    if (await isLiveRun(join(root, name)).catch(() => false)) live.push(join(root, name));
  }
  return live;
}

/**
 * The part of run.json (`folder/run_folder.ts`'s `RunStateSchema`) a reader outside training needs: the run's
 * --data.
 */
const RunDataSchema = z.object({ flags: z.object({ data: z.string().optional() }).loose() }).loose();

/**
 * The `--data` the run in `dir` was started with (its run.json), or null when run.json is missing, unreadable
 * or does not say: `retrain` tells its own train step's runs from others' by it.
 */
export async function runData(dir: string): Promise<string | null> {
  try {
    const parsed = RunDataSchema.safeParse(JSON.parse(await readRegularTextFile(join(dir, "run.json"))));
    return parsed.success ? parsed.data.flags.data ?? null : null;
  } catch {
    return null;
  }
}

/**
 * A --data inside some retrain run's subfolder of the store's `.retrain-data/` (`../retrain/store.ts`'s
 * `RETRAIN_DATA`, which retrain's cleanup tells its leftovers by in the same way): the temporary copy retrain's
 * train step trains on. Said here, not imported from retrain, which builds on this folder.
 */
const RETRAIN_COPY = /[\\/]\.retrain-data[\\/][^\\/]+[\\/][^\\/]+$/;

/**
 * Whether a run with this `--data` (its run.json's, `runData`) is one retrain's train step started: its data is
 * retrain's temporary copy, which the next retrain removes with the run, so `train --resume` leaves it to retrain.
 */
export const isRetrainCopy = (data: unknown): boolean => typeof data === "string" && RETRAIN_COPY.test(data);

/**
 * The end of train's hint when a full disk (or the like) stopped a run and its epochs were kept for `--resume`.
 * Worded here once, so that `retrain`, which removes that run folder (its data was retrain's temporary copy),
 * can take the clause back out of the hint it passes on (`withoutKeptRunClause`).
 */
export function keptRunClause(
  epochs: number | readonly number[],
  dir: string,
  checkpointsFlag: string,
): string {
  // Each member's own count, as keptRunLine says them: their sum ("the 5 epochs trained") read as a run five
  // epochs in, where two members were at 3 and 2 (a disaster trial).
  const each = typeof epochs === "number" ? [epochs] : epochs.filter((n, i) => n > 0 || i === 0);
  const what = each.length === 1
    ? `the ${plural(each[0], "epoch")} trained ${each[0] === 1 ? "is" : "are"}`
    : `what its members trained (${each.slice(0, -1).join(", ")} and ${each.at(-1)} epochs) is`;
  return `; ${what} kept in ${dir}: 'candlecast train --resume${checkpointsFlag}' finishes the run`;
}

/** `hint` without `keptRunClause`'s words: retrain's error said the run was kept and, after it, removed. */
export function withoutKeptRunClause(hint: string): string {
  return hint.replace(
    /; (the \d+ epochs? trained (is|are)|what its members trained \([\d, and]+ epochs\) is) kept in .*: 'candlecast train --resume[^']*' finishes the run/s,
    "",
  );
}
