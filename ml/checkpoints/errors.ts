/**
 * The store's refusals, each saying what to do. A file of their own: history.ts, which store.ts uses, throws
 * them too, and the two would otherwise import each other.
 */
import { ReportedError } from "../../base/index.ts";

/**
 * A store operation refused, saying what to do: an unknown or damaged version, nothing to roll back to, a
 * name or `current` held by another writer.
 */
export class CheckpointStoreError extends ReportedError {
  override name = "CheckpointStoreError";
}

/**
 * `current` no longer points where the caller last saw it: someone promoted or rolled back in between, and a
 * conditional promotion (retrain's) leaves their choice in place.
 */
export class CurrentChangedError extends CheckpointStoreError {
  override name = "CurrentChangedError";
  constructor(readonly expected: string | null, readonly now: string | null) {
    super(`current changed from ${expected ?? "none"} to ${now ?? "none"} meanwhile`);
  }
}

/**
 * `current` is there but names no version of the store: a folder or file put where the symlink goes (a copy
 * made with `cp -r`, a backup restored without links), or a link to something that is not one of its versions.
 * Promotion refuses to replace it (it may be the user's only copy of something); `models list` still lists the
 * versions and says this once.
 */
export class CurrentLinkError extends CheckpointStoreError {
  override name = "CurrentLinkError";
}
