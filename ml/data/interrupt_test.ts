/**
 * A Ctrl-C is heard while the windows are labelled: labelling is synchronous (seconds on five 1h series, a
 * minute on 2.2M candles), and Deno runs a signal listener only when the event loop turns, so train's stop
 * request waited for labelling to end (3.1 s to the "stopping" line, 45 s to exit on the five 1h series).
 * `prepareDatasetAsync` lets the loop turn between chunks, and stops when its signal is aborted.
 */
import assert from "node:assert/strict";
import { sigintOutcome } from "../../test/sigint_child.ts";

const child = `
import { syntheticSeries } from ${JSON.stringify(new URL("../../test/evaluation.ts", import.meta.url).href)};
import { DEFAULT_SPLIT, prepareDatasetAsync } from ${
  JSON.stringify(new URL("./index.ts", import.meta.url).href)
};
// 500 days of hourly candles: each labelling takes ~0.5 s, longer than the 250 ms between timer turns.
const series = syntheticSeries(500);
const stop = new AbortController();
Deno.addSignalListener("SIGINT", () => stop.abort());
console.log("labelling");
// Labelled again and again until the signal is heard: without turns of the event loop it never is.
try {
  for (;;) {
    await prepareDatasetAsync(series, {
      lookback: 24, horizon: 4, labelRule: { kind: "volatility", multiplier: 0.5 }, split: DEFAULT_SPLIT,
      signal: stop.signal,
    });
  }
} catch (error) {
  Deno.exit(error === stop.signal.reason ? 130 : 1);
}
`;

Deno.test({
  name: "prepareDatasetAsync: SIGINT during labelling is heard at once and stops it",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const outcome = await sigintOutcome(child, { ready: "labelling", afterMs: 1_000, withinMs: 5_000 });
    assert.equal(outcome, 130, "the signal was not heard within 5 s of labelling");
  },
});
