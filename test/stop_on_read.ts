/**
 * A Ctrl-C while a command reads its training CSV, for the tests that the read stops there (train, evaluate):
 * `progress` aborts `signal` at the first "reading PATH" update and keeps every MB count it was told, and
 * `readLessThanWhole` checks the read ended before the file's last whole MB.
 */
import assert from "node:assert/strict";
import type { BatchProgress } from "../ml/train/index.ts";

export function stopOnRead(path: string) {
  const stop = new AbortController();
  const read: number[] = [];
  const progress: BatchProgress = {
    update: (done, _total, label) => {
      if (label !== `reading ${path}`) return;
      read.push(done);
      stop.abort();
    },
    clear: () => {},
  };
  const readLessThanWhole = async () => {
    // In whole MB read: the whole file's would be its size's.
    const whole = Math.floor((await Deno.stat(path)).size / 2 ** 20);
    assert.ok(whole >= 2 && Math.max(...read) < whole, `read ${read.join(", ")} of ${whole} whole MB`);
  };
  return { signal: stop.signal, progress, readLessThanWhole };
}
