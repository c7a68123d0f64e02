import assert from "node:assert/strict";
import { join } from "node:path";
import { parseMetricsFile, readMetricsFile } from "./metrics_file.ts";
import { sha256Hex } from "./manifest.ts";

Deno.test("metrics.json is read with one schema: scores present are kept, missing or malformed ones absent", async () => {
  const full = parseMetricsFile({
    test: { accuracy: 0.48, macro_f1: 0.26, log_loss: 1.03, predicted_share: {} },
    served: { rule: "prior", metrics: { accuracy: 0.4, macro_f1: 0.39, log_loss: 1.03 }, baselines: {} },
    baselines: { majority: {} },
  });
  assert.equal(full?.test?.macro_f1, 0.26);
  assert.equal(full?.served?.rule, "prior");
  assert.equal(full?.served?.metrics.macro_f1, 0.39);
  // An older version: argmax scores only, some of them; a served part of the wrong shape is dropped, not fatal.
  const old = parseMetricsFile({ test: { macro_f1: 0.41 }, served: { rule: 7 } });
  assert.deepEqual([old?.test, old?.served], [{ macro_f1: 0.41 }, undefined]);
  assert.equal(parseMetricsFile("not an object"), null);

  const dir = await Deno.makeTempDir({ prefix: "candlecast-metrics-" });
  try {
    assert.equal(await readMetricsFile(dir), null, "no metrics.json");
    await Deno.writeTextFile(join(dir, "metrics.json"), "{ truncated");
    assert.equal(await readMetricsFile(dir), null, "not JSON");
    await Deno.writeTextFile(join(dir, "metrics.json"), JSON.stringify({ test: { macro_f1: 0.3 } }));
    assert.equal((await readMetricsFile(dir))?.test?.macro_f1, 0.3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a metrics.json changed since the manifest hashed it reads as absent", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-metrics-hash-" });
  try {
    const text = JSON.stringify({ test: { macro_f1: 0.3 } });
    await Deno.writeTextFile(join(dir, "metrics.json"), text);
    const files = { "metrics.json": await sha256Hex(new TextEncoder().encode(text)) };
    assert.equal((await readMetricsFile(dir, files))?.test?.macro_f1, 0.3);
    await Deno.writeTextFile(join(dir, "metrics.json"), JSON.stringify({ test: { macro_f1: 0.9 } }));
    assert.equal(await readMetricsFile(dir, files), null, "edited since training");
    assert.equal((await readMetricsFile(dir))?.test?.macro_f1, 0.9, "no hash recorded: nothing to check");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a metrics.json holding a score no scoring gives is damaged: read as absent, as a missing one is", async () => {
  // Before: `macro_f1: -5` was listed by models list as −5.0000 and `log_loss: -1e308` was monitor's yardstick.
  const written = {
    split: "test",
    test: {
      windows: 324,
      accuracy: 0.42,
      macro_f1: 0.31,
      per_class: { DOWN: { precision: 0.26, recall: 0.49, f1: 0.34, support: 75 } },
      confusion_matrix: [[37, 37, 1], [77, 98, 0], [30, 43, 1]],
      log_loss: 1.07,
      brier: 0.65,
      return_rank_correlation: -0.07,
    },
    test_loss: 1.28,
    served: {
      rule: "prior",
      metrics: { windows: 324, accuracy: 0, macro_f1: 1, log_loss: 0, brier: 2 },
      ece: 0.05,
      confidence_ece: 0.11,
      // A bin no window fell in: written as null (NaN), no score.
      confidence_reliability: [{ lower: 0, upper: 0.1, count: 0, confidence: null, accuracy: null }],
      baselines: { majority: { accuracy: 0.54, macro_f1: 0.23, confidence_ece: 0.03 } },
    },
    baselines: { majority: { windows: 324, accuracy: 0.54, macro_f1: 0.23, log_loss: 1.0 } },
  };
  assert.equal(parseMetricsFile(written)?.served?.metrics.macro_f1, 1, "as train writes it, bounds included");
  const damaged: [string, (m: typeof written) => void][] = [
    ["test.macro_f1 -5", (m) => (m.test.macro_f1 = -5)],
    ["test.accuracy 1.5", (m) => (m.test.accuracy = 1.5)],
    ["test.log_loss -1e308", (m) => (m.test.log_loss = -1e308)],
    ["test.brier 2.5", (m) => (m.test.brier = 2.5)],
    ["test.windows 3.5", (m) => (m.test.windows = 3.5)],
    ["per_class recall -0.1", (m) => (m.test.per_class.DOWN.recall = -0.1)],
    ["served.metrics.log_loss -1", (m) => (m.served.metrics.log_loss = -1)],
    ["served.confidence_ece 2", (m) => (m.served.confidence_ece = 2)],
    ["a served baseline's macro_f1 -1", (m) => (m.served.baselines.majority.macro_f1 = -1)],
  ];
  for (const [what, damage] of damaged) {
    const m = structuredClone(written);
    damage(m);
    assert.equal(parseMetricsFile(m), null, what);
  }
  const dir = await Deno.makeTempDir({ prefix: "candlecast-metrics-bounds-" });
  try {
    // 1e400 is JSON for Infinity: no log-loss either.
    await Deno.writeTextFile(join(dir, "metrics.json"), '{"test": {"macro_f1": 0.3, "log_loss": 1e400}}');
    assert.equal(await readMetricsFile(dir), null, "log_loss 1e400");
    await Deno.writeTextFile(join(dir, "metrics.json"), '{"test": {"macro_f1": 0.3, "log_loss": 1.1}}');
    assert.equal((await readMetricsFile(dir))?.test?.log_loss, 1.1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
