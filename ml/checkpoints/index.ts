/**
 * Versioned checkpoints (SPEC §7): write a complete version, list, promote, roll back, read manifests. Loads no
 * tensor library: the writer takes the model's saver and the ONNX exporter from its caller.
 *
 * @example List a store's versions and serve the newest
 * ```ts
 * import { currentVersion, listVersionNames, promote, summarizeVersions } from "./index.ts";
 *
 * const root = "checkpoints";
 * for (const v of await summarizeVersions(root)) console.log(v.version, v.modelType, v.testMacroF1);
 * const newest = (await listVersionNames(root)).at(-1);
 * if (newest && newest !== await currentVersion(root)) await promote(root, newest); // `current` → newest
 * ```
 */
// Named, not `export *`: store.ts and history.ts export to the folder's own files what is no part of its
// surface (`withCurrentLock`, `writeHistory`: only under the lock, as promote, rollback and prune take it).
export { CheckpointStoreError, CurrentChangedError, CurrentLinkError } from "./errors.ts";
export {
  CURRENT,
  CURRENT_LOCK_WAIT_MS,
  currentVersion,
  droppedPreviousLine,
  hasVersion,
  isVersionName,
  linkTargetParts,
  listVersionNames,
  nameMismatchError,
  nextVersionName,
  promote,
  type PromoteOptions,
  type Rollback,
  rollback,
  rollbackTarget,
} from "./store.ts";
export { readHistory } from "./history.ts";
export { type PruneResult, pruneVersions, type PruneWarning } from "./prune.ts";
export * from "./manifest.ts";
export * from "./writer.ts";
export * from "./read.ts";
