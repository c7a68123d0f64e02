/**
 * The model a server answers with, swapped atomically. A request leases the current predictor once and
 * uses it to the end, so it never mixes versions; a replaced predictor is closed only when its last lease
 * is released, so a switch never fails a request in flight.
 */
import type { Predictor } from "../../engine/index.ts";

export interface ModelLease {
  readonly predictor: Predictor;
  /** Ends the lease; calling it twice is harmless. */
  release(): void;
}

/** Why there is no model, in words safe to show anyone (no paths, no load errors): what /health says. */
export const PUBLIC_PROBLEMS = {
  starting: "no model loaded yet",
  missing: "no model installed: train one ('candlecast train') or point --checkpoint at one",
  failed: "the model failed to load and is being retried; the server log says why",
  stopping: "the server is shutting down",
} as const;
export type ProblemKind = keyof typeof PUBLIC_PROBLEMS;

export interface ModelStatus {
  readonly predictor: Predictor | null;
  /** Why there is no model (or why the last reload failed), with paths and errors: for logs and auth'd routes. */
  readonly problem: string | null;
  /** The same without details, for the unauthenticated /health; null when nothing is wrong. */
  readonly publicProblem: string | null;
  readonly reloads: { readonly succeeded: number; readonly failed: number };
}

/** What the app asks for a model: the server, tests and the bench each provide one. */
export interface ModelSource {
  /** The current predictor, leased; null when none is loaded. */
  acquire(): ModelLease | null;
  status(): ModelStatus;
}

class Slot {
  leases = 0;
  retired = false;
  #closing = false;
  readonly #closed = Promise.withResolvers<void>();
  constructor(readonly predictor: Predictor) {}

  /** Settles once the predictor has been closed. */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  closeWhenIdle(): void {
    if (!this.retired || this.leases > 0 || this.#closing) return;
    this.#closing = true;
    // A predictor that fails to close must not take the server down with it.
    this.predictor.close().catch(() => {}).finally(() => this.#closed.resolve());
  }
}

/**
 * The server's ModelSource: the installed predictor, leased per request and swapped by `install`, and why
 * there is none (`explain`, `recordFailure`) for /health and the 503s.
 */
export class ModelStore implements ModelSource {
  #slot: Slot | null = null;
  #retiring = new Set<Slot>();
  #problem: string | null;
  #kind: ProblemKind | null = "starting";
  #reloads = { succeeded: 0, failed: 0 };

  constructor(problem: string = PUBLIC_PROBLEMS.starting) {
    this.#problem = problem;
  }

  acquire(): ModelLease | null {
    const slot = this.#slot;
    if (slot === null) return null;
    slot.leases++;
    let released = false;
    return {
      predictor: slot.predictor,
      release: () => {
        if (released) return;
        released = true;
        slot.leases--;
        slot.closeWhenIdle();
      },
    };
  }

  status(): ModelStatus {
    return {
      predictor: this.#slot?.predictor ?? null,
      problem: this.#problem,
      publicProblem: this.#kind === null ? null : PUBLIC_PROBLEMS[this.#kind],
      reloads: { ...this.#reloads },
    };
  }

  /** Makes `predictor` the one new requests get; the previous one closes once its requests finish. */
  install(predictor: Predictor): void {
    const previous = this.#slot;
    this.#slot = new Slot(predictor);
    this.#problem = null;
    this.#kind = null;
    this.#reloads.succeeded++;
    if (previous) this.#retire(previous);
  }

  /** Records a failed load; the model already installed (if any) keeps answering. */
  recordFailure(problem: string): void {
    this.#problem = problem;
    this.#kind = "failed";
    this.#reloads.failed++;
  }

  /** Says why there is no model (nothing to load yet) without counting a failed load. */
  explain(problem: string): void {
    this.#problem = problem;
    this.#kind = "missing";
  }

  /** Stops handing out the model and closes every predictor once its leases end. */
  async close(): Promise<void> {
    if (this.#slot) this.#retire(this.#slot);
    this.#slot = null;
    this.#problem = PUBLIC_PROBLEMS.stopping;
    this.#kind = "stopping";
    await Promise.all([...this.#retiring].map((slot) => slot.closed));
  }

  #retire(slot: Slot): void {
    slot.retired = true;
    this.#retiring.add(slot);
    slot.closed.then(() => this.#retiring.delete(slot));
    slot.closeWhenIdle();
  }
}
