/**
 * What one `collect` run is given (clock, progress, where its output lines go, the retry policy, Ctrl-C) and
 * how it says where it is: the CLI passes the real ones, tests a fake clock and captured output. Its own module
 * so that gathering (`gather.ts`) and the run (`index.ts`) share it without importing each other.
 */
import type { RetryPolicy } from "./binance_client.ts";
import type { Clock } from "./clock.ts";
import type { Progress } from "./progress.ts";

export interface CollectEnv {
  clock: Clock;
  progress: Progress;
  /** Where the summary goes (stdout in the CLI). */
  print: (text: string) => void;
  /** Overrides of the retry/rate-limit policy (tests shorten the waits). */
  retry?: Partial<RetryPolicy>;
  /** How long to wait for another collect holding the output (default OUTPUT_LOCK_WAIT_MS). */
  lockWaitMs?: number;
  /**
   * Ctrl-C: fetching stops (a request in flight is dropped), every candle fetched before is merged and written
   * as a finished run would, and the run then fails with an InterruptedError (exit 130) saying so. Pressed while
   * it waits for another collect's lock on the output, it ends the wait and writes nothing.
   */
  signal?: AbortSignal;
  /** Told where the run is, for what a Ctrl-C pressed now will do (`stopNotice`). */
  stage?: (stage: CollectStage) => void;
}

/** Where a run is: what a Ctrl-C pressed now leads to depends on it. */
export interface CollectStage {
  /**
   * `gathering`: fetching or reading the source; `waiting`: for another collect's lock on the output, a wait a
   * Ctrl-C ends writing nothing; `writing`: merging into the output and writing it, which a Ctrl-C lets finish.
   */
  step: "gathering" | "waiting" | "writing";
  /** Candles in hand so far (during a Binance fetch, those fetched until now). */
  candles: number;
}
