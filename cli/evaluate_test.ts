import assert from "node:assert/strict";
import { sourceCommit } from "../engine/index.ts";
import { join } from "node:path";
import {
  addMonths,
  type CandleSeries,
  computeIndicators,
  FEATURE_COUNT,
  seriesFromCandles,
  writeTrainingCsv,
} from "../features/index.ts";
import { simulateMarket } from "../features/market_simulator.ts";
import { initBackend } from "../ml/runtime/backend.ts";
import { DEFAULT_SPLIT, prepareDataset } from "../ml/data/index.ts";
import { DEFAULT_TRAINING_RECIPE, type RunConfig, runConfigJson } from "../ml/train/index.ts";
import { buildModel, defaultModelConfig, saveModel } from "../ml/models/index.ts";
import { exportOnnx } from "../ml/onnx/index.ts";
import { type BoostedTrees, GBDT_LAGS } from "../ml/baselines/index.ts";
import type { Preprocessor } from "../engine/preprocessor.ts";
import { testManifest } from "../test/manifest.ts";
import { testPreprocessor } from "../test/onnx.ts";
import { writeVersion } from "../ml/checkpoints/index.ts";
import { syntheticSeries } from "../test/evaluation.ts";
import { EvaluateFlagsSchema, type EvaluateOptions } from "./evaluate/options.ts";
import { runEvaluation } from "./evaluate/run.ts";
import { runCandlecast } from "../test/cli.ts";
import { stopOnRead } from "../test/stop_on_read.ts";
import { CommandError, UsageError } from "./errors.ts";
import { ReportedError } from "../base/index.ts";

const LOOKBACK = 12;

const cli = (...args: string[]) => runCandlecast(args);

const dir = await Deno.makeTempDir({ prefix: "candlecast-evaluate-" });
// Removed when this file's tests end (`unload` fires after the last test, failed, filtered out or stopped by
// --fail-fast alike, under test/isolated.ts's one `deno test` per file): before, every run left this 25 MB
// folder in the temporary directory.
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const csv = join(dir, "synthetic.csv");
const series = syntheticSeries();
await writeTrainingCsv(csv, series);

/** Defaults as commander would hand them over, shrunk to seconds. */
function options(overrides: Record<string, unknown>): EvaluateOptions {
  return EvaluateFlagsSchema.parse({
    data: csv,
    model: "lightweight_lstm",
    folds: "2",
    validationMonths: "1",
    retrain: "weekly",
    outputDir: join(dir, "out"),
    lookback: String(LOOKBACK),
    horizon: "4",
    epochs: "1",
    batchSize: "32",
    learningRate: "0.01",
    patience: "1",
    maxWindowsPerEpoch: "64",
    maxValidationWindows: "64",
    classWeights: "balanced",
    clip: "10",
    lightweightBaseline: false,
    tradeThreshold: "0.4",
    fee: "0.001",
    bootstrap: "100",
    seed: "1",
    backend: "wasm",
    ...overrides,
  });
}

const quiet = { out: () => {} };

Deno.test("bad flags and a missing CSV exit 2 naming the flag", async () => {
  for (
    const [args, flag] of [
      [["--folds", "0"], "--folds"],
      [["--trade-threshold", "1.5"], "--trade-threshold"],
      [["--fee", "-1"], "--fee"],
      [["--retrain", "yearly"], "--retrain"],
      // One resample gave an interval of zero width and a confident verdict.
      [["--bootstrap", "1"], "--bootstrap"],
      [["--checkpoint", "checkpoints/current", "--lookback", "30"], "--lookback"],
    ] as const
  ) {
    const r = await cli("evaluate", ...args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(flag.replace(/-/g, "\\-")));
  }
  const missing = await cli("evaluate", "--data", join(dir, "nope.csv"), "--backend", "cpu");
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /^candlecast: --data: /);
  assert.doesNotMatch(missing.stderr, /at .*\.ts:\d+/);
  // A folder: before, named without the flag, and only once the backend had started.
  const folder = await cli("evaluate", "--data", dir, "--backend", "cpu");
  assert.equal(folder.code, 2, folder.stderr);
  assert.match(folder.stderr, /^candlecast: --data: \S+ is a folder, not a file\nhint: /);
});

Deno.test("a shape flag with --checkpoint says the version keeps it, and which flags do override", async () => {
  // The hint said the recorded recipe "is used unless training flags override it" right after refusing
  // --members, a flag a user takes for a training one: it read as a contradiction (helper trial s46).
  const r = await cli("evaluate", "--checkpoint", "checkpoints/current", "--members", "3");
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^candlecast: --members cannot be combined with --checkpoint\nhint: a checkpoint keeps its own model and input \(architecture, sizes, dropout, members, .*\); the other training flags \(--epochs, --learning-rate, --class-weights …\) override/,
  );
});

Deno.test("training flags where nothing trains (--checkpoint kept as it is, no lightweight baseline) exit 2", async () => {
  const kept = ["--checkpoint", "checkpoints/current", "--no-lightweight-baseline"];
  // Before: accepted, and nothing they could shape was trained.
  for (const args of [[...kept, "--epochs", "3"], [...kept, "--retrain", "none", "--workers", "1"]]) {
    const r = await cli("evaluate", ...args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /^candlecast: --(epochs|workers) cannot be combined with --checkpoint kept as it is \(--retrain none\) and --no-lightweight-baseline\nhint: no network is trained then: /,
    );
  }
  // --seed is not among them: it seeds the baselines (logistic's and persistence's window sample, gradient
  // boosting) and the bootstrap's intervals, which run whatever the model does. Here it gets as far as the
  // missing --data.
  const seeded = await cli("evaluate", ...kept, "--seed", "7");
  assert.doesNotMatch(seeded.stderr, /cannot be combined/);
  assert.match(seeded.stderr, /^candlecast: --data: /);
});

Deno.test("evaluate --checkpoint naming a file or the versions' folder exits 2 saying what to name, as predict does", async () => {
  const data = join(dir, "kind.csv");
  await writeTrainingCsv(data, syntheticSeries(20));
  const versions = join(dir, "kind_checkpoints");
  await Deno.mkdir(join(versions, "v1_2026-01-01"), { recursive: true });
  await Deno.writeTextFile(join(versions, "v1_2026-01-01", "manifest.json"), "{}");
  await Deno.symlink("v1_2026-01-01", join(versions, "current"));
  const cases: [string, RegExp][] = [
    // Before: exit 1, "… is not a usable checkpoint: …/preprocessor.json: cannot read preprocessor.json (Not a
    // directory (os error 20))", after the backend had loaded.
    [data, /^candlecast: --checkpoint: .*kind\.csv is a file, not a checkpoint folder\nhint: /],
    [versions, /^candlecast: --checkpoint: .*kind_checkpoints holds model versions but is not one itself\n/],
  ];
  for (const [checkpoint, message] of cases) {
    const r = await cli("evaluate", "--data", data, "--checkpoint", checkpoint, "--backend", "cpu");
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
  }
});

Deno.test("evaluate trains in the folds and writes evaluation.json, report.html and predictions.csv", async () => {
  const lines: string[] = [];
  const outputDir = join(dir, "fresh");
  // --workers 1, as train takes it (evaluate had none: its folds always took every core).
  const { summary, jsonPath, reportPath, predictionsPath } = await runEvaluation(
    options({ outputDir, workers: "1" }),
    { out: (l) => lines.push(l) },
  );
  assert.ok(lines.some((l) => /cores: members 1–3 one after another on one core/.test(l)), lines.join("\n"));
  assert.equal(summary.model, "lightweight_lstm");
  assert.deepEqual(summary.baselines, [
    "majority",
    "persistence",
    "logistic_regression",
    "gradient_boosting",
  ]);
  assert.equal(summary.folds.length, 2);
  assert.equal(summary.folds[1].action, "update");
  const json = JSON.parse(await Deno.readTextFile(jsonPath));
  assert.equal(json.settings.retrain, "weekly");
  // The candles lookback, horizon and the backtest's holding count. Before: named nowhere in the run's lines,
  // evaluation.json or report.html, so an evaluation of 30m candles read as one of 1h.
  assert.equal(json.settings.interval, "1h");
  assert.match(lines.join("\n"), /^data: 2 symbols, [\d,]+ 1h candles, \d{4}-\d\d-\d\d … /m);
  // Which data made the numbers: the path as typed was all evaluation.json said (an analyst's trial).
  const bytes = await Deno.readFile(options({ outputDir }).data);
  const sha = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(json.settings.data_sha256, sha);
  assert.match(json.settings.data_span.first, /^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/);
  assert.ok(
    json.settings.data_span.candles > 0 && json.settings.data_span.last > json.settings.data_span.first,
  );
  assert.equal(json.overall.lightweight_lstm.metrics.windows, summary.windows);
  assert.ok(json.folds[0].fits.lightweight_lstm.history.length >= 1);
  // Beside each ECE, what sampling alone would give a calibrated model on as many windows.
  const { ece, ece_floor, ece_floor_blocks } = json.overall.lightweight_lstm;
  assert.ok(ece_floor > 0 && ece_floor < 1 && Number.isFinite(ece), `${ece} / ${ece_floor}`);
  // …and the same noise read from the bootstrap's blocks (dependent windows), in the pooled scores, but not
  // from two weeks of 1h candles: 4 blocks of 96, too few to measure it (null; the table shows "–" and says why).
  assert.equal(json.bootstrap.blocks, 4);
  assert.equal(ece_floor_blocks, null);
  assert.equal(json.folds[0].scores.lightweight_lstm.ece_floor_blocks, undefined);
  const html = await Deno.readTextFile(reportPath);
  // One epoch a fold (--epochs 1): the training values are listed, not drawn as curves of lone dots.
  assert.ok(html.includes("Backtest by threshold") && html.includes("Training values (one epoch per fold)"));
  assert.ok(html.includes("ECE floor") && html.includes("by blocks"));
  assert.ok(html.includes("too few to measure it"));
  assert.match(html, /2 symbols, [\d,]+ 1h candles, /);
  const [header, ...rows] = (await Deno.readTextFile(predictionsPath)).trimEnd().split("\n");
  assert.equal(rows.length, summary.windows);
  for (const name of [summary.model, ...summary.baselines]) {
    assert.ok(header.includes(`,${name}_p_up,`), name);
  }
  const text = lines.join("\n");
  // Overall progress across folds: one line per learner's turn, 2 folds × every learner.
  const steps = 2 * (1 + summary.baselines.length);
  assert.match(
    text,
    new RegExp(`^step 1/${steps}: fold 1/2 \\S+, lightweight_lstm \\(\\d+s so far\\)$`, "m"),
  );
  assert.match(
    text,
    new RegExp(
      `^step ${steps}/${steps}: fold 2/2 \\S+, ${summary.baselines.at(-1)} \\(\\S+ so far, ~\\S+ left\\)$`,
      "m",
    ),
  );
  for (
    const heading of [
      "Scores on all 2 folds pooled",
      "ECE floor",
      "Decision rule: argmax vs prior-corrected",
      "Confident calls",
      "Block bootstrap",
      "Per symbol",
      "Backtest by threshold",
    ]
  ) {
    assert.ok(text.includes(heading), `output lacks ${heading}`);
  }
});

Deno.test("evaluate --checkpoint scores a saved version as served, fine-tunes it weekly, rebuilds it monthly", async () => {
  await initBackend("wasm");
  // 100 days from Monday 2023-06-05: one complete month (August) with a month of validation before it.
  const long = syntheticSeries(100);
  const longCsv = join(dir, "long.csv");
  await writeTrainingCsv(longCsv, long);
  // An untrained but complete version whose data ended before any fold.
  const early = long.map((s) => ({ ...s, length: 24 * 20 }));
  const d = prepareDataset(early, {
    lookback: LOOKBACK,
    horizon: 4,
    labelRule: { kind: "volatility", multiplier: 0.5 },
    split: { kind: "fractions", train: 0.7, validation: 0.15 },
  });
  const config = { ...defaultModelConfig("lightweight_lstm", LOOKBACK), lstmHidden: 4, lstmLayers: 1 };
  const model = buildModel(config, 3);
  const preprocessor = testPreprocessor({
    lookback: LOOKBACK,
    scaler: d.scaler,
    clip: 10,
    returnScale: d.returnScale,
    temperature: 1,
  });
  const save = (endMs: number, interval = "1h", p: Preprocessor = preprocessor) =>
    writeVersion(join(dir, "checkpoints"), {
      writeModel: (d) => saveModel(model, d),
      preprocessor: p,
      history: {},
      metrics: {},
      manifest: testManifest({
        dataPath: longCsv,
        endMs,
        symbols: long.map((s) => s.symbol),
        interval,
        hyperparameters: { model: config },
      }),
      exportOnnx: (version) => exportOnnx(model, p, { version }),
    });
  const written = await save(long[0].openTime[24 * 20 - 1]);
  const fourHourly = await save(long[0].openTime[24 * 20 - 1], "4h");
  // As train writes it: the prior rule with its own priors; and one naming the rule without the priors.
  const own: [number, number, number] = [0.5, 0.3, 0.2];
  const ruled = await save(long[0].openTime[24 * 20 - 1], "1h", {
    ...preprocessor,
    decisionRule: "prior",
    classPriors: own,
  });
  const unpriored = await save(long[0].openTime[24 * 20 - 1], "1h", {
    ...preprocessor,
    decisionRule: "prior",
  });
  model.dispose();
  assert.equal(written.onnxError, undefined);
  const name = `lightweight_lstm@${written.version}`;
  const run = (overrides: Record<string, unknown>, io: Parameters<typeof runEvaluation>[1] = quiet) =>
    runEvaluation(options({ data: longCsv, checkpoint: written.dir, ...overrides }), io);

  // Default with a checkpoint: --retrain none, the ONNX model exactly as served, never trained.
  const warnings: string[] = [];
  const served = await run({ retrain: undefined, folds: "1", outputDir: join(dir, "c1") }, {
    ...quiet,
    warn: (l) => warnings.push(l),
  });
  assert.equal(served.summary.model, name);
  assert.deepEqual(served.summary.folds.map((f) => [f.label, f.action, f.fits[name]]), [[
    "2023-08",
    "fit",
    null,
  ]]);
  assert.deepEqual(warnings, []);
  // This version stores no rule (as before the rule was stored): served by argmax, judged by argmax.
  assert.equal(served.summary.bootstrap.decision_rule, "argmax");

  // Weekly: the first week uses the checkpoint as saved (on tfjs), the next is fine-tuned on the new week.
  const weekly = await run({ retrain: "weekly", outputDir: join(dir, "c2") });
  const fits = weekly.summary.folds.map((f) => f.fits[name]);
  assert.equal(fits[0], null);
  assert.ok(fits[1]!.train_windows > 0 && fits[1]!.train_windows <= 2 * 24 * 7); // one new week per symbol
  // Fine-tuned, or rebuilt below, the models are what train writes: judged by the prior rule.
  assert.equal(weekly.summary.bootstrap.decision_rule, "prior");

  // Monthly: rebuilt from the architecture in the manifest and trained before the month.
  const monthly = await run({ retrain: "monthly", folds: "1", outputDir: join(dir, "c3") });
  assert.ok(monthly.summary.folds[0].fits[name]!.train_windows > 24 * 30);
  assert.equal(monthly.summary.bootstrap.decision_rule, "prior");

  // Kept as it is, a version with the prior rule divides by its own priors, as serve does (before: the fold's).
  const asServed = await run({
    checkpoint: ruled.dir,
    retrain: undefined,
    folds: "1",
    outputDir: join(dir, "c6"),
  });
  assert.equal(asServed.summary.bootstrap.decision_rule, "prior");
  assert.deepEqual(asServed.summary.folds[0].priors[`lightweight_lstm@${ruled.version}`], own);
  // Serve refuses a version naming the prior rule without priors; evaluate says so instead of scoring another
  // (preprocessor.json's schema refuses it as the file is read, for every command).
  await assert.rejects(
    run({ checkpoint: unpriored.dir, retrain: undefined, folds: "1", outputDir: join(dir, "c7") }),
    (e: Error) =>
      e instanceof CommandError &&
      /not a usable checkpoint: .*preprocessor\.json: classPriors: missing, and the decision rule it names \(prior\) divides by them/
        .test(e.message),
  );

  // A version trained on 4h candles, kept or fine-tuned, is not scored on 1h ones (before: it was, silently);
  // rebuilt monthly it keeps only its architecture, which 1h candles can train.
  for (const retrain of [undefined, "weekly"]) {
    await assert.rejects(
      runEvaluation(
        options({ data: longCsv, checkpoint: fourHourly.dir, retrain, outputDir: join(dir, "c4") }),
        quiet,
      ),
      (e: Error) =>
        e instanceof UsageError &&
        /long\.csv holds 1h candles, but .* was trained on 4h candles/.test(e.message),
    );
  }
  const rebuilt = await runEvaluation(
    options({
      data: longCsv,
      checkpoint: fourHourly.dir,
      retrain: "monthly",
      folds: "1",
      outputDir: join(dir, "c5"),
    }),
    quiet,
  );
  assert.equal(rebuilt.summary.folds.length, 1);
});

Deno.test("evaluate --checkpoint retrains with the checkpoint's whole recorded configuration, typed flags over it", async () => {
  await initBackend("wasm");
  const long = syntheticSeries(100);
  const longCsv = join(dir, "long_config.csv");
  await writeTrainingCsv(longCsv, long);
  const early = long.map((s) => ({ ...s, length: 24 * 20 }));
  const d = prepareDataset(early, {
    lookback: LOOKBACK,
    horizon: 4,
    labelRule: { kind: "volatility", multiplier: 0.5 },
    split: { kind: "fractions", train: 0.7, validation: 0.15 },
  });
  const config: RunConfig = {
    model: { ...defaultModelConfig("lightweight_lstm", LOOKBACK), lstmHidden: 4, lstmLayers: 1, members: 1 },
    training: {
      ...DEFAULT_TRAINING_RECIPE,
      epochs: 1,
      batchSize: 32,
      maxWindowsPerEpoch: 64,
      maxValidationWindows: 64,
      labelSmoothing: 0.05,
      classWeighting: "sqrt",
      seed: 9,
    },
    data: { horizon: 4, labelRule: { kind: "volatility", multiplier: 0.5 }, clip: 10, split: DEFAULT_SPLIT },
  };
  const model = buildModel(config.model, 3);
  const preprocessor = testPreprocessor({
    lookback: LOOKBACK,
    scaler: d.scaler,
    clip: 10,
    returnScale: d.returnScale,
    temperature: 1,
  });
  const written = await writeVersion(join(dir, "checkpoints_config"), {
    writeModel: (d) => saveModel(model, d),
    preprocessor,
    history: {},
    metrics: {},
    manifest: testManifest({
      dataPath: longCsv,
      endMs: long[0].openTime[24 * 20 - 1],
      symbols: long.map((s) => s.symbol),
      hyperparameters: runConfigJson(config),
    }),
    exportOnnx: (version) => exportOnnx(model, preprocessor, { version }),
  });
  model.dispose();
  // Only what a user typed: no training flags, so the checkpoint's recipe throughout.
  const typed = (more: Record<string, unknown>) =>
    EvaluateFlagsSchema.parse({
      data: longCsv,
      checkpoint: written.dir,
      folds: "1",
      validationMonths: "1",
      outputDir: join(dir, "config_out"),
      lightweightBaseline: false,
      tradeThreshold: "0.4",
      fee: "0.001",
      bootstrap: "50",
      backend: "wasm",
      ...more,
    });
  const expected = JSON.parse(JSON.stringify(runConfigJson(config)));
  // Monthly rebuilds it (one typed training flag over the recorded recipe); weekly fine-tunes it as recorded.
  for (
    const [retrain, folds, more, training] of [
      ["monthly", "1", { patience: "1" }, { ...expected.training, patience: 1 }],
      ["weekly", "2", {}, expected.training],
    ] as const
  ) {
    const { summary, jsonPath } = await runEvaluation(typed({ retrain, folds, ...more }), quiet);
    const json = JSON.parse(await Deno.readTextFile(jsonPath));
    assert.deepEqual(json.settings.config, { ...expected, training }, retrain);
    const fit = summary.folds.at(-1)!.fits[summary.model]!;
    assert.equal(fit.history!.length, 1, `${retrain}: the recorded 1 epoch`);
  }
  // Kept as it is, it trains nothing: settings.config is its recorded recipe, not one with the typed --seed
  // (that seeds the baselines and the bootstrap, recorded as settings.seed), and the report says no budget.
  const kept = await runEvaluation(typed({ retrain: "none", seed: "7" }), quiet);
  const keptJson = JSON.parse(await Deno.readTextFile(kept.jsonPath));
  assert.deepEqual(keptJson.settings.config, expected);
  assert.equal(keptJson.settings.seed, 7);
  assert.match(
    await Deno.readTextFile(kept.reportPath),
    /none: the checkpoint is kept as it is, and no baseline network runs/,
  );
});

/**
 * A tiny lightweight_lstm version whose manifest says it was trained on the first `candles` of `long` (all of
 * them by default), written into `store` under the test folder by each `save()`; `dispose()` frees the model.
 */
function tinyVersion(
  long: CandleSeries[],
  csv: string,
  store: string,
  candles?: number,
  /** A blended version's boosting (train --blend-boosting): preprocessor.json's blend, its trees in the graph. */
  boosting?: BoostedTrees,
  /** The version's recorded label rule (default: the volatility rule). */
  labelRule?: Preprocessor["labelRule"],
) {
  const config = { ...defaultModelConfig("lightweight_lstm", LOOKBACK), lstmHidden: 4, lstmLayers: 1 };
  const seen = candles === undefined ? long : long.map((s) => ({ ...s, length: candles }));
  const d = prepareDataset(seen, {
    lookback: LOOKBACK,
    horizon: 4,
    labelRule: { kind: "volatility", multiplier: 0.5 },
    split: { kind: "fractions", train: 0.7, validation: 0.15 },
  });
  const model = buildModel(config, 3);
  const preprocessor = {
    ...testPreprocessor({
      lookback: LOOKBACK,
      scaler: d.scaler,
      clip: 10,
      returnScale: d.returnScale,
      temperature: 1,
      ...(labelRule ? { labelRule } : {}),
    }),
    ...(boosting ? { blend: { with: "gradient_boosting" as const, weight: 0.5, temperature: 0.9 } } : {}),
  };
  const save = () =>
    writeVersion(join(dir, store), {
      writeModel: (d) => saveModel(model, d),
      preprocessor,
      history: {},
      metrics: {},
      manifest: testManifest({
        dataPath: csv,
        endMs: long[0].openTime[(candles ?? long[0].length) - 1],
        symbols: long.map((s) => s.symbol),
        hyperparameters: { model: config },
      }),
      exportOnnx: (version) => exportOnnx(model, preprocessor, { version, boosting }),
    });
  return { save, dispose: () => model.dispose() };
}

Deno.test("evaluate --checkpoint on data the checkpoint trained on: flagged in-sample, no verdict", async () => {
  await initBackend("wasm");
  const long = syntheticSeries(100);
  const longCsv = join(dir, "long_in_sample.csv");
  await writeTrainingCsv(longCsv, long);
  const version = tinyVersion(long, longCsv, "checkpoints_in_sample");
  const written = await version.save();
  version.dispose();
  const warnings: string[] = [];
  const outputDir = join(dir, "in_sample");
  const { summary, jsonPath, reportPath } = await runEvaluation(
    options({ data: longCsv, checkpoint: written.dir, retrain: undefined, folds: "1", outputDir }),
    { out: () => {}, warn: (l) => warnings.push(l) },
  );
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /in-sample/);
  assert.deepEqual(summary.in_sample?.folds, ["2023-08"]);
  assert.equal(summary.verdict.log_loss, "in-sample: not evidence");
  assert.equal(summary.verdict.macro_f1, "in-sample: not evidence");
  assert.ok(!summary.verdict.lines.some((l) => /beats the best baseline/.test(l)));
  const json = JSON.parse(await Deno.readTextFile(jsonPath));
  assert.equal(json.in_sample.trained_until, new Date(long[0].openTime[long[0].length - 1]).toISOString());
  // No --workers: the cores it defaulted to are recorded (the networks' weights depend on them), not left out.
  assert.equal(json.settings.workers, navigator.hardwareConcurrency);
  assert.equal(json.candlecast_commit, sourceCommit() ?? undefined, "the commit of the code that made it");
  // What ran, not only what was asked ("auto"): the Deno and the kernels, as a version's manifest records them.
  assert.equal(json.runtime.deno, Deno.version.deno);
  assert.match(json.runtime.backend, /^wasm/);
  const html = await Deno.readTextFile(reportPath);
  assert.match(html, /class="warning"><strong>Warning:<\/strong> in-sample: not evidence/);
  assert.doesNotMatch(html, /beats the best baseline/);
});

Deno.test("evaluate --checkpoint kept as it is: the baselines train again at the first fold it never saw", async () => {
  // Trained once at the first fold, they had a month less data than the checkpoint on the judged fold.
  await initBackend("wasm");
  const long = syntheticSeries(130);
  const longCsv = join(dir, "long_refit.csv");
  await writeTrainingCsv(longCsv, long);
  const end = long[0].openTime.findIndex((t) => t >= Date.parse("2023-08-15T00:00:00Z"));
  const version = tinyVersion(long, longCsv, "checkpoints_refit", end);
  const written = await version.save();
  version.dispose();
  const { summary } = await runEvaluation(
    options({
      data: longCsv,
      checkpoint: written.dir,
      retrain: undefined,
      folds: "2",
      outputDir: join(dir, "refit"),
    }),
    quiet,
  );
  assert.deepEqual(summary.folds.map((f) => f.label), ["2023-08", "2023-09"]);
  assert.deepEqual(summary.in_sample?.folds, ["2023-08"]);
  for (const fold of summary.folds) {
    assert.equal(fold.fits[summary.model], null, `${fold.label}: the checkpoint is never trained`);
    assert.ok(fold.fits.gradient_boosting, `${fold.label}: boosting trains`);
  }
});

Deno.test("evaluate --checkpoint refuses a version whose files no longer hash as its manifest says, in every --retrain", async () => {
  await initBackend("wasm");
  const long = syntheticSeries(100);
  const longCsv = join(dir, "long_damaged.csv");
  await writeTrainingCsv(longCsv, long);
  const version = tinyVersion(long, longCsv, "checkpoints_damaged", 24 * 20);
  const save = version.save;
  // Weights changed after training: before, a weekly evaluation fine-tuned and scored them without a word,
  // while models list showed the version CHANGED and export and train --incremental refused it.
  const weights = await save();
  const bytes = await Deno.readFile(join(weights.dir, "weights.bin"));
  bytes[bytes.length - 1] ^= 0x40;
  await Deno.writeFile(join(weights.dir, "weights.bin"), bytes);
  // preprocessor.json cut short: before, "… is not a usable checkpoint" with the hint to point --checkpoint at
  // a version written by train, which it is.
  const truncated = await save();
  const text = await Deno.readTextFile(join(truncated.dir, "preprocessor.json"));
  await Deno.writeTextFile(join(truncated.dir, "preprocessor.json"), text.slice(0, text.length / 2));
  version.dispose();
  const cases: [string, string | undefined, RegExp][] = [
    [weights.dir, "weekly", /weights\.bin: does not match the sha256/],
    [truncated.dir, undefined, /preprocessor\.json: does not match the sha256/],
    [truncated.dir, "weekly", /preprocessor\.json: does not match the sha256/],
    [truncated.dir, "monthly", /preprocessor\.json: does not match the sha256/],
  ];
  for (const [checkpoint, retrain, message] of cases) {
    await assert.rejects(
      runEvaluation(
        options({ data: longCsv, checkpoint, retrain, folds: "1", outputDir: join(dir, "dmg") }),
        quiet,
      ),
      // Reported as written, exit 1 (the damaged version's own error, whichever layer's class it is).
      (e: Error) =>
        e instanceof ReportedError && e.exitCode === 1 && message.test(e.message) &&
        /restore the version's files/.test(e.hint ?? ""),
    );
  }
  // Kept as it is, the weights are not read (serve runs model.onnx): that version is still evaluated.
  const kept = await runEvaluation(
    options({
      data: longCsv,
      checkpoint: weights.dir,
      retrain: undefined,
      folds: "1",
      outputDir: join(dir, "dmg"),
    }),
    quiet,
  );
  assert.equal(kept.summary.folds.length, 1);
});

Deno.test("evaluate --help names every baseline; too many --validation-months is named as the cause", async () => {
  const help = await cli("evaluate", "--help");
  assert.equal(help.code, 0);
  assert.match(
    help.stdout.replace(/\s+/g, " "),
    /majority, persistence, logistic regression, gradient boosting, lightweight_lstm/,
  );
  // 100 days from 2023-06-05: August is the one fold; 3 months of validation start before the data does.
  const long = join(dir, "long_validation.csv");
  await writeTrainingCsv(long, syntheticSeries(100));
  const r = await cli(
    "evaluate",
    ...["--data", long, "--folds", "1", "--validation-months", "3", "--lookback", "12", "--backend", "wasm"],
  );
  // A usage error (2): other flags fix it (before: 1, as if the data were at fault).
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^candlecast: nothing to train on before the first fold: fold 2023-08 .*--validation-months 3/m,
  );
  assert.match(r.stderr, /^hint: use --validation-months 1 /m);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
  // Where neither flag alone leaves training data but both together do, the hint names both.
  // Before: "even one fold with one month of validation leaves nothing to train on", which was untrue.
  const both = await cli(
    "evaluate",
    ...["--data", long, "--folds", "3", "--validation-months", "3", "--lookback", "12", "--backend", "wasm"],
  );
  assert.equal(both.code, 2, both.stderr);
  assert.match(
    both.stderr,
    // The counts named leave the first fold at least 1,000 training windows where any do (train's note).
    /^hint: use --folds 1 --validation-months 1 \(the most that leave at least 1,000 training windows\)/m,
  );
  // 20 days (2023-06-05 … 06-25): no complete month. Before: "fold 2023-05 (test from 2023-05-01) …", a month
  // before the data began.
  const short = join(dir, "twenty_days.csv");
  await writeTrainingCsv(short, syntheticSeries(20));
  const none = await cli("evaluate", ...["--data", short, "--lookback", "12", "--backend", "wasm"]);
  assert.equal(none.code, 1, none.stderr);
  assert.match(
    none.stderr,
    /^candlecast: the data \(2023-06-05 … 2023-06-25\) holds no complete month to test on/m,
  );
  assert.doesNotMatch(none.stderr, /2023-05/);
  // Candles without open times: before, the reason alone, without a hint.
  const untimed = join(dir, "untimed.csv");
  const csvText = await Deno.readTextFile(short);
  await Deno.writeTextFile(
    untimed,
    csvText.split("\n").map((line, i) =>
      i === 0 || line === "" ? line : line.replace(/^([^,]*),[^,]*,/, "$1,,")
    )
      .join("\n"),
  );
  // A header alone: before, "the data has no candles with open times", with a hint to collect them again.
  const header = join(dir, "header_only.csv");
  await Deno.writeTextFile(header, csvText.split("\n")[0] + "\n");
  const empty = await cli("evaluate", ...["--data", header, "--lookback", "12", "--backend", "wasm"]);
  // Exit 2, as train and retrain: the input is what is wrong (before: exit 1, a runtime failure).
  assert.equal(empty.code, 2, empty.stderr);
  assert.match(
    empty.stderr,
    /^candlecast: \S+header_only\.csv holds no candles \(a header alone\)\nhint: fill it once with 'candlecast collect --symbols BTCUSDT,ETHUSDT --interval 1h --months 12 --output \S+header_only\.csv' \(or --source json\/csv\), then run evaluate\n/,
  );
  const noTimes = await cli("evaluate", ...["--data", untimed, "--lookback", "12", "--backend", "wasm"]);
  assert.equal(noTimes.code, 1, noTimes.stderr);
  assert.match(noTimes.stderr, /some candles have no open_time; walk-forward folds are calendar blocks/);
  assert.match(noTimes.stderr, /\nhint: collect \S+untimed\.csv again with its open times/);
});

Deno.test("folds too short for a label (a month of 1w candles at horizon 4) are refused before any training", async () => {
  const weekly = ["SIMAUSDT", "SIMBUSDT"].map((symbol, k) => {
    const s = seriesFromCandles(
      symbol,
      simulateMarket({
        seed: 30 + k,
        start: Date.UTC(2019, 0, 7), // a Monday, where Binance's weeks open
        intervalMs: 7 * 24 * 3_600_000,
        count: 260,
        startPrice: 100,
        baseVolume: 50,
      }),
    );
    computeIndicators(s);
    return s;
  });
  const data = join(dir, "weekly.csv");
  await writeTrainingCsv(data, weekly);
  // Before: every learner trained on the first fold, then "fold 2023-11 …: the test split has no windows" with
  // the hint "use fewer --folds, --retrain weekly, or a CSV with more history", none of which helps.
  const monthly = await cli("evaluate", "--data", data, "--backend", "wasm", "--output-dir", join(dir, "w"));
  assert.equal(monthly.code, 2, monthly.stderr);
  assert.match(
    monthly.stderr,
    /^candlecast: fold \d{4}-\d\d \(test [\d-]+ … [\d-]+\) holds no test window: a window is tested when its label candle, 4 candles after its last one, opens in the same month, and a month holds only [45] 1w candles\nhint: evaluate tests whole months; on 1w candles score one split with 'candlecast train --split-dates VALIDATION_START,TEST_START', or look fewer candles ahead \(--horizon [34]\)\n$/,
  );
  assert.doesNotMatch(monthly.stdout, /step 1\//, "nothing trained");
  const weeks = await cli(
    "evaluate",
    ...["--data", data, "--retrain", "weekly", "--backend", "wasm", "--output-dir", join(dir, "w")],
  );
  assert.equal(weeks.code, 2, weeks.stderr);
  assert.match(
    weeks.stderr,
    /a week holds a single 1w candle\nhint: evaluate tests whole weeks; on 1w candles score one split with 'candlecast train --split-dates VALIDATION_START,TEST_START'\n$/,
  );
  // Month candles open on each month's 1st, 28–31 days apart. Before: "a month holds only 0 1M candles", the
  // commonest step (31 days) dividing a 30-day month.
  const months = ["SIMAUSDT", "SIMBUSDT"].map((symbol, k) => {
    const start = Date.UTC(1995, 0, 1);
    const candles = simulateMarket({
      seed: 40 + k,
      start,
      intervalMs: 1,
      count: 300,
      startPrice: 100,
      baseVolume: 50,
    })
      .map((c, i) => ({ ...c, openTime: addMonths(start, i) }));
    const s = seriesFromCandles(symbol, candles);
    computeIndicators(s);
    return s;
  });
  const monthData = join(dir, "monthly.csv");
  await writeTrainingCsv(monthData, months);
  // Two folds, 2019-11 (30 days) first: a month a 31-day step does not fit in.
  const onMonths = await cli(
    "evaluate",
    ...["--data", monthData, "--folds", "2", "--backend", "wasm", "--output-dir", join(dir, "m")],
  );
  assert.equal(onMonths.code, 2, onMonths.stderr);
  assert.match(
    onMonths.stderr,
    /^candlecast: fold 2019-11 \(test 2019-11-01 … 2019-12-01\) holds no test window: a window is tested when its label candle, 4 candles after its last one, opens in the same month, and a month holds a single 1M candle\nhint: evaluate tests whole months; on 1M candles score one split with 'candlecast train --split-dates VALIDATION_START,TEST_START'\n$/,
  );
});

Deno.test("Ctrl-C after evaluate's last fold writes the complete evaluation and exits 130, not 0", async () => {
  const stop = new AbortController();
  const outputDir = join(dir, "interrupted_late");
  const error = await runEvaluation(options({ outputDir, folds: "1", retrain: "weekly" }), {
    // Pressed while the pooled scores are printed: every fold has finished. Before: "stopping …" was printed
    // and the run then reported success (exit 0).
    out: (l) => void (/^Scores on all|^Scores on the/.test(l) && stop.abort()),
    signal: stop.signal,
  }).then(() => assert.fail("an interrupted evaluation must not report success"), (e) => e);
  assert.ok(stop.signal.aborted, "the press came");
  assert.equal(error.exitCode, 130, String(error));
  assert.match(
    error.message,
    /^evaluation interrupted after its last fold; the complete evaluation was written/,
  );
  const json = JSON.parse(await Deno.readTextFile(join(outputDir, "evaluation.json")));
  assert.equal(json.partial, null);
});

Deno.test("Ctrl-C during evaluate writes the finished folds, marked partial, and exits 130", async () => {
  const stop = new AbortController();
  const outputDir = join(dir, "interrupted");
  const lines: string[] = [];
  const error = await runEvaluation(options({ outputDir, folds: "3", retrain: "weekly" }), {
    out: (l) => {
      lines.push(l);
      // The first press comes while the model trains for the second fold.
      if (/^step \d+\/\d+: fold 2\/3 \S+, lightweight_lstm/.test(l)) stop.abort();
    },
    signal: stop.signal,
  }).then(() => assert.fail("an interrupted evaluation must not report success"), (e) => e);
  assert.equal(error.exitCode, 130, String(error));
  assert.match(
    error.message,
    /^evaluation interrupted; the 1 fold of 3 that finished \(\S+\) was written to /,
  );
  assert.match(error.message, /marked partial$/);
  assert.match(error.hint, / did not run; run the same command again/);
  const json = JSON.parse(await Deno.readTextFile(join(outputDir, "evaluation.json")));
  assert.equal(json.folds.length, 1);
  assert.equal(json.partial.reason, "interrupted");
  assert.deepEqual(json.partial.folds_done, [json.folds[0].label]);
  assert.equal(json.partial.folds_missing.length, 2);
  const rows = (await Deno.readTextFile(join(outputDir, "predictions.csv"))).trimEnd().split("\n").slice(1);
  assert.deepEqual(
    [...new Set(rows.map((r) => r.split(",")[0]))],
    [json.folds[0].label],
    "the finished fold's",
  );
  assert.match(json.verdict.lines[0], /^Interrupted: only fold \S+ finished/);
  assert.ok(
    !json.verdict.lines.some((l: string) => /over these \d+ folds/.test(l)),
    "no claim over all folds",
  );
  const html = await Deno.readTextFile(join(outputDir, "report.html"));
  assert.match(html, /interrupted/);
  assert.match(
    html,
    /<strong>Warning:<\/strong> interrupted: only 1 fold \(\S+\) finished/,
    "a banner, as for in-sample",
  );
  assert.match(lines.join("\n"), /the 1 finished fold \(folds \S+, \S+ did not run\)/);
  // Pressed before any fold finished: nothing is written.
  const early = new AbortController();
  early.abort();
  const none = await runEvaluation(options({ outputDir: join(dir, "interrupted_early") }), {
    ...quiet,
    signal: early.signal,
  }).then(() => assert.fail("must fail"), (e) => e);
  assert.equal(none.exitCode, 130);
  assert.match(none.message, /before its first fold finished; nothing was written/);
  await assert.rejects(Deno.stat(join(dir, "interrupted_early", "evaluation.json")));
});

Deno.test("Ctrl-C while evaluate reads the CSV ends the read there; nothing is written (exit 130)", async () => {
  // Before, the stop was heard while the file streamed in but acted on once all of it was read (12 s on 25
  // symbols, 244 MB).
  const data = join(dir, "long.csv");
  await writeTrainingCsv(data, syntheticSeries(400));
  const { signal, progress, readLessThanWhole } = stopOnRead(data);
  const outputDir = join(dir, "interrupted_reading");
  const error = await runEvaluation(options({ data, outputDir }), { ...quiet, signal, progress })
    .then(() => assert.fail("must fail"), (e) => e);
  assert.equal(error.exitCode, 130, String(error));
  assert.match(error.message, /before its first fold finished; nothing was written/);
  await readLessThanWhole();
  await assert.rejects(Deno.stat(join(outputDir, "evaluation.json")));
});

Deno.test("Ctrl-C of a re-run keeps the complete evaluation already in --output-dir; the partial one goes beside it", async () => {
  const outputDir = join(dir, "rerun");
  const complete = await runEvaluation(options({ outputDir, folds: "2" }), quiet);
  const before = await Deno.readTextFile(complete.jsonPath);
  const reportBefore = await Deno.readTextFile(complete.reportPath);
  const predictionsBefore = await Deno.readTextFile(complete.predictionsPath);
  const stop = new AbortController();
  const lines: string[] = [];
  const error = await runEvaluation(options({ outputDir, folds: "2" }), {
    out: (l) => {
      lines.push(l);
      if (/^step \d+\/\d+: fold 2\/2 \S+, lightweight_lstm/.test(l)) stop.abort();
    },
    signal: stop.signal,
  }).then(() => assert.fail("an interrupted evaluation must not report success"), (e) => e);
  assert.equal(error.exitCode, 130, String(error));
  assert.match(lines[0], /holds an earlier evaluation: this run replaces it when it finishes/);
  // What the run promised: the earlier evaluation is replaced only by a finished one.
  assert.equal(await Deno.readTextFile(join(outputDir, "evaluation.json")), before);
  assert.equal(await Deno.readTextFile(join(outputDir, "report.html")), reportBefore);
  assert.equal(await Deno.readTextFile(join(outputDir, "predictions.csv")), predictionsBefore);
  const partial = JSON.parse(await Deno.readTextFile(join(outputDir, "evaluation.partial.json")));
  assert.equal(partial.folds.length, 1);
  assert.equal(partial.partial.reason, "interrupted");
  assert.match(await Deno.readTextFile(join(outputDir, "report.partial.html")), /interrupted/);
  const partialRows = (await Deno.readTextFile(join(outputDir, "predictions.partial.csv"))).trimEnd().split(
    "\n",
  );
  assert.deepEqual([...new Set(partialRows.slice(1).map((r) => r.split(",")[0]))], [partial.folds[0].label]);
  assert.match(
    error.message,
    /written to \S+evaluation\.partial\.json, \S+report\.partial\.html and \S+predictions\.partial\.csv, marked partial$/,
  );
  assert.match(error.hint, /the complete evaluation in \S+ is kept until it finishes/);
  // The next complete run replaces evaluation.json and removes the partial one, now older than it.
  await runEvaluation(options({ outputDir, folds: "2" }), quiet);
  assert.deepEqual((await Array.fromAsync(Deno.readDir(outputDir))).map((e) => e.name).sort(), [
    "evaluation.json",
    "predictions.csv",
    "report.html",
  ]);
});

Deno.test("evaluate --output-dir naming a file fails before any fold, as a usage error (exit 2)", async () => {
  const file = new URL(import.meta.url).pathname;
  const started = performance.now();
  const { code, stderr } = await runCandlecast(["evaluate", "--data", file, "--output-dir", file]);
  assert.equal(code, 2, stderr);
  assert.match(
    stderr,
    /--output-dir: .*evaluation\.json cannot be written: .* is a file, not a folder\nhint: /,
  );
  assert.ok(performance.now() - started < 30_000, "refused before any work");
});

Deno.test("a read that fails after its progress was drawn clears the bar, so the error starts its own line", async () => {
  // A bad row late in the CSV: the bar "reading … 5/11 MB ETA 0s" was left drawn on the terminal, and the
  // error ran on after it on the same line.
  const bad = join(dir, "bad_row.csv");
  const text = await Deno.readTextFile(csv);
  await Deno.writeTextFile(bad, text + "BTCUSDT,abc,1,1,1,1,1,,,,,,,\n");
  const events: string[] = [];
  await assert.rejects(
    runEvaluation(options({ data: bad, outputDir: join(dir, "bad_row") }), {
      out: () => {},
      progress: {
        update: (_d, _t, label) => void events.push(label),
        clear: () => void events.push("clear"),
      },
    }),
    /\(open_time\)/,
  );
  assert.ok(events.some((label) => label.includes(`reading ${bad}`)), events.join(", "));
  assert.equal(events.at(-1), "clear", `the bar is cleared before the error: ${events.slice(-3).join(", ")}`);
});

Deno.test("evaluate --checkpoint of a blended version kept as it is says its scores are the blend's", async () => {
  await initBackend("wasm");
  const long = syntheticSeries(100);
  const longCsv = join(dir, "long_blend.csv");
  await writeTrainingCsv(longCsv, long);
  // Boosting that predicts its priors (no tree): enough for model.onnx to serve a blend.
  const boosting: BoostedTrees = {
    lags: GBDT_LAGS,
    columns: FEATURE_COUNT * GBDT_LAGS.length,
    classes: 3,
    initial: [-1, 0, -1],
    temperature: 1,
    classMeanReturn: [-0.01, 0, 0.01],
    trees: [],
  };
  const version = tinyVersion(long, longCsv, "checkpoints_blend", 24 * 20, boosting);
  const written = await version.save();
  version.dispose();
  assert.equal(written.onnxError, undefined);
  const lines: string[] = [];
  const { summary } = await runEvaluation(
    options({
      data: longCsv,
      checkpoint: written.dir,
      retrain: undefined,
      folds: "1",
      outputDir: join(dir, "bl"),
    }),
    { out: (l) => lines.push(l), warn: () => {} },
  );
  // Scored as served: the blend is not blended again, and the run says whose scores its rows are. Before,
  // nothing on the terminal told them from the network's ("lightweight_lstm@v1_…" alike).
  assert.equal(summary.blend, null);
  const said = lines.filter((l) => l.startsWith(`${summary.model} serves a blend`));
  assert.deepEqual(said, [
    `${summary.model} serves a blend (0.5 × the network + 0.5 × gradient boosting): kept as it is, its scores ` +
    "here are the blend's; --retrain monthly scores the network alone, with the blend beside it",
  ]);
});

Deno.test("evaluate refuses sizes the WebAssembly heap cannot hold before any fold, as train does (exit 2)", async () => {
  // Before: the first fold failed "unexpected failure: Array buffer allocation failed … this is a bug".
  await initBackend("wasm");
  await assert.rejects(
    runEvaluation(options({ lstmHidden: "100000", members: "1" }), quiet),
    (e: Error) =>
      e instanceof UsageError &&
      /^--lstm-hidden 100000 --layers 1 --members 1: the lightweight_lstm would hold at least/.test(
        e.message,
      ) &&
      /'candlecast evaluate --help' shows them/.test(e.hint ?? ""),
  );
  await assert.rejects(
    runEvaluation(options({ model: "transformer_lstm", lookback: "1000", batchSize: "256" }), quiet),
    (e: Error) => e instanceof UsageError && /^--lookback 1000 at --batch-size 256: /.test(e.message),
  );
});

Deno.test("evaluate refuses a fold whose training windows lack a class, as train does, before any learner trains", async () => {
  // Before: --threshold 0.5 (meant as 0.5 %) labelled every window SIDEWAYS, and every learner was reported
  // perfect: "accuracy 1.0000, log-loss 0.0000 … confidence can be read as a probability" (a quant's trial).
  await initBackend("wasm");
  const lines: string[] = [];
  await assert.rejects(
    runEvaluation(options({ threshold: "0.5", outputDir: join(dir, "one_class") }), {
      out: (l) => lines.push(l),
    }),
    (e: Error) =>
      e instanceof CommandError &&
      /^fold \S+'s training windows of .*synthetic\.csv hold no DOWN and no UP label \(DOWN 0, SIDEWAYS \d+, UP 0\): a model cannot learn a class it never sees; nothing was evaluated$/
        .test(e.message) &&
      /--threshold 0\.5 is a return fraction \(50 %, 0\.005 is 0\.5 %\): give a smaller one/.test(
        e.hint ?? "",
      ),
  );
  assert.ok(!lines.some((l) => /trains/.test(l)), lines.join("\n"));
});

Deno.test("evaluate --checkpoint whose label rule leaves a class out of the first fold: refused, with a hint it can follow", async () => {
  // The hint said "--threshold 0.5 … give a smaller one", a flag evaluate refuses with --checkpoint (a review).
  await initBackend("wasm");
  const long = syntheticSeries(100);
  const longCsv = join(dir, "long_one_class.csv");
  await writeTrainingCsv(longCsv, long);
  const version = tinyVersion(long, longCsv, "checkpoints_one_class", 600, undefined, {
    kind: "fixed",
    threshold: 0.5,
  });
  const written = await version.save();
  version.dispose();
  await assert.rejects(
    runEvaluation(
      options({
        data: longCsv,
        checkpoint: written.dir,
        retrain: "weekly",
        folds: "1",
        outputDir: join(dir, "oc"),
      }),
      quiet,
    ),
    (e: Error) =>
      e instanceof CommandError && /hold no DOWN and no UP label/.test(e.message) &&
      /recorded label rule leaves that class out of these windows/.test(e.hint ?? "") &&
      !/--threshold/.test(e.hint ?? ""),
  );
});
