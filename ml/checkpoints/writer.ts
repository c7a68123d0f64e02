/**
 * Writes one complete version: everything goes into a hidden temporary folder first and is renamed to
 * `v{N}_{date}` only once every file (and its sha256 in the manifest) is on disk, so a crash or Ctrl-C never
 * leaves a half-written version, and `current` is not touched here at all.
 */
import { join } from "node:path";
import { z } from "zod";
import {
  describeOwner,
  LockBusyError,
  lockFile,
  lockTempFolder,
  readRegularTextFile,
  refuseDanglingFolderLink,
  writeFileAtomic,
} from "../../base/index.ts";
import type { Preprocessor } from "../../engine/index.ts";
import { type Manifest, sha256Hex } from "./manifest.ts";
import { CheckpointStoreError } from "./errors.ts";
import { nextVersionName } from "./store.ts";

/** Produces model.onnx's bytes for the version being written (the ONNX exporter, `ml/onnx`). */
export type OnnxExport = (version: string) => Uint8Array | Promise<Uint8Array>;

/**
 * Writes the model's own files (model.json, weights.bin) into the folder given (`saveModel` of `ml/models`).
 * Passed in, like the ONNX exporter, so that this store, which `models`, `monitor` and `retrain` read, does
 * not load a tensor library to list or promote versions.
 */
export type ModelWriter = (dir: string) => Promise<void>;

export interface VersionContents {
  readonly writeModel: ModelWriter;
  readonly preprocessor: Preprocessor;
  readonly history: unknown;
  readonly metrics: unknown;
  /** The manifest without what the writer fills in (version, creation time, file hashes). */
  readonly manifest: Omit<Manifest, "version" | "created_at" | "files">;
  readonly exportOnnx?: OnnxExport;
  /**
   * Further files written into the version (hashed in the manifest), e.g. report.html; given the version name
   * and the manifest's contents (data span, hyperparameters, backend) so a report can state them.
   */
  readonly extraFiles?: (
    version: string,
    manifest: VersionContents["manifest"],
  ) => Readonly<Record<string, string | Uint8Array>>;
  /** Creation time (default: now); the folder's date is its UTC day. */
  readonly createdAt?: Date;
  /**
   * Keep the version's folder locked after it is named, until `WrittenVersion.release`: `retrain --keep`'s
   * prune spares a locked folder (as it spares one a serve holds), so a train's new version is not deleted
   * between its save and its promote (a hand train saving while a retrain pruned lost its version, and was then
   * told to promote it).
   */
  readonly keepLocked?: boolean;
}

export interface WrittenVersion {
  readonly version: string;
  readonly dir: string;
  /** Set when the ONNX export failed: the version is complete except model.onnx. */
  readonly onnxError?: Error;
  /** Lets go of the folder's lock (`VersionContents.keepLocked`; a no-op otherwise, and the second time). */
  readonly release: () => void;
}

const json = (value: unknown) => JSON.stringify(value, null, 2) + "\n";

/** How many times a version takes the next free name when another writer took the one it chose. */
const NAME_ATTEMPTS = 5;

/**
 * Writes `contents` as the store's next version, v{N} dated by `createdAt` (UTC), and returns its name and
 * folder. A failed ONNX export still gives a complete version, without model.onnx, and comes back as
 * `onnxError`; any other failure leaves nothing behind. `current` is not touched.
 */
export async function writeVersion(root: string, contents: VersionContents): Promise<WrittenVersion> {
  const createdAt = contents.createdAt ?? new Date();
  const date = createdAt.toISOString().slice(0, 10);
  let version = await nextVersionName(root, date);
  const tmp = join(root, `.${version}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  // Held until the folder is renamed into place: another train's clean-up of dead writers' folders (a run in
  // another container, whose pids this one's differ from) sees the lock and leaves this one alone.
  const held = await lockedTempFolder(tmp);
  let kept = false;
  try {
    await contents.writeModel(tmp);
    const modelFiles = await fileNames(tmp);
    await writeFileAtomic(join(tmp, "preprocessor.json"), json(contents.preprocessor));
    await writeFileAtomic(join(tmp, "history.json"), json(contents.history));
    await writeFileAtomic(join(tmp, "metrics.json"), json(contents.metrics));
    const required = [...modelFiles, "preprocessor.json", "history.json", "metrics.json"];
    // The files that name the version are written for the name it gets: another writer into the same store
    // (two trains finishing together) may take the name chosen first, and this version then takes the next
    // one rather than being thrown away with its training.
    for (let attempt = 1;; attempt++) {
      const onnxError = await writeNamedFiles(tmp, version, contents, createdAt);
      await requireFiles(tmp, required);
      const dir = join(root, version);
      if (!(await exists(dir)) && await renameUnlessTaken(tmp, dir)) {
        // The lock is on the folder itself, so it holds under the folder's new name.
        kept = contents.keepLocked === true;
        let open = kept;
        const release = () => {
          if (open) held.close();
          open = false;
        };
        return { version, dir, onnxError, release };
      }
      if (attempt === NAME_ATTEMPTS) {
        throw new CheckpointStoreError(
          `${dir} was taken by another writer ${NAME_ATTEMPTS} times while this version was being written`,
          "run train again when the other runs writing into this folder have finished",
        );
      }
      const next = await nextVersionName(root, date);
      if (next === version) {
        throw new CheckpointStoreError(
          `${dir} is in the way: it is not a version folder, so the version cannot take its name`,
          `move ${dir} away, then run train again`,
        );
      }
      version = next;
    }
  } catch (error) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw error;
  } finally {
    if (!kept) held.close();
  }
}

/**
 * Makes the temporary folder `tmp` and locks it. Between the two, a clean-up in another PID namespace could
 * take it for a dead writer's and remove it: made again then (the lock is what it checks), a few times.
 */
async function lockedTempFolder(tmp: string): Promise<{ close(): void }> {
  // A store reached through a link to a folder not there (its disk unmounted, even mid-training): said as the
  // link it is (exit 2), not as mkdir's EEXIST on the link, "unexpected failure … a bug".
  await refuseDanglingFolderLink(tmp);
  for (let attempt = 1;; attempt++) {
    await Deno.mkdir(tmp, { recursive: true });
    const held = await lockTempFolder(tmp);
    const still = await Deno.stat(tmp).then(() => true, () => false);
    if (still || attempt === 3) return held;
    held.close();
  }
}

/**
 * Refuses to name a version whose folder lost files it was given: the manifest hashes whatever is there, so a
 * folder emptied under its writer (removed by another process as a dead writer's) was listed "files ok" with
 * no preprocessor.json, and no model could be loaded from it.
 */
async function requireFiles(tmp: string, names: readonly string[]): Promise<void> {
  const present = new Set(await fileNames(tmp));
  const lost = names.filter((name) => !present.has(name));
  if (lost.length === 0) return;
  throw new CheckpointStoreError(
    `${tmp} lost ${lost.join(", ")} while the version was being written (removed by another process?); ` +
      "no version was saved",
    "run train again, one run per checkpoints folder at a time, or each with its own --checkpoints",
  );
}

/** The extra files, model.onnx and manifest.json of `version` (replacing those of a name given up on). */
async function writeNamedFiles(
  tmp: string,
  version: string,
  contents: VersionContents,
  createdAt: Date,
): Promise<Error | undefined> {
  await Deno.remove(join(tmp, "model.onnx")).catch(() => {});
  await Deno.remove(join(tmp, "manifest.json")).catch(() => {});
  for (const [name, data] of Object.entries(contents.extraFiles?.(version, contents.manifest) ?? {})) {
    await writeFileAtomic(join(tmp, name), data);
  }
  let onnxError: Error | undefined;
  // The single call site of the ONNX exporter for trained versions.
  if (contents.exportOnnx) {
    try {
      await writeFileAtomic(join(tmp, "model.onnx"), await contents.exportOnnx(version));
    } catch (error) {
      onnxError = error instanceof Error ? error : new Error(String(error));
    }
  }
  const files: Record<string, string> = {};
  for (const name of [...(await fileNames(tmp))].sort()) {
    files[name] = await sha256Hex(await Deno.readFile(join(tmp, name)));
  }
  const manifest: Manifest = { version, created_at: createdAt.toISOString(), ...contents.manifest, files };
  await writeFileAtomic(join(tmp, "manifest.json"), json(manifest));
  return onnxError;
}

/**
 * Renames the finished folder to `dir`; false when another writer's folder got there first (a rename over a
 * folder that is not empty fails, so theirs is never replaced).
 */
async function renameUnlessTaken(tmp: string, dir: string): Promise<boolean> {
  try {
    await Deno.rename(tmp, dir);
    return true;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (error instanceof Deno.errors.AlreadyExists || code === "ENOTEMPTY" || code === "EEXIST") return false;
    throw error;
  }
}

async function fileNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.push(entry.name);
  return names;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Records `name`'s sha256 in version `dir`'s manifest.json after the file was written there afterwards (the
 * model.onnx `export` writes into a version saved without one), so the hash is checked wherever the version is
 * used, as for the files written with it.
 */
export async function recordFileHash(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const hash = await sha256Hex(bytes);
  await updateManifest(dir, HashedManifest, (m) => ({ ...m, files: { ...m.files, [name]: hash } }), {
    what: `${name}'s hash`,
    hint: "the version is damaged; export from another one ('candlecast models list') or retrain",
  });
}

/**
 * Records in version `dir`'s manifest the CSV its candles came from, when `train` read a copy of it: `retrain`
 * trains on a temporary copy that ends before its held-out days (removed when the run ends), and the manifest
 * would otherwise name that vanished copy. `heldOutFrom` is where the copy stopped: the candles of `path` from
 * then on were not trained on.
 */
export async function recordDataSource(dir: string, path: string, heldOutFrom: number): Promise<void> {
  const held_out_from = new Date(heldOutFrom).toISOString();
  // The copy's sha256 is not `path`'s: dropped rather than left to be checked against the wrong file.
  const source = (m: z.infer<typeof SourcedManifest>) => ({
    ...m,
    data: { ...m.data, path, held_out_from, sha256: undefined },
  });
  await updateManifest(dir, SourcedManifest, source, {
    what: "the data source",
    hint: "the version is damaged; run retrain again",
  });
}

/**
 * Rewrites version `dir`'s manifest.json whole, atomically, as `edit` returns it: read as JSON and checked with
 * `schema` (what the edit needs; every other key is kept as it is). A missing or unreadable manifest is a
 * CheckpointStoreError saying `what` could not be recorded, with `hint`. The read and the write hold
 * the version's `.manifest.lock` (edits take milliseconds; `files` names the version's files, and serve's
 * watcher leaves hidden ones out): an export
 * recording model.onnx's hash and a retrain recording the data source at once could each write the manifest
 * it read, losing the other's edit (a lost hash then reads as a changed file, and the version is refused).
 */
async function updateManifest<T>(
  dir: string,
  schema: z.ZodType<T>,
  edit: (manifest: T) => unknown,
  { what, hint }: { readonly what: string; readonly hint: string },
): Promise<void> {
  const lockPath = join(dir, ".manifest.lock");
  // The folder is never made for the lock: a version that retrain --keep removed meanwhile came back holding
  // the lock alone, and was listed as a version.
  const lock = await lockFile(lockPath, `record ${what} in ${dir}`, {
    waitMs: MANIFEST_LOCK_WAIT_MS,
    makeFolder: false,
  })
    .catch((error) => {
      throw new CheckpointStoreError(
        `cannot record ${what} in ${join(dir, "manifest.json")}: ${
          error instanceof Deno.errors.NotFound
            ? "no such version"
            : error instanceof LockBusyError
            ? `${describeOwner(error.owner)} held ${lockPath} for ${Math.round(error.waitedMs / 1000)} s`
            : `cannot take ${lockPath} (${(error as Error).message})`
        }`,
        hint,
      );
    });
  try {
    await editManifest(dir, schema, edit, { what, hint });
  } finally {
    lock.release();
  }
}

/** A manifest edit waits this long for another (they take milliseconds), then fails saying who holds it. */
const MANIFEST_LOCK_WAIT_MS = 30_000;

async function editManifest<T>(
  dir: string,
  schema: z.ZodType<T>,
  edit: (manifest: T) => unknown,
  { what, hint }: { readonly what: string; readonly hint: string },
): Promise<void> {
  const path = join(dir, "manifest.json");
  let manifest: T;
  try {
    manifest = schema.parse(JSON.parse(await readRegularTextFile(path)));
  } catch (error) {
    throw new CheckpointStoreError(
      `cannot record ${what} in ${path}: ${
        error instanceof z.ZodError ? "not a manifest" : (error as Error).message
      }`,
      hint,
    );
  }
  await writeFileAtomic(path, json(edit(manifest)));
}

/** What recordDataSource needs of a manifest: its data description; every other key is kept as it is. */
const SourcedManifest = z.object({ data: z.object({}).loose() }).loose();

/** What recordFileHash needs of a manifest: its file hashes; every other key is kept as it is. */
const HashedManifest = z.object({ files: z.record(z.string(), z.string()).optional() }).loose();
