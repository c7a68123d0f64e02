/**
 * Keeps a file size limit (`ulimit -f`, systemd's LimitFSIZE=, docker's `--ulimit fsize`) an error, not a kill.
 * A write past the limit raises SIGXFSZ, whose default action ends the process mid-write: `collect` died with
 * exit 153 and left its temp file behind, `serve` lost the requests after it. With the signal handled, the
 * write fails with EFBIG instead, which each command reports as a full disk is (cli/errors.ts names the limit).
 *
 * The listener stays for the life of the process, never removed. Deno runs a signal's listeners from a thread
 * of its own, after the write that raised it: a listener removed during shutdown (serve did so after its last
 * flush) let a SIGXFSZ still on its way take its default action, and serve exited 153 on SIGTERM (CI, once).
 * A signal listener does not keep a finished command alive.
 *
 * @example
 * ```ts
 * surviveFileSizeLimit(); // first thing in main.ts
 * ```
 */
export function surviveFileSizeLimit(): void {
  if (Deno.build.os === "windows") return; // no SIGXFSZ there: a write past a quota just fails
  Deno.addSignalListener("SIGXFSZ", () => {});
}
