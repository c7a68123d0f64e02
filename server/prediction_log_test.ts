import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type PredictionRecord, PredictionRecordSchema } from "../engine/index.ts";
import { openLogLock, PredictionLog, predictionLogFiles } from "./prediction_log.ts";
import { NotRegularFileError } from "../base/index.ts";
import { readPredictionLog } from "./prediction_log_reader.ts";
import type { LogRecord } from "./log.ts";

const entry = (i: number): PredictionRecord => ({
  time: new Date(Date.UTC(2026, 0, 1, i)).toISOString(),
  symbol: "BTCUSDT",
  last_candle_time: null,
  last_close: 100 + i,
  version: "v1_2026-01-01",
  prediction: "UP",
  probabilities: { down: 0.2, sideways: 0.3, up: 0.5 },
  expected_return: 0.01,
});

Deno.test("predictions are appended as JSON lines that parse back with the record schema", async () => {
  const dir = await mkdtemp(join(tmpdir(), "predlog-"));
  try {
    const path = join(dir, "nested", "predictions.jsonl");
    const log = new PredictionLog(path, { flushMs: 10_000 });
    for (let i = 0; i < 3; i++) log.record(entry(i));
    await log.flush();
    log.record(entry(3));
    await log.flush();
    const lines = (await readFile(path, "utf8")).trim().split("\n");
    assert.equal(lines.length, 4);
    // Made private to owner and group whatever the umask (before: 0644 under umask 022).
    if (Deno.build.os !== "windows") assert.equal((await Deno.stat(path)).mode! & 0o007, 0);
    assert.deepEqual(lines.map((l) => PredictionRecordSchema.parse(JSON.parse(l)).last_close), [
      100,
      101,
      102,
      103,
    ]);
    await log.close();
  } finally {
    // Left in TMPDIR by every run before.
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a log that cannot be written is reported once and never throws into a request", async () => {
  const dir = await mkdtemp(join(tmpdir(), "predlog-"));
  const events: LogRecord[] = [];
  const log = new PredictionLog(join(dir, "file", "predictions.jsonl"), { log: (e) => events.push(e) });
  try {
    await Deno.writeTextFile(join(dir, "file"), "x");
    log.record(entry(0));
    await log.flush();
    log.record(entry(1));
    await log.flush();
    assert.equal(events.length, 1);
    assert.equal(events[0].event, "prediction_log_failed");
  } finally {
    // Closed first: left open, its retry timer fired after the folder was removed, made it again and wrote
    // both records there. Before, the folder was left in TMPDIR by every run.
    await log.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the log rotates by size, keeps N files, and the reader returns every kept record oldest first", async () => {
  const dir = await mkdtemp(join(tmpdir(), "predlog-"));
  try {
    const path = join(dir, "predictions.jsonl");
    const line = JSON.stringify(entry(0)).length + 1;
    // Room for 10 lines per file, 2 rotated files kept: 100 records leave the last 30.
    const log = new PredictionLog(path, { flushMs: 10_000, maxBytes: line * 10, keep: 2 });
    for (let i = 0; i < 100; i++) {
      log.record(entry(i));
      if (i % 5 === 4) await log.flush();
    }
    await log.close();
    assert.deepEqual((await predictionLogFiles(path)).map((f) => f.slice(dir.length + 1)), [
      "predictions.jsonl.2",
      "predictions.jsonl.1",
      "predictions.jsonl",
    ]);
    await assert.rejects(() => Deno.stat(`${path}.3`));
    const read: number[] = [];
    for await (const r of readPredictionLog(path)) read.push(r.last_close - 100);
    assert.deepEqual(read, Array.from({ length: 30 }, (_, i) => 70 + i));
    assert.ok(log.stats.rotations >= 7);
    // One rotated file archived (gzip .1): the older one past the gap is still read, oldest first.
    await Deno.rename(`${path}.1`, `${path}.1.gz`);
    assert.deepEqual((await predictionLogFiles(path)).map((f) => f.slice(dir.length + 1)), [
      "predictions.jsonl.2",
      "predictions.jsonl",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a serve restarted with a lower --predictions-log-keep deletes the rotated files past it at its next rotation", async () => {
  const dir = await mkdtemp(join(tmpdir(), "predlog-keep-"));
  try {
    const path = join(dir, "predictions.jsonl");
    const line = JSON.stringify(entry(0)).length + 1;
    const write = async (keep: number, from: number, count: number) => {
      const log = new PredictionLog(path, { flushMs: 10_000, maxBytes: line * 10, keep });
      for (let i = from; i < from + count; i++) {
        log.record(entry(i));
        if (i % 5 === 4) await log.flush();
      }
      await log.close();
    };
    await write(4, 0, 60);
    const names = async () => (await predictionLogFiles(path)).map((f) => f.slice(dir.length + 1));
    assert.deepEqual(
      await names(),
      [4, 3, 2, 1].map((n) => `predictions.jsonl.${n}`).concat("predictions.jsonl"),
    );
    // Before, .2 … .4 stayed for good (and monitor read them as history): 0.94 GB from 10 to 1 at the
    // defaults.
    await write(1, 60, 20);
    assert.deepEqual(await names(), ["predictions.jsonl.1", "predictions.jsonl"]);
    // Another file in the folder (an archive, the bot's own) is left alone.
    await Deno.writeTextFile(join(dir, "predictions.jsonl.1.gz"), "");
    await write(0, 80, 20);
    assert.deepEqual(await names(), ["predictions.jsonl"]);
    await Deno.stat(join(dir, "predictions.jsonl.1.gz"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "the live file made after a rotation keeps the rotated one's mode (a private log stays private)",
  ignore: Deno.build.os === "windows",
}, async () => {
  // It was created afresh with the umask's mode: a log an operator had made private (chmod 600; it holds the
  // bot's symbols and every call) turned world-readable (0644) at its first rotation.
  const dir = await mkdtemp(join(tmpdir(), "predlog-"));
  try {
    const path = join(dir, "predictions.jsonl");
    const line = JSON.stringify(entry(0)).length + 1;
    const log = new PredictionLog(path, { flushMs: 10_000, maxBytes: line * 10, keep: 2 });
    log.record(entry(0));
    await log.flush();
    await Deno.chmod(path, 0o600);
    for (let i = 1; i < 10; i++) log.record(entry(i));
    await log.flush(); // 10 lines: full
    log.record(entry(10)); // rotates
    await log.close();
    assert.equal(log.stats.rotations, 1);
    assert.equal(Deno.statSync(`${path}.1`).mode! & 0o777, 0o600);
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o600);
    const read: number[] = [];
    for await (const r of readPredictionLog(path)) read.push(r.last_close - 100);
    assert.deepEqual(read, Array.from({ length: 11 }, (_, i) => i));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("after a write error the log retries with backoff, loses nothing, and counts the errors", async () => {
  const dir = await mkdtemp(join(tmpdir(), "predlog-"));
  try {
    await Deno.writeTextFile(join(dir, "blocked"), "a file where the log's folder should be");
    const path = join(dir, "blocked", "predictions.jsonl");
    const events: LogRecord[] = [];
    const log = new PredictionLog(path, { flushMs: 10, log: (e) => events.push(e) });
    log.record(entry(0));
    await log.flush();
    assert.equal(log.stats.writeErrors, 1);
    assert.equal(log.stats.failing, true);
    assert.match(log.samples().map((s) => `${s.name} ${s.value}`).join("\n"), /write_errors_total 1/);
    log.record(entry(1));
    await Deno.remove(join(dir, "blocked")); // the disk is fixed: the next retry (≤ 500 ms) writes both
    for (let i = 0; i < 40 && log.stats.written < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(log.stats.written, 2);
    assert.equal(log.stats.failing, false);
    assert.deepEqual(events.map((e) => e.event), ["prediction_log_failed", "prediction_log_recovered"]);
    const lines = (await readFile(path, "utf8")).trim().split("\n");
    assert.deepEqual(lines.map((l) => JSON.parse(l).last_close), [100, 101]);
    await log.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Opens the log like the real thing, on a disk with `room.bytes` left: a write takes what fits (a short
 * write, as the kernel does on a filling disk), then fails with ENOSPC. `room.truncate` false: undoing fails
 * too.
 */
function fillingDisk(room: { bytes: number; truncate: boolean }) {
  return async (name: string) => {
    const file = await Deno.open(name, { read: true, append: true, create: true });
    return {
      stat: () => file.stat(),
      seek: (offset: number, whence: Deno.SeekMode) => file.seek(offset, whence),
      read: (into: Uint8Array) => file.read(into),
      close: () => file.close(),
      truncate: (length?: number) => {
        if (!room.truncate) throw new Error("Input/output error (os error 5)");
        return file.truncate(length);
      },
      write: async (bytes: Uint8Array) => {
        if (room.bytes < 1) throw new Error("No space left on device (os error 28)");
        const n = await file.write(bytes.subarray(0, Math.min(bytes.byteLength, room.bytes)));
        room.bytes -= n;
        return n;
      },
    };
  };
}

Deno.test("a write cut short by a full disk is undone before the retry: every record once, every line whole", async () => {
  // A nearly full filesystem: an append writes part of a batch, ending mid-line, then fails with ENOSPC. The
  // retry used to append the whole batch again after the cut line: a line glued to the next record
  // (`…"last_candle_time":null,{"time":…`), the batch's first records twice, `written` short of the lines.
  const line = JSON.stringify(entry(0)).length + 1;
  for (const undoable of [true, false]) {
    const dir = await mkdtemp(join(tmpdir(), "predlog-"));
    try {
      const path = join(dir, "predictions.jsonl");
      const room = { bytes: Infinity, truncate: undoable };
      const events: LogRecord[] = [];
      const log = new PredictionLog(path, {
        flushMs: 10_000,
        openFile: fillingDisk(room),
        log: (e) => events.push(e),
      });
      log.record(entry(0));
      log.record(entry(1));
      await log.flush(); // written before the disk filled
      room.bytes = Math.floor(line * 2.5);
      for (let i = 2; i < 7; i++) log.record(entry(i));
      await log.flush();
      assert.equal(log.stats.writeErrors, 1);
      room.bytes = Infinity; // space freed: the retry (≤ 500 ms) writes what is left
      for (let i = 0; i < 40 && log.stats.failing; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(log.stats.failing, false);
      await log.close();
      assert.deepEqual(events.map((e) => e.event), ["prediction_log_failed", "prediction_log_recovered"]);
      // The OS's words name no file: the event does, so an operator knows which disk filled.
      assert.equal(events[0].path, path);
      assert.equal(events[0].error, "No space left on device (os error 28)");
      const lines = (await readFile(path, "utf8")).split("\n");
      assert.equal(lines.pop(), "", "the file ends with a whole line");
      const parsed = lines.flatMap((l) => {
        try {
          return [PredictionRecordSchema.parse(JSON.parse(l)).last_close - 100];
        } catch {
          return [];
        }
      });
      assert.deepEqual(parsed, [0, 1, 2, 3, 4, 5, 6], `undoable: ${undoable}`);
      assert.equal(log.stats.written, 7);
      // Undone, the file is as if the disk had never filled. Where it cannot be undone, the records the cut
      // write left whole are kept (not written twice) and the cut one stays a line of its own, which the reader
      // skips.
      assert.equal(lines.length, undoable ? 7 : 8);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("a read-only file system is named as such in prediction_log_failed's hint, not 'check the disk'", async () => {
  const dir = await mkdtemp(join(tmpdir(), "predlog-"));
  try {
    const path = join(dir, "predictions.jsonl");
    const events: LogRecord[] = [];
    let readOnly = true;
    const log = new PredictionLog(path, {
      flushMs: 10_000,
      openFile: async (name: string) => {
        if (readOnly) throw new Error(`Read-only file system (os error 30): open '${name}'`);
        return await Deno.open(name, { read: true, append: true, create: true });
      },
      log: (e) => events.push(e),
    });
    log.record(entry(0));
    await log.flush();
    // Before: "… while the write is retried; check the disk", for a mount the kernel or an operator made
    // read-only.
    assert.match(String(events[0].hint), /retried; its file system is read-only: remount it read-write/);
    readOnly = false;
    for (let i = 0; i < 40 && log.stats.failing; i++) await new Promise((r) => setTimeout(r, 50));
    await log.close();
    assert.equal(log.stats.written, 1, "held in memory and written once the mount is writable");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the reader streams: lines split across chunks, a cut last line, and an overlong line are handled", async () => {
  const dir = await mkdtemp(join(tmpdir(), "predlog-"));
  try {
    const path = join(dir, "p.jsonl");
    const good = (i: number) => JSON.stringify(entry(i)) + "\n";
    // Over 64 KiB per chunk boundary, a 200 KB garbage line, then a line cut short by a crash.
    const text = Array.from({ length: 2000 }, (_, i) => good(i)).join("") + "x".repeat(200_000) + "\n" +
      good(2000) + good(2001).slice(0, 40);
    // In a rotated file the cut line is a crash's; at the end of the live file it may be one serve is
    // writing.
    for (const [file, skipped] of [[`${path}.1`, 2], [path, 1]] as const) {
      await Deno.writeTextFile(file, text);
      const counts = { skipped: 0 };
      let n = 0;
      for await (const _ of readPredictionLog(path, counts)) n++;
      assert.equal(n, 2001);
      assert.equal(counts.skipped, skipped, file);
      await Deno.remove(file);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a log lock held by another process stalls no write silently: said, counted as failing, then recovered", async () => {
  const dir = await mkdtemp(join(tmpdir(), "predlog-"));
  try {
    const path = join(dir, "predictions.jsonl");
    const events: LogRecord[] = [];
    const log = new PredictionLog(path, { flushMs: 10, lockWaitMs: 200, log: (e) => events.push(e) });
    log.record(entry(0));
    await log.flush(); // the lock file exists
    // Another local user's read-only descriptor: an exclusive flock needs no more. Before, every append
    // waited in a blocking lock() for as long as it was held, nothing logged, /metrics "failing 0".
    const holder = await Deno.open(`${path}.lock`, { read: true });
    await holder.lock(true);
    let held = true;
    const letGo = () => {
      if (held) holder.close();
      held = false;
    };
    const timer = setTimeout(letGo, 4_000); // so a write that waits for it ends the test too
    try {
      for (let i = 1; i <= 5; i++) log.record(entry(i));
      const started = performance.now();
      await log.flush();
      assert.ok(performance.now() - started < 2_000, "the write gave up waiting");
      const failed = events.find((e) => e.event === "prediction_log_failed");
      assert.ok(failed, JSON.stringify(events));
      assert.match(
        String(failed.error),
        /^\S+predictions\.jsonl\.lock has been locked by another process for \d+\.\d s, so no prediction can be written$/,
      );
      assert.match(
        String(failed.hint),
        /^predictions are still served and kept in memory while .*'fuser -v /,
      );
      assert.equal(log.stats.failing, true);
      assert.equal(log.samples().find((s) => s.name === "candlecast_predictions_log_failing")?.value, 1);
      assert.ok(log.stats.writeErrors >= 1);
      assert.equal(log.stats.dropped, 0, "kept in memory meanwhile");
    } finally {
      clearTimeout(timer);
      letGo();
    }
    // Let go: a retry writes them all, once.
    const deadline = performance.now() + 10_000;
    while (log.stats.written < 6 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(log.stats.written, 6);
    assert.ok(events.some((e) => e.event === "prediction_log_recovered"));
    await log.close();
    const read: number[] = [];
    for await (const r of readPredictionLog(path)) read.push(r.last_close - 100);
    assert.deepEqual(read, [0, 1, 2, 3, 4, 5]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a shutdown does not wait on a log lock held elsewhere: ~1 s, then the buffered lines count as dropped", async () => {
  const dir = await mkdtemp(join(tmpdir(), "predlog-"));
  const path = join(dir, "predictions.jsonl");
  const log = new PredictionLog(path, { flushMs: 10_000 }); // the default wait, 5 s
  log.record(entry(0));
  await log.flush();
  const holder = await Deno.open(`${path}.lock`, { read: true });
  await holder.lock(true);
  let held = true;
  const letGo = () => {
    if (held) holder.close();
    held = false;
  };
  // Let go after 8 s whatever happens, so a close that waits for it (SIGTERM took 24 s) ends the test too.
  const timer = setTimeout(letGo, 8_000);
  try {
    for (let i = 1; i <= 3; i++) log.record(entry(i));
    void log.flush(); // a write under way, waiting for the lock
    await new Promise((r) => setTimeout(r, 300));
    log.record(entry(4));
    const started = performance.now();
    await log.close();
    const took = performance.now() - started;
    assert.ok(took < 3_000, `close took ${Math.round(took)} ms`);
    assert.equal(log.stats.dropped, 4);
    assert.equal(log.stats.written, 1);
  } finally {
    clearTimeout(timer);
    letGo();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "the log's lock is made 0640, never through a link (a dangling one made the file it names)",
  ignore: Deno.build.os === "windows",
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), "predlog-"));
  try {
    const path = join(dir, "predictions.jsonl");
    (await openLogLock(path)).close();
    assert.equal(Deno.statSync(`${path}.lock`).mode! & 0o707, 0o600, "others cannot open it to hold it");
    const other = join(dir, "other.jsonl");
    const elsewhere = join(dir, "made-by-root");
    await Deno.symlink(elsewhere, `${other}.lock`);
    await assert.rejects(openLogLock(other), (error: Error) => {
      assert.ok(error instanceof NotRegularFileError);
      assert.equal(error.message, `${other}.lock is a symbolic link (to ${elsewhere}), not a regular file`);
      assert.match(error.hint!, /^move it away \('mv .*: serve keeps the log's lock there/);
      return true;
    });
    await assert.rejects(Deno.lstat(elsewhere), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
