/**
 * Binds an app to a TCP port so that hostile or broken clients cannot take the process down.
 *
 * Built on `node:http` rather than `Deno.serve`: in Deno 2.9 `Deno.serve` has no read timeouts and no cap on
 * open connections, and an `accept()` failing with EMFILE (1,100 stalled sockets under `ulimit -n 1024`) is
 * thrown out of it and ends the process. `node:http` gives header and request read timeouts, an idle
 * keep-alive timeout and `maxConnections` (a connection over the cap is accepted and closed at once, so the
 * descriptors never run out; the cap is kept below the process's open-file limit).
 *
 * On top of that: a cap on requests being handled (over it, /predict and friends get 503 + `Retry-After`,
 * while `/` and `/health` are always answered, so a health check never waits behind inference); routing by the
 * request target alone (the `Host` header never changes the path); and a bounded graceful shutdown: requests
 * in flight run to the end while newcomers get 503 `Connection: close`, and after `shutdownTimeoutMs` every
 * connection still open is cut.
 */
import { bindServer, requireNetPermission } from "./listen/bind.ts";
import { Listener } from "./listen/listener.ts";
import type { Fetch } from "./listen/request.ts";
import { listenSamples } from "./listen/samples.ts";
import { createServer } from "./listen/server.ts";
import { type Listening, type ListenOptions, settingsOf } from "./listen/settings.ts";
import { shutDown } from "./listen/shutdown.ts";

export { ListenError, probePort } from "./listen/bind.ts";
export { targetPath } from "./listen/request.ts";
export { LISTEN_DEFAULTS, type Listening, type ListenOptions, type ListenStats } from "./listen/settings.ts";

/**
 * Serves `fetch` over node:http with the limits of `options` and resolves once bound; a bind that fails for a
 * reason a user can fix (port in use, permission, no such address) throws a ListenError.
 */
export async function listen(fetch: Fetch, options: ListenOptions): Promise<Listening> {
  const o = settingsOf(options);
  requireNetPermission(o.hostname, o.port);
  const l = new Listener(o);
  const server = createServer(l, fetch);
  const finished = Promise.withResolvers<void>();
  // After the bind, an error of the listening socket (EMFILE on accept) is logged; the server keeps going.
  await bindServer(server, o.hostname, o.port, options.reusePort ?? false, (error) => {
    l.counts.acceptErrors++;
    l.log({ event: "accept_error", error: error.message });
  });
  server.on("close", () => finished.resolve());

  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the server has no TCP address");
  const host = address.address.includes(":") ? `[${address.address}]` : address.address;
  let stopping: Promise<void> | null = null;
  return {
    hostname: address.address,
    port: address.port,
    url: `http://${host}:${address.port}`,
    finished: finished.promise,
    shutdown: () => stopping ??= shutDown(l, server, finished.promise),
    stats: () => l.stats(),
    samples: () => listenSamples(l.stats()),
  };
}
