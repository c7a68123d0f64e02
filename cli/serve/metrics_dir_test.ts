import assert from "node:assert/strict";
import { join } from "node:path";
import { metricsDirFor, removeStaleMetricsDirs } from "./metrics_dir.ts";

Deno.test("a start removes the metrics folders of first processes that are gone, and only those", async () => {
  const parent = await Deno.makeTempDir({ prefix: "candlecast-tmp-" });
  try {
    const names = [
      "candlecast-metrics-4000001-a1b2", // killed outright: gone
      "candlecast-metrics-4000002-c3d4", // still running
      `candlecast-metrics-${Deno.pid}-e5f6`, // this process's own
      "candlecast-metrics-x7y8", // named before folders carried a pid: whose is unknown
      "other-4000001-a1b2",
    ];
    for (const name of names) await Deno.mkdir(join(parent, name));
    await Deno.writeTextFile(join(parent, "candlecast-metrics-4000001-file"), ""); // not a folder
    const alive = (pid: number) => Promise.resolve(pid === 4000002);
    // Before: every SIGKILLed `serve --workers N` left its folder in /tmp for good.
    assert.deepEqual(await removeStaleMetricsDirs(parent, alive), ["candlecast-metrics-4000001-a1b2"]);
    const left = (await Array.fromAsync(Deno.readDir(parent))).map((e) => e.name).sort();
    assert.deepEqual(left, [...names.slice(1), "candlecast-metrics-4000001-file"].sort());
    // With /proc (Linux): a pid no process has is gone, this process is not.
    if (await Deno.stat("/proc/self").then(() => true, () => false)) {
      await Deno.mkdir(join(parent, "candlecast-metrics-4194305-gone")); // above Linux's largest pid_max
      assert.deepEqual((await removeStaleMetricsDirs(parent)).sort(), [
        "candlecast-metrics-4000002-c3d4", // "running" for the fake above only
        "candlecast-metrics-4194305-gone",
      ]);
      assert.ok((await Deno.stat(join(parent, `candlecast-metrics-${Deno.pid}-e5f6`))).isDirectory);
    }
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("metricsDirFor: a first process with workers makes one named after its pid; alone, none; a worker, its parent's", async () => {
  const mine = await metricsDirFor(null, 2, () => undefined);
  try {
    assert.ok(mine !== null && new RegExp(`/candlecast-metrics-${Deno.pid}-[^/]+$`).test(mine), String(mine));
    assert.ok((await Deno.stat(mine!)).isDirectory);
  } finally {
    if (mine) await Deno.remove(mine, { recursive: true });
  }
  assert.equal(await metricsDirFor(null, 1, () => "/x"), null);
  assert.equal(await metricsDirFor(2, 1, () => "/tmp/candlecast-metrics-1-a"), "/tmp/candlecast-metrics-1-a");
  assert.equal(await metricsDirFor(2, 1, () => undefined), null);
});
