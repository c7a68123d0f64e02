/**
 * boosting.json: a blended version's gradient boosting (`train --blend-boosting`), the trees inside its
 * model.onnx kept as data too, so `export` can write the graph again and a fine-tune keeps the same boosting.
 */
import { join } from "node:path";
import { readVersionJson } from "../../engine/index.ts";
import { type BoostedTrees, parseBoostedTrees } from "./boosted_trees.ts";

/** The file's name in a version folder. */
export const BOOSTING_FILE = "boosting.json";

/**
 * The boosting of the version in `dir`, schema-checked; throws a CheckpointError (missing, unreadable, not
 * JSON) or an Error naming the file and field. Its hash is the caller's to check against the manifest.
 */
export async function readBoostedTrees(dir: string): Promise<BoostedTrees> {
  const path = join(dir, BOOSTING_FILE);
  return parseBoostedTrees(await readVersionJson(path, BOOSTING_FILE), path);
}
