/**
 * Binds an app to a TCP port with graceful shutdown. `shutdown()` first drains: requests already being
 * handled (even ones still uploading their body) run to the end, while new ones get a quick 503 with
 * `Connection: close`; then the listener closes. Deno's own `shutdown()` alone is not enough: it cuts the
 * body stream of a request still uploading. `candlecast serve` calls it on SIGINT/SIGTERM.
 */
import type { Logger } from "./log.ts";

export interface ListenOptions {
  readonly hostname: string;
  /** 0 picks a free port (tests, benches); the bound one is in `port`. */
  readonly port: number;
  readonly log?: Logger;
  /** Longest wait for requests in flight at shutdown before the listener closes anyway. */
  readonly drainMs?: number;
}

export interface Listening {
  readonly hostname: string;
  readonly port: number;
  readonly url: string;
  /** Resolves once the server has stopped. */
  readonly finished: Promise<void>;
  shutdown(): Promise<void>;
}

/** Why a bind failed, in words a user can act on. */
export class ListenError extends Error {
  override name = "ListenError";
  constructor(message: string, readonly hint: string) {
    super(message);
  }
}

export async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  options: ListenOptions,
): Promise<Listening> {
  const where = `${options.hostname}:${options.port}`;
  let active = 0;
  let draining = false;
  const idle = Promise.withResolvers<void>();
  const handle = async (request: Request): Promise<Response> => {
    if (draining) {
      options.log?.({
        method: request.method,
        path: new URL(request.url).pathname,
        status: 503,
        latency_ms: 0,
      });
      return Response.json({ detail: "the server is shutting down; retry in a moment" }, {
        status: 503,
        headers: { Connection: "close", "Retry-After": "1" },
      });
    }
    active++;
    try {
      return await fetch(request);
    } finally {
      if (--active === 0 && draining) idle.resolve();
    }
  };
  const bound = Promise.withResolvers<{ hostname: string; port: number }>();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      onListen: (addr) => bound.resolve(addr),
      // Errors escaping the app are bugs; the app already answers them, this is the last line of defence.
      onError: (error) => {
        options.log?.({ event: "server_error", error: error instanceof Error ? error.stack : String(error) });
        return Response.json({ detail: "internal server error" }, { status: 500 });
      },
    }, handle);
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new ListenError(`cannot listen on ${where}: the address is in use`, "pass another --port");
    }
    if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable) {
      throw new ListenError(`cannot listen on ${where}: permission denied`, "use a port above 1023");
    }
    if (error instanceof Deno.errors.AddrNotAvailable) {
      throw new ListenError(`cannot listen on ${where}: no such local address`, "check --host");
    }
    throw error;
  }
  return await bound.promise.then(({ hostname, port }) => {
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    return {
      hostname,
      port,
      url: `http://${host}:${port}`,
      finished: server.finished,
      shutdown: async () => {
        draining = true;
        if (active > 0) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const timeout = new Promise<void>((resolve) =>
            timer = setTimeout(resolve, options.drainMs ?? 10_000)
          );
          await Promise.race([idle.promise, timeout]);
          clearTimeout(timer);
        }
        await server.shutdown();
      },
    };
  });
}
