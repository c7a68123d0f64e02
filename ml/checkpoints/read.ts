/**
 * Reads versions back: the manifest (schema-checked) and a one-line summary for `models list`, with every
 * file re-hashed against the manifest.
 */
import { join } from "node:path";
import { z } from "zod";
import {
  type Blend,
  CheckpointError,
  fileProblems,
  ManifestBaseSchema,
  readManifestWith,
} from "../../engine/index.ts";
import { ManifestSchema, type ManifestView } from "./manifest.ts";
import { CheckpointStoreError, CurrentLinkError } from "./errors.ts";
import { currentVersion, listVersionNames } from "./store.ts";
import { readMetricsFile } from "../../engine/index.ts";

/**
 * Version `dir`'s manifest.json checked against the writer's whole schema; a missing or invalid one throws a
 * CheckpointStoreError that says what to do.
 */
export async function readManifest(dir: string): Promise<ManifestView> {
  try {
    return await readManifestWith(dir, ManifestSchema);
  } catch (error) {
    if (error instanceof CheckpointError) throw new CheckpointStoreError(error.message, error.hint);
    throw error;
  }
}

/**
 * What `models list` reads of a manifest: the fields serve reads, checked as serve checks them, and those the
 * table shows, each optional ("?" when absent). Read against the writer's whole schema, a version serve loads
 * and promote takes, such as a hand-made one whose manifest records no `files`, was listed with only
 * "files: Invalid input" as its note.
 */
const ListedManifestSchema = ManifestBaseSchema.extend({
  parent: z.string().nullable().optional(),
  model_type: z.string().optional(),
  training: ManifestSchema.shape.training,
}).loose();

export interface VersionSummary {
  readonly version: string;
  readonly createdAt: string | null;
  readonly modelType: string | null;
  /** The candles the version was trained on ("30m", "1d"): the ones serve expects; null when unrecorded. */
  readonly interval: string | null;
  /** Macro-F1 on the test split under the version's served decision rule (older versions: argmax). */
  readonly testMacroF1: number | null;
  /** The rule `testMacroF1` was scored under ("prior", "argmax"), or null with no score. */
  readonly testRule: string | null;
  /** Test windows the score is over (null when unrecorded): 150 windows of a fine-tune and 1,620 differ. */
  readonly testWindows: number | null;
  readonly parent: string | null;
  readonly current: boolean;
  /** Why the version is unusual (unreadable manifest, training interrupted, no model.onnx), or null. */
  readonly note: string | null;
  /**
   * The blend the version serves (`train --blend-boosting`, recorded in its configuration), or null: the
   * network alone, or unknown. Its test score is then the blend's.
   */
  readonly blend: Pick<Blend, "with" | "weight"> | null;
  /**
   * Files that no longer match their sha256 in the manifest, or that are no regular file any more (a FIFO, a
   * folder: not read); empty: intact; null when not checked.
   */
  readonly mismatched: readonly string[] | null;
  /** Files the manifest lists that are gone (empty: none); null when not checked. */
  readonly missing: readonly string[] | null;
}

/**
 * The test macro-F1 of the answers serve gives by default: under the version's decision rule when recorded
 * (argmax's alone made a `prior` version look like one that names SIDEWAYS 99 % of the time).
 */
async function testScore(
  dir: string,
): Promise<{ testMacroF1: number | null; testRule: string | null; testWindows: number | null }> {
  const m = await readMetricsFile(dir);
  const testWindows = m?.test?.windows ?? null;
  const served = m?.served?.metrics.macro_f1;
  if (served !== undefined) return { testMacroF1: served, testRule: m!.served!.rule, testWindows };
  const argmax = m?.test?.macro_f1;
  return argmax === undefined
    ? { testMacroF1: null, testRule: null, testWindows }
    : { testMacroF1: argmax, testRule: "argmax", testWindows };
}

/** The recorded run configuration's blend weight (`model.boostingBlend`); older manifests record none. */
const RecordedBlend = z.object({ model: z.object({ boostingBlend: z.number().gt(0).lt(1) }).loose() })
  .loose();

/** What a version's recorded configuration says it serves beside the network, or null. */
export function recordedBlend(hyperparameters: unknown): Pick<Blend, "with" | "weight"> | null {
  const parsed = RecordedBlend.safeParse(hyperparameters);
  return parsed.success ? { with: "gradient_boosting", weight: parsed.data.model.boostingBlend } : null;
}

/**
 * The version `current` names, null without one, and why it names none when it is there but no link to a
 * version of `root` (a folder copied over it): the versions can still be listed, none of them marked current.
 */
export async function readCurrent(
  root: string,
): Promise<{ readonly version: string | null; readonly problem: CurrentLinkError | null }> {
  try {
    return { version: await currentVersion(root), problem: null };
  } catch (error) {
    if (error instanceof CurrentLinkError) return { version: null, problem: error };
    throw error;
  }
}

/**
 * One summary per version under `root`, oldest first, with every file re-hashed; a version whose manifest
 * cannot be read is listed with the reason as its note instead of failing the list, and a `current` that is
 * no link to a version (`readCurrent`'s problem) marks none current.
 */
export async function summarizeVersions(root: string): Promise<VersionSummary[]> {
  const current = (await readCurrent(root)).version;
  const summaries: VersionSummary[] = [];
  for (const version of await listVersionNames(root)) {
    const dir = join(root, version);
    try {
      const m = await readManifestWith(dir, ListedManifestSchema);
      // No hashes recorded (a hand-made version): serve and promote check nothing, so neither can the list.
      const hashed = m.files !== undefined;
      const { missing, changed, notFiles } = await fileProblems(dir, m.files ?? {});
      // A listed name where a FIFO or folder stands is changed as far as the files column goes (what the
      // version was saved with is not there), but its note says what stands there, not a hash never computed.
      const mismatched = [...changed, ...notFiles.map((n) => n.name)];
      const notes = [
        // A copied or renamed folder: serve, predict and monitor name it as its manifest does (promote refuses).
        m.version === version ? null : `manifest names it ${m.version} (a copied or renamed folder?)`,
        missing.length > 0 ? `missing: ${missing.join(", ")}` : null,
        changed.length > 0 ? `sha256 mismatch: ${changed.join(", ")}` : null,
        ...notFiles.map((n) => `${n.name} is ${n.kind}, not a file (move it away)`),
        hashed
          ? null
          : "manifest.json records no sha256 of its files (made by hand?): serve and promote use them unchecked",
        m.training?.stop_reason === "interrupted" ? "interrupted" : null,
        !hashed || m.files?.["model.onnx"] ? null : "no model.onnx",
      ].filter((n) => n !== null);
      summaries.push({
        version,
        createdAt: m.created_at,
        modelType: m.model_type ?? null,
        interval: m.interval ?? null,
        ...await testScore(dir),
        parent: m.parent ?? null,
        current: version === current,
        blend: recordedBlend(m.hyperparameters),
        note: notes.length > 0 ? notes.join(", ") : null,
        mismatched: hashed ? mismatched : null,
        missing: hashed ? missing : null,
      });
    } catch (error) {
      summaries.push({
        version,
        createdAt: null,
        modelType: null,
        interval: null,
        testMacroF1: null,
        testRule: null,
        testWindows: null,
        parent: null,
        current: version === current,
        blend: null,
        note: (error as Error).message,
        mismatched: null,
        missing: null,
      });
    }
  }
  return summaries;
}
