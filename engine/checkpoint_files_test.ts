import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { writeStandInCheckpoint } from "../test/stand_in_checkpoint.ts";
import { fileProblems, ManifestBaseSchema, sha256Hex } from "./manifest.ts";
import {
  assertCheckpointDir,
  CheckpointError,
  readCheckpointFiles,
  readJson,
  readManifestInfo,
  readPreprocessorFile,
  verifyCheckpointFiles,
  versionStoreError,
} from "./checkpoint_files.ts";
import { loadPredictor } from "./onnx_predictor.ts";
import { readMetricsFile } from "./metrics_file.ts";

/** A stand-in version whose manifest lists its files' sha256, as `train` writes them. */
async function hashedCheckpoint(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "candlecast_hashes_" });
  await writeStandInCheckpoint(dir, { version: "v4_2024-04-04" });
  const files: Record<string, string> = {};
  for (const name of ["model.onnx", "preprocessor.json", "metrics.json"]) {
    files[name] = await sha256Hex(await Deno.readFile(join(dir, name)));
  }
  const manifest = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
  await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, files }));
  return dir;
}

const refusesNaming = (name: string) => (error: Error) => {
  assert.ok(error instanceof CheckpointError, String(error));
  assert.match(
    error.message,
    new RegExp(`/${name.replace(".", "\\.")}: does not match the sha256 in .*manifest\\.json`),
  );
  assert.match(error.hint!, /models list/);
  return true;
};

Deno.test("engine: a version loads only while its files hash as the manifest says (serve, predict)", async () => {
  const dir = await hashedCheckpoint();
  const predictor = await loadPredictor(dir);
  await predictor.close();

  // model.onnx swapped for another valid model: it loads fine on ONNX Runtime, so only the hash can tell.
  const other = await Deno.makeTempDir({ prefix: "candlecast_other_" });
  await writeStandInCheckpoint(other, { version: "v9_2024-09-09", lookback: 20 });
  const original = await Deno.readFile(join(dir, "model.onnx"));
  await Deno.copyFile(join(other, "model.onnx"), join(dir, "model.onnx"));
  await assert.rejects(loadPredictor(dir), refusesNaming("model.onnx"));

  // Truncated (an interrupted copy).
  await Deno.writeFile(join(dir, "model.onnx"), original.subarray(0, 100));
  await assert.rejects(readCheckpointFiles(dir), refusesNaming("model.onnx"));

  await Deno.writeFile(join(dir, "model.onnx"), original);
  await Deno.writeTextFile(join(dir, "preprocessor.json"), " ", { append: true });
  await assert.rejects(readCheckpointFiles(dir), refusesNaming("preprocessor.json"));
  await assert.rejects(verifyCheckpointFiles(dir), refusesNaming("preprocessor.json"));
  await verifyCheckpointFiles(dir, ["model.onnx", "metrics.json"]);

  await Deno.remove(dir, { recursive: true });
  await Deno.remove(other, { recursive: true });
});

Deno.test("engine: a listed file that is gone is named missing, not 'does not match the sha256'", async () => {
  const dir = await hashedCheckpoint();
  try {
    await Deno.remove(join(dir, "metrics.json"));
    await assert.rejects(verifyCheckpointFiles(dir), (error: Error) => {
      assert.ok(error instanceof CheckpointError, String(error));
      assert.match(error.message, /\/metrics\.json: is missing; refusing to use it$/);
      assert.match(error.hint!, /restore the version's files/);
      // The listing it suggests names the store holding this version, so it works as printed.
      assert.ok(
        error.hint!.includes(`'candlecast models list --checkpoints ${dirname(dir)}' checks them`),
        error.hint!,
      );
      return true;
    });
    await Deno.writeTextFile(join(dir, "preprocessor.json"), " ", { append: true });
    await assert.rejects(verifyCheckpointFiles(dir), (error: Error) => {
      assert.match(
        error.message,
        /\/metrics\.json: is missing; \S+\/preprocessor\.json: does not match the sha256 in \S+manifest\.json/,
      );
      return true;
    });
    assert.deepEqual(await fileProblems(dir, { "metrics.json": "0", "model.onnx": "0" }), {
      missing: ["metrics.json"],
      changed: ["model.onnx"],
      notFiles: [],
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("engine: a metrics.json changed since training is left out of what is served; the version still serves", async () => {
  const dir = await hashedCheckpoint();
  try {
    assert.ok((await readCheckpointFiles(dir)).metrics, "the recorded scores, while they hash as recorded");
    // Before: a hand-improved accuracy was reported by /model/info as the version's own.
    const metrics = JSON.parse(await Deno.readTextFile(join(dir, "metrics.json")));
    metrics.test.accuracy = 0.9;
    await Deno.writeTextFile(join(dir, "metrics.json"), JSON.stringify(metrics));
    const files = await readCheckpointFiles(dir);
    assert.equal(files.metrics, undefined);
    assert.equal(files.servedMetrics, undefined);
    const predictor = await loadPredictor(dir);
    await predictor.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("engine: a hand-made folder without hashes still loads (nothing to check against)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast_nohash_" });
  await writeStandInCheckpoint(dir);
  const files = await readCheckpointFiles(dir);
  assert.equal(files.version, "v1_2024-01-01");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("engine: the folder holding the versions is not one; the hint names its current, else its newest", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast_store_" });
  try {
    for (const v of ["v2_2024-02-02", "v10_2024-10-10"]) {
      await writeStandInCheckpoint(join(root, v), { version: v });
    }
    const refused = (message: RegExp, hint: RegExp) => (error: Error) => {
      assert.ok(error instanceof CheckpointError, String(error));
      assert.match(error.message, message);
      assert.match(error.hint ?? "", hint);
      return true;
    };
    const notOne = new RegExp(`^${root} holds model versions but is not one itself$`);
    // Before, readManifestInfo said "<root>/manifest.json: manifest.json is missing" with no hint.
    await assert.rejects(
      readManifestInfo(root),
      refused(notOne, new RegExp(`^use --checkpoint ${root}/v10_2024-10-10 \\(the newest\\); .*models list`)),
    );
    await Deno.symlink("v2_2024-02-02", join(root, "current"));
    for (const read of [assertCheckpointDir, readCheckpointFiles, readManifestInfo]) {
      await assert.rejects(
        read(root),
        refused(notOne, new RegExp(`^use --checkpoint ${root}/current \\(the version served\\)`)),
      );
    }
    const plain = join(root, "v2_2024-02-02", "notes");
    await Deno.mkdir(plain);
    await assert.rejects(
      assertCheckpointDir(plain),
      refused(
        /is not a model version \(it has no manifest\.json\)$/,
        /point --checkpoint at a version folder/,
      ),
    );
    // A version whose manifest is gone: the store to list is its own (before: the bare 'candlecast models list'
    // of the default checkpoints/, and a hint to point --checkpoint at a version it already named).
    await Deno.remove(join(root, "v10_2024-10-10", "manifest.json"));
    for (const dir of [join(root, "v10_2024-10-10"), join(root, "v10_2024-10-10") + "/"]) {
      await assert.rejects(
        assertCheckpointDir(dir),
        refused(
          /v10_2024-10-10\/? is not a complete model version \(it has no manifest\.json\)$/,
          new RegExp(
            `^restore it from a backup, or use another version \\('candlecast models list --checkpoints ${root}' `,
          ),
        ),
      );
    }
    await assert.rejects(
      assertCheckpointDir(join(root, "v2_2024-02-02", "manifest.json")),
      refused(/manifest\.json is a file, not a checkpoint folder$/, /point --checkpoint at a version folder/),
    );
    await assertCheckpointDir(join(root, "current"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("engine: versionStoreError names the folder holding the versions, and nothing that may yet be one", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast_store_" });
  try {
    // Nothing there yet, an empty folder, an incomplete version (no manifest.json yet): serve waits for these.
    assert.equal(await versionStoreError(join(root, "current")), null);
    assert.equal(await versionStoreError(root), null);
    const version = join(root, "v1_2024-01-01");
    await Deno.mkdir(version);
    assert.equal(await versionStoreError(version), null);
    await writeStandInCheckpoint(version);
    assert.equal(await versionStoreError(version), null);
    assert.equal(await versionStoreError(join(version, "manifest.json")), null);
    await Deno.symlink("v1_2024-01-01", join(root, "current"));
    assert.equal(await versionStoreError(join(root, "current")), null);
    // The store itself: the same error assertCheckpointDir gives.
    const error = await versionStoreError(root);
    assert.ok(error instanceof CheckpointError);
    await assert.rejects(assertCheckpointDir(root), { message: error.message, hint: error.hint });
    assert.equal(error.message, `${root} holds model versions but is not one itself`);
    assert.match(error.hint!, /^use --checkpoint \S+\/current \(the version served\)/);
    // A dangling current names nothing to load: the newest version instead; a path with a space is quoted.
    await Deno.remove(join(root, "current"));
    await Deno.symlink("v9_gone", join(root, "current"));
    assert.match(
      (await versionStoreError(root, "--config-from"))!.hint!,
      /^use --config-from \S+\/v1_2024-01-01 \(the newest\)/,
    );
    const spaced = join(root, "sp ace");
    await Deno.mkdir(join(spaced, "v2_2024-02-02"), { recursive: true });
    assert.equal(
      (await versionStoreError(spaced))!.hint,
      `use --checkpoint "${spaced}/v2_2024-02-02" (the newest); 'candlecast models list --checkpoints "${spaced}"' ` +
        "shows them all",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("engine: a version's missing or broken file says what to do", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast_broken_" });
  try {
    await writeStandInCheckpoint(dir);
    await Deno.remove(join(dir, "preprocessor.json"));
    await assert.rejects(readPreprocessorFile(dir), (e: Error) => {
      assert.ok(e instanceof CheckpointError);
      assert.match(e.message, /preprocessor\.json: preprocessor\.json is missing$/);
      assert.match(e.hint ?? "", /incomplete or damaged; use another .*models list.* or retrain/);
      return true;
    });
    await Deno.writeTextFile(join(dir, "manifest.json"), "{");
    await assert.rejects(
      readManifestInfo(dir),
      (e: Error) => /not valid JSON/.test(e.message) && !!(e as CheckpointError).hint,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("engine: a version without model.onnx hints an export that pastes for a folder with a space", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast_spaced_" });
  const dir = join(root, "ck sd", "v1_2026-12-04");
  try {
    await Deno.mkdir(dir, { recursive: true });
    await writeStandInCheckpoint(dir, { version: "v1_2026-12-04" });
    await Deno.remove(join(dir, "model.onnx"));
    // Before: 'candlecast export --checkpoint …/ck sd/v1_… --output …/ck sd/v1_…/model.onnx', split by the shell.
    await assert.rejects(readCheckpointFiles(dir), (e: Error) => {
      assert.ok(e instanceof CheckpointError, String(e));
      assert.ok(
        e.hint?.includes(`'candlecast export --checkpoint "${dir}" --output "${join(dir, "model.onnx")}"'`),
        String(e.hint),
      );
      return true;
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a manifest's files are plain names in the version folder: a path out of it is refused when read", () => {
  const manifest = (name: string) => ({ version: "v1_2024-01-01", created_at: "x", files: { [name]: "0" } });
  for (const name of ["model.onnx", "weights.bin", "..hidden", "a b.json"]) {
    assert.ok(ManifestBaseSchema.safeParse(manifest(name)).success, name);
  }
  // Each was read and hashed by models list, promote and retrain: "../../x" outside the folder, and a FIFO
  // there hung them for good; an absolute name read under the folder, but is no file of it either.
  for (const name of ["../../outside.txt", "..", ".", "/etc/passwd", "sub/model.onnx", "a\\b", "", "x\0"]) {
    const parsed = ManifestBaseSchema.safeParse(manifest(name));
    assert.equal(parsed.success, false, name);
    const issue = parsed.error!.issues[0];
    assert.deepEqual(issue.path, ["files"]);
    assert.match(
      issue.message,
      /is not a file of the version folder: only plain file names \(like model\.onnx\)/,
    );
    assert.ok(issue.message.includes(JSON.stringify(name)), issue.message);
  }
});

Deno.test({
  name:
    "a listed file that is a FIFO in the version folder is reported as a FIFO, and is never read (no hang)",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await hashedCheckpoint();
    try {
      const fifo = join(dir, "metrics.json");
      await Deno.remove(fifo);
      await new Deno.Command("mkfifo", { args: [fifo] }).output();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), 3000)));
      const outcome = await Promise.race([
        fileProblems(dir, { "metrics.json": "0", "model.onnx": "0" }),
        hung,
      ]);
      clearTimeout(timer);
      if (outcome === "hung") {
        // Let the blocked read end (a writer opens and closes the FIFO) so the test can report, not hang.
        (await Deno.open(fifo, { write: true })).close();
      }
      assert.deepEqual(outcome, {
        missing: [],
        changed: ["model.onnx"],
        notFiles: [{ name: "metrics.json", kind: "a FIFO (named pipe)" }],
      });
      // Before: "metrics.json: does not match the sha256 … (changed, swapped or truncated after training)", of
      // bytes never read; what stands there, and what to do, is said instead.
      await assert.rejects(withinOrHung(() => verifyCheckpointFiles(dir), [fifo]), (error: Error) => {
        assert.ok(error instanceof CheckpointError, String(error));
        assert.match(
          error.message,
          /\/metrics\.json: is a FIFO \(named pipe\), not a regular file, and was not read \(move it away, then restore the version's own\); refusing to use it$/,
        );
        assert.doesNotMatch(error.message, /sha256/);
        assert.match(error.hint!, /restore the version's files from a backup/);
        return true;
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * `work` with a 3 s limit: "hung" when it has not settled by then, after opening each of `fifos` for writing
 * (and closing it) so that a read blocked on one ends and the test reports instead of hanging.
 */
async function withinOrHung<T>(work: () => Promise<T>, fifos: readonly string[]): Promise<T | "hung"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), 3000)));
  const settled = work().then((value) => ({ value }), (error: unknown) => ({ error }));
  const outcome = await Promise.race([settled, hung]);
  clearTimeout(timer);
  if (outcome !== "hung") {
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  }
  for (const fifo of fifos) (await Deno.open(fifo, { write: true })).close();
  await settled;
  return "hung";
}

Deno.test({
  name: "every read of a version's file refuses a FIFO or a folder of that name unopened (a FIFO hung them)",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const cases = [
      ["manifest.json", (dir: string) => readManifestInfo(dir), /manifest\.json is a FIFO \(named pipe\)/],
      ["model.onnx", (dir: string) => readCheckpointFiles(dir), /the ONNX model is a FIFO \(named pipe\)/],
      ["preprocessor.json", (dir: string) => readPreprocessorFile(dir), /preprocessor\.json is a FIFO/],
      ["boosting.json", (dir: string) => readJson(join(dir, "boosting.json"), "boosting.json"), /is a FIFO/],
    ] as const;
    for (const [name, read, message] of cases) {
      for (const kind of ["fifo", "folder"] as const) {
        const dir = await hashedCheckpoint();
        try {
          const path = join(dir, name);
          await Deno.remove(path).catch(() => {});
          if (kind === "fifo") await new Deno.Command("mkfifo", { args: [path] }).output();
          else await Deno.mkdir(path);
          const outcome = await withinOrHung(
            () => read(dir).then(() => "read", (error: unknown) => error),
            kind === "fifo" ? [path] : [],
          );
          assert.notEqual(outcome, "hung", `${name} (${kind})`);
          assert.ok(outcome instanceof CheckpointError, `${name} (${kind}): ${String(outcome)}`);
          assert.match(
            outcome.message,
            kind === "fifo" ? message : new RegExp(`${name.replace(".", "\\.")}.* is a folder, not a file`),
          );
          assert.match(outcome.hint!, /put the version's own .* back \(from a backup\).*models list/);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      }
    }
    // metrics.json only informs: one that is a FIFO reads as absent, unopened, and the version still serves.
    const dir = await hashedCheckpoint();
    try {
      const fifo = join(dir, "metrics.json");
      await Deno.remove(fifo);
      await new Deno.Command("mkfifo", { args: [fifo] }).output();
      assert.equal(await withinOrHung(() => readMetricsFile(dir), [fifo]), null);
      const served = await withinOrHung(() => readCheckpointFiles(dir), [fifo]);
      assert.notEqual(served, "hung");
      assert.equal(served === "hung" ? null : served.metrics, undefined);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a store's current that is a folder or a file, not the symlink, is named as such with the way back (predict, export, serve)", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast_current_" });
  try {
    await writeStandInCheckpoint(join(root, "v1_2024-01-01"), { version: "v1_2024-01-01" });
    const current = join(root, "current");
    await Deno.mkdir(current);
    // Before: "… is not a model version (it has no manifest.json)", hint "point --checkpoint at a version folder
    // such as checkpoints/current": the very folder given.
    for (const kind of ["a folder", "a file"]) {
      await assert.rejects(assertCheckpointDir(current), (error: Error) => {
        assert.ok(error instanceof CheckpointError);
        assert.match(error.message, new RegExp(`^\\S+/current is ${kind}, not a symlink to a version`));
        assert.equal(
          error.hint,
          `move it away; 'candlecast models promote VERSION --checkpoints ${root}' then recreates it ` +
            `('candlecast models list --checkpoints ${root}' shows the versions)`,
        );
        return true;
      });
      await Deno.remove(current);
      await Deno.writeTextFile(current, "v1_2024-01-01\n");
    }
    // A complete copy of a version there still loads: it is a version folder, whatever its name.
    await Deno.remove(current);
    await Deno.mkdir(current);
    for (const entry of Deno.readDirSync(join(root, "v1_2024-01-01"))) {
      await Deno.copyFile(join(root, "v1_2024-01-01", entry.name), join(current, entry.name));
    }
    assert.equal((await readCheckpointFiles(current)).version, "v1_2024-01-01");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
