/**
 * manifest.json (SPEC §7) as serving reads it: the version's name, when it was made, and the sha256 of every
 * other file in the folder (what a hash check compares). The checkpoint writer in ml/ records more; its
 * read-back schema extends this one, so the file has one schema and one reader (`readManifestWith`).
 */
import { join } from "node:path";
import { z } from "zod";
import { NotRegularFileError, readRegularFile } from "../base/index.ts";
import { candleLengthOf } from "../features/index.ts";
import { PRINTABLE } from "./prediction_record.ts";

/** A name `files` may list: one file directly in the version folder. */
const PLAIN_FILE_NAME = /^(?!\.{1,2}$)[^/\\\0]+$/;

/**
 * manifest.json's `files`: the sha256 of each file of the version folder, by name. Every name listed is read
 * and hashed (models list, promote, rollback, retrain), so a name is only a plain file name: a tampered
 * manifest naming "../../x" had those commands read files outside the folder, and hang for good on a FIFO.
 */
export const ManifestFilesSchema = z.record(z.string(), z.string()).superRefine((files, ctx) => {
  for (const name of Object.keys(files)) {
    if (PLAIN_FILE_NAME.test(name)) continue;
    ctx.addIssue({
      code: "custom",
      message: `${JSON.stringify(name)} is not a file of the version folder: only plain file names (like ` +
        "model.onnx) are allowed, without '/', '\\' or '..'",
    });
  }
});

/**
 * A name or time as `models list` prints it is `PRINTABLE`, as the prediction log's `version` and
 * `version_created_at` are (engine/prediction_record.ts): a hand-edited manifest's ESC sequences went to the
 * terminal as they were, recolouring the table.
 */
const PRINTABLE_MESSAGE =
  "expected 1 to 255 characters without control characters or bidi overrides (no escape sequences)";

/**
 * Whether `name` is an interval a version records: one of Binance's ("1h", "1M") or a fixed step `intervalOf`
 * names ("45m", "2d", "90000ms" from before session 20, "31d" for months before a780cd7).
 */
function isRecordedInterval(name: string): boolean {
  return name === "1M" || candleLengthOf(name) !== null;
}

/**
 * The manifest fields the engine reads; extra fields (what ml/checkpoints records) are kept. An `interval`
 * that is no interval's name reads as null.
 */
export const ManifestBaseSchema = z.object({
  version: z.string().regex(PRINTABLE, PRINTABLE_MESSAGE),
  created_at: z.string().regex(PRINTABLE, PRINTABLE_MESSAGE),
  /** sha256 (hex) of every other file in the version folder. */
  files: ManifestFilesSchema.optional(),
  // The candles' interval ("1h"); unknown (null) when absent or not a name, as in versions that saw one candle.
  // A string that names no interval ("banana") is not a name either: taken as one, serve answered every request
  // with open times 422 "trained on banana candles", and predict's hint said to fix the request file.
  interval: z.string().nullable().optional().catch(null).transform((name) =>
    typeof name === "string" && !isRecordedInterval(name) ? null : name
  ),
  // How far the candles opened past the interval's UTC grid (features' `gridOffsetOf`); absent: on it (0).
  grid_offset_ms: z.number().int().nonnegative().optional().catch(undefined),
}).loose();

export type ManifestBase = z.infer<typeof ManifestBaseSchema>;

/** The SHA-256 of `bytes` in lowercase hex, as manifests record file hashes. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Re-hashes a version's files against its manifest; returns the names that differ or are missing. */
export async function verifyVersion(dir: string, files: Readonly<Record<string, string>>): Promise<string[]> {
  return await mismatchedFiles(dir, files);
}

/**
 * The files (of `names`, default all the manifest lists) whose bytes no longer hash to the manifest's
 * sha256, or that are gone: a truncated copy, a model.onnx swapped in by hand. Names the manifest does not
 * list are not checked.
 */
export async function mismatchedFiles(
  dir: string,
  files: Readonly<Record<string, string>>,
  names: readonly string[] = Object.keys(files),
): Promise<string[]> {
  const { missing, changed, notFiles } = await fileProblems(dir, files, names);
  return names.filter((name) =>
    missing.includes(name) || changed.includes(name) || notFiles.some((n) => n.name === name)
  );
}

/** A listed file's name where something that is no regular file stands, and what that is ("a FIFO (named pipe)"). */
export interface NotAFile {
  readonly name: string;
  readonly kind: string;
}

/**
 * A version's listed files that are gone, those whose bytes no longer hash as its manifest says, and those
 * that are no regular file at all (not read).
 */
export interface FileProblems {
  readonly missing: readonly string[];
  readonly changed: readonly string[];
  readonly notFiles: readonly NotAFile[];
}

/**
 * `mismatchedFiles` told apart: a file that is gone is `missing` (restore or re-copy it), one that reads but
 * hashes differently (or cannot be read) is `changed`, and a folder, FIFO, socket or device under a listed
 * name is in `notFiles`, unopened: "does not match the sha256 (changed, swapped or truncated)" sent users
 * looking at bytes that were never read, when the thing to do is to move it away.
 */
export async function fileProblems(
  dir: string,
  files: Readonly<Record<string, string>>,
  names: readonly string[] = Object.keys(files),
): Promise<FileProblems> {
  const missing: string[] = [];
  const changed: string[] = [];
  const notFiles: NotAFile[] = [];
  for (const name of names) {
    const hash = files[name];
    if (hash === undefined) continue;
    try {
      const path = join(dir, name);
      // Not read unless a regular file (readRegularFile refuses the rest unopened): reading a FIFO put there
      // waits for a writer for good (models list, promote, retrain hung), and a device never ends. Neither is
      // a file a version was saved with: it is reported as what it is.
      if ((await sha256Hex(await readRegularFile(path))) !== hash) changed.push(name);
    } catch (error) {
      if (error instanceof NotRegularFileError) notFiles.push({ name, kind: error.kind });
      else (error instanceof Deno.errors.NotFound ? missing : changed).push(name);
    }
  }
  return { missing, changed, notFiles };
}

/** True when any file is missing, changed or no regular file. */
export function hasFileProblems(p: FileProblems): boolean {
  return p.missing.length > 0 || p.changed.length > 0 || p.notFiles.length > 0;
}

/**
 * One clause per kind of problem, e.g. "weights.bin is missing; model.onnx does not match the sha256 in its
 * manifest.json (changed, swapped or truncated after training); metrics.json is a FIFO (named pipe), not a
 * regular file, and was not read (move it away, then restore the version's own)". `name` shows a file (its path, say);
 * `separator` goes between the names and what is wrong (": " after paths).
 */
export function describeFileProblems(
  p: FileProblems,
  manifest: string,
  name: (file: string) => string = (file) => file,
  separator = " ",
): string {
  const clauses: string[] = [];
  const one = (files: readonly string[]) => files.length === 1;
  if (p.missing.length > 0) {
    clauses.push(`${p.missing.map(name).join(", ")}${separator}${one(p.missing) ? "is" : "are"} missing`);
  }
  if (p.changed.length > 0) {
    clauses.push(
      `${p.changed.map(name).join(", ")}${separator}${one(p.changed) ? "does" : "do"} not match the sha256 ` +
        `in ${manifest} (changed, swapped or truncated after training)`,
    );
  }
  for (const { name: file, kind } of p.notFiles) {
    const shown = name(file);
    clauses.push(
      `${shown}${separator}is ${kind}, not a regular file, and was not read (move it away, then restore the ` +
        "version's own)",
    );
  }
  return clauses.join("; ");
}
