/**
 * `--incremental`'s starting point: the version `current` points at, with its weights, preprocessor (scaler,
 * lookback, horizon, label rule) and the end of the data it was trained on.
 */
import { join } from "node:path";
import { CommandError } from "../errors.ts";
import { type LayersModel, loadModel } from "../../ml/runtime/index.ts";
import { type Preprocessor, readPreprocessorFile } from "../../engine/index.ts";
import { currentVersion, type ManifestView, readManifest } from "../../ml/checkpoints/index.ts";

export interface Parent {
  readonly version: string;
  readonly manifest: ManifestView;
  readonly preprocessor: Preprocessor;
  readonly model: LayersModel;
  /** The parent's model hyperparameters as its manifest recorded them. */
  readonly modelConfig: unknown;
}

export async function loadParent(root: string): Promise<Parent> {
  const version = await currentVersion(root);
  if (!version) {
    throw new CommandError(
      `--incremental fine-tunes ${join(root, "current")}, and there is none`,
      "train a first model without --incremental",
    );
  }
  const dir = join(root, version);
  const manifest = await readManifest(dir);
  let preprocessor: Preprocessor;
  try {
    preprocessor = await readPreprocessorFile(dir);
  } catch (error) {
    throw new CommandError(`cannot fine-tune ${version}: ${(error as Error).message}`);
  }
  const hyper = manifest.hyperparameters as { model?: unknown } | undefined;
  return { version, manifest, preprocessor, model: await loadModel(dir), modelConfig: hyper?.model ?? null };
}

/** Per symbol: the open time of the parent's last candle (new windows are labelled after it). */
export function parentDataEnd(parent: Parent, symbol: string): number | undefined {
  return parent.manifest.data.symbols[symbol]?.last_ms ?? parent.manifest.data.end_ms ?? undefined;
}
