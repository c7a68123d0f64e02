import assert from "node:assert/strict";
import { syntheticSeries } from "../../test/evaluation.ts";
import { holdoutSet, holdoutStart, scoreGradientBoosting } from "./holdout.ts";

const shape = { lookback: 12, horizon: 4, labelRule: { kind: "volatility", multiplier: 0.5 } } as const;

Deno.test("the boosting reference on the held-out days is skipped, not fit, once retrain is stopping", async () => {
  const series = syntheticSeries(60);
  const start = holdoutStart(series, 7);
  const set = holdoutSet(series, start, shape);
  assert.ok(set.size > 0);
  const scored = await scoreGradientBoosting(series, start, shape, set);
  assert.ok(scored && Number.isFinite(scored.log_loss));
  // Before, a Ctrl-C waited for the labelling and boosting of every window before the held-out days.
  const stop = new AbortController();
  stop.abort();
  assert.equal(await scoreGradientBoosting(series, start, shape, set, stop.signal), null);
});
