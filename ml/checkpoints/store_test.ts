import assert from "node:assert/strict";
import { basename, join, posix, win32 } from "node:path";
import { CheckpointStoreError, CurrentChangedError } from "./errors.ts";
import {
  currentVersion,
  linkTargetParts,
  listVersionNames,
  nextVersionName,
  promote,
  rollback,
} from "./store.ts";
import { summarizeVersions } from "./read.ts";
import { pruneVersions } from "./prune.ts";
import { readHistory, readHistoryFile } from "./history.ts";
import { writeStandInCheckpoint } from "../../test/stand_in_checkpoint.ts";

/** A store of servable versions (promote checks each with serve's own reader). */
async function storeWith(...versions: string[]): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "candlecast-store-" });
  for (const v of versions) await writeStandInCheckpoint(join(root, v), { version: v });
  return root;
}

Deno.test("versions are numbered one above the highest, whatever else is in the folder", async () => {
  const root = await storeWith("v1_2026-01-01", "v10_2026-02-01", "v2_2026-01-05");
  await Deno.mkdir(join(root, ".v11_2026-03-01.123.abc.tmp"));
  await Deno.writeTextFile(join(root, "README.md"), "x");
  assert.deepEqual(await listVersionNames(root), ["v1_2026-01-01", "v2_2026-01-05", "v10_2026-02-01"]);
  assert.equal(await nextVersionName(root, "2026-03-01"), "v11_2026-03-01");
  assert.equal(await nextVersionName(join(root, "missing"), "2026-03-01"), "v1_2026-03-01");
  await Deno.remove(root, { recursive: true });
});

Deno.test("promote points current at a version through a relative symlink; rollback walks back", async () => {
  const root = await storeWith("v1_2026-01-01", "v2_2026-01-02", "v3_2026-01-03");
  assert.equal(await currentVersion(root), null);
  assert.equal(await promote(root, "v1_2026-01-01"), null);
  assert.equal(await promote(root, "v2_2026-01-02"), "v1_2026-01-01");
  assert.equal(await promote(root, "v3_2026-01-03"), "v2_2026-01-02");
  const link = await Deno.lstat(join(root, "current"));
  assert.ok(link.isSymlink);
  assert.equal(await Deno.readLink(join(root, "current")), "v3_2026-01-03");
  assert.deepEqual(await rollback(root), { from: "v3_2026-01-03", to: "v2_2026-01-02", gone: [] });
  assert.deepEqual(await rollback(root), { from: "v2_2026-01-02", to: "v1_2026-01-01", gone: [] });
  assert.equal(await currentVersion(root), "v1_2026-01-01");
  await assert.rejects(rollback(root), CheckpointStoreError);
  // No temporary symlinks are left behind.
  const names = [];
  for await (const e of Deno.readDir(root)) names.push(e.name);
  assert.ok(names.every((n) => !n.endsWith(".tmp")), names.join(","));
  await Deno.remove(root, { recursive: true });
});

Deno.test("rollback skips versions deleted since; promote refuses unknown or incomplete versions", async () => {
  const root = await storeWith("v1_2026-01-01", "v2_2026-01-02", "v3_2026-01-03");
  await promote(root, "v1_2026-01-01");
  await promote(root, "v2_2026-01-02");
  await promote(root, "v3_2026-01-03");
  await Deno.remove(join(root, "v2_2026-01-02"), { recursive: true });
  // Named as skipped: the version served before current is not the one serving now.
  assert.deepEqual(await rollback(root), {
    from: "v3_2026-01-03",
    to: "v1_2026-01-01",
    gone: ["v2_2026-01-02"],
  });
  await assert.rejects(promote(root, "v9_2026-01-09"), /no complete version/);
  await assert.rejects(promote(root, "latest"), /not a version name/);
  await Deno.mkdir(join(root, "v4_2026-01-04")); // no manifest: not complete
  await assert.rejects(promote(root, "v4_2026-01-04"), /no complete version/);
  assert.equal(await currentVersion(root), "v1_2026-01-01");
  // A manifest serve cannot read (here without its version): serve would refuse it at the next restart.
  await writeStandInCheckpoint(join(root, "v5_2026-01-05"), { version: "v5_2026-01-05" });
  await Deno.writeTextFile(join(root, "v5_2026-01-05", "manifest.json"), "{}");
  await assert.rejects(
    promote(root, "v5_2026-01-05"),
    /v5_2026-01-05 cannot be served \(.*manifest\.json.*\); current is unchanged/,
  );
  // …nor one whose preprocessor.json is not one.
  await writeStandInCheckpoint(join(root, "v6_2026-01-06"), { version: "v6_2026-01-06" });
  await Deno.writeTextFile(join(root, "v6_2026-01-06", "preprocessor.json"), "{}");
  await assert.rejects(
    promote(root, "v6_2026-01-06"),
    /v6_2026-01-06 cannot be served \(.*preprocessor\.json/,
  );
  // …nor one without model.onnx: the hint is the engine's, the export that writes it.
  await writeStandInCheckpoint(join(root, "v7_2026-01-07"), { version: "v7_2026-01-07" });
  await Deno.remove(join(root, "v7_2026-01-07", "model.onnx"));
  await assert.rejects(promote(root, "v7_2026-01-07"), (e) => {
    assert.ok(e instanceof CheckpointStoreError);
    assert.match(e.message, /v7_2026-01-07 cannot be served \(.*model\.onnx/);
    assert.match(e.hint ?? "", /candlecast export --checkpoint .*v7_2026-01-07/);
    return true;
  });
  assert.equal(await currentVersion(root), "v1_2026-01-01");
  await Deno.remove(root, { recursive: true });
});

Deno.test("a current that is not a symlink is reported, not overwritten", async () => {
  const root = await storeWith("v1_2026-01-01");
  await Deno.mkdir(join(root, "current"));
  await assert.rejects(currentVersion(root), /not a symlink/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a current pointing at something other than a version is reported, not read as a version", async () => {
  const root = await storeWith("v1_2026-01-01");
  try {
    for (const target of ["..", ".", "v1_2026-01-01/..", "elsewhere", "/tmp"]) {
      await Deno.remove(join(root, "current")).catch(() => {});
      await Deno.symlink(target, join(root, "current"));
      // Before: ".." was returned as the version in service (models list --json: "current": "..").
      await assert.rejects(currentVersion(root), (e: Error) => {
        assert.ok(e instanceof CheckpointStoreError, String(e));
        assert.equal(
          e.message,
          `${join(root, "current")} points at ${
            JSON.stringify(target)
          }, which is not a version (v{N}_{YYYY-MM-DD})`,
        );
        assert.match(
          e.hint ?? "",
          /^remove it \('rm .*current'\); 'candlecast models promote VERSION --checkpoints /,
        );
        return true;
      });
    }
    // A version's name through a path (an absolute link, a trailing slash) is still that version.
    await Deno.remove(join(root, "current"));
    await Deno.symlink(join(root, "v1_2026-01-01") + "/", join(root, "current"));
    assert.equal(await currentVersion(root), "v1_2026-01-01");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("concurrent promotions run one after another: each reports the target it really replaced", async () => {
  const versions = Array.from({ length: 8 }, (_, i) => `v${i + 1}_2026-02-0${i + 1}`);
  const root = await storeWith(...versions);
  try {
    const previous = await Promise.all(versions.map((v) => promote(root, v)));
    // Serialized, the switches form one chain: null → a → b → …, every version replaced exactly once but
    // the last. Unserialized, two promotions read the same `current` and both reported replacing it.
    const replaced = previous.filter((p) => p !== null);
    assert.equal(previous.filter((p) => p === null).length, 1, JSON.stringify(previous));
    assert.equal(new Set(replaced).size, versions.length - 1, JSON.stringify(previous));
    const last = versions.find((v) => !replaced.includes(v))!;
    assert.equal(await currentVersion(root), last);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a file given as the store is named as such, not as a 'current' that is not a symlink", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-store-file-" });
  try {
    const file = join(root, "not-a-folder");
    await Deno.writeTextFile(file, "x");
    await assert.rejects(currentVersion(file), (e: Error) => {
      assert.ok(e instanceof CheckpointStoreError);
      assert.equal(e.message, `${file} is a file, not a folder of versions`);
      assert.match(e.hint ?? "", /point --checkpoints at the folder that holds the versions/);
      return true;
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a conditional promotion leaves a current that changed since it was read", async () => {
  const root = await storeWith("v1_2026-01-01", "v2_2026-01-02", "v3_2026-01-03");
  await promote(root, "v1_2026-01-01");
  assert.equal(await promote(root, "v2_2026-01-02", { ifCurrent: "v1_2026-01-01" }), "v1_2026-01-01");
  // Read as v1, but v2 is current now (a promote by hand, say): v3 is not promoted over it.
  await assert.rejects(
    promote(root, "v3_2026-01-03", { ifCurrent: "v1_2026-01-01" }),
    (e) => e instanceof CurrentChangedError && e.expected === "v1_2026-01-01" && e.now === "v2_2026-01-02",
  );
  assert.equal(await currentVersion(root), "v2_2026-01-02");
  await Deno.remove(root, { recursive: true });
});

/**
 * Runs `rollback(root)` in a child process that may not write `denied` (the history: a full disk; `current`: a
 * rollback cut short before its move) and returns its stdout: the rollback as JSON, or the message it threw.
 */
async function rollbackDenying(
  root: string,
  denied: string,
): Promise<{ code: number; out: string; err: string }> {
  const script =
    `import { rollback } from ${JSON.stringify(new URL("./store.ts", import.meta.url).href)};\n` +
    `try { console.log(JSON.stringify(await rollback(${JSON.stringify(root)}))); } ` +
    `catch (e) { console.log(e.message); }\n`;
  const dir = await Deno.makeTempDir({ prefix: "candlecast-rollback-" });
  const file = join(dir, "rollback.ts");
  try {
    await Deno.writeTextFile(file, script);
    // Unrestricted --allow-write: Deno.symlink (the move of `current`) takes nothing less.
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--config=${new URL("../../deno.json", import.meta.url).pathname}`,
        "--allow-read",
        "--allow-write",
        `--deny-write=${denied}`,
        file,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: run.code, out: text(run.stdout), err: text(run.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a rollback cut short after its move, behind a promote cut short before its own, goes on to the right one", async () => {
  const names = ["v1_2026-01-01", "v2_2026-01-02", "v3_2026-01-03"];
  const root = await storeWith(...names);
  try {
    for (const v of names) await promote(root, v);
    const history = join(root, ".current_history.json");
    const previous = async () => JSON.parse(await Deno.readTextFile(history)).previous;
    // A promote of v1 killed after its history write, before `current` moved: v3 is last in the history.
    await Deno.writeTextFile(history, JSON.stringify({ previous: [names[0], names[1], names[2]] }));
    // The rollback's write before its move, seen alone: its move refused (a process that may not replace
    // `current`), as a rollback killed there would leave it.
    const run = await rollbackDenying(root, join(root, "current"));
    assert.equal(run.code, 0, run.err);
    assert.equal(await currentVersion(root), names[2], "not moved");
    // Before: [v1, v2, v3], so a rollback killed after its move (current v2) left v3, the version just rolled
    // away from, as the next target. Now v2 last: skipped once current, v1 is next.
    assert.deepEqual(await previous(), [names[0], names[1]]);
    assert.deepEqual(await rollback(root), { from: names[2], to: names[1], gone: [] });
    assert.deepEqual(await rollback(root), { from: names[1], to: names[0], gone: [] });
    // A promote whose current is already last in the history (left so by a killed one) pushes it no second time.
    await Deno.writeTextFile(history, JSON.stringify({ previous: [names[0]] }));
    await promote(root, names[2]);
    assert.deepEqual(await previous(), [names[0]]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a rollback that cannot write a history a killed promote left with current in it is refused before moving", async () => {
  const names = ["v1_2026-01-01", "v2_2026-01-02", "v3_2026-01-03"];
  const root = await storeWith(...names);
  try {
    for (const v of names) await promote(root, v);
    const history = join(root, ".current_history.json");
    await Deno.writeTextFile(history, JSON.stringify({ previous: names }));
    const run = await rollbackDenying(root, history);
    // Before: current moved to v2 with the history still [v1, v2, v3], and the next rollback went back to v3
    // (a review: a full disk, on which the link still fits).
    assert.match(run.out, /cannot write .*current_history\.json .*current is unchanged/);
    assert.equal(await currentVersion(root), names[2]);
    // A version deleted since, after the target, harms nothing (the next walk skips it again): the rollback moves.
    await Deno.writeTextFile(history, JSON.stringify({ previous: [names[0], names[1], "v9_2026-01-09"] }));
    const moved = await rollbackDenying(root, history);
    assert.doesNotMatch(moved.out, /cannot write/, "not refused");
    assert.equal(JSON.parse(moved.out).to, names[1]);
    assert.equal(await currentVersion(root), names[1]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("rollback whose history cannot be rewritten (a full disk) is still done, and says so; the next walks on", async () => {
  const root = await storeWith("v1_2026-01-01", "v2_2026-01-02", "v3_2026-01-03");
  try {
    for (const v of ["v1_2026-01-01", "v2_2026-01-02", "v3_2026-01-03"]) await promote(root, v);
    const history = join(root, ".current_history.json");
    // A process that may write the store but not the history file: the write after the switch fails, as on a
    // disk that fills between the two (it was exit 1, 'no space left', while current had moved).
    const run = await rollbackDenying(root, history);
    assert.equal(run.code, 0, run.err);
    const done = JSON.parse(run.out);
    assert.equal(done.from, "v3_2026-01-03");
    assert.equal(done.to, "v2_2026-01-02");
    assert.match(done.historyError, /current_history\.json/);
    assert.equal(await currentVersion(root), "v2_2026-01-02");
    // The history still ends in v2 (current): the next rollback skips it and goes on to v1.
    assert.deepEqual(await rollback(root), { from: "v2_2026-01-02", to: "v1_2026-01-01", gone: [] });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a version whose manifest lists a file outside its folder is refused, and that file is never read", async () => {
  const root = await storeWith("v1_2026-01-01", "v2_2026-01-02");
  await promote(root, "v1_2026-01-01");
  const dir = join(root, "v2_2026-01-02");
  const manifest = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
  // A FIFO beside the folder: read, as it was, promote (and models list, retrain) waited on it for good.
  const fifo = join(root, "pipe");
  await new Deno.Command("mkfifo", { args: [fifo] }).output();
  await Deno.writeTextFile(
    join(dir, "manifest.json"),
    JSON.stringify({ ...manifest, files: { "../pipe": "0".repeat(64) } }),
  );
  await assert.rejects(
    promote(root, "v2_2026-01-02"),
    (e: Error) =>
      e instanceof CheckpointStoreError &&
      e.message.includes('files: "../pipe" is not a file of the version folder') &&
      e.message.endsWith("current is unchanged"),
  );
  assert.equal(await currentVersion(root), "v1_2026-01-01");
  const [, listed] = await summarizeVersions(root);
  assert.match(listed.note ?? "", /files: "\.\.\/pipe" is not a file of the version folder/);
  await Deno.remove(root, { recursive: true });
});

Deno.test({
  name: "a FIFO under a file its manifest lists is named a FIFO by list and promote, not a sha256 mismatch",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await storeWith("v1_2026-01-01", "v2_2026-01-02");
    try {
      await promote(root, "v1_2026-01-01");
      const dir = join(root, "v2_2026-01-02");
      const manifest = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
      await Deno.writeTextFile(
        join(dir, "manifest.json"),
        // The writer's fields, and a hash for metrics.json.
        JSON.stringify({
          ...manifest,
          model_type: "transformer_lstm",
          data: { end_ms: 0, symbols: {} },
          files: { ...manifest.files, "metrics.json": "0".repeat(64) },
        }),
      );
      await Deno.remove(join(dir, "metrics.json")).catch(() => {});
      await new Deno.Command("mkfifo", { args: [join(dir, "metrics.json")] }).output();
      // Before: "metrics.json does not match the sha256 in its manifest.json (changed, swapped or truncated
      // after training)", of bytes never read.
      await assert.rejects(promote(root, "v2_2026-01-02"), (e: Error) => {
        assert.ok(e instanceof CheckpointStoreError, String(e));
        assert.match(
          e.message,
          /^v2_2026-01-02: metrics\.json is a FIFO \(named pipe\), not a regular file, and was not read \(move it away, then restore the version's own\); current is unchanged$/,
        );
        return true;
      });
      assert.equal(await currentVersion(root), "v1_2026-01-01");
      const [, listed] = await summarizeVersions(root);
      assert.match(listed.note ?? "", /^metrics\.json is a FIFO \(named pipe\), not a file \(move it away\)/);
      assert.doesNotMatch(listed.note ?? "", /sha256/);
      assert.deepEqual(listed.mismatched, ["metrics.json"], "the files column still says CHANGED");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "a FIFO named .current.lock stops promote and rollback, saying what to do, without waiting on it",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await storeWith("v1_2026-01-01", "v2_2026-01-02");
    try {
      await promote(root, "v1_2026-01-01");
      const fifo = join(root, ".current.lock");
      await Deno.remove(fifo);
      await new Deno.Command("mkfifo", { args: [fifo] }).output();
      // Before: promote "locked" the FIFO as a file and went on (and, with another process holding it, waited
      // on its note for as long as that one lived).
      for (const change of [() => promote(root, "v2_2026-01-02"), () => rollback(root)]) {
        await assert.rejects(change(), (e: Error) => {
          assert.ok(e instanceof CheckpointStoreError, String(e));
          assert.equal(
            e.message,
            `${fifo} is a FIFO (named pipe), not the lock file promote and rollback take; current is unchanged`,
          );
          assert.match(e.hint!, /^move it away \('mv /);
          return true;
        });
      }
      assert.equal(await currentVersion(root), "v1_2026-01-01");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("a .current.lock that cannot be made (no --allow-write, permission denied, read-only) says which and what to do", async () => {
  const root = await storeWith("v1_2026-01-01");
  const lock = join(root, ".current.lock");
  const open = Deno.open;
  const failing = (error: Error) =>
    (Deno as { open: typeof Deno.open }).open = (path, options) =>
      String(path) === lock ? Promise.reject(error) : open(path, options);
  try {
    // What Deno and the system say, as they say it (a test run as root is never refused by the file system).
    const cases: [Error, number, RegExp, RegExp][] = [
      [
        new Deno.errors.NotCapable(
          `Requires write access to "${lock}", run again with the --allow-write flag`,
        ),
        2,
        /: this process may not write \S+ \(Requires write access/,
        /^allow it \(--allow-write=\S+\), or run candlecast as 'deno task cli'/,
      ],
      [
        new Deno.errors.PermissionDenied(`Permission denied (os error 13): open '${lock}'`),
        1,
        /: permission denied \(Permission denied \(os error 13\)/,
        /^promote and rollback write in \S+: run them as its owner \('ls -ld /,
      ],
      [
        new Error(`Read-only file system (os error 30): open '${lock}'`),
        1,
        /: the file system holding \S+ is read-only \(/,
        /run them where it is mounted read-write$/,
      ],
    ];
    for (const [error, exitCode, message, hint] of cases) {
      failing(error);
      // Before: the system's words alone, and for Deno's refusal a hint to choose a path outside /dev and /proc.
      for (const change of [() => promote(root, "v1_2026-01-01"), () => rollback(root)]) {
        await assert.rejects(change(), (e: Error) => {
          assert.ok(e instanceof CheckpointStoreError, String(e));
          assert.ok(
            e.message.startsWith(`cannot open ${lock}, the lock promote and rollback take: `),
            e.message,
          );
          assert.match(e.message, message);
          assert.ok(e.message.endsWith("; current is unchanged"), e.message);
          assert.match(e.hint!, hint);
          assert.equal(e.exitCode, exitCode);
          return true;
        });
      }
    }
    assert.equal(await currentVersion(root), null);
  } finally {
    (Deno as { open: typeof Deno.open }).open = open;
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a copied or renamed version folder is noted by list and refused by promote: it serves under its manifest's name", async () => {
  const root = await storeWith("v1_2026-01-01", "v2_2026-01-02");
  try {
    // The writer's manifest: the stand-in's with its fields and an empty file list.
    for (const v of ["v1_2026-01-01", "v2_2026-01-02"]) {
      const path = join(root, v, "manifest.json");
      const manifest = JSON.parse(await Deno.readTextFile(path));
      await Deno.writeTextFile(
        path,
        JSON.stringify({
          ...manifest,
          model_type: "transformer_lstm",
          data: { end_ms: 0, symbols: {} },
          files: {},
        }),
      );
    }
    await promote(root, "v1_2026-01-01");
    // `cp -r v2_… v10_…`: the copy's manifest (and model.onnx metadata) still say v2. Before, promote pointed
    // current at it and `models list` said v10 while serve, predict and the predictions log said v2.
    await new Deno.Command("cp", { args: ["-r", join(root, "v2_2026-01-02"), join(root, "v10_2026-01-10")] })
      .output();
    await assert.rejects(promote(root, "v10_2026-01-10"), (e: Error) => {
      assert.ok(e instanceof CheckpointStoreError, String(e));
      assert.match(
        e.message,
        /^v10_2026-01-10's manifest\.json names it v2_2026-01-02 .*; current is unchanged$/,
      );
      assert.match(e.hint ?? "", /^promote v2_2026-01-02 itself/);
      return true;
    });
    // Renamed rather than copied (no v2 left): the way out is the folder's own name back.
    await Deno.rename(join(root, "v2_2026-01-02"), join(root, "v3_2026-01-03"));
    await assert.rejects(promote(root, "v3_2026-01-03"), (e: Error) => {
      assert.ok(e instanceof CheckpointStoreError, String(e));
      assert.match(e.hint ?? "", /^rename the folder back to v2_2026-01-02/);
      return true;
    });
    assert.equal(await currentVersion(root), "v1_2026-01-01");
    const notes = Object.fromEntries((await summarizeVersions(root)).map((v) => [v.version, v.note]));
    assert.doesNotMatch(notes["v1_2026-01-01"] ?? "", /manifest names/);
    assert.match(notes["v10_2026-01-10"] ?? "", /manifest names it v2_2026-01-02/);
    assert.match(notes["v3_2026-01-03"] ?? "", /manifest names it v2_2026-01-02/);
    // The original name promotes as before.
    await Deno.rename(join(root, "v3_2026-01-03"), join(root, "v2_2026-01-02"));
    assert.equal(await promote(root, "v2_2026-01-02"), "v1_2026-01-01");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a current leading into another store is reported, not read as this store's version of the same name", async () => {
  const root = await storeWith("v1_2026-01-01", "v2_2026-01-02");
  const other = await storeWith("v1_2026-01-01");
  try {
    // A backup made with `cp -a` whose hand-made absolute link still leads into the live store. Before: models
    // list marked this store's v1 as current and promote recorded it as the version replaced, while serve and
    // predict loaded the other store's v1.
    for (const target of [join(other, "v1_2026-01-01"), join("..", basename(other), "v1_2026-01-01")]) {
      await Deno.remove(join(root, "current")).catch(() => {});
      await Deno.symlink(target, join(root, "current"));
      await assert.rejects(currentVersion(root), (e: Error) => {
        assert.ok(e instanceof CheckpointStoreError, String(e));
        assert.equal(
          e.message,
          `${join(root, "current")} points at ${JSON.stringify(target)}, a version outside ${root}; ` +
            `serve and predict load that one, not ${root}'s own v1_2026-01-01`,
        );
        assert.match(e.hint ?? "", /^remove it \('rm .*current'\); 'candlecast models promote VERSION /);
        return true;
      });
      await assert.rejects(promote(root, "v2_2026-01-02"), /a version outside/);
    }
    // This store's own version through any path to it is still that version.
    for (
      const target of [
        join(root, "v2_2026-01-02"),
        join("..", basename(root), "v2_2026-01-02/"),
        "./v2_2026-01-02",
      ]
    ) {
      await Deno.remove(join(root, "current"));
      await Deno.symlink(target, join(root, "current"));
      assert.equal(await currentVersion(root), "v2_2026-01-02", target);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});

Deno.test("a version linked in from another disk is listed, as promote and serve use it", async () => {
  const root = await storeWith("v1_2026-01-01");
  const disk = await storeWith("v2_2026-01-02");
  try {
    await Deno.symlink(join(disk, "v2_2026-01-02"), join(root, "v2_2026-01-02"));
    await Deno.symlink(join(disk, "gone"), join(root, "v3_2026-01-03")); // leads nowhere: no version
    // Before: the link was left out, so once promoted the served version had no row in `models list`.
    assert.deepEqual(await listVersionNames(root), ["v1_2026-01-01", "v2_2026-01-02"]);
    assert.equal(await promote(root, "v2_2026-01-02"), null);
    const listed = (await summarizeVersions(root)).find((v) => v.current);
    assert.equal(listed?.version, "v2_2026-01-02");
    assert.equal(await nextVersionName(root, "2026-01-04"), "v3_2026-01-04");
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(disk, { recursive: true });
  }
});

Deno.test("current's target is cut with the platform's path rules: a link made on Windows names its version", async () => {
  // Before: cut at "/" alone, `mklink /D current v1_2026-01-01\` (cmd's completion adds the "\") and a link to
  // C:\models\v1_2026-01-01 read as no version at all ("points at …, which is not a version").
  assert.deepEqual(linkTargetParts("v1_2026-01-01\\", win32), { version: "v1_2026-01-01", folder: null });
  assert.deepEqual(linkTargetParts("C:\\models\\v1_2026-01-01", win32), {
    version: "v1_2026-01-01",
    folder: "C:\\models",
  });
  assert.deepEqual(linkTargetParts("\\\\?\\C:\\models\\v1_2026-01-01\\", win32), {
    version: "v1_2026-01-01",
    folder: "\\\\?\\C:\\models",
  });
  // On Linux a backslash is part of a name, and "/" still cuts as before.
  assert.deepEqual(linkTargetParts("v1_2026-01-01\\", posix), { version: "v1_2026-01-01\\", folder: null });
  assert.deepEqual(linkTargetParts("../store/v1_2026-01-01/", posix), {
    version: "v1_2026-01-01",
    folder: "../store",
  });
  const root = await storeWith("v1_2026-01-01");
  try {
    await Deno.symlink("v1_2026-01-01\\", join(root, "current"));
    assert.equal(await currentVersion(root, win32), "v1_2026-01-01");
    await assert.rejects(currentVersion(root, posix), /which is not a version/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("promote makes current a directory link: Windows cannot guess the kind of a link from another folder", async () => {
  const root = await storeWith("v1_2026-01-01");
  const symlink = Deno.symlink;
  const made: (Deno.SymlinkOptions | undefined)[] = [];
  try {
    // Deno on Windows stats an untyped link's target from the working folder, so promote failed outside the
    // store; the type is ignored on Linux, so what promote asks for is what is checked here.
    Deno.symlink = (oldpath, newpath, options) => {
      made.push(options);
      return symlink(oldpath, newpath, options);
    };
    assert.equal(await promote(root, "v1_2026-01-01"), null);
  } finally {
    Deno.symlink = symlink;
    await Deno.remove(root, { recursive: true });
  }
  assert.deepEqual(made, [{ type: "dir" }]);
});

Deno.test("pruning takes versions that never served first: a year of monthly retrains keeps the bot's track record", async () => {
  // v1 served, v2 and v3 turned down, v4 and v5 served (v5 current), v6–v9 turned down: 9 versions, --keep 5.
  const names = Array.from({ length: 9 }, (_, i) => `v${i + 1}_2026-0${i + 1}-01`);
  const root = await storeWith(...names);
  for (const v of [names[0], names[3], names[4]]) await promote(root, v);
  const { removed } = await pruneVersions(root, 5, "retrain --keep");
  // As many go as before (v1–v4 stand beyond the newest 5; v4, the rollback target, stays): three. Before, by
  // age: v1, v2, v3, and v1 had served; monitor could no longer score its predictions while v6–v9, turned down,
  // stayed.
  assert.deepEqual(removed, [names[1], names[2], names[5]]);
  assert.deepEqual(await listVersionNames(root), [
    names[0],
    names[3],
    names[4],
    names[6],
    names[7],
    names[8],
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a rollback whose history is empty, cut short or of the wrong type names the damaged file, current unchanged", async () => {
  const root = await storeWith("v1_2026-01-01", "v2_2026-01-08");
  try {
    for (const v of ["v1_2026-01-01", "v2_2026-01-08"]) await promote(root, v);
    const path = join(root, ".current_history.json");
    // Before: "there is no earlier version to roll back to", naming no file.
    for (
      const [text, damaged] of [["", "it is empty"], ['{"previous": ["v1_2026-', "it is not JSON"], [
        "[]",
        "it holds no",
      ]]
    ) {
      await Deno.writeTextFile(path, text);
      await assert.rejects(rollback(root), (e: Error) => {
        assert.ok(e instanceof CheckpointStoreError, String(e));
        assert.ok(
          e.message.startsWith(
            `${path}, where promote records the versions rollback returns to, is damaged (${damaged}`,
          ),
          e.message,
        );
        assert.match(
          e.hint ?? "",
          /^promote the version to return to with 'candlecast models promote VERSION --checkpoints /,
        );
        return true;
      });
      assert.equal(await currentVersion(root), "v2_2026-01-08");
    }
    // The promote the hint names starts a new history, and rollback walks it again.
    await promote(root, "v1_2026-01-01");
    assert.deepEqual(await rollback(root).then((r) => r.to), "v2_2026-01-08");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a rollback with nothing left to return to names the served versions deleted since", async () => {
  const root = await storeWith("v1_2026-01-01", "v2_2026-01-08", "v3_2026-01-15");
  for (const v of ["v1_2026-01-01", "v2_2026-01-08", "v3_2026-01-15"]) await promote(root, v);
  for (const v of ["v1_2026-01-01", "v2_2026-01-08"]) await Deno.remove(join(root, v), { recursive: true });
  // Before: "there is no earlier version to roll back to", while the history listed both (retrain --keep had
  // deleted them).
  await assert.rejects(rollback(root), (e: Error) => {
    assert.equal(
      e.message,
      "there is no earlier version to roll back to: the ones served before (v2_2026-01-08, v1_2026-01-01) " +
        "were deleted since",
    );
    return true;
  });
  await Deno.remove(root, { recursive: true });
});

Deno.test("a history written before `served` was recorded reads as before; the next promotion adds it", async () => {
  const names = ["v1_2026-01-01", "v2_2026-01-08", "v3_2026-01-15", "v4_2026-01-22"];
  const root = await storeWith(...names);
  const history = join(root, ".current_history.json");
  const written = async () => JSON.parse(await Deno.readTextFile(history));
  try {
    await Deno.symlink(names[1], join(root, "current"));
    await Deno.writeTextFile(history, JSON.stringify({ previous: [names[0]] }));
    assert.deepEqual(await readHistoryFile(root), { previous: [names[0]], served: [names[0]] });
    // As an older candlecast chose: current and its rollback target stay, the turned-down v3 goes.
    assert.deepEqual((await pruneVersions(root, 1, "retrain --keep")).removed, [names[2]]);
    await promote(root, names[3]);
    // The version promoted is not recorded yet: the history is written before `current` moves, and a promote
    // that died in between would have left v4 marked served without serving (so --keep deleted one that had).
    assert.deepEqual(await written(), { previous: [names[0], names[1]], served: [names[0], names[1]] });
    // A rollback walks `previous` back and records the version it leaves, v4, in `served`.
    assert.equal((await rollback(root)).to, names[1]);
    assert.deepEqual(await written(), { previous: [names[0]], served: [names[0], names[1], names[3]] });
    assert.deepEqual(await readHistory(root), [names[0]]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "promote and rollback remove what an interrupted promote or rollback left (history and link temps)",
  // A dead writer is known by its pid only on Linux (/proc); elsewhere every temp is left, as train leaves it.
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const root = await storeWith("v1_2026-01-01", "v2_2026-01-02");
    try {
      const dead = 2 ** 22 + 77; // above Linux's pid_max: never a live process
      const names = async () => (await Array.fromAsync(Deno.readDir(root))).map((e) => e.name).sort();
      // What a promote killed mid-write leaves (SIGKILL, or SIGINT ~0.5 s in): before, only train removed them.
      const leftovers = async () => {
        await Deno.writeTextFile(join(root, `.current_history.json.${dead}.0a1b2c3d.tmp`), '{"previous":[');
        await Deno.symlink("v2_2026-01-02", join(root, `.current.${dead}.deadbeef.tmp`));
      };
      const live = `.current_history.json.${Deno.pid}.11111111.tmp`; // a writer still running: left
      await Deno.writeTextFile(join(root, live), "{}");
      await Deno.writeTextFile(join(root, `notes.${dead}.22222222.tmp`), "not the store's"); // not current's
      await leftovers();
      await promote(root, "v1_2026-01-01");
      const kept = [
        ".current.lock",
        live,
        "current",
        `notes.${dead}.22222222.tmp`,
        "v1_2026-01-01",
        "v2_2026-01-02",
      ];
      assert.deepEqual(await names(), kept);
      await promote(root, "v2_2026-01-02");
      await leftovers();
      await rollback(root);
      assert.deepEqual(await names(), [".current.lock", ".current_history.json", ...kept.slice(1)]);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("promote of a version not there names the store in its hint", async () => {
  const root = await storeWith("v1_2026-01-01");
  try {
    // Before: "see 'candlecast models list'", which lists the default store, for a version removed while the
    // promote waited for the lock (a concurrency seat).
    await assert.rejects(promote(root, "v9_2026-01-09"), (e: CheckpointStoreError) => {
      assert.equal(e.hint, `see 'candlecast models list --checkpoints ${root}'`);
      return true;
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
