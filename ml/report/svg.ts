/**
 * Inline SVG charts for report.html: line charts (training curves, equity), a confusion-matrix heatmap and a
 * reliability diagram. Plain strings, no library, no script: the report must open offline from one file.
 */

/**
 * Distinct hues (no two blues or greens), so every series in a chart has its own colour, each at 3:1 or more
 * on white (WCAG's minimum for lines and marks). Colour alone does not tell series apart for a colour-blind
 * reader or on a greyscale printout: every series also gets its own marker shape (MARKERS) or dash pattern.
 */
export const PALETTE = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#9333ea",
  "#ea580c",
  "#0891b2",
  "#a16207",
  "#db2777",
  "#4d7c0f",
  "#64748b",
];

/** Marker shapes, the cue that survives greyscale and colour blindness: series k gets MARKERS[k]. */
export const MARKERS = ["circle", "square", "triangle", "diamond", "triangle-down", "star"] as const;
export type Marker = (typeof MARKERS)[number] | "none";

/** Dash patterns for series told apart by their line (the reliability diagram): the first, solid, is the model's. */
export const DASHES = ["", "7 3", "2 2", "9 3 2 3", "4 4", "1 3"] as const;

/** Corners per shape, the rotation of the first (degrees) and a scale that gives about the area of the circle. */
const SHAPES: Record<Exclude<Marker, "circle" | "none">, readonly [number, number, number]> = {
  square: [4, 45, 1.25],
  triangle: [3, -90, 1.55],
  diamond: [4, 0, 1.35],
  "triangle-down": [3, 90, 1.55],
  star: [10, -90, 1.6],
};

/** A marker of `shape` centred on (x, y), about as large as a circle of radius r; `paint`: its attributes. */
function markerSvg(shape: Marker, x: number, y: number, r: number, paint: string, inner = ""): string {
  if (shape === "none") return "";
  if (shape === "circle") {
    return `<circle cx="${fmt(x)}" cy="${fmt(y)}" r="${fmt(r)}" ${paint}>${inner}</circle>`;
  }
  const [n, rotation, scale] = SHAPES[shape];
  const points = Array.from({ length: n }, (_, i) => {
    const a = ((rotation + (360 * i) / n) * Math.PI) / 180;
    const radius = r * scale * (shape === "star" && i % 2 === 1 ? 0.45 : 1);
    return `${fmt(x + radius * Math.cos(a))},${fmt(y + radius * Math.sin(a))}`;
  });
  return `<polygon points="${points.join(" ")}" ${paint}>${inner}</polygon>`;
}

/** How a series is drawn: what its legend key repeats, so the key matches the line in greyscale too. */
interface SeriesStyle {
  readonly color: string;
  readonly dash: string;
  readonly marker: Marker;
  readonly width: number;
}

/** A legend entry: a short line drawn as the series is (colour, dash, width) with its marker on it. */
function legendKey(name: string, style: SeriesStyle): string {
  return `<span class="key"><svg width="30" height="12" aria-hidden="true">` +
    `<line x1="0" x2="30" y1="6" y2="6" stroke="${style.color}" stroke-width="${style.width}"${
      style.dash ? ` stroke-dasharray="${style.dash}"` : ""
    }/>${markerSvg(style.marker, 15, 6, 3.5, `fill="${style.color}"`)}</svg>${escapeXml(name)}</span>`;
}

/**
 * A chart's numbers as a table, collapsed under it: the text a screen reader reads (an SVG is one image to it)
 * and a reader who wants the exact values. The first cell of each row labels it.
 */
export function dataDetails(
  caption: string,
  columns: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const head = columns.map((c) => `<th scope="col">${escapeXml(c)}</th>`).join("");
  const body = rows.map(([label, ...cells]) =>
    `<tr><th scope="row">${escapeXml(label)}</th>${
      cells.map((c) => `<td>${escapeXml(c)}</td>`).join("")
    }</tr>`
  ).join("");
  return `<details class="data"><summary>Data</summary><div class="scroll"><table><caption class="sr">${
    escapeXml(caption)
  }</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div></details>`;
}

/** An SVG chart's opening tag with its accessible name (`<title>`) and description (`<desc>`). */
function svgOpen(width: number, height: number, title: string, desc: string, cls = ""): string {
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"${
    cls ? ` class="${cls}"` : ""
  } role="img"><title>${escapeXml(title)}</title><desc>${escapeXml(desc)}</desc>`;
}

/** A value in a data table: four decimals (one from 100 up), "–" when missing. */
const dataNumber = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(Math.abs(v) >= 100 ? 1 : 4);

/** `text` safe inside HTML or SVG text and attribute values: & < > " ' as entities. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

const fmt = (v: number) => Number(v.toFixed(2));

/**
 * About `count` round tick values covering [lo, hi]; `integer`: whole steps only (an epoch axis had ticks at
 * 2.5, 7.5, 12.5, epochs that do not exist).
 */
export function niceTicks(lo: number, hi: number, count = 5, integer = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag)
    .find((s) => s >= raw && (!integer || Number.isInteger(s))) ?? 1;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

/**
 * Tick labels with one number of decimals, the fewest that write every tick exactly: ticks 0.0025 apart on a
 * log-loss axis printed to four significant digits read "1.05, 1.052, 1.055, 1.058, 1.06" for 1.0500 … 1.0600
 * (values off by half a step's fifth, and steps that looked uneven).
 */
export function tickLabels(ticks: readonly number[]): string[] {
  let digits = 0;
  while (
    digits < 8 && ticks.some((t) => Math.abs(Number(t.toFixed(digits)) - t) > 1e-9 * Math.max(1, Math.abs(t)))
  ) {
    digits++;
  }
  return ticks.map((t) => t.toFixed(digits));
}

export interface LineSeries {
  /** Its label in the legend and its row or column in the data table. */
  readonly name: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly color?: string;
  readonly dashed?: boolean;
  /** A stroke-dasharray of its own (e.g. "2 3", dotted), over `dashed`'s. */
  readonly dash?: string;
  /** The shape on its points; by default series k gets MARKERS[k], so no two share one (up to six). */
  readonly marker?: Marker;
  /** The series the chart is about (the model's): a thicker line. */
  readonly emphasis?: boolean;
  /**
   * Its legend entry's text when not its name: series with the same `legend` share one entry (an ensemble's
   * members drawn alike); the data table still names each.
   */
  readonly legend?: string;
}

export interface LineChartOptions {
  readonly width?: number;
  readonly height?: number;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Format x ticks as UTC dates (x in ms). */
  readonly xDates?: boolean;
  /** Tick labels; by default `tickLabels`, exact and with one number of decimals. */
  readonly yFormat?: (v: number) => string;
  /** Reference line (e.g. 1.0 for equity). */
  readonly yRule?: number;
  /** The chart's accessible name; by default "yLabel per xLabel". */
  readonly title?: string;
}

function dateTick(ms: number, span: number): string {
  const iso = new Date(ms).toISOString();
  return span > 400 * 86_400_000 ? iso.slice(0, 7) : iso.slice(0, 10);
}

/** Charts wider than this get a minimum width on small screens (scrolling in their box) instead of shrinking. */
const WIDE = 600;

/** Longer series carry markers at about this many points (each series' set offset from the others'). */
const MARKED_POINTS = 8;

/**
 * Line values as a table: one row per series and a column per x where there are few x (epochs); else one row
 * per x, at most 13 evenly spaced ones (equity over thousands of candles), and a column per series.
 */
function lineData(series: readonly LineSeries[], opts: LineChartOptions, title: string): string {
  const xs = [...new Set(series.flatMap((s) => s.x.filter(Number.isFinite)))].sort((a, b) => a - b);
  const xText = (x: number) =>
    opts.xDates ? new Date(x).toISOString().slice(0, 16).replace("T", " ") : String(x);
  const at = (s: LineSeries, x: number) => dataNumber(s.y[s.x.indexOf(x)]);
  const xName = opts.xLabel ?? (opts.xDates ? "time (UTC)" : "x");
  if (xs.length <= 12) {
    return dataDetails(
      `${title}: values`,
      ["line", ...xs.map((x) => `${xName} ${xText(x)}`)],
      series.map((s) => [s.name, ...xs.map((x) => at(s, x))]),
    );
  }
  const picked = [
    ...new Set(Array.from({ length: 13 }, (_, i) => xs[Math.round((i * (xs.length - 1)) / 12)])),
  ];
  return dataDetails(
    `${title}: values at ${picked.length} of ${xs.length} points`,
    [xName, ...series.map((s) => s.name)],
    picked.map((x) => [xText(x), ...series.map((s) => at(s, x))]),
  );
}

/**
 * An inline SVG line chart of `series` on shared axes (non-finite points are left out), its legend and its values
 * as a collapsed table; "no data" when nothing is finite.
 */
export function lineChart(series: readonly LineSeries[], opts: LineChartOptions = {}): string {
  const width = opts.width ?? 640, height = opts.height ?? 300;
  const left = 64, right = 16, top = 16, bottom = 48;
  const title = opts.title ??
    (opts.yLabel ? `${opts.yLabel}${opts.xLabel ? ` per ${opts.xLabel}` : ""}` : "line chart");
  const xs = series.flatMap((s) => s.x.filter(Number.isFinite));
  const ys = series.flatMap((s) => s.y.filter(Number.isFinite));
  if (opts.yRule !== undefined) ys.push(opts.yRule);
  if (xs.length === 0 || ys.length === 0) {
    return `<svg width="${width}" height="60" role="img" aria-label="${escapeXml(title)}: no data">` +
      `<text x="8" y="30" class="muted">no data</text></svg>`;
  }
  const x0 = xs.reduce((a, b) => Math.min(a, b));
  let x1 = xs.reduce((a, b) => Math.max(a, b));
  let y0 = ys.reduce((a, b) => Math.min(a, b)), y1 = ys.reduce((a, b) => Math.max(a, b));
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) [y0, y1] = [y0 - 0.5 * Math.abs(y0 || 1), y1 + 0.5 * Math.abs(y1 || 1)];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const px = (x: number) => fmt(left + ((x - x0) / (x1 - x0)) * (width - left - right));
  const py = (y: number) => fmt(top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom));
  const yTicks = niceTicks(y0, y1);
  const yLabels = opts.yFormat ? yTicks.map(opts.yFormat) : tickLabels(yTicks);
  const parts: string[] = [];
  yTicks.forEach((t, i) => {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${py(t)}" y2="${py(t)}" class="grid"/>`);
    parts.push(
      `<text x="${left - 6}" y="${py(t) + 4}" text-anchor="end" class="tick">${escapeXml(yLabels[i])}</text>`,
    );
  });
  const xTicks = opts.xDates
    ? niceTicks(x0, x1, 5).length > 1 ? Array.from({ length: 5 }, (_, i) => x0 + ((x1 - x0) * i) / 4) : [x0]
    : niceTicks(x0, x1, Math.min(8, Math.max(1, Math.round(x1 - x0))), xs.every(Number.isInteger));
  xTicks.forEach((t, i) => {
    const label = opts.xDates ? dateTick(t, x1 - x0) : String(t);
    // Date labels are wide: the outermost ones hang inwards so they are not cut at the chart's edges.
    const anchor = opts.xDates && i === 0
      ? "start"
      : opts.xDates && i === xTicks.length - 1
      ? "end"
      : "middle";
    parts.push(
      `<text x="${px(t)}" y="${height - bottom + 16}" text-anchor="${anchor}" class="tick">${label}</text>`,
    );
  });
  if (opts.yRule !== undefined) {
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${py(opts.yRule)}" y2="${py(opts.yRule)}" class="rule"/>`,
    );
  }
  const styles: SeriesStyle[] = series.map((s, k) => ({
    color: s.color ?? PALETTE[k % PALETTE.length],
    dash: s.dash ?? (s.dashed ? "5 4" : ""),
    marker: s.marker ?? MARKERS[k % MARKERS.length],
    width: s.emphasis ? 2.6 : 1.6,
  }));
  series.forEach((s, k) => {
    const { color, dash, marker, width: stroke } = styles[k];
    const points: [number, number][] = [];
    for (let i = 0; i < s.x.length; i++) {
      if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i])) points.push([px(s.x[i]), py(s.y[i])]);
    }
    if (points.length > 1) {
      parts.push(
        `<polyline fill="none" stroke="${color}" stroke-width="${stroke}"${
          dash ? ` stroke-dasharray="${dash}"` : ""
        } points="${points.map((p) => p.join(",")).join(" ")}"/>`,
      );
    }
    // Every point of a short series (epochs); on a long one (equity) a few, staggered between series so that
    // lines lying on one another still show each one's shape.
    const gap = (points.length - 1) / MARKED_POINTS;
    const marked = points.length <= 3 * MARKED_POINTS ? points : Array.from(
      { length: MARKED_POINTS },
      (_, i) => points[Math.round((i + (k + 0.5) / (series.length + 1)) * gap)],
    );
    const paint = `fill="${color}" stroke="#fff" stroke-width="0.8"`;
    for (const [x, y] of marked) {
      parts.push(markerSvg(points.length === 1 ? "circle" : marker, x, y, 3.2, paint));
    }
  });
  parts.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}" class="axis"/>`,
    `<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" class="axis"/>`,
  );
  if (opts.xLabel) {
    parts.push(
      `<text x="${(left + width - right) / 2}" y="${height - 6}" text-anchor="middle" class="label">${
        escapeXml(opts.xLabel)
      }</text>`,
    );
  }
  if (opts.yLabel) {
    parts.push(
      `<text transform="translate(14 ${
        (top + height - bottom) / 2
      }) rotate(-90)" text-anchor="middle" class="label">${escapeXml(opts.yLabel)}</text>`,
    );
  }
  const keys = new Map<string, string>();
  series.forEach((s, k) => {
    const text = s.legend ?? s.name;
    if (!keys.has(text)) keys.set(text, legendKey(text, styles[k]));
  });
  const xRange = opts.xDates
    ? `${dateTick(x0, x1 - x0)} to ${dateTick(x1, x1 - x0)}`
    : `${tickLabels([x0])[0]} to ${tickLabels([x1])[0]}`;
  const desc =
    `${series.length === 1 ? "One line" : `${series.length} lines`}, ${opts.xLabel ?? "x"} ${xRange}, ` +
    `${opts.yLabel ?? "y"} ${yLabels[0]} to ${yLabels.at(-1)}; the values are in the Data table below.`;
  const wide = width > WIDE ? "wide" : "";
  return `<figure><div class="chart">${svgOpen(width, height, title, desc, wide)}${
    parts.join("")
  }</svg></div><figcaption style="max-width:${width}px">${[...keys.values()].join("")}</figcaption>${
    lineData(series, opts, title)
  }</figure>`;
}

/**
 * A heatmap of confusion[true][predicted] with counts and each row's share, said so under it (a cell's percentage
 * is of its true class's windows, not of all of them), and the counts as a table.
 */
export function confusionMatrix(
  matrix: readonly (readonly number[])[],
  classes: readonly string[],
  /** Whose matrix, for its accessible name (e.g. "transformer_lstm (argmax)"). */
  name?: string,
): string {
  const cell = 78, left = 96, top = 40, n = classes.length;
  const width = left + n * cell + 8, height = top + n * cell + 30;
  const parts: string[] = [];
  const share = (row: readonly number[], v: number) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total > 0 ? v / total : 0;
  };
  matrix.forEach((row, i) => {
    parts.push(
      `<text x="${left - 8}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" class="label">${
        escapeXml(classes[i])
      }</text>`,
    );
    row.forEach((v, j) => {
      const x = left + j * cell, y = top + i * cell;
      // Dark ink on every cell, the shade capped so that it reads at 5:1 or better: white ink from a share of
      // 56 % up had a contrast of 2.4:1 to 4.6:1 on this blue, below WCAG's 4.5:1 for small text.
      const fill = `rgba(37,99,235,${fmt(0.08 + 0.72 * share(row, v))})`;
      const ink = "#111";
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="${fill}"/>`,
        `<text x="${x + cell / 2}" y="${
          y + cell / 2 - 2
        }" text-anchor="middle" fill="${ink}" class="count">${v}</text>`,
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 15}" text-anchor="middle" fill="${ink}" class="tick">${
          (100 * share(row, v)).toFixed(1)
        }%</text>`,
      );
    });
  });
  classes.forEach((c, j) =>
    parts.push(
      `<text x="${left + j * cell + cell / 2}" y="${top - 8}" text-anchor="middle" class="label">${
        escapeXml(c)
      }</text>`,
    )
  );
  parts.push(
    `<text x="${left + (n * cell) / 2}" y="14" text-anchor="middle" class="label">predicted</text>`,
    `<text x="${left - 8}" y="${top + n * cell + 20}" text-anchor="end" class="label">true ↓</text>`,
  );
  const title = `Confusion matrix${name ? ` of ${name}` : ""}: true class by row, predicted class by column`;
  const data = dataDetails(
    "Confusion matrix: windows by true class (rows) and predicted class (columns), with their share of the row",
    ["true class", ...classes.map((c) => `predicted ${c}`)],
    matrix.map((row, i) => [
      classes[i],
      ...row.map((v) => `${v.toLocaleString("en-US")} (${(100 * share(row, v)).toFixed(1)} %)`),
    ]),
  );
  return `<figure>${
    svgOpen(
      width,
      height,
      title,
      "Counts of windows with their share of the row; the values are in the Data table below.",
    )
  }${parts.join("")}</svg><figcaption style="max-width:${width}px">Each cell: windows, and their share of ` +
    `its row's true class (each row adds up to 100 %).</figcaption>${data}</figure>`;
}

export interface ReliabilityPoint {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  readonly confidence: number;
  readonly accuracy: number;
}

/**
 * The square [lo, hi]² a reliability diagram shows: where its points are (confidence and accuracy), padded and
 * rounded to 0.05, at least 0.2 wide, inside [0, 1]. Calibrated 3-class models state 0.35–0.6; on 0–1 those
 * points would crowd one corner.
 */
export function reliabilityRange(points: readonly ReliabilityPoint[]): [number, number] {
  // Bins with a handful of windows (a 2-window bin at accuracy 0) would stretch the axes back to 0–1; they
  // are drawn clamped to the edge instead.
  const total = points.reduce((n, b) => n + b.count, 0);
  const used = points.filter((b) => b.count > 0 && b.count >= 0.005 * total);
  if (used.length === 0) return [0, 1];
  const values = used.flatMap((b) => [b.confidence, b.accuracy, b.lower, b.upper]).filter(Number.isFinite);
  let lo = Math.max(0, Math.floor((Math.min(...values) - 0.02) * 20) / 20);
  let hi = Math.min(1, Math.ceil((Math.max(...values) + 0.02) * 20) / 20);
  if (hi - lo < 0.2) {
    const mid = (lo + hi) / 2;
    [lo, hi] = [Math.max(0, mid - 0.1), Math.min(1, mid + 0.1)];
  }
  return [Number(lo.toFixed(2)), Number(hi.toFixed(2))];
}

/**
 * Accuracy against stated confidence per bin, zoomed to the data; the diagonal is perfect calibration. Each
 * learner has its own colour, marker shape and dash (the first, the model, solid, thicker and drawn on top), so
 * that greyscale or a colour-blind eye still tells them apart; the bins are listed in a table beneath.
 */
export function reliabilityDiagram(
  series: readonly { name: string; bins: readonly ReliabilityPoint[] }[],
  /** What the bins' x is: the top class's probability, or the served confidence under the prior rule. */
  xLabel = "stated confidence (top class)",
): string {
  const size = 300, left = 56, top = 16, bottom = 44, right = 16;
  const width = left + size + right, height = top + size + bottom;
  const [lo, hi] = reliabilityRange(series.flatMap((s) => s.bins));
  const p = (v: number) => fmt(((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * size);
  const parts: string[] = [];
  const ticks = niceTicks(lo, hi, 5), labels = tickLabels(ticks);
  ticks.forEach((t, i) => {
    parts.push(
      `<line x1="${left}" x2="${left + size}" y1="${top + size - p(t)}" y2="${
        top + size - p(t)
      }" class="grid"/>`,
      `<text x="${left - 6}" y="${top + size - p(t) + 4}" text-anchor="end" class="tick">${labels[i]}</text>`,
      `<text x="${left + p(t)}" y="${top + size + 16}" text-anchor="middle" class="tick">${labels[i]}</text>`,
    );
  });
  parts.push(`<line x1="${left}" y1="${top + size}" x2="${left + size}" y2="${top}" class="rule"/>`);
  const styles: SeriesStyle[] = series.map((_, k) => ({
    color: PALETTE[k % PALETTE.length],
    dash: DASHES[k % DASHES.length],
    marker: MARKERS[k % MARKERS.length],
    width: k === 0 ? 2.6 : 1.5,
  }));
  // A near-empty bin beyond the zoomed axes is drawn on the edge, where its position is not its value: it is
  // hollow and off the line (a 1-window bin at accuracy 1.00 drew a solid spike to the top, read as a value).
  const inside = (v: number) => v >= lo && v <= hi;
  let outside = 0;
  const lines: string[] = [], marks: { r: number; k: number; svg: string }[] = [];
  series.forEach((s, k) => {
    const { color, dash, marker, width: stroke } = styles[k];
    const used = s.bins.filter((b) => b.count > 0);
    const total = used.reduce((a, b) => a + b.count, 0);
    const pts = used.map((b) => [left + p(b.confidence), top + size - p(b.accuracy)]);
    const onAxes = used.map((b) => inside(b.confidence) && inside(b.accuracy));
    const line = pts.filter((_, i) => onAxes[i]);
    if (line.length > 1) {
      lines.push(
        `<polyline fill="none" stroke="${color}" stroke-width="${stroke}"${
          dash ? ` stroke-dasharray="${dash}"` : ""
        } points="${line.map((q) => q.join(",")).join(" ")}"/>`,
      );
    }
    used.forEach((b, i) => {
      const r = fmt(2.5 + 6 * Math.sqrt(b.count / Math.max(total, 1)));
      if (!onAxes[i]) outside++;
      // Half-transparent with a solid outline: a mark under another's still shows its edge.
      const paint = onAxes[i]
        ? `fill="${color}" fill-opacity="0.45" stroke="${color}" stroke-width="1.2"`
        : `fill="#fff" stroke="${color}" stroke-width="1.5"`;
      const tip = `${s.name}: ${b.count} windows, confidence ${b.confidence.toFixed(3)}, accuracy ${
        b.accuracy.toFixed(3)
      }`;
      marks.push({
        r,
        k,
        svg: markerSvg(marker, pts[i][0], pts[i][1], r, paint, `<title>${escapeXml(tip)}</title>`),
      });
    });
  });
  // The model's line and marks last, on top; the other marks large before small, so that a learner whose one
  // bin holds every window (persistence) is not painted over by the others' smaller ones.
  lines.reverse();
  marks.sort((a, b) => (a.k === 0 ? 1 : 0) - (b.k === 0 ? 1 : 0) || b.r - a.r);
  parts.push(...lines, ...marks.map((m) => m.svg));
  parts.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + size}" class="axis"/>`,
    `<line x1="${left}" x2="${left + size}" y1="${top + size}" y2="${top + size}" class="axis"/>`,
    `<text x="${left + size / 2}" y="${height - 6}" text-anchor="middle" class="label">${
      escapeXml(xLabel)
    }</text>`,
    `<text transform="translate(14 ${
      top + size / 2
    }) rotate(-90)" text-anchor="middle" class="label">observed accuracy</text>`,
  );
  const legend = series.map((s, k) => legendKey(s.name, styles[k])).join("");
  const zoom = (lo > 0 || hi < 1 ? `; axes zoomed to ${lo}–${hi}, where the predictions are` : "") +
    (outside > 0
      ? `; hollow: ${
        outside === 1 ? "a bin" : `${outside} bins`
      } of few windows beyond the axes, drawn on the edge and off the line (values in the Data table)`
      : "");
  const title = `Reliability diagram: observed accuracy against stated confidence, ${
    series.map((s) => s.name).join(", ")
  }`;
  const data = dataDetails(
    "Reliability bins per learner",
    ["learner", "bin", "windows", "mean confidence", "accuracy"],
    series.flatMap((s) =>
      s.bins.filter((b) => b.count > 0).map((b) => [
        s.name,
        `${b.lower.toFixed(2)} – ${b.upper.toFixed(2)}`,
        b.count.toLocaleString("en-US"),
        b.confidence.toFixed(4),
        b.accuracy.toFixed(4),
      ])
    ),
  );
  return `<figure><div class="chart">${
    svgOpen(
      width,
      height,
      title,
      `Axes ${lo} to ${hi}; the diagonal is perfect calibration; the bins are in the Data table below.`,
    )
  }${parts.join("")}</svg></div><figcaption style="max-width:${width}px">${legend} — mark area ∝ windows; ` +
    `the grey dashed diagonal is perfect calibration${zoom}</figcaption>${data}</figure>`;
}
