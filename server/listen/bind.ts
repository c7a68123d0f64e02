/** Taking a port, and a failure to take it in words a user can act on. */
import http from "node:http";
import { ReportedError } from "../../base/index.ts";

/** Why a bind failed, in words a user can act on. */
export class ListenError extends ReportedError {
  override name = "ListenError";
  constructor(message: string, override readonly hint: string) {
    super(message, hint);
  }
}

/** A bind failure in words a user can act on (a `ListenError`), or the error itself when it is not one we know. */
function bindError(error: unknown, where: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE" || error instanceof Deno.errors.AddrInUse) {
    return new ListenError(`cannot listen on ${where}: the address is in use`, "pass another --port");
  }
  if (
    code === "EACCES" || error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.NotCapable
  ) {
    return new ListenError(`cannot listen on ${where}: permission denied`, "use a port above 1023");
  }
  // An address no interface of this machine has (`--host 192.0.2.1`): Deno's node:http reports it as EINVAL.
  if (
    code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EINVAL" ||
    error instanceof Deno.errors.AddrNotAvailable
  ) {
    return new ListenError(`cannot listen on ${where}: no such local address`, "check --host");
  }
  return error;
}

/**
 * Throws the ListenError for an address Deno's `--allow-net` does not grant. Asked first, because node:http's
 * listen throws Deno's NotCapable from a later tick, where no caller can catch it: serve died with a stack
 * trace (the container's narrowed set, or a `--host` outside it). `querySync` never prompts.
 */
export function requireNetPermission(hostname: string, port: number): void {
  const host = port === 0 ? hostname : `${hostname}:${port}`;
  if (Deno.permissions.querySync({ name: "net", host }).state === "granted") return;
  throw new ListenError(
    `cannot listen on ${hostname}:${port}: Deno's --allow-net does not grant ${host}`,
    `add ${host} to --allow-net (in the container: to CANDLECAST_SERVE_PERMISSIONS), or pass a --host it grants`,
  );
}

/**
 * Checks that nobody holds `hostname:port` by binding it once without SO_REUSEPORT and letting it go; throws
 * the `ListenError` `listen` would. `serve --workers N` calls it before binding with `reusePort`: otherwise a
 * second `serve` on a port already served by workers would bind too (the kernel lets any SO_REUSEPORT socket of
 * the same user join), and connections would be split at random between two servers. On Linux a plain bind
 * fails while any socket, SO_REUSEPORT or not, listens there. Port 0 needs no check.
 */
export async function probePort(hostname: string, port: number): Promise<void> {
  if (port === 0) return;
  requireNetPermission(hostname, port);
  const probe = http.createServer();
  const bound = Promise.withResolvers<void>();
  probe.once("error", (error) => bound.reject(error));
  probe.listen({ host: hostname, port, reusePort: false }, () => bound.resolve());
  try {
    await bound.promise;
  } catch (error) {
    throw bindError(error, `${hostname}:${port}`);
  }
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/**
 * Binds `server` to `hostname:port`; a bind that fails for a reason a user can fix throws a ListenError. Once
 * bound, errors of the listening socket go to `onError` (in the same tick: the server is never without one).
 */
export async function bindServer(
  server: http.Server,
  hostname: string,
  port: number,
  reusePort: boolean,
  onError: (error: NodeJS.ErrnoException) => void,
): Promise<void> {
  const bound = Promise.withResolvers<void>();
  const onStartupError = (error: NodeJS.ErrnoException) => bound.reject(error);
  server.once("error", onStartupError);
  server.listen({ host: hostname, port, reusePort }, () => bound.resolve());
  try {
    await bound.promise;
  } catch (error) {
    throw bindError(error, `${hostname}:${port}`);
  }
  server.off("error", onStartupError);
  server.on("error", onError);
}
