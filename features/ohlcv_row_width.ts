/**
 * How many cells the data rows of a raw OHLCV CSV hold (`ohlcv_csv.ts`): learnt from the header above them and
 * the first row under it, and a row of other cells refused as what an unquoted decimal comma, a thousands
 * separator or a missing cell makes. Also how a row is quoted in a message (`shownRow`).
 */
import { CandleError } from "./candles.ts";

/** The columns of a Binance kline dump, the one file read without a header. */
export const DUMP_COLUMNS = 12;

/** How many of a record's cells come before its trailing empty ones (`…,volume,` is 6). */
export function filledWidth(record: readonly string[]): number {
  let n = record.length;
  while (n > 0 && record[n - 1] === "") n--;
  return n;
}

/** A line for a message, cut to 80 characters. */
export function shownLine(line: string): string {
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

/** A row for a message, its cells joined by commas, cut to 80 characters. */
export function shownRow(record: readonly string[]): string {
  return shownLine(record.join(","));
}

/**
 * The cells the data rows under one header hold, learnt from the header and then from the first row under it
 * (`withFirstRow`), which `widthProblem` holds every later row to.
 */
export interface RowWidth {
  /** The columns the header names (a trailing comma names none); a dump's 12 for a file without a header. */
  readonly named: number;
  /**
   * The cells holding values a row may have: the named columns, or, where the first row under the header holds
   * more (unnamed columns after six names: a Kraken export's vwap and count, a Binance dump's last six), that
   * row's.
   */
  readonly cells: number;
  /**
   * Whether every row holds `cells` (a dump without a header; rows wider than their header, whose unnamed
   * columns say nothing of which cell is missing), or only the six: a row may leave out empty cells of the named
   * columns after them (Excel writes an empty last column's trailing comma on its first rows only).
   */
  readonly exact: boolean;
  /** The most cells, empty trailing ones included, of the header and the first row: a row longer is odd. */
  readonly usual: number;
  /** What `cells` is, for messages: "the header names 7 columns", "line 2 has 8 and the header names 6 columns". */
  readonly of: string;
  /** The first data row under the header (null until read): named where it is the odd one. */
  readonly first: { readonly where: string; readonly cells: number; readonly shown: string } | null;
}

/** A header's rows, before the first is read: the columns it names (a trailing comma names none). */
export function headerWidth(header: readonly string[]): RowWidth {
  const named = filledWidth(header);
  return {
    named,
    cells: named,
    exact: false,
    usual: header.length,
    of: `the header names ${named} columns`,
    first: null,
  };
}

/** A Binance dump's rows (no header), as its first line (`where`, already checked) has them. */
export function dumpWidth(record: readonly string[], where: string): RowWidth {
  return {
    named: DUMP_COLUMNS,
    cells: DUMP_COLUMNS,
    exact: true,
    usual: record.length,
    of: `line 1 has ${DUMP_COLUMNS}`,
    first: { where, cells: DUMP_COLUMNS, shown: shownRow(record) },
  };
}

/**
 * `width` (its `first` not yet read) with the first data row under its header, `record` at `where` (line
 * `line`): that row sets the width where it holds values past the named columns (every row then holds as many).
 */
export function withFirstRow(
  width: RowWidth,
  record: readonly string[],
  where: string,
  line: number,
): RowWidth {
  const filled = filledWidth(record);
  const read = {
    ...width,
    first: { where, cells: filled, shown: shownRow(record) },
    usual: Math.max(width.usual, record.length),
  };
  if (filled <= width.named) return read;
  return {
    ...read,
    cells: filled,
    exact: true,
    of: `line ${line} has ${filled} and the header names ${width.named} columns`,
  };
}

/**
 * The refusal of the first row under a header, wider than it, met at a later row of the header's width: the
 * first was the odd one, unless that later row is the file's last, cut short (`ifCut`, its own refusal).
 */
export class OddFirstRow extends CandleError {
  constructor(message: string, hint: string, readonly ifCut: CandleError) {
    super(message, hint);
  }
}

const COMMA_HINT = "write numbers with '.' as the decimal mark and no thousands separator (4036.3, not " +
  "4036,3; 42000.5, not 42,000.5), or quote a cell that holds a comma";

/**
 * A row after the first under a header with other cells than the rows about it (`width`, which the first row
 * set: `withFirstRow`), or null. More (cells holding something past the rows' width, or a row longer than the
 * header and the first row with a value past the six) is what an unquoted decimal comma or thousands separator
 * makes (`…,4036,3,54.9` for 4036.3): every cell after it is read as the next column's, so that close 4036 and
 * volume 3 were stored, exit 0. Fewer than six is refused before this; fewer than the header names is a row
 * leaving out empty cells of the columns after the six, as Excel writes them, and read. Rows all wider than
 * their header (the first one already) are read, their unnamed cells ignored (a Kraken export under six names),
 * each row then holding that many: a row fewer is a cell missing somewhere, or, at the header's own width, the
 * first row the shifted one. Empty cells after the last column (a trailing comma, a spreadsheet's) are no
 * values.
 */
export function widthProblem(
  record: readonly string[],
  width: RowWidth,
  where: string,
  line: number,
): CandleError | null {
  const filled = filledWidth(record);
  if (filled > width.cells || (record.length > width.usual && filled > 6)) {
    return new CandleError(
      `${where}: ${filled > width.cells ? filled : record.length} cells where ${width.of} ("${
        shownRow(record)
      }")`,
      `a decimal comma or thousands separator? ${COMMA_HINT}: each row holds one value per column`,
    );
  }
  if (!width.exact || record.length >= width.cells) return null;
  const unnamed = width.cells > width.named;
  const missing = new CandleError(
    `${where}: ${record.length} cells where ${width.of} ("${shownRow(record)}")`,
    "a cell missing? each row holds one value per column, in the header's order (an empty value is nothing " +
      "between two commas): fix or delete the row" +
      (unnamed
        ? "; unnamed columns after the six are ignored only when every row has them (name every column in " +
          "the header, and a row may leave out empty cells after the six)"
        : ""),
  );
  if (!unnamed || filled > width.named) return missing;
  const first = width.first!; // read before any later row (`withFirstRow`)
  const firstLine = first.where.slice(first.where.lastIndexOf(" line ") + 1);
  return new OddFirstRow(
    `${first.where}: ${first.cells} cells where the header names ${width.named} columns and line ${line} has ` +
      `${record.length} ("${first.shown}")`,
    `a decimal comma or thousands separator in ${firstLine}? ${COMMA_HINT}; if its cells after the sixth are ` +
      "columns of the file's, name every column in the header (unnamed ones are ignored only when every row " +
      "has them)",
    missing,
  );
}
