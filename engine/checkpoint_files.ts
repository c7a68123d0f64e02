/**
 * The part of a checkpoint version the engine reads (SPEC §7): model.onnx, preprocessor.json, and the
 * manifest's version and creation time, plus metrics.json's test metrics when present. Each JSON file is
 * parsed here and nowhere else, at the edge, into typed values: `train --incremental`, `evaluate`, `retrain`
 * and `models` read preprocessor.json and manifest.json through these functions too. Every file served is
 * checked against its sha256 in the manifest.
 */
import { z } from "zod";
import { basename, dirname, join, resolve } from "node:path";
import {
  describeFileProblems,
  type FileProblems,
  fileProblems,
  hasFileProblems,
  type ManifestBase,
  ManifestBaseSchema,
  sha256Hex,
} from "./manifest.ts";
import { readMetricsFile } from "./metrics_file.ts";
import { parsePreprocessor, type Preprocessor } from "./preprocessor.ts";
import { NotRegularFileError, pathKind, readRegularFile, ReportedError, shellWord } from "../base/index.ts";

export interface CheckpointFiles {
  readonly onnx: Uint8Array;
  readonly preprocessor: Preprocessor;
  readonly version: string;
  readonly trainedAt: string;
  readonly metrics?: unknown;
  /** The interval of the candles the version was trained on ("1h"), when recorded. */
  readonly interval: string | null;
  /** How far those candles opened past the interval's UTC grid, in ms (0: on it, as an exchange's). */
  readonly gridOffsetMs: number;
  /** metrics.json's test metrics under the version's decision rule, when recorded. */
  readonly servedMetrics?: { readonly rule: string; readonly metrics: unknown };
}

/** A checkpoint that cannot be served, with what to do about it. */
export class CheckpointError extends ReportedError {
  override name = "CheckpointError";
}

/** What to do about a version file that is missing, unreadable or unparsable (`path`: a file in its folder). */
const incomplete = (path: string) =>
  `the version is incomplete or damaged; use another version ${modelsListChecks(dirname(path))}, or retrain`;

/**
 * The one read of a version's files (manifest.json, model.onnx, preprocessor.json, boosting.json, through
 * `readJson` any other JSON file): a folder, FIFO, socket or device of that name is refused unopened, since
 * opening a FIFO waits for a writer for good (models list, promote, predict and export hung on one).
 */
async function readBytes(path: string, what: string, hint = incomplete(path)): Promise<Uint8Array> {
  try {
    return await readRegularFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new CheckpointError(`${path}: ${what} is missing`, hint);
    if (error instanceof NotRegularFileError) {
      throw new CheckpointError(
        `${path}: ${what} is ${error.kind}, not a file; it was not read`,
        `put the version's own ${basename(path)} back (from a backup), or use another version ` +
          modelsListChecks(dirname(path)),
      );
    }
    throw new CheckpointError(`${path}: cannot read ${what} (${(error as Error).message})`, incomplete(path));
  }
}

/** A version's JSON file, parsed; a missing, unreadable or unparsable one is a CheckpointError saying what to do. */
export async function readJson(path: string, what: string): Promise<unknown> {
  return parseJsonBytes(path, what, await readBytes(path, what));
}

function parseJsonBytes(path: string, what: string, bytes: Uint8Array): unknown {
  const text = new TextDecoder().decode(bytes);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(
      `${path}: ${what} is not valid JSON (${(error as Error).message})`,
      incomplete(path),
    );
  }
}

/** SPEC §7's version folder name, v{N}_{YYYY-MM-DD}. */
const VERSION_NAME = /^v(\d+)_\d{4}-\d{2}-\d{2}$/;

/** True for a version folder's name as SPEC §7 spells it, v{N}_{YYYY-MM-DD}. */
export function isVersionName(name: string): boolean {
  return VERSION_NAME.test(name);
}

/** N of a version name v{N}_{date} (which `isVersionName` accepts). */
export function versionNumber(name: string): number {
  return Number(VERSION_NAME.exec(name)![1]);
}

/**
 * The error for a folder without manifest.json. The usual slip is naming the folder that holds the versions
 * (`--checkpoint checkpoints`): the hint then names its `current`, or its newest version.
 */
async function notAVersion(dir: string): Promise<CheckpointError> {
  const held = await holdsVersionsError(dir);
  if (held !== null) return held;
  const current = await handMadeCurrentError(dir, "a folder", ", and holds no manifest.json");
  if (current !== null) return current;
  // A version's own folder whose manifest is gone (deleted by hand, a copy cut short): the store it is in is
  // the one to list, not the default checkpoints/ (which the bare command listed, or found missing).
  if (isVersionName(basename(await Deno.realPath(dir).catch(() => resolve(dir))))) {
    return new CheckpointError(
      `${dir} is not a complete model version (it has no manifest.json)`,
      `restore it from a backup, or use another version ${modelsListChecks(dir)}`,
    );
  }
  return new CheckpointError(
    `${dir} is not a model version (it has no manifest.json)`,
    "point --checkpoint at a version folder such as checkpoints/current ('candlecast models list' shows them)",
  );
}

/**
 * The error for `dir` when it is a store's `current` put there by hand where promote's symlink goes (`kind`: a
 * folder made with mkdir or a copy cut short, a file), else null. "Point --checkpoint at a version folder such
 * as checkpoints/current" named the very path given: the link is what to restore, as models promote and list
 * say, and the folder or file is the user's, to move away (never replaced).
 */
async function handMadeCurrentError(dir: string, kind: string, more = ""): Promise<CheckpointError | null> {
  if (basename(resolve(dir)) !== "current") return null;
  if (await Deno.lstat(dir).then((info) => info.isSymlink, () => true)) return null;
  const store = resolve(dirname(dir)) === resolve(".") ? "" : ` --checkpoints ${shellWord(dirname(dir))}`;
  return new CheckpointError(
    `${dir} is ${kind}, not a symlink to a version${more}`,
    `move it away; 'candlecast models promote VERSION${store}' then recreates it ` +
      `('candlecast models list${store}' shows the versions)`,
  );
}

/** The error for `dir`, a folder without manifest.json, when it holds versions (or `current`); else null. */
async function holdsVersionsError(dir: string, flag = "--checkpoint"): Promise<CheckpointError | null> {
  let current = false;
  const versions: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name === "current") current = true;
      else if (entry.isDirectory && isVersionName(entry.name)) versions.push(entry.name);
    }
  } catch {
    // Unreadable: say what is wrong without a suggestion.
  }
  if (!current && versions.length === 0) return null;
  const newest = versions.sort((a, b) => versionNumber(a) - versionNumber(b)).at(-1);
  // `current` only while it leads to a folder: a dangling one (its version removed by hand) loads nothing.
  const served = current && pathKind(join(dir, "current")) === "folder";
  const list = `'candlecast models list --checkpoints ${shellWord(dir)}' shows them all`;
  return new CheckpointError(
    `${dir} holds model versions but is not one itself`,
    served || newest
      ? `use ${flag} ${shellWord(join(dir, served ? "current" : newest!))}` +
        (served ? " (the version served)" : " (the newest)") + `; ${list}`
      : list,
  );
}

/**
 * assertCheckpointDir's error when `dir` is the folder that holds the versions (no manifest.json, but
 * `current` or v{N}_… folders in it), else null: nothing there, a file, or a folder that may still become a
 * version. For `serve`, which starts without a model and waits for one, but never gets one at a store folder.
 */
export async function versionStoreError(dir: string, flag = "--checkpoint"): Promise<CheckpointError | null> {
  if (pathKind(dir) !== "folder" || pathKind(join(dir, "manifest.json")) !== null) return null;
  return await holdsVersionsError(dir, flag);
}

/**
 * assertCheckpointDir's error when `path` is a file inside a version folder (`checkpoints/v4_…/model.onnx`,
 * given for the model it holds), naming that folder as the path to give; else null. Before, the hint named
 * checkpoints/current in general, not the version the user had found.
 */
export function fileInVersionError(path: string, flag = "--checkpoint"): CheckpointError | null {
  if (pathKind(path) !== "file") return null;
  const version = dirname(path);
  if (pathKind(join(version, "manifest.json")) !== "file") return null;
  return new CheckpointError(
    `${path} is a file, not a checkpoint folder`,
    `point ${flag} at a version folder, not a file in it: ${flag} ${shellWord(version)}`,
  );
}

/** Fails with a CheckpointError, saying what to do, unless `dir` is a version folder (it has manifest.json). */
export async function assertCheckpointDir(dir: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await Deno.stat(dir)).isDirectory;
  } catch {
    throw new CheckpointError(
      `no model at ${dir}`,
      "train one with 'candlecast train', or point --checkpoint at a version folder",
    );
  }
  if (!isDirectory) {
    throw await handMadeCurrentError(dir, "a file") ?? fileInVersionError(dir) ?? new CheckpointError(
      `${dir} is a file, not a checkpoint folder`,
      "point --checkpoint at a version folder such as checkpoints/current ('candlecast models list' shows them)",
    );
  }
  try {
    await Deno.stat(join(dir, "manifest.json"));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw await notAVersion(dir);
    // Unreadable: reading it says so, naming the file.
  }
}

/**
 * preprocessor.json of version `dir`, parsed and checked against this build's features; throws a
 * CheckpointError when it is missing, unreadable or invalid. Not hashed against the manifest
 * (`readCheckpointFiles` is).
 */
export async function readPreprocessorFile(dir: string): Promise<Preprocessor> {
  const path = join(dir, "preprocessor.json");
  return preprocessorOf(path, await readJson(path, "preprocessor.json"));
}

function preprocessorOf(path: string, json: unknown): Preprocessor {
  try {
    return parsePreprocessor(json, path);
  } catch (error) {
    throw new CheckpointError((error as Error).message, incomplete(path));
  }
}

/**
 * manifest.json checked against `schema`: the engine's own (version, creation time, file hashes) or one that
 * extends it with what the checkpoint writer records (ml/checkpoints' ManifestSchema).
 */
export async function readManifestWith<T extends ManifestBase>(
  dir: string,
  schema: z.ZodType<T>,
): Promise<T> {
  await assertCheckpointDir(dir);
  const path = join(dir, "manifest.json");
  const manifest = schema.safeParse(await readJson(path, "manifest.json"));
  if (!manifest.success) {
    const issue = manifest.error.issues[0];
    throw new CheckpointError(
      `${path}: ${issue.path.join(".") || "(root)"}: ${issue.message}`,
      incomplete(path),
    );
  }
  return manifest.data;
}

export type FileHashes = Readonly<Record<string, string>>;

/** The manifest's version, creation time and file hashes (none in a hand-made folder: nothing to check). */
export async function readManifestInfo(
  dir: string,
): Promise<
  { version: string; createdAt: string; files?: FileHashes; interval: string | null; gridOffsetMs: number }
> {
  const manifest = await readManifestWith(dir, ManifestBaseSchema);
  return {
    version: manifest.version,
    createdAt: manifest.created_at,
    files: manifest.files,
    interval: manifest.interval ?? null,
    gridOffsetMs: manifest.grid_offset_ms ?? 0,
  };
}

/**
 * "('candlecast models list --checkpoints STORE' checks them)" for the store holding version folder `dir`, so a
 * hint works as printed wherever the versions are (without the flag it would list the default folder).
 */
export function modelsListChecks(dir: string): string {
  return `('candlecast models list --checkpoints ${shellWord(dirname(dir))}' checks them)`;
}

/** The error every loader gives for a version whose files are gone or disagree with its manifest. */
export function filesError(dir: string, problems: FileProblems): CheckpointError {
  const listed = describeFileProblems(problems, join(dir, "manifest.json"), (name) => join(dir, name), ": ");
  return new CheckpointError(
    `${listed}; refusing to use it`,
    `restore the version's files from a backup, or use another version ${modelsListChecks(dir)}`,
  );
}

/** The error for files read whole whose bytes disagree with the manifest. */
export function mismatchError(dir: string, bad: readonly string[]): CheckpointError {
  return filesError(dir, { missing: [], changed: bad, notFiles: [] });
}

/** Throws filesError unless `names` (default: every file the manifest lists) are there and hash as recorded. */
export async function verifyCheckpointFiles(dir: string, names?: readonly string[]): Promise<void> {
  await verifyListedFiles(dir, (await readManifestInfo(dir)).files ?? {}, names);
}

/**
 * As verifyCheckpointFiles, against `files` from a manifest the caller has read already: one read, so the
 * hashes checked are those of the manifest the caller uses.
 */
export async function verifyListedFiles(
  dir: string,
  files: FileHashes,
  names?: readonly string[],
): Promise<void> {
  const problems = await fileProblems(dir, files, names);
  if (hasFileProblems(problems)) throw filesError(dir, problems);
}

async function checkBytes(dir: string, name: string, bytes: Uint8Array, files?: FileHashes): Promise<void> {
  const hash = files?.[name];
  if (hash !== undefined && (await sha256Hex(bytes)) !== hash) throw mismatchError(dir, [name]);
}

/**
 * What serving needs from version `dir`: model.onnx and preprocessor.json, each checked against the
 * manifest's sha256 from the very bytes used, and metrics.json's scores when it reads and still hashes as
 * recorded. Throws a
 * CheckpointError that says what to do.
 */
export async function readCheckpointFiles(dir: string): Promise<CheckpointFiles> {
  await assertCheckpointDir(dir);
  const manifest = await readManifestInfo(dir);
  const onnx = await readBytes(
    join(dir, "model.onnx"),
    "the ONNX model",
    `write it with 'candlecast export --checkpoint ${shellWord(dir)} --output ${
      shellWord(join(dir, "model.onnx"))
    }'`,
  );
  // The bytes served are the bytes hashed: a model.onnx swapped after training must not answer under the
  // manifest's version (its /model/info would contradict its predictions).
  await checkBytes(dir, "model.onnx", onnx, manifest.files);
  const preprocessorPath = join(dir, "preprocessor.json");
  const preprocessorBytes = await readBytes(preprocessorPath, "preprocessor.json");
  await checkBytes(dir, "preprocessor.json", preprocessorBytes, manifest.files);
  // Parsed from the bytes just hashed, not read again: a file swapped in between must not be served.
  const preprocessor = preprocessorOf(
    preprocessorPath,
    parseJsonBytes(preprocessorPath, "preprocessor.json", preprocessorBytes),
  );
  // metrics.json only informs (/model/info): a version without it, or with a damaged or changed one, serves
  // without its scores.
  const scores = await readMetricsFile(dir, manifest.files);
  const metrics = scores?.test;
  const servedMetrics = scores?.served;
  return {
    onnx,
    interval: manifest.interval,
    gridOffsetMs: manifest.gridOffsetMs,
    preprocessor,
    version: manifest.version,
    trainedAt: manifest.createdAt,
    metrics,
    servedMetrics,
  };
}
