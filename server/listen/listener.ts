/** One listener's state: its settings, counters, connections, and the requests and bodies it waits on. */
import type http from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "../log.ts";
import { timerMs } from "../../base/index.ts";
import type { ListenSettings, ListenStats } from "./settings.ts";
import { Backpressure } from "./backpressure.ts";
import { Owed } from "./owed.ts";

/** The counters of `ListenStats` (the rest of it is read off the listener's state). */
interface Counts {
  connectionsDropped: number;
  requestsShed: number;
  timeouts: number;
  clientErrors: number;
  acceptErrors: number;
}

export class Listener {
  readonly log: Logger;
  readonly alwaysOpen: ReadonlySet<string>;
  /** The header timeout node:http is given (`headersTimeoutMs`, at most `requestTimeoutMs`). */
  readonly headersTimeoutMs: number;
  readonly counts: Counts = {
    connectionsDropped: 0,
    requestsShed: 0,
    timeouts: 0,
    clientErrors: 0,
    acceptErrors: 0,
  };
  readonly sockets = new Set<Socket>();
  /**
   * Sockets the listener answered itself and then cut mid-body, with the status sent: 408 (the read timeout)
   * or 400 (a body the parser could not frame, such as a broken chunk). The request's log line and count say
   * that status, not 499 (a client gone), which is what a cut body reads as otherwise.
   */
  readonly answeredMidBody = new WeakMap<Socket, number>();
  /**
   * Sockets whose client error is being answered (`answerClientError`): node:http's read-timeout check reports
   * a socket again at each interval until it closes, and one whose answer waits behind the answers it owes
   * stays open a while. Counted, answered and logged once.
   */
  readonly erred = new WeakSet<Socket>();
  /** The answers each connection owes, in order (`Owed`): what the listener writes or logs goes by them. */
  readonly owed = new Owed();
  /**
   * Each socket's latest request whose headers arrived. node:http reports both read timeouts with one code
   * (ERR_HTTP_REQUEST_TIMEOUT): a timeout while that request is still incomplete is the request timeout (its
   * body was too slow); with none, or a complete one, it is the header timeout (the next headers were).
   */
  readonly latestRequest = new WeakMap<Socket, http.IncomingMessage>();
  /**
   * Requests that asked to upgrade the connection (`declineUpgrade`, upgrade.ts): each is answered as any
   * other, and its answer closes the connection.
   */
  readonly upgrades = new WeakSet<http.IncomingMessage>();
  /**
   * Sockets answered early and still reading a body to drop, with when their last bytes came: a shutdown waits
   * for them like a request, but not for one gone quiet (LINGER_QUIET_MS), nor for a body never asked for
   * (an Expect refusal: a compliant client does not send it).
   */
  readonly lingering = new Map<Socket, number>();
  inFlight = 0;
  /**
   * Admitted requests whose body the listener is still reading before the app sees them. Not in flight: they
   * hold no model call, and the app has not yet checked their key, so counting them let 64 idle uploads from
   * anyone turn every request away (a security review). A shutdown waits for them as for requests in flight.
   */
  uploading = 0;
  draining = false;
  /** Pauses a connection whose pipelined answers pile up unread (`Backpressure`); cuts one stuck a request timeout. */
  readonly backpressure: Backpressure;

  /** `o`: the caller's options over `LISTEN_DEFAULTS` (`settingsOf`). */
  constructor(readonly o: ListenSettings) {
    this.log = o.log ?? (() => {});
    this.alwaysOpen = o.alwaysOpen ?? new Set(["/", "/health"]);
    // node:http refuses a header timeout longer than the request timeout.
    this.headersTimeoutMs = Math.min(o.headersTimeoutMs, o.requestTimeoutMs);
    // A cut connection's answers never leave, so its requests' lines say 200 for nothing: this line says why.
    this.backpressure = new Backpressure(o.requestTimeoutMs, (cut) =>
      this.log({
        event: "connection_cut",
        peer: cut.peer,
        pending: cut.pending,
        reason: cut.reason,
        detail: cut.reason === "reads_no_answers"
          ? `pipelined requests' answers went unread for ${o.requestTimeoutMs / 1000} s (the request timeout)`
          : "pipelined requests kept arriving while the connection was paused",
      }));
  }

  stats(): ListenStats {
    return {
      openConnections: this.sockets.size,
      inFlight: this.inFlight,
      uploading: this.uploading,
      ...this.counts,
      // A connection cut for reading none of its answers is timed out too (`Backpressure`).
      timeouts: this.counts.timeouts + this.backpressure.cut,
    };
  }

  /**
   * Lingers on `socket` until `req`'s body ends (`lingerUntilBodyEnds`), at most `limitMs`; unless
   * `holdsShutdown` is false, a shutdown waits for it meanwhile (`lingering`).
   */
  linger(socket: Socket, req: http.IncomingMessage, limitMs: number, holdsShutdown = true): void {
    if (holdsShutdown && !socket.destroyed) {
      const touch = () => this.lingering.set(socket, performance.now());
      touch();
      // The body's own bytes, as the parser hands them on: the socket's "data" events, listened to before,
      // never come in Deno 2.9 (its parser reads the socket's handle directly), so every lingering body
      // counted as quiet a second after its answer and a shutdown cut one still arriving. (Adding the listener
      // lets the body flow, which lingering does anyway: it is dropped.)
      req.on("data", touch);
      socket.once("close", () => {
        req.off("data", touch);
        this.lingering.delete(socket);
      });
    }
    lingerUntilBodyEnds(socket, req, limitMs);
  }
}

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
