/**
 * `--source csv` over several files (one per symbol, as Binance's dumps and most exporters give them; or a
 * symbol's monthly files): the paths the user named expanded once at the boundary, then every file read and
 * checked before anything is merged, so one collect reads each file once and writes the output once, where a
 * run per file re-read and rewrote the whole growing output each time.
 */
import { readdirSync, readlinkSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import {
  assertValidSeries,
  type CandleSeries,
  emptySeries,
  inferGrid,
  type Interval,
  inTimeOrder,
  PRICE_COLUMNS,
  readOhlcvCsvLines,
} from "../../features/index.ts";
import { CommandError, filesystemProblem, UsageError } from "../errors.ts";
import { loopOrLongNameError } from "../flags.ts";
import {
  type Locate,
  locateIn,
  refuseOtherInterval,
  remarkNamedInterval,
  remarkReordered,
} from "./grid_checks.ts";
import { mergeSeries } from "./merge.ts";
import { type CsvFile, symbolFromFileName } from "./options.ts";
import { utc } from "./summary.ts";

const HINT = "point --csv-path at OHLCV CSVs: files, a folder of them, or a pattern such as 'data/*-1h.csv'";

/**
 * `--csv-path`'s values as the files to read, in the order given: each value a file, a folder (its `.csv`
 * files, by name), a pattern in its last part (`dl/*-1h.csv`, for a shell that left it unexpanded), or a
 * comma-separated list of those (as `--symbols` takes; a value naming an existing file is never split). The
 * same file named twice is read once. A value that names nothing is a usage error naming it.
 */
export function expandCsvPaths(value: string | readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (path: string) => {
    const key = resolve(path);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(path);
  };
  for (const token of typeof value === "string" ? [value] : value) {
    const parts = kindOf(token) === "missing" && token.includes(",")
      ? token.split(",").map((p) => p.trim()).filter((p) => p !== "")
      : [token];
    for (const part of parts) expandOne(part).forEach(add);
  }
  return out;
}

function kindOf(path: string): "file" | "folder" | "missing" {
  try {
    return statSync(path).isDirectory() ? "folder" : "file";
  } catch (error) {
    // A path this user may not reach (a folder of another user's) is there: "does not exist" misled, where
    // the error says "permission denied" and how to fix it (exit 1). Gone, a link loop, a file on the way: none.
    if (filesystemProblem(error)) throw error;
    return "missing";
  }
}

function expandOne(path: string): string[] {
  const kind = kindOf(path);
  if (kind === "file") return [path];
  if (kind === "folder") {
    const found = csvFilesIn(path, (entry) => !isHidden(entry));
    if (found.length === 0) {
      throw new UsageError(`--csv-path: ${path} is a folder with no .csv file in it`, HINT);
    }
    return found;
  }
  const name = basename(path);
  if (/[*?[]/.test(name) && kindOf(dirname(path)) === "folder") {
    const pattern = globPattern(name);
    // As a shell expands it: a hidden name only when the pattern itself starts with a dot.
    const hiddenToo = name.startsWith(".");
    const found = csvFilesIn(
      dirname(path),
      (entry) => (hiddenToo || !isHidden(entry)) && pattern.test(entry),
      false,
    );
    if (found.length === 0) throw new UsageError(`--csv-path: ${path} matches no file`, HINT);
    return found;
  }
  // A link loop or a name too long is no missing file (a docs seat: "does not exist" of a loop).
  throw loopOrLongNameError("--csv-path", path, HINT, "file") ??
    new UsageError(`--csv-path: ${path} does not exist`, HINT);
}

/**
 * The files in `folder` that `keep` takes, by name (a link to a file counts as one); `csvOnly`: those named
 * `.csv` (any case), so a dump's README or checksums beside them are not read as candles. A link to nothing
 * (its drive not mounted) is a usage error: left out, that symbol's candles went missing from the run unsaid.
 */
function csvFilesIn(folder: string, keep: (name: string) => boolean, csvOnly = true): string[] {
  const paths = readdirSync(folder)
    .filter((name) => (!csvOnly || /\.csv$/i.test(name)) && keep(name))
    .sort()
    .map((name) => join(folder, name));
  const dangling = paths.find((path) => kindOf(path) === "missing");
  if (dangling !== undefined) {
    throw new UsageError(
      `--csv-path: ${dangling} is a link to ${readlinkSync(dangling)}, which does not exist`,
      "mount or restore what it points at, or remove the link",
    );
  }
  return paths.filter((path) => kindOf(path) === "file");
}

/**
 * A hidden name (`._BTCUSDT-1h.csv`, the metadata macOS writes beside each file it copies to a USB or network
 * drive): no file of candles, and neither `ls` nor the shell's `*` lists it.
 */
const isHidden = (name: string) => name.startsWith(".");

/** A shell pattern's `*`, `?` and `[…]` as a RegExp over one file name. */
function globPattern(name: string): RegExp {
  let re = "";
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    const close = c === "[" ? name.indexOf("]", i + 1) : -1;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (close > i + 1) {
      const body = name.slice(i + 1, close);
      re += `[${body.startsWith("!") ? "^" + body.slice(1) : body}]`;
      i = close;
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/**
 * Every file read and checked as a single-file collect checks it (rows in time order, repeats dropped, each
 * candle valid, `--interval` against its step), then the files' steps compared (one training CSV holds one
 * interval) and a symbol's several files joined; a candle two files give differently is refused naming both
 * with their lines. One series per symbol, in the order the symbols first come (`series`), and where each
 * candle read is (`locate`: its file and line), for messages about candles found later.
 */
export async function readCsvFiles(
  files: readonly CsvFile[],
  interval: Interval | undefined,
  print: (line: string) => void,
): Promise<{ series: CandleSeries[]; locate: Locate }> {
  const bySymbol = new Map<string, Piece[]>();
  let firstStep: { path: string; label: string } | null = null;
  for (const file of files) {
    const { series, lineAt } = await readCsvFile(file, interval, print);
    // With --interval every file was checked against it (readCsvFile), which may accept a file whose most
    // common step is longer (1h candles, most of them 4h apart): compared by that step, it was refused here.
    const step = interval ? null : inferGrid(series.openTime);
    if (step && firstStep && step.label !== firstStep.label) {
      throw new CommandError(
        `${file.path} holds ${step.label} candles and ${firstStep.path} ${firstStep.label} ones: one training ` +
          "CSV holds one interval; nothing was written",
        "collect each interval into its own --output",
      );
    }
    if (step) firstStep ??= { path: file.path, label: step.label };
    const pieces = bySymbol.get(file.symbol) ?? [];
    pieces.push({ series, path: file.path, lineAt });
    bySymbol.set(file.symbol, pieces);
  }
  // The files' open times and row maps only: a symbol's joined files' candles are let go.
  const finders = new Map([...bySymbol].map(([symbol, pieces]) => [symbol, pieces.map((p) => p.lineAt)]));
  const locate: Locate = (symbol, t) => {
    for (const lineAt of finders.get(symbol) ?? []) {
      const line = lineAt(t);
      if (line !== null) return line;
    }
    return null;
  };
  return { series: [...bySymbol.values()].map(joinPieces), locate };
}

interface Piece {
  series: CandleSeries;
  path: string;
  /** "BTCUSDT-1h.csv line 12": the file's row of the candle opening at a time, or null where it has none. */
  lineAt: (t: number) => string | null;
}

/**
 * A symbol's files as one series. Monthly dumps do not overlap: put in time order, they are copied once into
 * one series (merging them one by one would copy the growing history once per file). Files that overlap are
 * merged pairwise, where a candle in both must be the same candle. The join holds the symbol's candles twice
 * for a moment (its files, then the one series); a symbol in one file is never copied.
 */
function joinPieces(pieces: Piece[]): CandleSeries {
  if (pieces.length === 1) return pieces[0].series;
  const timed = pieces.filter((p) => p.series.length > 0);
  const first = (p: Piece) => p.series.openTime[0];
  const last = (p: Piece) => p.series.openTime[p.series.length - 1];
  timed.sort((a, b) => first(a) - first(b));
  const disjoint = timed.every((p, k) =>
    !p.series.openTime.some(Number.isNaN) && (k === 0 || first(p) > last(timed[k - 1]))
  );
  if (timed.length === 0) return pieces[0].series;
  if (disjoint) return concat(timed.map((p) => p.series));
  let joined = timed[0];
  for (const [k, piece] of timed.slice(1).entries()) {
    const merged = mergeSeries(joined.series, piece.series);
    const c = merged.conflicts[0];
    if (c) {
      // Each side by its line: the other is in one of the files joined before this one.
      const earlier = timed.slice(0, k + 1).map((p) => p.lineAt(c.openTime)).find((line) => line !== null);
      throw new CommandError(
        `${piece.lineAt(c.openTime) ?? piece.path} and ${
          earlier ?? joined.path
        } hold different ${c.symbol} ` +
          `candles at ${utc(c.openTime)} UTC ` +
          `(${c.column} ${c.existing} → ${c.incoming}${
            merged.conflicts.length > 1 ? `, and ${merged.conflicts.length - 1} more` : ""
          }); nothing was written`,
        "leave one of them out of --csv-path",
      );
    }
    joined = { series: merged.series, path: `${joined.path}, ${piece.path}`, lineAt: joined.lineAt };
  }
  return joined.series;
}

/** Series in time order, none overlapping the next, as one. */
function concat(parts: readonly CandleSeries[]): CandleSeries {
  const out = emptySeries(parts[0].symbol, parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.openTime.set(part.openTime, at);
    for (const col of PRICE_COLUMNS) out[col].set(part[col], at);
    at += part.length;
  }
  return out;
}

/** One file, as a single-file collect has always read it, with where each of its candles is. */
async function readCsvFile(
  file: CsvFile,
  interval: Interval | undefined,
  print: (line: string) => void,
): Promise<Pick<Piece, "series" | "lineAt">> {
  const { series: read, lineOf: row } = await readOhlcvCsvLines(file.path, file.symbol);
  const ordered = inTimeOrder(read, row);
  const { series, source } = ordered;
  assertValidSeries(series, (i) => row(source[i]));
  remarkReordered(file.path, ordered, print);
  refuseOtherInterval(interval, [series], file.path);
  if (!interval) remarkNamedInterval(file.path, series, print);
  // Rows already in time order are their own map (none kept).
  return { series, lineAt: locateIn(series.openTime, ordered.series === read ? null : source, row) };
}

/** The files in messages: the one path, or "--csv-path (5 files)". */
export function describeCsvFiles(files: readonly CsvFile[]): string {
  return files.length === 1 ? files[0].path : `--csv-path (${files.length} files)`;
}

/**
 * Where each file's symbol came from, before the merge: from its name (one line), or `--symbol` over a name
 * that says another symbol: meant (a renamed pair) or a slip that files one pair's candles under another's
 * name. Into an existing history the conflict check catches it; into a new one only this line does.
 */
export function remarkSymbols(files: readonly CsvFile[], print: (line: string) => void): void {
  if (files.length > 1) {
    const symbols = [...new Set(files.map((f) => f.symbol))];
    print(`${files.length} files: each one's symbol taken from its name (${symbols.join(", ")})`);
    return;
  }
  const [file] = files;
  if (file.symbolFromFileName) {
    print(`${file.path}: symbol ${file.symbol} taken from the file name (--symbol overrides it)`);
    return;
  }
  const named = symbolFromFileName(file.path);
  if (named !== null && named !== file.symbol) {
    print(
      `warning: ${file.path} is named for ${named}, but its candles are collected as ${file.symbol} ` +
        "(--symbol); check that --symbol names the pair the file holds",
    );
  }
}
