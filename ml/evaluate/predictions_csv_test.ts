import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { ScriptedLearner, SUMMARY_OPTIONS, syntheticSeries } from "../../test/evaluation.ts";
import { CLASSES } from "../../features/index.ts";
import { baselineLearners } from "./baseline_learners.ts";
import { dataEnd, planFolds } from "./folds.ts";
import { predictionsCsv } from "./predictions_csv.ts";
import { summarize } from "./summary.ts";
import { walkForward } from "./walk_forward.ts";

const shape = { lookback: 20, horizon: 4, labelRule: { kind: "volatility", multiplier: 0.5 } } as const;

Deno.test("predictions.csv holds every test window once, and its probabilities score what the summary says", async () => {
  const series = syntheticSeries();
  const plans = planFolds(dataEnd(series), 2, "weekly", 1);
  const learners = [new ScriptedLearner(), ...baselineLearners({ seed: 1, maxTrainWindows: 1_000 })];
  const outcomes = await walkForward(series, plans, learners, { shape, clip: 10 });
  const names = learners.map((l) => l.name);
  // A symbol from another exchange's C# export may hold a comma or a quote: quoted, it keeps its columns.
  const named = series.map((s, k) => (k === 0 ? { ...s, symbol: 'BTC,"USDT"' } : s));
  const [header, ...rows]: string[][] = parse(predictionsCsv(named, outcomes, names));

  assert.deepEqual(header.slice(0, 5), ["fold", "symbol", "open_time", "label", "return"]);
  assert.deepEqual(header.slice(5, 9), [
    `${names[0]}_p_down`,
    `${names[0]}_p_sideways`,
    `${names[0]}_p_up`,
    `${names[0]}_return`,
  ]);
  assert.equal(header.length, 5 + 5 * names.length);
  assert.deepEqual(header.slice(5 + 4 * names.length), names.map((n) => `${n}_call`));
  const windows = outcomes.reduce((n, o) => n + o.test.labels.length, 0);
  assert.equal(rows.length, windows);
  assert.deepEqual([...new Set(rows.map((r) => r[0]))], plans.map((p) => p.label));
  // Each window once: (symbol, time) never repeats within a fold.
  assert.equal(new Set(rows.map((r) => `${r[0]} ${r[1]} ${r[2]}`)).size, windows);
  assert.deepEqual([...new Set(rows.map((r) => r[1]))].sort(), [series[1].symbol, 'BTC,"USDT"'].sort());
  assert.ok(
    rows.every((r) => /^\d+$/.test(r[2]) && CLASSES.includes(r[3] as typeof CLASSES[number])),
  );

  // The pooled log-loss recomputed from the file is the summary's (before: 6 significant digits, off in the 6th).
  const summary = summarize(series, outcomes, { ...SUMMARY_OPTIONS, model: names[0], resamples: 10 });
  names.forEach((name, j) => {
    let sum = 0;
    for (const r of rows) {
      const p = r.slice(5 + 4 * j, 8 + 4 * j).map(Number);
      assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-4, `${name}: ${p} sums to 1`);
      sum -= Math.log(Math.max(p[CLASSES.indexOf(r[3] as typeof CLASSES[number])], 1e-7));
    }
    const expected = summary.overall[name].metrics.log_loss;
    assert.ok(Math.abs(sum / rows.length - expected) < 1e-12, `${name}: ${sum / rows.length} vs ${expected}`);
    // The prior rule's calls: their accuracy is the summary's, persistence's own calls included (its
    // probabilities are class shares, whose argmax is no call it makes).
    const call = 5 + 4 * names.length + j;
    const right = rows.filter((r) => r[call] === r[3]).length;
    const accuracy = summary.overall[name].prior_rule.accuracy;
    assert.ok(
      Math.abs(right / rows.length - accuracy) < 1e-12,
      `${name}: ${right / rows.length} vs ${accuracy}`,
    );
  });
});
