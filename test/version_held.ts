/**
 * Whether a serve holds the version folder `dir` (server/models/version_hold.ts): an exclusive lock on it, as
 * `pruneVersions` asks, cannot be had. POSIX only: Windows opens no folder as a file.
 */
export async function versionHeld(dir: string): Promise<boolean> {
  const folder = await Deno.open(dir, { read: true });
  try {
    return !(await folder.tryLock(true));
  } finally {
    folder.close();
  }
}
