import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { FakePredictor, predictBody } from "../test/fake_predictor.ts";
import type { LogRecord } from "./log.ts";
import { startService } from "./service.ts";

Deno.test("startService: serves the version it follows, drains on stop, and close records and releases it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-service-" });
  try {
    await Deno.mkdir(join(dir, "v1_2026-01-01"));
    await Deno.symlink("v1_2026-01-01", join(dir, "current"));
    const made: FakePredictor[] = [];
    const records: LogRecord[] = [];
    const logPath = join(dir, "predictions.jsonl");
    const service = await startService({
      log: (r) => records.push(r),
      model: {
        pointer: join(dir, "current"),
        load: (versionDir) => {
          const predictor = new FakePredictor({ version: basename(versionDir), delayMs: 200 });
          made.push(predictor);
          return Promise.resolve(predictor);
        },
        maxBatch: 1,
        intervalMs: 60_000,
      },
      listen: { hostname: "127.0.0.1", port: 0 },
      decision: "version",
      predictionsLog: { path: logPath, maxBytes: 1024 * 1024, keep: 1 },
    });
    assert.ok(service.port > 0);
    assert.equal(service.served, join(dir, "v1_2026-01-01"));

    const health = await fetch(`${service.url}/health`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).version, "v1_2026-01-01");

    const inFlight = fetch(`${service.url}/predict`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(predictBody()),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    service.stop();
    service.stop(); // a second signal while draining does nothing
    assert.equal(service.stopping, true);
    const draining = await fetch(`${service.url}/health`);
    assert.equal(draining.status, 503);
    assert.equal((await draining.json()).shutting_down, true);
    assert.equal((await inFlight).status, 200, "the request in flight finishes");
    await service.finished;

    assert.deepEqual(await service.close(), { predictionsLogLinesDropped: 0 });
    assert.equal(made.length, 1);
    assert.equal(made[0].closed, true, "the model is released");
    const lines = (await Deno.readTextFile(logPath)).trim().split("\n");
    assert.equal(lines.length, 1, "the prediction is in the log once it closed");
    assert.ok(records.some((r) => r.event === "model_loaded"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
