/**
 * The time-left estimate of `evaluate`'s step lines. Its turns differ by orders of magnitude (a network
 * trains for half an hour, the majority baseline takes milliseconds), so "elapsed ÷ steps done × steps left"
 * said 6 h 43 min after the first training of a 1.5 h run. Each remaining turn is instead estimated by the
 * same learner's latest measured turn; turns of learners not yet timed are counted, not guessed.
 *
 * @example
 * ```ts
 * const clock = new TimeLeft(["transformer_lstm", "majority"]);
 * clock.start(1, 4); // nothing timed yet: { seconds: 0, untimed: 4 }
 * clock.start(2, 4); // transformer_lstm took its turn: { seconds: ≈ that × 1, untimed: 2 }
 * ```
 */
export class TimeLeft {
  readonly #latest = new Map<string, number>();
  #current: { learner: string; started: number } | null = null;

  /** `learners` in the order each fold runs them; `now` in seconds (a fake clock in tests). */
  constructor(
    readonly learners: readonly string[],
    readonly now: () => number = () => performance.now() / 1000,
  ) {}

  /**
   * Marks the start of `step` (counting from 1, of `steps`, learners in order fold after fold) and returns the
   * estimated seconds for it and every later step, with the number of those steps whose learner has no
   * measured turn yet (left out of `seconds`).
   */
  start(step: number, steps: number): { seconds: number; untimed: number } {
    const t = this.now();
    if (this.#current) this.#latest.set(this.#current.learner, t - this.#current.started);
    const n = this.learners.length;
    this.#current = { learner: this.learners[(step - 1) % n], started: t };
    let seconds = 0, untimed = 0;
    for (let k = step; k <= steps; k++) {
      const measured = this.#latest.get(this.learners[(k - 1) % n]);
      if (measured === undefined) untimed++;
      else seconds += measured;
    }
    return { seconds, untimed };
  }
}
