/**
 * report.html for the readers a reviewer found it failed (session 53): a colour-blind reader or a greyscale
 * printout (series told apart by colour alone), a screen-reader user (charts with no name and no numbers), a
 * phone at 375 px (a page scrolling sideways, 4 px chart labels), and table semantics.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { syntheticSummary } from "../../test/evaluation.ts";
import type { EvaluationSummary } from "../evaluate/index.ts";
import {
  confusionMatrix,
  escapeXml,
  evaluationReport,
  lineChart,
  niceTicks,
  PALETTE,
  reliabilityDiagram,
  renderReport,
} from "./index.ts";

const summary = await syntheticSummary();

/** Every chart's SVG (role="img"), whole. */
const charts = (html: string) =>
  [...html.matchAll(/<svg [^>]*role="img"[^>]*>.*?<\/svg>/gs)].map((m) => m[0]);

/** A mark's shape: "circle", or a polygon's corner count and the direction of its first corner from its centre. */
function shapeOf(tag: string): string {
  if (tag.startsWith("<circle")) return "circle";
  const points = tag.match(/points="([^"]*)"/)![1].split(" ").map((p) => p.split(",").map(Number));
  const [cx, cy] = [0, 1].map((i) => points.reduce((a, p) => a + p[i], 0) / points.length);
  const angle = Math.round((Math.atan2(points[0][1] - cy, points[0][0] - cx) * 180) / Math.PI / 5) * 5;
  return `${points.length} corners at ${angle}°`;
}

/** A chart's marks' shapes by fill colour (hollow marks left out). */
function marks(svg: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [tag] of svg.matchAll(/<(?:circle|polygon) [^>]*>/g)) {
    const fill = tag.match(/fill="([^"]+)"/)?.[1] ?? "";
    if (fill !== "#fff") out.set(fill, (out.get(fill) ?? new Set()).add(shapeOf(tag)));
  }
  return out;
}

/** A chart's lines as [colour, dash pattern ("" when solid), stroke width]. */
const polylines = (svg: string) =>
  [...svg.matchAll(/<polyline [^>]*>/g)].map((m) =>
    [
      m[0].match(/stroke="([^"]+)"/)![1],
      m[0].match(/stroke-dasharray="([^"]+)"/)?.[1] ?? "",
      Number(m[0].match(/stroke-width="([^"]+)"/)![1]),
    ] as const
  );

/** The legend's keys (the figcaption's small SVGs), each whole. */
const legendKeys = (html: string) => [...html.matchAll(/<span class="key">(.*?)<\/span>/gs)].map((m) => m[1]);

/** WCAG's contrast of an sRGB "#rrggbb" against white. */
function contrastOnWhite(hex: string): number {
  const lin = (c: number) => (c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  const [r, g, b] = [1, 3, 5].map((i) => lin(parseInt(hex.slice(i, i + 2), 16)));
  return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05);
}

const bin = (confidence: number, accuracy: number, count: number) => ({
  lower: Math.floor(confidence * 10) / 10,
  upper: Math.floor(confidence * 10) / 10 + 0.1,
  count,
  confidence,
  accuracy,
});

Deno.test("reliability diagram: each learner has its own dash and marker shape, the legend the same, the model on top", () => {
  // The trial's five learners: under deuteranopia the model (blue) and gradient boosting (purple) looked alike,
  // and persistence's one dot (every window in one bin) lay hidden under the others'.
  const learners = [
    { name: "transformer_lstm", bins: [bin(0.37, 0.35, 2627), bin(0.45, 0.44, 4554), bin(0.54, 0.51, 2368)] },
    { name: "persistence", bins: [bin(0.46, 0.45, 10840)] },
    {
      name: "logistic_regression",
      bins: [bin(0.38, 0.38, 497), bin(0.45, 0.44, 9356), bin(0.53, 0.52, 951)],
    },
    {
      name: "gradient_boosting",
      bins: [bin(0.37, 0.37, 2460), bin(0.45, 0.44, 5272), bin(0.54, 0.53, 2431)],
    },
    { name: "lightweight_lstm", bins: [bin(0.38, 0.34, 1847), bin(0.45, 0.43, 4631), bin(0.54, 0.5, 2981)] },
  ];
  const html = reliabilityDiagram(learners);
  const [svg] = charts(html);
  const lines = polylines(svg);
  assert.equal(lines.length, 4, "persistence has one bin: no line");
  assert.equal(new Set(lines.map(([, dash]) => dash)).size, 4, `dashes: ${JSON.stringify(lines)}`);
  const shapes = marks(svg);
  assert.equal(shapes.size, 5);
  const perLearner = [...shapes.values()].map((s) => [...s].join());
  assert.equal(new Set(perLearner).size, 5, `marker shapes: ${perLearner}`);
  // The legend draws each learner's key with its line's dash and its marker.
  const keys = legendKeys(html);
  assert.equal(keys.length, 5);
  learners.forEach((l, k) => {
    const colour = PALETTE[k];
    const line = lines.find(([c]) => c === colour);
    if (line) assert.equal(keys[k].match(/stroke-dasharray="([^"]+)"/)?.[1] ?? "", line[1], l.name);
    const [key] = [...marks(keys[k]).values()];
    assert.deepEqual(key, shapes.get(colour), `${l.name}'s key has another marker`);
  });
  // The model: the thickest line, drawn after every other line and mark; persistence's one large mark is drawn
  // before the others' smaller ones, not over them... and not under them.
  assert.equal(lines.at(-1)![0], PALETTE[0]);
  assert.ok(lines.slice(0, -1).every(([, , w]) => w < lines.at(-1)![2]));
  const order = [...svg.matchAll(/<(?:circle|polygon) [^>]*fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
  assert.equal(order.indexOf(PALETTE[0]), order.length - learners[0].bins.length, "model marks not last");
  assert.equal(order[0], PALETTE[1], "persistence's large mark is not drawn first");
});

Deno.test("line charts: every series has its own marker shape by default, and its legend key shows it", () => {
  // Three lines in one colour, none dashed: before, nothing told them apart.
  const html = lineChart(
    ["a", "b", "c"].map((name, k) => ({ name, x: [1, 2, 3], y: [k, k + 1, k], color: "#2563eb" })),
    { xLabel: "epoch", yLabel: "loss" },
  );
  const [svg] = charts(html);
  const shapes = [...svg.matchAll(/<(?:circle|polygon) [^>]*>/g)].map((m) => shapeOf(m[0]));
  assert.equal(shapes.length, 9, "a marker on each point");
  assert.equal(new Set(shapes).size, 3);
  const keys = legendKeys(html).map((k) => shapeOf(k.match(/<(?:circle|polygon)[^>]*>/)?.[0] ?? "<circle"));
  assert.equal(new Set(keys).size, 3, `legend keys alike: ${keys}`);
});

Deno.test("the equity chart: three line styles, the model's thickest, buy-and-hold dark enough for a line", () => {
  const html = renderReport(evaluationReport(summary, []));
  const equity = charts(html).find((s) => s.includes('viewBox="0 0 900 320"'))!;
  const lines = polylines(equity);
  assert.equal(lines.length, 3);
  assert.equal(new Set(lines.map(([, dash]) => dash)).size, 3, JSON.stringify(lines));
  // Before: #94a3b8, 2.6:1 on white, below WCAG's 3:1 for the parts of a chart one must see.
  for (const [colour] of lines) {
    assert.ok(contrastOnWhite(colour) >= 3, `${colour}: ${contrastOnWhite(colour).toFixed(2)}:1`);
  }
  for (const colour of PALETTE) {
    assert.ok(contrastOnWhite(colour) >= 3, `palette ${colour}: ${contrastOnWhite(colour).toFixed(2)}:1`);
  }
  const model = lines.find(([c]) => c === PALETTE[0])!;
  assert.ok(lines.every((l) => l === model || l[2] < model[2]), "the model's line is not the most prominent");
});

/** The synthetic evaluation with each fold's model trained as an ensemble of `members`. */
function ensembleSummary(members: number): EvaluationSummary {
  return {
    ...summary,
    folds: summary.folds.map((f) => {
      const one = f.fits[summary.model]!.history!;
      const history = Array.from(
        { length: members },
        (_, m) => one.map((e) => ({ ...e, member: m + 1, val_loss: e.val_loss + 0.01 * m })),
      )
        .flat();
      return { ...f, fits: { ...f.fits, [summary.model]: { ...f.fits[summary.model]!, history } } };
    }),
  };
}

Deno.test("evaluate's training curves: one line per ensemble member, never jumping back to epoch 1", () => {
  const html = renderReport(evaluationReport(ensembleSummary(3), []));
  const section = html.slice(html.indexOf("<h2>Training curves</h2>"));
  const curves = charts(section.slice(0, section.indexOf("<h2>", 5)));
  assert.ok(curves.length >= 2);
  const folds = summary.folds.length;
  for (const svg of curves.slice(0, 2)) {
    const lines = [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) =>
      m[1].split(" ").map((p) => Number(p.split(",")[0]))
    );
    // Before: one line a fold and split, its x running 1…4, 1…4, 1…4.
    assert.equal(lines.length, folds * 3 * 2);
    for (const xs of lines) assert.ok(xs.every((x, i) => i === 0 || x > xs[i - 1]), `zigzag: ${xs}`);
  }
  const first = summary.folds[0].label;
  assert.ok(html.includes(escapeXml(`${first} validation, members 1–3`)), "the legend names no members");
  assert.ok(html.includes(`<th scope="row">${escapeXml(`${first} validation, member 2`)}</th>`));
  // Folds differ by marker shape as well as colour: each fold's legend keys share one shape, no two folds one.
  const figure = section.slice(0, section.indexOf("</figure>"));
  const shapes = new Map<string, string>();
  for (const key of legendKeys(figure)) {
    const fold = key.match(/<\/svg>(\S+) /)![1];
    shapes.set(fold, shapeOf(key.match(/<(?:circle|polygon)[^>]*>/)?.[0] ?? "<circle"));
  }
  assert.equal(shapes.size, folds);
  assert.equal(new Set(shapes.values()).size, folds, [...shapes.values()].join(" | "));
});

Deno.test("every chart has an accessible name and description, and its numbers as a table", () => {
  const html = renderReport(evaluationReport(summary, []));
  const svgs = charts(html);
  assert.equal(svgs.length, 7);
  for (const svg of svgs) {
    // Before: <svg role="img"> and nothing else, so a screen reader announced "image".
    assert.match(svg, /^<svg [^>]*role="img"[^>]*><title>[^<]{8,}<\/title><desc>[^<]{8,}<\/desc>/);
  }
  // A table of its numbers after each chart, collapsed; hovering is no longer the only way to read a value.
  assert.equal(html.match(/<details class="data"><summary>Data<\/summary>/g)?.length, 7);
  assert.doesNotMatch(html, /hover/i);
  // The reliability diagram's bins, learner by learner.
  for (const name of [summary.model, ...summary.baselines].filter((n) => n !== "majority")) {
    for (const b of summary.overall[name].reliability.filter((b) => b.count > 0)) {
      assert.ok(
        html.includes(
          `<tr><th scope="row">${escapeXml(name)}</th><td>${b.lower.toFixed(2)} – ${
            b.upper.toFixed(2)
          }</td>` +
            `<td>${b.count.toLocaleString("en-US")}</td><td>${b.confidence.toFixed(4)}</td>`,
        ),
        `${name}'s bin ${b.lower} missing`,
      );
    }
  }
  // The confusion matrix's counts with their row shares.
  const matrix = confusionMatrix([[6, 683, 15], [1, 1273, 21], [0, 791, 22]], ["DOWN", "SIDEWAYS", "UP"]);
  assert.match(matrix, /<tr><th scope="row">SIDEWAYS<\/th><td>1 \(0\.1 %\)<\/td><td>1,273 \(98\.3 %\)<\/td>/);
  // Equity over every candle: a readable number of sampled rows, first and last included.
  const equity = html.slice(html.indexOf("Equity (start = 1)"));
  const table = equity.slice(equity.indexOf("<details"), equity.indexOf("</details>"));
  const rows = table.match(/<tr><th scope="row">/g)?.length ?? 0;
  assert.ok(rows >= 5 && rows <= 13, `${rows} rows`);
  const times = summary.backtest.curves.model.times;
  const at = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
  assert.ok(table.includes(at(times[0])) && table.includes(at(times.at(-1)!)));
});

Deno.test("tables: scoped column headers, each row's label its header, a caption, a named top-left header", () => {
  const html = renderReport(evaluationReport(summary, []));
  const tables = [...html.matchAll(/<table[^>]*>(.*?)<\/table>/gs)].map((m) => m[1]);
  assert.ok(tables.length > 10);
  for (const t of tables) {
    assert.match(t, /^<caption[^>]*>[^<]+<\/caption><thead>/);
    assert.doesNotMatch(t, /<th>/, "a header without scope");
    assert.doesNotMatch(t, /<th scope="col"><\/th>/, "an empty header");
    const body = t.slice(t.indexOf("<tbody>"));
    const rows = [...body.matchAll(/<tr[^>]*>(.*?)<\/tr>/g)].map((m) => m[1]);
    for (const row of rows) assert.match(row, /^<th scope="row">/);
  }
  // The pooled scores' learner column, blank as the terminal prints it, is named on the page.
  assert.ok(html.includes(
    `<caption class="sr">Scores on all 3 folds pooled</caption><thead><tr>` +
      `<th scope="col">learner</th>`,
  ));
});

Deno.test("integer axes get integer ticks: epochs 1 to 20 read 2, 4, 6 …, not 2.5, 5, 7.5", () => {
  assert.ok(niceTicks(1, 20, 8, true).every(Number.isInteger), String(niceTicks(1, 20, 8, true)));
  assert.deepEqual(niceTicks(1, 4, 3, true), [1, 2, 3, 4]);
  const epochs = Array.from({ length: 20 }, (_, i) => i + 1);
  const svg = lineChart([{ name: "v", x: epochs, y: epochs.map((e) => 1 / e) }], { xLabel: "epoch" });
  const ticks = [...svg.matchAll(/text-anchor="middle" class="tick">([^<]*)</g)].map((m) => m[1]);
  assert.ok(ticks.length >= 4 && ticks.every((t) => /^\d+$/.test(t)), ticks.join(", "));
  // Fractional axes keep their fractional steps.
  assert.deepEqual(niceTicks(0, 1, 4), [0, 0.25, 0.5, 0.75, 1]);
});

Deno.test("a table column's numbers print alike: 0 and 1 among fractions read 0.0000 and 1.0000", () => {
  // train's "Per class" table: majority's recall and F1 of a class it never names are exactly 0, and printed
  // "0" (as a count) under "0.4512"s.
  const html = renderReport({
    title: "t",
    sections: [{
      kind: "table",
      title: "Per class",
      columns: ["learner", "recall", "windows"],
      rows: [["model", 0.4512, 1200], ["majority", 0, 3], ["oracle", 1, 12]],
    }],
  });
  assert.ok(html.includes("<td>0.0000</td><td>3</td>"), "0 among fractions");
  assert.ok(html.includes("<td>1.0000</td><td>12</td>"), "1 among fractions");
  assert.ok(html.includes("<td>0.4512</td><td>1,200</td>"), "counts stay counts");
});

Deno.test("the confusion matrix says its percentages are shares of the true class's row", () => {
  const html = confusionMatrix([[1, 3], [2, 2]], ["DOWN", "UP"]);
  const outside = html.replace(/<svg.*<\/svg>/s, "");
  assert.match(outside, /share of its row(&#39;|')s true class \(each row adds up to 100 %\)/);
});

Deno.test("phone layout: facts wrap, wide tables and charts scroll in their box with a cue, row labels stay", () => {
  const html = renderReport(evaluationReport(summary, [["data", "/a/" + "x".repeat(200) + ".csv"]]));
  const css = html.slice(html.indexOf("<style>"), html.indexOf("</style>"));
  // Before: max-content auto, so a path without a break point made the whole page scroll sideways.
  assert.match(css, /dl\.facts\{[^}]*grid-template-columns:[^;}]*minmax\(0,1fr\)/);
  assert.match(css, /dl\.facts dd\{[^}]*overflow-wrap:anywhere/);
  // A shadow that scrolls with the content: only where there is more to see.
  assert.match(css, /\.scroll,\.chart\{overflow-x:auto;[^}]*no-repeat local/);
  assert.match(css, /\.scroll tbody th,\.scroll thead th:first-child\{position:sticky;left:0/);
  // The 900-wide equity chart keeps a readable size and scrolls instead of shrinking to 4 px labels.
  assert.match(css, /\.chart svg\.wide\{min-width:\d+px\}/);
  assert.match(html, /<div class="chart"><svg viewBox="0 0 900 320" width="900" height="320" class="wide"/);
  const print = html.match(/@media print\{(.*?\})\}/s)?.[1] ?? "";
  // Printed: a figure kept whole with its title and legend.
  assert.match(print, /figure,\.fig\{break-inside:avoid\}/);
  assert.match(print, /\.fig h3\{break-after:avoid\}/);
});

function findChromium(): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
      try {
        if (Deno.statSync(join(dir, name)).isFile) return join(dir, name);
      } catch {
        // not here
      }
    }
  }
  return null;
}
const chromium = findChromium();

Deno.test({
  name: "at 375 px the page does not scroll sideways (headless Chromium measures it)",
  ignore: chromium === null,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-layout-" });
    try {
      const long = "/work/exp/" + "a_directory_name_without_any_break_point_".repeat(4) + "report.html";
      await Deno.writeTextFile(
        join(dir, "report.html"),
        renderReport(evaluationReport(summary, [["out", long]])),
      );
      // The report has no script; this harness frames it at a phone's width and reads its width back.
      await Deno.writeTextFile(
        join(dir, "measure.html"),
        `<!DOCTYPE html><iframe id="f" src="report.html" style="border:0;width:375px;height:700px"></iframe>` +
          `<pre id="w">pending</pre><script>f.onload = () => { w.textContent = "width=" + ` +
          `f.contentDocument.documentElement.scrollWidth; };</script>`,
      );
      const run = await new Deno.Command(chromium!, {
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          `--user-data-dir=${join(dir, "profile")}`,
          "--allow-file-access-from-files",
          "--virtual-time-budget=5000",
          "--dump-dom",
          `file://${join(dir, "measure.html")}`,
        ],
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(90_000),
      }).output();
      const width = Number(new TextDecoder().decode(run.stdout).match(/width=(\d+)/)?.[1]);
      // Before: 885 px, the facts' long path pushing the page wide.
      assert.ok(width > 0 && width <= 375, `page ${width} px wide at 375`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
