import assert from "node:assert/strict";
import { join } from "node:path";
import type { PredictionRecord } from "../engine/index.ts";
import { recordBatches, snapshotPredictionLog } from "./prediction_log_reader.ts";

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
const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => JSON.stringify(entry(from + i)) + "\n").join("");

async function closes(batches: AsyncIterable<PredictionRecord[]>): Promise<number[]> {
  const out: number[] = [];
  for await (const batch of batches) out.push(...batch.map((r) => r.last_close - 100));
  return out;
}

Deno.test("a live log's unfinished record is not unreadable; a last line that is no record is", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "predictions.jsonl");
  try {
    for (const [tail, skipped] of [['{"time": "2026-01-0', 0], ["open_time,open,high", 1]] as const) {
      await Deno.writeTextFile(path, lines(0, 2) + tail);
      const counts = { skipped: 0 };
      const log = await snapshotPredictionLog(path);
      try {
        assert.deepEqual(await closes(log.batches(counts)), [0, 1]);
      } finally {
        log.close();
      }
      assert.equal(counts.skipped, skipped, tail);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a snapshot reads the same records twice while serve appends and rotates meanwhile", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "predictions.jsonl");
  try {
    // A rotated file can end in a line a crash cut short; the live one in a line serve is still appending.
    await Deno.writeTextFile(`${path}.1`, lines(0, 3) + '{"cut short by a crash');
    await Deno.writeTextFile(path, lines(3, 5) + '{"being written');
    const log = await snapshotPredictionLog(path);
    try {
      assert.equal(log.files, 2);
      const counts = { skipped: 0 };
      assert.deepEqual(await closes(log.batches(counts)), [0, 1, 2, 3, 4]);
      // Only the crash's line is unreadable: the live file's unfinished last line is no record yet, and
      // counting it made monitor report a healthy, busy serve's log as damaged.
      assert.equal(counts.skipped, 1, "the line cut short by a crash, not the one being written");
      // serve finishes the line, appends, and rotates: path → path.1 → path.2, a new path
      await Deno.writeTextFile(path, lines(5, 7), { append: true });
      await Deno.rename(`${path}.1`, `${path}.2`);
      await Deno.rename(path, `${path}.1`);
      await Deno.writeTextFile(path, lines(7, 9));
      assert.deepEqual(await closes(log.batches()), [0, 1, 2, 3, 4], "the same records as the first read");
    } finally {
      log.close();
    }
    const none = await snapshotPredictionLog(join(dir, "nothing.jsonl"));
    assert.equal(none.files, 0);
    none.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a snapshot's read says its progress in bytes of all its files, up to their whole length", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "predictions.jsonl");
  try {
    // Over one 256 KiB chunk across two files, so the count goes up in steps and across the files.
    await Deno.writeTextFile(`${path}.1`, lines(0, 1500));
    await Deno.writeTextFile(path, lines(1500, 2000));
    const size = (await Deno.stat(`${path}.1`)).size + (await Deno.stat(path)).size;
    const log = await snapshotPredictionLog(path);
    try {
      const heard: [number, number][] = [];
      assert.equal(
        (await closes(log.batches(undefined, (done, total) => heard.push([done, total])))).length,
        2000,
      );
      assert.ok(heard.length > 2, `${heard.length} updates`);
      assert.ok(heard.every(([, total]) => total === size));
      assert.ok(heard.every(([done], i) => i === 0 || done > heard[i - 1][0]), "it only goes up");
      assert.deepEqual(heard.at(-1), [size, size]);
    } finally {
      log.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a rotation between opening the log's files loses none of their records", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "predictions.jsonl");
  try {
    await Deno.writeTextFile(`${path}.1`, lines(0, 3));
    await Deno.writeTextFile(path, lines(3, 5));
    let rotated = false;
    // serve rotates just after path.1 is opened and before path is: path.1 → path.2, path → path.1, a new
    // path. Opening the names listed before it found the new, empty path, and records 3 and 4 were lost.
    const open = async (name: string) => {
      const file = await Deno.open(name);
      if (name === `${path}.1` && !rotated) {
        rotated = true;
        await Deno.rename(`${path}.1`, `${path}.2`);
        await Deno.rename(path, `${path}.1`);
        await Deno.writeTextFile(path, lines(5, 6));
      }
      return file;
    };
    const log = await snapshotPredictionLog(path, open);
    try {
      assert.equal(log.files, 3);
      assert.deepEqual(await closes(log.batches()), [0, 1, 2, 3, 4, 5]);
    } finally {
      log.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a symbol an older serve logged in NFD (a Hangul syllable as its jamo) is read in NFC", async () => {
  // Before: read as logged, so monitor looked 한국USDT up in NFD among the training CSV's NFC symbols and
  // joined none of its predictions.
  const [nfc, nfd] = ["한국USDT".normalize("NFC"), "한국USDT".normalize("NFD")];
  const text = [nfd, nfc, "btcusdt"].map((symbol, i) => JSON.stringify({ ...entry(i), symbol }) + "\n").join(
    "",
  );
  const chunks = (async function* () {
    yield new TextEncoder().encode(text);
  })();
  const symbols: string[] = [];
  for await (const batch of recordBatches(chunks, { skipped: 0 })) {
    symbols.push(...batch.map((r) => r.symbol));
  }
  // NFC only: case is monitor's join's to match, as before.
  assert.deepEqual(symbols, [nfc, nfc, "btcusdt"]);
});
