import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type PredictionRecord, PredictionRecordSchema } from "../engine/index.ts";
import { PredictionLog } from "./prediction_log.ts";
import type { LogRecord } from "./log.ts";

const entry = (i: number): PredictionRecord => ({
  time: new Date(Date.UTC(2026, 0, 1, i)).toISOString(),
  symbol: "BTCUSDT",
  last_candle_time: null,
  last_close: 100 + i,
  version: "v1_2026-01-01",
  prediction: "UP",
  probabilities: { down: 0.2, sideways: 0.3, up: 0.5 },
  expected_return: 0.01,
});

Deno.test("predictions are appended as JSON lines that parse back with the record schema", async () => {
  const path = join(await mkdtemp(join(tmpdir(), "predlog-")), "nested", "predictions.jsonl");
  const log = new PredictionLog(path, { flushMs: 10_000 });
  for (let i = 0; i < 3; i++) log.record(entry(i));
  await log.flush();
  log.record(entry(3));
  await log.flush();
  const lines = (await readFile(path, "utf8")).trim().split("\n");
  assert.equal(lines.length, 4);
  assert.deepEqual(lines.map((l) => PredictionRecordSchema.parse(JSON.parse(l)).last_close), [
    100,
    101,
    102,
    103,
  ]);
});

Deno.test("a log that cannot be written is reported once and never throws into a request", async () => {
  const dir = await mkdtemp(join(tmpdir(), "predlog-"));
  await Deno.writeTextFile(join(dir, "file"), "x");
  const events: LogRecord[] = [];
  const log = new PredictionLog(join(dir, "file", "predictions.jsonl"), { log: (e) => events.push(e) });
  log.record(entry(0));
  await log.flush();
  log.record(entry(1));
  await log.flush();
  assert.equal(events.length, 1);
  assert.equal(events[0].event, "prediction_log_failed");
});
