import assert from "node:assert/strict";
import { type CandleSeries, sliceSeries } from "../../features/index.ts";
import { haveRealData, loadRealSeries } from "../../test/real_data.ts";
import { initBackend } from "../runtime/backend.ts";
import { defaultModelConfig } from "../models/index.ts";
import { DEFAULT_TRAIN_CONFIG } from "../train/index.ts";
import { baselineLearners } from "./baseline_learners.ts";
import { dataEnd, planFolds } from "./folds.ts";
import { NetworkLearner } from "./network_learner.ts";
import { summarize } from "./summary.ts";
import { endedNote, foldBlend, walkForward } from "./walk_forward.ts";
import { type Dataset, type LabelledSet, seededRng } from "../data/index.ts";
import { fitTemperature, logProbabilities, softmaxRows } from "../metrics/index.ts";
import { blended } from "../train/index.ts";
import type { FoldData, Learner } from "./learner.ts";
import type { PredictionSet } from "./scores.ts";
import { blendTemperature, MIN_TEMPERATURE_WINDOWS } from "./calibrate.ts";
import { ScriptedLearner, SUMMARY_OPTIONS, syntheticSeries } from "../../test/evaluation.ts";

const syntheticShape = {
  lookback: 20,
  horizon: 4,
  labelRule: { kind: "volatility", multiplier: 0.5 },
} as const;

const LOOKBACK = 12, HORIZON = 4;
const shape = {
  lookback: LOOKBACK,
  horizon: HORIZON,
  labelRule: { kind: "volatility", multiplier: 0.5 },
} as const;

/** ~10 weeks of two real symbols ending on a Sunday night, so the last weeks are complete. */
async function smallSeries(): Promise<CandleSeries[]> {
  const start = Date.parse("2023-06-05T00:00Z"), end = Date.parse("2023-08-14T00:00Z");
  return await Promise.all(["BTCUSDT", "ETHUSDT"].map(async (symbol) => {
    const s = await loadRealSeries(symbol);
    const i0 = s.openTime.findIndex((t) => t >= start), i1 = s.openTime.findIndex((t) => t >= end);
    return sliceSeries(s, i0, i1);
  }));
}

function tinyNetwork(seed: number) {
  return new NetworkLearner({
    name: "lightweight_lstm",
    modelConfig: { ...defaultModelConfig("lightweight_lstm", LOOKBACK), lstmHidden: 4, lstmLayers: 1 },
    train: {
      ...DEFAULT_TRAIN_CONFIG,
      epochs: 1,
      batchSize: 32,
      learningRate: 0.01,
      warmupSteps: 2,
      maxWindowsPerEpoch: 128,
      maxValidationWindows: 128,
      seed,
    },
    classWeighting: "balanced",
    clip: 10,
  });
}

Deno.test({
  name:
    "walk-forward: weekly folds purge the horizon at every cut and score every learner on the same windows",
  ignore: !haveRealData(),
  async fn() {
    await initBackend("wasm");
    const series = await smallSeries();
    const plans = planFolds(dataEnd(series), 2, "weekly", 1);
    assert.deepEqual(plans.map((p) => p.label), ["2023-W31", "2023-W32"]);
    const network = tinyNetwork(3);
    const learners = [network, ...baselineLearners({ seed: 1, maxTrainWindows: 2_000 })];
    const logged: string[] = [];
    const outcomes = await walkForward(series, plans, learners, {
      shape,
      clip: 10,
      log: (l) => logged.push(l),
    });
    network.dispose();
    // The network drew 128 windows of the fold's training split (maxWindowsPerEpoch): said beside the split's
    // size, which alone read as the windows it trained on.
    assert.ok(
      logged.some((l) =>
        /lightweight_lstm: trained on [\d,]+ windows, each epoch a random 128 of them in /.test(l)
      ),
      logged.join("\n"),
    );

    for (const o of outcomes) {
      const { plan, test } = o;
      assert.ok(test.labels.length > 0);
      for (let i = 0; i < test.labels.length; i++) {
        const s = series[test.seriesIndex[i]];
        assert.ok(s.openTime[test.ends[i]] >= plan.testStart, "a test window starts before its block");
        assert.ok(
          s.openTime[test.ends[i] + HORIZON] < plan.testEnd,
          "a test label looks into the next block",
        );
      }
      for (
        const name of [
          "lightweight_lstm",
          "majority",
          "persistence",
          "logistic_regression",
          "gradient_boosting",
        ]
      ) {
        assert.equal(o.predictions[name].probabilities.length, test.labels.length * 3);
        assert.equal(o.predictions[name].priorClasses.length, test.labels.length);
        assert.ok(Math.abs(o.priors[name].reduce((a, b) => a + b, 0) - 1) < 1e-9);
      }
      // 7 days × 24 candles − the horizon purged at the block's end, per symbol.
      assert.equal(test.labels.length, 2 * (7 * 24 - HORIZON));
    }
    // The second fold fine-tunes on the newly labelled week only; the baselines refit on everything.
    const [first, second] = outcomes;
    assert.equal(first.fits.lightweight_lstm!.trainWindows, first.windows.train);
    assert.ok(second.fits.lightweight_lstm!.trainWindows < second.windows.train / 3);
    assert.ok(second.fits.lightweight_lstm!.trainWindows > 0);
    assert.ok(first.fits.lightweight_lstm!.temperature! > 0);

    const summary = summarize(series, outcomes, {
      ...SUMMARY_OPTIONS,
      model: "lightweight_lstm",
      horizon: HORIZON,
      resamples: 100,
    });
    assert.deepEqual(summary.baselines, [
      "majority",
      "persistence",
      "logistic_regression",
      "gradient_boosting",
    ]);
    assert.ok(summary.baselines.includes(summary.best_baseline));
    assert.equal(summary.windows, first.test.labels.length + second.test.labels.length);
    assert.equal(summary.overall.majority.metrics.windows, summary.windows);
    assert.ok(Number.isFinite(summary.bootstrap.log_loss_diff.low));
    assert.equal(summary.backtest.rows.length, 4);
    assert.ok(summary.backtest.curves.buy_and_hold.equity.length > 100);
    // Two weeks of 1h candles are 3 bootstrap blocks: too few to judge, which the verdict says in a line of its
    // own before its conclusion (28aac4d).
    assert.ok(summary.bootstrap.blocks < 6, `${summary.bootstrap.blocks} blocks`);
    // Then what the served calls and confidence are worth (served_calls.ts), and the backtest's two lines (the
    // served calls' trades, then the threshold's).
    assert.equal(summary.verdict.lines.length, 8);
    assert.match(summary.verdict.lines[4], /^Served calls: /);
    // Of the classes the served rule names (the prior rule here), not argmax's.
    const named = summary.overall[summary.model].prior_rule.confusion_matrix.reduce(
      (n, row) => n + row[0],
      0,
    );
    if (named >= 30) {
      assert.match(
        summary.verdict.lines[4],
        new RegExp(`DOWN right .*, ${named.toLocaleString("en-US")} calls?\\)`),
      );
    } else {assert.match(
        summary.verdict.lines[4],
        named === 0 ? /DOWN never named/ : new RegExp(`DOWN named ${named} times?`),
      );}
    assert.match(
      summary.verdict.lines[5],
      /^Calibration of confidence(: | \(the probability of the class the 'prior' rule names\): )ECE /,
    );
    assert.match(summary.verdict.lines[2], /^Only \d+ blocks of 96 candles: too few to tell a difference/);
    assert.equal(summary.verdict.log_loss, "not judged: too few blocks");
    // JSON-safe: no typed arrays left inside.
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(summary)).backtest.curves.model.equity.at(-1));
  },
});

Deno.test({
  name: "walk-forward: a fold without training data fails with the fold named",
  ignore: !haveRealData(),
  async fn() {
    const series = await smallSeries();
    const plans = planFolds(dataEnd(series), 10, "weekly", 1);
    await assert.rejects(
      () => walkForward(series, plans, baselineLearners({ seed: 1 }), { shape, clip: 10 }),
      /fold 2023-W23.*training split has no windows/,
    );
  },
});

Deno.test({
  name: "walk-forward: a fold says how many windows it left out over missing candles (2023-03-24's outage)",
  ignore: !haveRealData(),
  async fn() {
    // BTCUSDT and ETHUSDT have no 13:00 candle on 2023-03-24: the one gap in their 2023 1h candles.
    const start = Date.parse("2023-01-02T00:00Z"), end = Date.parse("2023-04-03T00:00Z");
    const series = await Promise.all(["BTCUSDT", "ETHUSDT"].map(async (symbol) => {
      const s = await loadRealSeries(symbol);
      return sliceSeries(s, s.openTime.findIndex((t) => t >= start), s.openTime.findIndex((t) => t >= end));
    }));
    const plans = planFolds(dataEnd(series), 2, "weekly", 1);
    assert.deepEqual(plans.map((p) => p.label), ["2023-W12", "2023-W13"]);
    const lines: string[] = [];
    const learners = baselineLearners({ seed: 1, maxTrainWindows: 2_000 });
    const outcomes = await walkForward(series, plans, learners, {
      shape,
      clip: 10,
      log: (l) => lines.push(l),
    });
    const folds = lines.filter((l) => l.startsWith("fold "));
    // Four windows a symbol end within the horizon before the gap; both folds hold them (test, then training).
    assert.equal(folds.length, 2);
    for (const line of folds) {
      assert.match(
        line,
        / windows; 8 more left out across the fold's splits: candles missing before the label candle$/,
      );
    }
    for (const { test } of outcomes) {
      for (let i = 0; i < test.labels.length; i++) {
        const s = series[test.seriesIndex[i]];
        assert.equal(s.openTime[test.ends[i] + HORIZON] - s.openTime[test.ends[i]], HORIZON * 3_600_000);
      }
    }
  },
});

Deno.test({
  name: "a fold with too few training windows to learn from says so on its line",
  ignore: !haveRealData(),
  async fn() {
    // One symbol, a month before the month of validation and the test week: ~750 training windows. Before:
    // pooled into the verdict without a word.
    const [short] = await smallSeries();
    const plans = planFolds(dataEnd([short]), 1, "weekly", 1);
    const lines: string[] = [];
    await walkForward([short], plans, baselineLearners({ seed: 1, maxTrainWindows: 2_000 }), {
      shape,
      clip: 10,
      log: (l) => lines.push(l),
    });
    const fold = lines.find((l) => l.startsWith("fold "))!;
    assert.match(fold, /: train \d{2,3}, .*; note: too few training windows to learn from/);
  },
});

Deno.test({
  name:
    "walk-forward: a stop while a fold's windows are labelled ends the run there, before any learner fits",
  ignore: !haveRealData(),
  async fn() {
    const series = await smallSeries();
    const plans = planFolds(dataEnd(series), 2, "weekly", 1);
    const stop = new AbortController();
    const stages: string[] = [];
    // Labelling let no signal be heard before: the stop took effect only after the fold's first learner.
    const outcomes = await walkForward(series, plans, baselineLearners({ seed: 1, maxTrainWindows: 2_000 }), {
      shape,
      clip: 10,
      signal: stop.signal,
      labelling: (done) => done === 1 && stop.abort(),
      stage: (s) => stages.push(s.learner),
    });
    assert.deepEqual(outcomes, []);
    assert.deepEqual(stages, []);
  },
});

Deno.test({
  name:
    "walk-forward: a stop while a baseline fits ends that fit at its next step (its fold is dropped anyway)",
  ignore: !haveRealData(),
  async fn() {
    const series = await smallSeries();
    const plans = planFolds(dataEnd(series), 2, "weekly", 1);
    const stop = new AbortController();
    let iterations = 0;
    // Before, boosting went on to its early stop (minutes on big data) for a fold the stop then dropped.
    const learners = baselineLearners({
      seed: 1,
      maxTrainWindows: 2_000,
      signal: stop.signal,
      gradientBoosting: {
        onIteration: (it) => {
          iterations = it;
          if (it === 1) stop.abort();
        },
      },
    });
    const outcomes = await walkForward(series, plans, learners, { shape, clip: 10, signal: stop.signal });
    assert.deepEqual(outcomes, []);
    assert.equal(iterations, 1);
  },
});

Deno.test("a fold's blend calibrates gradient boosting by its validation temperature first, as train serves it", async () => {
  // Boosting miscalibrated on validation and test alike (its logits ×6), the model about fair: train blends boosting's
  // probabilities at the temperature fit on validation, so the fold's blend must too (it blended T = 1's).
  const f = blendFixture(400);
  const got = (await foldBlend(...f.args))!;
  const tb = f.boostingFitted;
  assert.ok(Math.abs(Math.log(tb)) > 0.2, `boosting this far off is recalibrated (T ${tb})`);
  assert.equal(got.withTemperature, tb);
  assert.equal(got.temperature, f.fitted);
  const test = f.args[2];
  const want = blended(test.model.probabilities, {
    weight: 0.5,
    temperature: f.fitted,
    probabilities: softmaxRows(logProbabilities(test.gradient_boosting.probabilities), tb),
  }, Int32Array.from({ length: f.args[3].size }, (_, i) => i));
  got.probabilities.forEach((p, j) =>
    assert.ok(Math.abs(p - want[j]) < 1e-6, `row ${j / 3 | 0}: ${p} vs ${want[j]}`)
  );
});

/** Two fake learners' probabilities on `n` validation windows and as many test windows (boosting ×6 sharp). */
function blendFixture(n: number) {
  const rng = seededRng(7);
  const labels = Int8Array.from({ length: n }, () => Math.floor(rng() * 3));
  const rows = (sharp: number) =>
    softmaxRows(
      Float32Array.from(
        { length: n * 3 },
        (_, j) => sharp * ((j % 3 === labels[j / 3 | 0] ? 0.6 : 0) + rng()),
      ),
    );
  const outputs: Record<string, Float32Array> = { model: rows(1), gradient_boosting: rows(6) };
  let validationPasses = 0;
  const learner = (name: string): Learner => ({
    name,
    pretrained: false,
    fit: () => Promise.reject(new Error("not in this test")),
    update: () => Promise.reject(new Error("not in this test")),
    predict: () => {
      validationPasses++;
      return Promise.resolve({ probabilities: outputs[name], returns: new Float64Array(n) });
    },
    dispose: () => {},
  });
  const predictions = Object.fromEntries(
    Object.entries({ model: rows(1), gradient_boosting: rows(6) }).map((
      [k, p],
    ) => [k, { probabilities: p, returns: new Float64Array(n) }]),
  ) as unknown as Record<string, PredictionSet>;
  const spec = { model: "model", with: "gradient_boosting", weight: 0.5 };
  const args = [
    spec,
    [learner("model"), learner("gradient_boosting")],
    predictions,
    { size: n, labels } as unknown as LabelledSet,
    {} as FoldData,
  ] as const;
  // The blend's temperature fit on these validation windows, as train fits it.
  const tb = fitTemperature(logProbabilities(outputs.gradient_boosting), labels);
  const mixed = blended(outputs.model, {
    weight: 0.5,
    temperature: 1,
    probabilities: softmaxRows(logProbabilities(outputs.gradient_boosting), tb),
  }, Int32Array.from({ length: n }, (_, i) => i));
  return {
    args,
    fitted: fitTemperature(logProbabilities(mixed), labels),
    boostingFitted: tb,
    passes: () => validationPasses,
  };
}

Deno.test("a fold's blend fit from scratch fits its temperature below 200 validation windows, as a fresh train does", async () => {
  // Before, T = 1 there, while train --blend-boosting (fresh) fits it on any validation split.
  const f = blendFixture(120);
  assert.ok(f.args[3].size < MIN_TEMPERATURE_WINDOWS);
  assert.ok(Math.abs(f.fitted - 1) > 0.01, `a temperature that matters here (${f.fitted})`);
  const got = (await foldBlend(...f.args, "fit", { temperature: 0.7, withTemperature: 2 }))!;
  assert.equal(got.temperature, f.fitted);
  assert.equal(got.withTemperature, f.boostingFitted);
  assert.equal(
    await blendTemperature(() => Promise.resolve(blendInputs(f)), f.args[3].labels, 0.5),
    f.fitted,
  );
});

/** The validation probabilities train would blend for `blendFixture`'s learners. */
function blendInputs(f: ReturnType<typeof blendFixture>) {
  return Promise.all(f.args[1].map((l) => l.predict(f.args[3], f.args[4]))).then(([m, g]) => ({
    network: m.probabilities,
    boosting: softmaxRows(logProbabilities(g.probabilities), f.boostingFitted),
  }));
}

Deno.test("a fine-tuned fold's blend keeps the previous fold's temperature below 200 windows, as train --incremental", async () => {
  const few = blendFixture(120);
  const previous = { temperature: 0.7, withTemperature: 2 };
  const kept = (await foldBlend(...few.args, "update", previous))!;
  assert.equal(kept.temperature, 0.7);
  // Evaluate refits boosting in a fine-tuned fold, so its own temperature is fit again.
  assert.equal(kept.withTemperature, few.boostingFitted);
  // Train's rule, the same function: 200 windows or more refit it.
  const many = blendFixture(400);
  assert.equal((await foldBlend(...many.args, "update", previous))!.temperature, many.fitted);
  assert.equal(await blendTemperature(() => blendInputs(few), few.args[3].labels, 0.5, 0.7), 0.7);
  assert.equal(await blendTemperature(() => blendInputs(many), many.args[3].labels, 0.5, 0.7), many.fitted);
});

Deno.test("a fold whose model was kept as it is serves the previous fold's blend, both temperatures kept", async () => {
  const f = blendFixture(400);
  const previous = { temperature: 0.7, withTemperature: 2 };
  const got = (await foldBlend(...f.args, "keep", previous))!;
  assert.deepEqual([got.temperature, got.withTemperature], [0.7, 2]);
  assert.equal(f.passes(), 0, "nothing refit, so no validation pass");
  const test = f.args[2];
  const want = blended(test.model.probabilities, {
    weight: 0.5,
    temperature: 0.7,
    probabilities: softmaxRows(logProbabilities(test.gradient_boosting.probabilities), 2),
  }, Int32Array.from({ length: 400 }, (_, i) => i));
  got.probabilities.forEach((p, j) => assert.ok(Math.abs(p - want[j]) < 1e-6, `row ${j / 3 | 0}`));
  // The first fold of a checkpoint kept as it is has no blend before it: fit as a fresh train would.
  assert.equal((await foldBlend(...f.args, "keep"))!.temperature, f.fitted);
});

Deno.test("walk-forward with --retrain none keeps the first fold's blend temperatures in the folds after it", async () => {
  // Monthly blocks under --retrain none: five months of candles hold two folds after a month of training.
  const series = syntheticSeries(150);
  const plans = planFolds(dataEnd(series), 2, "none", 1);
  const learners = [
    new ScriptedLearner("model", 0.3),
    ...baselineLearners({ seed: 1, maxTrainWindows: 1_000 }),
  ];
  const blend = { model: "model", with: "gradient_boosting", weight: 0.5 };
  const outcomes = await walkForward(series, plans, learners, { shape: syntheticShape, clip: 10, blend });
  assert.equal(outcomes.length, 2);
  const [first, ...later] = outcomes.map((o) => o.blend!);
  // Before, each fold refit both on its own validation windows: a blend no version served.
  for (const b of later) {
    assert.deepEqual([b.temperature, b.withTemperature], [first.temperature, first.withTemperature]);
  }
});

/** One weekly fold of the synthetic market: the scripted model, majority and gradient boosting with `boosting`. */
async function boostingFold(boosting: { maxIterations: number }) {
  const series = syntheticSeries();
  const plans = planFolds(dataEnd(series), 1, "weekly", 1);
  const learners = [
    new ScriptedLearner("model", 0.3),
    ...baselineLearners({ seed: 1, maxTrainWindows: 1_000, gradientBoosting: boosting })
      .filter((l) => l.name === "majority" || l.name === "gradient_boosting"),
  ];
  const lines: string[] = [];
  const outcomes = await walkForward(series, plans, learners, {
    shape: syntheticShape,
    clip: 10,
    log: (l) => lines.push(l),
  });
  const summary = summarize(series, outcomes, { ...SUMMARY_OPTIONS, resamples: 50 });
  // As evaluation.json holds it.
  const fits = JSON.parse(JSON.stringify(summary.folds[0].fits));
  return { lines, outcome: outcomes[0], fits };
}

Deno.test("evaluate says how many iterations gradient boosting kept, on its fold line and in the fold's fits", async () => {
  // A real 2h run's boosting kept none and scored as majority to the last digit, with nothing saying why.
  const { lines, outcome, fits } = await boostingFold({ maxIterations: 5 });
  const kept = outcome.fits.gradient_boosting!.iterations!;
  assert.ok(kept > 0 && kept <= 5, `${kept} iterations`);
  const line = lines.find((l) => l.startsWith("  gradient_boosting: "))!;
  assert.match(
    line,
    new RegExp(`^  gradient_boosting: trained on [\\d,]+ windows in [\\d.]+ s, ${kept} iterations? kept$`),
  );
  assert.equal(fits.gradient_boosting.iterations, kept);
  // Only boosting has iterations: the other learners' fits and lines do not mention them.
  assert.equal("iterations" in fits.majority, false);
  assert.equal("iterations" in fits.model, false);
  assert.ok(lines.filter((l) => /iteration/.test(l)).length === 1, lines.join("\n"));
});

Deno.test("a gradient boosting that kept no iteration says it gives the training class shares, as majority does", async () => {
  const { lines, outcome, fits } = await boostingFold({ maxIterations: 0 });
  assert.equal(outcome.fits.gradient_boosting!.iterations, 0);
  assert.equal(fits.gradient_boosting.iterations, 0);
  const line = lines.find((l) => l.startsWith("  gradient_boosting: "))!;
  assert.match(
    line,
    /, 0 iterations kept \(no tree improved the validation log-loss, so it gives the training class shares, as majority does\)$/,
  );
  // What the clause claims: its probabilities are majority's.
  const boosting = outcome.predictions.gradient_boosting.probabilities;
  const majority = outcome.predictions.majority.probabilities;
  boosting.forEach((p, j) => assert.ok(Math.abs(p - majority[j]) < 1e-6, `${j}: ${p} vs ${majority[j]}`));
});

Deno.test("a fold notes symbols whose candles end before its test block does", () => {
  const day = 86_400_000;
  const plan = { testStart: Date.UTC(2023, 11, 1), testEnd: Date.UTC(2024, 0, 1) };
  const sym = (symbol: string, lastOpenTime: number) =>
    ({ symbol, lastOpenTime }) as Dataset["symbols"][number];
  const full = sym("BTCUSDT", plan.testEnd - 3_600_000);
  assert.equal(endedNote({ symbols: [full, sym("SOLUSDT", plan.testEnd - 3_600_000)] }, plan), "");
  // Before: the fold line said only "test 712 windows" (a quant's trial).
  assert.equal(
    endedNote({ symbols: [full, sym("ETHUSDT", Date.UTC(2023, 10, 15))] }, plan),
    "; note: ETHUSDT has no candles after 2023-11-15, before this fold: no test windows here (the fold's " +
      "scores and buy-and-hold cover the others past that)",
  );
  assert.match(
    endedNote({ symbols: [full, sym("ETHUSDT", Date.UTC(2023, 11, 20))] }, plan),
    /ETHUSDT has no candles after 2023-12-20, inside the test block/,
  );
  // Every symbol ending together (the data's end, or weekly candles a few days before the block's): nothing.
  assert.equal(
    endedNote({ symbols: [sym("A", plan.testEnd - 6 * day), sym("B", plan.testEnd - 6 * day)] }, plan),
    "",
  );
  // Weekly candles, one symbol a week short: named (before, every weekly symbol counted as ended, so none was).
  assert.match(
    endedNote({ symbols: [sym("A", plan.testEnd - 6 * day), sym("B", plan.testEnd - 13 * day)] }, plan),
    /^; note: B has no candles after 2023-12-19, inside the test block/,
  );
});
