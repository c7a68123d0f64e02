import assert from "node:assert/strict";
import { join } from "node:path";
import { pruneVersions } from "../../ml/checkpoints/index.ts";
import { holdVersion } from "./version_hold.ts";
import { versionHeld as held } from "../../test/version_held.ts";

async function version(): Promise<{ root: string; dir: string; manifest: string }> {
  const root = await Deno.makeTempDir({ prefix: "candlecast-hold-" });
  const dir = join(root, "v1_2026-01-01");
  await Deno.mkdir(dir);
  await Deno.writeTextFile(join(dir, "manifest.json"), "{}");
  return { root, dir, manifest: join(dir, "manifest.json") };
}

/** What `candlecast export` does to a version's manifest.json (writeFileAtomic): a new file renamed over it. */
async function rewriteManifest(dir: string): Promise<void> {
  await Deno.writeTextFile(join(dir, ".manifest.json.tmp"), '{"onnx_sha256":"x"}');
  await Deno.rename(join(dir, ".manifest.json.tmp"), join(dir, "manifest.json"));
}

Deno.test({
  name: "a hold is a shared lock: several serves hold one version, and a prune's exclusive probe sees it",
  // A shared lock on the version folder: Windows opens no folder as a file (serve holds the manifest there).
  ignore: Deno.build.os === "windows",
}, async () => {
  const { root, dir } = await version();
  try {
    const a = await holdVersion(dir);
    const b = await holdVersion(dir);
    assert.ok(a !== null && b !== null, "two workers hold it at once");
    assert.ok(await held(dir));
    a.release();
    a.release(); // twice is harmless
    assert.ok(await held(dir), "the other still holds it");
    b.release();
    assert.ok(!(await held(dir)));
    assert.equal(await holdVersion(join(root, "v9_2026-01-01")), null, "no version: nothing to hold");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "a hold taken while a prune renames the version away holds nothing (the load then finds it gone)",
  // A shared lock on the version folder: Windows opens no folder as a file (serve holds the manifest there).
  ignore: Deno.build.os === "windows",
}, async () => {
  const { root, dir } = await version();
  try {
    // What pruneVersions does: an exclusive lock on the version folder, held while it renames it away.
    const claim = await Deno.open(dir, { read: true });
    assert.ok(await claim.tryLock(true));
    const holding = holdVersion(dir);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await Deno.rename(dir, join(root, ".removing-v1_2026-01-01-0a1b2c3d"));
    claim.close();
    assert.equal(await holding, null);
    // Nothing holds it from then on (checked right after, and again in the test below).
    assert.ok(!(await held(join(root, ".removing-v1_2026-01-01-0a1b2c3d"))), "the hold's lock is let go");
    // Without a rename, the hold is taken once the claim is let go.
    await Deno.rename(join(root, ".removing-v1_2026-01-01-0a1b2c3d"), dir);
    const again = await Deno.open(dir, { read: true });
    assert.ok(await again.tryLock(true));
    const waiting = holdVersion(dir);
    await new Promise((resolve) => setTimeout(resolve, 100));
    again.close();
    const hold = await waiting;
    assert.ok(hold !== null);
    assert.ok(await held(dir));
    hold.release();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "holds that find their versions renamed away have let go of their locks when they give null",
  // A shared lock on the version folder: Windows opens no folder as a file (serve holds the manifest there).
  ignore: Deno.build.os === "windows",
}, async () => {
  // Before, the check that the locked folder was still the version's (`stillAt`) rejected as soon as the path
  // was found gone, while its stat of the open folder still ran; the folder was closed only once that stat
  // ended, so its shared lock outlived `holdVersion`'s null by a few ms, and a prune right then saw the
  // version held (the test above failed ~1 run in 10–20). Rare for one hold (1 in 20–40 tries), so 8 at once,
  // 20 times: 1–4 of each 80 outlived their null before, and every run of this test failed. Each folder is
  // opened at its new name before its hold returns, so the exclusive lock is asked at once after the null.
  const root = await Deno.makeTempDir({ prefix: "candlecast-hold-" });
  const dirs = Array.from({ length: 8 }, (_, k) => join(root, `v${k + 1}_2026-01-01`));
  const away = (dir: string) => `${dir}.removing`;
  try {
    for (const dir of dirs) await Deno.mkdir(dir);
    for (let i = 0; i < 20; i++) {
      // What pruneVersions does: an exclusive lock on the version folder, held while it renames it away.
      const claims: Deno.FsFile[] = [];
      const probes: Deno.FsFile[] = [];
      try {
        for (const dir of dirs) {
          claims.push(await Deno.open(dir, { read: true }));
          assert.ok(await claims.at(-1)!.tryLock(true));
        }
        const holding = dirs.map((dir) => holdVersion(dir));
        // Long enough for the holds to be polling the claims (every 20 ms), so that they take the locks after
        // the renames; one not yet would find no folder and hold nothing, and prove nothing.
        await new Promise((resolve) => setTimeout(resolve, 40));
        for (const dir of dirs) await Deno.rename(dir, away(dir));
        for (const dir of dirs) probes.push(await Deno.open(away(dir), { read: true }));
        for (const claim of claims.splice(0)) claim.close();
        const outlived = await Promise.all(holding.map(async (hold, k) => {
          assert.equal(await hold, null);
          return !(await probes[k].tryLock(true));
        }));
        assert.equal(outlived.filter(Boolean).length, 0, `try ${i + 1}: locks outlived their holds' null`);
      } finally {
        for (const file of [...claims, ...probes]) file.close();
      }
      for (const dir of dirs) await Deno.rename(away(dir), dir);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name:
    "a hold survives its manifest rewritten (an export recording a hash): a prune still leaves the version",
  // A shared lock on the version folder: Windows opens no folder as a file (serve holds the manifest there).
  ignore: Deno.build.os === "windows",
}, async () => {
  const { root, dir } = await version();
  try {
    await Deno.mkdir(join(root, "v2_2026-01-08"));
    const hold = await holdVersion(dir);
    assert.ok(hold !== null);
    // Before, the hold was a lock on manifest.json, which stayed on the old file: the version was held no more,
    // and `retrain --keep` deleted it under serve.
    await rewriteManifest(dir);
    assert.ok(await held(dir));
    assert.deepEqual(await pruneVersions(root, 1, "retrain --keep"), {
      removed: [],
      inUse: ["v1_2026-01-01"],
      warnings: [],
    });
    hold.release();
    assert.deepEqual((await pruneVersions(root, 1, "retrain --keep")).removed, ["v1_2026-01-01"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name:
    "a serve that could hold only the manifest (Windows, a folder it may not read) is seen by a prune too",
  // `held` opens the version folder as a file, which Windows cannot (POSIX folder locks).
  ignore: Deno.build.os === "windows",
}, async () => {
  const { root, dir, manifest } = await version();
  try {
    await Deno.mkdir(join(root, "v2_2026-01-08"));
    const onManifest = await Deno.open(manifest, { read: true });
    assert.ok(await onManifest.tryLock(false));
    assert.deepEqual((await pruneVersions(root, 1, "retrain --keep")).inUse, ["v1_2026-01-01"]);
    onManifest.close();
    assert.ok(!(await held(dir)), "a prune that found it served holds nothing");
    assert.deepEqual((await pruneVersions(root, 1, "retrain --keep")).removed, ["v1_2026-01-01"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
