import assert from "node:assert/strict";
import { join } from "node:path";
import { FEATURE_NAMES } from "../../features/index.ts";
import { PathKindError, tryLockFile } from "../../base/index.ts";
import { initBackend } from "../runtime/backend.ts";
import { buildModel, defaultModelConfig, saveModel } from "../models/index.ts";
import type { Preprocessor } from "../../engine/preprocessor.ts";
import { readManifest } from "./read.ts";
import { CheckpointStoreError } from "./errors.ts";
import { currentVersion, promote } from "./store.ts";
import { pruneVersions } from "./prune.ts";
import { verifyVersion } from "./manifest.ts";
import { recordDataSource, recordFileHash, type VersionContents, writeVersion } from "./writer.ts";
import { testManifest } from "../../test/manifest.ts";

await initBackend("cpu");

const config = { ...defaultModelConfig("lightweight_lstm", 4), lstmHidden: 2, lstmLayers: 1 };
const preprocessor: Preprocessor = {
  modelType: "lightweight_lstm",
  featureNames: FEATURE_NAMES,
  lookback: 4,
  horizon: 2,
  labelRule: { kind: "volatility", multiplier: 0.5 },
  classes: ["DOWN", "SIDEWAYS", "UP"],
  scaler: { featureNames: FEATURE_NAMES, mean: FEATURE_NAMES.map(() => 0), std: FEATURE_NAMES.map(() => 1) },
  clip: 10,
  returnScale: { mean: 0, std: 0.01 },
  temperature: 1,
};

function contents(overrides: Partial<VersionContents> = {}): VersionContents {
  return {
    writeModel: (dir) => saveModel(buildModel(config, 1), dir),
    preprocessor,
    history: [{ epoch: 1 }],
    metrics: { test: { macro_f1: 0.4 } },
    manifest: testManifest({
      interval: null,
      training: { stop_reason: "epochs" },
      data: { path: "x.csv", interval: null, windows: { train: 1, validation: 1, test: 1 } },
    }),
    exportOnnx: () => new Uint8Array([1, 2, 3]),
    createdAt: new Date("2026-11-24T10:00:00Z"),
    ...overrides,
  };
}

async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("a version holds every file of SPEC §7 with their sha256 in the manifest", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-writer-" });
  const written = await writeVersion(root, contents());
  assert.equal(written.version, "v1_2026-11-24");
  assert.equal(written.onnxError, undefined);
  assert.deepEqual(await entries(written.dir), [
    "history.json",
    "manifest.json",
    "metrics.json",
    "model.json",
    "model.onnx",
    "preprocessor.json",
    "weights.bin",
  ]);
  const manifest = await readManifest(written.dir);
  assert.equal(manifest.version, "v1_2026-11-24");
  assert.equal(manifest.created_at, "2026-11-24T10:00:00.000Z");
  assert.deepEqual(Object.keys(manifest.files).sort(), [
    "history.json",
    "metrics.json",
    "model.json",
    "model.onnx",
    "preprocessor.json",
    "weights.bin",
  ]);
  assert.deepEqual(await verifyVersion(written.dir, manifest.files), []);
  assert.equal((await writeVersion(root, contents())).version, "v2_2026-11-24");
  assert.deepEqual(await entries(root), ["v1_2026-11-24", "v2_2026-11-24"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a failed ONNX export still leaves a complete version, without model.onnx, and says why", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-writer-" });
  const written = await writeVersion(
    root,
    contents({ exportOnnx: () => Promise.reject(new Error("no LSTM")) }),
  );
  assert.match(written.onnxError!.message, /no LSTM/);
  assert.ok(!(await entries(written.dir)).includes("model.onnx"));
  assert.ok(!("model.onnx" in (await readManifest(written.dir)).files));
  await Deno.remove(root, { recursive: true });
});

Deno.test("a write that fails part-way leaves no version, no temporary folder, and current as it was", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-writer-" });
  const first = await writeVersion(root, contents());
  await promote(root, first.version);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic; // JSON.stringify throws on it, after the model files are written
  await assert.rejects(writeVersion(root, contents({ metrics: cyclic })), /circular/i);
  // `.current.lock` is promote's kernel lock file: it stays by design (the lock is the descriptor, not the file).
  assert.deepEqual((await entries(root)).filter((e) => e !== ".current.lock"), ["current", "v1_2026-11-24"]);
  assert.equal(await currentVersion(root), first.version);
  assert.equal((await readManifest(join(root, "current"))).version, first.version);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a store through a link to a folder not there (its disk gone mid-training) is said as such, exit 2", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-writer-" });
  try {
    const store = join(root, "ck");
    await Deno.symlink(join(root, "unmounted"), store);
    // Was mkdir's "File exists (os error 17)" on the link: "unexpected failure … this is a bug".
    await assert.rejects(writeVersion(store, contents()), (error: unknown) => {
      assert.ok(error instanceof PathKindError, String(error));
      assert.equal(error.exitCode, 2);
      assert.ok(error.message.startsWith(`${store} is a link to `), error.message);
      return true;
    });
    assert.deepEqual(await entries(root), ["ck"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a version folder that loses a file while it is written is refused, not saved 'files ok' without it", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-writer-" });
  try {
    // Another process removed the folder's files mid-write: the manifest hashed what was left, and the version
    // was listed as whole with no preprocessor.json.
    const lose = async () => {
      for await (const e of Deno.readDir(root)) {
        if (e.name.endsWith(".tmp")) await Deno.remove(join(root, e.name, "preprocessor.json"));
      }
      return new Uint8Array([1, 2, 3]);
    };
    await assert.rejects(
      writeVersion(root, contents({ exportOnnx: lose })),
      (error: Error) =>
        error instanceof CheckpointStoreError && /lost preprocessor\.json/.test(error.message),
    );
    assert.deepEqual(await entries(root), [], "no version, no temporary folder");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "a version folder is locked while it is written, so no clean-up in another PID namespace takes it",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "candlecast-writer-" });
    try {
      const locked: boolean[] = [];
      const check = async () => {
        for await (const e of Deno.readDir(root)) {
          if (!e.name.endsWith(".tmp")) continue;
          const folder = await Deno.open(join(root, e.name), { read: true });
          locked.push(!(await folder.tryLock(true)));
          folder.close();
        }
        return new Uint8Array([1, 2, 3]);
      };
      const written = await writeVersion(root, contents({ exportOnnx: check }));
      assert.deepEqual(locked, [true]);
      const folder = await Deno.open(written.dir, { read: true });
      assert.ok(await folder.tryLock(true), "released once the version is in place");
      folder.close();
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("two versions written at once into one store both land, each under its own name (none is lost)", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-writer-" });
  // Two trains finishing together both read the highest version before either renamed its folder into place.
  const both = await Promise.allSettled([writeVersion(root, contents()), writeVersion(root, contents())]);
  assert.deepEqual(both.map((r) => r.status), ["fulfilled", "fulfilled"]);
  const names = both.map((r) => r.status === "fulfilled" ? r.value.version : "").sort();
  assert.deepEqual(names, ["v1_2026-11-24", "v2_2026-11-24"]);
  assert.deepEqual(await entries(root), names);
  for (const name of names) {
    const manifest = await readManifest(join(root, name));
    assert.equal(manifest.version, name);
    assert.deepEqual(await verifyVersion(join(root, name), manifest.files), []);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("recordFileHash keeps the manifest's other keys, and refuses one that is not a manifest, naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "manifest.json");
    await Deno.writeTextFile(path, JSON.stringify({ version: "v1_2024-05-05", files: { "a.bin": "00" } }));
    await recordFileHash(dir, "model.onnx", new Uint8Array([1, 2, 3]));
    const manifest = JSON.parse(await Deno.readTextFile(path));
    assert.equal(manifest.version, "v1_2024-05-05");
    assert.deepEqual(Object.keys(manifest.files), ["a.bin", "model.onnx"]);
    // Before: read through a cast, an array was rewritten as an object of its indices plus `files`.
    await Deno.writeTextFile(path, "[1]");
    await assert.rejects(
      recordFileHash(dir, "model.onnx", new Uint8Array([1])),
      (e: Error) => e instanceof CheckpointStoreError && /manifest\.json: not a manifest/.test(e.message),
    );
    assert.equal(await Deno.readTextFile(path), "[1]", "left as it was");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("manifest edits wait for the version's lock: two at once cannot each write what it read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "manifest.json");
    await Deno.writeTextFile(
      path,
      JSON.stringify({ version: "v1_2024-05-05", files: {}, data: { end_ms: 0 } }),
    );
    // Another edit holds the lock (an export recording model.onnx's hash); a retrain's edit waits for it.
    // Before, each wrote the manifest it had read, and one edit was lost.
    const held = (await tryLockFile(join(dir, ".manifest.lock"), "export"))!;
    let done = false;
    const waiting = recordDataSource(dir, "/data/training_data.csv", Date.UTC(2024, 4, 1)).then(() =>
      done = true
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(done, false, "it waits while the lock is held");
    await recordFileHashUnlocked(path);
    held.release();
    await waiting;
    const manifest = JSON.parse(await Deno.readTextFile(path));
    assert.deepEqual(Object.keys(manifest.files), ["model.onnx"], "the other edit is kept");
    assert.equal(manifest.data.path, "/data/training_data.csv");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The holder's own edit, as it makes it under its lock: model.onnx's hash added. */
async function recordFileHashUnlocked(path: string) {
  const manifest = JSON.parse(await Deno.readTextFile(path));
  await Deno.writeTextFile(path, JSON.stringify({ ...manifest, files: { "model.onnx": "00" } }));
}

Deno.test("a manifest edit on a version removed meanwhile fails, and does not bring its folder back for the lock", async () => {
  const root = await Deno.makeTempDir();
  try {
    const dir = join(root, "v3_2024-05-05"); // removed by retrain --keep while an export finished
    // Before: the lock's mkdir made the folder again, holding .manifest.lock alone, listed as a version.
    await assert.rejects(
      recordFileHash(dir, "model.onnx", new Uint8Array([1])),
      (e: Error) => e instanceof CheckpointStoreError && /no such version/.test(e.message),
    );
    assert.equal(await Deno.stat(dir).catch(() => null), null, "not recreated");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a version written with keepLocked is spared by retrain --keep's prune until released", {
  ignore: Deno.build.os === "windows",
}, async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-writer-held-" });
  try {
    const served: string[] = [];
    for (let i = 0; i < 3; i++) {
      const v = await writeVersion(root, contents());
      await promote(root, v.version);
      served.push(v.version);
    }
    // Before: a hand train's new version, saved while a retrain pruned and not yet promoted, was the first to go
    // (never served), and train then said to promote a version that was gone (a concurrency seat).
    const fresh = await writeVersion(root, contents({ keepLocked: true }));
    const pruned = await pruneVersions(root, 2, "retrain --keep");
    assert.deepEqual([pruned.removed, pruned.inUse], [[], [fresh.version]]);
    assert.ok((await entries(root)).includes(fresh.version));
    fresh.release();
    fresh.release(); // twice is harmless
    assert.deepEqual((await pruneVersions(root, 2, "retrain --keep")).removed, [fresh.version]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
