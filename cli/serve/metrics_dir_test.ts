import assert from "node:assert/strict";
import { join } from "node:path";
import { metricsDirFor, removeStaleMetricsDirs, STALE_METRICS_MS, tempDirError } from "./metrics_dir.ts";
import { UsageError } from "../errors.ts";

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

Deno.test("a temporary directory where no metrics folder can be made is named, with what to do (exit 2)", () => {
  const cases: [Error, string | null, string, string][] = [
    [
      new Error("Read-only file system (os error 30): tmpdir"),
      "/srv/tmp",
      "TMPDIR (/srv/tmp), where none can be made: the file system is read-only (Read-only file system (os " +
      "error 30): tmpdir)",
      "write somewhere writable, or remount it read-write; or set TMPDIR to a folder this user can write (or " +
      "unset it for /tmp), or serve with --workers 1",
    ],
    [
      new Deno.errors.NotCapable("Requires write access to <TMP>, run again with the --allow-write flag"),
      null,
      "/tmp (TMPDIR is unset), which this process may not write (its Deno permissions, --allow-write, leave it out)",
      "add it to --allow-write ('deno task cli' and the compiled binary grant it); or set TMPDIR to a folder this " +
      "user can write, or serve with --workers 1",
    ],
  ];
  for (const [error, tmpdir, where, hint] of cases) {
    const refused = tempDirError(error, 3, tmpdir);
    assert.ok(refused instanceof UsageError);
    assert.equal(
      refused.message,
      `serve --workers 3 shares /metrics between its processes through a folder it makes in ${where}`,
    );
    assert.equal(refused.hint, hint);
  }
});
