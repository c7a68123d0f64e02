/**
 * Answers written straight to a socket, where node:http hands the listener a socket rather than a request: a
 * CONNECT, and a client error (a read timeout, a malformed request).
 */
import type http from "node:http";
import type { Socket } from "node:net";
import { truncate } from "../log.ts";
import type { Listener } from "./listener.ts";
import { API_METHODS, forbiddenMethodDetail } from "./request.ts";

/**
 * A whole response written straight to a socket the HTTP parser gave up on (a read timeout, a malformed
 * request): SPEC §4's `{"detail": …}` body like every other error, and the connection closes after it.
 */
function rawError(status: number, reason: string, detail: string): string {
  const body = JSON.stringify({ detail });
  return `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

// CONNECT's target is an authority (host:port), never a path of ours: refused like TRACE, then closed, as
// node:http leaves the socket to this listener (without one the connection was closed with no answer).
export function answerConnect(l: Listener, req: http.IncomingMessage, socket: Socket): void {
  const method = req.method ?? "CONNECT";
  const detail = forbiddenMethodDetail(method);
  l.log({
    method,
    path: truncate(req.url ?? ""),
    status: 405,
    latency_ms: 0,
    peer: socket.remoteAddress,
    detail,
  });
  if (socket.writable && !socket.destroyed) {
    const body = JSON.stringify({ detail });
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nAllow: ${API_METHODS}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * Counts a client error node:http reports, answers it (408, 431, 400) while the socket can, logs the answer
 * with the peer (a smuggling attempt, a slowloris or a 17 kB header left only a counter behind: a security
 * review), and cuts the socket.
 */
export function answerClientError(l: Listener, error: NodeJS.ErrnoException, socket: Socket): void {
  const timeout = error.code === "ERR_HTTP_REQUEST_TIMEOUT" || error.code === "ERR_HTTP_HEADERS_TIMEOUT";
  // A read timeout on a connection paused for leaving its answers unread (`Backpressure`) is the server not
  // reading, not a slow client: logged as the cut it is, not as "the request headers did not arrive" (an
  // operator's trial: node:http's header timeout, 10 s, comes before the pause's own, the request timeout).
  if (timeout && l.backpressure.isPaused(socket) && !socket.destroyed) {
    l.backpressure.cutPaused(socket);
    return;
  }
  if (timeout) l.counts.timeouts++;
  else l.counts.clientErrors++;
  const answer = socket.writable && !socket.destroyed ? clientErrorAnswer(l, error, socket) : null;
  // Logged even mid-body, where the request's own line may say the 400 too: it says what the app answered,
  // which is not what the client got when the app answered from the headers (401) and the parser then broke
  // on the body (an operator's trial of 016373b, which logged this line only before the body).
  if (answer !== null) {
    l.log({
      status: answer.status,
      latency_ms: 0,
      peer: socket.remoteAddress,
      detail: answer.detail,
      code: truncate(error.code ?? "", 40),
    });
  }
  if (answer !== null) socket.end(rawError(answer.status, answer.reason, answer.detail));
  socket.destroy();
}

/** What a client error is answered: 408 for a read timeout, 431, 400 for what the parser refused; else null. */
function clientErrorAnswer(
  l: Listener,
  error: NodeJS.ErrnoException,
  socket: Socket,
): { status: number; reason: string; detail: string } | null {
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    l.answeredMidBody.set(socket, 408);
    const request = l.latestRequest.get(socket);
    return {
      status: 408,
      reason: "Request Timeout",
      detail: request !== undefined && !request.complete
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
      detail: "the request headers are too large; send fewer or shorter headers",
    };
  }
  if (error.code?.startsWith("HPE_")) {
    // Mid-body (the latest request's headers arrived, its body did not end) it is the body's framing that
    // broke, e.g. a chunk size that is not hex: said so, where the old text blamed the headers.
    const request = l.latestRequest.get(socket);
    const midBody = request !== undefined && !request.complete;
    if (midBody) l.answeredMidBody.set(socket, 400);
    return {
      status: 400,
      reason: "Bad Request",
      detail: midBody
        ? "malformed HTTP request: its body does not follow its framing (Content-Length or chunked " +
          "Transfer-Encoding); check the client"
        : "malformed HTTP request: its request line or headers could not be parsed; check the client",
    };
  }
  return null;
}
