/**
 * Where the processes of `serve --workers N` share their /metrics counters: a folder the first process makes
 * in the temporary directory, named after its pid, and removes when it stops. A first process killed outright
 * (SIGKILL, the OOM killer, a container's kill) cannot remove its folder, so each start removes the folders of
 * first processes that are gone: before, every such kill left one behind for good.
 */
import { join } from "node:path";
import { tmpdir } from "node:os";

const PREFIX = "candlecast-metrics-";

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
  const parent = tmpdir();
  await removeStaleMetricsDirs(parent);
  return await Deno.makeTempDir({ dir: parent, prefix: `${PREFIX}${Deno.pid}-` });
}

/**
 * Removes `parent`'s metrics folders whose first process is gone (`alive` says; on Linux, /proc/PID), and
 * returns their names. Folders without a pid in their name, or of a process still running, are left; so is
 * anything that cannot be removed (another user's, in a shared /tmp).
 */
export async function removeStaleMetricsDirs(
  parent: string,
  alive: (pid: number) => Promise<boolean> = processAlive,
): Promise<string[]> {
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(parent));
  } catch {
    return removed;
  }
  for (const entry of entries) {
    const match = entry.isDirectory ? /^candlecast-metrics-(\d+)-/.exec(entry.name) : null;
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === Deno.pid || await alive(pid)) continue;
    try {
      await Deno.remove(join(parent, entry.name), { recursive: true });
      removed.push(entry.name);
    } catch { /* another user's, or already gone */ }
  }
  return removed;
}

/** Whether a process `pid` runs, where /proc shows it; elsewhere assumed alive (nothing is removed). */
async function processAlive(pid: number): Promise<boolean> {
  try {
    await Deno.stat("/proc/self");
  } catch {
    return true;
  }
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}
