/**
 * Telling whether a path still names the file or folder held open (a lock's, a served version's), and opening
 * a folder to hold a lock on it: what serve's hold on a version and prune's claim on it share.
 */

/**
 * Whether two stats are of one file: the same device and inode. Where the system gives no inode (Windows),
 * assumed so: the look before the open is what there is.
 */
export function sameFile(info: Deno.FileInfo, other: Deno.FileInfo): boolean {
  return info.ino === null || other.ino === null || (info.ino === other.ino && info.dev === other.dev);
}

/** Folder `path` opened read-only, once it is known to be a folder (a FIFO there would block the open for good). */
export async function openFolderReadOnly(path: string): Promise<Deno.FsFile> {
  if (!(await Deno.stat(path)).isDirectory) throw new Error(`${path} is no folder`);
  const folder = await Deno.open(path, { read: true });
  if (!(await folder.stat()).isDirectory) {
    folder.close();
    throw new Error(`${path} is no folder`);
  }
  return folder;
}
