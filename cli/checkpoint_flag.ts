/**
 * `--checkpoint DIR`, checked at the boundary for `predict`, `export` and `evaluate`: a path that is not a version folder
 * (a file, or the folder holding the versions) is a usage error (exit 2) saying which folder to name instead.
 * A version whose files are damaged is still a runtime failure, found when they are read. `serve`, which may
 * start before its version exists, refuses only what can never load: the folder holding the versions, or a file
 * inside a version (`refuseVersionStore`).
 */
import { basename, dirname, join } from "node:path";
import { DEFAULTS } from "./defaults.ts";
import {
  assertCheckpointDir,
  CheckpointError,
  fileInVersionError,
  versionStoreError,
} from "../engine/index.ts";
import { UsageError } from "./errors.ts";
import { checkpointsFlag, requireInput } from "./flags.ts";

export async function requireCheckpoint(flag: string, dir: string): Promise<void> {
  // The store is the folder above the version named (`mystore/current`): printed bare, the commands trained
  // into and listed the default checkpoints/ folder, not the one the missing version was looked for in.
  // A bare name (`--checkpoint v3_2026-11-24`, a slip for checkpoints/v3_…) has no store above it but the
  // working folder: the default store is the one meant, not `--checkpoints .`.
  const above = dirname(dir);
  const store = above === "." ? "" : checkpointsFlag(above);
  // A link to a version deleted since (`rm -rf checkpoints/v3_…` to free disk while it was current): "does not
  // exist" and "train one" read as if nothing were there, beside the `current` that `ls` shows and the
  // versions that are left.
  const target = danglingLinkTarget(dir);
  if (target !== null) {
    throw new UsageError(
      `${flag}: ${dir} points at ${target}, which is not there (deleted or moved)`,
      basename(dir) === "current"
        ? `point it at a version with 'candlecast models promote VERSION${store}' ` +
          `('candlecast models list${store}' shows them)`
        : `point ${flag} at a version folder ('candlecast models list${store}' shows them)`,
    );
  }
  requireInput(
    flag,
    dir,
    versionNameHint(flag, dir, DEFAULTS.checkpoints) ??
      `train one with 'candlecast train${store}', or see 'candlecast models list${store}'`,
  );
  try {
    await assertCheckpointDir(dir);
  } catch (error) {
    if (error instanceof CheckpointError) throw new UsageError(`${flag}: ${error.message}`, error.hint);
    throw error;
  }
}

/**
 * For a version's bare name given where its folder is meant (`--checkpoint v3_2026-11-24`, as `models promote`
 * takes it): the folder of that name in `store`, when there is one. Before, the hint said to train one, or to
 * list the versions, which showed that very name.
 */
export function versionNameHint(flag: string, value: string, store: string): string | null {
  if (value.includes("/") || pathIsFolder(value)) return null;
  const folder = join(store, value);
  return pathIsFolder(folder)
    ? `${flag} takes a version's folder, not its name: did you mean ${flag} ${folder}?`
    : null;
}

function pathIsFolder(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Where symlink `path` points when that is nowhere (a dangling link), else null. */
function danglingLinkTarget(path: string): string | null {
  try {
    if (!Deno.lstatSync(path).isSymlink) return null;
    Deno.statSync(path);
    return null;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) return null;
  }
  try {
    return Deno.readLinkSync(path);
  } catch {
    return null;
  }
}

/**
 * For `serve`: the folder holding the versions, or a file inside a version (its model.onnx), can never load (it
 * is no version and never becomes one), so starting on it would answer 503 and log the same failure forever.
 * Refused as `requireCheckpoint` refuses it, with the same hint (its `current`, the version folder above the
 * file); a path that does not exist yet, or a version still incomplete, is left to serve's reloading.
 */
export async function refuseVersionStore(flag: string, dir: string): Promise<void> {
  const error = await versionStoreError(dir) ?? fileInVersionError(dir);
  if (error !== null) throw new UsageError(`${flag}: ${error.message}`, error.hint);
}
