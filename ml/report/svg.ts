/**
 * Inline SVG charts for report.html: line charts (training curves, equity), a confusion-matrix heatmap and a
 * reliability diagram. Plain strings, no library, no script: the report must open offline from one file.
 */

/** Distinct hues (no two blues or greens), so every series in a chart has its own colour. */
export const PALETTE = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#9333ea",
  "#ea580c",
  "#0891b2",
  "#ca8a04",
  "#db2777",
  "#4d7c0f",
  "#64748b",
];

/** A legend entry: a short line in the series' colour, dashed like the series when it is. */
function legendKey(name: string, color: string, dashed = false): string {
  return `<span class="key"><svg width="22" height="8" style="vertical-align:middle;margin-right:4px">` +
    `<line x1="0" x2="22" y1="4" y2="4" stroke="${color}" stroke-width="2.5"${
      dashed ? ' stroke-dasharray="5 3"' : ""
    }/></svg>${escapeXml(name)}</span>`;
}

/** `text` safe inside HTML or SVG text and attribute values: & < > " ' as entities. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

const fmt = (v: number) => Number(v.toFixed(2));

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
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
  readonly name: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly color?: string;
  readonly dashed?: boolean;
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
}

function dateTick(ms: number, span: number): string {
  const iso = new Date(ms).toISOString();
  return span > 400 * 86_400_000 ? iso.slice(0, 7) : iso.slice(0, 10);
}

/**
 * An inline SVG line chart of `series` on shared axes (non-finite points are left out); "no data" when
 * nothing is finite.
 */
export function lineChart(series: readonly LineSeries[], opts: LineChartOptions = {}): string {
  const width = opts.width ?? 640, height = opts.height ?? 300;
  const left = 64, right = 16, top = 16, bottom = 48;
  const xs = series.flatMap((s) => s.x.filter(Number.isFinite));
  const ys = series.flatMap((s) => s.y.filter(Number.isFinite));
  if (opts.yRule !== undefined) ys.push(opts.yRule);
  if (xs.length === 0 || ys.length === 0) {
    return `<svg width="${width}" height="60" role="img"><text x="8" y="30" ` +
      `class="muted">no data</text></svg>`;
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
    : niceTicks(x0, x1, Math.min(8, Math.max(1, Math.round(x1 - x0))));
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
  series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length];
    const points: string[] = [];
    for (let i = 0; i < s.x.length; i++) {
      if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i])) points.push(`${px(s.x[i])},${py(s.y[i])}`);
    }
    if (points.length === 1) {
      const [cx, cy] = points[0].split(",");
      parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`);
    } else if (points.length > 1) {
      parts.push(
        `<polyline fill="none" stroke="${color}" stroke-width="1.8"${
          s.dashed ? ' stroke-dasharray="5 4"' : ""
        } points="${points.join(" ")}"/>`,
      );
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
  const legend = series.map((s, k) => legendKey(s.name, s.color ?? PALETTE[k % PALETTE.length], s.dashed))
    .join("");
  return `<figure><svg viewBox="0 0 ${width} ${height}" width="${width}" ` +
    `height="${height}" role="img">${
      parts.join("")
    }</svg><figcaption style="max-width:${width}px">${legend}</figcaption></figure>`;
}

/** A heatmap of confusion[true][predicted] with counts and each row's share. */
export function confusionMatrix(matrix: readonly (readonly number[])[], classes: readonly string[]): string {
  const cell = 78, left = 96, top = 40, n = classes.length;
  const width = left + n * cell + 8, height = top + n * cell + 30;
  const parts: string[] = [];
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    parts.push(
      `<text x="${left - 8}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" class="label">${
        escapeXml(classes[i])
      }</text>`,
    );
    row.forEach((v, j) => {
      const share = total > 0 ? v / total : 0;
      const x = left + j * cell, y = top + i * cell;
      // Dark ink on every cell, the shade capped so that it reads at 5:1 or better: white ink from a share of
      // 56 % up had a contrast of 2.4:1 to 4.6:1 on this blue, below WCAG's 4.5:1 for small text.
      const fill = `rgba(37,99,235,${fmt(0.08 + 0.72 * share)})`;
      const ink = "#111";
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="${fill}"/>`,
        `<text x="${x + cell / 2}" y="${
          y + cell / 2 - 2
        }" text-anchor="middle" fill="${ink}" class="count">${v}</text>`,
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 15}" text-anchor="middle" fill="${ink}" class="tick">${
          (100 * share).toFixed(1)
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
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" ` +
    `height="${height}" role="img">${parts.join("")}</svg>`;
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

/** Accuracy against stated confidence per bin, zoomed to the data; the diagonal is perfect calibration. */
export function reliabilityDiagram(
  series: readonly { name: string; bins: readonly ReliabilityPoint[] }[],
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
  // A near-empty bin beyond the zoomed axes is drawn on the edge, where its position is not its value: it is
  // hollow and off the line (a 1-window bin at accuracy 1.00 drew a solid spike to the top, read as a value).
  const inside = (v: number) => v >= lo && v <= hi;
  let outside = 0;
  series.forEach((s, k) => {
    const color = PALETTE[k % PALETTE.length];
    const used = s.bins.filter((b) => b.count > 0);
    const total = used.reduce((a, b) => a + b.count, 0);
    const pts = used.map((b) => `${left + p(b.confidence)},${top + size - p(b.accuracy)}`);
    const onAxes = used.map((b) => inside(b.confidence) && inside(b.accuracy));
    const line = pts.filter((_, i) => onAxes[i]);
    if (line.length > 1) {
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${line.join(" ")}"/>`);
    }
    used.forEach((b, i) => {
      const [cx, cy] = pts[i].split(",");
      const r = fmt(2.5 + 6 * Math.sqrt(b.count / Math.max(total, 1)));
      if (!onAxes[i]) outside++;
      const fill = onAxes[i]
        ? `fill="${color}" fill-opacity="0.75"`
        : `fill="#fff" stroke="${color}" stroke-width="1.5"`;
      parts.push(
        `<circle cx="${cx}" cy="${cy}" r="${r}" ${fill}><title>${
          escapeXml(
            `${s.name}: ${b.count} windows, confidence ${b.confidence.toFixed(3)}, accuracy ${
              b.accuracy.toFixed(3)
            }`,
          )
        }</title></circle>`,
      );
    });
  });
  parts.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + size}" class="axis"/>`,
    `<line x1="${left}" x2="${left + size}" y1="${top + size}" y2="${top + size}" class="axis"/>`,
    `<text x="${left + size / 2}" y="${
      height - 6
    }" text-anchor="middle" class="label">stated confidence (top class)</text>`,
    `<text transform="translate(14 ${
      top + size / 2
    }) rotate(-90)" text-anchor="middle" class="label">observed accuracy</text>`,
  );
  const legend = series.map((s, k) => legendKey(s.name, PALETTE[k % PALETTE.length])).join("");
  const zoom = (lo > 0 || hi < 1 ? `; axes zoomed to ${lo}–${hi}, where the predictions are` : "") +
    (outside > 0
      ? `; hollow: ${
        outside === 1 ? "a bin" : `${outside} bins`
      } of few windows beyond the axes, drawn on the edge and off the line (hover for its values)`
      : "");
  return `<figure><svg viewBox="0 0 ${width} ${height}" width="${width}" ` +
    `height="${height}" role="img">${
      parts.join("")
    }</svg><figcaption style="max-width:${width}px">${legend} — dot area ∝ windows; ` +
    `the dashed diagonal is perfect calibration${zoom}</figcaption></figure>`;
}
