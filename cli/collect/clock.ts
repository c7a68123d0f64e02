/**
 * Time as collect sees it: what "now" is (which candles are closed, what "the last N months" means) and how
 * it waits (rate limits, retries). Injected so tests run a fake clock that advances instantly.
 */

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock: `Date.now()` and timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/** A clock that starts at `start` and jumps forward on every sleep, remembering each wait. */
export class ManualClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += Math.max(0, ms);
    return Promise.resolve();
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
