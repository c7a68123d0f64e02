/**
 * Backpressure on one connection's pipelined requests. node:http hands on each request as soon as it is
 * parsed, and Deno's keeps reading a socket whose answers its client leaves unread (Node pauses such a
 * socket): a client pipelining `GET /health` without reading grew one worker from 112 MB to 1.8 GB in 30 s and
 * kept /health from answering anyone for 20 s (a security review, session 56). /health needs no key and is
 * never counted in flight, so no other limit held it.
 *
 * A connection with `PIPELINE_LIMIT` answers unwritten, or `UNSENT_LIMIT_BYTES` of answers its client has
 * not read, is paused: no more of its bytes are read, so the client's own sends block, until it is down to
 * half of both. One whose answers wait unread for `stuckMs` while paused (its client reads nothing) is cut,
 * as a read timeout cuts a client that sends nothing; a slow model holds no answer in the socket, so it cuts
 * no one. The requests of bytes read before the pause still arrive (a 64 KiB read holds 1,700 bare GETs,
 * which a client may send in one write and then read): a connection is cut at once only when
 * `PIPELINE_CUT` requests arrive while it is paused, which no honoured pause lets happen.
 */
import type { Socket } from "node:net";
import { timerMs } from "../../base/index.ts";

/**
 * Requests of one connection handed on and not yet answered. A client that pipelines keeps a few outstanding;
 * hundreds is a flood. Node's own server pauses at its write buffer's 16 KiB.
 */
export const PIPELINE_LIMIT = 32;
/** Bytes of answers written to a connection and not yet taken by its client (a few /predict answers). */
export const UNSENT_LIMIT_BYTES = 256 * 1024;
/**
 * Requests arriving while their connection is paused at which it is cut: more than two 64 KiB reads of bare
 * GETs, so only a pause that does not hold (a later Deno's node:http) reaches it.
 */
export const PIPELINE_CUT = 4096;

/**
 * node:http's own pause flag. Its request handling resumes a socket (`readStart`) unless the flag is set: a
 * `pause()` without it held for one request. Its drain handler clears the flag and resumes the socket when
 * its own queue is short, so a pause here is renewed on every drain (`#check`, on the drain listener
 * registered after node:http's).
 */
type PausableSocket = Socket & { _paused?: boolean };

interface State {
  pending: number;
  paused: boolean;
  /** Requests that arrived while paused (the rest of a read, or a pause not honoured). */
  arrivedPaused: number;
  /** Read no further, ever (`stopReading`): never resumed. */
  stopped?: boolean;
  stuck?: ReturnType<typeof setTimeout>;
}

/** Why a connection was cut, for its log line. */
export interface Cut {
  readonly peer: string | undefined;
  readonly pending: number;
  readonly reason: "reads_no_answers" | "pause_not_honoured";
}

export class Backpressure {
  readonly #states = new WeakMap<Socket, State>();
  /** Connections cut (counted with the read timeouts). */
  cut = 0;

  /**
   * `stuckMs`: how long a paused connection's answers may wait unread before it is cut; `onCut` is told of
   * each cut (the listener logs it with the peer).
   */
  constructor(private readonly stuckMs: number, private readonly onCut: (cut: Cut) => void = () => {}) {}

  /** A request of `socket`'s was handed on: call `answered` once its answer is written or dropped. */
  arrived(socket: Socket): () => void {
    let state = this.#states.get(socket);
    if (!state) {
      state = { pending: 0, paused: false, arrivedPaused: 0 };
      this.#states.set(socket, state);
      socket.on("drain", () => this.#check(socket, state!));
      socket.once("close", () => clearTimeout(state!.stuck));
    }
    const s = state;
    s.pending++;
    if (s.paused && ++s.arrivedPaused >= PIPELINE_CUT) {
      this.#cut(socket, s, "pause_not_honoured");
      return () => {};
    }
    this.#check(socket, s);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      s.pending--;
      this.#check(socket, s);
    };
  }

  /** Whether `socket` is paused here now. */
  isPaused(socket: Socket): boolean {
    return this.#states.get(socket)?.paused ?? false;
  }

  /** Cuts a paused connection a read timeout reached first (node:http's own timers), as one stuck. */
  cutPaused(socket: Socket): void {
    const s = this.#states.get(socket);
    if (s?.paused) this.#cut(socket, s, "reads_no_answers");
  }

  /**
   * node:http's parser gave up on `socket` (a client error, answered once the answers owed ahead of it are
   * written): nothing more of it is read, and a resume would hand the rest of its bytes to a parser that is
   * gone (each read reported another client error). Paused for good, and cut when its answers wait in it with
   * nothing taken for `stuckMs`: a client that reads none would otherwise hold it for ever (a slow model holds
   * none there, so it cuts no one).
   */
  stopReading(socket: PausableSocket): void {
    socket._paused = true;
    socket.pause();
    const s = this.#states.get(socket);
    // No request was handed on, so no answer is owed: the socket is answered and closed at once.
    if (s === undefined) return;
    s.stopped = true;
    s.paused = true;
    // Bytes the system has taken: a write is counted in `bytesWritten` as it is queued.
    const taken = () => socket.bytesWritten - socket.writableLength;
    let before = taken();
    let timer: ReturnType<typeof setTimeout>;
    const look = () => {
      if (socket.writableLength > 0 && taken() === before) return this.#cut(socket, s, "reads_no_answers");
      before = taken();
      timer = setTimeout(look, timerMs(this.stuckMs));
    };
    timer = setTimeout(look, timerMs(this.stuckMs));
    socket.once("close", () => clearTimeout(timer));
  }

  #check(socket: PausableSocket, s: State): void {
    if (socket.destroyed) return;
    const unsent = socket.writableLength;
    if (!s.paused && (s.pending >= PIPELINE_LIMIT || unsent >= UNSENT_LIMIT_BYTES)) {
      s.paused = true;
      s.arrivedPaused = 0;
    } else if (
      s.paused && !s.stopped && s.pending <= PIPELINE_LIMIT / 2 && unsent <= UNSENT_LIMIT_BYTES / 2
    ) {
      s.paused = false;
      clearTimeout(s.stuck);
      s.stuck = undefined;
      socket._paused = false;
      socket.resume();
      return;
    }
    if (!s.paused) return;
    // Renewed each time: node:http's drain handler resumes a socket it did not pause itself (a review).
    if (!socket._paused || !socket.isPaused()) {
      socket._paused = true;
      socket.pause();
    }
    // Stuck only while answers wait in the socket for the client: a slow model holds none there.
    clearTimeout(s.stuck);
    s.stuck = unsent > 0
      ? setTimeout(() => {
        if (s.paused && !socket.destroyed && socket.writableLength > 0) {
          this.#cut(socket, s, "reads_no_answers");
        }
      }, timerMs(this.stuckMs))
      : undefined;
  }

  #cut(socket: Socket, s: State, reason: Cut["reason"]): void {
    clearTimeout(s.stuck);
    if (socket.destroyed) return;
    this.cut++;
    this.onCut({ peer: socket.remoteAddress, pending: s.pending, reason });
    socket.destroy();
  }
}
