/** The graceful shutdown: requests in flight and lingering bodies waited for, then every connection cut. */
import type http from "node:http";
import type { Listener } from "./listener.ts";

/**
 * A lingering body that has sent nothing for this long no longer holds a shutdown: it may never end, and the
 * connections behind it are waiting to be closed.
 */
const LINGER_QUIET_MS = 1_000;

/** Drains (at most `shutdownTimeoutMs`), then closes the server and every connection; resolves when done. */
export async function shutDown(l: Listener, server: http.Server, finished: Promise<void>): Promise<void> {
  l.draining = true;
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  // Requests being handled (even ones still uploading) are waited for, and so are bodies still arriving after
  // an early answer (`lingering`). A connection opened just before the signal gets a moment (200 ms) to send
  // its request; after that idle keep-alive connections are closed, though not while a connection lingers:
  // node:http counts it idle (its request was answered) and would cut it mid-body.
  while (elapsed() < l.o.shutdownTimeoutMs) {
    for (const [socket, last] of l.lingering) {
      if (performance.now() - last > LINGER_QUIET_MS) socket.destroy(); // its "close" takes it out
    }
    const handling = l.inFlight + l.uploading;
    if (handling === 0 && l.lingering.size === 0 && (l.sockets.size === 0 || elapsed() >= 200)) break;
    if (elapsed() >= 200 && l.lingering.size === 0) server.closeIdleConnections();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (l.inFlight + l.uploading > 0 || l.lingering.size > 0) {
    l.log({
      event: "shutdown_timeout",
      in_flight: l.inFlight,
      uploading: l.uploading,
      lingering: l.lingering.size,
      connections: l.sockets.size,
    });
  }
  server.close();
  // Idle keep-alive connections and clients still sending (or stalled) are cut now: nothing waits on them.
  server.closeAllConnections();
  for (const socket of l.sockets) socket.destroy();
  await finished;
}
