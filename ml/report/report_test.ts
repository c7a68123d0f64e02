import assert from "node:assert/strict";
import { join } from "node:path";
import { syntheticSummary } from "../../test/evaluation.ts";
import { evaluationTables, PRECISION_NOTE, SCORES_NOTE } from "../evaluate/index.ts";
import {
  escapeXml,
  evaluationReport,
  logLossVerdict,
  reliabilityDiagram,
  reliabilityRange,
  renderReport,
  testDecisions,
  testSplitTable,
  trainingFacts,
  trainingReport,
  writeReport,
} from "./index.ts";

const summary = await syntheticSummary();
const facts = [["data", "synthetic market (demo simulator)"], ["folds", "3 weekly"]] as const;

/** A table's header row as the page writes it: scoped, a blank top-left header named for the learners. */
const headHtml = (header: readonly string[]) =>
  header.map((h, j) => `<th scope="col">${escapeXml(j === 0 && h === "" ? "learner" : h)}</th>`).join("");

/** A table row's cells as the page writes them: the first is the row's header. */
const rowHtml = (row: readonly string[]) =>
  row.map((c, j) => j === 0 ? `<th scope="row">${escapeXml(c)}</th>` : `<td>${escapeXml(c)}</td>`).join("");

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
      "Scores on all 3 folds pooled",
      "Decision rule: argmax vs prior-corrected",
      "Per class (argmax)",
      "Confident calls",
      "Return head: the predicted return (expected_return) against the realised one",
      "Block bootstrap",
      "Per fold",
      "Confusion matrices",
      "Reliability diagram",
      "Reliability table",
      "Training curves",
      "Equity (start = 1)",
      "Backtest by threshold",
      "Per symbol",
      "Trades per learner",
      "prior rule",
    ]
  ) assert.ok(html.includes(title), `missing section ${title}`);
  // 3 confusion matrices, a reliability diagram, 2 training-curve charts, the equity chart.
  assert.equal(html.match(/<svg [^>]*role="img"/g)?.length, 7);
  assert.ok(html.includes(summary.verdict.lines[0]));
});

Deno.test("the evaluation report shows every table the terminal shows, cell for cell", () => {
  const html = renderReport(evaluationReport(summary, facts));
  for (const t of evaluationTables(summary)) {
    assert.ok(html.includes(`<h2>${escapeXml(t.title)}</h2>`), `missing table ${t.title}`);
    const head = headHtml(t.header);
    assert.ok(html.includes(head), `${t.id}: header differs`);
    for (const row of t.rows) {
      const cells = rowHtml(row);
      assert.ok(html.includes(cells), `${t.id}: row ${row.join(" | ")} differs`);
    }
    for (const note of t.notes) assert.ok(html.includes(escapeXml(note)), `${t.id}: missing note`);
  }
});

Deno.test("text is escaped, never interpreted", () => {
  const html = renderReport({ title: "<script>alert(1)</script>", facts: [["a&b", "<i>"]], sections: [] });
  assert.ok(!html.includes("<script>"));
  assert.ok(html.includes("&lt;script&gt;") && html.includes("a&amp;b"));
});

/** Test logits for n windows: `bias` added to every row (e.g. a model that always says SIDEWAYS). */
function logitsFor(labels: Int8Array, bias: readonly number[], signal: number): Float32Array {
  const out = new Float32Array(labels.length * 3);
  labels.forEach((y, i) => {
    for (let k = 0; k < 3; k++) {
      out[i * 3 + k] = bias[k] + (k === y ? signal : 0) + 0.3 * Math.sin(i * (k + 1));
    }
  });
  return out;
}

const LABELS = Int8Array.from({ length: 600 }, (_, i) => [1, 1, 0, 2, 1][i % 5]);

function trainingHtml(decisions: ReturnType<typeof testDecisions>, baselineLogLoss = 1.2): string {
  const fold = summary.folds[0];
  const test = summary.overall.model.metrics;
  return renderReport(trainingReport({
    version: "v1_2026-11-24",
    modelType: "transformer_lstm",
    history: fold.fits.model!.history!,
    bestEpoch: 3,
    test,
    baselines: {
      majority: { ...summary.overall.majority.metrics, log_loss: baselineLogLoss },
      logistic_regression: {
        ...summary.overall.majority.metrics,
        macro_f1: 0.3,
        log_loss: baselineLogLoss + 0.01,
      },
    },
    decisions,
    temperature: 1.25,
    facts: trainingFacts(MANIFEST),
  }));
}

const MANIFEST = {
  parent: null,
  candlecast_version: "test",
  model_type: "transformer_lstm",
  model_class: "TransformerLSTMModel",
  data: {
    path: "data/training_data.csv",
    start: "2020-01-01T00:00:00.000Z",
    end: "2023-12-31T23:00:00.000Z",
    end_ms: 0,
    interval: "1h",
    symbols: {},
    windows: { train: 1000, validation: 200, test: 200 },
    skipped_missing_indicators: 0,
    label_spans_gap: 0,
    split: null,
    since: null,
  },
  symbols: ["BTCUSDT", "ETHUSDT"],
  interval: "1h",
  hyperparameters: { model: { dModel: 64, heads: 4 }, lookback: 50, horizon: 4 },
  backend: "wasm",
  device: "cpu",
  training: { epochs_run: 7, best_epoch: 3, stop_reason: "early_stopping", seconds: 754 },
};

Deno.test("the training report: facts, both decision rules, labelled curves, zoomed reliability", () => {
  const d = testDecisions(logitsFor(LABELS, [0, 0.5, 0], 0.6), LABELS, 1, "prior", [0.2, 0.6, 0.2]);
  const html = trainingHtml(d);
  assertSelfContained(html);
  for (
    const text of [
      "Test split",
      "Decision rules side by side",
      "prior (served)",
      "training objective per epoch",
      "weighted CE + MSE terms",
      "validation log-loss per epoch",
      "Confusion matrix, prior rule (served)",
      "Reliability diagram",
      // The served confidence's own bins, behind its ECE (before: only the top class's were drawn).
      "Reliability diagram, served confidence (prior rule)",
      // Its x axis says what it bins (before: "stated confidence (top class)", a quant's trial).
      "served confidence (class the prior rule names)",
      "BTCUSDT, ETHUSDT (2 symbols)",
      "2020-01-01 00:00 … 2023-12-31 23:00 UTC",
      "12.6 min, 7 epochs (early stopping)",
      "wasm (cpu)",
      "dModel 64, heads 4",
      "axes zoomed to",
    ]
  ) assert.ok(html.includes(escapeXml(text)), `missing ${text}`);
});

Deno.test("the training report's test-split table is the one train prints, cell for cell", () => {
  const d = testDecisions(logitsFor(LABELS, [0, 0.5, 0], 0.6), LABELS, 1, "prior", [0.2, 0.6, 0.2]);
  const html = trainingHtml(d);
  const t = testSplitTable([["transformer_lstm", summary.overall.model.metrics]], "prior");
  assert.ok(html.includes(headHtml(t.header)), "header differs");
  assert.ok(html.includes(rowHtml(t.rows[0])), "model row differs");
  for (const note of t.notes) assert.ok(html.includes(escapeXml(note)), `missing note ${note}`);
});

Deno.test("report.html's per-fold table notes gradient boosting's kept iterations, and why 0 scores as majority", () => {
  const none = {
    ...summary,
    folds: summary.folds.map((f) => ({
      ...f,
      fits: { ...f.fits, gradient_boosting: { ...f.fits.gradient_boosting!, iterations: 0 } },
    })),
  };
  const html = renderReport(evaluationReport(none, facts));
  assert.ok(
    html.includes(
      escapeXml(
        `gradient_boosting's iterations kept by early stopping: ${
          summary.folds.map((f) => `${f.label} 0`).join(", ")
        }; where 0, no tree improved the validation log-loss, so it gives the training class shares, as ` +
          "majority does.",
      ),
    ),
  );
});

Deno.test("the training report notes gradient boosting's kept iterations under the test table, when recorded", () => {
  const input = (boostingIterations?: number) => ({
    version: "v1",
    modelType: "m",
    history: [],
    bestEpoch: 1,
    test: summary.overall.model.metrics,
    baselines: {
      majority: summary.overall.majority.metrics,
      gradient_boosting: summary.overall.gradient_boosting.metrics,
    },
    boostingIterations,
  });
  assert.ok(renderReport(trainingReport(input(37))).includes("gradient_boosting: 37 iterations kept"));
  // 0: scores exactly as majority, which the note says is not a bug (train prints the same line).
  assert.ok(
    renderReport(trainingReport(input(0))).includes(
      escapeXml(
        "gradient_boosting: 0 iterations kept (no tree improved the validation log-loss, so it gives the " +
          "training class shares, as majority does)",
      ),
    ),
  );
  // A version from before metrics.json recorded the count: nothing.
  assert.doesNotMatch(renderReport(trainingReport(input())), /iterations? kept/);
});

Deno.test("the training verdict: a model that names one class is not ahead, whatever its log-loss", () => {
  // Always SIDEWAYS under argmax: the better log-loss alone must not make it "ahead".
  const sideways = testDecisions(logitsFor(LABELS, [-3, 3, -3], 0.2), LABELS, 1, "argmax", [0.2, 0.6, 0.2]);
  assert.equal(sideways.served.predicted_share.SIDEWAYS, 1);
  const html = trainingHtml(sideways, 5);
  assert.match(html, /Not ahead on this split: its decision is nearly always one class \(100 %\)/);
  assert.doesNotMatch(html, /ahead of every baseline/);
  // A model that spreads its calls, classifies well and has the lower log-loss is ahead.
  const good = testDecisions(logitsFor(LABELS, [0, 0, 0], 3), LABELS, 1, "argmax", [0.2, 0.6, 0.2]);
  const fine = renderReport(trainingReport({
    version: "v2",
    modelType: "m",
    history: [],
    bestEpoch: 1,
    test: { ...summary.overall.model.metrics, log_loss: 0.5 },
    baselines: { majority: { ...summary.overall.majority.metrics, log_loss: 1, macro_f1: 0.2 } },
    decisions: good,
  }));
  assert.match(fine, /ahead of every baseline on both counts/);
});

Deno.test("an ensemble's report: each member's epochs and best epoch, one curve per member", () => {
  const one = fold0History();
  const history = [1, 2].flatMap((member) => one.map((e) => ({ ...e, member })));
  const html = renderReport(trainingReport({
    version: "v3",
    modelType: "transformer_lstm",
    history,
    bestEpoch: 2,
    bestEpochs: [3, 2],
    test: summary.overall.model.metrics,
    baselines: { majority: summary.overall.majority.metrics },
    facts: trainingFacts({
      ...MANIFEST,
      training: {
        epochs_run: 2 * one.length,
        member_epochs: [one.length, one.length],
        seconds: 60,
        stop_reason: "epochs",
      },
    }),
  }));
  assert.ok(html.includes(`2 members trained ${one.length} / ${one.length} epochs (every epoch run)`));
  assert.ok(!html.includes(`${2 * one.length} epochs`), "the members' epochs are not added up");
  assert.ok(html.includes("Each member keeps the weights of its own best epoch (3 / 2)"));
  assert.ok(html.includes("validation macro-F1, member 2"));
});

Deno.test("the training report says when a stop cut a member's last epoch short, as the CLI's stop line does", () => {
  const duration = (training: Parameters<typeof trainingFacts>[0]["training"]) =>
    new Map(trainingFacts({ ...MANIFEST, training })).get("duration");
  // Before: "3 members trained 4 / 4 / 4 epochs" of a run stopped a few batches into member 3's 4th.
  assert.equal(
    duration({ member_epochs: [4, 4, 4], cut_short: [3], seconds: 60, stop_reason: "interrupted" }),
    "1.0 min, 3 members trained 4 / 4 / 4 (the last cut short) epochs (interrupted)",
  );
  assert.equal(
    duration({ epochs_run: 3, cut_short: [1], seconds: 60, stop_reason: "interrupted" }),
    "1.0 min, 3 epochs (the last cut short) (interrupted)",
  );
  // Versions written before the field existed, and runs stopped between epochs, read as they did.
  assert.equal(
    duration({ member_epochs: [4, 4, 4], seconds: 60, stop_reason: "interrupted" }),
    "1.0 min, 3 members trained 4 / 4 / 4 epochs (interrupted)",
  );
});

Deno.test("the training report names the cores a version trained on, and a resume, beside its backend", () => {
  // The weights depend on --workers up to float rounding: without it a rerun on another machine differed
  // with nothing in the report to say why.
  const facts = new Map(trainingFacts({ ...MANIFEST, training: { ...MANIFEST.training, workers: 2 } }));
  assert.equal(facts.get("backend"), "wasm (cpu), 2 cores (--workers), candlecast test");
  const resumed = new Map(
    trainingFacts({ ...MANIFEST, training: { ...MANIFEST.training, workers: 1, resumed: true } }),
  );
  assert.equal(
    resumed.get("backend"),
    "wasm (cpu), 1 core (--workers), finished by train --resume, candlecast test",
  );
  // Versions written before the field existed read as they did.
  assert.equal(new Map(trainingFacts(MANIFEST)).get("backend"), "wasm (cpu), candlecast test");
  // The kernels and the Deno a rerun must match (a researcher could not tell them from the files).
  const runtime = { deno: "2.9.6", backend: "wasm (cpu); matrix products: native kernels (AVX2 + FMA)" };
  assert.equal(
    new Map(trainingFacts({ ...MANIFEST, runtime, training: { ...MANIFEST.training, workers: 2 } })).get(
      "backend",
    ),
    "wasm (cpu); matrix products: native kernels (AVX2 + FMA), 2 cores (--workers), Deno 2.9.6, candlecast test",
  );
});

function fold0History() {
  return summary.folds[0].fits.model!.history!;
}

Deno.test("the training verdict compares decisions under one rule, never the served rule with argmax", () => {
  // Served under the prior rule: it spreads calls and lifts macro-F1 for any learner, so the model's prior-rule
  // F1 must face the baselines' prior-rule F1 (or argmax face argmax), not their argmax F1.
  const d = testDecisions(logitsFor(LABELS, [0, 0.9, 0], 0.6), LABELS, 1, "prior", [0.2, 0.6, 0.2]);
  const between = (d.argmax.macro_f1 + d.served.macro_f1) / 2;
  assert.ok(d.served.macro_f1 > d.argmax.macro_f1 + 0.01, "the fixture must lift F1 under the prior rule");
  const base = { ...summary.overall.majority.metrics, log_loss: 1, macro_f1: between };
  const input = {
    version: "v2",
    modelType: "m",
    history: [],
    bestEpoch: 1,
    test: { ...summary.overall.model.metrics, log_loss: 0.5, macro_f1: d.argmax.macro_f1 },
    baselines: { logistic_regression: base },
    decisions: d,
  };
  // Without the baselines' served scores: argmax against argmax, and the baseline classifies better.
  assert.match(
    renderReport(trainingReport(input)),
    /Not ahead on this split: logistic_regression classifies/,
  );
  // The baselines under the prior rule too: the model's lifted F1 against theirs, lifted as well.
  const lifted = renderReport(trainingReport({
    ...input,
    baselinesServed: { logistic_regression: { accuracy: 0.5, macro_f1: d.served.macro_f1 + 0.01 } },
  }));
  assert.match(lifted, /Under the prior rule for every learner/);
  assert.match(lifted, /logistic_regression classifies better/);
  const behind = renderReport(trainingReport({
    ...input,
    baselinesServed: { logistic_regression: { accuracy: 0.5, macro_f1: d.served.macro_f1 - 0.01 } },
  }));
  assert.match(behind, /ahead of every baseline on both counts/);
});

Deno.test("reliability axes zoom to where the windows are, ignoring near-empty bins", () => {
  const bin = (c: number, a: number, count: number) => ({
    lower: c - 0.05,
    upper: c + 0.05,
    count,
    confidence: c,
    accuracy: a,
  });
  assert.deepEqual(reliabilityRange([bin(0.4, 0.42, 500), bin(0.5, 0.48, 400), bin(0.85, 0, 1)]), [0.3, 0.6]);
  assert.deepEqual(reliabilityRange([]), [0, 1]);
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
    // The training report too (REPORT_SCREENSHOT_DIR keeps it as training_report.html for a person).
    await Deno.writeTextFile(
      join(dir, "training_report.html"),
      trainingHtml(testDecisions(logitsFor(LABELS, [0, 0.5, 0], 0.6), LABELS, 1, "prior", [0.2, 0.6, 0.2])),
    );
    const page = join(dir, "report.html"), shot = join(dir, "report.png");
    await writeReport(page, evaluationReport(summary, facts));
    const run = await new Deno.Command(chromium!, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        // Without these Chromium keeps trying the network at start-up, which on a closed machine can stall
        // past the screenshot; a fresh profile keeps runs independent.
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${join(dir, "profile")}`,
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

Deno.test("the training verdict: scores equal at the four decimals shown are level, neither side better", () => {
  const good = testDecisions(logitsFor(LABELS, [0, 0, 0], 3), LABELS, 1, "argmax", [0.2, 0.6, 0.2]);
  const test = { ...summary.overall.model.metrics, log_loss: 1.07631, macro_f1: good.argmax.macro_f1 };
  const html = renderReport(trainingReport({
    version: "v2",
    modelType: "m",
    history: [],
    bestEpoch: 1,
    test,
    // Behind the model by 0.00002 in log-loss and ahead of it by 0.00001 in macro-F1: both print the same.
    baselines: {
      gradient_boosting: {
        ...summary.overall.majority.metrics,
        log_loss: 1.07633,
        macro_f1: good.argmax.macro_f1 + 0.00001,
      },
    },
    decisions: good,
  }));
  // Before: "1.0763 vs … 1.0763: lower (better)" and "gradient_boosting classifies better".
  assert.match(html, /Log-loss 1\.0763 vs the best baseline&#39;s \(gradient_boosting\) 1\.0763: level/);
  assert.doesNotMatch(html, /lower \(better\)|classifies better|ahead of every baseline/);
  assert.match(html, /gradient_boosting classifies as well/);
});

Deno.test("the training report's per-class precision: a handful of calls shows its count, none shows –", () => {
  const d = testDecisions(logitsFor(LABELS, [0, 0.5, 0], 0.6), LABELS, 1, "prior", [0.2, 0.6, 0.2]);
  const m = summary.overall.model.metrics;
  const per = (precision: number) => ({ precision, recall: 0.01, f1: 0.02, support: 700 });
  const html = renderReport(trainingReport({
    version: "v1",
    modelType: "lightweight_lstm",
    history: [],
    bestEpoch: 2,
    // The trial's model: DOWN named 7 times of 2,812 (6 right).
    test: {
      ...m,
      per_class: { DOWN: per(6 / 7), SIDEWAYS: per(0.4634), UP: per(0.3793) },
      confusion_matrix: [[6, 683, 15], [1, 1273, 21], [0, 791, 22]],
    },
    baselines: { majority: summary.overall.majority.metrics },
    decisions: d,
  }));
  // Before: a bold "0.8571" beside its peers, and majority's "0" for classes it never names.
  assert.ok(html.includes("<td>0.8571 (7)</td>"), "DOWN precision without its 7 calls");
  assert.ok(html.includes("<td>0.3793 (58)</td>") === false && html.includes("<td>0.3793</td>"));
  assert.match(html, /<tr><th scope="row">majority<\/th><td>–<\/td>/);
  assert.ok(html.includes(escapeXml(PRECISION_NOTE)));
  assert.ok(html.includes(escapeXml(SCORES_NOTE)), "the test split does not say which way is better");
});

Deno.test("reliability: a near-empty bin beyond the zoomed axes is hollow, off the line, and said so", () => {
  const bin = (c: number, a: number, count: number) => ({
    lower: Math.floor(c * 10) / 10,
    upper: Math.floor(c * 10) / 10 + 0.1,
    count,
    confidence: c,
    accuracy: a,
  });
  // Persistence in the trial: one window at confidence 0.44 that came true, 2,855 at 0.52.
  const svg = reliabilityDiagram([{ name: "persistence", bins: [bin(0.444, 1, 1), bin(0.519, 0.46, 2855)] }]);
  // The chart's own marks (its first series' are circles), not the legend's.
  const chart = svg.slice(0, svg.indexOf("</svg>"));
  const circles = [...chart.matchAll(/<circle [^>]*>/g)].map((c) => c[0]);
  assert.equal(circles.length, 2);
  assert.equal(circles.filter((c) => c.includes('fill="#fff"')).length, 1, "the clamped bin is not hollow");
  // One point left on the line: no polyline joins the clamped bin to the others.
  assert.doesNotMatch(svg, /<polyline/);
  assert.match(svg, /hollow: a bin of few windows beyond the axes, drawn on the edge/);
  // Every bin inside: all solid, one line, no such note.
  const inside = reliabilityDiagram([{ name: "m", bins: [bin(0.45, 0.4, 900), bin(0.55, 0.5, 800)] }]);
  assert.match(inside, /<polyline/);
  assert.doesNotMatch(inside, /hollow/);
});

Deno.test("report.html fits a narrow window and prints whole: charts shrink, print tables do not scroll", () => {
  const html = renderReport(evaluationReport(summary, facts));
  // Charts have a fixed width (460 to 800 px): at 400 px they were cut off at the window's edge.
  assert.match(html, /\.fig svg\[viewBox\]\{max-width:100%;height:auto\}/);
  // Printed, a .scroll box cut wide tables at the page edge (the last columns lost) behind a scrollbar.
  const print = html.match(/@media print\{(.*?\})\}/s)?.[1] ?? "";
  assert.match(print, /\.scroll\{overflow:visible\}/);
  assert.match(print, /white-space:normal/);
});

Deno.test("the training report's facts print times as the terminal does, '2023-10-08 11:00 UTC', not ISO strings", () => {
  // A fine-tune's facts read 'only labelled after 2023-10-08T11:00:00.000Z' beside '… 2023-12-31T23:00 UTC'.
  const fineTune = {
    ...MANIFEST,
    parent: "v3_2023-10-08",
    data: { ...MANIFEST.data, since: "2023-10-08T11:00:00.000Z" },
  };
  const facts = new Map(trainingFacts(fineTune));
  assert.equal(facts.get("data"), "data/training_data.csv: 2020-01-01 00:00 … 2023-12-31 23:00 UTC");
  assert.match(facts.get("windows") ?? "", /; only labelled after 2023-10-08 11:00 UTC$/);
});

Deno.test("a blended version's report names its scores the served blend's and shows the network's beside", () => {
  // Before: report.html called the blend's scores "transformer_lstm", the network's own were nowhere, and the
  // subtitle did not say the version serves a blend (only "boostingBlend 0.5" among the architecture's facts).
  const d = testDecisions(logitsFor(LABELS, [0, 0.5, 0], 0.6), LABELS, 1, "prior", [0.2, 0.6, 0.2]);
  const blend = { ...summary.overall.model.metrics, log_loss: 0.9 };
  const network = { ...summary.overall.model.metrics, log_loss: 1.05 };
  const html = renderReport(trainingReport({
    version: "v4",
    modelType: "transformer_lstm",
    history: [],
    bestEpoch: 1,
    test: blend,
    baselines: { majority: { ...summary.overall.majority.metrics, log_loss: 1 } },
    decisions: d,
    temperature: 1.25,
    blend: { weight: 0.5, with: "gradient_boosting", network },
  }));
  const table = testSplitTable(
    [["transformer_lstm (served blend)", blend], ["network alone", network]],
    "prior",
  );
  for (const row of table.rows) {
    assert.ok(html.includes(rowHtml(row)), `missing row ${row[0]}`);
  }
  assert.ok(!html.includes('<th scope="row">transformer_lstm</th>'), "a blend's row named as the network");
  assert.ok(html.includes(escapeXml("serves 0.5 × the network + 0.5 × gradient boosting")));
  assert.ok(html.includes(escapeXml("The served blend's log-loss 0.9000 vs the best baseline's (majority)")));
  // An unblended version's report is as before: the model's row under its type, no network row.
  const plain = trainingHtml(d);
  assert.ok(plain.includes('<th scope="row">transformer_lstm</th>') && !plain.includes("network alone"));
  // Which row is which field of metrics.json, and whose the curves and test_loss are. Before: nothing said
  // that test_loss (and every curve) is the network's while `test` is the blend's.
  assert.ok(
    html.includes(escapeXml(
      "transformer_lstm (served blend): what the version serves, 0.5 × the network + 0.5 × gradient boosting " +
        "(metrics.json's test); network alone: the network's own probabilities (metrics.json's network_test).",
    )),
  );
  assert.ok(html.includes(escapeXml("Both are the network's alone (as metrics.json's test_loss")));
  assert.ok(!plain.includes("metrics.json's test") && !plain.includes("Both are the network's alone"));
});

Deno.test("the training report says whether the return head beats predicting no change, in the table and the verdict", () => {
  // Before: the test table gave "return MAE 0.00833" with no yardstick (predicting 0 scored 0.00824 on the same
  // windows) and no rank correlation, and the verdict was silent on the served expected_return.
  const d = testDecisions(logitsFor(LABELS, [0, 0.5, 0], 0.6), LABELS, 1, "prior", [0.2, 0.6, 0.2]);
  const test = {
    ...summary.overall.model.metrics,
    windows: 44_000,
    regression_mae: 0.00833,
    no_change_mae: 0.00824,
    return_rank_correlation: 0.0083,
  };
  const html = renderReport(trainingReport({
    version: "v1",
    modelType: "transformer_lstm",
    history: [],
    bestEpoch: 1,
    test,
    baselines: { majority: summary.overall.majority.metrics },
    decisions: d,
    temperature: 1.25,
  }));
  const words = "The model's return head (expected_return): MAE 0.00833 against 0.00824 for predicting no " +
    "change (1.1 % higher: no better than predicting no change); rank correlation with the realised return " +
    "+0.008 (within ±0.010, what chance reaches on 44,000 independent windows: no evidence it ranks returns).";
  // Once in the verdict, once under the table (which train prints).
  assert.equal(html.split(escapeXml(words)).length - 1, 2);
  const t = testSplitTable([["transformer_lstm", test]], "prior");
  assert.ok(t.notes.includes(words));
  const at = (h: string) => t.rows[0][t.header.indexOf(h)];
  assert.deepEqual([at("return MAE"), at("÷ no change"), at("rank correlation")], [
    "0.00833",
    "1.011",
    "+0.008",
  ]);
  assert.ok(
    t.notes.some((n) => n.startsWith("Predicting no change (0) on these windows: return MAE 0.00824")),
  );
  assert.ok(
    html.includes(escapeXml("For decisions use the calibrated class probabilities, not expected_return")),
  );
});

Deno.test("the log-loss verdict says when the model is worse than majority, the class frequencies alone", () => {
  const baselines = { majority: { log_loss: 1.0699 }, gradient_boosting: { log_loss: 1.0469 } };
  // A weak trial's figures: before, "not lower" alone, and train's console said nothing.
  const weak = logLossVerdict(1.0992, baselines);
  assert.equal(
    weak.line,
    "Log-loss 1.0992 vs the best baseline's (gradient_boosting) 1.0469: not lower; above majority's 1.0699 " +
      "(the training class frequencies): its probabilities are worse than knowing how often each class comes.",
  );
  assert.equal(weak.ahead, false);
  // Behind boosting but below majority: no such clause. Level at four decimals is level, not lower.
  assert.equal(
    logLossVerdict(1.05, baselines).line,
    "Log-loss 1.0500 vs the best baseline's (gradient_boosting) 1.0469: not lower.",
  );
  assert.deepEqual(logLossVerdict(1.04693, baselines), {
    line:
      "Log-loss 1.0469 vs the best baseline's (gradient_boosting) 1.0469: level (equal to four decimals).",
    ahead: false,
  });
  assert.equal(logLossVerdict(1.03, baselines, true).ahead, true);
  assert.match(
    logLossVerdict(1.03, baselines, true).line,
    /^The served blend's log-loss 1\.0300 .*: lower on this split \(one split gives no interval/,
  );
  // Before: "lower (better on this split, …)" for any gap past the fourth decimal, a word the reports keep
  // for an interval clear of 0 (a researcher's reading).
  assert.doesNotMatch(logLossVerdict(1.0468, baselines).line, /better/);
});

Deno.test("one epoch a fold: the evaluation report lists the values, not curves of lone dots", () => {
  // Before: charts whose x axis ran 1 to 2, with legend keys for lines that were not drawn (a quant's trial).
  const oneEpoch = {
    ...summary,
    folds: summary.folds.map((f) => ({
      ...f,
      fits: Object.fromEntries(
        Object.entries(f.fits).map((
          [k, fit],
        ) => [k, fit?.history ? { ...fit, history: fit.history.slice(0, 1) } : fit]),
      ),
    })),
  } as typeof summary;
  const html = renderReport(evaluationReport(oneEpoch, facts));
  // A table like every other (caption, column scopes), and no curves' note of dashed and solid lines.
  assert.doesNotMatch(html, /<h2>Training curves<\/h2>/);
  const table = html.slice(html.indexOf("<h2>Training values (one epoch per fold)</h2>"));
  assert.match(table, /a curve would be a single dot, so the values are listed instead/);
  assert.match(table, /<caption class="sr">Training values \(one epoch per fold\)<\/caption>/);
  assert.match(table, /<th scope="col">validation loss<\/th>/);
  // Only the confusion matrices, the reliability diagram and the equity chart are drawn.
  assert.equal(html.match(/<svg [^>]*role="img"/g)?.length, 5);
});
