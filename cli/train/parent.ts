/**
 * `--incremental`'s starting point: the version `current` points at, with its weights, preprocessor (scaler,
 * lookback, horizon, label rule), run configuration, and the end of the data it was trained on.
 */
import { join } from "node:path";
import { CommandError, UsageError } from "../errors.ts";
import { pathKind, shellWord } from "../../base/index.ts";
import type { LayersModel } from "../../ml/runtime/index.ts";
import { loadModel, MODEL_JSON, WEIGHTS_BIN } from "../../ml/models/index.ts";
import {
  describeFileProblems,
  fileProblems,
  hasFileProblems,
  modelsListChecks,
  type Preprocessor,
  readPreprocessorFile,
  versionStoreError,
} from "../../engine/index.ts";
import {
  currentVersion,
  type ManifestView,
  readManifest,
  symbolDataEnd,
} from "../../ml/checkpoints/index.ts";
import { type RecordedRunConfig, recordedRunConfig, type RunConfig } from "../../ml/train/index.ts";
import { type BoostedTrees, BOOSTING_FILE, readBoostedTrees } from "../../ml/baselines/index.ts";

export interface Parent {
  readonly version: string;
  readonly manifest: ManifestView;
  readonly preprocessor: Preprocessor;
  readonly model: LayersModel;
  /** The parent's run configuration (older manifests: what they recorded, the rest derived). */
  readonly config: RunConfig;
  /** A blended parent's gradient boosting (boosting.json), which its fine-tunes keep. */
  readonly boosting?: BoostedTrees;
}

/** A parent whose files are read and checked, its weights not loaded yet (that needs the backend). */
export type ParentFiles = Omit<Parent, "model"> & { readonly dir: string };

/**
 * `current`'s version, or `named` (a resumed --incremental run fine-tunes the version it started from): its
 * manifest, preprocessor and recorded configuration, with every file checked against the manifest's hashes.
 * Needs no backend, so train refuses a parent that cannot serve before starting one.
 */
export async function readParent(root: string, named?: string): Promise<ParentFiles> {
  const version = named ?? await currentVersion(root);
  if (!version) {
    // The flags name a model that is not there, as predict's and export's --checkpoint may: exit 2 like them.
    throw new UsageError(
      `--incremental fine-tunes ${join(root, "current")}, and there is none`,
      `train a first model without --incremental, or point --checkpoints at the folder that holds current ` +
        `('candlecast models list --checkpoints ${shellWord(root)}' shows what is there)`,
    );
  }
  const dir = join(root, version);
  const manifest = await readManifest(dir);
  // Hashes first: a damaged preprocessor.json was reported as a JSON error, with no hint, rather than as the
  // changed file that it is.
  // A blend's boosting.json is needed only when preprocessor.json names a blend, but a version that has one
  // has it hashed: checked with the rest (an absent one is then reported as missing).
  const problems = await fileProblems(dir, manifest.files ?? {}, [
    MODEL_JSON,
    WEIGHTS_BIN,
    "preprocessor.json",
    ...(manifest.files?.[BOOSTING_FILE] !== undefined ? [BOOSTING_FILE] : []),
  ]);
  if (hasFileProblems(problems)) {
    throw new CommandError(
      `cannot fine-tune ${version}: ` +
        describeFileProblems(problems, "its manifest.json", (name) => join(dir, name)),
      `restore the version's files, or promote an intact version first ${modelsListChecks(dir)}`,
    );
  }
  let preprocessor: Preprocessor;
  try {
    preprocessor = await readPreprocessorFile(dir);
  } catch (error) {
    throw new CommandError(
      `cannot fine-tune ${version}: ${(error as Error).message}`,
      (error as { hint?: string }).hint,
    );
  }
  const recorded = recordedRunConfig(manifest, preprocessor);
  requireRecordedModel(
    recorded,
    `cannot fine-tune ${version}`,
    "the fine-tuned version could not record the architecture it has",
  );
  const { config } = recorded;
  let boosting: BoostedTrees | undefined;
  try {
    boosting = preprocessor.blend ? await readBoostedTrees(dir) : undefined;
  } catch (error) {
    throw new CommandError(
      `cannot fine-tune ${version}: ${(error as Error).message}`,
      `restore the version's files, or promote an intact version first ${modelsListChecks(dir)}`,
    );
  }
  return { version, dir, manifest, preprocessor, config, ...(boosting ? { boosting } : {}) };
}

/** The parent's weights, on the backend started since {@link readParent}. */
export async function loadParent(files: ParentFiles): Promise<Parent> {
  const { dir, ...parent } = files;
  let model: LayersModel;
  try {
    model = await loadModel(dir);
  } catch (error) {
    // A version written before hashes, or by hand: its weights may still be short or garbled.
    throw new CommandError(
      `cannot fine-tune ${parent.version}: its weights do not load (${(error as Error).message})`,
      "restore the version's files, or train without --incremental",
    );
  }
  return { ...parent, model };
}

/** Per symbol: the open time of the parent's last candle (new windows are labelled after it). */
export function parentDataEnd(parent: Parent, symbol: string): number | undefined {
  return symbolDataEnd(parent.manifest.data, symbol);
}

/** `--config-from`: the run configuration a version recorded (older manifests: recorded pieces, rest derived). */
export async function configFromVersion(dir: string): Promise<RunConfig> {
  // The wrong kind of path is the user's to fix (exit 2), like a missing one.
  if (pathKind(dir) === "file") {
    throw new UsageError(
      `--config-from: ${dir} is a file, not a version folder`,
      "point --config-from at a version folder written by 'candlecast train' (e.g. checkpoints/current)",
    );
  }
  // The folder holding the versions (--config-from checkpoints) is the same slip: exit 2, naming a version.
  const store = await versionStoreError(dir, "--config-from");
  if (store !== null) throw new UsageError(`--config-from: ${store.message}`, store.hint);
  let recorded: RecordedRunConfig;
  try {
    const manifest = await readManifest(dir);
    const preprocessor = await readPreprocessorFile(dir);
    recorded = recordedRunConfig(manifest, preprocessor);
  } catch (error) {
    throw new CommandError(
      `--config-from: cannot read the configuration of ${dir}: ${(error as Error).message}`,
      "point --config-from at a version folder written by 'candlecast train' (e.g. checkpoints/current)",
    );
  }
  requireRecordedModel(
    recorded,
    `--config-from: cannot start from ${dir}`,
    "the architecture to train again is unknown",
  );
  return recorded.config;
}

/**
 * What a version's manifest.json must record for a run to start from it: its architecture (`hyperparameters.model`,
 * of the type its preprocessor.json names). The first round's versions record it (they predate ensembles: one
 * model); one missing, not valid or of another type (a hand-edited manifest) made `--config-from` and retrain's
 * monthly run train today's default shape in its place, and a fine-tune keep the parent's weights but record
 * that default shape as its own, all without a word.
 */
export function requireRecordedModel(recorded: RecordedRunConfig, what: string, consequence: string): void {
  if (!recorded.derived.includes("model")) return;
  throw new CommandError(
    `${what}: its manifest.json's hyperparameters.model is missing, not valid, or of another model type than ` +
      `its preprocessor.json names, so ${consequence}`,
    "train a new model from scratch ('candlecast train', with the shape flags you want): versions trained " +
      "now record their whole configuration, and --incremental, --config-from and retrain work from them",
  );
}
