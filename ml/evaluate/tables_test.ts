import assert from "node:assert/strict";
import { syntheticSummary } from "../../test/evaluation.ts";
import { formatSummary, formatTable, textTable, wrap } from "./format.ts";
import { evaluationTables, PRECISION_NOTE, precisionCell, SCORES_NOTE } from "./tables.ts";
import { USE_PROBABILITIES } from "./return_head.ts";

const summary = await syntheticSummary();

Deno.test("every table is rectangular, its highlights are rows of it, and each comes once in a fixed order", () => {
  const tables = evaluationTables(summary);
  assert.deepEqual(tables.map((t) => t.id), [
    "pooled",
    "decision_rule",
    "per_class",
    "confident_calls",
    "return_head",
    "bootstrap",
    "blend",
    "per_fold",
    "reliability",
    "per_symbol",
    "backtest",
    "learner_trades",
  ]);
  for (const t of tables) {
    assert.ok(t.rows.length > 0, `${t.id} has no rows`);
    for (const row of t.rows) assert.equal(row.length, t.header.length, `${t.id}: ${row.join(" | ")}`);
    for (const k of t.highlight) assert.ok(k >= 0 && k < t.rows.length, `${t.id}: highlight ${k}`);
    assert.ok(t.labelColumns >= 1 && t.labelColumns < t.header.length);
  }
});

Deno.test("the terminal prints every table's title, cells and notes, then the verdict", () => {
  const text = formatSummary(summary).join("\n");
  const flat = text.replace(/\s+/g, " ");
  for (const t of evaluationTables(summary)) {
    assert.ok(text.includes(`\n${t.title}\n`), `missing title ${t.title}`);
    for (const cell of t.rows.flat()) assert.ok(text.includes(cell), `${t.id}: missing ${cell}`);
    for (const note of t.notes) assert.ok(flat.includes(note), `${t.id}: missing note ${note}`);
  }
  assert.ok(text.endsWith(summary.verdict.lines.join("\n")));
});

Deno.test("the scores the review found missing on one side are on both: per-class F1, the baseline per fold", () => {
  const byId = Object.fromEntries(evaluationTables(summary).map((t) => [t.id, t]));
  const f1 = summary.overall.model.metrics.per_class.UP.f1.toFixed(4);
  assert.equal(byId.per_class.rows[0][byId.per_class.header.indexOf("UP F1")], f1);
  const fold = byId.per_fold.rows[0];
  const best = summary.folds[0].scores[summary.best_baseline].metrics;
  assert.deepEqual(fold.slice(-2), [best.macro_f1.toFixed(4), best.log_loss.toFixed(4)]);
  // Shares to a tenth of a percent, counts with thousands separators.
  assert.match(byId.pooled.rows[0].at(-1)!, /^\d+\.\d %$/);
  const calls = summary.overall.logistic_regression.confident_calls[0].up.count;
  assert.ok(byId.confident_calls.rows.flat().some((c) => c.startsWith(`${calls.toLocaleString("en-US")} (`)));
});

Deno.test("the decision-rule table gives the served rule's DOWN and UP precision beside the base rates", () => {
  // Before: only the argmax calls' precision was shown, calls no bot receives; the served (prior) calls' hit
  // rates, which on 6h 2021-Q1 sat at or below their base rates (UP 0.353 vs 0.354), were in evaluation.json only.
  const table = evaluationTables(summary).find((t) => t.id === "decision_rule")!;
  const prior = summary.overall.model.prior_rule;
  for (const c of ["DOWN", "UP"] as const) {
    assert.equal(table.rows[0][table.header.indexOf(`prior ${c} P`)], precisionCell(prior, c));
  }
  const { up, down } = summary.overall.model.base_rate;
  const rates = `DOWN ${(100 * down).toFixed(1)} %, UP ${(100 * up).toFixed(1)} %`;
  assert.ok(
    table.notes.some((n) => n.includes(`base rates on these windows of ${rates}`)),
    table.notes.join("\n"),
  );
});

Deno.test("in-sample folds and an interrupted run are named in the tables themselves", () => {
  const seen = summary.folds[0].label;
  const marked = evaluationTables({
    ...summary,
    in_sample: { trained_until: "2023-07-30T00:00:00.000Z", folds: [seen], message: "seen" },
    partial: {
      reason: "interrupted",
      folds_done: summary.folds.map((f) => f.label),
      folds_missing: ["2023-W33"],
    },
  });
  assert.equal(marked[0].title, "Scores on the 3 finished folds pooled (fold 2023-W33 did not run)");
  assert.equal(marked.find((t) => t.id === "per_fold")!.rows[0][0], `${seen} (in-sample)`);
  assert.equal(evaluationTables(summary)[0].title, "Scores on all 3 folds pooled");
});

Deno.test("text tables align names left and numbers right; notes wrap at spaces", () => {
  assert.deepEqual(textTable(["sym", "who", "n"], [["A", "model", "1"], ["BB", "x", "100"]], 2), [
    "sym  who      n",
    "A    model    1",
    "BB   x      100",
  ]);
  assert.deepEqual(wrap("aaa bbb ccc dddddddd", 7), ["aaa bbb", "ccc", "dddddddd"]);
  assert.deepEqual(
    formatTable({
      id: "pooled",
      title: "T",
      header: ["", "x"],
      rows: [["m", "1"]],
      notes: ["a note"],
      labelColumns: 1,
      highlight: [],
    }),
    ["T", "     x", "  m  1", "  a note"],
  );
});

Deno.test("a precision from a handful of calls shows their count, and a class never named shows –", () => {
  const per = (precision: number) => ({ precision, recall: 0, f1: 0, support: 1 });
  // Rows are true classes, columns the calls: DOWN named 7 times (6 right), SIDEWAYS 2,747, UP never.
  const m = {
    per_class: { DOWN: per(6 / 7), SIDEWAYS: per(0.47), UP: per(0) },
    confusion_matrix: [[6, 683, 0], [1, 1273, 0], [0, 791, 0]],
  };
  // Before: "0.8571" (a bold 86 % hit rate from 7 calls) and "0.0000" for a class never called.
  assert.equal(precisionCell(m, "DOWN"), "0.8571 (7)");
  assert.equal(precisionCell(m, "SIDEWAYS"), "0.4700");
  assert.equal(precisionCell(m, "UP"), "–");
  const t = evaluationTables(summary).find((t) => t.id === "per_class")!;
  assert.ok(t.notes.includes(PRECISION_NOTE));
});

Deno.test("the pooled table says which way each score is better", () => {
  const t = evaluationTables(summary).find((t) => t.id === "pooled")!;
  assert.ok(t.notes.includes(SCORES_NOTE));
  assert.match(SCORES_NOTE, /log-loss .*\(lower is better/);
});

Deno.test("the per-fold table notes gradient boosting's kept iterations per fold, and why 0 scores as majority", () => {
  const note = (s: typeof summary) =>
    evaluationTables(s).find((t) => t.id === "per_fold")!.notes.find((n) =>
      n.startsWith("gradient_boosting")
    );
  const withFits = (iterations: (k: number) => number | undefined) => ({
    ...summary,
    folds: summary.folds.map((f, k) => ({
      ...f,
      fits: { ...f.fits, gradient_boosting: { ...f.fits.gradient_boosting!, iterations: iterations(k) } },
    })),
  });
  const [a, b, c] = summary.folds.map((f) => f.label);
  // Read from each fold's fits, as evaluation.json holds them.
  assert.equal(
    note(withFits((k) => [37, 4, 1][k])),
    `gradient_boosting's iterations kept by early stopping: ${a} 37, ${b} 4, ${c} 1.`,
  );
  // A fold whose boosting kept none scores exactly as majority there: the note says why (a 2h run's did).
  const none = withFits((k) => [37, 0, 1][k]);
  assert.equal(
    note(none),
    `gradient_boosting's iterations kept by early stopping: ${a} 37, ${b} 0, ${c} 1; where 0, no tree ` +
      "improved the validation log-loss, so it gives the training class shares, as majority does.",
  );
  // The terminal prints it under the table too.
  assert.ok(formatSummary(none).join("\n").replace(/\s+/g, " ").includes(note(none)!));
  // The walk-forward's own counts, whatever they are.
  const counts = summary.folds.map((f) => f.fits.gradient_boosting!.iterations!);
  assert.ok(counts.every((n) => Number.isInteger(n) && n >= 0), counts.join(", "));
  assert.ok(
    note(summary)!.includes(`${a} ${counts[0]}, ${b} ${counts[1]}, ${c} ${counts[2]}`),
    String(note(summary)),
  );
  // An evaluation.json from before the count was recorded: no note.
  assert.equal(note(withFits(() => undefined)), undefined);
});

Deno.test("the return head's table puts every learner's return MAE beside predicting no change's, in words too", () => {
  // Before: evaluate showed no return score at all, and evaluation.json a regression_mae with no yardstick, so a
  // reader could not see that the served expected_return was no better than predicting 0.
  const t = evaluationTables(summary).find((t) => t.id === "return_head")!;
  assert.deepEqual(t.header, ["", "return MAE", "÷ no change", "sign accuracy", "rank correlation"]);
  assert.deepEqual(t.rows.map((r) => r[0]), [summary.model, ...summary.baselines]);
  const m = summary.overall.model.metrics;
  // The scripted model predicts 0 everywhere: its MAE is exactly predicting no change's, and it ranks nothing.
  assert.equal(m.no_change_mae, m.regression_mae);
  assert.deepEqual(t.rows[0], ["model", m.regression_mae.toFixed(5), "1.000", "0.0000", "–"]);
  const gb = summary.overall.gradient_boosting.metrics;
  assert.equal(gb.no_change_mae, m.no_change_mae); // one yardstick: the same windows for every learner
  const ratio = (gb.regression_mae / gb.no_change_mae).toFixed(3);
  const ic = gb.return_rank_correlation!;
  assert.ok(Number.isFinite(ic));
  assert.deepEqual(
    t.rows[summary.baselines.indexOf("gradient_boosting") + 1].slice(1),
    [
      gb.regression_mae.toFixed(5),
      ratio,
      gb.sign_accuracy.toFixed(4),
      `${ic >= 0 ? "+" : ""}${ic.toFixed(3)}`,
    ],
  );
  assert.equal(t.notes.filter((n) => n.includes("Predicting no change (0)")).length, 1);
  assert.ok(t.notes[0].includes(`return MAE ${m.no_change_mae.toFixed(5)}, the yardstick`));
  const mae = m.regression_mae.toFixed(5);
  assert.ok(t.notes.includes(
    `model's return head (expected_return): MAE ${mae} against ${mae} for predicting no change (level with ` +
      "predicting no change at five decimals: no better); rank correlation with the realised return: none " +
      "(the prediction is constant).",
  ));
  assert.ok(t.notes.includes(USE_PROBABILITIES));
  // In evaluation.json (the summary as written), every learner's metrics carry both, per fold too; a rank
  // correlation that is undefined is null there.
  const json = JSON.parse(JSON.stringify(summary));
  assert.equal(json.overall.model.metrics.no_change_mae, m.no_change_mae);
  assert.equal(json.overall.model.metrics.return_rank_correlation, null);
  assert.equal(json.overall.gradient_boosting.metrics.return_rank_correlation, ic);
  const fold = json.folds[0].scores.logistic_regression.metrics;
  assert.equal(typeof fold.no_change_mae, "number");
  assert.ok("return_rank_correlation" in fold);
});
