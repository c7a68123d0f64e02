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
