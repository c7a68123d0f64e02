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
