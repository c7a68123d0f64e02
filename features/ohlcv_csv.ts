/**
 * Raw OHLCV candles from CSV: either with the header `open_time,open,high,low,close,volume` (the layout of
 * the shared real data) or Binance's public kline dumps (no header, 12 columns, open time in ms — or in µs,
 * as in spot files from 2025 on). Open times in s, µs or ns are converted to ms (`open_time.ts`).
 * Indicators are left NaN for the caller to compute.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { parse as streamParse } from "csv-parse";
import { parse } from "csv-parse/sync";
import {
  CandleError,
  candleFileError,
  type CandleSeries,
  CSV_RECORD_DELIMITERS,
  emptySeries,
  ohlcvProblem,
  parseNumberCell,
  TRAINING_CSV_HEADER,
  withoutBom,
} from "./candles.ts";
import { assertFeaturesFit } from "./engineer.ts";
import { openTimesToMs } from "./open_time.ts";
import {
  DUMP_COLUMNS,
  dumpWidth,
  filledWidth,
  headerWidth,
  OddFirstRow,
  type RowWidth,
  shownLine,
  shownRow,
  widthProblem,
  withFirstRow,
} from "./ohlcv_row_width.ts";
import { readRegularFileTail, shellWord } from "../base/index.ts";

/**
 * The header of an OHLCV CSV, matched case-insensitively against a file's first six columns (more are
 * ignored).
 */
export const OHLCV_HEADER = ["open_time", "open", "high", "low", "close", "volume"] as const;

/**
 * The refusal of a training CSV (what collect writes) given where raw candles are read: a usage error (exit 2),
 * the wrong file named, as a training CSV's reader refuses raw candles (`NotTrainingCsvError`).
 */
function trainingCsvNotRawCandles(source: string): CandleError {
  return new CandleError(
    `${source} is already a training CSV (symbol,open_time,…,stoch_d), not raw candles`,
    `give it to train as it is ('candlecast train --data ${shellWord(source)}'); collect --source ` +
      `csv reads raw candles (${OHLCV_HEADER.join(",")}) or a Binance kline dump`,
    2,
  );
}

/**
 * A raw CSV with a `symbol` column before its OHLCV ones (a database's or a multi-symbol export): read as raw
 * candles it failed on its header, and it was called "already a training CSV" by collect while train called it
 * "not a training CSV", each sending the user to the other (helper trial s49). A CSV holds one symbol's candles.
 */
function symbolColumnError(source: string, record: readonly string[]): CandleError {
  return new CandleError(
    `${source}: its "symbol" column is not read (header "${record.join(",")}"): collect reads one symbol's ` +
      "candles from a CSV, the symbol named by --symbol or by the file's name",
    "split it into one file per symbol named like BTCUSDT-1h.csv and give them to --csv-path (a folder of them " +
      `will do); or, if it holds one symbol, drop the column (header ${
        OHLCV_HEADER.join(",")
      }) and pass --symbol`,
    2,
  );
}

/**
 * JSON given as a CSV (`--source csv --csv-path candle_export.json`): a usage error (2) naming the flags that
 * read it, when `start` (the file's first line, or its text) starts with `{` or `[`, as JSON does and no CSV of
 * candles does. Null otherwise. Before, the CSV parser's own words ("not valid CSV (Invalid Closing Quote: got
 * ":" at line 3 …)") with "fix the data named", exit 1, over an export with nothing wrong in it (a user's trial).
 */
function jsonNotCsv(source: string, start: string): CandleError | null {
  const first = withoutBom(start).trimStart()[0];
  if (first !== "{" && first !== "[") return null;
  return new CandleError(
    `${source} looks like JSON (it starts with ${first}), not a CSV of candles`,
    `if it is the C# bot's candle export, use --source json --json-path ${shellWord(source)} (without ` +
      "--symbol: the export names its symbols)",
    2,
  );
}

/**
 * A header that says what else the file is, said as such rather than as a bad header whose hint was to "fix the
 * data": the whole training CSV header (what collect writes, given back to it; helper's trial 31), JSON
 * (`jsonNotCsv`), or a symbol column before the OHLCV ones. Null for any other header.
 */
function notRawCandles(source: string, record: readonly string[]): CandleError | null {
  if (record.join(",") === TRAINING_CSV_HEADER.join(",")) return trainingCsvNotRawCandles(source);
  const json = jsonNotCsv(source, record[0] ?? "");
  if (json) return json;
  const at = record.findIndex((name) => name.toLowerCase() === "symbol");
  const rest = record.filter((_, k) => k !== at);
  return at >= 0 && !isOhlcvHeader(record) && isOhlcvHeader(rest) ? symbolColumnError(source, record) : null;
}

/** Enough of a file's start for its header line: a training CSV's (95 characters), or a longer export's. */
const HEADER_BYTES = 512;

/**
 * Refuses a training CSV, JSON, or a raw CSV with a symbol column (`notRawCandles`), named as raw candles from
 * its first line alone, before anything asks the file's name for a symbol: otherwise a training CSV not named like
 * ETHUSDT-1h.csv was first refused for a missing `--symbol`, and given one, only then for what it is (helper's
 * trial s43). Anything but a regular file (a FIFO would block the open), or a file that cannot be read here, is
 * left to the reader, which names it.
 */
export function refuseTrainingCsvAsRaw(path: string): void {
  const start = fileStart(path);
  if (start === null) return;
  // Blank lines first are skipped, as the parser skips them: JSON's "[" may come after one.
  const line = withoutBom(start).trimStart().split(/\r?\n/, 1)[0];
  const error = notRawCandles(path, line.split(",").map((name) => name.trim().replace(/^"(.*)"$/, "$1")));
  if (error) throw error;
}

/** The first HEADER_BYTES of a regular file, or null for anything else or a file that cannot be read here. */
function fileStart(path: string): string | null {
  try {
    if (!statSync(path).isFile()) return null;
    const handle = openSync(path, "r");
    try {
      const bytes = new Uint8Array(HEADER_BYTES);
      return new TextDecoder().decode(bytes.subarray(0, readSync(handle, bytes, 0, bytes.length, 0)));
    } finally {
      closeSync(handle);
    }
  } catch {
    return null;
  }
}

/**
 * csv-parse settings shared by the text and the file reader; LF and CRLF lines may mix in one file. A row whose
 * every cell is empty (`,,,,,`: rows a spreadsheet saves below the data once they held anything) is skipped as an
 * empty line is: it was refused as "line 402 (open): value is empty", exit 1, over no candle at all.
 */
const CSV_OPTIONS = {
  skip_empty_lines: true,
  skip_records_with_empty_values: true,
  relax_column_count: true,
  trim: true,
  record_delimiter: [...CSV_RECORD_DELIMITERS],
};

/** Rows per block of `OhlcvColumns` (3 MB: six numbers a row). */
const BLOCK_ROWS = 1 << 16;

/**
 * Records checked and put straight into numbers as the parser reads them: a million-row dump held as string
 * arrays took ~2 GB, these take 48 MB. They fill fixed blocks of Float64Array (outside the JS heap), copied
 * once into the series' columns: six growing number[] left ~220 MB of heap garbage after a 3M-row file, and
 * while V8 had not yet swept it, the training CSV's writing grew the heap by ~500 MB more (helper trial s35).
 */
class OhlcvColumns {
  /** Row r's six values at `r % BLOCK_ROWS * 6` of block `r / BLOCK_ROWS`. */
  readonly #blocks: Float64Array[] = [];
  #rows = 0;
  #hasHeader: boolean | null = null;
  /** Rows read before each header line met past the first line (files concatenated: `cat BTCUSDT-1h-*.csv`). */
  readonly #laterHeaders: number[] = [];
  /** Leading columns left out of every record: 1 for the unnamed index column pandas writes by default. */
  #skipped = 0;
  /** The first open time written in scientific notation, and the most significant digits any such one has. */
  #scientific: { cell: string; where: string; digits: number } | null = null;
  /**
   * A data row's refusal, thrown once the next record comes or the text ends (`refusal`): only then is it known
   * whether the row is the file's last, which a file cut short mid-row makes bad.
   */
  #refused: CandleError | null = null;
  /**
   * The refusal to give instead where the row refused is the file's last and the file ends mid-line (`refusal`):
   * null where the row is not what a cut leaves (as many cells as every row holds, its last one not empty).
   */
  #ifCut: CandleError | null = null;
  /** The cells the data rows hold (`widthProblem`), learnt from the header above them and their first row. */
  #width: RowWidth = headerWidth(OHLCV_HEADER);
  /** A first line of one cell (a URL, a title): refused with the next line, which may be the real header. */
  #title: string | null = null;

  constructor(readonly source: string) {}

  /**
   * The refusal of a bad row, if one was met: said to be where the file ends mid-line when `unended` (the file's
   * last line, without a line ending after it) is set, that row was the last, and it is what a cut leaves (fewer
   * than six cells, or its last one empty; an "x" is no cut). Before, "line 401: expected at least 6 columns,
   * found 5" left the user to find out that the file had been cut short.
   */
  refusal(unended: string | null = null): CandleError | null {
    if (this.#title !== null) return headerError(this.source, [this.#title]);
    const refused = this.#refused;
    const cut = this.#ifCut;
    if (refused === null || unended === null || cut === null) return refused;
    return new CandleError(`${cut.message} ${ENDS_MID_LINE}`, cut.hint, cut.exitCode);
  }

  readonly lineOf = (i: number): string => this.#line(i, this.#laterHeaders.filter((at) => at <= i).length);

  #line(i: number, headersBefore: number): string {
    return `${this.source} line ${this.#lineNumber(i, headersBefore)}`;
  }

  #lineNumber(i: number, headersBefore: number): number {
    return (this.#hasHeader ? 2 : 1) + i + headersBefore;
  }

  add(record: string[]): void {
    // The line after a first line of one cell says whether that was a title above the header.
    if (this.#title !== null) {
      this.#refused = headerError(this.source, [this.#title], record);
      this.#title = null;
    }
    if (this.#refused) throw this.#refused;
    if (this.#hasHeader === null) this.#skipped = pandasIndexColumns(record);
    if (this.#skipped > 0) record = record.slice(this.#skipped);
    // The header again further down: monthly files joined end to end, each with its header. Skipped, as the
    // first one is; any other text in a number column is still refused below, naming its line. The rows after
    // it are held to its columns.
    if (this.#hasHeader !== null && isOhlcvHeader(record)) {
      this.#width = headerWidth(record);
      return void this.#laterHeaders.push(this.#rows);
    }
    if (this.#hasHeader === null) {
      // A date first is a headerless file's first open time, not a header's first name ("unexpected header").
      refuseDateText(record[0] ?? "", `${this.source} line 1 (open_time)`);
      this.#hasHeader = Number.isNaN(Number(record[0]));
      if (this.#hasHeader) {
        if (!isOhlcvHeader(record)) {
          const error = notRawCandles(this.source, record) ?? textDatedRow(this.source, record);
          if (error) throw error;
          if (record.length === 1 && separatorOf(record[0]) === undefined) {
            this.#title = record[0];
            return;
          }
          throw headerError(this.source, record);
        }
        this.#width = headerWidth(record);
        return;
      }
      refuseHeaderlessWidth(this.source, record);
      this.#width = dumpWidth(record, `${this.source} line 1`);
    }
    try {
      this.#addRow(record);
    } catch (error) {
      if (!(error instanceof CandleError)) throw error;
      this.#refused = error;
      const cells = this.#width.exact ? this.#width.cells : 6;
      const cut = record.length < cells || record[record.length - 1] === "";
      this.#ifCut = cut ? (error instanceof OddFirstRow ? error.ifCut : error) : null;
    }
  }

  #addRow(record: string[]): void {
    // The row being read comes after every header met so far: no search on this per-row path.
    const where = this.#line(this.#rows, this.#laterHeaders.length);
    if (record.length < 6) {
      throw new CandleError(`${where}: expected at least 6 columns, found ${record.length}`);
    }
    const line = this.#lineNumber(this.#rows, this.#laterHeaders.length);
    // The first row under a header sets the width the rows after it are held to.
    if (this.#width.first === null) this.#width = withFirstRow(this.#width, record, where, line);
    else {
      const width = widthProblem(record, this.#width, where, line);
      if (width) throw width;
    }
    refuseDateText(record[0], `${where} (open_time)`);
    const [t, open, high, low, close, volume] = record.slice(0, 6).map((cell, k) =>
      parseNumberCell(cell, k === 0 && this.#hasHeader === true, `${where} (${OHLCV_HEADER[k]})`)
    );
    const problem = ohlcvProblem({ openTime: t, open, high, low, close, volume }, where);
    if (problem) throw new CandleError(problem);
    if (record[0].includes("e") || record[0].includes("E")) this.#noteScientific(record[0], where);
    const at = (this.#rows % BLOCK_ROWS) * 6;
    if (at === 0) this.#blocks.push(new Float64Array(BLOCK_ROWS * 6));
    this.#blocks[this.#blocks.length - 1].set([t, open, high, low, close, volume], at);
    this.#rows++;
  }

  #noteScientific(cell: string, where: string): void {
    const digits = cell.split(/e/i)[0].replace(/\D/g, "").replace(/^0+/, "").length;
    if (this.#scientific === null) this.#scientific = { cell, where, digits };
    else this.#scientific.digits = Math.max(this.#scientific.digits, digits);
  }

  /**
   * The series read, once every record is in; refuses a bad row (`refusal`, `unended` as it takes it), an empty
   * file and open times that cannot be right.
   */
  series(symbol: string, unended: string | null = null): CandleSeries {
    const refused = this.refusal(unended);
    if (refused) throw refused;
    // The file named holds nothing to fix (2, as an empty training CSV): "fix the data named, or collect it
    // again" told collect's user to run the command that had just refused.
    if (this.#hasHeader === null) {
      throw new CandleError(
        `${this.source}: the file is empty`,
        `name a file of candles (${
          OHLCV_HEADER.join(",")
        }, or a Binance kline dump), or write them into it ` +
          "again: an export stopped before its first line leaves it empty",
        2,
      );
    }
    const s = emptySeries(symbol, this.#rows);
    const columns = [s.openTime, s.open, s.high, s.low, s.close, s.volume];
    for (let r = 0; r < this.#rows; r++) {
      const block = this.#blocks[Math.floor(r / BLOCK_ROWS)];
      const at = (r % BLOCK_ROWS) * 6;
      for (let k = 0; k < 6; k++) columns[k][r] = block[at + k];
    }
    this.#blocks.length = 0; // the blocks are copied: let them go before the series is worked on
    refusePartlyTimed(s.openTime, this.lineOf);
    openTimesToMs(s.openTime, this.lineOf); // first: 1e+21 is no time at all, not a rounded one
    if (this.#scientific) refuseRounded(s, this.#scientific);
    assertFeaturesFit(s, this.lineOf);
    return s;
  }
}

/**
 * A file without a header is read as a Binance kline dump, whose 12 columns begin with the six read: any other
 * width is another layout, whose columns are not known (a Kraken export's sixth is its VWAP, and was stored as
 * the volume). A usage error (2), as a header of the wrong shape is.
 */
function refuseHeaderlessWidth(source: string, record: readonly string[]): void {
  if (record.length >= DUMP_COLUMNS && filledWidth(record) <= DUMP_COLUMNS) return;
  throw new CandleError(
    `${source}: its first line "${shownRow(record)}" has ${
      filledWidth(record)
    } columns and no header; a file without a header is read only as a Binance kline dump (${DUMP_COLUMNS} ` +
      "columns: open_time,open,high,low,close,volume,close_time,…)",
    `add a header line naming every column, ${
      OHLCV_HEADER.join(",")
    } first, in that order (move the volume column there if it is elsewhere): the named columns after the six ` +
      "are ignored",
    2,
  );
}

/**
 * Most significant digits a spreadsheet writes an open time with: Excel's General format shows at most 11
 * characters, so 1685577600000 becomes 1.68558E+12, which is 2023-06-01 00:40 and lies within 2.8 hours of
 * every other candle of that day. An exporter that writes exact scientific notation (R's write.csv:
 * 1.6855776e+12) needs more digits for almost every open time on a grid.
 */
const SPREADSHEET_DIGITS = 6;

/**
 * Open times written in scientific notation that a spreadsheet rounded: every one with at most
 * SPREADSHEET_DIGITS significant digits (more is exact notation, read as it is). Refused saying so: the
 * collision was reported as "two candles for one time … (two files of different symbols or intervals joined
 * into one?)", and rounded times that do not collide (daily candles) were collected up to 83 minutes off.
 */
function refuseRounded(s: CandleSeries, first: { cell: string; where: string; digits: number }): void {
  // Exact notation (more digits) is read as it is, and a time shared by two rows is then a real duplicate, which
  // the reader's "two candles for one time" names: blaming a spreadsheet there sent the user the wrong way.
  if (first.digits > SPREADSHEET_DIGITS) return;
  const shared = sharedOpenTimes(s);
  throw new CandleError(
    `${first.where} (open_time): "${first.cell}" is in scientific notation, as a spreadsheet saves numbers: ` +
      `the open times were rounded${
        shared > 0 ? `, and ${shared} ${shared === 1 ? "row opens" : "rows open"} at the time of another` : ""
      }`,
    "re-export them as whole milliseconds (1685577600000, not 1.68558E+12); in a spreadsheet, format the " +
      "open_time column as a number with no decimals before saving",
  );
}

/** Rows that open at the time of an earlier one with other values (verbatim repeats are not counted). */
function sharedOpenTimes(s: CandleSeries): number {
  const order = Array.from({ length: s.length }, (_, i) => i).sort((a, b) => s.openTime[a] - s.openTime[b]);
  const columns = [s.open, s.high, s.low, s.close, s.volume];
  let shared = 0;
  for (let k = 1; k < order.length; k++) {
    const [a, b] = [order[k - 1], order[k]];
    if (s.openTime[a] === s.openTime[b] && columns.some((c) => c[a] !== c[b])) shared++;
  }
  return shared;
}

/**
 * 1 when the header is pandas' `to_csv` default, its unnamed index column first (`,open_time,…` or
 * `Unnamed: 0,open_time,…`, a file read back and written again), else 0. That column is row numbers, never
 * a candle's value, so it is left out rather than refused: before, its empty name was read as a headerless
 * dump's first open time ("line 1 (open_time): value is empty"). A named first column is refused instead
 * (headerError), since its values might be what the user meant as the open time.
 */
function pandasIndexColumns(record: readonly string[]): number {
  const unnamed = record[0] === "" || /^unnamed: 0$/i.test(record[0] ?? "");
  return unnamed && isOhlcvHeader(record.slice(1)) ? 1 : 0;
}

/**
 * What is wrong with a header that is not OHLCV_HEADER, and what to do: the generic "fix the data named" left a
 * user with a semicolon- or tab-separated export (a spreadsheet's, with decimal commas) or other column names
 * guessing what the reader wants. A usage error (2), as an empty file or a training CSV given as raw candles
 * is, and as a training CSV's wrong header is for train and monitor: the file named is not of the shape asked
 * for, no candle in it failed (a bad row stays 1). Before, a header missing a column exited 1 beside those 2s.
 */
function headerError(source: string, record: readonly string[], next?: readonly string[]): CandleError {
  const expected = OHLCV_HEADER.join(",");
  const line = record.join(",");
  const separator = record.length === 1 ? separatorOf(line) : undefined;
  if (separator !== undefined) {
    const name = separator === "\t" ? "tabs" : `'${separator}'`;
    return new CandleError(
      `${source}: its columns are separated by ${name}, not commas (header "${
        line.replaceAll("\t", "\\t")
      }")`,
      `save it as comma-separated with '.' as the decimal mark (header ${expected}); with decimal commas, ` +
        `e.g. sed -e 's/,/./g' -e 's/${separator === "\t" ? "\\t" : separator === "|" ? "|" : ";"}/,/g'`,
      2,
    );
  }
  if (record.length > OHLCV_HEADER.length && isOhlcvHeader(record.slice(1))) {
    return new CandleError(
      `${source}: a column "${record[0]}" comes before ${expected} (header "${line}")`,
      `remove that first column, so the header starts ${OHLCV_HEADER[0]} (pandas writes its index there: ` +
        "df.to_csv(path, index=False))",
      2,
    );
  }
  const rename =
    `name the first six columns ${expected}, in that order (more columns after them are ignored)`;
  // A title or URL above the header (CryptoDataDownload's files start with their address): the header the hint
  // asked to rename was the next line.
  const later = record.length === 1 && next !== undefined && Number.isNaN(Number(next[0]));
  return new CandleError(
    `${source}: unexpected header "${line}"; expected ${expected} or a Binance kline dump without a header`,
    later
      ? `the header seems to be on a later line (line 2: "${shownRow(next)}"): delete the first line (e.g. ` +
        `tail -n +2 ${shellWord(source)} > candles.csv), then ${rename}`
      : rename,
    2,
  );
}

/** The separator a header of one cell holds (`;`, a tab, `|`): a file not separated by commas. */
const separatorOf = (line: string): string | undefined => [";", "\t", "|"].find((c) => line.includes(c));

/**
 * A date written where an open time belongs ("2024-01-01T00:00:00Z", pandas' "2024-01-01 00:00:00", .NET's
 * "2023-06-01T00:00:00.0000000+00:00"): the epoch ms it is, read as UTC when it names no zone (`zoned` false;
 * NaN when it is no real date), or null when `text` is no date. For saying what to write instead.
 */
export function dateText(text: string): { ms: number; zoned: boolean } | null {
  // .NET's DataContractJsonSerializer writes a DateTime as "\/Date(ms)\/", ms UTC (an offset after it is
  // informational), which JSON reads as "/Date(ms)/".
  const wcf = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(text);
  if (wcf) return { ms: Number(wcf[1]), zoned: true };

  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(text)) return null;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(text) && text.length > 10;
  const ms = Date.parse(zoned ? text : `${text.replace(" ", "T")}${text.length === 10 ? "T00:00:00" : ""}Z`);
  return { ms, zoned };
}

/**
 * An open time written as a date: refused naming the epoch ms it would be in UTC, since "not a finite number"
 * did not say what the reader wanted instead. Not read as a date: one without a zone is in no known one.
 */
function refuseDateText(cell: string, where: string): void {
  const date = dateText(cell);
  if (date === null) return;
  const { ms, zoned } = date;
  throw new CandleError(
    `${where}: "${cell}" is a date; open times are numbers, ms since the epoch`,
    `write each open time as ms since 1970-01-01 UTC${
      Number.isFinite(ms) ? ` (${cell}${zoned ? "" : " read as UTC"} is ${ms})` : ""
    }, e.g. pandas: (df.open_time.astype("int64") // 10**6)`,
  );
}

/** A date in a first cell as exporters write one, year first or last (`2023.12.14`, `14.12.2023`, `12/14/2023`). */
const TEXT_DATE =
  /^(\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})([ T]\d{1,2}:\d{2}(:\d{2})?)?$/;

/** A time of day in a cell of its own (`04:00`, `04:00:00`), as MetaTrader writes it after the date. */
const TEXT_TIME = /^\d{1,2}:\d{2}(:\d{2})?$/;

/**
 * A first line that is no header but a row of candles whose time is written as text (MetaTrader's export:
 * `2023.12.14,04:00,42713.86,…`, no header): its first cell a date, or every cell after it a number or a time
 * of day. Said as such, since "unexpected header" with a hint to rename the columns sent the user to add a header
 * above rows whose times would still be refused. A usage error (2), as the header's is. Null for anything else.
 */
function textDatedRow(source: string, record: readonly string[]): CandleError | null {
  const rest = record.slice(1);
  const numbers = rest.every((cell) =>
    TEXT_TIME.test(cell) || (cell !== "" && Number.isFinite(Number(cell)))
  );
  if (!TEXT_DATE.test(record[0]) && !(rest.length >= 4 && numbers)) return null;
  const ms = textDateMs(record);
  return new CandleError(
    `${source}: its first line "${shownRow(record)}" looks like a data ` +
      "row with its date and time written as text (as MetaTrader's export writes them, without a header), not " +
      `a header: collect needs each open time in ms since the epoch, under the header ${
        OHLCV_HEADER.join(",")
      }`,
    "write the date and time as one open_time column of ms since 1970-01-01 UTC" +
      (ms === null
        ? ""
        : ` (${record[0]}${TEXT_TIME.test(record[1] ?? "") ? ` ${record[1]}` : ""} read as UTC is ${ms})`) +
      `, and put the header ${
        OHLCV_HEADER.join(",")
      } first; MetaTrader writes its server's time, often UTC+2 or ` +
      "UTC+3: convert it to UTC",
    2,
  );
}

/**
 * The epoch ms of a year-first date in a record's first cell, with the time of day from that cell or the next,
 * read as UTC; null when the date is in another order (14.12.2023 or 12/14/2023: which is the day is not known)
 * or is no real date.
 */
function textDateMs(record: readonly string[]): number | null {
  const date = /^(\d{4})[./-](\d{1,2})[./-](\d{1,2})(?:[ T](.+))?$/.exec(record[0]);
  if (date === null) return null;
  // The time of day in the date's cell or, as MetaTrader writes it, in the next; none is midnight.
  const timeText = date[4] ?? (TEXT_TIME.test(record[1] ?? "") ? record[1] : "00:00");
  const time = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(timeText);
  if (time === null) return null;
  const [y, mo, d] = date.slice(1, 4).map(Number);
  const [h, mi, sec] = time.slice(1, 4).map((v) => Number(v ?? 0));
  const ms = Date.UTC(y, mo - 1, d, h, mi, sec);
  const back = new Date(ms);
  const real = back.getUTCMonth() === mo - 1 && back.getUTCDate() === d && h < 24 && mi < 60 && sec < 60;
  return real ? ms : null;
}

/** Whether a record's first six columns are OHLCV_HEADER (case aside). */
const isOhlcvHeader = (record: readonly string[]): boolean =>
  record.slice(0, 6).join(",").toLowerCase() === OHLCV_HEADER.join(",");

/**
 * A CandleError for what the parser threw (a CandleError of a record passes as it is); `start` is the text's
 * beginning, for JSON, on which the parser fails before a record reaches the header checks.
 */
function csvProblem(source: string, error: unknown, start: string): CandleError {
  if (error instanceof CandleError) return error;
  return jsonNotCsv(source, start) ??
    new CandleError(`${source}: not valid CSV (${(error as Error).message})`);
}

/**
 * OHLCV CSV text (with the header, or a headerless Binance kline dump) as one series named `symbol`, open
 * times in ms and indicators NaN. Throws a CandleError naming `source` and the line of the first bad row; an
 * empty text is refused.
 *
 * @example
 * ```ts
 * const s = parseOhlcvCsv("open_time,open,high,low,close,volume\n1700000000000,1,2,0.5,1.5,10\n", "BTCUSDT");
 * s.length; // 1
 * s.rsi[0]; // NaN: the indicators are the caller's to compute (`computeIndicators`)
 * ```
 */
export function parseOhlcvCsv(text: string, symbol: string, source = "CSV"): CandleSeries {
  const records = new OhlcvColumns(source);
  try {
    parse(withoutBom(text), {
      ...CSV_OPTIONS,
      on_record: (record: string[]) => {
        records.add(record);
        return null; // nothing for the parser to keep
      },
    });
  } catch (error) {
    // A bad row before the text the parser failed on is the first problem, as it was when rows threw at once.
    throw records.refusal() ?? csvProblem(source, error, text.slice(0, HEADER_BYTES));
  }
  return records.series(symbol, records.refusal() ? unendedLine(text.slice(-TAIL_BYTES)) : null);
}

/**
 * Open times on every row or on none (as the C# export's "t"): one row without its time in a timed file
 * would be merged and ordered as a candle of no time, and its gap counted as NaN candles.
 */
function refusePartlyTimed(times: Float64Array, lineOf: (i: number) => string): void {
  const missing = times.findIndex(Number.isNaN);
  if (missing < 0 || times.every(Number.isNaN)) return;
  const timed = times.filter((t) => !Number.isNaN(t)).length;
  throw new CandleError(
    `${lineOf(missing)}: open_time is empty while ${timed} of ${times.length} rows have one`,
    "give every row its open time (ms since the epoch), or leave the column empty on every row",
  );
}

/**
 * Reads an OHLCV file as it streams in (a dump of millions of 1m candles is never held as one string). The
 * errors are parseOhlcvCsv's, and "no such file" / "is a folder" for the path.
 */
export async function readOhlcvCsv(path: string, symbol: string): Promise<CandleSeries> {
  return (await readOhlcvCsvLines(path, symbol)).series;
}

/**
 * `readOhlcvCsv`, with where each row is in the file (`lineOf(i)`: "BTCUSDT-1h.csv line 102", repeated headers
 * counted) for messages about rows found later (two rows at one time): a data row's number was off by the
 * header and by every repeated header.
 */
export async function readOhlcvCsvLines(
  path: string,
  symbol: string,
): Promise<{ series: CandleSeries; lineOf: (i: number) => string }> {
  let handle: FileHandle;
  try {
    handle = await open(path);
  } catch (error) {
    throw candleFileError(path, error);
  }
  const records = new OhlcvColumns(path);
  try {
    // bom: a UTF-8 byte order mark before the first line is dropped (`withoutBom` for text).
    const parser = streamParse({ ...CSV_OPTIONS, bom: true });
    const input = handle.createReadStream();
    input.on("error", (error) => parser.destroy(error));
    input.pipe(parser);
    for await (const record of parser as AsyncIterable<string[]>) records.add(record);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "EISDIR") throw candleFileError(path, error);
    throw records.refusal() ?? csvProblem(path, error, fileStart(path) ?? "");
  } finally {
    await handle.close().catch(() => {});
  }
  // The file's end is read again only to say why its last row is bad.
  const unended = records.refusal() ? await unendedLastLine(path) : null;
  return { series: records.series(symbol, unended), lineOf: records.lineOf };
}

/** What a bad last row's refusal adds when the file ends without a line ending after it. */
const ENDS_MID_LINE = "(the file ends mid-line: was it cut short?)";

/** Bytes read from a file's end for its last line: far more than a row of candles takes. */
const TAIL_BYTES = 4096;

/**
 * The last line of `tail` (a text's end) when no line ending follows it and it holds a digit: a row, not an empty
 * or all-empty one (`,,,,,`), a header, or the ^Z an old DOS tool ends a file with. Null otherwise.
 */
function unendedLine(tail: string): string | null {
  const line = tail.slice(Math.max(tail.lastIndexOf("\n"), tail.lastIndexOf("\r")) + 1).trim();
  return /\d/.test(line) ? line : null;
}

/**
 * The last line of the file at `path` when the file ends in the middle of it, with no line ending after it
 * (`unendedLine`), else null (also for what cannot be read here, or is no regular file). A file cut short (a copy
 * or download that stopped) ends so, its last value cut mid-number (740.9 of 740.97838) yet a number still, and
 * read as one; so does a file whose writer leaves out the final line ending, which many do: a caller says it
 * as a warning (`ohlcvCsvCutShortWarning`), and reading the file goes on.
 */
export async function unendedLastLine(path: string): Promise<string | null> {
  try {
    return unendedLine(new TextDecoder().decode(await readRegularFileTail(path, TAIL_BYTES)));
  } catch {
    return null;
  }
}

/**
 * "warning: raw.csv ends mid-line …": the words for a file of candles read whole whose last line has no line
 * ending (`unendedLastLine`), or null for one that ends as a file should. Its candles are taken as they are.
 */
export async function ohlcvCsvCutShortWarning(path: string): Promise<string | null> {
  const line = await unendedLastLine(path);
  if (line === null) return null;
  return `warning: ${path} ends mid-line, no line ending after its last row ("${
    shownLine(line)
  }"): was it cut ` +
    "short? If so, that row's last value may be cut too (a copy or download that stopped); if the tool that " +
    "wrote it leaves out the final line ending, ignore this";
}
