/**
 * What a reader of report.html is told, checked against what the page shows (reading trial, session 46): axis
 * labels that state their values, facts a person can read, base rates beside precision, text columns laid out
 * as text, and a printout that keeps each table with its title.
 */
import assert from "node:assert/strict";
import {
  confusionMatrix,
  evaluationReport,
  lineChart,
  reliabilityDiagram,
  renderReport,
  trainingFacts,
  trainingReport,
} from "./index.ts";
import { syntheticSummary } from "../../test/evaluation.ts";
import { testManifest } from "../../test/manifest.ts";
import { evaluationTables } from "../evaluate/index.ts";

/** The y-axis tick labels of a line chart (right-anchored text), top to bottom as drawn. */
function yTicks(svg: string): string[] {
  return [...svg.matchAll(/text-anchor="end" class="tick">([^<]*)</g)].map((m) => m[1]);
}

Deno.test("chart ticks state their values, with one number of decimals", () => {
  // A validation log-loss between 1.0502 and 1.0597: ticks every 0.0025. Before: "1.05, 1.052, 1.055, 1.058,
  // 1.06" (four significant digits: 1.0575 read 1.058, and the steps looked uneven).
  const svg = lineChart([{ name: "validation", x: [1, 2, 3], y: [1.0502, 1.0597, 1.055] }]);
  assert.deepEqual(yTicks(svg), ["1.0500", "1.0525", "1.0550", "1.0575", "1.0600"]);
  // Round ticks stay short.
  assert.deepEqual(yTicks(lineChart([{ name: "e", x: [1, 2], y: [1, 2.4] }])), [
    "1.0",
    "1.5",
    "2.0",
  ]);
  // The reliability diagram's axes alike: "0.35, 0.40, 0.45", not "0.35, 0.4, 0.45".
  const bin = (c: number, count: number) => ({
    lower: c - 0.05,
    upper: c + 0.05,
    count,
    confidence: c,
    accuracy: c,
  });
  const rel = yTicks(reliabilityDiagram([{ name: "m", bins: [bin(0.42, 500), bin(0.48, 400)] }]));
  assert.deepEqual(rel, ["0.35", "0.40", "0.45", "0.50", "0.55"]);
});

Deno.test("the training report's facts: one row per name, a split's cut dates as dates", () => {
  // The trial's version (v1_2026-12-05): two rows named "data", the second reading
  // "…, split.kind dates, split.validationStart 1640995200000, split.testStart 1672531200000".
  const facts = trainingFacts(testManifest({
    modelType: "transformer_lstm",
    symbols: ["BTCUSDT"],
    hyperparameters: {
      model: { dModel: 32 },
      data: {
        horizon: 4,
        split: { kind: "dates", validationStart: 1640995200000, testStart: 1672531200000 },
      },
    },
    training: { epochs_run: 6, best_epoch: 6, stop_reason: "epochs", seconds: 400 },
  }));
  const names = facts.map(([name]) => name);
  assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), [], `repeated: ${names.join(", ")}`);
  const split = facts.find(([, v]) => v.includes("split.kind"))?.[1] ?? "";
  assert.match(split, /split\.validationStart 2022-01-01 00:00 UTC, split\.testStart 2023-01-01 00:00 UTC/);
  assert.doesNotMatch(split, /1640995200000/);
});

Deno.test("per-class precision stands beside the base rates it must beat, in train's report and evaluate's", async () => {
  const summary = await syntheticSummary();
  // The trial's test split (v1_2026-12-05): UP precision 0.4465 where UP came on 26.9 % of the windows.
  const m = summary.overall.model.metrics;
  const html = renderReport(trainingReport({
    version: "v1",
    modelType: "transformer_lstm",
    history: [],
    bestEpoch: 1,
    test: { ...m, confusion_matrix: [[358, 10429, 254], [322, 20248, 284], [359, 10927, 434]] },
    baselines: { majority: summary.overall.majority.metrics },
  }));
  assert.match(
    html,
    /Base rates \(how often each class came on these windows\): DOWN 25\.3 %, SIDEWAYS 47\.8 %, UP 26\.9 %/,
  );
  const perClass = evaluationTables(summary).find((t) => t.id === "per_class")!;
  assert.ok(
    perClass.notes.some((n) => /^Base rates .*DOWN \d+\.\d %, SIDEWAYS \d+\.\d %, UP \d+\.\d %/.test(n)),
  );
});

Deno.test("a table's label columns read as text: per symbol's learner names are left-aligned", async () => {
  const html = renderReport(evaluationReport(await syntheticSummary(), []));
  // Before: only the first column was left-aligned, so "majority", "persistence", … sat right-aligned like numbers.
  const perSymbol = html.slice(html.indexOf("<h2>Per symbol</h2>"));
  assert.match(
    perSymbol,
    /^<h2>Per symbol<\/h2><p class="note">[^<]*<\/p><div class="scroll"><table class="l2">/,
  );
  assert.match(html, /table\.l2 td:nth-child\(2\),table\.l2 th:nth-child\(2\)\{text-align:left\}/);
  // Tables of one label column keep the plain markup.
  assert.match(
    html,
    /<h2>Per fold<\/h2><p class="note">[^<]*<\/p><div class="scroll"><table><caption class="sr">Per fold<\/caption>/,
  );
});

Deno.test("training curves say the training and validation losses are not the same quantity", async () => {
  // evaluate's chart drew training (~1.9, with the auxiliary head's terms) and validation (~1.1, without)
  // as one "loss", with the note "Dashed: training (dropout on, …); solid: validation block."
  const html = renderReport(evaluationReport(await syntheticSummary(), []));
  const curves = html.slice(html.indexOf("<h2>Training curves</h2>"));
  assert.match(
    curves,
    /^<h2>Training curves<\/h2><p class="note">Dashed: training, the optimiser&#39;s objective/,
  );
  assert.match(curves, /no auxiliary terms, dropout off\)\. The two differ in level by construction/);
  assert.match(curves, /class="label">objective \(CE \+ MSE terms\)<\/text>/);
  // train's report: the validation line on the objective chart is named for what it leaves out.
  const train = renderReport(trainingReport({
    version: "v1",
    modelType: "transformer_lstm",
    history: [{
      epoch: 1,
      partial: false,
      windows: 10,
      loss: 1.9,
      accuracy: 0.46,
      val_loss: 1.24,
      val_accuracy: 0.45,
      val_macro_f1: 0.3,
      val_log_loss: 1.05,
      val_calibrated_log_loss: 1.05,
      val_temperature: 1,
      learning_rate: 0.002,
      samples_per_second: 100,
      seconds: 1,
    }],
    bestEpoch: 1,
    test: (await syntheticSummary()).overall.model.metrics,
    baselines: {},
  }));
  assert.match(train, /validation \(no auxiliary terms, dropout off\)/);
  assert.match(
    train,
    /leaves the auxiliary terms and dropout out, so the two differ in level by construction/,
  );
});

Deno.test("printed, a table's note stays with the table: a title and its note never end a page alone", () => {
  const html = renderReport({ title: "t", sections: [] });
  // Before: only h2 avoided a break after it, so "Is the difference real?" and its note ended page 2 of the
  // trial's printout and the rows began page 3.
  const print = html.match(/@media print\{(.*?\})\}/s)?.[1] ?? "";
  assert.match(print, /(^|[{},])h2,\.note\{break-after:avoid\}/);
});

Deno.test("the verdict says which way each difference is better", async () => {
  // The trial's 6h 2023-Q4 verdict: "difference +0.0084 (95 % interval …) — no clear difference" for log-loss and
  // "difference -0.0254 (…)" for macro-F1: both behind, with opposite signs and no word on which sign is good.
  const lines = (await syntheticSummary()).verdict.lines;
  assert.match(
    lines.find((l) => /^model log-loss/.test(l)) ?? "",
    /: difference [+-]\d\.\d{4} \(lower is better; 95 % interval /,
  );
  assert.match(
    lines.find((l) => /^model macro-F1/.test(l)) ?? "",
    /: difference [+-]\d\.\d{4} \(higher is better; 95 % interval /,
  );
});

Deno.test("the verdict's backtest line says it is one path without an interval", async () => {
  // The trial's 6h 2021-Q2 verdict: scores "no clear difference", then "Backtest (…): model +26.21 % in 40
  // trades, lightweight_lstm +15.56 % in 31 trades, buy-and-hold +14.18 %." with nothing on its uncertainty.
  const lines = (await syntheticSummary()).verdict.lines;
  assert.match(
    lines.find((l) => l.startsWith("Backtest")) ?? "",
    /, buy-and-hold [+-]\d+\.\d\d % \(one path over these candles, with no interval: not evidence on its own\)\.$/,
  );
});

/** WCAG's relative luminance of an sRGB colour given as 0–255 channels. */
function luminance([r, g, b]: readonly number[]): number {
  const lin = (c: number) => (c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}
const contrast = (a: readonly number[], b: readonly number[]) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};
const hex = (h: string) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));

Deno.test("text meets WCAG AA contrast (4.5:1): confusion-matrix cells, the footer, muted chart text", () => {
  // Every share of a row, so every shade of the heatmap: before, white ink from a share of 56 % had 2.4:1.
  const svg = confusionMatrix([[0, 44, 56], [0, 30, 70], [0, 0, 100]], ["DOWN", "SIDEWAYS", "UP"]);
  const cells = [
    ...svg.matchAll(
      /<rect [^>]*fill="rgba\((\d+),(\d+),(\d+),([\d.]+)\)"\/><text [^>]*fill="(#[0-9a-f]{3,6})"/g,
    ),
  ];
  assert.equal(cells.length, 9);
  for (const [, r, g, b, a, ink] of cells) {
    // The cell's colour over the white figure box.
    const bg = [r, g, b].map((c) => Math.round(255 - Number(a) * (255 - Number(c))));
    const fg = ink.length === 4 ? [1, 2, 3].map((i) => parseInt(ink[i] + ink[i], 16)) : hex(ink);
    assert.ok(
      contrast(fg, bg) >= 4.5,
      `ink ${ink} on rgb(${bg}) (alpha ${a}): ${contrast(fg, bg).toFixed(2)}:1`,
    );
  }
  const css = renderReport({ title: "t", sections: [] });
  const page = hex("#fafafa");
  const footer = css.match(/footer\{[^}]*color:(#[0-9a-f]{6})/)?.[1] ?? "";
  assert.ok(
    contrast(hex(footer), page) >= 4.5,
    `footer ${footer}: ${contrast(hex(footer), page).toFixed(2)}:1`,
  );
  const muted = css.match(/svg \.muted\{fill:(#[0-9a-f]{6})\}/)?.[1] ?? "";
  assert.ok(contrast(hex(muted), [255, 255, 255]) >= 4.5, `muted ${muted}`);
});

Deno.test("the blend's table says what its difference subtracts and which sign is good", async () => {
  // The trial's 6h 2023-Q4 report: "difference -0.0173", "reading tie", and nothing on which way is better.
  const t = evaluationTables(await syntheticSummary()).find((t) => t.id === "blend")!;
  assert.ok(t, "the synthetic evaluation has a blend");
  assert.ok(
    t.notes.some((n) =>
      /the blend's log-loss minus the other's \(lower is better: below zero favours the blend\)/.test(n)
    ),
  );
  // Judged as the verdict is, in its words: "tie" was the table's alone, and from fewer than six blocks it read
  // "blend better" wherever the interval alone excluded 0.
  const summary = await syntheticSummary();
  const words = ["blend better", "blend worse", "no clear difference"];
  assert.ok(t.rows.every((r) => words.includes(String(r.at(-1)))), JSON.stringify(t.rows));
  const sure = { low: -0.05, estimate: -0.04, high: -0.03 };
  const blend = { ...summary.blend!, log_loss_diff: { gradient_boosting: sure, model: sure } };
  const tableOf = (blocks: number) =>
    evaluationTables({ ...summary, blend, bootstrap: { ...summary.bootstrap, blocks } }).find((t) =>
      t.id === "blend"
    )!;
  assert.deepEqual(tableOf(6).rows.map((r) => r.at(-1)), ["blend better", "blend better"]);
  const few = tableOf(2);
  assert.deepEqual(few.rows.map((r) => r.at(-1)), [
    "not judged: too few blocks",
    "not judged: too few blocks",
  ]);
  assert.ok(
    few.notes.some((n) => n.includes('"not judged: too few blocks" where, as here, the blocks are too few')),
    few.notes.join("\n"),
  );
  // A checkpoint that had seen the folds: half the blend is its in-sample probabilities. Before, "blend better"
  // beside a bootstrap table whose every row read "in-sample: not evidence".
  const label = summary.folds[0].label;
  const seen = evaluationTables({
    ...summary,
    blend,
    bootstrap: { ...summary.bootstrap, blocks: 6 },
    in_sample: { trained_until: "2030-01-01T00:00:00.000Z", folds: [label], message: "in-sample" },
  }).find((t) => t.id === "blend")!;
  assert.deepEqual(seen.rows.map((r) => r.at(-1)), ["in-sample: not evidence", "in-sample: not evidence"]);
  assert.ok(seen.notes.some((n) => n.includes(`reading: "in-sample: not evidence", as fold ${label} had`)));
});
