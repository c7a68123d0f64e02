/**
 * The training CSV of SPEC §2 (`collect` writes it, `train` reads it): one header, rows grouped by symbol,
 * ascending in time, unique per (symbol, open_time), indicators empty during warm-up.
 */
import { createHash } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import { CsvError, parse } from "csv-parse";
import { stringify } from "csv-stringify/sync";
import {
  BOUNDED_HINT,
  boundedSeriesProblem,
  CandleError,
  type CandleSeries,
  CSV_RECORD_DELIMITERS,
  emaWarmUpZeros,
  emptySeries,
  INDICATOR_COLUMNS,
  ohlcvProblem,
  parseNumberCell,
  PRICE_COLUMNS,
  TRAINING_CSV_HEADER,
} from "./candles.ts";
import {
  eventLoopTurns,
  folderNotFileError,
  nonRegularKind,
  shellWord,
  writeFileAtomic,
  type WriteOptions,
} from "../base/index.ts";
import { assertFeaturesFit } from "./engineer.ts";
import { OHLCV_HEADER } from "./ohlcv_csv.ts";
import { MAX_SYMBOL_LENGTH, SYMBOL_PATTERN, SYMBOL_RULE } from "./symbols.ts";

// Kept importable from here, where it was defined before the raw-candle reader needed it too.
export { TRAINING_CSV_HEADER };

const MAKE_ONE = "make one with 'candlecast collect'";

/**
 * A file that is not a training CSV at all (another CSV, JSON, raw candles), as opposed to one with a bad row.
 * A usage error (exit 2), as a `--data` that is missing, a folder, empty or a header alone is: the flag names
 * the wrong file, nothing in it is to be fixed. Before, a JSON file as `--data` exited 1 beside a missing one's 2.
 */
export class NotTrainingCsvError extends CandleError {
  override name = "NotTrainingCsvError";
  constructor(message: string, hint?: string) {
    super(message, hint, 2);
  }
}

/**
 * A training CSV a spreadsheet re-saved: Excel on a host whose culture has a decimal comma (de-DE, fr-FR) writes
 * ';' between columns (and decimal commas). It is the user's own training CSV, so what to run is the conversion,
 * not "make one with collect" (or, at collect's --output, "move that file away").
 */
export class SeparatedTrainingCsvError extends NotTrainingCsvError {
  override name = "SeparatedTrainingCsvError";
}

function notTrainingCsv(path: string, first?: readonly string[]): CandleError {
  const line = first?.length === 1 ? first[0] : "";
  const separator = [";", "\t", "|"].find((c) => line.split(c).join(",") === TRAINING_CSV_HEADER.join(","));
  if (separator !== undefined) {
    const escaped = separator === "\t" ? "\\t" : separator;
    return new SeparatedTrainingCsvError(
      `${path}: its columns are separated by ${separator === "\t" ? "tabs" : `'${separator}'`}, not commas`,
      "save it as comma-separated with '.' as the decimal mark; with decimal commas (a spreadsheet on a " +
        `decimal-comma host writes them), e.g. sed -i.bak -e 's/,/./g' -e 's/${escaped}/,/g' ${
          shellWord(path)
        } (the original kept as .bak; ${
          separator === "\t" ? "GNU sed: BSD sed reads \\t as t" : "GNU and BSD sed alike"
        })`,
    );
  }
  // Raw candles (the OHLCV header, or a Binance dump's numeric first row): the file collect turns into one.
  const ohlcv = first !== undefined && first.length >= OHLCV_HEADER.length &&
    (first.slice(0, OHLCV_HEADER.length).join(",").toLowerCase() === OHLCV_HEADER.join(",") ||
      first.slice(0, OHLCV_HEADER.length).every((cell) =>
        cell.trim() !== "" && Number.isFinite(Number(cell))
      ));
  if (ohlcv) {
    return new NotTrainingCsvError(
      `${path} is not a training CSV: it holds raw OHLCV candles, without the symbol and indicators a training ` +
        `CSV has (its first line must be the header ${TRAINING_CSV_HEADER.join(",")})`,
      `make a training CSV of it first: 'candlecast collect --source csv --csv-path ${shellWord(path)} ` +
        "--output data/training_data.csv' (with --symbol unless the file is named like ETHUSDT-1h.csv)",
    );
  }
  // Raw candles with a symbol column first (a database's or a multi-symbol export): "make one with collect" sent
  // the user to collect, which called the file "already a training CSV" and sent them back (helper trial s49).
  const rest = first?.slice(1, 1 + OHLCV_HEADER.length).join(",").toLowerCase();
  if (first?.[0].toLowerCase() === "symbol" && rest === OHLCV_HEADER.join(",")) {
    return new NotTrainingCsvError(
      `${path} is not a training CSV: it holds raw OHLCV candles with a symbol column, without the indicators ` +
        `a training CSV has (its first line must be the header ${TRAINING_CSV_HEADER.join(",")})`,
      "make a training CSV of it with collect, which reads one symbol per CSV: split it into one file per " +
        "symbol named like BTCUSDT-1h.csv, then 'candlecast collect --source csv --csv-path <their folder> " +
        "--output data/training_data.csv'",
    );
  }
  // JSON (the C# bot's export, most likely): the command that makes one from it, as raw candles get theirs;
  // "make one with 'candlecast collect'" left the source and its flags to find (helper trial s49).
  const json = /^\uFEFF?\s*[[{]/.test(first?.[0] ?? "");
  return new NotTrainingCsvError(
    `${path} is not a training CSV (its first line must be the header ${TRAINING_CSV_HEADER.join(",")})`,
    json
      ? "if it is the C# bot's candle export, make a training CSV of it first: 'candlecast collect --source " +
        `json --json-path ${shellWord(path)} --output data/training_data.csv'`
      : MAKE_ONE,
  );
}

/**
 * Reads a training CSV into one series per symbol, sorted by symbol (`sortedBySymbol`) whatever order the file
 * lists them in. Symbols are read in NFC: rows an older collect wrote under the NFD spelling of a pair are that
 * pair's. Rows of a symbol may come in any order; they are sorted by open_time and duplicates are rejected,
 * naming both lines, except that a row repeated value for value under the symbol's other spelling is read once.
 *
 * @example
 * ```ts
 * const series = await readTrainingCsv("data/training_data.csv");
 * for (const s of series) console.log(s.symbol, s.length); // one series per symbol, ascending in time
 * ```
 */
export async function readTrainingCsv(
  path: string,
  opts: {
    /** Called as the file streams in with the bytes read and the file's size (a big file takes a while). */
    readonly progress?: (done: number, total: number) => void;
    /**
     * Stops the read at the next row (or, once every row is in, the next symbol) when aborted, rejecting with
     * `signal.reason`: train's Ctrl-C was heard while a big file streamed in (its reads turn the event loop)
     * but acted on only when the read ended (12 s later on 25 symbols, 244 MB).
     */
    readonly signal?: AbortSignal;
    /**
     * Hears the sha256 (hex) of the bytes this read parsed, once they are all in: train records which candles
     * it trained on. A second read to hash them could meet a file collect had replaced meanwhile (and held a
     * second copy of a 244 MB file in memory).
     */
    readonly onDigest?: (sha256: string) => void;
  } = {},
): Promise<CandleSeries[]> {
  const { signal } = opts;
  signal?.throwIfAborted();
  const rowsBySymbol = new Map<string, SymbolRows>();
  let line = 0;
  /** The last row's symbol as the file spells it, and in NFC. */
  let [spelling, symbol] = ["", ""];
  let input: ReturnType<FileHandle["createReadStream"]> | undefined;
  const hash = opts.onDigest ? createHash("sha256") : null;
  try {
    // Open first so a missing file is reported plainly; stream errors are forwarded into the parser,
    // which `pipe` alone would leave unhandled.
    // Looked at before it is opened: opening a FIFO waits for a writer for good, and train then ignored even
    // SIGTERM (its event loop never turned). A folder and a missing file are the open's to report, below.
    const kind = await Deno.stat(path).then(nonRegularKind, () => null);
    if (kind !== null && kind !== "a folder") {
      throw new CandleError(
        `${path} is ${kind}, not a file; it was not read`,
        `give the training CSV itself (${MAKE_ONE})`,
      );
    }
    const handle = await open(path);
    // bom: a byte order mark before the header (`withoutBom` in candles.ts) is dropped, not part of "symbol".
    // record_delimiter: LF and CRLF lines may mix in one file (a CSV edited by hand on Windows).
    const parser = parse({
      bom: true,
      relax_column_count: false,
      skip_empty_lines: true,
      record_delimiter: [...CSV_RECORD_DELIMITERS],
    });
    input = handle.createReadStream();
    input.on("error", (error) => parser.destroy(error));
    const size = opts.progress ? (await handle.stat()).size : 0;
    // 'data' listeners set the stream flowing: attached with the pipe, after the last await, so no chunk passes
    // before the parser is there to take it.
    if (opts.progress) {
      const { progress } = opts;
      let read = 0;
      input.on("data", (chunk) => progress(read += chunk.length, size));
    }
    if (hash) input.on("data", (chunk) => hash.update(chunk));
    input.pipe(parser);
    for await (const record of parser as AsyncIterable<string[]>) {
      if (signal?.aborted) throw signal.reason;
      line++;
      if (line === 1) {
        if (record.join(",") !== TRAINING_CSV_HEADER.join(",")) throw notTrainingCsv(path, record);
        continue;
      }
      if (!record[0]) throw new CandleError(`${path} line ${line} (symbol): symbol is empty`);
      // In NFC, as collect reads --symbols, file names and exports: a collect before that wrote a name typed
      // on macOS (a Hangul syllable as its jamo, NFD) as it came, and the pair's rows were a symbol apart from
      // its NFC rows, in train's windows and in monitor's join with serve's log. Rows come grouped by symbol:
      // the last spelling's form is remembered rather than normalized again on every row.
      if (record[0] !== spelling) [spelling, symbol] = [record[0], record[0].normalize("NFC")];
      // Checked once a symbol, where it enters: printed by every command and written to predictions.csv.
      if (!rowsBySymbol.has(symbol)) requireSymbol(symbol, path, line);
      let rows = rowsBySymbol.get(symbol);
      if (!rows) rowsBySymbol.set(symbol, rows = new SymbolRows());
      rows.add(record, line, path);
    }
  } catch (error) {
    if (error instanceof CandleError || (signal?.aborted && error === signal.reason)) throw error;
    const code = (error as { code?: string }).code;
    if (code === "ENOENT") throw new CandleError(`${path}: no such file`, MAKE_ONE);
    if (code === "EISDIR") throw folderNotFileError(path, "training_data.csv");
    // The machine's refusal (EACCES, EIO, a permission Deno does not grant) is not the data's fault: it went
    // out as "line 1: EACCES …" with "fix the data named", so it goes to the caller's mapping of such errors.
    const system = !(error instanceof CsvError) &&
      (typeof code === "string" || error instanceof Deno.errors.NotCapable ||
        error instanceof Deno.errors.PermissionDenied);
    if (system) throw error;
    // csv-parse fails on the first line of a file that is not CSV at all (JSON, binary) before any header
    // is seen to compare. It also fails before the rows it parsed ahead of a bad one reach this loop (those
    // of the first chunk, 64 KB): a row cut short at line 6 read "not a training CSV (its first line must be
    // the header …)" under a header that was right, so the header itself is looked at.
    // Its first line is passed on: a spreadsheet's ';' header is told apart there.
    if (line === 0 && error instanceof CsvError && !(await startsWithHeader(path))) {
      throw notTrainingCsv(path, [await firstLine(path)]);
    }
    // The line csv-parse names (its `lines`): `line` counts the rows that reached this loop, 113 fewer than
    // the file's line for a row cut short at line 30,001. Its message ends with " on line N", named here.
    const at = error instanceof CsvError && typeof error.lines === "number" ? error.lines : line + 1;
    const message = (error as Error).message.replace(/ on line \d+\.?$/, "");
    if (error instanceof CsvError && await cutShortAtEnd(path, error)) {
      // "Fix the data named, or collect it again": collecting into it again is what had just failed.
      throw new CandleError(
        `${path} line ${at}: its last line is cut short (${message}), as a write stopped mid-line leaves it`,
        `remove that line (sed -i '$d' ${shellWord(path)}; on macOS sed -i '' '$d' …) and run again; ` +
          "collect then fetches its candle again",
      );
    }
    throw new CandleError(`${path} line ${at}: ${message}`);
  } finally {
    // A read left before the file's end (a stop, a bad row) lets its file go now; a finished one has already.
    input?.destroy();
  }
  // Nothing in it to fix, as with a header alone (2): an empty --data exited 1 beside the header alone's 2.
  if (line === 0) throw new NotTrainingCsvError(`${path}: the file is empty`, MAKE_ONE);
  // The parser has ended, so the stream has handed it every byte (each 'data' event came before its end).
  if (hash) opts.onDigest!(hash.digest("hex"));
  // Checked in the file's order, so the first bad symbol a message names is the file's first, then sorted.
  // Synchronous (~70 ms a symbol of 48k rows, 1.7 s for 25): with a signal, the event loop turns between
  // symbols every 250 ms, so a stop is heard here too.
  const turn = eventLoopTurns();
  const series: CandleSeries[] = [];
  for (const [symbol, rows] of rowsBySymbol) {
    if (signal) {
      await turn();
      signal.throwIfAborted();
    }
    series.push(rows.series(symbol, path));
    rowsBySymbol.delete(symbol); // its blocks are copied: let them go before the next symbol's are
  }
  return sortedBySymbol(series);
}

/**
 * Series sorted by symbol, comparing UTF-16 code units (not the locale's collation, which differs between
 * machines): the order `readTrainingCsv` returns and `collect` writes. Training draws its windows, and so its
 * shuffle, in the series' order: in the file's order, the same candles with the symbols listed otherwise (a
 * folder read in another order, a symbol appended by a merge, a hand edit) trained another model.
 */
export function sortedBySymbol<S extends { readonly symbol: string }>(series: readonly S[]): S[] {
  return [...series].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

/** Whether the file's first line is the training CSV's header (a byte order mark before it is allowed). */
async function startsWithHeader(path: string): Promise<boolean> {
  return await firstLine(path) === TRAINING_CSV_HEADER.join(",");
}

/**
 * Whether the row csv-parse refused is the file's last line, cut short: the file ends without a line end and
 * its last line is that row (a collect or an editor killed mid-write, a full disk).
 */
async function cutShortAtEnd(path: string, error: CsvError): Promise<boolean> {
  const record = (error as CsvError & { record?: unknown }).record;
  if (!Array.isArray(record) || record.length >= TRAINING_CSV_HEADER.length) return false;
  const handle = await open(path);
  try {
    const { size } = await handle.stat();
    const tail = new Uint8Array(Math.min(size, 4096));
    const { bytesRead } = await handle.read(tail, 0, tail.length, size - tail.length);
    const text = new TextDecoder().decode(tail.subarray(0, bytesRead));
    return !text.endsWith("\n") && text.slice(text.lastIndexOf("\n") + 1) === record.join(",");
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

/** The file's first line (no byte order mark), as far as a header's length reaches: enough to compare. */
async function firstLine(path: string): Promise<string> {
  const handle = await open(path);
  try {
    const start = new Uint8Array(TRAINING_CSV_HEADER.join(",").length + 8);
    const { bytesRead } = await handle.read(start, 0, start.length, 0);
    const text = new TextDecoder().decode(start.subarray(0, bytesRead)).replace(/^\uFEFF/, "");
    return text.split(/\r?\n/, 1)[0];
  } finally {
    await handle.close();
  }
}

/** Values a training-CSV row holds after its symbol: open_time, the prices, the indicators. */
const ROW_VALUES = TRAINING_CSV_HEADER.length - 1;
/** A row's slot in a block: its values, then its line in the file (for the errors that name it). */
const SLOT = ROW_VALUES + 1;
/** Rows per block of `SymbolRows` (1.8 MB). */
const BLOCK_ROWS = 1 << 14;

/**
 * One symbol's rows as the file is read, put straight into numbers in fixed blocks of Float64Array (outside the
 * JS heap) and copied once into the series' columns. Each row was kept as an object with a 13-number array
 * until the file ended: a 1.2M-row file (25 symbols, 246 MB) took 13 s and 613 MB of RSS to read, read by
 * train, evaluate, monitor, retrain, and by collect on every merge (~1 GB when it added a symbol to that file).
 */
export class SymbolRows {
  /** Row r's slot at `r % BLOCK_ROWS * SLOT` of block `r / BLOCK_ROWS`. */
  readonly #blocks: Float64Array[] = [];
  #rows = 0;
  /**
   * How the file spells the symbol, by runs of rows (`from`: a run's first row): one run, unless it spells the
   * symbol in NFC and otherwise too (NFD, as collect wrote a name typed so before it read names in NFC).
   */
  readonly #spellings: { readonly from: number; readonly spelling: string }[] = [];

  /** Adds a row, `record` as the file has it (its symbol, then the values). */
  add(record: readonly string[], line: number, path: string): void {
    if (this.#spellings.at(-1)?.spelling !== record[0]) {
      this.#spellings.push({ from: this.#rows, spelling: record[0] });
    }
    const at = (this.#rows % BLOCK_ROWS) * SLOT;
    if (at === 0) this.#blocks.push(new Float64Array(BLOCK_ROWS * SLOT));
    const block = this.#blocks[this.#blocks.length - 1];
    for (let i = 0; i < ROW_VALUES; i++) {
      const col = TRAINING_CSV_HEADER[i + 1];
      // open_time and the indicators may be empty (the C# export's rows have no time; warm-up has no values).
      block[at + i] = parseNumberCell(record[i + 1], i === 0 || i >= 6, `${path} line ${line} (${col})`);
    }
    block[at + ROW_VALUES] = line;
    this.#rows++;
  }

  /** Row r's value k (0: open_time, then the prices and indicators), or its line for k = ROW_VALUES. */
  #at(r: number, k: number): number {
    return this.#blocks[Math.floor(r / BLOCK_ROWS)][(r % BLOCK_ROWS) * SLOT + k];
  }

  /** How the file spells the symbol on row r. */
  #spellingOf(r: number): string {
    let [lo, hi] = [0, this.#spellings.length - 1];
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#spellings[mid].from <= r) lo = mid;
      else hi = mid - 1;
    }
    return this.#spellings[lo].spelling;
  }

  /**
   * `order` (rows sorted by time) without the rows that repeat the one before them, at the same time, under the
   * symbol's other spelling, value for value: the same candle collected once under each (a Binance collect in
   * NFC over an older one's NFD rows), read once. Such rows with other values are refused, naming both lines
   * and the spellings, since which is meant cannot be told; rows of one spelling at one time are left for the
   * check of repeated times.
   */
  #sameRowsOnce(order: Uint32Array, symbol: string, path: string): Uint32Array {
    const kept: number[] = [];
    for (const r of order) {
      const before = kept.at(-1);
      if (before === undefined || this.#at(before, 0) !== this.#at(r, 0)) {
        kept.push(r);
        continue;
      }
      const [was, is] = [this.#spellingOf(before), this.#spellingOf(r)];
      if (was === is) {
        kept.push(r);
        continue;
      }
      let same = true;
      for (let k = 1; k < ROW_VALUES && same; k++) {
        const [a, b] = [this.#at(before, k), this.#at(r, k)];
        same = a === b || (Number.isNaN(a) && Number.isNaN(b));
      }
      if (same) continue;
      // Sorted stably, `before` is the earlier line.
      const [lineWas, lineIs] = [this.#at(before, ROW_VALUES), this.#at(r, ROW_VALUES)];
      const time = this.#at(r, 0);
      throw new CandleError(
        `${path}: ${symbol} open_time ${time} appears twice with other values, on line ${lineWas} spelled ` +
          `in ${formOf(was)} and on line ${lineIs} in ${formOf(is)} (${SPELLED_TWICE})`,
        SPELLED_TWICE_HINT,
      );
    }
    return Uint32Array.from(kept);
  }

  /**
   * The rows as a checked series, sorted by open_time (stable: rows of one time keep the file's order, so a
   * duplicate names its lines in order).
   */
  series(symbol: string, path: string): CandleSeries {
    let n = this.#rows;
    const times = new Float64Array(n);
    for (let r = 0; r < n; r++) times[r] = this.#at(r, 0);
    // A symbol's rows have open times on every row or on none (the C# export without "t"): a NaN among
    // times cannot be sorted, and would leave the series out of order.
    const untimed = times.findIndex(Number.isNaN);
    const timed = untimed < 0 ? n : times.filter((t) => !Number.isNaN(t)).length;
    // Runs change spelling from one to the next: more than one is the symbol spelled two ways.
    const spelled = this.#spellings.length > 1;
    if (spelled && timed === 0) {
      const [first, other] = this.#spellings;
      throw new CandleError(
        `${path} line ${this.#at(other.from, ROW_VALUES)} (symbol): ${symbol} is spelled in ` +
          `${formOf(other.spelling)} there and in ${formOf(first.spelling)} on line ${
            this.#at(0, ROW_VALUES)
          } ` +
          `(${SPELLED_TWICE}), and its rows have no open_time to put the two in one order`,
        SPELLED_TWICE_HINT,
      );
    }
    if (timed > 0 && timed < n) {
      throw new CandleError(
        `${path} line ${
          this.#at(untimed, ROW_VALUES)
        } (open_time): ${symbol} open_time is empty while ${timed} ` +
          `of its ${n} rows have one`,
        `give the row its open time (ms since the epoch) or delete it, or collect ${symbol} again`,
      );
    }
    // collect writes each symbol's rows ascending: sorted only when they are not.
    let order: Uint32Array = Uint32Array.from({ length: n }, (_, r) => r);
    if (timed > 0 && times.some((t, r) => r > 0 && t < times[r - 1])) {
      order.sort((a, b) => times[a] - times[b] || a - b);
    }
    if (spelled) {
      order = this.#sameRowsOnce(order, symbol, path);
      n = order.length;
    }
    const lineOf = (i: number) => this.#at(order[i], ROW_VALUES);
    const s = emptySeries(symbol, n);
    const columns = [s.openTime, ...VALUE_COLUMNS.map((col) => s[col])];
    for (let i = 0; i < n; i++) {
      const r = order[i];
      for (let k = 0; k < ROW_VALUES; k++) columns[k][i] = this.#at(r, k);
    }
    // Before the EMA's zero check, collect wrote a C# export's EMA(50) warm-up slots (0 from its TA library) into
    // the file as they came: read as missing, as collect --source json reads them (else every train and collect
    // on a file made that way failed).
    s.ema.fill(NaN, 0, emaWarmUpZeros(s.ema));
    for (let i = 0; i < n; i++) {
      const openTime = s.openTime[i];
      if (i > 0 && openTime === s.openTime[i - 1] && !Number.isNaN(openTime)) {
        throw new CandleError(
          `${path}: ${symbol} open_time ${openTime} appears twice (lines ${lineOf(i - 1)} and ${lineOf(i)})`,
        );
      }
      const problem = ohlcvProblem(
        { openTime, open: s.open[i], high: s.high[i], low: s.low[i], close: s.close[i], volume: s.volume[i] },
        `${path} line ${lineOf(i)}`,
      );
      if (problem) throw new CandleError(problem);
      const bounded = boundedSeriesProblem(s, i, `${path} line ${lineOf(i)}`);
      if (bounded) throw new CandleError(bounded, BOUNDED_HINT);
    }
    assertFeaturesFit(s, (i) => `${path} line ${lineOf(i)}`);
    this.#blocks.length = 0;
    return s;
  }
}

/** What a training CSV spelling one symbol two ways is, and what to do, for the messages that name the two. */
const SPELLED_TWICE = "the same letters; collect wrote a symbol as typed before it read symbols in NFC";
const SPELLED_TWICE_HINT = "collect the symbol from its source into a new file (another --output): collect " +
  "now writes one spelling, NFC; or delete one spelling's rows from this file";

/** A spelling's Unicode normalization form, as messages name it. */
function formOf(spelling: string): string {
  if (spelling === spelling.normalize("NFC")) return "NFC";
  return spelling === spelling.normalize("NFD") ? "NFD" : "a form neither NFC nor NFD";
}

const cell = (v: number) => (Number.isNaN(v) ? "" : String(v));

/** The columns after symbol and open_time, in the header's order. */
const VALUE_COLUMNS = [...PRICE_COLUMNS, ...INDICATOR_COLUMNS];

/**
 * Renders series as training-CSV bytes (UTF-8; numbers in their shortest exact form, so nothing is rounded),
 * about CSV_CHUNK_BYTES at a time: `writeTrainingCsv` writes each chunk as it comes, so a million-row file is
 * never held whole (rendering it as one string took ~1 GB beside the ~150 MB of text). Each number's text is
 * copied into the chunk as it is made: rows built as strings (arrays through csv-stringify, or joined text)
 * left ~40 short-lived strings per row that V8 promoted to its old space, ~700 MB of heap before a full GC
 * freed them when collect wrote 3M rows (helper trial s35), and took twice the time.
 */
export function* trainingCsvChunks(series: readonly CandleSeries[]): Generator<Uint8Array> {
  yield headerBytes();
  yield* rowChunks(series);
}

export const headerBytes = () => new TextEncoder().encode(stringify([[...TRAINING_CSV_HEADER]]));

/** The rows of `series` as training-CSV bytes, without the header (see `trainingCsvChunks`). */
export function* rowChunks(series: readonly CandleSeries[]): Generator<Uint8Array> {
  const encoder = new TextEncoder();
  const chunk = new Uint8Array(CSV_CHUNK_BYTES);
  let at = 0;
  // A number's text (`String(v)`: digits, ".", "-", "e", "+") is ASCII, one byte per character.
  const put = (text: string) => {
    for (let k = 0; k < text.length; k++) chunk[at++] = text.charCodeAt(k);
  };
  for (const s of series) {
    // Only the symbol can need quoting (a number's text never holds a comma or quote): csv-stringify quotes
    // it once per series, as it did in each row.
    const symbol = encoder.encode(stringify([[s.symbol]]).slice(0, -1) + ",");
    for (let i = 0; i < s.length; i++) {
      // Room for the longest row: the symbol, and 13 numbers with their separators. A number's shortest text is
      // at most 25 characters ("-0.0000012345678901234567"; "-2.2250738585072014e-308" is 24).
      if (at + symbol.length + (VALUE_COLUMNS.length + 1) * 26 > chunk.length) {
        yield chunk.slice(0, at);
        at = 0;
      }
      chunk.set(symbol, at);
      at += symbol.length;
      put(cell(s.openTime[i]));
      for (const col of VALUE_COLUMNS) {
        chunk[at++] = COMMA;
        put(cell(s[col][i]));
      }
      chunk[at++] = NEWLINE;
    }
  }
  if (at > 0) yield chunk.slice(0, at);
}

const [COMMA, NEWLINE] = [",".charCodeAt(0), "\n".charCodeAt(0)];

/** The whole training-CSV text of `series` (`trainingCsvChunks` joined). */
export function trainingCsvText(series: readonly CandleSeries[]): string {
  const decoder = new TextDecoder();
  return [...trainingCsvChunks(series)].map((bytes) => decoder.decode(bytes)).join("");
}

/** Bytes per chunk `trainingCsvChunks` yields (a symbol is at most 64 characters: a row fits many times). */
const CSV_CHUNK_BYTES = 1 << 18;

/**
 * Writes series atomically: an interrupted write leaves the previous file as it was. Returns false when
 * `keepSame` left a file that already held these bytes untouched.
 */
export async function writeTrainingCsv(
  path: string,
  series: readonly CandleSeries[],
  options: WriteOptions = {},
): Promise<boolean> {
  return await writeFileAtomic(path, trainingCsvChunks(series), options);
}

/**
 * A training CSV's symbol as serve and a C# export take one (`SYMBOL_PATTERN`, at most MAX_SYMBOL_LENGTH): the
 * file was the one way in without a check, and a symbol holding escape sequences retitled and cleared the
 * terminal of whoever ran evaluate or collect on it; one starting with '=' became a formula in predictions.csv.
 */
function requireSymbol(symbol: string, path: string, line: number): void {
  if (SYMBOL_PATTERN.test(symbol) && symbol.length <= MAX_SYMBOL_LENGTH) return;
  const why = symbol.length > MAX_SYMBOL_LENGTH
    ? `is longer than ${MAX_SYMBOL_LENGTH} characters`
    : SYMBOL_RULE;
  throw new CandleError(
    `${path} line ${line} (symbol): ${JSON.stringify(symbol)} ${why}`,
    "fix the symbol in the file, or collect the candles again with 'candlecast collect'",
  );
}
