/**
 * Where the processes of `serve --workers N` share their /metrics counters: a folder the first process makes
 * in the temporary directory and removes when it stops. A first process killed outright (SIGKILL, the OOM
 * killer, a container's kill) cannot remove its folder, so each start removes the folders no service has
 * written to for an hour: a live one's workers write their counters into it every second (each write renames
 * a file into it, which moves the folder's modification time). Before, every such kill left one for good.
 *
 * Not by the owner's pid: Deno lets a process read /proc only with --allow-all, which no documented way of
 * running serve grants (a review found the pid check reading every folder as live), and in a container every
 * first process is pid 1.
 */
import { dirname, join } from "node:path";
import { filesystemProblem, UsageError, withoutRunAgain } from "../errors.ts";

const PREFIX = "candlecast-metrics-";

/** How long a metrics folder may go unwritten before a start takes it for a dead service's. */
export const STALE_METRICS_MS = 60 * 60_000;

/**
 * The metrics folder for this process: a new one for a first process with workers (after removing stale ones),
 * the one named in a worker's environment (`fromEnv`), or null for a process serving alone.
 */
export async function metricsDirFor(
  worker: number | null,
  workers: number,
  fromEnv: () => string | undefined,
): Promise<string | null> {
  if (worker !== null) return fromEnv() ?? null;
  if (workers <= 1) return null;
  // Made first, then its siblings swept: where temporary folders go is Deno's to know (node:os's tmpdir()
  // reads TMPDIR, which the Docker image's --allow-env leaves out: serve failed to start its workers there).
  const dir = await makeMetricsDir(workers);
  await removeStaleMetricsDirs(dirname(dir));
  return dir;
}

/**
 * Refuses, before the model loads, a temporary directory where the first process of `serve --workers N` could
 * not make its metrics folder: a folder is made there and removed at once. Before, a TMPDIR that did not exist
 * or was a file was found only after the model loaded, as "unexpected failure … tmpdir … this is a bug".
 */
export async function requireMetricsDirParent(workers: number): Promise<void> {
  if (workers <= 1) return;
  // Killed in between, it is swept as any stale metrics folder is.
  await Deno.remove(await makeMetricsDir(workers)).catch(() => {});
}

async function makeMetricsDir(workers: number): Promise<string> {
  try {
    return await Deno.makeTempDir({ prefix: PREFIX });
  } catch (error) {
    throw tempDirError(error, workers);
  }
}

/**
 * Why no folder can be made in the temporary directory, as a usage error (exit 2, as serve refuses a
 * predictions log it cannot write): the directory named, which Deno's own message ("…: tmpdir") leaves out.
 */
export function tempDirError(error: unknown, workers: number, tmpdir = readTmpdir()): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const windows = Deno.build.os === "windows"; // where TMP and TEMP say, not TMPDIR
  const where = windows
    ? "the temporary directory (TMP, TEMP)"
    : tmpdir === undefined
    ? "the temporary directory (TMPDIR, else /tmp)"
    : tmpdir === null
    ? "/tmp (TMPDIR is unset)"
    : `TMPDIR (${tmpdir})`;
  const known = filesystemProblem(error);
  const why = error instanceof Deno.errors.NotFound
    ? "which does not exist"
    : error instanceof Deno.errors.NotADirectory
    ? "which is not a folder"
    : error instanceof Deno.errors.NotCapable
    ? "which this process may not write (its Deno permissions, --allow-write, leave it out)"
    : `where none can be made: ${known?.message ?? error.message}`;
  const fix = `${
    windows
      ? "set TMP to a folder this user can write"
      : tmpdir === null
      ? "set TMPDIR to a folder this user can write"
      : "set TMPDIR to a folder this user can write (or unset it for /tmp)"
  }, or serve with --workers 1`;
  return new UsageError(
    `serve --workers ${workers} shares /metrics between its processes through a folder it makes in ${where}, ` +
      why,
    error instanceof Deno.errors.NotCapable
      ? `add it to --allow-write ('deno task cli' and the compiled binary grant it); or ${fix}`
      : known
      ? `${withoutRunAgain(known.hint)}; or ${fix}`
      : fix,
  );
}

/** TMPDIR as Deno reads it to make temporary folders: null when unset, undefined when this process may not read it. */
function readTmpdir(): string | null | undefined {
  if (Deno.permissions.querySync({ name: "env", variable: "TMPDIR" }).state !== "granted") return undefined;
  const value = Deno.env.get("TMPDIR");
  return value === undefined ? null : value || '""';
}

/**
 * Removes `parent`'s metrics folders unwritten for `staleMs` (by their modification time, at `now`), and returns
 * their names. Anything that cannot be read or removed (another user's, in a shared /tmp) is left.
 */
export async function removeStaleMetricsDirs(
  parent: string,
  { now = Date.now(), staleMs = STALE_METRICS_MS }: { now?: number; staleMs?: number } = {},
): Promise<string[]> {
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(parent));
  } catch {
    return removed;
  }
  for (const entry of entries) {
    if (!entry.isDirectory || !entry.name.startsWith(PREFIX)) continue;
    const path = join(parent, entry.name);
    try {
      const written = (await Deno.stat(path)).mtime?.getTime();
      if (written === undefined || now - written < staleMs) continue;
      await Deno.remove(path, { recursive: true });
      removed.push(entry.name);
    } catch { /* another user's, or already gone */ }
  }
  return removed;
}
