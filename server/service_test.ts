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

Deno.test("startService: a worker that can load neither --checkpoint nor its fallback does not bind", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-service-" });
  try {
    await Deno.mkdir(join(dir, "v1_2026-01-01"));
    await Deno.symlink("v1_2026-01-01", join(dir, "current"));
    // The port the worker would share, found free first: bound after the refusal, the worker would hold it.
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const records: LogRecord[] = [];
    const config = (fallback: string | undefined) => ({
      log: (r: LogRecord) => records.push(r),
      model: {
        pointer: join(dir, "current"),
        load: (versionDir: string) =>
          Promise.reject(new Error(`${versionDir}/model.onnx: the ONNX model is missing`)),
        maxBatch: 1,
        intervalMs: 60_000,
        fallback,
      },
      listen: { hostname: "127.0.0.1", port },
      decision: "version" as const,
    });
    // Before: it bound, and answered its share of the bot's connections 503 while the first process served.
    await assert.rejects(
      startService(config(join(dir, "v1_2026-01-01"))),
      (e: Error) => {
        assert.equal(e.name, "NoModelToJoinError");
        assert.match(
          e.message,
          /^neither .*current nor .*v1_2026-01-01 \(the version the first process serves/,
        );
        assert.match((e as Error & { hint?: string }).hint ?? "", /candlecast models rollback/);
        return true;
      },
    );
    const free = Deno.listen({ hostname: "127.0.0.1", port });
    free.close();
    // Without a fallback (the first process, or a worker started before any version loaded) it binds, as ever,
    // answering 503 until a model appears.
    const first = await startService(config(undefined));
    assert.equal((await fetch(`${first.url}/health`)).status, 503);
    first.stop();
    await first.finished;
    await first.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
