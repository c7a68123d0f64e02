/** The evaluation as terminal text: `evaluationTables` laid out as aligned text, then the verdict. */
import type { EvaluationSummary } from "./summary_types.ts";
import { evaluationTables, type Table } from "./tables.ts";

type Row = readonly string[];

/** Left-aligns the first `labelColumns` columns (names), right-aligns the rest (numbers). */
export function textTable(header: Row, rows: readonly Row[], labelColumns = 1): string[] {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (r: Row) =>
    r.map((c, j) => (j < labelColumns ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ");
  return [line(header), ...rows.map(line)];
}

/** Notes are wrapped to this many characters: a terminal reads long prose badly, unlike a table row. */
const NOTE_WIDTH = 108;

/** Breaks `text` at spaces into lines of at most `width` characters (a longer word gets a line of its own). */
export function wrap(text: string, width = NOTE_WIDTH): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  return line === "" ? lines : [...lines, line];
}

/** One table as text: its title, the aligned table indented, its notes under it (a table reads first). */
export function formatTable(t: Table<string>): string[] {
  return [
    t.title,
    ...[...textTable(t.header, t.rows, t.labelColumns), ...t.notes.flatMap((n) => wrap(n))].map((l) =>
      "  " + l
    ),
  ];
}

/** The summary as the lines `evaluate` prints: every table of `evaluationTables`, then the verdict. */
export function formatSummary(s: EvaluationSummary): string[] {
  return [...evaluationTables(s).flatMap((t) => ["", ...formatTable(t)]), "", ...s.verdict.lines];
}
