import assert from "node:assert/strict";
import { join } from "node:path";
import {
  lockTempFolder,
  removeStaleTemps,
  writeFileAtomic,
  writeFilesAtomic,
  writtenFile,
} from "./atomic_write.ts";
import { PathKindError } from "./path_kind.ts";

Deno.test("stale temps: a dead writer's files and folders go, a live writer's and other files stay", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-temps-" });
  try {
    const dead = 2 ** 22 + 77; // above Linux's pid_max: never a live process
    await Deno.writeTextFile(join(dir, `train.csv.${dead}.0a1b2c3d.tmp`), "half a CSV");
    await Deno.mkdir(join(dir, `.v3_2026-01-01.${dead}.deadbeef.tmp`));
    await Deno.writeTextFile(join(dir, `.v3_2026-01-01.${dead}.deadbeef.tmp`, "weights.bin"), "x");
    await Deno.writeTextFile(join(dir, `other.csv.${dead}.00000000.tmp`), "x");
    await Deno.writeTextFile(join(dir, `train.csv.${Deno.pid}.11111111.tmp`), "being written by us");
    await writeFileAtomic(join(dir, "train.csv"), "kept");
    await Deno.writeTextFile(join(dir, "notes.tmp"), "not ours");

    assert.deepEqual(await removeStaleTemps(dir, "train.csv."), [`train.csv.${dead}.0a1b2c3d.tmp`]);
    const expected = Deno.build.os === "linux"
      ? [`.v3_2026-01-01.${dead}.deadbeef.tmp`, `other.csv.${dead}.00000000.tmp`]
      : [];
    assert.deepEqual(await removeStaleTemps(dir), expected);
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assert.deepEqual(left.sort(), ["notes.tmp", "train.csv", `train.csv.${Deno.pid}.11111111.tmp`]);
    assert.deepEqual(await removeStaleTemps(join(dir, "missing")), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "stale temps: a folder whose writer holds its lock stays, whatever its pid (a writer in another PID namespace)",
  ignore: Deno.build.os !== "linux", // elsewhere no pid counts as dead: nothing is removed at all
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-temps-locked-" });
    try {
      // A train in another container: its pid is none this process sees, so the pid alone said "dead" and its
      // live folder was removed under it.
      const folder = join(dir, `.v3_2026-01-01.${2 ** 22 + 78}.feedf00d.tmp`);
      await Deno.mkdir(folder);
      await Deno.writeTextFile(join(folder, "weights.bin"), "x");
      const held = await lockTempFolder(folder);
      assert.deepEqual(await removeStaleTemps(dir), []);
      held.close(); // its writer died: the kernel drops the lock
      assert.deepEqual(await removeStaleTemps(dir), [`.v3_2026-01-01.${2 ** 22 + 78}.feedf00d.tmp`]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("writeFileAtomic to a folder, or under a file, fails with a PathKindError naming the path; nothing is left", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-kind-" });
  try {
    const folder = join(dir, "out");
    await Deno.mkdir(folder);
    const file = join(dir, "model.onnx");
    await Deno.writeTextFile(file, "old");
    const cases: [string, RegExp][] = [
      [folder, new RegExp(`^${folder} is a folder, not a file$`)],
      [
        join(file, "x.onnx"),
        new RegExp(`^${file}/x\\.onnx cannot be written: ${file} is a file, not a folder$`),
      ],
      [join(file, "a", "b", "x.onnx"), new RegExp(`: ${file} is a file, not a folder$`)],
    ];
    for (const [path, message] of cases) {
      await assert.rejects(writeFileAtomic(path, "data"), (e: Error) => {
        assert.ok(e instanceof PathKindError, `${path}: ${e.name}: ${e.message}`);
        assert.match(e.message, message);
        assert.ok(e.hint.length > 0);
        return true;
      });
    }
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assert.deepEqual(left.sort(), ["model.onnx", "out"]);
    assert.equal(await Deno.readTextFile(file), "old");
    // Missing folders above the file are still created.
    await writeFileAtomic(join(dir, "new", "deeper", "x.onnx"), "data");
    assert.equal(await Deno.readTextFile(join(dir, "new", "deeper", "x.onnx")), "data");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "writeFileAtomic into a pipe or device writes through it and leaves the node in place (no rename over it)",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-fifo-" });
    try {
      // A FIFO stands in for /dev/null or /dev/stdout, which a rename would have replaced with a regular file.
      const fifo = join(dir, "out.onnx");
      const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
      assert.equal(made.code, 0, "mkfifo");
      const reader = new Deno.Command("cat", { args: [fifo], stdout: "piped" }).output();
      await writeFileAtomic(fifo, "through the pipe");
      assert.equal(new TextDecoder().decode((await reader).stdout), "through the pipe");
      assert.ok((await Deno.lstat(fifo)).isFifo, "still a FIFO");
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["out.onnx"], "no temp file left");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "writeFileAtomic through a symlink: the link stays, its target is replaced whole (or written into, if a pipe)",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-link-" });
    try {
      // data/x.csv → elsewhere (or /dev/stdout → /proc/self/fd/1 → a redirected file): the link is not replaced.
      const target = join(dir, "real.csv");
      await Deno.writeTextFile(target, "old");
      await Deno.symlink(target, join(dir, "link.csv"));
      await writeFileAtomic(join(dir, "link.csv"), "new");
      assert.ok((await Deno.lstat(join(dir, "link.csv"))).isSymlink, "still a link");
      assert.equal(await Deno.readTextFile(target), "new");
      // A link made ahead of its file (relative): the file is created where it points, once the folder it
      // points into is there. Into a folder not there (a drive not mounted), it is refused and nothing is made:
      // before, the folder was made on the local disk and a fresh file written there, hidden once it mounted.
      await Deno.symlink("later/made.csv", join(dir, "ahead.csv"));
      await assert.rejects(
        writeFileAtomic(join(dir, "ahead.csv"), "created"),
        (e: Error & { hint?: string }) => {
          assert.equal(
            e.message,
            `${join(dir, "ahead.csv")} is a link to ${join(dir, "later", "made.csv")}, and ${
              join(dir, "later")
            } is not there (a drive not mounted, a folder moved)`,
          );
          assert.match(
            e.hint ?? "",
            /^mount or restore it, make it \('mkdir -p .*later'\) if it is meant to be new/,
          );
          return true;
        },
      );
      assert.equal(await Deno.stat(join(dir, "later")).then(() => true, () => false), false, "nothing made");
      // A folder on the way that links to nothing there: the same refusal (before: mkdir's EEXIST, reported as
      // "unexpected failure … this is a bug").
      await Deno.symlink(join(dir, "unmounted"), join(dir, "store"));
      await assert.rejects(
        writeFileAtomic(join(dir, "store", "sub", "x.csv"), "x"),
        (e: Error) =>
          e.name === "PathKindError" &&
          e.message ===
            `${join(dir, "store")} is a link to ${
              join(dir, "unmounted")
            }, which is not there (a drive not mounted, a folder moved)`,
      );
      await Deno.remove(join(dir, "store"));
      await Deno.mkdir(join(dir, "later"));
      await writeFileAtomic(join(dir, "ahead.csv"), "created");
      assert.equal(await Deno.readTextFile(join(dir, "later", "made.csv")), "created");
      assert.ok((await Deno.lstat(join(dir, "ahead.csv"))).isSymlink);
      // A link to a pipe is written into.
      const fifo = join(dir, "pipe");
      assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0, "mkfifo");
      await Deno.symlink(fifo, join(dir, "to_pipe"));
      const reader = new Deno.Command("cat", { args: [fifo], stdout: "piped" }).output();
      await writeFileAtomic(join(dir, "to_pipe"), "through the link");
      assert.equal(new TextDecoder().decode((await reader).stdout), "through the link");
      assert.ok((await Deno.lstat(join(dir, "to_pipe"))).isSymlink);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
        "ahead.csv",
        "later",
        "link.csv",
        "pipe",
        "real.csv",
        "to_pipe",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("writeFileAtomic writes text given in pieces as it is produced; a piece that fails leaves the old file and no temp", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-pieces-" });
  try {
    const path = join(dir, "data.csv");
    const written: string[] = [];
    const pieces = function* (fail: boolean): Generator<string> {
      for (const piece of ["a,b\n", "1,2\n", "3,4\n"]) {
        if (fail && piece === "3,4\n") throw new Error("rendering failed");
        written.push(piece);
        yield piece;
      }
    };
    await writeFileAtomic(path, pieces(false));
    assert.equal(await Deno.readTextFile(path), "a,b\n1,2\n3,4\n");
    assert.deepEqual(written, ["a,b\n", "1,2\n", "3,4\n"]);

    await assert.rejects(writeFileAtomic(path, pieces(true)), /rendering failed/);
    assert.equal(await Deno.readTextFile(path), "a,b\n1,2\n3,4\n");
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assert.deepEqual(left, ["data.csv"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Pieces of a file whose write fails after `first` with `error`. */
function* failingAfter(first: string, error: Error): Generator<string> {
  yield first;
  throw error;
}

/** As a write to a full disk fails: the OS's words and code, and no file name. */
const fullDiskAfter = (first: string) =>
  failingAfter(first, Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" }));

Deno.test("writeFileAtomic: a full disk mid-write names the file in the error, keeps the old file and leaves no temp", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-full-" });
  try {
    const path = join(dir, "training_data.csv");
    await Deno.writeTextFile(path, "the good file\n");
    await assert.rejects(
      writeFileAtomic(path, fullDiskAfter("symbol,open_time\n")),
      (e: Error & { code?: string }) => {
        assert.equal(e.message, `${path}: No space left on device (os error 28)`);
        assert.equal(e.code, "ENOSPC"); // the CLI words it from the code: "no space left on the device"
        return true;
      },
    );
    assert.equal(await Deno.readTextFile(path), "the good file\n");
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assert.deepEqual(left, ["training_data.csv"]);
    // candlecast's own errors (no OS code) keep their words.
    await assert.rejects(
      writeFileAtomic(path, failingAfter("x", new Error("row 7 has no close"))),
      /^Error: row 7 has no close$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFilesAtomic replaces a set of files together: when one fails, none of the old ones is replaced and no temp is left", async () => {
  // evaluate wrote predictions.csv, evaluation.json and report.html one after another: a failure (a full disk,
  // Ctrl-C, a crash) while writing a later one left the new predictions.csv beside the old evaluation.json.
  const dir = await Deno.makeTempDir({ prefix: "candlecast-set-" });
  try {
    const [a, b, c] = ["predictions.csv", "evaluation.json", "report.html"].map((name) => join(dir, name));
    for (const path of [a, b, c]) await Deno.writeTextFile(path, `old ${path}`);
    const failing = (function* () {
      yield "<html>";
      throw new Error("render failed");
    })();
    await assert.rejects(writeFilesAtomic([[a, "new a"], [b, "new b"], [c, failing]]), /render failed/);
    for (const path of [a, b, c]) assert.equal(await Deno.readTextFile(path), `old ${path}`);

    // A target that cannot be written at all (under a file) stops the set before anything is replaced.
    await assert.rejects(writeFilesAtomic([[a, "new a"], [join(a, "x.json"), "{}"]]), PathKindError);
    assert.equal(await Deno.readTextFile(a), `old ${a}`);

    // A target that is a folder, or a link to one, is refused before anything is replaced: it failed only at
    // its rename (or, through a link, its write), after the files before it in the set had replaced theirs.
    await Deno.mkdir(join(dir, "folder"));
    await Deno.symlink(join(dir, "folder"), join(dir, "link"));
    for (const name of ["folder", "link"]) {
      await assert.rejects(writeFilesAtomic([[a, "new a"], [join(dir, name), "{}"]]), PathKindError);
      assert.equal(await Deno.readTextFile(a), `old ${a}`, name);
    }
    await Deno.remove(join(dir, "link"));
    await Deno.remove(join(dir, "folder"));

    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names.sort(), ["evaluation.json", "predictions.csv", "report.html"]);

    await writeFilesAtomic([[a, "new a"], [b, ["new ", "b"]], [c, new TextEncoder().encode("new c")]]);
    assert.deepEqual(await Promise.all([a, b, c].map((p) => Deno.readTextFile(p))), [
      "new a",
      "new b",
      "new c",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic: links that lead to each other are an error naming the path, not an endless loop", async () => {
  // a → b → a: stat fails (ELOOP), which read as "nothing there yet", so readlink was followed round for ever.
  const dir = await Deno.makeTempDir({ prefix: "candlecast-loop-" });
  try {
    await Deno.symlink("b", join(dir, "a"));
    await Deno.symlink("a", join(dir, "b"));
    const outcome = await Promise.race([
      writeFileAtomic(join(dir, "a"), "x").then(() => "written", (error: Error) => error.message),
      new Promise<string>((done) => {
        const timer = setTimeout(() => done("still running after 5 s"), 5000);
        Deno.unrefTimer(timer);
      }),
    ]);
    assert.ok(outcome.includes(join(dir, "a")) && /symbolic links/.test(outcome), outcome);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "writeFileAtomic keeps the mode of the file it replaces (a CSV made private stays private)",
  ignore: Deno.build.os === "windows",
}, async () => {
  // The new file was a fresh one with the umask's mode (0644 under the usual 022): a training CSV, a
  // predictions export or an evaluation an operator had made private (chmod 600) turned world-readable again
  // on the next collect or evaluate, and one made group-writable for a second account stopped being so.
  const dir = await Deno.makeTempDir({ prefix: "candlecast-mode-" });
  try {
    const private_ = join(dir, "training_data.csv");
    const shared = join(dir, "report.html");
    const fresh = join(dir, "new.json");
    await Deno.writeTextFile(private_, "old");
    await Deno.chmod(private_, 0o600);
    await Deno.writeTextFile(shared, "old");
    await Deno.chmod(shared, 0o664);
    await writeFileAtomic(private_, "new");
    await writeFilesAtomic([[shared, "new"], [fresh, "{}"]]);
    assert.equal(await Deno.readTextFile(private_), "new");
    assert.equal(Deno.statSync(private_).mode! & 0o777, 0o600);
    assert.equal(Deno.statSync(shared).mode! & 0o777, 0o664);
    // A file that was not there gets the umask's mode, as any file the process creates.
    const umask = Deno.umask();
    Deno.umask(umask);
    assert.equal(Deno.statSync(fresh).mode! & 0o777, 0o666 & ~umask);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "writeFileAtomic run by root keeps the owner of the file it replaces (a user's CSV stays theirs)",
  // Only root can give a file to another user; anyone else replaces a file as their own, as before.
  ignore: Deno.build.os === "windows" || Deno.uid() !== 0,
}, async () => {
  // A root cron job or sudo collect renamed a root-owned file over the training CSV of the account that serves
  // and trains: that account could then no longer write the file it had made.
  const dir = await Deno.makeTempDir({ prefix: "candlecast-owner-" });
  try {
    const users = join(dir, "training_data.csv");
    const roots = join(dir, "report.html");
    await Deno.writeTextFile(users, "old");
    await Deno.chown(users, 65534, 65534);
    await Deno.chmod(users, 0o644);
    await Deno.writeTextFile(roots, "old");
    await writeFileAtomic(users, "new");
    await writeFilesAtomic([[roots, "new"]]);
    assert.equal(await Deno.readTextFile(users), "new");
    const after = Deno.statSync(users);
    assert.deepEqual([after.uid, after.gid, after.mode! & 0o777], [65534, 65534, 0o644]);
    assert.deepEqual([Deno.statSync(roots).uid, Deno.statSync(roots).gid], [0, Deno.gid()]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic keepSame: a target with the same bytes is left as it was, one that differs is replaced", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-same-" });
  try {
    const path = join(dir, "data.csv");
    const big = "x".repeat(3 << 20) + "end\n"; // past one compared block
    assert.equal(await writeFileAtomic(path, big, { keepSame: true }), true, "nothing there yet: written");
    const first = await Deno.stat(path);
    assert.equal(await writeFileAtomic(path, [big.slice(0, 5), big.slice(5)], { keepSame: true }), false);
    const kept = await Deno.stat(path);
    assert.equal(kept.ino, first.ino);
    assert.equal(kept.mtime?.getTime(), first.mtime?.getTime());
    // The same size, one byte different in the last block: replaced.
    const changed = big.slice(0, -2) + "!\n";
    assert.equal(await writeFileAtomic(path, changed, { keepSame: true }), true);
    assert.equal(await Deno.readTextFile(path), changed);
    assert.notEqual((await Deno.stat(path)).ino, first.ino);
    // Without keepSame the same bytes are written anew, as before.
    const before = (await Deno.stat(path)).ino;
    assert.equal(await writeFileAtomic(path, changed), true);
    assert.notEqual((await Deno.stat(path)).ino, before);
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assert.deepEqual(left, ["data.csv"], "no temporary file is left behind");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writtenFile names the file a write lands in, through links, and creates nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-written-" });
  try {
    await Deno.mkdir(join(dir, "v2"));
    await Deno.writeTextFile(join(dir, "v2", "model.onnx"), "x");
    await Deno.symlink(join("v2", "model.onnx"), join(dir, "bot.onnx"));
    await Deno.symlink(join("v2", "later.onnx"), join(dir, "ahead.onnx"));
    assert.equal(
      await writtenFile(join(dir, "bot.onnx")),
      await Deno.realPath(join(dir, "v2", "model.onnx")),
    );
    assert.equal(await writtenFile(join(dir, "ahead.onnx")), join(dir, "v2", "later.onnx"));
    assert.equal(await writtenFile(join(dir, "plain.onnx")), join(dir, "plain.onnx"));
    assert.equal(await writtenFile(join(dir, "new", "x.onnx")), join(dir, "new", "x.onnx"));
    assert.equal(await Deno.lstat(join(dir, "new")).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic: a system error without a code (a file size limit) names the file too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-efbig-" });
  try {
    const path = join(dir, "training_data.csv");
    await Deno.writeTextFile(path, "the good file\n");
    // Deno gives a write past `ulimit -f` no code, only the OS's words: the file went unnamed.
    await assert.rejects(
      writeFileAtomic(path, failingAfter("symbol,open_time\n", new Error("File too large (os error 27)"))),
      (e: Error) => e.message === `${path}: File too large (os error 27)`,
    );
    assert.equal(await Deno.readTextFile(path), "the good file\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic: a process that exits mid-write (a second Ctrl-C: Deno.exit) removes its temp file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-exit-" });
  try {
    const path = join(dir, "training_data.csv");
    await Deno.writeTextFile(path, "the good file\n");
    const module = new URL("./atomic_write.ts", import.meta.url).href;
    // The child exits from inside the write, as collect's second Ctrl-C does: no `finally` runs.
    const child = `import { writeFileAtomic } from ${JSON.stringify(module)};
      function* pieces() { yield "symbol,open_time\\n"; Deno.exit(130); }
      await writeFileAtomic(${JSON.stringify(path)}, pieces());`;
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", child],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(run.code, 130, new TextDecoder().decode(run.stderr));
    assert.equal(await Deno.readTextFile(path), "the good file\n");
    // Before: training_data.csv.<pid>.<hex>.tmp stayed until the next write there swept it.
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["training_data.csv"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "writeFileAtomic through a link made ahead of its file, '..' in it, inside a linked folder: the file the link names",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-ahead-" });
    try {
      // data → store/2024 (a linked folder); data/training.csv → ../training.csv, made ahead of its file. The
      // system reads '..' from where the link lies, store/2024, so the link names store/training.csv.
      await Deno.mkdir(join(dir, "store", "2024"), { recursive: true });
      await Deno.symlink(join("store", "2024"), join(dir, "data"));
      await Deno.symlink(join("..", "training.csv"), join(dir, "store", "2024", "training.csv"));
      const link = join(dir, "data", "training.csv");
      const real = join(await Deno.realPath(dir), "store", "training.csv");
      assert.equal(await writtenFile(link), real);
      await writeFileAtomic(link, "symbol,open_time\n");
      // Before: '..' was taken from the path as written (data/..), and the file was made as dir/training.csv,
      // the link left leading nowhere.
      assert.equal(await Deno.readTextFile(link), "symbol,open_time\n");
      assert.equal(await Deno.readTextFile(real), "symbol,open_time\n");
      assert.equal(await Deno.lstat(join(dir, "training.csv")).then(() => true, () => false), false);
      assert.ok((await Deno.lstat(join(dir, "store", "2024", "training.csv"))).isSymlink);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const setpriv = Deno.build.os === "linux" && Deno.uid() === 0 &&
  (() => {
    try {
      return Deno.statSync("/usr/bin/setpriv").isFile;
    } catch {
      return false;
    }
  })();

Deno.test({
  name:
    "writeFileAtomic run by a file's owner keeps its shared group; another user's file becomes the writer's",
  // Run as a user who is not root (setpriv, as root here): only then does the group rule apply.
  ignore: !setpriv,
}, async () => {
  // A CSV chgrp'd to a group two accounts share (664) got the writer's primary group on the next write, and
  // the other account could no longer write it.
  const dir = await Deno.makeTempDir({ prefix: "candlecast-group-" });
  try {
    await Deno.chmod(dir, 0o777);
    const own = join(dir, "own.csv");
    const others = join(dir, "others.csv");
    await Deno.writeTextFile(own, "old");
    await Deno.chown(own, 64001, 64002);
    await Deno.chmod(own, 0o664);
    await Deno.writeTextFile(others, "old");
    await Deno.chown(others, 64003, 64003);
    await Deno.chmod(others, 0o666);
    // The child reads a copy of this folder's modules: the checkout may lie in a folder only root can enter
    // (CI clones into mktemp -d's 0700 folder). Every copy is made readable to all explicitly: a copy keeps
    // its source's mode, and a new file gets the umask's, so under umask 077 or 027 (or in a checkout cloned
    // under one) the child could not read them ("Import '…/write.ts' failed … Permission denied").
    const code = join(dir, "features");
    await Deno.mkdir(code);
    for (const entry of Deno.readDirSync(new URL(".", import.meta.url))) {
      if (entry.isFile && entry.name.endsWith(".ts")) {
        await Deno.copyFile(new URL(entry.name, import.meta.url), join(code, entry.name));
        await Deno.chmod(join(code, entry.name), 0o644);
      }
    }
    await Deno.chmod(code, 0o755);
    const script = join(dir, "write.ts");
    const module = join(code, "atomic_write.ts");
    await Deno.writeTextFile(
      script,
      `import { writeFileAtomic } from ${JSON.stringify(module)};\n` +
        `await writeFileAtomic(${JSON.stringify(own)}, "new");\nawait writeFileAtomic(${
          JSON.stringify(others)
        }, "new");\n`,
    );
    await Deno.chmod(script, 0o644);
    const home = join(dir, "home");
    await Deno.mkdir(home);
    await Deno.chown(home, 64001, 64001);
    const child = await new Deno.Command("/usr/bin/setpriv", {
      args: ["--reuid=64001", "--regid=64001", "--groups=64002", Deno.execPath(), "run", "-A", script],
      env: { HOME: home, DENO_DIR: join(home, "deno"), NO_COLOR: "1" },
    }).output();
    assert.ok(child.success, new TextDecoder().decode(child.stderr));
    const [a, b] = [Deno.statSync(own), Deno.statSync(others)];
    assert.equal(await Deno.readTextFile(own), "new");
    assert.deepEqual([a.uid, a.gid, a.mode! & 0o777], [64001, 64002, 0o664]);
    assert.deepEqual([b.uid, b.gid, b.mode! & 0o777], [64001, 64001, 0o666]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stale temps: under the product's named permissions a live writer's file stays (pid 1), a dead one's goes", async () => {
  // Deno refuses /proc/<pid> to all but --allow-all, and that refusal read as "gone": under `deno task cli`'s
  // permissions every other process's temporary file was swept, a live writer's too (a seat's check).
  if (Deno.build.os !== "linux") return;
  const dir = await Deno.makeTempDir({ prefix: "candlecast-temps-perm-" });
  try {
    const dead = 2 ** 22 + 77;
    await Deno.writeTextFile(join(dir, ".current.1.cafebabe.tmp"), "pid 1 is alive");
    await Deno.writeTextFile(join(dir, `.current.${dead}.cafebabe.tmp`), "gone");
    const module = new URL("./atomic_write.ts", import.meta.url).href;
    const script = `import { removeStaleTemps } from ${JSON.stringify(module)};\n` +
      `console.log(JSON.stringify(await removeStaleTemps(${JSON.stringify(dir)})));`;
    // `deno eval` grants every permission: the script runs as `deno run` with candlecast's named ones.
    const file = join(dir, "sweep.ts");
    await Deno.writeTextFile(file, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-net",
        "--allow-env",
        "--allow-ffi",
        "--allow-sys",
        "--allow-run",
        file,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), [`.current.${dead}.cafebabe.tmp`]);
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assert.deepEqual(left.sort(), [".current.1.cafebabe.tmp", "sweep.ts"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
