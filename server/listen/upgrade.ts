/**
 * A request asking to switch protocols (`Connection: Upgrade` with `Upgrade: websocket`, or h2c): serve
 * upgrades nothing, so it is answered as any other request, and its answer closes the connection.
 *
 * Why close. node:http's parser (llhttp) stops at the end of such a request as if the protocol had switched;
 * when the server declines the upgrade (`shouldUpgradeCallback`, which node:http calls for every such
 * request), it hands the request on as usual, but the rest of the bytes read with it are dropped unparsed, as
 * are further reads of the same burst (a review: 90 KB behind it were dropped over two reads, logged as two
 * lines), while a write the client makes later is parsed again. So a request pipelined behind it in the same write got no answer and
 * left no log line, and one in a later write was answered: which, depended on how TCP cut the bytes (a
 * security review). Answered with `Connection: close`, nothing behind an upgrade request is ever answered,
 * and all of it is logged: a request node:http parses later as `unanswered` (request.ts), the bytes it drops
 * by `watchDropped` here. (Answering them in order would mean feeding them to the parser again by hand.)
 */
import type http from "node:http";
import type { Socket } from "node:net";
import { truncate } from "../log.ts";
import type { Listener } from "./listener.ts";
import { unansweredLine } from "./request.ts";

/**
 * The index of node:http's parser callback that is handed each read's result (`kOnExecute`: 5 in Node's
 * node_http_parser.cc and in Deno 2.9's llhttp binding, which calls it with the bytes parsed and, after a
 * request flagged as an upgrade, the bytes read).
 */
const K_ON_EXECUTE = 5;

/** What of node:http's per-connection parser `watchDropped` reads: the socket it serves, and its callbacks. */
interface ParserInternals {
  socket?: unknown;
  [K_ON_EXECUTE]?: unknown;
}

type OnExecute = (...args: unknown[]) => unknown;

/** The latest request on each connection that asked to upgrade: what a line of dropped bytes names. */
const lastAsked = new WeakMap<Socket, http.IncomingMessage>();

/**
 * node:http's `shouldUpgradeCallback`: called, while its headers are parsed, for each request llhttp flags as
 * an upgrade (not CONNECT, which the listener answers in socket_answers.ts). Declines it, so that node:http
 * hands it on as a request (`handleRequest`, which then closes the connection after its answer), and logs the
 * bytes the parser drops behind it.
 */
export function declineUpgrade(l: Listener, req: http.IncomingMessage): false {
  l.upgrades.add(req);
  if (!lastAsked.has(req.socket)) watchDropped(l, req.socket);
  lastAsked.set(req.socket, req);
  return false;
}

/**
 * Logs, as `unanswered` with the peer and the count, the bytes node:http's parser drops on `socket` after a
 * request that asked to upgrade: those read together with its end, where the parser stopped. The parser
 * reports how far it got in each read (`K_ON_EXECUTE`), the only place that count is seen; on a runtime whose
 * parser reports it otherwise this logs nothing (listen_test's upgrade test then fails).
 */
function watchDropped(l: Listener, socket: Socket): void {
  const parser = (socket as Socket & { parser?: ParserInternals | null }).parser;
  if (parser == null || typeof parser[K_ON_EXECUTE] !== "function") return;
  const onExecute = parser[K_ON_EXECUTE] as OnExecute;
  parser[K_ON_EXECUTE] = (...args: unknown[]) => {
    const [parsed, read] = args;
    const asked = lastAsked.get(socket);
    // `parser.socket`: a parser freed and handed to another connection is given that one's own callback; this
    // guards the moment between.
    if (
      asked !== undefined && parser.socket === socket && typeof parsed === "number" && parsed >= 0 &&
      read instanceof Uint8Array && read.byteLength > parsed
    ) {
      const bytes = read.byteLength - parsed;
      l.log(unansweredLine(
        { peer: socket.remoteAddress, bytes },
        `not answered: ${bytes} bytes sent behind a request asking to upgrade the connection ` +
          `(${truncate(asked.method ?? "", 20)} ${truncate(asked.url ?? "", 100)}, Upgrade: ` +
          `${truncate(String(asked.headers.upgrade ?? ""), 40)}) were dropped unread by the HTTP parser; ` +
          "serve upgrades nothing: that request is answered as any other, with Connection: close; send " +
          "what followed again on a new connection",
      ));
    }
    return onExecute(...args);
  };
}
