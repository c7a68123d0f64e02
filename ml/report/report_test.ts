import assert from "node:assert/strict";
import { join } from "node:path";
import { syntheticSummary } from "../../test/evaluation.ts";
import { evaluationReport, renderReport, trainingReport, writeReport } from "./index.ts";

const summary = await syntheticSummary();
const facts = [["data", "synthetic market (demo simulator)"], ["folds", "3 weekly"]] as const;

/** Nothing that a browser would fetch: the page must open offline from the file alone. */
function assertSelfContained(html: string): void {
  for (
    const needle of ["<script", " src=", "href=", "@import", "url(", "http:", "https:", "<link", "@font-face"]
  ) {
    assert.ok(!html.includes(needle), `report.html contains ${needle}`);
  }
}

Deno.test("the evaluation report has every section, self-contained", () => {
  const html = renderReport(evaluationReport(summary, facts));
  assertSelfContained(html);
  for (
    const title of [
      "All folds pooled",
      "Decision rule: argmax vs prior-corrected",
      "Per class (argmax)",
      "Confident calls",
      "Block bootstrap",
      "Per fold",
      "Confusion matrices",
      "Reliability diagram",
      "Reliability table",
      "Training curves",
      "Equity (start = 1)",
      "Backtest by threshold",
    ]
  ) assert.ok(html.includes(title), `missing section ${title}`);
  // 3 confusion matrices, a reliability diagram, 2 training-curve charts, the equity chart.
  assert.equal(html.match(/<svg /g)?.length, 7);
  assert.ok(html.includes(summary.verdict.lines[0]));
});

Deno.test("text is escaped, never interpreted", () => {
  const html = renderReport({ title: "<script>alert(1)</script>", facts: [["a&b", "<i>"]], sections: [] });
  assert.ok(!html.includes("<script>"));
  assert.ok(html.includes("&lt;script&gt;") && html.includes("a&amp;b"));
});

Deno.test("the training report shows curves, metrics beside baselines and the confusion matrix", () => {
  const fold = summary.folds[0];
  const html = renderReport(trainingReport({
    version: "v1_2026-11-24",
    modelType: "transformer_lstm",
    history: fold.fits.model!.history!,
    bestEpoch: 3,
    test: summary.overall.model.metrics,
    baselines: { majority: summary.overall.majority.metrics },
    reliability: summary.overall.model.reliability,
    temperature: 1.25,
  }));
  assertSelfContained(html);
  for (
    const title of ["Test split", "Per class", "loss per epoch", "Confusion matrix", "Reliability diagram"]
  ) {
    assert.ok(html.includes(title), `missing ${title}`);
  }
  assert.ok(html.includes("the model is ahead") || html.includes("the model does not beat it"));
});

function findChromium(): string | null {
  for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
    for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
      try {
        if (Deno.statSync(join(dir, name)).isFile) return join(dir, name);
      } catch {
        // not in this directory
      }
    }
  }
  return null;
}

const chromium = findChromium();
if (!chromium) {
  console.warn("skipping the report screenshot test: no chromium (Debian: apt-get install -y chromium)");
}

Deno.test({
  name: "report.html renders in headless Chromium (screenshot)",
  ignore: chromium === null,
  async fn() {
    // REPORT_SCREENSHOT_DIR keeps the page and its screenshot for a person to look at.
    const dir = Deno.env.get("REPORT_SCREENSHOT_DIR") ??
      await Deno.makeTempDir({ prefix: "candlecast-report-" });
    const page = join(dir, "report.html"), shot = join(dir, "report.png");
    await writeReport(page, evaluationReport(summary, facts));
    const run = await new Deno.Command(chromium!, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--window-size=1280,4400",
        `--screenshot=${shot}`,
        `file://${page}`,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(90_000),
    }).output();
    assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    const png = await Deno.readFile(shot);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], "not a PNG");
    const view = new DataView(png.buffer, png.byteOffset);
    assert.deepEqual([view.getUint32(16), view.getUint32(20)], [1280, 4400]);
    // A blank page compresses to a few kB; tables and charts do not.
    assert.ok(png.length > 100_000, `screenshot is only ${png.length} bytes`);
    if (!Deno.env.get("REPORT_SCREENSHOT_DIR")) await Deno.remove(dir, { recursive: true });
  },
});
