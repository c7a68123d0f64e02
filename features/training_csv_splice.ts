/**
 * collect's merge into a training CSV it wrote, without reading the whole file: `scanTrainingCsv` reads the
 * symbols to merge and only checks the others, noting where their rows lie; `writeTrainingCsvSpliced` writes the
 * merge with those rows copied byte for byte; a file's stamp (`trainingCsvStamp`, `unchangedSince`) refuses a
 * write over a file another program changed meanwhile. Apart from `training_csv.ts`, which reads and writes the
 * format, since this is one caller's memory-saving path with rules of its own (only a file laid out exactly as
 * collect writes it qualifies).
 */
import { CandleError, type CandleSeries, INDICATOR_COLUMNS } from "./candles.ts";
import { statOrNull, writeFileAtomic, type WriteOptions } from "../base/index.ts";
import { headerBytes, rowChunks, sortedBySymbol, SymbolRows, TRAINING_CSV_HEADER } from "./training_csv.ts";

/** Where one symbol's rows lie in a training CSV: the whole lines in bytes [start, end). */
export interface SymbolSpan {
  readonly symbol: string;
  readonly start: number;
  readonly end: number;
}

/** A training CSV laid out as collect writes it, read for a merge into some of its symbols (`scanTrainingCsv`). */
export interface TrainingCsvLayout {
  readonly path: string;
  /**
   * The file as it was read (size, and where the system has them its device, inode and modification time): a
   * write that copies its spans refuses a file that changed since.
   */
  readonly stamp: string;
  /** The rows of the symbols asked for, read and checked as `readTrainingCsv` reads them, sorted by symbol. */
  readonly wanted: CandleSeries[];
  /** Every other symbol's rows, where they lie, in the file's order (which is by symbol). */
  readonly others: SymbolSpan[];
}

/**
 * A merge into a training CSV for a few symbols, with the file's other symbols read one at a time and never
 * held together: collect read the whole file to add one symbol (436 MB of RSS and 12 s for 25 symbols,
 * 246 MB) and rendered every row again. Each other symbol's rows are still checked as `readTrainingCsv` checks
 * them, handed to `onOther` (for the summary), let go, and later copied byte for byte by
 * `writeTrainingCsvSpliced`; the symbols in `wanted` are kept as series.
 *
 * That copy is only the same as reading and writing the file again when the file is laid out exactly as collect
 * writes it: the header, then each symbol's rows together, the symbols in `sortedBySymbol`'s order, each
 * ascending in time, LF line ends, plain symbols and every number in the shortest form `String` gives it. Returns
 * null for any other file, and for one with any problem (a bad row, a repeated time): `readTrainingCsv` then
 * reads it whole and puts it in order or says what is wrong, as it always did.
 */
export async function scanTrainingCsv(
  path: string,
  wanted: ReadonlySet<string>,
  onOther: (series: CandleSeries) => void,
): Promise<TrainingCsvLayout | null> {
  const info = await Deno.stat(path).catch(() => null);
  if (!info?.isFile) return null;
  const file = await Deno.open(path);
  const kept: CandleSeries[] = [];
  const others: SymbolSpan[] = [];
  try {
    const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    const buffer = new Uint8Array(SCAN_CHUNK_BYTES);
    let carry = "";
    let [line, at] = [0, 0];
    // One symbol's rows as they come: where they start, and the last open time (each must be later).
    let group = null as { symbol: string; start: number; rows: SymbolRows; last: number } | null;
    const close = (end: number) => {
      if (!group) return;
      const series = group.rows.series(group.symbol, path);
      if (wanted.has(group.symbol)) kept.push(series);
      else {
        onOther(series);
        others.push({ symbol: group.symbol, start: group.start, end });
      }
    };
    for (;;) {
      const n = await file.read(buffer);
      if (n === null) break;
      const lines = (carry + decoder.decode(buffer.subarray(0, n), { stream: true })).split("\n");
      carry = lines.pop()!;
      for (const text of lines) {
        line++;
        // Every line that passes is ASCII (the header, CANONICAL_ROW): its characters are its bytes.
        const start = at;
        at += text.length + 1;
        if (line === 1) {
          if (text !== TRAINING_CSV_HEADER.join(",")) return null;
          continue;
        }
        if (!CANONICAL_ROW.test(text)) return null;
        const record = text.split(",");
        const symbol = record[0];
        const time = Number(record[1]);
        if (symbol !== group?.symbol) {
          if (group && !(group.symbol < symbol)) return null; // out of order, or the symbol's rows apart
          close(start);
          group = { symbol, start, rows: new SymbolRows(), last: -Infinity };
        } else if (!(time > group.last)) return null; // rows out of time order, or a time twice
        group.rows.add(record, line, path);
        group.last = time;
      }
    }
    if (carry !== "" || line === 0) return null; // no newline at the end, or nothing at all
    close(at);
  } catch (error) {
    if (error instanceof CandleError) return null;
    throw error;
  } finally {
    file.close();
  }
  return { path, stamp: fileStamp(info), wanted: kept, others };
}

/**
 * What tells one state of a file from another without reading it: its size alone missed a same-size edit (a
 * digit changed by `sed -i`, which also replaces the file, so a new inode) and copied the edited rows unchecked.
 */
const fileStamp = (info: Deno.FileInfo) => `${info.size} ${info.dev} ${info.ino} ${info.mtime?.getTime()}`;

/** Bytes `scanTrainingCsv` reads at a time. */
const SCAN_CHUNK_BYTES = 1 << 16;

/**
 * A number as `String` writes a finite one (shortest round trip aside, which a pattern cannot see): no sign on
 * zero, no leading or trailing zeros, plain from 1e-6 up to 1e21, an exponent outside.
 */
const CANONICAL_NUMBER = "(?:0|-?(?:[1-9][0-9]{0,20}(?:\\.[0-9]*[1-9])?|0\\.0{0,5}[1-9](?:[0-9]*[1-9])?|" +
  "[1-9](?:\\.[0-9]*[1-9])?e(?:\\+(?:2[1-9]|[3-9][0-9]|[1-3][0-9]{2})|-(?:[7-9]|[1-9][0-9]|[1-3][0-9]{2}))))";

/**
 * A row as collect writes it: a symbol that csv-stringify leaves unquoted, an open time, five prices and seven
 * indicators (empty in warm-up). Any other row sends the file to `readTrainingCsv`.
 */
const CANONICAL_ROW = new RegExp(
  `^[A-Za-z0-9_.-]+,(?:0|-?[1-9][0-9]{0,20})(?:,${CANONICAL_NUMBER}){5}(?:,(?:${CANONICAL_NUMBER})?){${INDICATOR_COLUMNS.length}}$`,
);

/**
 * Writes a merge atomically as `writeTrainingCsv` would write every symbol's series: `series` (the symbols
 * merged, each rendered) and the layout's other symbols copied byte for byte from its file, all in symbol order.
 * Peak memory is `series` and a chunk, whatever the file's size.
 */
export async function writeTrainingCsvSpliced(
  layout: TrainingCsvLayout,
  series: readonly CandleSeries[],
  options: WriteOptions = {},
): Promise<boolean> {
  // The copy's checks look at the file it opened: a file renamed over the path meanwhile (sed -i, an editor's
  // save, a collect into another name of it, a symlink) left them unchanged, and its rows were replaced, the run
  // exiting 0 (helper trial s43: 3 of 3 such edits during the write lost). The path is looked at once more
  // just before the rename.
  return await writeFileAtomic(layout.path, splicedChunks(layout, series), {
    ...options,
    beforeRename: unchangedSince(layout.path, layout.stamp),
  });
}

/**
 * The stamp of the file at `path` now (see `fileStamp`), null when there is none: taken before a training CSV is
 * read for a merge, and given to `unchangedSince` for its write.
 *
 * @example
 * const stamp = await trainingCsvStamp("data/training_data.csv");
 */
export async function trainingCsvStamp(path: string): Promise<string | null> {
  try {
    return fileStamp(await Deno.stat(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * A `beforeRename` for writing a merge into `path`, read when its stamp was `stamp` (null: no file): refuses the
 * rename when the file is no longer that one (another program wrote into it, renamed a file over it, made or
 * removed it), so its change is not silently replaced by a merge of what it held before.
 *
 * @example
 * await writeTrainingCsv(path, merged, { beforeRename: unchangedSince(path, stampBeforeTheRead) });
 */
export function unchangedSince(path: string, stamp: string | null): () => void {
  return () => {
    const now = statOrNull(path);
    if ((now === null ? null : fileStamp(now)) !== stamp) throw changedError(path);
  };
}

const changedError = (path: string) =>
  new CandleError(
    `${path} changed while collect merged into it; nothing was written`,
    "run collect again (and write the file only through collect while it runs)",
  );

function* splicedChunks(layout: TrainingCsvLayout, series: readonly CandleSeries[]): Generator<Uint8Array> {
  yield headerBytes();
  const parts = sortedBySymbol<{ symbol: string; span?: SymbolSpan; series?: CandleSeries }>([
    ...layout.others.map((span) => ({ symbol: span.symbol, span })),
    ...series.map((s) => ({ symbol: s.symbol, series: s })),
  ]);
  const file = Deno.openSync(layout.path);
  try {
    // Under collect's lock nothing else writes the file; one that changed all the same is not copied from
    // (looked at again once copied, for a write into it meanwhile: the new file is then never renamed in).
    // Its spans may no longer be its rows.
    const unchanged = () => {
      if (fileStamp(file.statSync()) !== layout.stamp) throw changedError(layout.path);
    };
    unchanged();
    const buffer = new Uint8Array(SCAN_CHUNK_BYTES);
    for (const part of parts) {
      if (part.series) {
        yield* rowChunks([part.series]);
        continue;
      }
      const { start, end } = part.span!;
      file.seekSync(start, Deno.SeekMode.Start);
      for (let at = start; at < end;) {
        const n = file.readSync(buffer.subarray(0, Math.min(buffer.length, end - at)));
        if (n === null || n === 0) {
          throw new CandleError(`${layout.path} ended while collect copied from it; nothing was written`);
        }
        yield buffer.slice(0, n); // a copy: a consumer may keep a piece past the next
        at += n;
      }
    }
    unchanged();
  } finally {
    file.close();
  }
}
