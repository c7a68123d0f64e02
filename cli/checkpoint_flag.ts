/**
 * `--checkpoint DIR`, checked at the boundary for `predict` and `export`: a path that is not a version folder
 * (a file, or the folder holding the versions) is a usage error (exit 2) saying which folder to name instead.
 * A version whose files are damaged is still a runtime failure, found when they are read.
 */
import { assertCheckpointDir, CheckpointError } from "../engine/index.ts";
import { UsageError } from "./errors.ts";
import { requireInput } from "./flags.ts";

export async function requireCheckpoint(flag: string, dir: string): Promise<void> {
  requireInput(flag, dir, "train one with 'candlecast train', or see 'candlecast models list'");
  try {
    await assertCheckpointDir(dir);
  } catch (error) {
    if (error instanceof CheckpointError) throw new UsageError(`${flag}: ${error.message}`, error.hint);
    throw error;
  }
}
