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
dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:0 0 16px}
dl.facts dt{color:#555}dl.facts dd{margin:0}
.verdict{background:#fff7e6;border:1px solid #f0c36d;border-radius:6px;padding:10px 14px;margin:12px 0}
.verdict p{margin:4px 0}
.warning{background:#fde8e8;border:2px solid #c81e1e;border-radius:6px;padding:10px 14px;margin:12px 0;color:#7f1d1d}
table{border-collapse:collapse;background:#fff;margin:6px 0 4px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:right;white-space:nowrap}
th{background:#f1f5f9;font-weight:600}
td:first-child,th:first-child,table.l2 td:nth-child(2),table.l2 th:nth-child(2){text-align:left}
tr.hl td{background:#eef4ff;font-weight:600}
.note{color:#555;font-size:13px;margin:2px 0 8px}
.scroll{overflow-x:auto;max-width:100%}
.figs{display:flex;flex-wrap:wrap;gap:18px}
.fig{background:#fff;border:1px solid #e5e5e5;border-radius:6px;padding:8px}
.fig h3{font-size:14px;margin:0 0 4px}
figure{margin:0}figcaption{font-size:12px;color:#444;margin-top:2px}
.key{margin-right:12px;white-space:nowrap}.key i{display:inline-block;width:12px;height:3px;margin:0 5px 3px 0;
vertical-align:middle}
svg text{font:11px system-ui,sans-serif;fill:#333}svg .label{font-size:12px}svg .count{font-size:15px;font-weight:600}
svg .grid{stroke:#eee}svg .axis{stroke:#999}svg .rule{stroke:#888;stroke-dasharray:4 4}
svg .muted{fill:#595959}
footer{margin-top:32px;color:#595959;font-size:12px}
.fig{max-width:100%}.fig svg[viewBox]{max-width:100%;height:auto}
@media (max-width:600px){body{padding:12px}}
/* Printed, a heading and its note kept together but not with the table below them: the bootstrap's title and
its "how to read it" ended a page, its rows began the next. */
@media print{body{padding:0;background:#fff;font-size:11px}.scroll{overflow:visible}
table{font-size:10px}th,td{white-space:normal;padding:2px 4px}h2,.note{break-after:avoid}.fig,tr{break-inside:avoid}}
`;

/** Numbers get a sensible fixed precision; NaN and null show as "–". */
export function formatCell(v: Cell): string {
  if (v === null) return "–";
  if (typeof v === "string") return escapeXml(v);
  if (!Number.isFinite(v)) return "–";
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
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
    const figs = s.figures.map((f) => `<div class="fig"><h3>${escapeXml(f.caption)}</h3>${f.html}</div>`)
      .join("");
    return `${title}${note}<div class="figs">${figs}</div>`;
  }
  const head = `<tr>${s.columns.map((c) => `<th>${escapeXml(c)}</th>`).join("")}</tr>`;
  const body = s.rows.map((row, i) =>
    `<tr${s.highlight?.includes(i) ? ' class="hl"' : ""}>${
      row.map((c) => `<td>${formatCell(c)}</td>`).join("")
    }</tr>`
  ).join("");
  // A second label column (per symbol's learner names) was right-aligned like the numbers beside it.
  const labels = (s.labelColumns ?? 1) >= 2 ? ' class="l2"' : "";
  return `${title}${note}<div class="scroll"><table${labels}><thead>${head}</thead><tbody>${body}</tbody></table></div>`;
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
