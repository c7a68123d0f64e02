import assert from "node:assert/strict";
import { join } from "node:path";
import { parseMetricsFile, readMetricsFile } from "./metrics_file.ts";

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
