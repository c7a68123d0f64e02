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
  const dir = await Deno.makeTempDir({ prefix: PREFIX });
  await removeStaleMetricsDirs(dirname(dir));
  return dir;
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
