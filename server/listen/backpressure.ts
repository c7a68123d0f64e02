/**
 * Backpressure on one connection's pipelined requests. node:http hands on each request as soon as it is
 * parsed, and Deno's keeps reading a socket whose answers its client leaves unread (Node pauses such a
 * socket): a client pipelining `GET /health` without reading grew one worker from 112 MB to 1.8 GB in 30 s and
 * kept /health from answering anyone for 20 s (a security review, session 56). /health needs no key and is
 * never counted in flight, so no other limit held it.
 *
 * A connection with `PIPELINE_LIMIT` answers unwritten, or `UNSENT_LIMIT_BYTES` of answers its client has
 * not read, is paused: no more of its bytes are read, so the client's own sends block, until it is down to
 * half of both. One that stays paused past `stuckMs` (its client reads nothing) is cut, as a read timeout
 * cuts a client that sends nothing. The requests of bytes already read still arrive (a 64 KiB read holds
 * 1,700 bare GETs): at `PIPELINE_CUT` unanswered the connection is cut at once (and the rest of what was
 * read is dropped unanswered, request.ts), which also holds should a later Deno stop honouring the pause.
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
/** Unanswered requests at which a connection is cut: no client waits on this many answers. */
export const PIPELINE_CUT = 1024;

/**
 * node:http's own pause flag. Its server sets it when it pauses a socket whose answers back up, and it resumes
 * a socket on each request it reads a body for (or drains) unless the flag is set: a `pause()` without it held
 * for one request. Deno's node:http keeps Node's flag; it is set and cleared here with each pause.
 */
type PausableSocket = Socket & { _paused?: boolean };

interface State {
  pending: number;
  paused: boolean;
  stuck?: ReturnType<typeof setTimeout>;
}

export class Backpressure {
  readonly #states = new WeakMap<Socket, State>();
  /** Connections cut for reading nothing while paused (counted with the read timeouts). */
  cut = 0;

  /** `stuckMs`: how long a paused connection may read none of its answers before it is cut. */
  constructor(private readonly stuckMs: number) {}

  /** A request of `socket`'s was handed on: call `answered` once its answer is written or dropped. */
  arrived(socket: Socket): () => void {
    let state = this.#states.get(socket);
    if (!state) {
      state = { pending: 0, paused: false };
      this.#states.set(socket, state);
      socket.on("drain", () => this.#check(socket, state!));
      socket.once("close", () => clearTimeout(state!.stuck));
    }
    const s = state;
    s.pending++;
    this.#check(socket, s);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      s.pending--;
      this.#check(socket, s);
    };
  }

  /** Whether `socket` is paused here now (tests). */
  isPaused(socket: Socket): boolean {
    return this.#states.get(socket)?.paused ?? false;
  }

  #check(socket: PausableSocket, s: State): void {
    if (socket.destroyed) return;
    if (s.pending >= PIPELINE_CUT) {
      this.cut++;
      socket.destroy();
      return;
    }
    const unsent = socket.writableLength;
    if (!s.paused && (s.pending >= PIPELINE_LIMIT || unsent >= UNSENT_LIMIT_BYTES)) {
      s.paused = true;
      socket._paused = true;
      socket.pause();
      this.#armStuck(socket, s);
    } else if (s.paused && s.pending <= PIPELINE_LIMIT / 2 && unsent <= UNSENT_LIMIT_BYTES / 2) {
      s.paused = false;
      socket._paused = false;
      clearTimeout(s.stuck);
      socket.resume();
    } else if (s.paused) {
      // An answer left or was taken: the client reads, so it is not stuck; the pause holds until half.
      this.#armStuck(socket, s);
    }
  }

  /** Cuts `socket` if it is still paused `stuckMs` from now. */
  #armStuck(socket: Socket, s: State): void {
    clearTimeout(s.stuck);
    s.stuck = setTimeout(() => {
      if (!s.paused || socket.destroyed) return;
      this.cut++;
      socket.destroy();
    }, timerMs(this.stuckMs));
  }
}
