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

Deno.test("candlecast_model_reloads_total is the service's, whichever worker answers: it never goes down", async () => {
  // It used to be the answering worker's own count: after worker 1 restarted, scrapes alternating between the
  // workers read 13, 13, 2, … and Prometheus took every drop for a counter reset.
  const dir = await Deno.makeTempDir();
  const status = (succeeded: number, failed = 0) =>
    ({ predictor: null, reloads: { succeeded, failed } }) as unknown as ModelStatus;
  /** A worker as serve runs it: its own model's series and some of the listener's, shared with the others. */
  const worker = (k: number, model: ModelStatus, served: number) => {
    const metrics = new Metrics();
    const shared = new SharedMetrics(dir, k, metrics);
    metrics.collect(() => workerModelSamples(k, model));
    metrics.collect(() => [
      { name: "candlecast_http_requests_shed_total", help: "h", type: "counter", value: served },
      { name: "candlecast_http_open_connections", help: "h", type: "gauge", value: served },
    ]);
    for (let i = 0; i < served; i++) metrics.observe("/predict", "POST", 200, 0.001);
    metrics.observeBatchItems(422, served);
    return { metrics, shared, scrape: () => metrics.renderAll(model) };
  };
  /** Every counter series of a scrape but the per-worker ones: name{labels} → value. */
  const counters = (text: string) => {
    const names = [...text.matchAll(/^# TYPE (\S+) (counter|histogram)$/gm)].map((m) => m[1]);
    return new Map(
      [...text.matchAll(/^(\w+)(\{[^}]*\})? (\S+)$/gm)]
        .filter((m) => names.some((n) => m[1].startsWith(n)) && !/worker=/.test(m[2] ?? ""))
        .map((m) => [m[1] + (m[2] ?? ""), Number(m[3])]),
    );
  };
  try {
    const zero = worker(0, status(13, 1), 5);
    const first = worker(1, status(11, 2), 7);
    await zero.shared.start(60_000);
    await first.shared.start(60_000);
    const seen = [await zero.scrape(), await first.scrape()];
    // Worker 1 dies (its last snapshot stays); the parent starts a new one, which loads its model twice.
    await first.shared.stop();
    const second = worker(1, status(2), 1);
    await second.shared.start(60_000);
    await zero.shared.write();
    for (let i = 0; i < 2; i++) seen.push(await zero.scrape(), await second.scrape());
    const reloads = seen.map((text) => [
      value(text, 'candlecast_model_reloads_total{result="success"}'),
      value(text, 'candlecast_model_reloads_total{result="failure"}'),
    ]);
    assert.deepEqual(reloads, [[24, 3], [24, 3], [26, 3], [26, 3], [26, 3], [26, 3]]);
    // Every other counter the same: the same whichever worker answers, and never lower than a scrape before.
    for (let i = 1; i < seen.length; i++) {
      const [before, after] = [counters(seen[i - 1]), counters(seen[i])];
      assert.equal(
        before.size,
        25,
        "requests, the latency histogram, reloads, sheds, batch items, time refusals",
      );
      for (const [series, n] of before) {
        assert.ok((after.get(series) ?? 0) >= n, `${series}: ${n} → ${after.get(series)}`);
      }
    }
    assert.deepEqual(counters(seen[4]), counters(seen[5]));
    assert.equal(value(seen[5], "candlecast_http_requests_shed_total"), 13);
    assert.equal(value(seen[5], 'candlecast_batch_items_total{outcome="refused",status="422"}'), 13);
    assert.equal(value(seen[5], 'candlecast_batch_items_total{outcome="predicted",status="200"}'), 0);
    // The labelled series stay per worker; a restarted worker's add to its predecessor's.
    assert.equal(value(seen[5], 'candlecast_worker_model_reloads_total{worker="0",result="success"}'), 13);
    assert.equal(value(seen[5], 'candlecast_worker_model_reloads_total{worker="1",result="success"}'), 13);
    assert.equal(value(seen[5], 'candlecast_worker_model_reloads_total{worker="1",result="failure"}'), 2);
    // One serve without workers: its own count, as before.
    const alone = new Metrics().render(status(4, 1));
    assert.equal(value(alone, 'candlecast_model_reloads_total{result="success"}'), 4);
    assert.equal(value(alone, 'candlecast_model_reloads_total{result="failure"}'), 1);
    await zero.shared.stop();
    await second.shared.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scrapes alternating between workers under a second apart never go down", async () => {
  // Each worker rendered its live counters beside the others' files, written once a second: worker 0's
  // scrape showed its fresh requests, worker 1's next scrape read worker 0's older file, and the total read
  // 1, 2, 1, 2 … (Prometheus takes each drop for a counter reset).
  const dir = await Deno.makeTempDir();
  const series = 'candlecast_http_requests_total{route="/predict",method="POST",status="200"}';
  try {
    const zero = new Metrics(), one = new Metrics();
    const shared = [new SharedMetrics(dir, 0, zero), new SharedMetrics(dir, 1, one)];
    for (const s of shared) await s.start(60_000); // no timed write during the test
    const seen: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2; i++) zero.observe("/predict", "POST", 200, 0.001);
      seen.push(value(await zero.renderAll(NO_MODEL), series));
      one.observe("/predict", "POST", 200, 0.001);
      seen.push(value(await one.renderAll(NO_MODEL), series));
    }
    assert.deepEqual(seen, [2, 3, 5, 6, 8, 9]);
    for (const s of shared) await s.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a worker whose counters cannot be written says so once (the others' /metrics leave it out), and when it can again", async () => {
  const parent = await Deno.makeTempDir();
  const dir = `${parent}/shared`; // missing: every write fails, as on a full TMPDIR
  try {
    const logged: Record<string, unknown>[] = [];
    const metrics = new Metrics();
    const shared = new SharedMetrics(dir, 1, metrics, (record) => logged.push(record));
    await shared.write();
    await shared.write();
    // Before: nothing said; /metrics answered by the other worker undercounted, silently.
    assert.equal(logged.length, 1, JSON.stringify(logged));
    assert.equal(logged[0].event, "metrics_share_failed");
    assert.equal(logged[0].path, `${dir}/worker-1.json`);
    assert.match(String(logged[0].error), /No such file or directory/);
    assert.match(String(logged[0].hint), /other workers' \/metrics leave this worker's counters out/);
    await Deno.mkdir(dir);
    await shared.write();
    await shared.write();
    assert.deepEqual(logged.slice(1), [{ event: "metrics_share_recovered", failed_writes: 2 }]);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});
