/**
 * The container's health check: GET /health on the port `serve` was started with. The port comes from the
 * main process's own command line, so `docker run … candlecast serve --host 0.0.0.0 --port 9000` is checked on 9000 without a
 * second setting to keep in step; 8000 when none was given. Exit 0 healthy, 1 not.
 *
 * The Dockerfile's HEALTHCHECK hands that command line over as arguments, read by `tr` from /proc/1/cmdline:
 * Deno 2 reads /proc/<pid>/ files only under --allow-all ("Requires all access"), so the script itself, run
 * with --allow-read=/proc/1/cmdline, never saw it and probed 8000 whatever the port (an operator's trial).
 *
 *   sh -c 'deno run --allow-net=127.0.0.1 deploy/healthcheck.ts $(tr "\000" " " < /proc/1/cmdline)'
 */

/** The value of `--port N` / `--port=N` in a command line, or 8000 (serve's default). */
export function portOf(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const value = args[i] === "--port"
      ? args[i + 1]
      : args[i].startsWith("--port=")
      ? args[i].slice(7)
      : null;
    if (value !== null && /^\d+$/.test(value ?? "")) return Number(value);
  }
  return 8000;
}

/** True when the server answers GET /health with 200 (a model is loaded) within `timeoutMs`. */
export async function healthy(port: number, timeoutMs = 2500): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  // No arguments: run by hand, outside the HEALTHCHECK's shell; say which port is probed and why.
  if (Deno.args.length === 0) {
    console.error("healthcheck: no command line given; probing serve's default port 8000");
  }
  Deno.exit((await healthy(portOf(Deno.args))) ? 0 : 1);
}
