/**
 * The answers each connection owes: its requests node:http handed on whose answers are not yet written, oldest
 * first. HTTP/1.1 answers pipelined requests in the order they came, and node:http keeps to it (the answer
 * in progress is the socket's `_httpMessage`, the rest wait in its queue), but only for what goes through it.
 * What the listener writes straight to the socket (a client error's 400) must wait for the answers owed
 * ahead of it, and what it logs must be what was written: an answer queued behind one that closes the
 * connection is never sent (an operator's soak test found both: a 200 logged and never sent, the 400 read in
 * its place; 503s logged behind a draining server's `Connection: close`).
 */
import type http from "node:http";
import type { Socket } from "node:net";
import { timerMs } from "../../base/index.ts";

interface Connection {
  /** Answers owed, in the order of their requests (node:http writes them in that order). */
  readonly owed: Set<http.ServerResponse>;
  /** An answer handed to node:http closes the connection after it: no request behind it will be answered. */
  closing: boolean;
}

export class Owed {
  readonly #connections = new WeakMap<Socket, Connection>();
  /** Requests whose answer the app may yet give from the headers alone (`undecided`), with who waits for it. */
  readonly #undecided = new WeakMap<http.IncomingMessage, Set<() => void>>();

  #of(socket: Socket): Connection {
    let c = this.#connections.get(socket);
    if (!c) {
      c = { owed: new Set(), closing: false };
      this.#connections.set(socket, c);
    }
    return c;
  }

  /** A request of `socket`'s was handed on with `res`: owed until `res` is written (or the connection goes). */
  add(socket: Socket, res: http.ServerResponse): void {
    const { owed } = this.#of(socket);
    owed.add(res);
    const settled = () => owed.delete(res);
    res.once("finish", settled);
    res.once("close", settled);
  }

  /**
   * An answer to one of `socket`'s requests will close the connection once written (it carries `Connection:
   * close`, or its request asked for that): requests that arrive after it can never be answered.
   */
  closeAfter(socket: Socket): void {
    this.#of(socket).closing = true;
  }

  /** Whether a request arriving on `socket` now can no longer be answered (`closeAfter`, or the socket ended). */
  closing(socket: Socket): boolean {
    return socket.destroyed || socket.writableEnded || (this.#connections.get(socket)?.closing ?? false);
  }

  /** Whether answers are owed on `socket` to requests that came after `res`'s: it is not the last. */
  followed(socket: Socket, res: http.ServerResponse): boolean {
    const owed = this.#connections.get(socket)?.owed;
    if (owed === undefined) return false;
    let after = false;
    for (const other of owed) {
      if (after) return true;
      after = other === res;
    }
    return false;
  }

  /**
   * Calls `written` once `res` is written to `socket`, or `dropped` if the connection closes first (it was
   * queued behind an answer that closed it, or the connection was cut). Call before `res.end()`.
   */
  whenWritten(socket: Socket, res: http.ServerResponse, written: () => void, dropped: () => void): void {
    settleOnce(socket, res, written, dropped);
  }

  /**
   * `req` is handed to the app with a body the HTTP parser may yet give up on (chunked: its framing can
   * break), and the app has not asked for that body: it may answer from the headers alone (401, 404, 415).
   * Returns `decided`, to call when the app first reads the body or its handling of `req` ends.
   */
  undecided(req: http.IncomingMessage): () => void {
    const waiting = new Set<() => void>();
    this.#undecided.set(req, waiting);
    return () => {
      if (this.#undecided.get(req) !== waiting) return;
      this.#undecided.delete(req);
      for (const go of waiting) go();
    };
  }

  /**
   * Calls `then` once the app has decided `req`'s answer (`undecided`): it read the body (the parser's 400 is
   * then the answer), or its handling ended (its answer, if any, is then owed ahead). At once when it had; at
   * the latest after `limitMs`, or when `socket` closes. Written at once, the parser's 400 to a body that
   * broke in the same read as its headers went out before the app's 401 to those headers, which the app
   * logged and counted in /metrics (an operator's soak test).
   */
  whenDecided(socket: Socket, req: http.IncomingMessage, then: () => void, limitMs: number): void {
    const waiting = this.#undecided.get(req);
    if (waiting === undefined || socket.destroyed) return then();
    let done = false;
    const go = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      waiting.delete(go);
      socket.off("close", go);
      then();
    };
    // A delay past a timer's 2^31 − 1 ms fires after 1 ms (`timerMs` holds it there).
    const timer = setTimeout(go, timerMs(limitMs));
    waiting.add(go);
    socket.once("close", go);
  }

  /**
   * Calls `then` once the answers owed ahead on `socket` are written (at once when none is) and the socket can
   * still be written, else `dropped` (the connection closed first). Owed ahead: the answers to requests that
   * arrived whole, and those the app already ended to a request still arriving (an early 401 that closes the
   * connection); the owed answers are looked at again once the last of them is written. A request still
   * arriving whose answer the app has not ended owes nothing ahead: the answer written then is its own.
   */
  afterWholeAnswers(socket: Socket, then: () => void, dropped: () => void): void {
    const owed = this.#connections.get(socket)?.owed ?? new Set();
    // node:http writes answers in order, so the last owed to a whole request is written after all the others.
    // An answer the app ended meanwhile to a request still arriving (an early 401 that closes the connection)
    // is owed ahead too, so it is asked again once that one is written: waiting for the whole requests' alone,
    // the 400 went out behind a closing 401 and was logged as sent (a review).
    const last = [...owed].filter((res) => res.req.complete || res.writableEnded).at(-1);
    const again = () =>
      !socket.writable || socket.destroyed ? dropped() : this.afterWholeAnswers(socket, then, dropped);
    if (last === undefined) socket.writable && !socket.destroyed ? then() : dropped();
    else settleOnce(socket, last, again, dropped);
  }
}

/** `written` on `res`'s "finish", `dropped` on `socket`'s "close" if that comes first: whichever, once. */
function settleOnce(
  socket: Socket,
  res: http.ServerResponse,
  written: () => void,
  dropped: () => void,
): void {
  if (socket.destroyed) return dropped();
  const onFinish = () => {
    socket.off("close", onClose);
    written();
  };
  const onClose = () => {
    res.off("finish", onFinish);
    dropped();
  };
  res.once("finish", onFinish);
  socket.once("close", onClose);
}
