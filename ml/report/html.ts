/**
 * report.html: a title, a few facts, a verdict and a list of sections (tables, charts), rendered into one
 * self-contained page: inline CSS and SVG, no script, no external font or image, so it opens offline and can
 * be mailed or archived beside a checkpoint.
 */
import { writeFileAtomic } from "../../base/index.ts";
import type { Table } from "../evaluate/index.ts";
import { escapeXml } from "./svg.ts";

export type Cell = string | number | null;

export interface TableSection {
  readonly kind: "table";
  readonly title: string;
  readonly note?: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  /** Rows to emphasise (e.g. the model under evaluation), by index. */
  readonly highlight?: readonly number[];
  /** How many leading columns are labels, left-aligned as text (the first always is). */
  readonly labelColumns?: number;
}

/** Pre-rendered SVG/HTML from ./svg.ts (already escaped). */
export interface FigureSection {
  readonly kind: "figures";
  readonly title: string;
  readonly note?: string;
  readonly figures: readonly { readonly caption: string; readonly html: string }[];
}

export interface TextSection {
  readonly kind: "text";
  readonly title: string;
  readonly paragraphs: readonly string[];
}

export type Section = TableSection | FigureSection | TextSection;

export interface ReportData {
  readonly title: string;
  readonly subtitle?: string;
  readonly facts?: readonly (readonly [string, string])[];
  /** Plain-words conclusions shown in a box at the top. */
  readonly verdict?: readonly string[];
  /** Shown above everything else in red: what makes the numbers below unfit to act on. */
  readonly warning?: string;
  readonly sections: readonly Section[];
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111;
background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#555;margin:0 0 16px}
dl.facts{display:grid;grid-template-columns:fit-content(40%) minmax(0,1fr);gap:2px 16px;margin:0 0 16px}
dl.facts dt{color:#555}dl.facts dd{margin:0;min-width:0;overflow-wrap:anywhere}
.verdict{background:#fff7e6;border:1px solid #f0c36d;border-radius:6px;padding:10px 14px;margin:12px 0}
.verdict p{margin:4px 0}
.warning{background:#fde8e8;border:2px solid #c81e1e;border-radius:6px;padding:10px 14px;margin:12px 0;color:#7f1d1d}
table{border-collapse:collapse;margin:6px 0 4px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:right;white-space:nowrap}
thead th{background:#f1f5f9;font-weight:600}tbody th{font-weight:normal}
td:first-child,th:first-child,table.l2 td:nth-child(2),table.l2 th:nth-child(2){text-align:left}
tr.hl td,tr.hl th{background:#eef4ff;font-weight:600}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.note{color:#555;font-size:13px;margin:2px 0 8px}
/* A table or chart wider than the screen scrolls in its box: a shadow on the box's right edge says there is more
(gone once scrolled to the end: the white cover scrolls with the content and hides it), and a table's row labels
stay in view, the frozen column marked by a rule on its right. */
.scroll,.chart{overflow-x:auto;max-width:100%;background:linear-gradient(to left,#fff 40%,
rgba(255,255,255,0)) right/36px 100% no-repeat local,radial-gradient(farthest-side at 100% 50%,rgba(0,0,0,.3),
rgba(0,0,0,0)) right/14px 100% no-repeat scroll,#fff}.scroll{width:fit-content}
.scroll tbody th,.scroll thead th:first-child{position:sticky;left:0;z-index:1;background:#fff;
box-shadow:inset -2px 0 0 #cbd5e1}
.scroll thead th:first-child{background:#f1f5f9}.scroll tr.hl th{background:#eef4ff}
.figs{display:flex;flex-wrap:wrap;gap:18px}
.fig{background:#fff;border:1px solid #e5e5e5;border-radius:6px;padding:8px;min-width:0}
.fig h3{font-size:14px;margin:0 0 4px}
figure{margin:0}figcaption{font-size:12px;color:#444;margin-top:2px}
.key{margin-right:12px;display:inline-block}.key svg{vertical-align:middle;margin-right:4px}
details.data{margin-top:4px;font-size:12px}details.data summary{cursor:pointer;color:#1d4ed8}
svg text{font:11px system-ui,sans-serif;fill:#333}svg .label{font-size:12px}svg .count{font-size:15px;font-weight:600}
svg .grid{stroke:#eee}svg .axis{stroke:#999}svg .rule{stroke:#888;stroke-dasharray:4 4}
svg .muted{fill:#595959}
footer{margin-top:32px;color:#595959;font-size:12px}
.fig{max-width:100%}.fig svg[viewBox]{max-width:100%;height:auto}
/* A wide chart (equity, 900 wide) shrunk to a phone's 330 px had 4 px labels: below 640 px it scrolls in its box
instead. */
.chart svg.wide{min-width:640px}
/* On a phone a chart is drawn at about 70 % of its size: larger text in its own units keeps it about 10 px. */
@media (max-width:600px){body{padding:12px}svg text{font-size:14px}svg .label{font-size:14px}
.scroll tbody th{white-space:normal;overflow-wrap:break-word;min-width:5.5em}}
/* Printed, a heading and its note kept together but not with the table below them: the bootstrap's title and
its "how to read it" ended a page, its rows began the next. A figure stays whole with its title and legend; a
data table left closed is not printed as a lone "Data". */
@media print{body{padding:0;background:#fff;font-size:11px}.scroll{overflow:visible}
table{font-size:10px}th,td{white-space:normal;padding:2px 4px}h2,.note{break-after:avoid}.fig,tr{break-inside:avoid}
.scroll,.chart{width:auto;background:none}.scroll th{position:static;box-shadow:none}.chart svg.wide{min-width:0}
.fig h3{break-after:avoid}figure,.fig{break-inside:avoid}details.data:not([open]){display:none}}
`;

/**
 * Numbers get a sensible fixed precision; NaN and null show as "–". `decimals`, where given, is the column's
 * (`columnDecimals`), so that every number of a column prints alike.
 */
export function formatCell(v: Cell, decimals?: number): string {
  if (v === null) return "–";
  if (typeof v === "string") return escapeXml(v);
  if (!Number.isFinite(v)) return "–";
  const d = decimals ?? (Number.isInteger(v) ? 0 : Math.abs(v) >= 100 ? 1 : 4);
  return d === 0 ? v.toLocaleString("en-US") : v.toFixed(d);
}

/**
 * One number of decimals for a column: 0 where its numbers are all whole (counts), else 1 where one is 100 or
 * more, else 4. Chosen per cell, a recall or accuracy of exactly 0 or 1 printed "0" or "1", like a count, among
 * its column's "0.4512"s.
 */
export function columnDecimals(rows: readonly (readonly Cell[])[], column: number): number {
  const numbers = rows.map((r) => r[column]).filter((v): v is number =>
    typeof v === "number" && Number.isFinite(v)
  );
  if (numbers.every(Number.isInteger)) return 0;
  return numbers.some((v) => Math.abs(v) >= 100) ? 1 : 4;
}

/**
 * A table built once for the terminal and the page (`ml/evaluate/tables.ts`, train's test split) as a
 * section: its cells go in as formatted there, its notes become the paragraph above it.
 */
export function tableSection(t: Table<string>): TableSection {
  return {
    kind: "table",
    title: t.title,
    note: t.notes.length > 0 ? t.notes.join(" ") : undefined,
    columns: t.header,
    rows: t.rows,
    highlight: t.highlight,
    labelColumns: t.labelColumns,
  };
}

function renderSection(s: Section): string {
  const title = `<h2>${escapeXml(s.title)}</h2>`;
  if (s.kind === "text") return title + s.paragraphs.map((p) => `<p>${escapeXml(p)}</p>`).join("");
  const note = s.note ? `<p class="note">${escapeXml(s.note)}</p>` : "";
  if (s.kind === "figures") {
    // Its title a heading before it, for a screen reader too; the chart names and describes itself (svg.ts).
    const figs = s.figures.map((f) => `<div class="fig"><h3>${escapeXml(f.caption)}</h3>${f.html}</div>`)
      .join("");
    return `${title}${note}<div class="figs">${figs}</div>`;
  }
  // Headers scoped, each row's first cell its header and a caption naming the table: what a screen reader
  // reads out with every cell. The tables leave the top-left header blank over learner names (as the terminal
  // prints them): here it is named.
  const head = `<tr>${
    s.columns.map((c, j) => `<th scope="col">${escapeXml(j === 0 && c === "" ? "learner" : c)}</th>`).join("")
  }</tr>`;
  const decimals = s.columns.map((_, j) => columnDecimals(s.rows, j));
  const body = s.rows.map((row, i) =>
    `<tr${s.highlight?.includes(i) ? ' class="hl"' : ""}>${
      row.map((c, j) =>
        j === 0
          ? `<th scope="row">${formatCell(c, decimals[j])}</th>`
          : `<td>${formatCell(c, decimals[j])}</td>`
      ).join("")
    }</tr>`
  ).join("");
  // A second label column (per symbol's learner names) was right-aligned like the numbers beside it.
  const labels = (s.labelColumns ?? 1) >= 2 ? ' class="l2"' : "";
  return `${title}${note}<div class="scroll"><table${labels}><caption class="sr">${
    escapeXml(s.title)
  }</caption><thead>${head}</thead><tbody>${body}</tbody></table></div>`;
}

/**
 * The report as one self-contained HTML page (inline CSS, no scripts): text is escaped, figures go in as
 * built.
 */
export function renderReport(r: ReportData): string {
  const facts = r.facts && r.facts.length > 0
    ? `<dl class="facts">${
      r.facts.map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd>`).join("")
    }</dl>`
    : "";
  const verdict = r.verdict && r.verdict.length > 0
    ? `<div class="verdict">${r.verdict.map((line) => `<p>${escapeXml(line)}</p>`).join("")}</div>`
    : "";
  const warning = r.warning
    ? `<div class="warning"><strong>Warning:</strong> ${escapeXml(r.warning)}</div>`
    : "";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(r.title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeXml(r.title)}</h1>${r.subtitle ? `<p class="sub">${escapeXml(r.subtitle)}</p>` : ""}
${warning}${facts}${verdict}
${r.sections.map(renderSection).join("\n")}
<footer>Generated by candlecast on ${
    new Date().toISOString()
  }. Self-contained: no scripts, fonts or images are
loaded from anywhere.</footer>
</body></html>
`;
}

/** Renders and writes the report atomically (a reader never sees half a page). */
export async function writeReport(path: string, report: ReportData): Promise<void> {
  await writeFileAtomic(path, renderReport(report));
}
