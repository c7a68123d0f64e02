/**
 * Answers written straight to a socket, where node:http hands the listener a socket rather than a request: a
 * CONNECT, and a client error (a read timeout, a malformed request).
 */
import type http from "node:http";
import type { Socket } from "node:net";
import { timerMs } from "../../base/index.ts";
import { type LogRecord, truncate } from "../log.ts";
import type { Listener } from "./listener.ts";
import { API_METHODS, forbiddenMethodDetail, NO_SNIFF, notSentDetail, unansweredLine } from "./request.ts";

/**
 * A whole response written straight to a socket node:http has let go of (a CONNECT) or given up on (a read
 * timeout, a malformed request): SPEC §4's `{"detail": …}` body like every other error, `nosniff` like every
 * other answer, and the connection closes after it. `headers`: more header lines, each ending in CRLF.
 */
function rawError(status: number, reason: string, detail: string, headers = ""): string {
  const body = JSON.stringify({ detail });
  return `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n${headers}Content-Type: application/json\r\n` +
    `${NO_SNIFF.name}: ${NO_SNIFF.value}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

// CONNECT's target is an authority (host:port), never a path of ours: refused like TRACE, then closed, as
// node:http leaves the socket to this listener (without one the connection was closed with no answer).
export function answerConnect(
  l: Listener,
  req: http.IncomingMessage,
  socket: Socket,
  head: Uint8Array = new Uint8Array(),
): void {
  const method = req.method ?? "CONNECT";
  const detail = forbiddenMethodDetail(method);
  // What the client sent behind it in the same read (node:http hands it over as `head`, parsed no further):
  // a request pipelined there went unanswered and unlogged (a review). The 405 closes the connection, so it is
  // logged as such, as bytes behind an upgrade request are (upgrade.ts).
  if (head.byteLength > 0) {
    l.log(unansweredLine(
      { peer: socket.remoteAddress, bytes: head.byteLength },
      `not answered: ${head.byteLength} bytes sent behind a CONNECT (${
        truncate(req.url ?? "", 100)
      }), which ` +
        "is answered 405 and closes the connection; send what followed again on a new connection",
    ));
  }
  // node:http has let go of the socket, its "error" listener too: a reset while the 405 waits its turn behind
  // the answers owed ahead of it would be thrown out of the process.
  socket.on("error", () => {});
  answerInTurn(
    l,
    socket,
    rawError(405, "Method Not Allowed", detail, `Allow: ${API_METHODS}\r\n`),
    { method, path: truncate(req.url ?? ""), status: 405, latency_ms: 0, peer: socket.remoteAddress, detail },
  );
}

/**
 * Counts a client error node:http reports, answers it (408, 431, 400) while the socket can, logs the answer
 * with the peer (a smuggling attempt, a slowloris or a 17 kB header left only a counter behind: a security
 * review), and cuts the socket.
 */
export function answerClientError(l: Listener, error: NodeJS.ErrnoException, socket: Socket): void {
  // node:http's read-timeout check reports a socket again each interval until it closes, and this one stays
  // open while its answer waits its turn (`answerInTurn`): answered once.
  if (l.erred.has(socket)) return;
  const timeout = error.code === "ERR_HTTP_REQUEST_TIMEOUT" || error.code === "ERR_HTTP_HEADERS_TIMEOUT";
  // A read timeout on a connection paused for leaving its answers unread (`Backpressure`) is the server not
  // reading, not a slow client: logged as the cut it is, not as "the request headers did not arrive" (an
  // operator's trial: node:http's header timeout, 10 s, comes before the pause's own, the request timeout).
  if (timeout && l.backpressure.isPaused(socket) && !socket.destroyed) {
    l.backpressure.cutPaused(socket);
    return;
  }
  l.erred.add(socket);
  if (timeout) l.counts.timeouts++;
  else l.counts.clientErrors++;
  const answer = socket.writable && !socket.destroyed ? clientErrorAnswer(l, error, socket) : null;
  if (answer === null) {
    socket.destroy();
    return;
  }
  // Logged even mid-body, where the request's own line may say the 400 too: it says what the app answered,
  // which is not what the client got when the app answered from the headers (401) and the parser then broke
  // on the body (an operator's trial of 016373b, which logged this line only before the body).
  answerInTurn(
    l,
    socket,
    rawError(answer.status, answer.reason, answer.detail),
    {
      status: answer.status,
      latency_ms: 0,
      peer: socket.remoteAddress,
      detail: answer.detail,
      code: truncate(error.code ?? "", 40),
    },
    () => {
      if (answer.midBody) l.answeredMidBody.set(socket, answer.status);
    },
    // A body the parser gave up on while the app may yet answer its request from the headers (401, 404, 415):
    // that answer is the request's, and goes out first (then this 400 goes unsent: it carries `Connection:
    // close`); if the app reads the body instead, this 400 is its answer. A read timeout comes after the app
    // has long decided.
    (go) => {
      const request = l.latestRequest.get(socket);
      if (answer.midBody && !timeout && request !== undefined) {
        l.owed.whenDecided(socket, request, go, l.o.requestTimeoutMs);
      } else go();
    },
  );
}

/**
 * Writes `answer` straight to `socket` and closes it, logging `line` once it is written, after the answers
 * node:http still owes before it on the connection (`Owed.afterWholeAnswers`: to the requests that arrived
 * whole, and those the app already ended to one still arriving), as HTTP/1.1 requires of pipelined answers.
 * Written at once, it overtook them and the socket was cut: a valid request followed by a malformed one (or a
 * CONNECT) got the 400 in place of its 200, which its request line and /metrics said it got (an operator's soak
 * test). Node's own clientError handler writes its 400 only while no answer is under way. Meanwhile nothing
 * more is read: node:http's parser is gone. If the connection closes first (cut for leaving its answers
 * unread, or its client gone) the answer is never sent, and its line says so. `first` is waited for before
 * the answers owed are looked at (`go` once it has been).
 */
function answerInTurn(
  l: Listener,
  socket: Socket,
  answer: string,
  line: LogRecord & { status: number; detail: string },
  beforeWrite = () => {},
  first = (go: () => void) => go(),
): void {
  l.backpressure.stopReading(socket);
  first(() =>
    l.owed.afterWholeAnswers(socket, () => {
      beforeWrite();
      l.log(line);
      endWith(l, socket, answer);
    }, () => {
      const { status, latency_ms: _, detail, ...rest } = line;
      l.log(unansweredLine(rest, notSentDetail(status, detail, "the answers owed ahead of it were written")));
      socket.destroy();
    })
  );
}

/**
 * Ends `socket` with `text` and destroys it: at once when `text` is already handed to the system (as it always
 * was), else once it is, or at the request timeout for a client that reads nothing. Destroyed at once, an
 * answer queued behind a large one owed ahead of it was dropped with it.
 */
function endWith(l: Listener, socket: Socket, text: string): void {
  socket.end(text);
  if (socket.writableLength === 0) {
    socket.destroy();
    return;
  }
  const timer = setTimeout(() => socket.destroy(), timerMs(l.o.requestTimeoutMs));
  socket.once("finish", () => socket.destroy());
  socket.once("close", () => clearTimeout(timer));
}

/**
 * What a client error is answered: 408 for a read timeout, 431, 400 for what the parser refused; else null.
 * `midBody`: it answers the latest request, whose body did not arrive whole (its line then says this status,
 * through `answeredMidBody`, once it is written).
 */
function clientErrorAnswer(
  l: Listener,
  error: NodeJS.ErrnoException,
  socket: Socket,
): { status: number; reason: string; detail: string; midBody: boolean } | null {
  // The latest request's headers arrived and its body did not end: the answer is that request's own.
  const request = l.latestRequest.get(socket);
  const midBody = request !== undefined && !request.complete;
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    return {
      status: 408,
      reason: "Request Timeout",
      midBody,
      detail: midBody
        ? `the request did not arrive whole within ${l.o.requestTimeoutMs / 1000} s (the server's request ` +
          "timeout); send it again, at once"
        : `the request headers did not arrive whole within ${l.headersTimeoutMs / 1000} s (the server's ` +
          "header timeout); send them again, at once",
    };
  }
  if (error.code === "HPE_HEADER_OVERFLOW") {
    return {
      status: 431,
      reason: "Request Header Fields Too Large",
      midBody: false,
      detail: "the request headers are too large; send fewer or shorter headers",
    };
  }
  if (error.code?.startsWith("HPE_")) {
    // Mid-body it is the body's framing that broke, e.g. a chunk size that is not hex: said so, where the old
    // text blamed the headers.
    return {
      status: 400,
      reason: "Bad Request",
      midBody,
      detail: midBody
        ? "malformed HTTP request: its body does not follow its framing (Content-Length or chunked " +
          "Transfer-Encoding); check the client"
        : "malformed HTTP request: its request line or headers could not be parsed; check the client",
    };
  }
  return null;
}
