/**
 * What retrain reads from and removes in the checkpoint folder: current's manifest, the versions and run
 * folders its own train step left (not those of a `train` run by hand meanwhile), the oldest versions beyond
 * `--keep`; a current that cannot be used refused before any work.
 */
import { join } from "node:path";
import { rm } from "node:fs/promises";
import { refuseDanglingFolderLink, shellWord } from "../../base/index.ts";
import {
  CheckpointStoreError,
  listVersionNames,
  type PruneResult,
  pruneVersions,
  readManifest,
} from "../../ml/checkpoints/index.ts";
import { CheckpointError, verifyListedFiles } from "../../engine/index.ts";
import { CommandError } from "../errors.ts";
import { isLiveRun, isRetrainCopy, runData, runFolderNames } from "../train_runs/index.ts";

/**
 * current's manifest (what weekly fine-tunes and both modes compare with): a current whose version is gone or
 * damaged stops the run before anything is collected or trained, saying what to promote instead.
 */
export async function currentManifest(root: string, current: string) {
  try {
    const manifest = await readManifest(join(root, current));
    // Every file its manifest lists, hashed now: a current with model.onnx gone was found only after hours of
    // monthly training (while scoring it), and a weekly run reported "nothing to fine-tune" over it, exit 0.
    await verifyListedFiles(join(root, current), manifest.files);
    return manifest;
  } catch (error) {
    if (!(error instanceof CheckpointStoreError || error instanceof CheckpointError)) throw error;
    throw new CommandError(
      `current points at ${current}, which cannot be used (${error.message}); nothing was trained and ` +
        "current is unchanged",
      `promote an intact version ('candlecast models list --checkpoints ${shellWord(root)}' shows them) ` +
        `with 'candlecast models promote VERSION --checkpoints ${shellWord(root)}', then run retrain again`,
    );
  }
}

/**
 * The versions new since `before` that were trained on `data` (this run's temporary copy, recorded in their
 * manifest): a `train` run by hand into the same folder meanwhile writes versions too, and one of them must not
 * be scored and promoted as this run's candidate.
 */
export async function versionsTrainedOn(
  root: string,
  before: ReadonlySet<string>,
  data: string,
): Promise<string[]> {
  const own: string[] = [];
  for (const version of await listVersionNames(root)) {
    if (before.has(version)) continue;
    const manifest = await readManifest(join(root, version)).catch(() => null);
    if (manifest?.data.path === data) own.push(version);
  }
  return own;
}

/**
 * The run folders new since `before` that this run's train step left: trained on `data` (its run.json says so)
 * and no longer locked. A `train` run by hand into the same folder meanwhile has its own, live or kept for its
 * `--resume`: those are not this run's to remove.
 */
export async function ownRunFolders(
  root: string,
  before: ReadonlySet<string>,
  data: string,
): Promise<string[]> {
  const own: string[] = [];
  for (const name of await runFolderNames(root)) {
    if (before.has(name)) continue;
    if (await isLiveRun(join(root, name)).catch(() => true)) continue; // a live train's
    // A listed run folder has its run.json from the start (`RunFolder.create`); one unreadable is nobody's to
    // go by, so it is left to `train`'s own pruning of abandoned runs.
    if (await runData(join(root, name)) === data) own.push(name);
  }
  return own;
}

/**
 * The folder under the store where each run keeps its training CSV copy (the data before the held-out days), in
 * a subfolder of its own. In the store, not the system's temp folder, so that the next run, holding the same
 * lock, can remove what a run that quit at once (a second Ctrl-C, kill -9) left: its copy, and its train
 * step's run folder, told from a user's run by that copy as its `--data` (`isRetrainCopy`: `train --resume`
 * passes such a run over, and a `train`'s start removes it). A subfolder per run keeps the data path a
 * version's train step records unique to its run: `versionsTrainedOn` and `ownRunFolders` go by it while the
 * run lasts (the run then records `--data` itself in its candidate's manifest: `recordDataSource`).
 */
export const RETRAIN_DATA = ".retrain-data";

/**
 * The subfolder of `RETRAIN_DATA` a run's `--data` is in (its copy's run), however the store's path was spelled
 * then, `/` or `\` between its names (a store written on Windows); null for a path that is not such a copy.
 * Told by `isRetrainCopy`, the one definition (`train --resume` passes over the runs it picks out): this
 * module's own pattern took `/` alone, so a leftover whose run.json recorded a Windows path stayed for good.
 */
function copyRun(data: string | null): string | null {
  return data !== null && isRetrainCopy(data) ? data.split(/[\\/]/).at(-2) ?? null : null;
}

/** A fresh subfolder of `RETRAIN_DATA` for this run's copy. */
export async function retrainDataDir(root: string): Promise<string> {
  // The store (checked at the start) reached through a link whose disk went away since: said as such (exit 2),
  // not as mkdir's EEXIST on the link.
  await refuseDanglingFolderLink(join(root, RETRAIN_DATA, "run-"));
  await Deno.mkdir(join(root, RETRAIN_DATA), { recursive: true });
  return await Deno.makeTempDir({ dir: join(root, RETRAIN_DATA), prefix: "run-" });
}

/**
 * Removes what earlier runs that quit at once left (see `RETRAIN_DATA`): every copy no live training reads
 * (one still read is left alone, with its run: a train step in the half second it takes to notice its retrain
 * was killed (`../exit_with_parent.ts`), or a `train` given the copy as `--data` by hand; `train --resume` no
 * longer continues a leftover, it passes retrain's runs over), and the unlocked run folders that trained on a
 * copy now gone. Returns the run folders removed.
 */
export async function clearLeftovers(root: string): Promise<string[]> {
  const runs: { name: string; live: boolean; copy: string | null }[] = [];
  for (const name of await runFolderNames(root)) {
    const live = await isLiveRun(join(root, name)).catch(() => true);
    const trainedOn = await runData(join(root, name));
    runs.push({ name, live, copy: copyRun(trainedOn) });
  }
  const inUse = new Set(runs.filter((r) => r.live && r.copy !== null).map((r) => r.copy));
  const data = join(root, RETRAIN_DATA);
  try {
    for await (const entry of Deno.readDir(data)) {
      if (!inUse.has(entry.name)) await rm(join(data, entry.name), { recursive: true, force: true });
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const removed: string[] = [];
  for (const run of runs) {
    if (run.live || run.copy === null || inUse.has(run.copy)) continue;
    await rm(join(root, run.name), { recursive: true, force: true });
    removed.push(run.name);
  }
  return removed;
}

/**
 * Removes the oldest versions beyond `keep`, never `current`, the version a rollback would return to, one a
 * running serve serves (`inUse`), nor those in `spare` (the candidate the summary says to promote by hand); a
 * folder that cannot be deleted is a warning, not a failed run.
 */
export function prune(root: string, keep: number, spare: readonly string[] = []): Promise<PruneResult> {
  return pruneVersions(root, keep, "retrain --keep", spare);
}
