/** The node:http server of one listener: its timeouts and connection cap, each event wired to its answer. */
import http from "node:http";
import type { Socket } from "node:net";
import { connectionCap } from "../open_file_limit.ts";
import type { Listener } from "./listener.ts";
import { type Fetch, handleRequest } from "./request.ts";
import { answerClientError, answerConnect } from "./socket_answers.ts";
import { declineUpgrade } from "./upgrade.ts";

export function createServer(l: Listener, fetch: Fetch): http.Server {
  const { o } = l;
  const server = http.createServer({
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    // How often the read timeouts are checked; node's default (30 s) would let a stalled socket live that long.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, o.headersTimeoutMs / 4)),
    // `admit` (request.ts) refuses a missing Host itself, with a JSON detail and a log line.
    requireHostHeader: false,
    // A request asking to upgrade the connection is declined, answered as any other (upgrade.ts says why its
    // answer then closes the connection). node:http's own default also declines while there is no "upgrade"
    // listener, but left the bytes its parser dropped behind such a request unseen.
    shouldUpgradeCallback: (req: http.IncomingMessage) => declineUpgrade(l, req),
  }, (req, res) => void handleRequest(l, fetch, req, res));
  // With a listener here node:http no longer answers `Expect: 100-continue` itself (`handleRequest` says why).
  server.on(
    "checkContinue",
    (req: http.IncomingMessage, res: http.ServerResponse) => void handleRequest(l, fetch, req, res, true),
  );
  // Any other expectation node:http answered itself, 417 with an empty body before the app's auth (a client
  // without the key got 417, not 401), never logged nor counted (a security seat). RFC 9110 lets a server
  // ignore an expectation it does not know: the app answers such a request as any other, its body sent at once.
  server.on(
    "checkExpectation",
    (req: http.IncomingMessage, res: http.ServerResponse) => void handleRequest(l, fetch, req, res),
  );
  // A client may half-close (shutdown(SHUT_WR)) right after a whole request and wait for the answer. node:http
  // by default aborts the request on that FIN, so such a request got no answer at all unless the client paused
  // first; half-open, it is answered and the connection then ends. (`httpAllowHalfOpen` is the property
  // node:http's server reads for this, without an option to set it; the listen tests cover it.)
  (server as unknown as { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // The cap is applied here rather than with `server.maxConnections`, whose drops Deno's node:http does not
  // report: a connection over it is accepted and closed at once, so descriptors never run out.
  const cap = connectionCap(o.maxConnections);
  server.on("connection", (socket: Socket) => accept(l, cap, socket));
  server.on(
    "connect",
    (req: http.IncomingMessage, socket: Socket, head: Uint8Array) => answerConnect(l, req, socket, head),
  );
  server.on(
    "clientError",
    (error: NodeJS.ErrnoException, socket: Socket) => answerClientError(l, error, socket),
  );
  return server;
}

/** Tracks a new connection, or closes it at once when `cap` are open. */
function accept(l: Listener, cap: number, socket: Socket): void {
  if (l.sockets.size >= cap) {
    l.counts.connectionsDropped++;
    socket.destroy();
    return;
  }
  l.sockets.add(socket);
  socket.once("close", () => l.sockets.delete(socket));
  // Each request in flight listens for its connection's "end" (`onEnd` in throughApp, request.ts) until it is
  // done, and node:http hands on pipelined requests before the earlier ones are answered: past 10 at once on
  // one connection, Node printed a MaxListenersExceededWarning (not a JSON line, and no leak) to stderr.
  socket.setMaxListeners(0);
}
