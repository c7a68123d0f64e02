/**
 * How many connections this process can hold open: the soft open-file limit (`ulimit -n`), read without
 * prompting under whatever permissions serve runs with, and the connection cap that stays below it. Apart from
 * `listen.ts` because reading it is platform probing (/proc, libc through FFI), not socket handling.
 */

/** Descriptors kept free for everything but client sockets: model files, logs, the watcher, ONNX Runtime. */
const RESERVED_FDS = 128;

/**
 * The soft open-file limit (`ulimit -n`), or null where it cannot be read (not Linux, or neither way allowed).
 * `/proc/self/limits` first; Deno refuses any read under /proc/self or /proc/<pid> without `--allow-all`, which
 * `deno task cli`, the systemd unit and the container do not grant, so getrlimit(2) through libc is the
 * fallback (needs `--allow-ffi` for libc; the container's FFI is scoped to ONNX Runtime, so null there).
 */
export function openFileLimit(): number | null {
  // Asked before either is touched: under a path-scoped grant (the container's serve set) Deno on a terminal
  // prompts rather than refuses, and `docker run -it` waited at that prompt before serve listened.
  if (granted({ name: "read", path: "/proc/self/limits" })) {
    try {
      const line = Deno.readTextFileSync("/proc/self/limits").split("\n").find((l) =>
        l.startsWith("Max open files")
      );
      const soft = line?.split(/\s{2,}/)[1];
      return soft === undefined || soft === "unlimited" ? null : Number(soft);
    } catch {
      // Refused all the same without --allow-all (a special file), or unreadable: libc's answer instead.
    }
  }
  return openFileLimitFromLibc();
}

/** Whether `descriptor` is granted now; never prompts. */
function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}

/** RLIMIT_NOFILE on Linux (x86-64 and arm64 alike); RLIM_INFINITY is all ones. */
const RLIMIT_NOFILE = 7;

/** The soft open-file limit through libc's getrlimit(2), or null where libc cannot be opened or it fails. */
export function openFileLimitFromLibc(): number | null {
  if (Deno.build.os !== "linux" || !granted({ name: "ffi", path: "libc.so.6" })) return null;
  let libc: Deno.DynamicLibrary<{ getrlimit: { parameters: ["i32", "buffer"]; result: "i32" } }> | undefined;
  try {
    libc = Deno.dlopen("libc.so.6", { getrlimit: { parameters: ["i32", "buffer"], result: "i32" } });
    const limits = new BigUint64Array(2); // struct rlimit { rlim_t rlim_cur, rlim_max }
    if (libc.symbols.getrlimit(RLIMIT_NOFILE, limits) !== 0) return null;
    const soft = limits[0];
    return soft === 0xffff_ffff_ffff_ffffn ? null : Number(soft);
  } catch {
    return null;
  } finally {
    libc?.close();
  }
}

/** The connection cap that holds under this process's open-file limit. */
export function connectionCap(wanted: number, limit = openFileLimit()): number {
  return limit === null ? wanted : Math.max(1, Math.min(wanted, limit - RESERVED_FDS));
}
