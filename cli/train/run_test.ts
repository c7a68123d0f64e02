import assert from "node:assert/strict";
import { join } from "node:path";
import {
  candleAt,
  type CandleSeries,
  computeIndicators,
  type Ohlcv,
  seriesFromCandles,
  sliceSeries,
  writeTrainingCsv,
} from "../../features/index.ts";
import { haveRealData, loadRealSeries } from "../../test/real_data.ts";
import { syntheticSeries } from "../../test/evaluation.ts";
import { inputScalingOf, loadModel, VOLATILITY_LAYER } from "../../ml/models/index.ts";
import { MIN_TEMPERATURE_WINDOWS } from "../../ml/evaluate/index.ts";
import { escapeXml } from "../../ml/report/index.ts";
import { parsePreprocessor } from "../../engine/preprocessor.ts";
import { sourceCommit } from "../../engine/index.ts";
import {
  currentVersion,
  listVersionNames,
  type Manifest,
  promote,
  readManifest,
  rollback,
  sha256Hex,
  verifyVersion,
} from "../../ml/checkpoints/index.ts";
import { runTraining, type TrainIo } from "./run.ts";
import { csvOf, options } from "./run_test_support.ts";
import { TrainFlagsSchema } from "./options.ts";
import { CommandError, InterruptedError, UsageError } from "../errors.ts";
import { FIRST_PRESS } from "../train.ts";
import { stopOnRead } from "../../test/stop_on_read.ts";
import { abandonedRuns } from "../train_runs/folder/index.ts";
import { candlecastCommand } from "../../test/cli.ts";
import { tryLockFile } from "../../base/index.ts";

const real = haveRealData();

/** manifest.json's `hyperparameters`: the run configuration as JSON. */
interface RunConfigJson {
  model: Record<string, unknown>;
  training: Record<string, unknown>;
  data: Record<string, unknown>;
}

const quiet: TrainIo = { out: () => {} };

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "candlecast-train-" });
}

Deno.test({
  name: "train writes a complete, loadable version with test metrics beside baselines, and promotes it",
  ignore: !real,
  async fn() {
    const dir = await tempDir();
    const checkpoints = join(dir, "checkpoints");
    const lines: string[] = [];
    const outcome = await runTraining(options(await csvOf(dir, "a.csv", 400), checkpoints), {
      out: (l) => lines.push(l),
    });
    assert.equal(outcome.promoted, true);
    assert.equal(outcome.onnxError, undefined);
    assert.equal(await currentVersion(checkpoints), outcome.version);
    assert.match(outcome.version, /^v1_\d{4}-\d{2}-\d{2}$/);

    const manifest = await readManifest(outcome.dir);
    assert.equal(manifest.parent, null);
    assert.deepEqual(manifest.symbols, ["BTCUSDT", "ETHUSDT"]);
    assert.equal(manifest.interval, "1h");
    assert.equal(manifest.backend, "wasm");
    const recorded = JSON.parse(await Deno.readTextFile(join(outcome.dir, "manifest.json")));
    assert.equal(recorded.runtime.deno, Deno.version.deno);
    assert.match(recorded.runtime.backend, /^wasm \(cpu\); matrix products: /);
    assert.deepEqual(
      Object.keys(manifest.files).sort(),
      [
        "history.json",
        "metrics.json",
        "model.json",
        "model.onnx",
        "preprocessor.json",
        "report.html",
        "weights.bin",
      ],
    );
    assert.deepEqual(await verifyVersion(outcome.dir, manifest.files), []);

    const metrics = JSON.parse(await Deno.readTextFile(join(outcome.dir, "metrics.json")));
    for (const m of [metrics.test, ...Object.values(metrics.baselines) as typeof metrics.test[]]) {
      for (const key of ["accuracy", "macro_f1", "log_loss", "brier", "regression_mae", "sign_accuracy"]) {
        assert.equal(typeof m[key], "number", key);
      }
      // Predicting no change's MAE beside the return MAE, and the predicted returns' rank correlation (null
      // where a learner's prediction is constant, as majority's).
      assert.equal(typeof m.no_change_mae, "number");
      // The same windows for every learner (summed in another order: equal to rounding).
      assert.ok(Math.abs(m.no_change_mae - metrics.test.no_change_mae) < 1e-12);
      assert.ok(m.return_rank_correlation === null || typeof m.return_rank_correlation === "number");
      assert.equal(m.confusion_matrix.length, 3);
      assert.deepEqual(Object.keys(m.per_class), ["DOWN", "SIDEWAYS", "UP"]);
    }
    assert.deepEqual(Object.keys(metrics.baselines), [
      "majority",
      "persistence",
      "logistic_regression",
      "gradient_boosting",
    ]);
    // A class the served rule never names has no precision: "–", not "0.000" (a trial saw "precision DOWN 0.000");
    // one named fewer than 30 times has its count beside it (a trial saw "UP 0.667" from 4 calls).
    assert.equal(typeof metrics.test.return_rank_correlation, "number"); // the test split keeps the returns
    // The terminal says in words whether the return head beats predicting no change (before: a bare MAE).
    assert.ok(
      lines.some((l) => l.includes("The model's return head (expected_return): MAE")),
      "no return-head line",
    );
    // The test log-loss against the baselines in words, as report.html's verdict opens.
    assert.ok(
      lines.some((l) => /^Log-loss \d\.\d{4} vs the best baseline's \(/.test(l)),
      "no log-loss verdict",
    );
    const servedLine = lines.find((l) => l.startsWith("served rule"))!;
    for (const [k, c] of [[0, "DOWN"], [2, "UP"]] as const) {
      const named = metrics.served.metrics.predicted_share[c] > 0;
      const calls = (metrics.served.metrics.confusion_matrix as number[][]).reduce((n, row) => n + row[k], 0);
      const precision = !named
        ? "– \\(never named\\)"
        : calls < 30
        ? `\\d\\.\\d{3} from ${calls} calls?`
        : "\\d\\.\\d{3}";
      assert.match(servedLine, new RegExp(`${c} ${precision} \\(base rate`));
    }
    // Under it, in words, what those calls and the confidence are worth (ml/evaluate/served_calls.ts).
    const served = lines.indexOf(servedLine);
    assert.match(lines[served + 1], /^Served calls: DOWN /);
    // The calibration of what is served as confidence: the named class's probability under the prior rule.
    assert.equal(metrics.served.rule, "prior");
    assert.ok(
      lines[served + 2].startsWith(
        "Calibration of confidence (the probability of the class the 'prior' rule names): ECE " +
          `${metrics.served.confidence_ece.toFixed(4)}, where a perfectly calibrated model`,
      ),
      lines[served + 2],
    );
    assert.ok(metrics.served.confidence_ece_floor > 0 && metrics.served.confidence_ece_floor < 1);
    // Its bins too, which the words "more at some confidence levels" point at: every window in one of them.
    assert.equal(
      metrics.served.confidence_reliability.reduce((n: number, b: { count: number }) => n + b.count, 0),
      metrics.test.confusion_matrix.flat().reduce((a: number, n: number) => a + n, 0),
    );
    // The served rule's calibration, beside what sampling alone would give a calibrated model.
    assert.ok(metrics.served.ece_floor > 0 && metrics.served.ece_floor < 1, String(metrics.served.ece_floor));
    // The baselines under the served rule too, so decisions are compared like with like.
    assert.deepEqual(Object.keys(metrics.served.baselines), Object.keys(metrics.baselines));
    assert.equal(typeof metrics.served.baselines.gradient_boosting.macro_f1, "number");
    // And their calls and the calibration of the confidence each would serve, for the model's to be read beside
    // (before: accuracy, macro-F1 and shares only). Persistence keeps its own calls: its matrix is its argmax one.
    for (const [name, b] of Object.entries(metrics.served.baselines) as [string, Record<string, unknown>][]) {
      assert.deepEqual(
        (b.confusion_matrix as number[][]).flat().reduce((a, n) => a + n, 0),
        metrics.test.confusion_matrix.flat().reduce((a: number, n: number) => a + n, 0),
        name,
      );
      assert.ok(b.confidence_ece as number >= 0 && (b.confidence_ece_floor as number) > 0, name);
    }
    assert.deepEqual(
      metrics.served.baselines.persistence.confusion_matrix,
      metrics.baselines.persistence.confusion_matrix,
    );
    const history = JSON.parse(await Deno.readTextFile(join(outcome.dir, "history.json")));
    assert.equal(history.epochs.length, 2);

    const preprocessor = parsePreprocessor(
      JSON.parse(await Deno.readTextFile(join(outcome.dir, "preprocessor.json"))),
    );
    assert.equal(preprocessor.lookback, 12);
    assert.equal(preprocessor.clip, 10);
    // Calibrated at the end of training: a fitted temperature and the training split's class priors.
    assert.ok(Number.isFinite(preprocessor.temperature) && preprocessor.temperature > 0);
    const priors = preprocessor.classPriors!;
    assert.ok(Math.abs(priors[0] + priors[1] + priors[2] - 1) < 1e-9);
    const report = await Deno.readTextFile(join(outcome.dir, "report.html"));
    assert.match(report, new RegExp(outcome.version));
    assert.doesNotMatch(report, /<script|https?:\/\//, "self-contained: no scripts, nothing fetched");
    // What train printed about the model, report.html's verdict says in the same words: a reviewer reading the
    // page alone never saw "a bot should not act on them", nor the notes on splits too small to say much.
    const box = report.indexOf('<div class="verdict">');
    const verdict = report.slice(box, report.indexOf("</div>", box));
    const notes = lines.filter((l) => l.startsWith("  note: ")).map((l) => `Note: ${l.slice(8)}.`);
    assert.ok(notes.length > 0, "the fixture's small splits print notes");
    for (const line of [lines[served + 1], lines[served + 2], ...notes]) {
      assert.ok(verdict.includes(escapeXml(line)), `report.html's verdict lacks: ${line}`);
    }
    const model = await loadModel(join(checkpoints, "current"));
    assert.deepEqual(model.outputNames, ["class_logits", "regression", "attention"]);
    model.dispose();
    assert.ok(lines.some((l) => l.startsWith("epoch 2/2")));
    // The test-split table, indented under its title as evaluate's tables are.
    const table = lines.indexOf("Test split");
    assert.ok(table >= 0, lines.join("\n"));
    assert.ok(lines.slice(table).some((l) => /^ {2}logistic_regression /.test(l)));
    assert.ok(lines.slice(table).some((l) => /^ {2}gradient_boosting /.test(l)));
    // Boosting's kept iterations, after the table and in metrics.json: 0 scores exactly as majority (a 2h
    // run's did, with nothing saying why).
    const iterations = metrics.baselines.gradient_boosting.iterations;
    assert.ok(Number.isInteger(iterations) && iterations >= 0, String(iterations));
    const said = lines.slice(table).find((l) => l.startsWith("gradient_boosting: "));
    assert.match(
      said ?? lines.join("\n"),
      iterations === 0
        ? /^gradient_boosting: 0 iterations kept \(no tree improved the validation log-loss, so it gives the training class shares, as majority does\)$/
        : new RegExp(`^gradient_boosting: ${iterations} iterations? kept$`),
    );
    // The version's report.html says the same under its test table.
    assert.ok(report.includes(escapeXml(said!)), "report.html lacks the kept iterations");
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "train --resume of a fine-tune started with --warmup-steps before that was refused continues, as a fresh run does",
  ignore: !real,
  async fn() {
    const dir = await tempDir();
    try {
      const checkpoints = join(dir, "checkpoints");
      await runTraining(options(await csvOf(dir, "a.csv", 400), checkpoints, { epochs: "1" }), quiet);
      const grown = await csvOf(dir, "b.csv", 700);
      // A fine-tune of the one_cycle parent typed --warmup-steps 5, as was accepted before 80160a8 (started
      // here under --schedule warmup, which takes it; its run folder records the flags as the old run did).
      const recorded = { incremental: true, epochs: "3", warmupSteps: "5", promote: false };
      const stop = new AbortController();
      const started = await runTraining(options(grown, checkpoints, { ...recorded, schedule: "warmup" }), {
        out: (line) => {
          if (line.startsWith("epoch 1/")) stop.abort();
        },
        signal: stop.signal,
        flags: { ...recorded, data: grown, checkpoints },
      });
      assert.ok(started.interrupted && started.resumable, JSON.stringify(started));
      const run = (await abandonedRuns(checkpoints)).find((r) => r.state !== null);
      assert.ok(run?.state, "a run folder to resume");
      // Before: exit 2, "--warmup-steps applies to the warmup schedule only", and --resume takes no other flags,
      // so the run had no way forward (a fresh run's resume passes, and so does a fine-tune's now).
      const resumed = await runTraining(options(grown, checkpoints, recorded), {
        ...quiet,
        flags: run.state.flags,
        resume: { dir: run.dir, state: run.state },
      });
      assert.ok(!resumed.interrupted, JSON.stringify(resumed));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "incremental fine-tunes current on the newer data only, keeps its scaler and records the parent",
  ignore: !real,
  async fn() {
    const dir = await tempDir();
    const checkpoints = join(dir, "checkpoints");
    const lines: string[] = [];
    const heard: TrainIo = { out: (line) => void lines.push(line) };
    const first = await runTraining(options(await csvOf(dir, "a.csv", 400), checkpoints), heard);
    const grown = await csvOf(dir, "b.csv", 700); // the same candles plus 300 newer ones
    // Distillation asked for on a fine-tune's few hundred windows: turned off (no teacher), and recorded so.
    const second = await runTraining(
      options(grown, checkpoints, { incremental: true, epochs: "1", distillWeight: "0.2" }),
      heard,
    );
    assert.equal(await currentVersion(checkpoints), second.version);
    const calibrated = lines.filter((l) => l.startsWith("calibrated: "));
    assert.match(
      calibrated[0],
      /temperature [\d.]+ \(fit on \d+ validation windows\); warning: fewer than 200 /,
    );
    assert.match(
      calibrated[1],
      new RegExp(`temperature [\\d.]+ kept from ${first.version}: the fine-tune has \\d+ validation windows`),
    );

    const parentManifest = await readManifest(first.dir);
    const manifest = await readManifest(second.dir);
    assert.equal(manifest.parent, first.version);
    const full: Manifest = JSON.parse(await Deno.readTextFile(join(second.dir, "manifest.json")));
    assert.equal(Date.parse(full.data.since!), parentManifest.data.end_ms);
    // Only windows labelled after the parent's last candle: 300 new candles per symbol, minus the purged cuts.
    const windows = full.data.windows;
    const total = windows.train + windows.validation + windows.test;
    assert.ok(total <= 2 * 300 && total >= 2 * (300 - 2 * 4 - 4), `${total} windows`);

    const read = async (d: string) =>
      parsePreprocessor(JSON.parse(await Deno.readTextFile(join(d, "preprocessor.json"))));
    const [parent, child] = [await read(first.dir), await read(second.dir)];
    assert.deepEqual(child.scaler, parent.scaler);
    assert.deepEqual(child.returnScale, parent.returnScale);
    assert.equal(child.lookback, parent.lookback);
    // Too few new validation windows to refit a temperature: the parent's is kept, and the manifest says so.
    // Before: refit on the fine-tune's ~80 windows, whatever that gave.
    assert.ok(windows.validation < MIN_TEMPERATURE_WINDOWS, `${windows.validation} validation windows`);
    assert.equal(child.temperature, parent.temperature);
    assert.equal(full.training.temperature_windows, 0);
    assert.equal(full.training.temperature_from, first.version);
    const parentFull: Manifest = JSON.parse(await Deno.readTextFile(join(first.dir, "manifest.json")));
    assert.equal(parentFull.training.temperature_windows, parentFull.data.windows.validation);
    // The request stays in hyperparameters (a later fine-tune decides again on its data); what ran is beside it.
    // Before: only the request, 0.2, though the log said distillation was off.
    assert.ok(lines.some((l) => l.includes("distillation: off for this run")));
    assert.equal(
      (full.hyperparameters as { training: { distillWeight: number } }).training.distillWeight,
      0.2,
    );
    assert.equal(full.training.distill_weight_applied, 0);
    assert.equal(parentFull.training.distill_weight_applied, undefined, "not distilling: nothing to record");

    // The same candles 4 h apart: refused before training (exit 2), naming both intervals; current untouched.
    // Before: fine-tuned the 1h version on them and promoted the child, recorded as "4h".
    const btc = sliceSeries(await loadRealSeries("BTCUSDT"), 50_000, 50_700);
    const start = btc.openTime[0];
    const csv4h = join(dir, "c.csv");
    await writeTrainingCsv(csv4h, [{
      ...btc,
      openTime: btc.openTime.map((_, i) => start + i * 4 * 3_600_000),
    }]);
    const printed: string[] = [];
    await assert.rejects(
      runTraining(options(csv4h, checkpoints, { incremental: true, epochs: "1" }), {
        out: (line) => printed.push(line),
      }),
      (e: Error) =>
        e instanceof UsageError &&
        /--incremental: .*c\.csv holds 4h candles, but .* was trained on 1h candles/.test(e.message),
    );
    // Refused from the version's manifest alone, before a backend is started for its weights.
    assert.deepEqual(printed.filter((line) => line.startsWith("backend:")), []);
    assert.equal(await currentVersion(checkpoints), second.version);

    // Candles without open times (a C# export without "t"): no telling which are new, so refused (exit 2).
    // Before: every window counted as new, and the version was trained again on what it had seen.
    const untimed = join(dir, "u.csv");
    await writeTrainingCsv(untimed, [{ ...btc, openTime: btc.openTime.map(() => NaN) }]);
    await assert.rejects(
      runTraining(options(untimed, checkpoints, { incremental: true, epochs: "1" }), quiet),
      (e: Error) => e instanceof UsageError && /--incremental: .*u\.csv has no open times/.test(e.message),
    );
    assert.equal(await currentVersion(checkpoints), second.version);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "the whole run configuration is recorded and read back: --incremental continues with the parent's " +
    "(typed flags override), --config-from starts from a version's, an older manifest's pieces are derived",
  ignore: !real,
  async fn() {
    const dir = await tempDir();
    const checkpoints = join(dir, "checkpoints");
    const data = await csvOf(dir, "a.csv", 400);
    const recipe = { labelSmoothing: "0.1", weightDecay: "0.001", maxWindowsPerEpoch: "200", epochs: "1" };
    const first = await runTraining(options(data, checkpoints, recipe), quiet);
    const recorded = (await readManifest(first.dir)).hyperparameters as RunConfigJson;
    assert.deepEqual(recorded.model, {
      type: "transformer_lstm",
      lookback: 12,
      features: 35,
      dModel: 8,
      heads: 2,
      ffnDim: 16,
      encoderLayers: 1,
      lstmHidden: 4,
      lstmLayers: 1,
      dropout: 0.1,
      members: 1,
      // transformer_lstm's defaults
      volatilityChannels: true,
      volatilityReference: "last",
      headInput: "pooled_last",
    });
    assert.deepEqual(recorded.data, {
      horizon: 4,
      labelRule: { kind: "volatility", multiplier: 0.5 },
      clip: 10,
      split: { kind: "fractions", train: 0.7, validation: 0.15 },
    });
    assert.equal(recorded.training.labelSmoothing, 0.1);
    assert.equal(recorded.training.classWeighting, "sqrt");
    assert.equal(recorded.training.maxValidationWindows, 20_000);

    // Only the flags a user typed: the rest is the parent's, not train's defaults.
    const typed = (more: Record<string, unknown>) =>
      TrainFlagsSchema.parse({ data: grown, checkpoints, backend: "wasm", ...more });
    const grown = await csvOf(dir, "b.csv", 700);
    const child = await runTraining(typed({ incremental: true, patience: "2" }), quiet);
    const childConfig = (await readManifest(child.dir)).hyperparameters as RunConfigJson;
    assert.deepEqual(childConfig, { ...recorded, training: { ...recorded.training, patience: 2 } });

    // --config-from: a new model from scratch with a version's configuration, typed flags over it.
    const fresh = await runTraining(typed({ configFrom: first.dir, seed: "8", promote: false }), quiet);
    const freshManifest = await readManifest(fresh.dir);
    assert.equal(freshManifest.parent, null);
    assert.deepEqual(freshManifest.hyperparameters, {
      ...recorded,
      training: { ...recorded.training, seed: 8 },
    });

    // A parent written before the whole configuration was recorded: its pieces are read, the rest derived.
    const manifestPath = join(checkpoints, "current", "manifest.json");
    const manifest = JSON.parse(await Deno.readTextFile(manifestPath));
    manifest.hyperparameters = {
      model: recorded.model,
      training: {
        ...recorded.training,
        classWeighting: undefined,
        classWeights: [1, 1, 1],
        labelSmoothing: 0.2,
      },
      class_weighting: "balanced",
      lookback: 12,
      horizon: 4,
      label_rule: recorded.data.labelRule,
      clip: 10,
    };
    await Deno.writeTextFile(manifestPath, JSON.stringify(manifest));
    const newer = await csvOf(dir, "c.csv", 1000); // 300 candles newer than the child's
    const fromOlder = await runTraining(typed({ data: newer, incremental: true }), quiet);
    const olderConfig = (await readManifest(fromOlder.dir)).hyperparameters as RunConfigJson;
    assert.deepEqual(olderConfig, {
      ...recorded,
      training: { ...recorded.training, labelSmoothing: 0.2, classWeighting: "balanced" },
    });

    // A record of a model that does not parse (no type or heads: hand-edited). Before, a fine-tune recorded
    // today's default shape as its own (beside weights of another) and --config-from trained that shape.
    const edited = JSON.parse(await Deno.readTextFile(manifestPath)); // current's: the version just promoted
    edited.hyperparameters = {
      model: { dModel: 16, ffnDim: 32, encoderLayers: 2, lstmHidden: 64, lstmLayers: 2, dropout: 0.1 },
    };
    await Deno.writeTextFile(manifestPath, JSON.stringify(edited));
    const unreadable =
      /its manifest\.json's hyperparameters\.model is missing, not valid, or of another model type/;
    await assert.rejects(
      runTraining(typed({ data: newer, incremental: true }), quiet),
      (e) => e instanceof CommandError && unreadable.test(e.message) && /from scratch/.test(e.hint ?? ""),
    );
    await assert.rejects(
      runTraining(typed({ configFrom: join(checkpoints, "current"), promote: false }), quiet),
      (e) => e instanceof CommandError && e.message.startsWith("--config-from: cannot start from"),
    );
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "an interrupted run saves the best so far unpromoted; a failed run saves nothing; current is untouched",
  ignore: !real,
  async fn() {
    const dir = await tempDir();
    const checkpoints = join(dir, "checkpoints");
    const data = await csvOf(dir, "a.csv", 400);
    const first = await runTraining(options(data, checkpoints), quiet);

    const stop = new AbortController();
    // Two members: the interrupt comes during the first, so the version keeps that one only.
    const interrupted = await runTraining(options(data, checkpoints, { epochs: "5", members: "2" }), {
      out: () => {},
      signal: stop.signal,
      afterBatch: (epoch, batch) => {
        if (epoch === 2 && batch === 3) stop.abort();
      },
    });
    assert.equal(interrupted.interrupted, true);
    assert.equal(interrupted.promoted, false);
    assert.equal(await currentVersion(checkpoints), first.version);
    const manifest = await readManifest(interrupted.dir);
    assert.equal(manifest.training?.stop_reason, "interrupted");
    const hyper = manifest.hyperparameters as { model: { members: number } };
    assert.equal(hyper.model.members, 1);

    await assert.rejects(
      runTraining(options(data, checkpoints), {
        out: () => {},
        afterBatch: () => {
          throw new Error("disk on fire");
        },
      }),
      /disk on fire/,
    );
    assert.equal(await currentVersion(checkpoints), first.version);
    assert.deepEqual(await listVersionNames(checkpoints), [first.version, interrupted.version]);
    const leftovers: string[] = [];
    for await (const e of Deno.readDir(checkpoints)) if (e.name.endsWith(".tmp")) leftovers.push(e.name);
    assert.deepEqual(leftovers, []);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "a `current` made a folder while training: the version is saved, and the hint promotes that one",
  ignore: !real,
  async fn() {
    const dir = await tempDir();
    const checkpoints = join(dir, "checkpoints");
    const data = await csvOf(dir, "a.csv", 400);
    await runTraining(options(data, checkpoints), quiet);
    let swapped = false;
    const failed = runTraining(options(data, checkpoints), {
      out: () => {},
      afterBatch: async () => {
        if (swapped) return;
        swapped = true;
        await Deno.remove(join(checkpoints, "current"));
        await Deno.mkdir(join(checkpoints, "current"));
      },
    });
    await assert.rejects(failed, (error: CommandError) => {
      assert.ok(error instanceof CommandError, String(error));
      assert.match(
        error.message,
        /^saved \S+v2_\S+ \(not promoted\): \S+current is not a symlink to a version$/,
      );
      // One promote command, for the version saved (it read "…promote VERSION … then recreates it; then
      // '…promote v2…'", two commands).
      assert.match(
        error.hint!,
        /^move it away; 'candlecast models promote v2_\S+ --checkpoints \S+' then recreates it$/,
      );
      return true;
    });
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "a rollback made by hand while train --incremental runs stays: the fine-tune is saved, not promoted, and says so",
  ignore: !real,
  async fn() {
    const dir = await tempDir();
    try {
      const checkpoints = join(dir, "checkpoints");
      const data = await csvOf(dir, "a.csv", 400);
      const first = await runTraining(options(data, checkpoints, { epochs: "1" }), quiet);
      const second = await runTraining(options(data, checkpoints, { epochs: "1", seed: "4" }), quiet);
      // The operator rolls back from second while its fine-tune trains: before, the fine-tune of second was
      // promoted over first at the end, undoing the rollback with only "saved …; current → v3…".
      let rolledBack: Promise<unknown> | undefined;
      const lines: string[] = [];
      const third = await runTraining(
        options(await csvOf(dir, "b.csv", 700), checkpoints, { incremental: true, epochs: "2" }),
        {
          out: (line) => void lines.push(line),
          afterBatch: () => void (rolledBack ??= rollback(checkpoints)),
        },
      );
      await rolledBack;
      assert.equal(third.promoted, false);
      assert.equal(third.interrupted, false);
      assert.equal(await currentVersion(checkpoints), first.version, "the rollback stays");
      assert.equal((await readManifest(third.dir)).parent, second.version);
      assert.deepEqual(await verifyVersion(third.dir, (await readManifest(third.dir)).files), []);
      assert.deepEqual(lines.slice(-2), [
        `saved ${third.dir} (not promoted): ${
          join(checkpoints, "current")
        } was changed during the run, from ` +
        `${second.version} to ${first.version} (by a 'models promote' or 'models rollback', or another train ` +
        "or retrain); that change is left in place",
        `${third.version} is a fine-tune of ${second.version}; to serve it: 'candlecast models promote ` +
        `${third.version} --checkpoints ${checkpoints}'`,
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "train --resume compares current with where it pointed when the run first started: a hand promote since stays",
  ignore: !real,
  async fn() {
    const dir = await tempDir();
    try {
      const checkpoints = join(dir, "checkpoints");
      const data = await csvOf(dir, "a.csv", 400);
      const first = await runTraining(options(data, checkpoints, { epochs: "1" }), quiet);
      const recorded = { epochs: "3", seed: "4" };
      const stop = new AbortController();
      const started = await runTraining(options(data, checkpoints, recorded), {
        out: (line) => line.startsWith("epoch 1/") && stop.abort(),
        signal: stop.signal,
        flags: { ...recorded, data, checkpoints },
      });
      assert.ok(started.interrupted && started.resumable, JSON.stringify(started));
      const run = (await abandonedRuns(checkpoints)).find((r) => r.state !== null);
      assert.equal(run?.state?.current, first.version, "run.json records current at the start");
      // Between the stop and the resume the operator serves the interrupted version by hand.
      await promote(checkpoints, started.version);
      const lines: string[] = [];
      const resumed = await runTraining(options(data, checkpoints, recorded), {
        out: (line) => void lines.push(line),
        flags: run!.state!.flags,
        resume: { dir: run!.dir, state: run!.state! },
      });
      assert.equal(resumed.promoted, false);
      assert.equal(await currentVersion(checkpoints), started.version, "the hand promote stays");
      const current = join(checkpoints, "current");
      assert.ok(
        lines.includes(
          `note: ${current} is ${started.version} now, ${first.version} when this run started: it was changed ` +
            "since (by hand, or another train or retrain), so the resumed run's version will be saved but not " +
            "promoted over that change",
        ),
        lines.join("\n"),
      );
      assert.match(
        lines.at(-2)!,
        new RegExp(`changed during the run, from ${first.version} to ${started.version} `),
      );
      assert.equal(
        lines.at(-1),
        `to serve it: 'candlecast models promote ${resumed.version} --checkpoints ${checkpoints}'`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the same candles with the symbols listed in another order train the same model", async () => {
  // The reader sorts the series by symbol: in the file's order, another order drew the windows, and so the
  // shuffle, otherwise, and trained other weights on the same candles (a folder read in another order, a
  // symbol appended by a merge).
  const dir = await tempDir();
  const series = syntheticSeries(30, ["SIMAUSDT", "SIMBUSDT", "SIMCUSDT"]);
  const [sorted, reversed] = [join(dir, "sorted.csv"), join(dir, "reversed.csv")];
  await writeTrainingCsv(sorted, series);
  await writeTrainingCsv(reversed, [...series].reverse());
  const opts = { promote: false, epochs: "1", members: "1", workers: "1" };
  const a = await runTraining(options(sorted, join(dir, "a"), opts), quiet);
  const b = await runTraining(options(reversed, join(dir, "b"), opts), quiet);
  const [ma, mb] = [await readManifest(a.dir), await readManifest(b.dir)];
  assert.notEqual(ma.data.sha256, mb.data.sha256, "the two files differ in their bytes");
  assert.equal(mb.files["weights.bin"], ma.files["weights.bin"]);
  assert.equal(mb.files["metrics.json"], ma.files["metrics.json"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "the same seed trains the same weights; --no-promote leaves current alone",
  ignore: !real,
  async fn() {
    const dir = await tempDir();
    const checkpoints = join(dir, "checkpoints");
    const data = await csvOf(dir, "a.csv", 300);
    const a = await runTraining(options(data, checkpoints, { promote: false }), quiet);
    const b = await runTraining(options(data, checkpoints, { promote: false }), quiet);
    assert.equal(await currentVersion(checkpoints), null);
    const [ma, mb] = [await readManifest(a.dir), await readManifest(b.dir)];
    assert.equal(ma.files["weights.bin"], mb.files["weights.bin"]);
    assert.equal(ma.files["metrics.json"], mb.files["metrics.json"]);
    // The cores are recorded: the weights depend on them up to float rounding (a model training alone splits
    // its batches across them), and by default they are the machine's, so a rerun elsewhere needs the number.
    assert.equal(ma.training?.workers, navigator.hardwareConcurrency);
    assert.equal(ma.training?.resumed, undefined, "a run that was not resumed says nothing of a resume");
    // The data's bytes too: the same span and counts can hide other candles, so only the hash says a rerun had
    // the same data.
    assert.equal(ma.data.sha256, await sha256Hex(await Deno.readFile(data)));
    // And the code: the version string stayed "0.1.0" across recipe changes; a checkout's commit says which.
    assert.equal((ma as { candlecast_commit?: string }).candlecast_commit, sourceCommit() ?? undefined);
    const one = await runTraining(options(data, checkpoints, { promote: false, workers: "1" }), quiet);
    assert.equal((await readManifest(one.dir)).training?.workers, 1);
    const c = await runTraining(options(data, checkpoints, { promote: false, seed: "4" }), quiet);
    assert.notEqual((await readManifest(c.dir)).files["weights.bin"], ma.files["weights.bin"]);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "train --volatility-channels: the channels use the training scaler, ONNX matches, --incremental keeps them",
  ignore: !real,
  async fn() {
    const dir = await tempDir();
    const checkpoints = join(dir, "checkpoints");
    const flags = { volatilityChannels: true, members: "2", epochs: "1" };
    const lines: string[] = [];
    const first = await runTraining(options(await csvOf(dir, "a.csv", 300), checkpoints, flags), {
      out: (line) => lines.push(line),
    });
    // An ensemble's summary speaks per member, not of a summed epoch count.
    assert.ok(
      lines.some((l) => /^done: members trained 1 \/ 1 epochs, best epochs 1 \/ 1 /.test(l)),
      lines.join("\n"),
    );
    // …and so do history.json and the manifest: each member's best epoch and epochs, not only the last one's.
    const history = JSON.parse(await Deno.readTextFile(join(first.dir, "history.json")));
    assert.deepEqual([history.best_epochs, history.member_epochs], [[1, 1], [1, 1]]);
    const training = (await readManifest(first.dir)).training as Record<string, unknown>;
    assert.deepEqual([training.best_epochs, training.member_epochs], [[1, 1], [1, 1]]);
    // Promoted only after ONNX Runtime matched the trained model (checkedOnnxExport).
    assert.equal(first.onnxError, undefined);
    assert.equal(first.promoted, true);
    const hyper = (await readManifest(first.dir)).hyperparameters as {
      model: { volatilityChannels: boolean };
    };
    assert.equal(hyper.model.volatilityChannels, true);
    const read = async (d: string) =>
      parsePreprocessor(JSON.parse(await Deno.readTextFile(join(d, "preprocessor.json"))));
    const preprocessor = await read(first.dir);
    const model = await loadModel(first.dir);
    assert.ok(model.layers.some((l) => l.name === VOLATILITY_LAYER));
    assert.deepEqual(inputScalingOf(model), {
      scaler: { mean: preprocessor.scaler.mean, std: preprocessor.scaler.std },
      clip: preprocessor.clip,
    });
    model.dispose();

    // Fine-tuning keeps the parent's scaler, and so the statistics its channels were built with.
    const grown = await csvOf(dir, "b.csv", 500);
    const second = await runTraining(options(grown, checkpoints, { incremental: true, epochs: "1" }), quiet);
    assert.equal(second.onnxError, undefined);
    const child = await loadModel(second.dir);
    assert.deepEqual(inputScalingOf(child)!.scaler.mean, preprocessor.scaler.mean);
    assert.deepEqual((await read(second.dir)).scaler, preprocessor.scaler);
    child.dispose();
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "--incremental fine-tunes on newer windows that lack a class; only fresh training refuses them",
  ignore: !real,
  async fn() {
    // A fine-tune on a calm (here: steadily rising) stretch may see one class only; its parent has learnt the
    // others and its label rule is not the user's to change, so the class refusal is for fresh training alone.
    const dir = await tempDir();
    const checkpoints = join(dir, "checkpoints");
    const first = await runTraining(
      options(await csvOf(dir, "a.csv", 400), checkpoints, { threshold: "0.005", epochs: "1" }),
      quiet,
    );
    // The same 400 real candles per symbol, then 300 that rise 0.2 % an hour: every newer window is UP.
    const rising = join(dir, "rising.csv");
    const series: CandleSeries[] = [];
    for (const symbol of ["BTCUSDT", "ETHUSDT"]) {
      const real = sliceSeries(await loadRealSeries(symbol), 50_000, 50_400);
      const candles: Ohlcv[] = Array.from({ length: real.length }, (_, i) => candleAt(real, i));
      let { close, openTime, volume } = candles.at(-1)!;
      for (let i = 0; i < 300; i++) {
        const open = close;
        close = open * 1.002;
        openTime = openTime! + 3_600_000;
        candles.push({ openTime, open, high: close * 1.001, low: open * 0.999, close, volume });
      }
      const s = seriesFromCandles(symbol, candles);
      computeIndicators(s);
      series.push(s);
    }
    await writeTrainingCsv(rising, series);
    // Before the refusal was made fresh-only (985fd6f) this threw "hold no DOWN label".
    const second = await runTraining(options(rising, checkpoints, { incremental: true, epochs: "1" }), quiet);
    assert.equal((await readManifest(second.dir)).parent, first.version);
    // The rising candles alone, trained fresh under the same rule: refused, nothing trained.
    const risingOnly = join(dir, "rising_only.csv");
    await writeTrainingCsv(risingOnly, series.map((s) => sliceSeries(s, 400, 700)));
    await assert.rejects(
      runTraining(options(risingOnly, checkpoints, { threshold: "0.005", epochs: "1" }), quiet),
      (e: Error) => /hold no DOWN and no SIDEWAYS label \(DOWN 0, SIDEWAYS 0, UP \d+\)/.test(e.message),
    );
    assert.equal(await currentVersion(checkpoints), second.version);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "a stop that comes after training has ended saves the version whole but does not promote it; one during the promote lets it finish",
  ignore: !real,
  async fn() {
    const dir = await tempDir();
    const checkpoints = join(dir, "checkpoints");
    const data = await csvOf(dir, "a.csv", 400);
    const first = await runTraining(options(data, checkpoints, { epochs: "1" }), quiet);
    // Ctrl-C while the trained model is calibrated, scored and saved (the "served rule" lines).
    const stop = new AbortController();
    const phases: string[] = [];
    const second = await runTraining(options(data, checkpoints, { epochs: "1" }), {
      ...quiet,
      signal: stop.signal,
      onPhase: (phase) => {
        phases.push(phase);
        if (phase === "saving") stop.abort();
      },
    });
    assert.deepEqual(phases, ["training", "saving"]);
    assert.equal(second.interrupted, false);
    assert.equal(second.stoppedAfterTraining, true);
    assert.equal(second.promoted, false);
    assert.equal(await currentVersion(checkpoints), first.version);
    const manifest = await readManifest(second.dir);
    assert.notEqual(manifest.training?.stop_reason, "interrupted");
    assert.deepEqual(await verifyVersion(second.dir, manifest.files), []);
    assert.deepEqual(await listVersionNames(checkpoints), [first.version, second.version]);

    // Ctrl-C once current is being switched: the switch finishes, and the run is not reported as stopped.
    const late = new AbortController();
    const third = await runTraining(options(data, checkpoints, { epochs: "1" }), {
      ...quiet,
      signal: late.signal,
      onPhase: (phase) => phase === "promoting" && late.abort(),
    });
    assert.equal(third.promoted, true);
    assert.equal(third.stoppedAfterTraining, false);
    assert.equal(await currentVersion(checkpoints), third.version);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "a stop while the windows are labelled ends the run at once with nothing saved (exit 130)",
  ignore: !real,
  async fn() {
    const dir = await tempDir();
    const checkpoints = join(dir, "checkpoints");
    const data = await csvOf(dir, "a.csv", 400);
    // Before, the stop was heard only once labelling ended; the run then trained a batch, calibrated, scored
    // the test split and the baselines (45 s on the five 1h series) and saved a version of one batch.
    const stop = new AbortController();
    const phases: string[] = [];
    const error = await runTraining(options(data, checkpoints), {
      ...quiet,
      flags: {},
      signal: stop.signal,
      onPhase: (phase) => phases.push(phase),
      progress: {
        update: (done, _total, label) => label === "labelling the windows" && done === 1 && stop.abort(),
        clear: () => {},
      },
    }).then(() => null, (e) => e);
    assert.ok(error instanceof InterruptedError, String(error));
    assert.match(error.message, /interrupted before it started; nothing was saved/);
    assert.deepEqual(phases, []);
    // No version, no run folder for --resume: nothing was trained.
    const left = await Array.fromAsync(Deno.readDir(checkpoints)).catch(() => []);
    assert.deepEqual(left.map((e) => e.name), []);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("a stop while the CSV is read ends the read there, and the run with nothing saved (exit 130)", async () => {
  const dir = await tempDir();
  const checkpoints = join(dir, "checkpoints");
  const data = join(dir, "a.csv");
  await writeTrainingCsv(data, syntheticSeries(400, ["SIMAUSDT", "SIMBUSDT"]));
  // Before, the stop was heard while the file streamed in but acted on once all of it was read (12 s on 25
  // symbols, 244 MB), and the reading bar ran to its end.
  const { signal, progress, readLessThanWhole } = stopOnRead(data);
  const error = await runTraining(options(data, checkpoints), { ...quiet, flags: {}, signal, progress })
    .then(() => null, (e) => e);
  assert.ok(error instanceof InterruptedError, String(error));
  assert.match(error.message, /interrupted before it started; nothing was saved/);
  await readLessThanWhole();
  const left = await Array.fromAsync(Deno.readDir(checkpoints)).catch(() => []);
  assert.deepEqual(left.map((e) => e.name), []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name:
    "--incremental puts the parent's class weights back into its bias before fine-tuning (no drift per fine-tune)",
  ignore: !real,
  async fn() {
    const dir = await tempDir();
    // Removed however the test ends: before, every run left this candlecast-train-* folder behind.
    try {
      const checkpoints = join(dir, "checkpoints");
      const first = await runTraining(
        options(await csvOf(dir, "a.csv", 400), checkpoints, { classWeights: "balanced" }),
        quiet,
      );
      // A rate so small that the fine-tune moves no weight to 1e-6: only calibration touches the class bias.
      const second = await runTraining(
        options(await csvOf(dir, "b.csv", 700), checkpoints, {
          incremental: true,
          epochs: "1",
          learningRate: "1e-12",
        }),
        quiet,
      );
      const weightsOf = async (d: string) => (await readManifest(d)).training!.class_weights!;
      const biasOf = async (d: string) => {
        const model = await loadModel(d);
        const bias = Array.from(await model.getLayer("class_logits").getWeights()[1].data());
        model.dispose();
        return bias;
      };
      const [wParent, wChild] = [await weightsOf(first.dir), await weightsOf(second.dir)];
      const [parent, child] = [await biasOf(first.dir), await biasOf(second.dir)];
      // Calibrated parent: b − ln w_parent. Put back, fine-tuned (unchanged), calibrated again: b − ln w_child.
      // Before, the parent's calibrated bias lost ln w_child on top: b − ln w_parent − ln w_child.
      const expected = parent.map((b, k) => b + Math.log(wParent[k]) - Math.log(wChild[k]));
      expected.forEach((e, k) => assert.ok(Math.abs(child[k] - e) < 1e-5, `class ${k}: ${child[k]} vs ${e}`));
      assert.ok(
        wParent.some((w) => Math.abs(Math.log(w)) > 0.05),
        "the parent's weights are far enough from 1",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "train reports the progress of reading, labelling, calibrating and scoring, not only of the epochs",
  ignore: !real,
  async fn() {
    // On a large CSV each phase took a minute or more with no output at all (2.2M 15m candles: 28 s before the
    // first line, 57 s labelling; 25 symbols of 1h: 60 s calibrating), which reads as a hang in a log.
    const dir = await tempDir();
    // Removed however the test ends: before, every run left this candlecast-train-* folder behind.
    try {
      const data = await csvOf(dir, "a.csv", 400);
      const seen = new Map<string, { done: number; total: number; unit?: string }>();
      await runTraining(options(data, join(dir, "checkpoints"), { epochs: "1" }), {
        out: () => {},
        progress: {
          update: (done, total, label, _text, unit) => void seen.set(label, { done, total, unit }),
          clear: () => {},
        },
      });
      const size = (await Deno.stat(data)).size;
      assert.deepEqual(seen.get(`reading ${data}`), {
        done: Math.floor(size / 2 ** 20),
        total: Math.ceil(size / 2 ** 20),
        unit: "MB",
      });
      for (
        const label of [
          "labelling the windows",
          "calibrating on the validation split",
          "scoring the test split",
        ]
      ) {
        const last = seen.get(label);
        assert.ok(last, `no progress for ${label}: ${[...seen.keys()].join(", ")}`);
        assert.equal(last.done, last.total, label);
      }
      // Boosting's count is its iterations of at most 1000 (it stops when validation stops improving).
      assert.equal(seen.get("gradient boosting baseline")?.unit, "iterations at most");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a read that fails after its progress was drawn clears the bar, so the error starts its own line", async () => {
  // A bad row late in the CSV: the bar "reading … 5/11 MB ETA 0s" was left drawn on the terminal, and the
  // error ran on after it on the same line ("… ETA 0scandlecast: … line 50001 (open_time): …").
  const dir = await tempDir();
  const data = join(dir, "bad.csv");
  const row = "BTCUSDT,1500000000000,1,1,1,1,1,,,,,,,";
  await Deno.writeTextFile(
    data,
    "symbol,open_time,open,high,low,close,volume,rsi,macd,macd_signal,macd_hist,ema,stoch_k,stoch_d\n" +
      `${row}\nBTCUSDT,abc,1,1,1,1,1,,,,,,,\n`,
  );
  const events: string[] = [];
  await assert.rejects(
    runTraining(options(data, join(dir, "checkpoints")), {
      out: () => {},
      progress: {
        update: (_d, _t, label) => void events.push(label),
        clear: () => void events.push("clear"),
      },
    }),
    /line 3 \(open_time\)/,
  );
  assert.ok(events.includes(`reading ${data}`), events.join(", "));
  assert.equal(events.at(-1), "clear", `the bar is cleared before the error: ${events.join(", ")}`);
  await Deno.remove(dir, { recursive: true });
});

/** Enough training windows for a teacher (MIN_TEACHER_WINDOWS): three real symbols, 12,000 candles each. */
async function teacherSizedCsv(dir: string): Promise<string> {
  const series: CandleSeries[] = [];
  for (const symbol of ["BTCUSDT", "ETHUSDT", "BNBUSDT"]) {
    series.push(sliceSeries(await loadRealSeries(symbol), 30_000, 42_000));
  }
  const data = join(dir, "d.csv");
  await writeTrainingCsv(data, series);
  return data;
}

Deno.test({
  name:
    "train: a stop while distillation's teacher is fitted saves nothing, in the phase whose message says so",
  ignore: !real,
  async fn() {
    const dir = await tempDir();
    try {
      const data = await teacherSizedCsv(dir);
      const checkpoints = join(dir, "checkpoints");
      const controller = new AbortController();
      const phases: string[] = [];
      const io: TrainIo = {
        out: (line) => {
          if (line.startsWith("distillation: fitting")) controller.abort();
        },
        signal: controller.signal,
        onPhase: (phase) => void phases.push(phase),
      };
      await assert.rejects(
        runTraining(options(data, checkpoints, { distillWeight: "0.2", epochs: "1" }), io),
        (e: Error) => {
          assert.ok(e instanceof InterruptedError, String(e));
          assert.match(e.message, /nothing was saved/);
          return true;
        },
      );
      // The stop landed in "teacher", whose first-press message says nothing will be saved. Before, the phase
      // was "training", whose message said the best weights so far would be saved.
      assert.deepEqual(phases, ["training", "teacher", "training"]);
      assert.match(FIRST_PRESS.teacher, /nothing will be saved/);
      assert.deepEqual(await listVersionNames(checkpoints), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "train --resume: a stop while distillation's teacher is fitted again keeps the phase whose message says " +
    "the best weights so far are saved, as they are",
  ignore: !real,
  async fn() {
    const dir = await tempDir();
    try {
      const data = await teacherSizedCsv(dir);
      const checkpoints = join(dir, "checkpoints");
      const flags = { distillWeight: "0.2", epochs: "3", members: "1", promote: false };
      // The first run is stopped in its second epoch: its run folder keeps the first epoch's best weights.
      const first = new AbortController();
      const started = await runTraining(options(data, checkpoints, flags), {
        out: (line) => {
          if (line.startsWith("epoch 1/")) first.abort();
        },
        signal: first.signal,
        flags: { ...flags, data, checkpoints },
      });
      assert.ok(started.interrupted && started.resumable, JSON.stringify(started));
      const run = (await abandonedRuns(checkpoints)).find((r) => r.state !== null);
      assert.ok(run?.state, "a run folder to resume");
      // Resumed, the teacher is fitted again; a stop then saves the run's best weights as a version.
      const second = new AbortController();
      const phases: string[] = [];
      const resumed = await runTraining(options(data, checkpoints, flags), {
        out: (line) => {
          if (line.startsWith("distillation: fitting")) second.abort();
        },
        signal: second.signal,
        onPhase: (phase) => void phases.push(phase),
        flags: run.state.flags,
        resume: { dir: run.dir, state: run.state },
      });
      assert.ok(resumed.interrupted, JSON.stringify(resumed));
      assert.ok((await listVersionNames(checkpoints)).includes(resumed.version));
      // Before: "teacher", whose first press said nothing would be saved, though a version then was.
      assert.ok(!phases.includes("teacher"), phases.join(", "));
      assert.match(FIRST_PRESS[phases[0] as keyof typeof FIRST_PRESS], /best weights so far will be saved/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("train --resume runs again in full the epoch a stop cut short, instead of counting it done", async () => {
  const dir = await tempDir();
  try {
    const data = join(dir, "data.csv");
    await writeTrainingCsv(data, syntheticSeries(20, ["SIMAUSDT", "SIMBUSDT"]));
    const checkpoints = join(dir, "checkpoints");
    const flags = { epochs: "2", members: "2", workers: "1", promote: false };
    // Stopped a few batches into member 2's last epoch (the second time an epoch 2 reaches its batch 2).
    const stop = new AbortController();
    let reached = 0;
    const started = await runTraining(options(data, checkpoints, flags), {
      ...quiet,
      signal: stop.signal,
      afterBatch: (epoch, batch) => {
        if (epoch === 2 && batch === 2 && ++reached === 2) stop.abort();
      },
      flags: { ...flags, data, checkpoints },
    });
    assert.ok(started.interrupted && started.resumable, JSON.stringify(started));
    const run = (await abandonedRuns(checkpoints)).find((r) => r.state !== null);
    assert.ok(run?.state, "a run folder to resume");
    assert.equal(run.state.members[1].history.at(-1)?.partial, true, "member 2's epoch 2 was cut short");
    // The interrupted version's manifest says so, for report.html's "trained 2 / 2 (the last cut short) epochs".
    const cut = (await readManifest(started.dir)).training as Record<string, unknown>;
    assert.deepEqual([cut.member_epochs, cut.cut_short], [[2, 2], [2]]);

    const lines: string[] = [];
    const resumed = await runTraining(options(data, checkpoints, flags), {
      out: (line) => lines.push(line),
      flags: run.state.flags,
      resume: { dir: run.dir, state: run.state },
    });
    const said = lines.join("\n");
    assert.ok(!resumed.interrupted, said);
    assert.match(
      said,
      /member 2\/2 1 epoch done, epoch 2 cut short \(it runs again in full\), best epoch \d/,
    );
    // Before: member 2 had "2 epochs done" of 2, trained nothing, and the resume saved the same weights again.
    assert.match(said, /^member 2\/2: epoch 2\/2 /m);
    assert.doesNotMatch(said, /^member 1\/2: epoch/m, "the finished member is not trained again");
    assert.match(
      said,
      /^cut short before the resume: member 2\/2's epoch 2 ran again in full( \(val_calibrated_log_loss \d\.\d{4}\) without beating (its cut-short run|epoch 1) \(\d\.\d{4}\), whose weights stay)?$/m,
    );
    assert.match(said, /^done: members trained 2 \/ 2 epochs, /m);
    const history = JSON.parse(await Deno.readTextFile(join(resumed.dir, "history.json")));
    const second = history.epochs.filter((e: { member: number }) => e.member === 2);
    assert.deepEqual(second.map((e: { epoch: number; partial: boolean }) => [e.epoch, e.partial]), [
      [1, false],
      [2, false],
    ]);
    assert.notEqual(resumed.version, started.version);
    const whole = (await readManifest(resumed.dir)).training as Record<string, unknown>;
    assert.equal(whole.cut_short, undefined, "every epoch of the finished run ran whole");
    assert.match(
      await Deno.readTextFile(join(started.dir, "report.html")),
      /trained 2 \/ 2 \(the last cut short\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a new run's start names the damaged file or refused flag value of the run it keeps, which --resume refuses, instead of offering --resume", async () => {
  const dir = await tempDir();
  try {
    const data = join(dir, "data.csv");
    await writeTrainingCsv(data, syntheticSeries(20, ["SIMAUSDT", "SIMBUSDT"]));
    const checkpoints = join(dir, "checkpoints");
    const flags = { epochs: "2", members: "1", workers: "1", promote: false };
    // Stopped in its second epoch: its first is kept for --resume.
    const stop = new AbortController();
    const stopped = await runTraining(options(data, checkpoints, flags), {
      ...quiet,
      signal: stop.signal,
      afterBatch: (epoch, batch) => {
        if (epoch === 2 && batch === 2) stop.abort();
      },
      // As train records them (--backend has a default): the kept run's flags are parsed as --resume parses them.
      flags: { ...flags, data, checkpoints, backend: "wasm" },
    });
    assert.ok(stopped.interrupted && stopped.resumable, JSON.stringify(stopped));
    const [run] = await abandonedRuns(checkpoints);
    assert.ok(run?.state, "a run folder to resume");
    const weights = join(run.dir, "member_1.weights");
    const whole = await Deno.readFile(weights);
    const state = await Deno.readTextFile(join(run.dir, "run.json"));
    const { epochsDone } = run.state.members[0];
    const started = async () => {
      const lines: string[] = [];
      const fresh = { epochs: "1", members: "1", workers: "1", promote: false };
      await runTraining(options(data, checkpoints, fresh), { out: (line) => lines.push(line), flags: fresh });
      const kept = lines.filter((line) => line.startsWith("an earlier run stopped"));
      assert.equal(kept.length, 1, lines.join("\n"));
      return kept[0];
    };
    const keptIn =
      `an earlier run stopped after ${epochsDone} epoch${epochsDone === 1 ? "" : "s"} is kept in ` +
      `${run.dir}; `;
    const dropIt = `start a new run without --resume; 'rm -r ${run.dir}' drops this one, which train and ` +
      "models list otherwise keep naming";

    // Its weights file cut short. Before: "'candlecast train --resume --checkpoints …' continues it", and
    // --resume then refused the run, naming the file (as models list now does).
    await Deno.writeFile(weights, whole.subarray(0, whole.length - 2));
    assert.equal(
      await started(),
      keptIn + "'candlecast train --resume' cannot resume it: its member_1.weights is damaged (values cut " +
        `short); ${dropIt}`,
    );
    // Its run.json's numbers contradicting each other (before: offered too).
    await Deno.writeFile(weights, whole);
    const contradicted = JSON.parse(state);
    contradicted.members[0].history = [];
    await Deno.writeTextFile(join(run.dir, "run.json"), JSON.stringify(contradicted));
    assert.equal(
      await started(),
      keptIn +
        "'candlecast train --resume' cannot resume it: its run.json is damaged (members[0].epochsDone " +
        `is ${epochsDone} but its history records 0 epochs); ${dropIt}`,
    );
    await Deno.writeTextFile(join(run.dir, "run.json"), state);
    // A folder where its weights file was, which --resume fails on too: said, and the new run goes on (the
    // check must not stop it; before, the kept run's weights were not read at a new run's start).
    await Deno.remove(weights);
    await Deno.mkdir(weights);
    assert.equal(
      await started(),
      keptIn + `'candlecast train --resume' cannot resume it: its files cannot be read (${weights} is a ` +
        `folder, not a regular file); make its files readable, or 'rm -r ${run.dir}' drops it`,
    );
    await Deno.remove(weights);
    await Deno.writeFile(weights, whole);
    // A flag value an older candlecast recorded and this one refuses (--epochs 1e3). Before: "'candlecast
    // train --resume --checkpoints …' continues it", and --resume then refused the run over it (exit 2).
    const lenient = JSON.parse(state);
    lenient.flags.epochs = "1e3";
    await Deno.writeTextFile(join(run.dir, "run.json"), JSON.stringify(lenient));
    assert.equal(
      await started(),
      keptIn +
        "'candlecast train --resume' cannot resume it: it was started with a value this candlecast does " +
        `not take (--epochs: expected a positive integer, written in decimal digits ("1e3" is 1000: give that)); ` +
        `start a new run with a value 'candlecast train --help' allows (remove ${run.dir} to drop this one, ` +
        "which train and models list otherwise keep naming), or finish it with the candlecast version that " +
        "started it",
    );
    await Deno.writeTextFile(join(run.dir, "run.json"), state);
    // Whole again: offered, as before.
    assert.equal(
      await started(),
      keptIn + `'candlecast train --resume --checkpoints ${checkpoints}' continues it`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "a run stopped between saving its version and promoting it leaves its folder: --resume and models list name the version",
  ignore: !real,
  async fn() {
    const dir = await tempDir();
    try {
      const checkpoints = join(dir, "checkpoints");
      const data = await csvOf(dir, "a.csv", 400);
      const first = await runTraining(options(data, checkpoints, { epochs: "1" }), quiet);
      // Where a SIGKILL (an OOM kill, a power cut) could land: the version is whole, current not switched yet.
      // Before, the run folder was already gone there, and --resume said to start a new run.
      const kept = join(dir, "kept-run");
      const second = await runTraining(options(data, checkpoints, { epochs: "1" }), {
        ...quiet,
        flags: { epochs: "1", data, checkpoints },
        onPhase: (phase) => {
          if (phase !== "promoting") return;
          const [run] = [...Deno.readDirSync(checkpoints)].filter((e) => e.name.startsWith(".train_"));
          assert.ok(run, "the run folder is still there when current is switched");
          new Deno.Command("cp", { args: ["-a", join(checkpoints, run.name), kept] }).outputSync();
        },
      });
      assert.equal(second.promoted, true);
      const runs = [...Deno.readDirSync(checkpoints)].filter((e) => e.name.startsWith(".train_"));
      assert.deepEqual(runs, [], "and gone once the run ends");
      // The kill, replayed: the folder as it was, current still the first version.
      const runName = (await readManifest(second.dir)).training?.run;
      assert.ok(runName, "the version names its run");
      await Deno.rename(kept, join(checkpoints, String(runName)));
      await rollback(checkpoints);
      assert.equal(await currentVersion(checkpoints), first.version);
      const [saved] = (await abandonedRuns(checkpoints)).filter((r) => r.savedAs !== undefined);
      assert.equal(saved?.savedAs, second.version);
      const resumed = await candlecastCommand(["train", "--resume", "--checkpoints", checkpoints]).output();
      const err = new TextDecoder().decode(resumed.stderr);
      assert.equal(resumed.code, 1, err);
      assert.ok(
        err.includes(`had trained and saved ${second.version}, and was stopped before it ended`) &&
          err.includes(`hint: 'candlecast models promote ${second.version} --checkpoints `),
        err,
      );
      const listed = await candlecastCommand(["models", "list", "--checkpoints", checkpoints]).output();
      const out = new TextDecoder().decode(listed.stdout) + new TextDecoder().decode(listed.stderr);
      assert.ok(
        out.includes(
          `saved ${second.version} and was stopped before it ended, ${second.version} not current`,
        ),
        out,
      );
      // Once it is current (the hint followed), neither says to promote it (a review: both went on saying so).
      await promote(checkpoints, second.version);
      const after = await candlecastCommand(["models", "list", "--checkpoints", checkpoints]).output();
      assert.doesNotMatch(new TextDecoder().decode(after.stdout), /was stopped before it ended/);
      const again = await candlecastCommand(["train", "--resume", "--checkpoints", checkpoints]).output();
      assert.match(
        new TextDecoder().decode(again.stderr),
        /^candlecast: no interrupted training run to resume/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("--resume with a run still training (paused, hung, in another container) says so, not 'start a new run'", async () => {
  const dir = await tempDir();
  const checkpoints = join(dir, "checkpoints");
  // A run folder whose lock another process holds: what a train stopped with SIGSTOP leaves.
  using _held =
    (await tryLockFile(join(checkpoints, ".train_20261206T030000_0123abcd", ".lock"), "training run"))!;
  try {
    const resumed = await candlecastCommand(["train", "--resume", "--checkpoints", checkpoints]).output();
    const err = new TextDecoder().decode(resumed.stderr);
    assert.equal(resumed.code, 1, err);
    assert.ok(
      err.startsWith(`candlecast: a training run is in progress in ${checkpoints}, not stopped\n`) &&
        err.includes("hint: --resume continues a run that was stopped or killed: wait for it to end"),
      err,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
