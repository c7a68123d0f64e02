import assert from "node:assert/strict";
import { Metrics, workerModelSamples } from "./metrics.ts";
import { SharedMetrics } from "./metrics_share.ts";
import type { ModelStatus } from "./models/store.ts";

const NO_MODEL = { predictor: null, reloads: { succeeded: 0, failed: 2 } } as unknown as ModelStatus;

const value = (text: string, series: string) =>
  Number(new RegExp(`^${series.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);

Deno.test("a restarted worker's counters add to its predecessor's: the service's counters never go down", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const series = 'candlecast_http_requests_total{route="/predict",method="POST",status="200"}';
    // Worker 1 answers 20 requests and dies (its last snapshot stays); the parent starts a new worker 1.
    const dead = new Metrics();
    dead.collect(() => [{ name: "candlecast_http_open_connections", help: "h", type: "gauge", value: 7 }]);
    for (let i = 0; i < 20; i++) dead.observe("/predict", "POST", 200, 0.001);
    await new SharedMetrics(dir, 1, dead).write();
    const fresh = new Metrics();
    const restarted = new SharedMetrics(dir, 1, fresh);
    await restarted.start(60_000);
    for (let i = 0; i < 3; i++) fresh.observe("/predict", "POST", 200, 0.001);
    await restarted.stop();
    // Worker 0 answers the scrape.
    const zero = new Metrics();
    new SharedMetrics(dir, 0, zero);
    zero.collect(() => workerModelSamples(0, NO_MODEL));
    const text = await zero.renderAll(NO_MODEL);
    assert.equal(value(text, series), 23, "the dead worker's 20 and the new one's 3");
    // A gone process's gauges are not summed in (its open connections closed with it).
    assert.ok(!/candlecast_http_open_connections 7/.test(text), text);
    assert.equal(value(text, 'candlecast_worker_model_loaded{worker="0"}'), 0);
    assert.equal(value(text, 'candlecast_worker_model_reloads_total{worker="0",result="failure"}'), 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
