import assert from "node:assert/strict";
import { join, posix, win32 } from "node:path";
import {
  isLockHeld,
  LockBusyError,
  lockFile,
  lockPathFor,
  LockWaitInterrupted,
  openExistingLockReadOnly,
  tryLockFile,
} from "./file_lock.ts";
import { NotRegularFileError } from "./regular_file.ts";

Deno.test("file lock: one holder at a time; released, it is free again; the file stays", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-lock-" });
  const path = join(dir, ".x.lock");
  try {
    const a = await tryLockFile(path, "collect into x");
    assert.ok(a);
    assert.equal(await tryLockFile(path, "another"), null, "a second open file cannot take it");
    const note = JSON.parse(await Deno.readTextFile(path));
    assert.deepEqual([note.pid, note.what], [Deno.pid, "collect into x"]);
    await assert.rejects(lockFile(path, "another", { waitMs: 0 }), (error: LockBusyError) => {
      assert.ok(error instanceof LockBusyError);
      assert.match(error.message, /is locked by collect into x \(pid \d+, since 20/);
      return true;
    });
    a.release();
    const b = await tryLockFile(path, "again");
    assert.ok(b, "free after release");
    b.release();
    await Deno.stat(path); // kept on purpose: deleting a lock file races with its waiters
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file lock: a note naming a dead or an unrelated live pid blocks nobody (issue 13.9)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-lock-" });
  const path = join(dir, ".retrain.lock");
  try {
    for (const pid of [1, Deno.pid, 2 ** 22 + 12345]) {
      await Deno.writeTextFile(path, JSON.stringify({ pid, started: "earlier" }));
      const held = await tryLockFile(path, "retrain");
      assert.ok(held, `pid ${pid} in the file`);
      held.release();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file lock: a waiter is told who holds it once, and gets the lock when it is released", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-lock-" });
  const path = join(dir, ".y.lock");
  try {
    const first = (await tryLockFile(path, "first"))!;
    const told: string[] = [];
    const waiting = lockFile(path, "second", {
      waitMs: 5_000,
      pollMs: 10,
      onWait: (owner) => told.push(`${owner.what} ${owner.pid}`),
    });
    await new Promise((r) => setTimeout(r, 60));
    first.release();
    const second = await waiting;
    assert.deepEqual(told, [`first ${Deno.pid}`]);
    second.release();
    assert.equal(lockPathFor("data/training.csv"), "data/.training.csv.lock");
    assert.equal(lockPathFor("training.csv"), ".training.csv.lock");
    // Windows' separators and drive letters (before, the lock of C:\data\training.csv was ".C:\data\…").
    assert.equal(lockPathFor("C:\\data\\training.csv", win32), "C:\\data\\.training.csv.lock");
    assert.equal(lockPathFor("C:/data/training.csv", win32), "C:/data/.training.csv.lock");
    assert.equal(lockPathFor("C:training.csv", win32), "C:.training.csv.lock");
    assert.equal(lockPathFor("/srv/data/training.csv", posix), "/srv/data/.training.csv.lock");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file lock: a busy caller waits a moment for the holder's note (taken, not yet written)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-lock-" });
  const path = join(dir, ".retrain.lock");
  const holder = await Deno.open(path, { read: true, write: true, create: true });
  try {
    assert.ok(await holder.tryLock(true)); // locked, note still empty
    // The check is attached at once: the refusal may come while the note is still being written below, and a
    // rejection with no handler yet would fail the test file as an uncaught error (it did, once in CI).
    const refused = assert.rejects(lockFile(path, "retrain", { waitMs: 0 }), (error: LockBusyError) => {
      assert.ok(error instanceof LockBusyError);
      assert.equal(error.owner.pid, 4242);
      return true;
    });
    await new Promise((resolve) => setTimeout(resolve, 40));
    await holder.write(
      new TextEncoder().encode(JSON.stringify({ pid: 4242, since: "2026-12-01T02:00:00Z" })),
    );
    await refused;
  } finally {
    holder.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file lock: a wait is given up at once when its signal aborts (Ctrl-C), naming the holder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-lock-" });
  const path = join(dir, ".x.lock");
  const holder = await tryLockFile(path, "collect into x");
  try {
    const stop = new AbortController();
    const started = Date.now();
    const waiting = assert.rejects(
      lockFile(path, "collect into x", { waitMs: 60_000, signal: stop.signal, onWait: () => stop.abort() }),
      (error: LockWaitInterrupted) => {
        assert.ok(error instanceof LockWaitInterrupted);
        assert.equal(error.owner.pid, Deno.pid);
        return true;
      },
    );
    await waiting;
    assert.ok(Date.now() - started < 5_000, "not the minute it was allowed to wait");
  } finally {
    holder?.release();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file lock: a wait its signal ends is not taken after all when the holder lets go in the same moment", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-lock-" });
  const path = join(dir, ".x.lock");
  const holder = await tryLockFile(path, "collect into x");
  try {
    const stop = new AbortController();
    // Ctrl-C during the wait, the other collect finishing as it is pressed. collect has said at the press that
    // nothing will be written; the next poll took the lock, and the merge was written (exit 130 all the same).
    const onWait = () => {
      stop.abort();
      holder?.release();
    };
    await assert.rejects(
      lockFile(path, "collect into x", { waitMs: 60_000, signal: stop.signal, onWait, pollMs: 10 }),
      (error: unknown) => error instanceof LockWaitInterrupted,
    );
  } finally {
    holder?.release();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file lock: a holder's note is read field by field: an older 'started', a field of the wrong type", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-lock-" });
  const path = join(dir, ".retrain.lock");
  const holder = await Deno.open(path, { read: true, write: true, create: true });
  try {
    assert.ok(await holder.tryLock(true));
    // An older retrain wrote `started`; `what` of another type says nothing, and takes nothing else with it.
    await holder.write(
      new TextEncoder().encode(JSON.stringify({ pid: 4242, started: "2026-01-01", what: 7 })),
    );
    await assert.rejects(lockFile(path, "retrain", { waitMs: 0 }), (error: LockBusyError) => {
      assert.deepEqual(error.owner, { pid: 4242, since: "2026-01-01", what: null });
      return true;
    });
  } finally {
    holder.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * `work`, settled within 3 s, or "hung": then, until it settles, each of `fifos` is opened and closed again and
 * again (read and write: neither waits), ending each read blocked on one, so the test reports instead of hanging;
 * `onHung` first closes what the test itself holds open on them (a writer, which keeps such a read waiting).
 */
async function settledOrHung<T>(
  work: Promise<T>,
  fifos: readonly string[],
  onHung: () => void = () => {},
): Promise<PromiseSettledResult<T> | "hung"> {
  const settled = work.then(
    (value): PromiseSettledResult<T> => ({ status: "fulfilled", value }),
    (reason: unknown): PromiseSettledResult<T> => ({ status: "rejected", reason }),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), 3000)));
  const outcome = await Promise.race([settled, hung]);
  clearTimeout(timer);
  if (outcome !== "hung") return outcome;
  onHung();
  let done = false;
  settled.finally(() => (done = true));
  while (!done) {
    for (const fifo of fifos) (await Deno.open(fifo, { read: true, write: true })).close();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return "hung";
}

Deno.test({
  name: "file lock: a FIFO or a folder at the lock path is refused, saying what to do, and never waited on",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-lock-" });
    const fifo = join(dir, ".current.lock");
    try {
      await new Deno.Command("mkfifo", { args: [fifo] }).output();
      // Another process holding it open (and locked): before, the lock was busy and reading its holder's note
      // waited on the FIFO for as long as that process lived.
      const other = await Deno.open(fifo, { read: true, write: true });
      await other.lock(true);
      let open = true;
      const closeOther = () => {
        if (open) other.close();
        open = false;
      };
      const busy = await settledOrHung(lockFile(fifo, "models promote", { waitMs: 0 }), [fifo], closeOther);
      closeOther();
      assert.notEqual(busy, "hung", "lockFile waited on the FIFO's note");
      const refusesFifo = (outcome: PromiseSettledResult<unknown> | "hung") => {
        assert.ok(outcome !== "hung" && outcome.status === "rejected", JSON.stringify(outcome));
        const error = outcome.reason;
        assert.ok(error instanceof NotRegularFileError, String(error));
        assert.equal(error.message, `${fifo} is a FIFO (named pipe), not a regular file`);
        assert.match(error.hint!, /^move it away \('mv \S+\.current\.lock \S+\.current\.lock\.bak'\)/);
      };
      refusesFifo(busy);
      // Nobody holding it: before, it was "locked" as a file would be, a note written into the pipe.
      refusesFifo(await settledOrHung(tryLockFile(fifo, "models promote"), [fifo]));

      const folder = join(dir, ".retrain.lock");
      await Deno.mkdir(folder);
      // Before: Deno's bare "Is a directory (os error 21)".
      await assert.rejects(tryLockFile(folder, "retrain"), (error: Error) => {
        assert.ok(error instanceof NotRegularFileError, String(error));
        assert.equal(error.kind, "a folder");
        return true;
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "file lock: a symbolic link at the lock path is refused before anything is opened for writing",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-lock-" });
    // Another user's link in a shared store, to a file only root may write: root's promote truncated it and wrote
    // its note there.
    const victim = join(dir, "authorized_keys");
    const lock = join(dir, ".current.lock");
    try {
      await Deno.writeTextFile(victim, "ssh-ed25519 AAAA... victim@host\n");
      await Deno.symlink(victim, lock);
      for (
        const attempt of [() => tryLockFile(lock, "models promote"), () => lockFile(lock, "x", { waitMs: 0 })]
      ) {
        await assert.rejects(attempt(), (error: Error) => {
          assert.ok(error instanceof NotRegularFileError, String(error));
          assert.equal(error.message, `${lock} is a symbolic link (to ${victim}), not a regular file`);
          assert.match(
            error.hint!,
            /^move it away \('mv \S+\.current\.lock \S+\.current\.lock\.bak'\): candlecast/,
          );
          return true;
        });
      }
      assert.equal(await Deno.readTextFile(victim), "ssh-ed25519 AAAA... victim@host\n", "untouched");
      // A link to nothing: a plain create made the file it names.
      const missing = join(dir, "made-by-root");
      const dangling = join(dir, ".retrain.lock");
      await Deno.symlink(missing, dangling);
      await assert.rejects(tryLockFile(dangling, "retrain"), NotRegularFileError);
      await assert.rejects(Deno.lstat(missing), Deno.errors.NotFound);
      // Asked read-only, a link is no lock either; the default (a served manifest.json) still follows one.
      const held = (await tryLockFile(join(dir, ".real.lock"), "train"))!;
      const link = join(dir, ".linked.lock");
      await Deno.symlink(join(dir, ".real.lock"), link);
      assert.equal(await isLockHeld(link), false);
      assert.equal(await isLockHeld(join(dir, ".real.lock")), true);
      await assert.rejects(openExistingLockReadOnly(link, { links: "refuse" }), NotRegularFileError);
      (await openExistingLockReadOnly(link)).close();
      held.release();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "file lock: the file opened must be the one looked at: a link swapped in before the open writes nothing",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-lock-" });
    const victim = join(dir, "shadow");
    const lock = join(dir, ".current.lock");
    const open = Deno.open;
    try {
      await Deno.writeTextFile(victim, "root:secret\n");
      await Deno.writeTextFile(lock, "");
      // Between the look (a regular file) and the open, the lock becomes a link to the victim; once the open
      // has followed it, a regular file again (another inode): the path alone looks fine after the open.
      let swaps = 0;
      Deno.open = async (path, options) => {
        if (String(path) !== lock || swaps++ > 0) return await open(path, options);
        await Deno.remove(lock);
        await Deno.symlink(victim, lock);
        const file = await open(path, options);
        await Deno.remove(lock);
        await Deno.writeTextFile(lock, "");
        return file;
      };
      const held = await tryLockFile(lock, "models promote");
      assert.ok(held, "taken on the file at the path, looked at again");
      held.release();
      assert.equal(await Deno.readTextFile(victim), "root:secret\n", "the victim was opened, never written");
      assert.equal(JSON.parse(await Deno.readTextFile(lock)).what, "models promote");

      // A link still there after the open: refused, as one found by the look.
      swaps = 0;
      Deno.open = async (path, options) => {
        if (String(path) === lock && swaps++ === 0) {
          await Deno.remove(lock);
          await Deno.symlink(victim, lock);
        }
        return await open(path, options);
      };
      await assert.rejects(tryLockFile(lock, "models promote"), NotRegularFileError);
      assert.equal(await Deno.readTextFile(victim), "root:secret\n");
    } finally {
      Deno.open = open;
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "file lock: made 0640 (its group may lock it, other users cannot open it); an existing one keeps its mode",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-lock-" });
    try {
      const made = join(dir, ".made.lock");
      (await tryLockFile(made, "train"))!.release();
      // Before: the umask's 0644, and any local user could hold it (an exclusive flock needs only a read).
      assert.equal((await Deno.stat(made)).mode! & 0o007, 0, "no access for others");
      assert.equal((await Deno.stat(made)).mode! & 0o700, 0o600);
      const existing = join(dir, ".existing.lock");
      await Deno.writeTextFile(existing, "");
      await Deno.chmod(existing, 0o664);
      (await tryLockFile(existing, "train"))!.release();
      assert.equal((await Deno.stat(existing)).mode! & 0o777, 0o664);
      // A lock file with another hard link is some other file too: locked, but nothing written into it.
      const other = join(dir, "notes.txt");
      await Deno.writeTextFile(other, "mine\n");
      await Deno.link(other, join(dir, ".linked.lock"));
      (await tryLockFile(join(dir, ".linked.lock"), "train"))!.release();
      assert.equal(await Deno.readTextFile(other), "mine\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("lockFile times its wait on a monotonic clock: a wall-clock step does not end it early", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-lock-clock-" });
  const path = join(dir, ".x.lock");
  const held = (await tryLockFile(path, "holder"))!;
  const wallClock = Date.now;
  // An NTP step 15 minutes forward once the wait has begun (before: "after 905 s" after 6 s of a 10-minute wait).
  let calls = 0;
  Date.now = () => wallClock() + (calls++ > 0 ? 15 * 60_000 : 0);
  const started = performance.now();
  try {
    await assert.rejects(lockFile(path, "waiter", { waitMs: 300, pollMs: 20 }), LockBusyError);
    assert.ok(performance.now() - started >= 250, `waited ${performance.now() - started} ms of 300`);
  } finally {
    Date.now = wallClock;
    held.release();
    await Deno.remove(dir, { recursive: true });
  }
});
