/**
 * Turns of the event loop during long synchronous work. Deno runs a signal listener (Ctrl-C, SIGTERM) and
 * timers only when the event loop turns, and `await` on a settled promise (tfjs-wasm's `data()`) does not turn
 * it: a loop of minutes (calibration, scoring, the boosting baseline on big data) left a second Ctrl-C unheard
 * until the loop ended.
 *
 * @example
 * ```ts
 * const turn = eventLoopTurns();
 * for (let i = 0; i < 1_000; i++) {
 *   // … a few ms of work …
 *   await turn(); // a timer turn at most every 250 ms, otherwise only a microtask
 * }
 * ```
 */
export function eventLoopTurns(
  everyMs = 250,
  now = () => performance.now(),
): () => Promise<void> | undefined {
  // A timer, not setImmediate: Deno polls signals on a timer turn within ~10 ms, on an immediate one only
  // every ~0.7 s (measured). A timer turn costs ~3 ms, ≤ 1.5 % at one per 250 ms.
  let last = now();
  return () => {
    const t = now();
    if (t - last < everyMs) return undefined;
    last = t;
    return new Promise((resolve) => setTimeout(resolve, 0));
  };
}

/**
 * Runs long work written as a generator of steps (each a few ms to ~50 ms, `yield` between them) to its end at
 * once: the synchronous callers' way, the same steps as `finishStepsTurning`'s, so both give the same result.
 */
export function finishSteps<T>(steps: Iterator<unknown, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * Runs a generator of steps letting the event loop turn between them (`eventLoopTurns`), so that a signal
 * listener (Ctrl-C, SIGTERM) runs during it; an aborted `signal` stops it at the next step, throwing
 * `signal.reason`.
 *
 * @example
 * ```ts
 * function* count(n: number) {
 *   let sum = 0;
 *   for (let i = 0; i < n; i++) (sum += i, yield);
 *   return sum;
 * }
 * await finishStepsTurning(count(1_000)); // 499500
 * ```
 */
export async function finishStepsTurning<T>(steps: Iterator<unknown, T>, signal?: AbortSignal): Promise<T> {
  const turn = eventLoopTurns();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await turn();
    signal?.throwIfAborted();
  }
}
