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
import http from "node:http";
import type { Socket } from "node:net";
import { CLOSED_MID_BODY, markArrival, markBodyBrokenOff } from "./body.ts";
import { requestBody } from "./request_body.ts";
import { markRemoteAddress } from "./rate_limit.ts";
import type { Logger } from "./log.ts";
import { truncate } from "./log.ts";
import type { Sample } from "./metrics.ts";
import { ReportedError, timerMs } from "../base/index.ts";
import { connectionCap } from "./open_file_limit.ts";

export interface ListenOptions {
  readonly hostname: string;
  /** 0 picks a free port (tests, benches); the bound one is in `port`. */
  readonly port: number;
  readonly log?: Logger;
  /** Longest wait for requests in flight at shutdown before every connection is cut (default 10 s). */
  readonly shutdownTimeoutMs?: number;
  /** Longest time a client may take to send a request's headers (default 10 s). */
  readonly headersTimeoutMs?: number;
  /** Longest time a client may take to send a whole request, body included (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept open (default 5 s). */
  readonly keepAliveTimeoutMs?: number;
  /** Most open connections; more are closed on accept (default 512, and always below the open-file limit). */
  readonly maxConnections?: number;
  /** Most requests handled at once; more get 503 except on `alwaysOpen` paths (default 64). */
  readonly maxInFlight?: number;
  /** Paths answered even over `maxInFlight` and without waiting: cheap ones like /health. */
  readonly alwaysOpen?: ReadonlySet<string>;
  /**
   * While draining, hand `alwaysOpen` paths to the app rather than answering them 503 here, so that /health
   * can say "shutting down" in its own body (the app must then know it is stopping). Off by default.
   */
  readonly openWhileDraining?: boolean;
  /** Share the port with other processes (SO_REUSEPORT): how `serve --workers N` spreads connections. */
  readonly reusePort?: boolean;
}

/** What the listener survived since it started, for /metrics and the bench. */
export interface ListenStats {
  readonly openConnections: number;
  readonly inFlight: number;
  /** Connections closed on accept because `maxConnections` were open. */
  readonly connectionsDropped: number;
  /** Requests answered 503 because `maxInFlight` were being handled. */
  readonly requestsShed: number;
  /** Connections cut for a read timeout (headers or body too slow). */
  readonly timeouts: number;
  /** Connections cut for a malformed request, a socket error, or a client closing mid-request. */
  readonly clientErrors: number;
  /** Errors of the listening socket itself (accept), logged and survived. */
  readonly acceptErrors: number;
}

export interface Listening {
  readonly hostname: string;
  readonly port: number;
  readonly url: string;
  /** Resolves once the server has stopped. */
  readonly finished: Promise<void>;
  /** Drains (at most `shutdownTimeoutMs`), then closes every connection; resolves when stopped. */
  shutdown(): Promise<void>;
  stats(): ListenStats;
  /** The stats as /metrics samples. */
  samples(): Sample[];
}

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
function requireNetPermission(hostname: string, port: number): void {
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
 * The limits a `listen` option left out (or undefined) takes: timeouts in ms, connection and in-flight caps.
 */
export const LISTEN_DEFAULTS = {
  shutdownTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 512,
  maxInFlight: 64,
} as const;

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
const API_METHODS = "GET, HEAD, POST";

/** The 405 detail of a method `FORBIDDEN_METHODS` holds. */
const forbiddenMethodDetail = (method: string) =>
  `${method} is not supported; the API answers GET, HEAD and POST`;

/**
 * After an answer sent before its request's body ended (a 401, 415 or 413 the app gave without reading it all):
 * a FIN follows the answer, but the socket is closed only once the rest of the body has been read (and
 * dropped), or at the request timeout (`limitMs` from now). node:http closes it as soon as a
 * `Connection: close` answer is out, and the body still arriving then met a closed socket: the client's next
 * write failed (a broken pipe, or a reset that can discard the answer unread). Clients and proxies that write
 * the whole body before reading the answer got that instead of the 401: behind Caddy, 5 of 80 refused 1 MiB
 * uploads became 502s (trial s47, 2026-12-05). nginx calls this a lingering close.
 */
function lingerUntilBodyEnds(socket: Socket, req: http.IncomingMessage, limitMs: number): void {
  const destroy = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  // The body is in: close once the answer has left too (destroying a socket drops what it has not yet written;
  // the timer still stands behind a client that stopped reading).
  const close = () => socket.writableFinished ? destroy() : socket.once("finish", destroy);
  // A delay past a timer's 2^31 − 1 ms (a --request-timeout over ~24.8 days) fires after 1 ms, with a warning on
  // stderr: the socket closed at once, as if nothing lingered. Such a client is held that long at most.
  const timer = setTimeout(destroy, timerMs(limitMs));
  // node:http ends a `Connection: close` response with `socket.destroySoon()`: end the writing side only.
  (socket as Socket & { destroySoon: () => void }).destroySoon = () => socket.end();
  req.once("end", close);
  socket.once("end", close); // the client stopped sending: nothing more will arrive
  socket.once("close", () => clearTimeout(timer));
}

/** Whether a request declares a body (node:http marks even a bodiless request incomplete until it is parsed). */
const declaresBody = (req: http.IncomingMessage) =>
  req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;

/**
 * A lingering body that has sent nothing for this long no longer holds a shutdown: it may never end, and the
 * connections behind it are waiting to be closed.
 */
const LINGER_QUIET_MS = 1_000;

/**
 * A whole response written straight to a socket the HTTP parser gave up on (a read timeout, a malformed
 * request): SPEC §4's `{"detail": …}` body like every other error, and the connection closes after it.
 */
function rawError(status: number, reason: string, detail: string): string {
  const body = JSON.stringify({ detail });
  return `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/**
 * Serves `fetch` over node:http with the limits of `options` and resolves once bound; a bind that fails for a
 * reason a user can fix (port in use, permission, no such address) throws a ListenError.
 */
export async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  options: ListenOptions,
): Promise<Listening> {
  // A caller's `undefined` means "the default", not "none": leave such keys out before merging.
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = { ...LISTEN_DEFAULTS, ...given } as typeof LISTEN_DEFAULTS & typeof options;
  const log = options.log ?? (() => {});
  const alwaysOpen = options.alwaysOpen ?? new Set(["/", "/health"]);
  const where = `${o.hostname}:${o.port}`;
  requireNetPermission(o.hostname, o.port);
  const counts = { connectionsDropped: 0, requestsShed: 0, timeouts: 0, clientErrors: 0, acceptErrors: 0 };
  const sockets = new Set<Socket>();
  /**
   * Sockets the listener answered itself and then cut mid-body, with the status sent: 408 (the read timeout)
   * or 400 (a body the parser could not frame, such as a broken chunk). The request's log line and count say
   * that status, not 499 (a client gone), which is what a cut body reads as otherwise.
   */
  const answeredMidBody = new WeakMap<Socket, number>();
  /**
   * Each socket's latest request whose headers arrived. node:http reports both read timeouts with one code
   * (ERR_HTTP_REQUEST_TIMEOUT): a timeout while that request is still incomplete is the request timeout (its
   * body was too slow); with none, or a complete one, it is the header timeout (the next headers were).
   */
  const latestRequest = new WeakMap<Socket, http.IncomingMessage>();
  let inFlight = 0;
  let draining = false;
  /**
   * Sockets answered early and still reading a body to drop, with when their last bytes came: a shutdown waits
   * for them like a request, but not for one gone quiet (LINGER_QUIET_MS), nor for a body never asked for
   * (an Expect refusal: a compliant client does not send it).
   */
  const lingering = new Map<Socket, number>();
  const linger = (socket: Socket, req: http.IncomingMessage, limitMs: number, holdsShutdown = true) => {
    if (holdsShutdown && !socket.destroyed) {
      const touch = () => lingering.set(socket, performance.now());
      touch();
      socket.on("data", touch);
      socket.once("close", () => {
        socket.off("data", touch);
        lingering.delete(socket);
      });
    }
    lingerUntilBodyEnds(socket, req, limitMs);
  };

  /**
   * Handles one request. `expectsContinue`: its client sent `Expect: 100-continue` and waits for `100 Continue`
   * before sending the body (curl on large uploads, .NET's HttpClient with ExpectContinue). node:http sent that
   * at once, before anything here looked at the request, so a body about to be refused from its headers alone
   * (413 on Content-Length, 401, 415, 403, 429, 404, 405) was uploaded in full first. Now `100 Continue` goes
   * out only when the app starts reading the body (`requestBody`): whatever the app refuses without reading
   * it is answered at once, by the app's own rules, and the body is never asked for.
   */
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, expectsContinue = false) => {
    const arrived = performance.now();
    const method = req.method ?? "GET";
    const target = req.url ?? "/";
    const path = targetPath(target);
    const quick = (status: number, detail: string, headers: Record<string, string> = {}, closes = false) => {
      log({ method: truncate(method, 20), path: truncate(path ?? target), status, latency_ms: 0 });
      // With Expect, the body was never asked for: this connection cannot carry another request unless the
      // client sends it anyway (RFC 9110 §10.1.1). A draining server's 503 ends its connection too (`closes`).
      // Either way a declared body may still be arriving: the connection ends once the answer is out, lingering
      // for that body (`lingerUntilBodyEnds`), and whatever arrives is dropped. Closed at once, a client still
      // writing met a reset instead of the 503 that tells it to retry elsewhere.
      if (!req.complete && (expectsContinue || closes)) {
        headers = { ...headers, Connection: "close" };
        if (declaresBody(req)) {
          linger(req.socket, req, o.requestTimeoutMs - (performance.now() - arrived), !expectsContinue);
          req.resume();
        }
      }
      json(res, status, { detail }, headers);
    };
    if (FORBIDDEN_METHODS.has(method)) {
      return quick(405, forbiddenMethodDetail(method), { Allow: API_METHODS });
    }
    if (path === null) return quick(400, "the request target must be a path like /predict");
    // HTTP/1.1 requires a Host header (RFC 9112 §3.2). node:http's own check sent a bare 400, with no JSON
    // detail (SPEC §4) and no log line; it is switched off (`requireHostHeader`, below) for this one.
    if (req.httpVersion === "1.1" && req.headers.host === undefined) {
      return quick(
        400,
        "an HTTP/1.1 request must carry a Host header (RFC 9112 §3.2); check the client",
        { Connection: "close" },
        true,
      );
    }
    const open = alwaysOpen.has(path);
    if (draining && !(open && options.openWhileDraining)) {
      return quick(503, "the server is shutting down; retry in a moment", {
        Connection: "close",
        "Retry-After": "1",
      }, true);
    }
    if (!open && inFlight >= o.maxInFlight) {
      counts.requestsShed++;
      return quick(503, "the server is busy; retry in a moment", { "Retry-After": "1" });
    }
    if (!open) inFlight++;
    let abandon: (() => void) | undefined;
    const socket = req.socket;
    latestRequest.set(socket, req);
    // Connections are half-open (below): a client's FIN no longer aborts its request. One whose body is still
    // short then can never complete it, so its connection is cut at once, as before, not held to the timeout.
    const onEnd = () => {
      if (req.complete) return;
      counts.clientErrors++;
      socket.destroy();
    };
    if (socket.readableEnded) onEnd();
    else socket.once("end", onEnd);
    // The body broke off: what the client got is a 408 if the read timeout answered it, else nothing. The app
    // logs and counts that (server/body.ts), not its own answer to the broken body, which goes nowhere.
    let brokenOff: number | undefined;
    let request: Request | undefined;
    const brokeOff = () => {
      brokenOff ??= answeredMidBody.get(socket) ?? CLOSED_MID_BODY;
      if (request) markBodyBrokenOff(request, brokenOff);
    };
    try {
      const headers = new Headers();
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
      }
      const body = await requestBody(
        req,
        method,
        brokeOff,
        expectsContinue
          ? () => {
            if (!res.headersSent && !res.destroyed) res.writeContinue();
          }
          : undefined,
      );
      abandon = body.abandon;
      // The URL is built from the request target alone: a Host header like `x/metrics?` must not reroute.
      request = new Request(`http://candlecast.invalid${target.startsWith("/") ? target : path}`, {
        method,
        headers,
        body: body.init,
        // @ts-expect-error: `duplex` is required by fetch for a streamed body, missing from Deno's RequestInit
        // type (expect-error, so the day Deno types it this line fails the check and goes).
        duplex: "half",
      });
      markArrival(request, arrived);
      if (socket.remoteAddress !== undefined) markRemoteAddress(request, socket.remoteAddress);
      if (brokenOff !== undefined) markBodyBrokenOff(request, brokenOff);
      const response = await fetch(request);
      const answer = method === "HEAD" ? null : new Uint8Array(await response.arrayBuffer());
      const out: Record<string, string> = {};
      response.headers.forEach((value, key) => out[key] = value);
      if (answer !== null) out["content-length"] = String(answer.byteLength);
      if (draining) out["connection"] = "close"; // the client reconnects elsewhere (another worker, or later)
      const early = !req.complete;
      if (early) {
        // The app answered before the body ended: the rest is dropped as it arrives (`abandon`, below), and
        // the connection ends after it rather than carry another request.
        out["connection"] = "close";
      }
      if (!res.destroyed && brokenOff === undefined) {
        if (early) linger(socket, req, o.requestTimeoutMs - (performance.now() - arrived));
        res.writeHead(response.status, out);
        res.end(answer ?? undefined);
      }
    } catch (error) {
      if (!res.headersSent && !res.destroyed) {
        log({ event: "server_error", error: error instanceof Error ? error.stack : String(error) });
        json(res, 500, { detail: "internal server error" });
      }
    } finally {
      if (!open) inFlight--;
      if (!req.complete) abandon?.();
      socket.off("end", onEnd);
    }
  };

  const headersTimeoutMs = Math.min(o.headersTimeoutMs, o.requestTimeoutMs); // node:http refuses a longer one
  const server = http.createServer({
    headersTimeout: headersTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    // How often the read timeouts are checked; node's default (30 s) would let a stalled socket live that long.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, o.headersTimeoutMs / 4)),
    requireHostHeader: false, // `handle` refuses a missing Host itself, with a JSON detail and a log line
  }, (req, res) => void handle(req, res));
  // With a listener here node:http no longer answers `Expect: 100-continue` itself (`handle` says why).
  server.on(
    "checkContinue",
    (req: http.IncomingMessage, res: http.ServerResponse) => void handle(req, res, true),
  );
  // A client may half-close (shutdown(SHUT_WR)) right after a whole request and wait for the answer. node:http
  // by default aborts the request on that FIN, so such a request got no answer at all unless the client paused
  // first; half-open, it is answered and the connection then ends. (`httpAllowHalfOpen` is the property
  // node:http's server reads for this, without an option to set it; the listen tests cover it.)
  (server as unknown as { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // The cap is applied here rather than with `server.maxConnections`, whose drops Deno's node:http does not
  // report: a connection over it is accepted and closed at once, so descriptors never run out.
  const cap = connectionCap(o.maxConnections);
  server.on("connection", (socket: Socket) => {
    if (sockets.size >= cap) {
      counts.connectionsDropped++;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // Each request in flight listens for its connection's "end" (`onEnd` in handle) until it is done, and
    // node:http hands on pipelined requests before the earlier ones are answered: past 10 at once on one
    // connection, Node printed a MaxListenersExceededWarning (not a JSON line, and no leak) to stderr.
    socket.setMaxListeners(0);
  });
  // CONNECT's target is an authority (host:port), never a path of ours: refused like TRACE, then closed, as
  // node:http leaves the socket to this listener (without one the connection was closed with no answer).
  server.on("connect", (req: http.IncomingMessage, socket: Socket) => {
    const method = req.method ?? "CONNECT";
    log({ method, path: truncate(req.url ?? ""), status: 405, latency_ms: 0 });
    if (socket.writable && !socket.destroyed) {
      const body = JSON.stringify({ detail: forbiddenMethodDetail(method) });
      socket.end(
        `HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nAllow: ${API_METHODS}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  });
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === "ERR_HTTP_REQUEST_TIMEOUT" || error.code === "ERR_HTTP_HEADERS_TIMEOUT") {
      counts.timeouts++;
    } else counts.clientErrors++;
    if (socket.writable && !socket.destroyed && error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
      answeredMidBody.set(socket, 408);
      const request = latestRequest.get(socket);
      socket.end(rawError(
        408,
        "Request Timeout",
        request !== undefined && !request.complete
          ? `the request did not arrive whole within ${o.requestTimeoutMs / 1000} s (the server's request ` +
            "timeout); send it again, at once"
          : `the request headers did not arrive whole within ${headersTimeoutMs / 1000} s (the server's ` +
            "header timeout); send them again, at once",
      ));
    } else if (socket.writable && !socket.destroyed && error.code === "HPE_HEADER_OVERFLOW") {
      socket.end(rawError(
        431,
        "Request Header Fields Too Large",
        "the request headers are too large; send fewer or shorter headers",
      ));
    } else if (socket.writable && !socket.destroyed && error.code?.startsWith("HPE_")) {
      // Mid-body (the latest request's headers arrived, its body did not end) it is the body's framing that
      // broke, e.g. a chunk size that is not hex: said so, where the old text blamed the headers.
      const request = latestRequest.get(socket);
      const midBody = request !== undefined && !request.complete;
      if (midBody) answeredMidBody.set(socket, 400);
      socket.end(rawError(
        400,
        "Bad Request",
        midBody
          ? "malformed HTTP request: its body does not follow its framing (Content-Length or chunked " +
            "Transfer-Encoding); check the client"
          : "malformed HTTP request: its request line or headers could not be parsed; check the client",
      ));
    }
    socket.destroy();
  });

  const bound = Promise.withResolvers<void>();
  const finished = Promise.withResolvers<void>();
  const onStartupError = (error: NodeJS.ErrnoException) => bound.reject(error);
  server.once("error", onStartupError);
  server.listen(
    { host: o.hostname, port: o.port, reusePort: options.reusePort ?? false },
    () => bound.resolve(),
  );
  try {
    await bound.promise;
  } catch (error) {
    throw bindError(error, where);
  }
  server.off("error", onStartupError);
  // After the bind, an error of the listening socket (EMFILE on accept) is logged; the server keeps going.
  server.on("error", (error: NodeJS.ErrnoException) => {
    counts.acceptErrors++;
    log({ event: "accept_error", error: error.message });
  });
  server.on("close", () => finished.resolve());

  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the server has no TCP address");
  const host = address.address.includes(":") ? `[${address.address}]` : address.address;

  const stats = (): ListenStats => ({ openConnections: sockets.size, inFlight, ...counts });
  let stopping: Promise<void> | null = null;
  const shutdown = async () => {
    draining = true;
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    // Requests being handled (even ones still uploading) are waited for, and so are bodies still arriving after
    // an early answer (`lingering`). A connection opened just before the signal gets a moment (200 ms) to send
    // its request; after that idle keep-alive connections are closed, though not while a connection lingers:
    // node:http counts it idle (its request was answered) and would cut it mid-body.
    while (elapsed() < o.shutdownTimeoutMs) {
      for (const [socket, last] of lingering) {
        if (performance.now() - last > LINGER_QUIET_MS) socket.destroy(); // its "close" takes it out
      }
      if (inFlight === 0 && lingering.size === 0 && (sockets.size === 0 || elapsed() >= 200)) break;
      if (elapsed() >= 200 && lingering.size === 0) server.closeIdleConnections();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (inFlight > 0 || lingering.size > 0) {
      log({
        event: "shutdown_timeout",
        in_flight: inFlight,
        lingering: lingering.size,
        connections: sockets.size,
      });
    }
    server.close();
    // Idle keep-alive connections and clients still sending (or stalled) are cut now: nothing waits on them.
    server.closeAllConnections();
    for (const socket of sockets) socket.destroy();
    await finished.promise;
  };
  return {
    hostname: address.address,
    port: address.port,
    url: `http://${host}:${address.port}`,
    finished: finished.promise,
    shutdown: () => stopping ??= shutdown(),
    stats,
    samples: () => {
      const s = stats();
      return [
        gauge("candlecast_http_open_connections", "Client connections open now.", s.openConnections),
        gauge(
          "candlecast_http_in_flight_requests",
          "Requests being handled now (/health not counted).",
          s.inFlight,
        ),
        counter(
          "candlecast_http_connections_dropped_total",
          "Connections closed on accept because --max-connections were open.",
          s.connectionsDropped,
        ),
        counter(
          "candlecast_http_requests_shed_total",
          "Requests answered 503 because --max-in-flight were being handled.",
          s.requestsShed,
        ),
        counter("candlecast_http_read_timeouts_total", "Connections cut for sending too slowly.", s.timeouts),
        counter(
          "candlecast_http_client_errors_total",
          "Connections cut for a malformed request, a socket error, or a client closing mid-request.",
          s.clientErrors,
        ),
        counter(
          "candlecast_http_accept_errors_total",
          "Errors accepting connections, survived.",
          s.acceptErrors,
        ),
      ];
    },
  };
}

const gauge = (name: string, help: string, value: number): Sample => ({ name, help, type: "gauge", value });
const counter = (name: string, help: string, value: number): Sample => ({
  name,
  help,
  type: "counter",
  value,
});
