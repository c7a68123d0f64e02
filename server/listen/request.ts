/**
 * One request: refused here when the listener can answer it without the app (a method or target it cannot
 * take, no Host, draining, over `maxInFlight`), else handed to the app and its answer written.
 */
import type http from "node:http";
import { CLOSED_MID_BODY, markArrival, markBodyBrokenOff } from "../body.ts";
import { requestBody } from "../request_body.ts";
import { markRemoteAddress } from "../rate_limit.ts";
import { type LogRecord, truncate } from "../log.ts";
import type { Listener } from "./listener.ts";

/** What the app answers a `Request` with. */
export type Fetch = (request: Request) => Response | Promise<Response>;

/** The path of a request target; only origin-form (`/path?query`) and absolute-form are accepted. */
export function targetPath(target: string): string | null {
  if (target.startsWith("/")) {
    const end = target.search(/[?#]/);
    return end < 0 ? target : target.slice(0, end);
  }
  if (/^https?:\/\//i.test(target)) {
    try {
      return new URL(target).pathname;
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Methods the fetch standard forbids in a `Request` (its constructor throws "Method is forbidden"), so the app
 * can never be handed one; node:http parses TRACE as a request and hands CONNECT to a "connect" listener. They
 * are answered here, as the app answers a method a route does not take. (TRACK, the third, node's parser
 * refuses as malformed: 400.)
 */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE"]);

/** The methods the API's routes answer (app.ts ROUTES), for the `Allow` header of a forbidden method's 405. */
export const API_METHODS = "GET, HEAD, POST";

/** The 405 detail of a method `FORBIDDEN_METHODS` holds. */
export const forbiddenMethodDetail = (method: string) =>
  `${method} is not supported; the API answers GET, HEAD and POST`;

/** Whether a request declares a body (node:http marks even a bodiless request incomplete until it is parsed). */
const declaresBody = (req: http.IncomingMessage) =>
  req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;

/**
 * `X-Content-Type-Options: nosniff`, on every answer the listener sends: its own (`json`, and the raw ones of
 * socket_answers.ts) and the app's (`writeAnswer`, whichever `Fetch` it serves). Without it a browser may read
 * a JSON body that quotes the client (a path, a detail) as HTML (a security review).
 */
export const NO_SNIFF = { name: "X-Content-Type-Options", value: "nosniff" } as const;

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(text)),
    [NO_SNIFF.name]: NO_SNIFF.value,
    ...headers,
  });
  res.end(text);
}

/** A request as it arrived, and what the listener read off it before deciding who answers it. */
interface Arrival {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  /** Its client sent `Expect: 100-continue` (`handleRequest`). */
  readonly expectsContinue: boolean;
  /** `performance.now()` when it was handed over. */
  readonly arrived: number;
  readonly method: string;
  readonly target: string;
  /** `targetPath` of the target: null for a target that is not a path. */
  readonly path: string | null;
  /** Its path is one of `alwaysOpen`: never counted in flight nor shed. */
  readonly open: boolean;
  /**
   * The socket's remote address, read on arrival: node:http forgets it once the socket is destroyed, which a
   * read timeout or a client gone does before a small body's request reaches the app.
   */
  readonly peer: string | undefined;
}

/**
 * Handles one request. `expectsContinue`: its client sent `Expect: 100-continue` and waits for `100 Continue`
 * before sending the body (curl on large uploads, .NET's HttpClient with ExpectContinue). node:http sent that
 * at once, before anything here looked at the request, so a body about to be refused from its headers alone
 * (413 on Content-Length, 401, 415, 403, 429, 404, 405) was uploaded in full first. Now `100 Continue` goes
 * out only when the app starts reading the body (`requestBody`): whatever the app refuses without reading
 * it is answered at once, by the app's own rules, and the body is never asked for.
 */
export async function handleRequest(
  l: Listener,
  fetch: Fetch,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  expectsContinue = false,
): Promise<void> {
  // Requests parsed from bytes read before their connection was cut (`Backpressure`): no one to answer.
  if (req.socket.destroyed) return;
  const arrived = performance.now();
  const method = req.method ?? "GET";
  const target = req.url ?? "/";
  const path = targetPath(target);
  const open = path !== null && l.alwaysOpen.has(path);
  const peer = req.socket.remoteAddress;
  // Counted until its answer is written (or the connection goes), whoever answers it: refusals pile up too.
  const answered = l.backpressure.arrived(req.socket);
  res.once("finish", answered);
  res.once("close", answered);
  const a: Arrival = { req, res, expectsContinue, arrived, method, target, path, open, peer };
  if (l.owed.closing(req.socket)) {
    unanswered(l, a);
    return;
  }
  l.owed.add(req.socket, res);
  // Its client asked for the connection to end after this answer (`Connection: close`, or HTTP/1.0 without
  // keep-alive): node:http closes it then.
  if (!res.shouldKeepAlive) l.owed.closeAfter(req.socket);
  // It asked to upgrade the connection, which serve never does: answered as any other request, and the
  // connection closed after it (upgrade.ts says why). Set here, the header goes on whoever's answer it gets.
  // Before, the connection stayed open while whatever its client had sent behind it in the same write was
  // dropped, unanswered and unlogged.
  if (l.upgrades.has(req)) {
    res.setHeader("Connection", "close");
    l.owed.closeAfter(req.socket);
  }
  if (!admit(l, a)) return;
  await throughApp(l, fetch, a);
}

/**
 * Answers the requests the listener refuses before the app (405, 400, 503 while draining, 503 over
 * `maxInFlight`); returns whether `a` is admitted, its path then known.
 */
function admit(l: Listener, a: Arrival): a is Arrival & { readonly path: string } {
  const { req, method, path } = a;
  if (FORBIDDEN_METHODS.has(method)) {
    answerQuickly(l, a, 405, forbiddenMethodDetail(method), { Allow: API_METHODS });
    return false;
  }
  if (path === null) {
    answerQuickly(l, a, 400, "the request target must be a path like /predict");
    return false;
  }
  // HTTP/1.1 requires a Host header (RFC 9112 §3.2). node:http's own check sent a bare 400, with no JSON
  // detail (SPEC §4) and no log line; it is switched off (`requireHostHeader`, in server.ts) for this one.
  if (req.httpVersion === "1.1" && req.headers.host === undefined) {
    answerQuickly(
      l,
      a,
      400,
      "an HTTP/1.1 request must carry a Host header (RFC 9112 §3.2); check the client",
      { Connection: "close" },
      true,
    );
    return false;
  }
  if (l.draining && !(a.open && l.o.openWhileDraining)) {
    answerQuickly(l, a, 503, "the server is shutting down; retry in a moment", {
      Connection: "close",
      "Retry-After": "1",
    }, true);
    return false;
  }
  if (!a.open && l.inFlight >= l.o.maxInFlight) {
    l.counts.requestsShed++;
    answerQuickly(l, a, 503, "the server is busy; retry in a moment", { "Retry-After": "1" });
    return false;
  }
  return true;
}

/**
 * A request pipelined behind an answer that closes its connection (`Owed.closing`): node:http never writes an
 * answer queued there, so it is neither answered nor handed to the app, and its line says so. A draining
 * server's 503s behind its first were logged, and the app's counted in /metrics, though none was sent (an
 * operator's soak test). A client sends such a request again on a new connection (RFC 9112 §9.3.2).
 */
function unanswered(l: Listener, a: Arrival): void {
  l.log(unansweredLine(
    { method: truncate(a.method, 20), path: truncate(a.path ?? a.target), peer: a.peer },
    "not answered: an answer before it on the connection closes it (Connection: close)",
  ));
  a.req.resume(); // its body, if any, is dropped as it arrives
}

/**
 * The `unanswered` log line of a request, or of the listener's own answer, that never reached the client:
 * `what` names it (method, path, peer, or a client error's peer and code), `detail` says why.
 */
export function unansweredLine(what: LogRecord, detail: string): LogRecord {
  return { event: "unanswered", ...what, detail };
}

/** An `unanswered` line's detail for the listener's own answer: "its 503 (…) was not sent: the connection …". */
export function notSentDetail(status: number, detail: string, closedBefore: string): string {
  return `its ${status} (${detail}) was not sent: the connection closed before ${closedBefore}`;
}

/**
 * The listener's own answer to `a` (the app never sees it): a JSON detail, and a log line like the app's once
 * it is written (an `unanswered` line if the connection closes first).
 */
function answerQuickly(
  l: Listener,
  a: Arrival,
  status: number,
  detail: string,
  headers: Record<string, string> = {},
  closes = false,
): void {
  const { req, res, expectsContinue } = a;
  const method = truncate(a.method, 20);
  const path = truncate(a.path ?? a.target);
  // `peer`, not `client`: the listener reads no proxy's header (`--trusted-proxies` is the app's), so behind a
  // proxy this is the proxy.
  l.owed.whenWritten(
    req.socket,
    res,
    () => l.log({ method, path, status, latency_ms: 0, peer: a.peer, detail }),
    () =>
      l.log(unansweredLine({ method, path, peer: a.peer }, notSentDetail(status, detail, "it was written"))),
  );
  // With Expect, the body was never asked for: this connection cannot carry another request unless the
  // client sends it anyway (RFC 9110 §10.1.1). A draining server's 503 ends its connection too (`closes`).
  // Either way a declared body may still be arriving: the connection ends once the answer is out, lingering
  // for that body (`lingerUntilBodyEnds`), and whatever arrives is dropped. Closed at once, a client still
  // writing met a reset instead of the 503 that tells it to retry elsewhere.
  if (!req.complete && (expectsContinue || closes)) {
    headers = { ...headers, Connection: "close" };
    if (declaresBody(req)) {
      l.linger(req.socket, req, l.o.requestTimeoutMs - (performance.now() - a.arrived), !expectsContinue);
      req.resume();
    }
  }
  if (headers.Connection === "close") l.owed.closeAfter(req.socket);
  json(res, status, { detail }, headers);
}

/**
 * Hands an admitted request to the app, counted in flight unless `open` once its body is read (`uploading`
 * until then), and writes the app's answer.
 */
async function throughApp(l: Listener, fetch: Fetch, a: Arrival & { readonly path: string }): Promise<void> {
  const { req, res, open } = a;
  let counted = false;
  let abandon: (() => void) | undefined;
  const socket = req.socket;
  l.latestRequest.set(socket, req);
  // Connections are half-open (server.ts): a client's FIN no longer aborts its request. One whose body is
  // still short then can never complete it, so its connection is cut at once, as before, not held to the
  // timeout.
  const onEnd = () => {
    if (req.complete) return;
    l.counts.clientErrors++;
    socket.destroy();
  };
  if (socket.readableEnded) onEnd();
  else socket.once("end", onEnd);
  // The body broke off: what the client got is a 408 if the read timeout answered it, else nothing. The app
  // logs and counts that (server/body.ts), not its own answer to the broken body, which goes nowhere.
  let brokenOff: number | undefined;
  let request: Request | undefined;
  const brokeOff = () => {
    brokenOff ??= l.answeredMidBody.get(socket) ?? CLOSED_MID_BODY;
    if (request) markBodyBrokenOff(request, brokenOff);
  };
  // A chunked body can break at the parser after the app has answered from the headers alone: the parser's
  // 400 then waits for the app's answer (`Owed.whenDecided`) until the app first reads the body (asked for
  // on the first read, as with Expect) or its handling ends.
  const decided = req.headers["transfer-encoding"] !== undefined ? l.owed.undecided(req) : undefined;
  try {
    const headers = headersOf(req);
    l.uploading++;
    const body = await requestBody(
      req,
      a.method,
      brokeOff,
      a.expectsContinue || decided !== undefined
        ? () => {
          decided?.();
          if (a.expectsContinue && !res.headersSent && !res.destroyed) res.writeContinue();
        }
        : undefined,
    ).finally(() => l.uploading--);
    abandon = body.abandon;
    if (!open) {
      // `admit` shed what came over the limit; bodies that finished arriving together can pass it again. A body
      // that broke off goes on to the app, which logs it as such and calls no model: it is not "busy".
      if (l.inFlight >= l.o.maxInFlight && brokenOff === undefined) {
        l.counts.requestsShed++;
        answerQuickly(l, a, 503, "the server is busy; retry in a moment", { "Retry-After": "1" }, true);
        return;
      }
      l.inFlight++;
      counted = true;
    }
    request = toRequest(a, headers, body.init);
    if (brokenOff !== undefined) markBodyBrokenOff(request, brokenOff);
    const response = await fetch(request);
    const answer = a.method === "HEAD" ? null : new Uint8Array(await response.arrayBuffer());
    if (brokenOff === undefined) writeAnswer(l, a, response, answer);
  } catch (error) {
    if (!res.headersSent && !res.destroyed) {
      l.log({ event: "server_error", error: error instanceof Error ? error.stack : String(error) });
      // Before the body ended (a broken chunked one, say), the 500 ends the connection as writeAnswer's early
      // answers do: left open, the listener's 400 for that body went out after it, two answers to one request
      // (a review of d3e3832).
      const early = !req.complete;
      if (early) {
        l.owed.closeAfter(req.socket);
        l.linger(req.socket, req, l.o.requestTimeoutMs - (performance.now() - a.arrived));
      }
      json(res, 500, { detail: "internal server error" }, early ? { Connection: "close" } : {});
    }
  } finally {
    if (counted) l.inFlight--;
    if (!req.complete) abandon?.();
    socket.off("end", onEnd);
    decided?.();
  }
}

/** A request's headers as node:http received them, repeats and order kept. */
function headersOf(req: http.IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  return headers;
}

/** The `Request` the app is handed, marked with when it arrived and where from. */
function toRequest(a: Arrival & { readonly path: string }, headers: Headers, body: BodyInit | null): Request {
  // The URL is built from the request target alone: a Host header like `x/metrics?` must not reroute.
  const request = new Request(`http://candlecast.invalid${a.target.startsWith("/") ? a.target : a.path}`, {
    method: a.method,
    headers,
    body,
    // @ts-expect-error: `duplex` is required by fetch for a streamed body, missing from Deno's RequestInit
    // type (expect-error, so the day Deno types it this line fails the check and goes).
    duplex: "half",
  });
  markArrival(request, a.arrived);
  if (a.peer !== undefined) markRemoteAddress(request, a.peer);
  return request;
}

/** Writes the app's answer, unless the connection is gone. */
function writeAnswer(l: Listener, a: Arrival, response: Response, answer: Uint8Array | null): void {
  const { req, res } = a;
  const out: Record<string, string> = {};
  response.headers.forEach((value, key) => out[key] = value);
  if (answer !== null) out["content-length"] = String(answer.byteLength);
  // By its lower-case name, as `forEach` gives the app's: one header, whether the app set it or not.
  out[NO_SNIFF.name.toLowerCase()] = NO_SNIFF.value;
  // Draining, the connection ends after this answer and the client reconnects elsewhere (another worker, or
  // later); after the last answer owed on it, though, when requests already read are pipelined behind this
  // one: node:http writes nothing queued behind an answer that closes the connection, and the app has logged
  // (and /metrics counted) theirs.
  if (l.draining && !l.owed.followed(req.socket, res)) out["connection"] = "close";
  const early = !req.complete;
  if (early) {
    // The app answered before the body ended: the rest is dropped as it arrives (`abandon`, in throughApp),
    // and the connection ends after it rather than carry another request.
    out["connection"] = "close";
  }
  if (res.destroyed) return;
  if (out["connection"]?.toLowerCase() === "close") l.owed.closeAfter(req.socket);
  if (early) l.linger(req.socket, req, l.o.requestTimeoutMs - (performance.now() - a.arrived));
  res.writeHead(response.status, out);
  res.end(answer ?? undefined);
}
