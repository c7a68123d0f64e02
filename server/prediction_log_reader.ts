/**
 * Reading the prediction log back (for `candlecast monitor`): line by line in bounded memory, whatever its size
 * (`readFile` of a 589 MB log failed with "Cannot create a string longer than …"). `snapshotPredictionLog`
 * opens the log and its rotated files once and fixes their lengths, so a reader can go over exactly the same
 * records twice while serve goes on appending and rotating (open files survive a rename).
 */
import { type PredictionRecord, PredictionRecordSchema } from "../engine/index.ts";
import { predictionLogFiles } from "./prediction_log.ts";

/** Longest line read; a longer one (not something serve wrote) is skipped without buffering it whole. */
const MAX_LINE = 64 * 1024;

/**
 * The records in a stream of one file's bytes, a chunk's worth at a time (one await per chunk rather than per
 * record: a 1 GB log has millions). Lines that do not parse (one cut short by a crash mid-write) are counted
 * in `skipped`. With `live`, the file is one serve may be appending to: a last line with no newline that does
 * not parse but starts as a record does is one being written when the file was read, neither a record nor an
 * unreadable line.
 */
export async function* recordBatches(
  chunks: AsyncIterable<Uint8Array>,
  counts: { skipped: number },
  live = false,
): AsyncGenerator<PredictionRecord[]> {
  const decoder = new TextDecoder();
  let partial = "";
  let overlong = false;
  /** False when `line` is not a record (a blank line is nothing, and true). */
  const parse = (line: string, into: PredictionRecord[]): boolean => {
    if (line.trim() === "") return true;
    try {
      const record = PredictionRecordSchema.parse(JSON.parse(line));
      // In NFC, as collect writes the training CSV's symbols: a serve before it read symbols in NFC logged a
      // Hangul syllable sent as its jamo (NFD) as it came, and monitor matched those records to no candles.
      record.symbol = record.symbol.normalize("NFC");
      into.push(record);
      return true;
    } catch {
      return false;
    }
  };
  for await (const chunk of chunks) {
    const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
    partial = lines.pop() ?? "";
    const batch: PredictionRecord[] = [];
    for (const [i, line] of lines.entries()) {
      if (i === 0 && overlong) {
        overlong = false; // the tail of a line already skipped
        continue;
      }
      if (!parse(line, batch)) counts.skipped++;
    }
    if (partial.length > MAX_LINE) {
      if (!overlong) counts.skipped++;
      overlong = true;
      partial = "";
    }
    if (batch.length > 0) yield batch;
  }
  const last: PredictionRecord[] = [];
  const tail = partial + decoder.decode();
  // Being appended (serve writes a record as one line starting "{"): not unreadable. Anything else at the end
  // of a file given as the log (a one-line CSV without its newline) is counted, and monitor says so.
  const beingWritten = live && tail.trimStart().startsWith("{");
  if (!overlong && !parse(tail, last) && !beingWritten) counts.skipped++;
  if (last.length > 0) yield last;
}

/**
 * Every record of the log and its rotated files, oldest first, read line by line in bounded memory. Lines that
 * do not parse are counted in `skipped`.
 */
export async function* readPredictionLog(
  path: string,
  counts: { skipped: number } = { skipped: 0 },
): AsyncGenerator<PredictionRecord> {
  for (const file of await predictionLogFiles(path)) {
    // The stream closes the file when read to the end or when the consumer stops early.
    const batches = recordBatches((await Deno.open(file)).readable, counts, file === path);
    for await (const batch of batches) yield* batch;
  }
}

/** The log's files opened at one moment, each read up to the length it had then. */
export interface PredictionLogSnapshot {
  /** How many files (the log and its rotated ones); 0 when there is no log. */
  readonly files: number;
  /**
   * The records, oldest first, a chunk's worth at a time; each call reads the same ones from the start.
   * `progress` hears the bytes read so far of the snapshot's whole length after each chunk (a log at its
   * default maximum, 1.1 GB, takes about a minute of CPU to read: 48 s for 1.04 GB).
   */
  batches(
    counts?: { skipped: number },
    progress?: (done: number, total: number) => void,
  ): AsyncGenerator<PredictionRecord[]>;
  close(): void;
}

const CHUNK = 256 * 1024;

async function* bytesOf(
  file: Deno.FsFile,
  length: number,
  read: (n: number) => void = () => {},
): AsyncGenerator<Uint8Array> {
  await file.seek(0, Deno.SeekMode.Start);
  let left = length;
  while (left > 0) {
    const buffer = new Uint8Array(Math.min(CHUNK, left));
    const n = await file.read(buffer);
    if (n === null || n === 0) return; // truncated meanwhile: what is there is what there is
    left -= n;
    read(n);
    yield buffer.subarray(0, n);
  }
}

/**
 * The log and its rotated files opened now, oldest first, each read only up to its length now, so appends and
 * rotations during a long read are not seen; the caller closes the snapshot. `open` is Deno.open; a test
 * passes its own to rotate the log between two opens.
 */
export async function snapshotPredictionLog(
  path: string,
  open: (name: string) => Promise<Deno.FsFile> = (name) => Deno.open(name),
): Promise<PredictionLogSnapshot> {
  // A rotation between listing and opening renames files under the names listed; list again then (rotations
  // are rare). It need not end in NotFound: with path.1 opened, a rotation moves the live file to path.1 and
  // the open of path finds the new, empty one, so the records of the file just moved were silently left out.
  for (let attempt = 1;; attempt++) {
    const opened: { file: Deno.FsFile; info: Deno.FileInfo; live: boolean }[] = [];
    let moved = false;
    try {
      const names = await predictionLogFiles(path);
      for (const name of names) {
        const file = await open(name);
        opened.push({ file, info: await file.stat(), live: name === path });
      }
      // Each name must still lead to the file opened under it, and no file may have appeared (a new path.N).
      moved = (await predictionLogFiles(path)).join("\n") !== names.join("\n");
      for (const [i, name] of names.entries()) {
        if (moved) break;
        const [now, then] = [await Deno.stat(name), opened[i].info];
        moved = now.ino !== then.ino || now.dev !== then.dev;
      }
    } catch (error) {
      opened.forEach(({ file }) => file.close());
      if (error instanceof Deno.errors.NotFound && attempt < 5) continue;
      throw error;
    }
    if (moved && attempt < 5) {
      opened.forEach(({ file }) => file.close());
      continue;
    }
    return {
      files: opened.length,
      async *batches(counts = { skipped: 0 }, progress) {
        const total = opened.reduce((sum, { info }) => sum + info.size, 0);
        let done = 0;
        const read = progress && ((n: number) => progress(done += n, total));
        for (const { file, info, live } of opened) {
          yield* recordBatches(bytesOf(file, info.size, read), counts, live);
        }
      },
      close: () => opened.forEach(({ file }) => file.close()),
    };
  }
}
