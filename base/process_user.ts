/**
 * The user and group this process runs as, or null where they cannot be read: on Windows, and where Deno was
 * not granted `--allow-sys` (the container's serve permission set grants none), where `Deno.uid()` throws
 * NotCapable instead of answering. Code that adapts to root (keeping a replaced file's owner, letting root
 * merge into another user's file) then does what it does for any other user.
 *
 * @example
 * ```ts
 * const user = processUser();
 * if (user?.uid === 0) console.log("running as root");
 * ```
 */
export function processUser(): { uid: number; gid: number } | null {
  try {
    const uid = Deno.uid();
    const gid = Deno.gid();
    return uid === null || gid === null ? null : { uid, gid };
  } catch {
    return null;
  }
}
