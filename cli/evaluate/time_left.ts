import { formatDuration, plural } from "../../base/index.ts";
import type { Stage } from "../../ml/evaluate/index.ts";

/**
 * The time-left estimate of `evaluate`'s step lines. Its turns differ by orders of magnitude (a network
 * trains for half an hour, the majority baseline takes milliseconds, and a network kept as it is only
 * predicts), so "elapsed ÷ steps done × steps left" said 6 h 43 min after the first training of a 1.5 h run.
 * Each remaining turn is instead estimated by the latest measured turn of the same kind: the same learner
 * training (from scratch or fine-tuning: the first fold's training bounds a fine-tuning from above) or only
 * predicting. Turns of a kind not yet timed are counted, not guessed.
 *
 * @example
 * ```ts
 * const clock = new TimeLeft(["network trains", "majority trains", "network predicts", "majority predicts"]);
 * clock.start(1); // nothing timed yet: { seconds: 0, untimed: 4 }
 * clock.start(2); // the network trained: { seconds: 0, untimed: 3 } (its later turns only predict)
 * ```
 */
export class TimeLeft {
  readonly #latest = new Map<string, number>();
  #current: { kind: string; started: number } | null = null;

  /**
   * `turns`: the kind of every step in order, fold after fold (e.g. "transformer_lstm trains"); `now` in seconds
   * (a fake clock in tests).
   */
  constructor(
    readonly turns: readonly string[],
    readonly now: () => number = () => performance.now() / 1000,
  ) {}

  /**
   * Marks the start of `step` (counting from 1) and returns the estimated seconds for it and every later step,
   * with the number of those steps whose kind has no measured turn yet (left out of `seconds`).
   */
  start(step: number): { seconds: number; untimed: number } {
    const t = this.now();
    if (this.#current) this.#latest.set(this.#current.kind, t - this.#current.started);
    this.#current = { kind: this.turns[step - 1], started: t };
    let seconds = 0, untimed = 0;
    for (let k = step; k <= this.turns.length; k++) {
      const measured = this.#latest.get(this.turns[k - 1]);
      if (measured === undefined) untimed++;
      else seconds += measured;
    }
    return { seconds, untimed };
  }
}

/**
 * The line that opens a learner's turn, `elapsedSeconds` into the run, with `clock`'s estimate of the time left
 * (the turn's start marked on it): "step 5/12: fold 2/4 2023-08, majority (12m05s so far, ~25m40s left)".
 */
export function foldStageLine(stage: Stage, clock: TimeLeft, elapsedSeconds: number): string {
  const { seconds, untimed } = clock.start(stage.step);
  // No turn left of a kind timed yet: no estimate, rather than "~0s left".
  const left = untimed === stage.steps - stage.step + 1
    ? ""
    : `, ~${formatDuration(seconds)} left${
      untimed > 0 ? ` + ${plural(untimed, "turn")} of learners not yet timed` : ""
    }`;
  return `step ${stage.step}/${stage.steps}: fold ${
    stage.fold.index + 1
  }/${stage.folds} ${stage.fold.label}, ` +
    `${stage.learner} (${formatDuration(elapsedSeconds)} so far${left})`;
}
