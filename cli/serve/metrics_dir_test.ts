import assert from "node:assert/strict";
import { join } from "node:path";
import { metricsDirFor, removeStaleMetricsDirs, STALE_METRICS_MS } from "./metrics_dir.ts";

Deno.test("a start removes the metrics folders no service has written to for an hour, and only those", async () => {
  const parent = await Deno.makeTempDir({ prefix: "candlecast-tmp-" });
  try {
    const now = Date.now();
    const aged = async (name: string, ageMs: number) => {
      await Deno.mkdir(join(parent, name));
      await Deno.utime(join(parent, name), (now - ageMs) / 1000, (now - ageMs) / 1000);
    };
    await aged("candlecast-metrics-killed", STALE_METRICS_MS + 60_000); // its first process killed outright
    await aged("candlecast-metrics-live", 1_000); // written a second ago
    await aged("other-metrics-old", 2 * STALE_METRICS_MS);
    await Deno.writeTextFile(join(parent, "candlecast-metrics-file"), ""); // not a folder
    // Before: every SIGKILLed `serve --workers N` left its folder in /tmp for good.
    assert.deepEqual(await removeStaleMetricsDirs(parent, { now }), ["candlecast-metrics-killed"]);
    const left = (await Array.fromAsync(Deno.readDir(parent))).map((e) => e.name).sort();
    assert.deepEqual(left, ["candlecast-metrics-file", "candlecast-metrics-live", "other-metrics-old"]);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test({
  name: "the sweep works with the permissions serve runs with (deno task cli's flags, not -A)",
  fn: async () => {
    // A review: the first version read /proc, which Deno allows only with --allow-all, and so removed nothing
    // outside the tests (run with -A).
    const parent = await Deno.makeTempDir({ prefix: "candlecast-tmp-" });
    try {
      await Deno.mkdir(join(parent, "candlecast-metrics-killed"));
      await Deno.utime(join(parent, "candlecast-metrics-killed"), 0, 0);
      const script = `import { removeStaleMetricsDirs } from ${
        JSON.stringify(new URL("./metrics_dir.ts", import.meta.url).href)
      };
console.log(JSON.stringify(await removeStaleMetricsDirs(${JSON.stringify(parent)})));`;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["eval", "--allow-read", "--allow-write", "--allow-env", "--allow-sys", script],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), ["candlecast-metrics-killed"]);
    } finally {
      await Deno.remove(parent, { recursive: true });
    }
  },
});

Deno.test("metricsDirFor: a first process with workers makes one; alone, none; a worker, its parent's", async () => {
  const mine = await metricsDirFor(null, 2, () => undefined);
  try {
    assert.ok(mine !== null && /\/candlecast-metrics-[^/]+$/.test(mine), String(mine));
    assert.ok((await Deno.stat(mine!)).isDirectory);
  } finally {
    if (mine) await Deno.remove(mine, { recursive: true });
  }
  assert.equal(await metricsDirFor(null, 1, () => "/x"), null);
  assert.equal(await metricsDirFor(2, 1, () => "/tmp/candlecast-metrics-a"), "/tmp/candlecast-metrics-a");
  assert.equal(await metricsDirFor(2, 1, () => undefined), null);
});
