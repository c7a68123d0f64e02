import assert from "node:assert/strict";
import { Metrics } from "./metrics.ts";
import type { ModelStatus } from "./models/store.ts";

const NO_MODEL = { predictor: null, reloads: { succeeded: 0, failed: 0 } } as unknown as ModelStatus;

const refusals = (text: string) =>
  Object.fromEntries(
    [...text.matchAll(/^candlecast_candle_time_refusals_total\{reason="(\w+)"\} (\d+)$/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]),
  );

Deno.test("candle time refusals: four fixed reasons at 0, counted as observed, under one HELP and TYPE", () => {
  const metrics = new Metrics();
  assert.deepEqual(refusals(metrics.render(NO_MODEL)), { forming: 0, future: 0, off_grid: 0, interval: 0 });
  metrics.observeTimeRefusal("forming");
  metrics.observeTimeRefusal("forming");
  metrics.observeTimeRefusal("off_grid");
  const text = metrics.render(NO_MODEL);
  assert.deepEqual(refusals(text), { forming: 2, future: 0, off_grid: 1, interval: 0 });
  assert.equal(text.match(/^# TYPE candlecast_candle_time_refusals_total counter$/gm)?.length, 1);
  assert.equal(text.match(/^# HELP candlecast_candle_time_refusals_total /gm)?.length, 1);
});

Deno.test("candle time refusals are summed over serve --workers N, like the request counters", () => {
  // Each worker counts its own; whichever answers a scrape shows the service's (its peers' snapshots added).
  const [zero, one] = [new Metrics(), new Metrics()];
  zero.observeTimeRefusal("forming");
  one.observeTimeRefusal("forming");
  one.observeTimeRefusal("future");
  one.observeTimeRefusal("interval");
  const fromZero = zero.render(NO_MODEL, [one.snapshot()]);
  const fromOne = one.render(NO_MODEL, [zero.snapshot()]);
  assert.deepEqual(refusals(fromZero), { forming: 2, future: 1, off_grid: 0, interval: 1 });
  assert.deepEqual(refusals(fromOne), refusals(fromZero));
  assert.equal(fromZero.match(/^# TYPE candlecast_candle_time_refusals_total counter$/gm)?.length, 1);
});
