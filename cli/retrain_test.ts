import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { computeIndicators, seriesFromCandles, sliceSeries, writeTrainingCsv } from "../features/index.ts";
import { PathKindError, plural, tryLockFile } from "../base/index.ts";
import { simulateMarket } from "../features/market_simulator.ts";
import { lockFile } from "../base/file_lock.ts";
import {
  currentVersion,
  listVersionNames,
  promote,
  readManifest,
  rollback,
  sha256Hex,
} from "../ml/checkpoints/index.ts";
import { collectInterval } from "./retrain/interval.ts";
import { coveredUntil, requireCandles } from "./retrain/coverage.ts";
import {
  defaultPromotionRule,
  describeDifference,
  failedCriteria,
  scorePair,
  toleranceClause,
  toleratedCriteria,
} from "./retrain/promotion.ts";
import { RetrainJson } from "./retrain/outcome.ts";
import { keptIterationsText } from "../ml/baselines/index.ts";
import { defaultRunConfig, runConfigJson } from "../ml/train/index.ts";
import { CommandError, InterruptedError, UsageError } from "./errors.ts";
import { type RetrainOptions, runFolderRemoved, runRetrain } from "./retrain/run.ts";
import { RetrainRun } from "./retrain/run_state.ts";
import {
  candidateWindow,
  checkTrainStep,
  refuseRetrainOwnedFlags,
  trainStepArgs,
} from "./retrain/train_step.ts";
import { fewestHoldoutDays, holdoutCoverage, requireHoldoutWindows } from "./retrain/holdout.ts";
import { heldOutDifference, scoreServed } from "../ml/evaluate/index.ts";
import { acquireLock } from "./retrain/lock.ts";
import { step as runStep, StepError } from "./retrain/step.ts";
import { clearLeftovers, prune, RETRAIN_DATA, retrainDataDir } from "./retrain/store.ts";
import { RunFolder } from "./train_runs/folder/index.ts";
import { keptRunClause, runFolderNames } from "./train_runs/index.ts";
import { candlecastCommand, DENO_RUN, runCliCaptured } from "../test/cli.ts";
import { holdVersion } from "../server/models/version_hold.ts";
import { writeStandInCheckpoint } from "../test/stand_in_checkpoint.ts";
import { DROP_ROOTS_REACH, rootsReachNotDropped } from "../test/roots_reach.ts";

const HOUR = 3_600_000;
const TINY = "--epochs 1 --max-windows-per-epoch 256 --max-validation-windows 128 --batch-size 32";

const series = ["SIMAUSDT", "SIMBUSDT"].map((symbol, k) => {
  const s = seriesFromCandles(
    symbol,
    simulateMarket({
      seed: 10 + k,
      start: Date.UTC(2026, 0, 1),
      intervalMs: HOUR,
      count: 1400,
      startPrice: 100,
      baseVolume: 50,
    }),
  );
  computeIndicators(s);
  return s;
});

/**
 * `retrain --no-collect` over `dir`'s data.csv, checkpoints/ and retrain.log, holding out 3 days; makes
 * checkpoints/ (retrain refuses a store that does not exist).
 */
function retrainArgs(dir: string, mode: string, extra: string[] = []): string[] {
  Deno.mkdirSync(join(dir, "checkpoints"), { recursive: true });
  return [
    "retrain",
    "--mode",
    mode,
    "--no-collect",
    "--data",
    join(dir, "data.csv"),
    "--checkpoints",
    join(dir, "checkpoints"),
    "--log",
    join(dir, "retrain.log"),
    "--holdout-days",
    "3",
    // Three held-out days keep these runs short, too few for a clear win (weekly's default rule refuses them).
    ...(mode === "weekly" && !extra.includes("--promote-if") ? ["--promote-if", "not-worse"] : []),
    ...extra,
  ];
}

async function retrain(dir: string, mode: string, extra: string[] = []) {
  const out = await candlecastCommand(retrainArgs(dir, mode, extra)).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout).trim(), stderr: text(out.stderr) };
}

/**
 * A hand-written manifest.json for version v1_2026-01-01: a transformer_lstm on 1h candles with no data end,
 * `fields` overriding, and no files to check (a test writes the files it needs itself).
 */
function v1Manifest(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: "v1_2026-01-01",
    created_at: "2026-01-01T00:00:00.000Z",
    parent: null,
    model_type: "transformer_lstm",
    data: { end_ms: 0, symbols: {} },
    files: {},
    interval: "1h",
    ...fields,
  });
}

/**
 * The whole run configuration a version trained now records (manifest.json `hyperparameters`): the default
 * recipe of `type` over the stand-in's 50-candle window. Monthly runs start from it (`--config-from`), and
 * refuse a version that does not record its architecture.
 */
function recordedConfig(type: "transformer_lstm" | "lightweight_lstm") {
  return runConfigJson(defaultRunConfig(type, 50));
}

/**
 * `root`'s current: a stand-in lightweight_lstm v1_2026-01-01 whose manifest is v1Manifest's with `fields` over
 * it (hyperparameters, data ends, dates).
 */
async function standInCurrent(root: string, fields: Record<string, unknown> = {}): Promise<void> {
  await writeStandInCheckpoint(join(root, "v1_2026-01-01"), {
    version: "v1_2026-01-01",
    modelType: "lightweight_lstm",
  });
  await Deno.writeTextFile(
    join(root, "v1_2026-01-01", "manifest.json"),
    v1Manifest({ model_type: "lightweight_lstm", ...fields }),
  );
  await Deno.symlink("v1_2026-01-01", join(root, "current"));
}

/** A monthly run on `data` into `dir`'s store, nothing reachable to collect from (port 9). */
function monthlyRun(dir: string, data: string, collect: boolean): RetrainOptions {
  return {
    mode: "monthly",
    data,
    checkpoints: join(dir, "checkpoints"),
    collect,
    baseUrl: "http://127.0.0.1:9",
    holdoutDays: 3,
    promoteIf: "not-worse",
    f1Tolerance: 0,
    loglossTolerance: 0,
    keep: 5,
    log: join(dir, "retrain.log"),
    trainArgs: [],
  };
}

Deno.test("retrain: a stop while the training CSV is read is said as a stop, not as a missing or bad file", async () => {
  // Read with retrain's signal, a big file's read ends at the stop (it ran to its end before): the stop's
  // rejection is not the file's fault ("no training CSV to extend" with --collect).
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-" });
  await writeTrainingCsv(join(dir, "data.csv"), series);
  await Deno.mkdir(join(dir, "checkpoints"));
  const stop = new AbortController();
  stop.abort();
  for (const collect of [true, false]) {
    await assert.rejects(
      runRetrain({ ...monthlyRun(dir, join(dir, "data.csv"), collect), signal: stop.signal }),
      (e) =>
        e instanceof InterruptedError &&
        e.message === "retrain stopped on request while reading the training CSV",
      `collect: ${collect}`,
    );
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("retrain: a training CSV a spreadsheet re-saved with ';' is named with its fix, with --collect too", async () => {
  // Excel on a de-DE host. Before, with --collect (retrain's default): "no training CSV to extend", hint "run
  // 'candlecast collect' once first", where train, collect and retrain --no-collect named the ';' and the sed.
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-" });
  const data = join(dir, "data.csv");
  await writeTrainingCsv(data, series);
  await Deno.writeTextFile(
    data,
    (await Deno.readTextFile(data)).replaceAll(",", ";").replaceAll(".", ",").replaceAll("\n", "\r\n"),
  );
  await Deno.mkdir(join(dir, "checkpoints"));
  for (const collect of [true, false]) {
    await assert.rejects(
      runRetrain(monthlyRun(dir, data, collect)),
      (e: Error & { hint?: string }) =>
        e.message === `${data}: its columns are separated by ';', not commas` &&
        /sed -i\.bak -e 's\/,\/\.\/g' -e 's\/;\/,\/g'/.test(e.hint ?? ""),
      `collect: ${collect}`,
    );
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the promotion rule: not worse on macro-F1 and log-loss, within tolerances", () => {
  const cur = { macro_f1: 0.40, log_loss: 1.05 };
  const none = { f1Tolerance: 0, loglossTolerance: 0 };
  type S = typeof cur;
  const notWorse = (a: S, b: S, t: typeof none) => failedCriteria(a, b, t).length === 0;
  assert.ok(notWorse({ macro_f1: 0.40, log_loss: 1.05 }, cur, none));
  assert.ok(notWorse({ macro_f1: 0.45, log_loss: 1.00 }, cur, none));
  assert.ok(!notWorse({ macro_f1: 0.39, log_loss: 1.00 }, cur, none));
  assert.ok(!notWorse({ macro_f1: 0.45, log_loss: 1.06 }, cur, none));
  assert.ok(notWorse({ macro_f1: 0.39, log_loss: 1.06 }, cur, { f1Tolerance: 0.02, loglossTolerance: 0.02 }));
  // A candidate scoring NaN passed both comparisons (each false against NaN) and was promoted.
  assert.deepEqual(failedCriteria({ macro_f1: 0.45, log_loss: NaN }, cur, none), ["log-loss not finite"]);
  assert.ok(!notWorse({ macro_f1: NaN, log_loss: NaN }, cur, none));
  // A current version without finite scores blocks nothing, under clearly-better too (its difference's interval
  // is NaN, which is never below 0).
  assert.ok(notWorse({ macro_f1: 0.40, log_loss: 1.05 }, { macro_f1: NaN, log_loss: NaN }, none));
  const nan = { log_loss_diff: { estimate: NaN, low: NaN, high: NaN }, blocks: 14, level: 0.95 };
  assert.deepEqual(failedCriteria(cur, { macro_f1: NaN, log_loss: NaN }, none, nan), []);
});

Deno.test("a promotion a tolerance allowed says so: the criteria it met only within --f1/--logloss-tolerance", () => {
  // A seat's run: --f1-tolerance 1 --logloss-tolerance 1 promoted a candidate with macro-F1 0.2844 vs 0.3203,
  // and the line read "promoted v4 over v3 (…)", reason "passed", as any other promotion.
  const cur = { macro_f1: 0.3203, log_loss: 1.0812 };
  const wide = { f1Tolerance: 1, loglossTolerance: 1 };
  const lower = { macro_f1: 0.2844, log_loss: 1.0799 };
  assert.deepEqual(failedCriteria(lower, cur, wide), []);
  assert.deepEqual(toleratedCriteria(lower, cur, wide), ["lower macro-F1"]);
  assert.equal(
    toleranceClause(["lower macro-F1"], wide),
    " despite a lower macro-F1, allowed by --f1-tolerance 1",
  );
  const both = toleratedCriteria({ macro_f1: 0.2844, log_loss: 1.09 }, cur, wide);
  assert.deepEqual(both, ["lower macro-F1", "higher log-loss"]);
  assert.equal(
    toleranceClause(both, wide),
    " despite a lower macro-F1 and a higher log-loss, allowed by --f1-tolerance 1 and --logloss-tolerance 1",
  );
  // Better on both, or failing a criterion beyond its tolerance: nothing owed to a tolerance there.
  assert.deepEqual(toleratedCriteria({ macro_f1: 0.33, log_loss: 1.07 }, cur, wide), []);
  assert.deepEqual(toleratedCriteria(lower, cur, { f1Tolerance: 0.01, loglossTolerance: 0 }), []);
  assert.equal(toleranceClause([], wide), "");
});

Deno.test("the held-out difference comes with an interval over whole days, and says when it is noise", () => {
  // Two symbols, 14 days of hourly windows; the label is class 0 throughout. Current gives it 0.4; the candidate
  // 0.44 on odd days and 0.37 on even ones (better on average, but day by day either way), or the same as
  // current, or better every day.
  const hours = 14 * 24, size = 2 * hours;
  const openTime = Float64Array.from({ length: hours }, (_, i) => Date.UTC(2024, 0, 1) + i * 3_600_000);
  const set = {
    labels: new Int8Array(size),
    series: [{ openTime }, { openTime }],
    seriesIndex: Int32Array.from({ length: size }, (_, i) => (i < hours ? 0 : 1)),
    ends: Int32Array.from({ length: size }, (_, i) => i % hours),
    size,
  };
  const scored = (p0: (hour: number) => number) => ({
    scored: {
      probabilities: Float32Array.from({ length: 3 * size }, (_, j) => {
        const p = p0(j / 3 % hours | 0);
        return j % 3 === 0 ? p : (1 - p) / 2;
      }),
      classes: new Int32Array(size),
    },
  });
  const current = scored(() => 0.4);
  const noisy = heldOutDifference(set, scored((h) => (Math.floor(h / 24) % 2 ? 0.44 : 0.37)), current, 4);
  assert.equal(noisy.blocks, 14, "one block a day, both symbols together");
  assert.ok(noisy.log_loss_diff.estimate < 0);
  assert.match(
    describeDifference(noisy),
    /^difference -0\.0087, 95 % interval -0\.\d{4} … \+0\.\d{4} over 14 days: no clear difference$/,
  );
  assert.match(
    describeDifference(heldOutDifference(set, current, current, 4)),
    /difference \+0\.0000, .*: no clear difference$/,
  );
  // Better on every day by the same margin: the interval excludes 0.
  const steady = heldOutDifference(set, scored((h) => 0.42 + 0.0001 * Math.floor(h / 24)), current, 4);
  assert.match(describeDifference(steady), /over 14 days: better$/);
  // Too few days to judge from, as evaluate: said so, whatever the interval shows.
  assert.match(
    describeDifference({ ...steady, blocks: 3 }),
    /over 3 days: too few days to judge \(6 needed\)$/,
  );
});

Deno.test("--promote-if clearly-better: the log-loss must be lower beyond its interval, from enough days", () => {
  const cur = { macro_f1: 0.40, log_loss: 1.05 };
  const none = { f1Tolerance: 0, loglossTolerance: 0 };
  const better = { macro_f1: 0.41, log_loss: 1.04 };
  const diff = (low: number, high: number, blocks = 14) => ({
    log_loss_diff: { estimate: (low + high) / 2, low, high },
    blocks,
    level: 0.95,
  });
  // Session 30's three weekly promotions, as their intervals read: each a point win, none a clear one.
  assert.deepEqual(failedCriteria(better, cur, none), []);
  assert.deepEqual(failedCriteria(better, cur, none, diff(-0.0219, 0.0179)), [
    "a log-loss not clearly lower (--promote-if clearly-better)",
  ]);
  assert.deepEqual(failedCriteria(better, cur, none, diff(-0.0124, -0.0004)), []);
  assert.deepEqual(failedCriteria(better, cur, none, diff(-0.0124, -0.0004, 5)).length, 1, "too few days");
  // A point loss is said as such; macro-F1 still counts.
  assert.deepEqual(failedCriteria({ macro_f1: 0.39, log_loss: 1.06 }, cur, none, diff(0.001, 0.02)), [
    "lower macro-F1",
    "higher log-loss",
  ]);
  assert.equal(defaultPromotionRule("weekly"), "clearly-better");
  assert.equal(defaultPromotionRule("monthly"), "not-worse");
});

Deno.test("a clear win needs 6 held-out days: fewer, with weekly's default or asked for, is exit 2 at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-days-" });
  try {
    await writeTrainingCsv(join(dir, "data.csv"), series);
    // Before: every weekly run with --holdout-days 3 would have kept current, exit 0, whatever it trained.
    const weeklyDefault = retrainArgs(dir, "weekly").filter((a) => a !== "--promote-if" && a !== "not-worse");
    const cases: [string[], RegExp][] = [
      [
        weeklyDefault,
        /^candlecast: --holdout-days 3: a weekly run \(--promote-if clearly-better, its default\) /,
      ],
      [
        retrainArgs(dir, "monthly", ["--promote-if", "clearly-better"]),
        /^candlecast: --holdout-days 3: --promote-if clearly-better /,
      ],
    ];
    for (const [args, message] of cases) {
      const out = await candlecastCommand(args).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, stderr);
      assert.match(stderr, message);
      assert.match(
        stderr,
        /a clear win, judged from at least 6 held-out days; with fewer it could never promote\n/,
      );
      assert.match(
        stderr,
        /\nhint: hold out 6 days or more \(14 is the default\), or pass --promote-if not-worse\n/,
      );
    }
    assert.deepEqual([...Deno.readDirSync(join(dir, "checkpoints"))], [], "nothing trained");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a step says it has started, and where its progress goes, to retrain's progress (its terminal)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-step-" });
  try {
    await Deno.mkdir(join(dir, "checkpoints"));
    const log = join(dir, "retrain log.txt");
    const heard: string[] = [];
    // Before: a step ran for minutes (a monthly train) with nothing on the terminal until the summary.
    await runStep(
      log,
      ["models", "list", "--checkpoints", join(dir, "checkpoints")],
      undefined,
      (l) => heard.push(l),
    );
    assert.deepEqual(heard, [`retrain: running 'models'; its progress goes to ${log} (tail -f "${log}")`]);
    assert.match(await Deno.readTextFile(log), /\$ candlecast models list/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--logloss-tolerance under clearly-better, weekly's default or asked for, is exit 2 at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-tolerance-" });
  try {
    await writeTrainingCsv(join(dir, "data.csv"), series);
    // Before: accepted and ignored, since a clear win needs the log-loss lower beyond its interval anyway.
    const days = ["--holdout-days", "6"];
    const weeklyDefault = retrainArgs(dir, "weekly").filter((a) => a !== "--promote-if" && a !== "not-worse");
    const cases: [string[], RegExp][] = [
      [
        [...weeklyDefault, ...days, "--logloss-tolerance", "0.01"],
        /^candlecast: --logloss-tolerance does not apply under --promote-if clearly-better \(a weekly run's default\): /,
      ],
      [
        retrainArgs(dir, "monthly", [
          ...days,
          "--promote-if",
          "clearly-better",
          "--logloss-tolerance",
          "0.01",
        ]),
        /^candlecast: --logloss-tolerance does not apply under --promote-if clearly-better: /,
      ],
    ];
    for (const [args, message] of cases) {
      const out = await candlecastCommand(args).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, stderr);
      assert.match(stderr, message);
      assert.match(
        stderr,
        /\nhint: drop --logloss-tolerance, or pass --promote-if not-worse to promote within it\n/,
      );
    }
    assert.deepEqual([...Deno.readDirSync(join(dir, "checkpoints"))], [], "nothing trained");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--f1-tolerance and --logloss-tolerance not a number say what they take, as every flag does", async () => {
  const cases: [string, string, string][] = [
    // Before: "--f1-tolerance: Invalid input: expected number, received NaN", zod's own words.
    ["--f1-tolerance", "abc", "expected a number ≥ 0\nhint: run 'candlecast retrain --help'"],
    [
      "--logloss-tolerance",
      "0x1",
      'expected a number ≥ 0, written as a decimal number ("0x1" is 1: give that)',
    ],
    ["--f1-tolerance", "-0.1", "expected a number ≥ 0\n"],
    // Before: read as 0, a tolerance the user had not chosen.
    ["--f1-tolerance", "", "expected a number ≥ 0; got an empty value\nhint: give --f1-tolerance a value"],
    ["--logloss-tolerance", " ", "expected a number ≥ 0; got an empty value\n"],
  ];
  for (const [flag, value, message] of cases) {
    const r = await runCliCaptured(["retrain", "--mode", "monthly", "--no-collect", flag, value]);
    assert.equal(r.code, 2, `${flag} ${JSON.stringify(value)}: ${r.err}`);
    assert.ok(
      r.err.startsWith(`candlecast: ${flag}: ${message}`),
      `${flag} ${JSON.stringify(value)}: ${r.err}`,
    );
  }
});

/** Two symbols of `count` simulated candles `intervalMs` apart (1d, 1w: the coarse intervals of these tests). */
function coarseSeries(intervalMs: number, count: number) {
  return ["SIMAUSDT", "SIMBUSDT"].map((symbol, k) => {
    const s = seriesFromCandles(
      symbol,
      simulateMarket({
        seed: 20 + k,
        start: Date.UTC(2020, 0, 6), // a Monday, where Binance's weeks open
        intervalMs,
        count,
        startPrice: 100,
        baseVolume: 50,
      }),
    );
    computeIndicators(s);
    return s;
  });
}

Deno.test("the held-out days' labelled windows and the days they fill, counted on the data's own candles", () => {
  const shape = { lookback: 50, horizon: 4 };
  const daily = coarseSeries(24 * HOUR, 200);
  // The newest 7 days of daily candles hold 8 candles (the one opening 7 days before the newest included),
  // of which the 4 oldest have a label 4 candles later: 4 days, 8 windows over both symbols, in one block of
  // the 8 days that span twice the horizon.
  assert.deepEqual(holdoutCoverage(daily, 7, shape), { windows: 8, days: 4, blocks: 1, blockDays: 8 });
  assert.deepEqual(holdoutCoverage(daily, 14, shape), { windows: 22, days: 11, blocks: 2, blockDays: 8 });
  assert.equal(fewestHoldoutDays(daily, shape, 1), 4);
  // Six blocks of 8 days: 41 days of windows (the sixth block holds one), and the 3 newest have no label yet.
  // Before: 9, six days of windows in blocks of one day, which shared 3 of 4 label candles with their
  // neighbours (equally good learners came out "clearly better" in 13.5 % of simulated holdouts, not 2.5 %).
  assert.equal(fewestHoldoutDays(daily, shape, 6), 44);
  const weekly = coarseSeries(7 * 24 * HOUR, 120);
  assert.deepEqual(holdoutCoverage(weekly, 14, shape), { windows: 0, days: 0, blocks: 0, blockDays: 56 });
  assert.equal(fewestHoldoutDays(weekly, shape, 1), 28);
  // Six blocks of 56 days: more than 120 weekly candles hold, and 308 days of 400.
  assert.equal(fewestHoldoutDays(weekly, shape, 6), null);
  assert.equal(fewestHoldoutDays(coarseSeries(7 * 24 * HOUR, 400), shape, 6), 308);
  // 1h candles: 14 days hold windows on every one of them, as before, a block each.
  assert.equal(holdoutCoverage(series, 14, shape).days, 14);
  assert.equal(holdoutCoverage(series, 14, shape).blocks, 14);
  assert.equal(fewestHoldoutDays(series, { lookback: 50, horizon: 4 }, 6), 6);
  // Too short a history for six days of windows: none.
  assert.equal(fewestHoldoutDays(coarseSeries(7 * 24 * HOUR, 60), shape, 6), null);
});

Deno.test("held-out days that can hold no labelled window, or too few days for a clear win, are exit 2 before training", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-coarse-" });
  const data = join(dir, "data.csv");
  const run = async (days: string, extra: string[] = []) => {
    const args = retrainArgs(dir, "monthly", extra).map((a) => a === "3" ? days : a);
    const out = await candlecastCommand([...args, `--train-args=${TINY}`]).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  };
  try {
    // Weekly candles, the default 14 days held out. Before: a candidate was trained, then "no labelled windows
    // in the held-out 14 days; … kept but not promoted", exit 1, at every monthly run.
    await writeTrainingCsv(data, coarseSeries(7 * 24 * HOUR, 120));
    const weekly = await run("14");
    assert.equal(
      weekly.stderr,
      `candlecast: --holdout-days 14: the held-out days of ${data} hold no labelled window to score a ` +
        "candidate on: a window's label is the close 4 candles after its last one, and on these 1w candles " +
        "none of the newest 14 days has one yet\nhint: hold out 28 days or more (--holdout-days 28)\n",
    );
    assert.equal(weekly.code, 2);
    assert.deepEqual(await listVersionNames(join(dir, "checkpoints")), [], "nothing trained");
    // Daily candles, 7 days under clearly-better. Into an empty store the first candidate is promoted whatever
    // it scores, so the run goes ahead.
    await writeTrainingCsv(data, coarseSeries(24 * HOUR, 200));
    const first = await run("7", ["--promote-if", "clearly-better"]);
    assert.equal(first.code, 0, first.stderr);
    const versions = await listVersionNames(join(dir, "checkpoints"));
    assert.equal(versions.length, 1);
    // With that current to beat, a clear win can never be shown on windows of 4 days, one block of 8. Before: a
    // candidate was trained at each run and current kept, exit 0, "over 4 days: too few days to judge (6
    // needed)".
    const daily = await run("7", ["--promote-if", "clearly-better"]);
    assert.equal(
      daily.stderr,
      "candlecast: --holdout-days 7: --promote-if clearly-better (weekly runs' default) promotes only a clear " +
        "win, judged from at least 6 blocks of 8 held-out days with labelled windows, and on these 1d candles " +
        "(a window's label is the close 4 candles after its last one; a block spans twice that) the newest 7 " +
        "days hold windows on 4 days, in 1 block; it could never promote\nhint: hold out 44 days or more " +
        "(--holdout-days 44), or pass --promote-if not-worse\n",
    );
    assert.equal(daily.code, 2);
    // Nine days, six one-day blocks before, are six days of windows in one block of 8.
    const nine = await run("9", ["--promote-if", "clearly-better"]);
    assert.match(
      nine.stderr,
      / the newest 9 days hold windows on 6 days, in 1 block; it could never promote\n/,
    );
    assert.equal(nine.code, 2);
    assert.deepEqual(await listVersionNames(join(dir, "checkpoints")), versions, "nothing trained");
    assert.deepEqual(await runFolderNames(join(dir, "checkpoints")), [], "no training started");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a window longer than the data is said as such, not as held-out days with no label yet", () => {
  // A seat's --train-args='--lookback 3000' on 2,160 candles a symbol read "… none of the newest 14 days has
  // one yet", as on 1w candles, and its hint to hold out more days could not help.
  const opts = { holdoutDays: 14, promoteIf: "not-worse", data: "d.csv", compared: true };
  assert.throws(
    () => requireHoldoutWindows(series, { lookback: 3000, horizon: 4 }, opts),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message ===
        "--holdout-days 14: d.csv holds no labelled window at all, held out or not: a window of " +
          "lookback 3000 with its label the close 4 candles after it spans 3,004 candles, longer than the " +
          "data: its longest symbol holds 1,400 candles" &&
      /shorter --lookback/.test(e.hint ?? ""),
  );
  // One that fits in the candles but not in their run with indicators (their warm-up) is said too.
  assert.throws(
    () => requireHoldoutWindows(series, { lookback: 1395, horizon: 4 }, opts),
    /holds no labelled window at all, .* and no symbol holds that many candles in a row with their indicators/,
  );
  requireHoldoutWindows(series, { lookback: 50, horizon: 4 }, opts);
});

Deno.test("the candidate's window is counted with --train-args over train's defaults or current's record", async () => {
  const flags = await checkTrainStep(trainStepArgs("-", "ck", false, null, ["--horizon", "1"]));
  assert.deepEqual(await candidateWindow(flags, null), { lookback: 50, horizon: 1 });
  const defaults = await checkTrainStep(trainStepArgs("-", "ck", false, null, []));
  assert.deepEqual(await candidateWindow(defaults, null), { lookback: 50, horizon: 4 });
  // A weekly fine-tune keeps current's own window, whatever train's defaults are.
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-window-" });
  try {
    const current = join(dir, "v1_2024-01-01");
    await writeStandInCheckpoint(current, { lookback: 30 });
    const fineTune = await checkTrainStep(trainStepArgs("-", dir, true, current, []));
    assert.deepEqual(await candidateWindow(fineTune, current), { lookback: 30, horizon: 4 });
    // Unreadable current: no window to count, and the train step says why itself.
    assert.equal(await candidateWindow(fineTune, join(dir, "gone")), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scores side by side never print the same when they differ: four decimals, more when needed", () => {
  // Before: three decimals, so a rejection for "higher log-loss" read "log-loss 1.098 vs 1.098".
  assert.equal(scorePair(1.09812, 1.09794), "1.0981 vs 1.0979");
  assert.equal(scorePair(1.098123, 1.098141), "1.09812 vs 1.09814");
  assert.equal(scorePair(0.4, 0.4), "0.4000 vs 0.4000");
  const [a, b] = scorePair(1.0986, 1.0986 + Number.EPSILON).split(" vs ");
  assert.notEqual(a, b, "one ulp apart");
  assert.ok(Number(a) < Number(b));
});

Deno.test("retrain: monthly promotes a first model, weekly fine-tunes a week later and reports its verdict", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-" });
  try {
    // A week before the full history ends: the first run.
    await writeTrainingCsv(join(dir, "data.csv"), series.map((s) => sliceSeries(s, 0, s.length - 168)));
    const first = await retrain(dir, "monthly", [`--train-args=${TINY} --model lightweight_lstm`]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /^retrain monthly: promoted v1_\d{4}-\d\d-\d\d \(no current model; holdout .*windows/,
    );
    const root = join(dir, "checkpoints");
    assert.equal(await currentVersion(root), (await listVersionNames(root))[0]);

    await writeTrainingCsv(join(dir, "data.csv"), series);
    const second = await retrain(dir, "weekly", [`--train-args=${TINY}`]);
    assert.equal(second.code, 0, second.stderr);
    const lines = second.stdout.split("\n");
    assert.equal(lines.length, 1, "one summary line for cron mail");
    const m = lines[0].match(
      /^retrain weekly: (promoted (v2\S+) over (v1\S+)|kept (v1\S+); (v2\S+) scored (?:lower macro-F1|higher log-loss|a log-loss not clearly lower \(--promote-if clearly-better\)|lower macro-F1 and (?:higher log-loss|a log-loss not clearly lower \(--promote-if clearly-better\))) on the held-out windows) \(holdout/,
    );
    assert.ok(m, lines[0]);
    assert.equal(await currentVersion(root), m[2] ?? m[4], "current follows the verdict");
    assert.ok(await lockIsFree(join(root, ".retrain.lock")), "the lock is released");
    // Its data copy goes, and the copies' folder with it (an empty .retrain-data/ was left in the store).
    assert.ok(!existsSync(join(root, RETRAIN_DATA)), "no .retrain-data left");
    // So the candidate's manifest names the CSV it came from and where its copy stopped, not the copy.
    const candidateData = (await readManifest(join(root, m[2] ?? m[5]))).data;
    assert.equal(candidateData.path, resolve(dir, "data.csv"));
    assert.match(String(candidateData.held_out_from), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // The copy's hash is not data.csv's: none is recorded rather than one that never matches the file named.
    assert.equal(candidateData.sha256, undefined);
    // The log keeps each run's start and its decision, not only the steps' output (cron mails the line once).
    const log = await Deno.readTextFile(join(dir, "retrain.log"));
    assert.match(log, /^\[\S+\] retrain weekly: started \(pid \d+\)$/m);
    assert.ok(log.includes(`] ${lines[0]}\n`), "the weekly summary, as printed");

    // A wider held-out period (20 days) reaches back into days current saw in training (up to its test split,
    // about 15 days before the end, or its parent's data end a week before it): scored only after them.
    const third = await retrain(dir, "monthly", [`--train-args=${TINY}`, "--holdout-days", "20"]);
    assert.equal(third.code, 0, third.stderr);
    assert.match(
      third.stdout,
      /\(from \d{4}-\d\d-\d\d: v\d\S+ saw data up to .* in training, earlier days would be in-sample\)/,
    );
    // Every candidate kept the first version's configuration: --model lightweight_lstm was given once.
    for (const version of await listVersionNames(root)) {
      const manifest = await readManifest(join(root, version));
      const config = manifest.hyperparameters as { model: { type: string }; training: { epochs: number } };
      assert.equal(config.model.type, "lightweight_lstm", version);
      assert.equal(config.training.epochs, 1, version);
    }

    // A version trained by hand with a test split is scored out of sample on days it was only tested on, as
    // evaluate --checkpoint does (before: "it was trained on all of the held-out days" from its data's end,
    // and the candidate was kept, not promoted).
    const byHand = await candlecastCommand([
      "train",
      ...["--data", join(dir, "data.csv"), "--checkpoints", root, "--model", "lightweight_lstm"],
      ...TINY.split(" "),
    ]).output();
    assert.equal(byHand.code, 0, new TextDecoder().decode(byHand.stderr));
    const scored = await retrain(dir, "monthly", [`--train-args=${TINY}`, "--holdout-days", "2"]);
    assert.equal(scored.code, 0, scored.stderr);
    assert.doesNotMatch(scored.stdout, /in-sample/);
    // A current that saw every held-out day (a fine-tune from a parent that saw them: its data.since, written
    // here) ends the run early, and --keep still holds there (before: each such run added a version that was
    // never pruned).
    const seeing = await currentVersion(root);
    const manifestPath = join(root, seeing!, "manifest.json");
    const manifest = JSON.parse(await Deno.readTextFile(manifestPath));
    manifest.data.since = new Date(series[0].openTime[series[0].length - 1]).toISOString();
    await Deno.writeTextFile(manifestPath, JSON.stringify(manifest));
    const before = await listVersionNames(root);
    const fourth = await retrain(dir, "monthly", [`--train-args=${TINY}`, "--keep", "2"]);
    assert.equal(fourth.code, 0, fourth.stderr);
    assert.match(
      fourth.stdout,
      /so scores there are in-sample, not evidence; .*; removed \d old versions? beyond --keep 2 \(/,
    );
    const after = await listVersionNames(root);
    assert.ok(after.length < before.length + 1, `${before.join(" ")} → ${after.join(" ")}`);
    // The candidate the line says to promote by hand is not among those removed (before, a seat's: "v8… was
    // kept but not promoted (promote it by hand …)" and then "removed … (v8…, v1…)").
    const byHandCandidate = fourth.stdout.match(/promote it by hand with 'candlecast models promote (\S+) /)
      ?.[1];
    assert.ok(byHandCandidate && after.includes(byHandCandidate), `${fourth.stdout}\n${after.join(" ")}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--keep: the oldest versions beyond it go, never current or its rollback target; named", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-retrain-keep-" });
  try {
    for (const v of ["v1_2026-01-01", "v2_2026-01-08", "v3_2026-01-15", "v4_2026-01-22", "v5_2026-01-29"]) {
      await Deno.mkdir(join(root, v));
    }
    // current is v2 (rolled back to by hand, say), its rollback target v1: both stay however old.
    await Deno.symlink("v2_2026-01-08", join(root, "current"));
    await Deno.writeTextFile(
      join(root, ".current_history.json"),
      JSON.stringify({ previous: ["v1_2026-01-01"] }),
    );
    assert.deepEqual(await prune(root, 2), { removed: ["v3_2026-01-15"], inUse: [], warnings: [] });
    assert.deepEqual(await listVersionNames(root), [
      "v1_2026-01-01",
      "v2_2026-01-08",
      "v4_2026-01-22",
      "v5_2026-01-29",
    ]);
    assert.deepEqual(
      await prune(root, 8),
      { removed: [], inUse: [], warnings: [] },
      "within --keep: nothing goes",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("--keep spares the version rollback returns to when the history's last entry is not it", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-retrain-keep-target-" });
  try {
    const versions = ["v1_2026-01-01", "v2_2026-01-08", "v3_2026-01-15", "v4_2026-01-22", "v5_2026-01-29"];
    for (const v of versions) {
      await Deno.mkdir(join(root, v));
      await Deno.writeTextFile(join(root, v, "manifest.json"), "{}");
    }
    await Deno.symlink("v2_2026-01-08", join(root, "current"));
    // The history ends in current itself (a rollback to v2 whose history write failed: rollback skips it),
    // so rollback returns to v1, as `models list` marks. Before, only the last entry was spared: v1 went.
    await Deno.writeTextFile(
      join(root, ".current_history.json"),
      JSON.stringify({ previous: ["v1_2026-01-01", "v2_2026-01-08"] }),
    );
    assert.deepEqual(await prune(root, 2), { removed: ["v3_2026-01-15"], inUse: [], warnings: [] });
    // The last entry a version removed by hand: rollback goes to the one before it, v1 again.
    await Deno.writeTextFile(
      join(root, ".current_history.json"),
      JSON.stringify({ previous: ["v1_2026-01-01", "v0_2025-12-25"] }),
    );
    assert.deepEqual(await prune(root, 1), { removed: ["v4_2026-01-22"], inUse: [], warnings: [] });
    assert.deepEqual(await listVersionNames(root), ["v1_2026-01-01", "v2_2026-01-08", "v5_2026-01-29"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("--keep counts a version promoted by hand and rolled back as served: turned-down ones go first", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-retrain-keep-rolled-back-" });
  try {
    const names = ["v1_2026-01-01", "v2_2026-01-08", "v3_2026-01-15", "v4_2026-01-22", "v5_2026-01-29"];
    for (const v of names) await writeStandInCheckpoint(join(root, v), { version: v });
    // v1 serves; v2 promoted by hand served traffic, then was rolled back; v3–v5 were turned down.
    await promote(root, names[0]);
    await promote(root, names[1]);
    assert.equal((await rollback(root)).to, names[0]);
    // As many go as before (v2 and v3 stand beyond the newest 2 besides current), turned-down ones first.
    // Before, the rollback dropped v2 from the history, so it counted as never served and went first (v2,
    // v3) while v4, never served, stayed.
    assert.deepEqual(await prune(root, 2), { removed: [names[2], names[3]], inUse: [], warnings: [] });
    assert.deepEqual(await listVersionNames(root), [names[0], names[1], names[4]]);
    // The record survives a later promotion and the rollback that undoes it: v5 served too, v6 never did.
    await writeStandInCheckpoint(join(root, "v6_2026-02-05"), { version: "v6_2026-02-05" });
    await promote(root, names[4]);
    assert.equal((await rollback(root)).to, names[0]);
    assert.deepEqual(await prune(root, 2), { removed: ["v6_2026-02-05"], inUse: [], warnings: [] });
    assert.deepEqual(await listVersionNames(root), [names[0], names[1], names[4]]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("--keep decides under .current.lock: a version promoted meanwhile is spared, not deleted under current", async () => {
  // Read without the lock, a promote by hand during a slow deletion left current pointing at a deleted version.
  const root = await Deno.makeTempDir({ prefix: "candlecast-retrain-keep-lock-" });
  try {
    for (const v of ["v1_2026-01-01", "v2_2026-01-08", "v3_2026-01-15", "v4_2026-01-22"]) {
      await Deno.mkdir(join(root, v));
    }
    await Deno.symlink("v4_2026-01-22", join(root, "current"));
    // A promotion holds the lock; prune starts meanwhile, and the promotion then points current at v1.
    const held = await lockFile(join(root, ".current.lock"), "models promote v1_2026-01-01", { waitMs: 0 });
    const pruned = prune(root, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await Deno.remove(join(root, "current"));
    await Deno.symlink("v1_2026-01-01", join(root, "current"));
    await Deno.writeTextFile(
      join(root, ".current_history.json"),
      JSON.stringify({ previous: ["v4_2026-01-22"] }),
    );
    held.release();
    assert.deepEqual(await pruned, { removed: ["v2_2026-01-08", "v3_2026-01-15"], inUse: [], warnings: [] });
    assert.equal(await currentVersion(root), "v1_2026-01-01");
    assert.deepEqual(await listVersionNames(root), ["v1_2026-01-01", "v4_2026-01-22"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("--keep spares the candidate the summary says to promote by hand; a turned-down one it removes is named so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-keep-candidate-" });
  const root = join(dir, "checkpoints");
  try {
    // A seat's store: v1, v4, v6 served, v7 promoted by hand while the run trained v11; v10 never served.
    // Before, with --keep 2, the line said "promote it by hand with 'candlecast models promote v11…'" and then
    // "removed 2 old versions beyond --keep 2 (v10…, v11…)": that promote failed.
    const names = ["v1_2026-01-01", "v4_2026-01-22", "v6_2026-02-05", "v7_2026-02-12", "v10_2026-03-05"];
    const candidate = "v11_2026-03-12";
    for (const v of [...names, candidate]) {
      await writeStandInCheckpoint(join(root, v), { version: v });
      await Deno.writeTextFile(join(root, v, "manifest.json"), v1Manifest({ version: v })); // RetrainRun.open reads it
    }
    for (const v of names.slice(0, 4)) await promote(root, v);
    const run = await RetrainRun.open({ ...monthlyRun(dir, join(dir, "data.csv"), false), keep: 2 }, root);
    const line = await run.pruneBeyondKeep({ version: candidate, byHand: true });
    // As many go as before (v1 and v4 stand beyond the newest 2 besides current and its rollback target).
    assert.deepEqual(run.report.removed_versions, ["v10_2026-03-05", "v1_2026-01-01"]);
    assert.deepEqual(await listVersionNames(root), [names[1], names[2], names[3], candidate]);
    assert.equal(
      line,
      "; removed 2 old versions beyond --keep 2 (v10_2026-03-05, v1_2026-01-01); kept v11_2026-03-12 for that " +
        "promote by hand (never served, --keep 2 would have removed it)",
    );

    // A candidate turned down a moment earlier and removed in the same run is named as this run's: before,
    // "removed 1 old version beyond --keep 2 (v12…)".
    const turnedDown = "v12_2026-03-19";
    await writeStandInCheckpoint(join(root, turnedDown), { version: turnedDown });
    const next = await RetrainRun.open({ ...monthlyRun(dir, join(dir, "data.csv"), false), keep: 1 }, root);
    assert.equal(
      await next.pruneBeyondKeep({ version: turnedDown, byHand: false }),
      "; removed this run's turned-down candidate v12_2026-03-19 and 1 old version (v11_2026-03-12) beyond " +
        "--keep 1 (versions that never served go first)",
    );
    assert.deepEqual(await listVersionNames(root), [names[1], names[2], names[3]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--keep: a deletion cut short leaves no half-deleted version listed, and the next run finishes it", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-retrain-keep-cut-" });
  try {
    for (const v of ["v1_2026-01-01", "v2_2026-01-08", "v3_2026-01-15"]) {
      await Deno.mkdir(join(root, v));
      await Deno.writeTextFile(join(root, v, "manifest.json"), "{}");
    }
    await Deno.symlink("v3_2026-01-15", join(root, "current"));
    // What a kill -9 during the deletion leaves: the version already renamed away, partly deleted.
    await Deno.rename(join(root, "v1_2026-01-01"), join(root, ".removing-v1_2026-01-01-0a1b2c3d"));
    await Deno.remove(join(root, ".removing-v1_2026-01-01-0a1b2c3d", "manifest.json"));
    assert.deepEqual(await listVersionNames(root), ["v2_2026-01-08", "v3_2026-01-15"]);
    assert.deepEqual(await prune(root, 1), { removed: ["v2_2026-01-08"], inUse: [], warnings: [] });
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name).sort(), [
      ".current.lock",
      "current",
      "v3_2026-01-15",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

// Root passes every permission bit, so a folder it may not delete is made by running the prune without that
// power (test/roots_reach.ts); a user that is not root runs it as it is.
const reachNotDropped = Deno.build.os === "linux" && Deno.uid() === 0 ? rootsReachNotDropped() : null;
const withoutRootsReach = Deno.build.os === "linux" && Deno.uid() === 0 && reachNotDropped === null;
if (reachNotDropped !== null) {
  console.warn(`skipping the --keep permission-denied test: it runs as root, and ${reachNotDropped}`);
}

/**
 * `retrain --keep K` at the end of a run (`RetrainRun.pruneBeyondKeep`, what run.ts calls after promoting)
 * over `root`, in a process of its own (without root's reach, when root), with its `--json` document, or the
 * error it failed with.
 */
async function pruneRunAsUser(
  root: string,
  keep: number,
): Promise<{ code: number; json: RetrainJson | null; stderr: string }> {
  const script = join(await Deno.makeTempDir({ prefix: "candlecast-prune-script-" }), "prune.ts");
  const url = (path: string) => new URL(path, import.meta.url).href;
  await Deno.writeTextFile(
    script,
    `import { RetrainRun } from ${JSON.stringify(url("./retrain/run_state.ts"))};
import { RetrainJson } from ${JSON.stringify(url("./retrain/outcome.ts"))};
const [root, keep] = Deno.args;
const opts = {
  mode: "monthly",
  collect: false,
  checkpoints: root,
  keep: Number(keep),
  log: "retrain.log",
  promoteIf: "not-worse",
};
const run = await RetrainRun.open(opts, root);
const outcome = await run.outcome("retrain monthly: promoted" + await run.pruneBeyondKeep(), true, "passed", null);
console.log(JSON.stringify(RetrainJson.parse(outcome.json)));
`,
  );
  const config = new URL("../deno.json", import.meta.url).pathname;
  const run = [...DENO_RUN, "--allow-all", "--config", config, script, root, String(keep)];
  const asUser = withoutRootsReach ? ["setpriv", ...DROP_ROOTS_REACH] : [];
  const out = await new Deno.Command(asUser.length > 0 ? asUser[0] : Deno.execPath(), {
    args: asUser.length > 0 ? [...asUser.slice(1), Deno.execPath(), ...run] : run,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  await Deno.remove(join(script, ".."), { recursive: true });
  const stdout = new TextDecoder().decode(out.stdout).trim();
  return {
    code: out.code,
    json: out.code === 0 ? RetrainJson.parse(JSON.parse(stdout)) : null,
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test({
  name:
    "--keep: a folder it cannot delete is a warning beside the run's outcome (which folder, why, what to do), every run; not a failed run",
  // Root passes every permission bit: the prune runs without that power; a user that is not root as is.
  ignore: Deno.build.os === "windows" || (Deno.uid() === 0 && !withoutRootsReach),
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "candlecast-retrain-keep-denied-" });
    const versions = ["v1_2026-01-01", "v2_2026-01-08", "v3_2026-01-15", "v4_2026-01-22", "v5_2026-01-29"];
    try {
      for (const v of versions) {
        await Deno.mkdir(join(root, v, "onnx"), { recursive: true });
        await Deno.writeTextFile(join(root, v, "manifest.json"), "{}");
        await Deno.writeTextFile(join(root, v, "onnx", "model.onnx"), "x");
      }
      // No current (RetrainRun.open checks its manifest): the newest are kept all the same.
      // v1 made read-only by hand ("keep it safe"), as a `sudo candlecast train` leaves one another user's:
      // it can be renamed away, but its files cannot be deleted.
      await Deno.chmod(join(root, "v1_2026-01-01"), 0o555);
      const first = await pruneRunAsUser(root, 3);
      // Before: "permission denied (EACCES: permission denied, rm)" naming no path, exit 1, no outcome.
      assert.equal(first.code, 0, first.stderr);
      const json = first.json!;
      assert.deepEqual(json.removed_versions, ["v1_2026-01-01", "v2_2026-01-08"]);
      assert.equal(json.promoted, true);
      assert.equal(json.prune_warnings.length, 1, JSON.stringify(json.prune_warnings));
      const [left] = json.prune_warnings;
      const hidden = [...Deno.readDirSync(root)].map((e) => e.name).filter((n) => n.startsWith(".removing-"));
      assert.deepEqual(hidden.length, 1);
      assert.match(hidden[0], /^\.removing-v1_2026-01-01-[0-9a-f]{8}$/);
      assert.deepEqual(left, {
        version: "v1_2026-01-01",
        path: join(root, hidden[0]),
        kept: false,
        reason: "permission denied",
        hint: `remove it as its owner or as root, e.g. 'sudo rm -rf ${join(root, hidden[0])}' ('ls -ld ` +
          `${join(root, hidden[0])}' shows who owns it); each retrain --keep run tries again, and says so ` +
          "until it is gone",
      });
      assert.ok(
        json.summary.endsWith(
          // v1 is out of the store but on disk: "removed" said its space was freed (a capacity planner's trial).
          "; removed 1 old version beyond --keep 3 (v2_2026-01-08); could not delete " +
            `${left.path} (permission denied): ${left.hint}`,
        ),
        json.summary,
      );
      assert.deepEqual(await listVersionNames(root), versions.slice(2), "v1 is no version any more");
      // A store whose folder it cannot write: the leftover is tried again and said again, and versions that
      // cannot even be renamed away are kept, said too; still the run's outcome, exit 0.
      await Deno.chmod(root, 0o555);
      const second = await pruneRunAsUser(root, 1);
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(second.json!.removed_versions, []);
      assert.deepEqual(
        second.json!.prune_warnings.map((w) => [w.version, w.path, w.kept, w.reason]),
        [
          ["v1_2026-01-01", left.path, false, "permission denied"],
          ["v3_2026-01-15", join(root, "v3_2026-01-15"), true, "permission denied"],
          ["v4_2026-01-22", join(root, "v4_2026-01-22"), true, "permission denied"],
        ],
      );
      // Not the version's owner to blame, nor `rm -rf` on a version (which skips the rename and a running
      // serve's hold): the store folder, which renaming needs to write, named whole.
      const [, v3, v4] = second.json!.prune_warnings;
      const store = "give this user write access to " + root +
        ", the folder that holds the versions ('ls -ld " +
        root +
        "' shows who owns it), or run retrain --keep as its owner; it stays a version until then, and " +
        "each retrain --keep run tries again";
      assert.equal(v3.hint, store);
      assert.equal(v4.hint, store);
      assert.equal(second.json!.prune_warnings[0].hint, left.hint, "a .removing- folder: removed by hand");
      assert.ok(
        second.json!.summary.includes(
          `; could not delete ${
            join(root, "v3_2026-01-15")
          } (permission denied): ${store}; could not delete ` +
            `${join(root, "v4_2026-01-22")} (permission denied): ${store}`,
        ),
        second.json!.summary,
      );
      assert.doesNotMatch(second.json!.summary, /rm -rf \S*v[34]_/);
      assert.deepEqual(await listVersionNames(root), versions.slice(2));
    } finally {
      await Deno.chmod(root, 0o755).catch(() => {});
      for (const entry of Deno.readDirSync(root)) {
        if (entry.isDirectory) await Deno.chmod(join(root, entry.name), 0o755).catch(() => {});
      }
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "--keep skips a version a running serve uses (its shared lock on the version folder), and says so",
  // A shared lock on the version folder: Windows opens no folder as a file (serve holds the manifest there).
  ignore: Deno.build.os === "windows",
}, async () => {
  // `serve --checkpoint ck/v2_…` pinned to an old version: retrain deleted it under serve, which then answered
  // from memory with /health "healthy", and 503 after its next restart.
  const root = await Deno.makeTempDir({ prefix: "candlecast-retrain-keep-served-" });
  try {
    for (const v of ["v1_2026-01-01", "v2_2026-01-08", "v3_2026-01-15", "v4_2026-01-22"]) {
      await Deno.mkdir(join(root, v));
      await Deno.writeTextFile(join(root, v, "manifest.json"), "{}");
    }
    // No current (RetrainRun.open checks its manifest): the newest is kept all the same.
    const served = await holdVersion(join(root, "v2_2026-01-08"));
    assert.ok(served !== null);
    // `candlecast export` into the served version since: manifest.json rewritten atomically (a new file renamed
    // over it). A hold on the old manifest.json held nothing any more, and v2 was deleted under serve.
    await Deno.writeTextFile(join(root, "v2_2026-01-08", ".manifest.json.tmp"), '{"onnx_sha256":"x"}');
    await Deno.rename(
      join(root, "v2_2026-01-08", ".manifest.json.tmp"),
      join(root, "v2_2026-01-08", "manifest.json"),
    );
    const run = await RetrainRun.open(
      { mode: "monthly", collect: false, checkpoints: root, keep: 1 } as RetrainOptions,
      root,
    );
    assert.equal(
      await run.pruneBeyondKeep(),
      "; removed 2 old versions beyond --keep 1 (v1_2026-01-01, v3_2026-01-15); kept v2_2026-01-08 beyond " +
        "--keep 1: in use by a running serve (or a train about to promote it)",
    );
    assert.deepEqual(run.report.kept_in_use, ["v2_2026-01-08"]);
    assert.deepEqual(run.report.removed_versions, ["v1_2026-01-01", "v3_2026-01-15"]);
    assert.deepEqual(await listVersionNames(root), ["v2_2026-01-08", "v4_2026-01-22"]);
    // Once serve has let go of it (another version served, or serve stopped), the next run removes it.
    served.release();
    assert.deepEqual(await prune(root, 1), { removed: ["v2_2026-01-08"], inUse: [], warnings: [] });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("what a run that quit at once left (its CSV copy, its train's run folder) goes at the next run", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-retrain-leftovers-" });
  try {
    // A second Ctrl-C or kill -9 mid-train: a copy and an unlocked run folder trained on it.
    const copy = (run: string) => join(root, RETRAIN_DATA, run, "training_data.csv");
    for (const run of ["run-a", "run-b"]) {
      await Deno.mkdir(join(root, RETRAIN_DATA, run), { recursive: true });
      await Deno.writeTextFile(copy(run), "symbol,open_time\n");
    }
    const left = await RunFolder.create(root, { data: copy("run-a") }, null, 1);
    await left.keep();
    // The same, recorded when the store was reached by another path (a symlink, a container's mount).
    const elsewhere = await RunFolder.create(
      root,
      { data: `/mnt/other/${RETRAIN_DATA}/run-c/training_data.csv` },
      null,
      1,
    );
    await elsewhere.keep();
    // A run by hand, kept for its --resume; and a run still training on run-b's copy (a train step in the
    // moment before it notices its retrain was killed): neither is retrain's to remove, nor the copy that one
    // reads.
    const own = await RunFolder.create(root, { data: join(root, "..", "mine.csv") }, null, 1);
    await own.keep();
    const live = await RunFolder.create(root, { data: copy("run-b") }, null, 1);
    const name = (r: RunFolder) => r.dir.slice(root.length + 1);
    assert.deepEqual((await clearLeftovers(root)).sort(), [name(left), name(elsewhere)].sort());
    assert.deepEqual((await runFolderNames(root)).sort(), [name(own), name(live)].sort());
    assert.deepEqual([...Deno.readDirSync(join(root, RETRAIN_DATA))].map((e) => e.name), ["run-b"]);
    // Each run's copy in a folder of its own: the data path its versions record is its own.
    const [first, second] = [await retrainDataDir(root), await retrainDataDir(root)];
    assert.notEqual(first, second);
    await live.keep();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a leftover whose run.json recorded its copy with Windows separators goes too, and a live one keeps its copy", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-retrain-leftovers-win-" });
  try {
    // As a store on Windows records them: `\` between the names (the run folder's own name is the same).
    const windows = (run: string) => `C:\\models\\${RETRAIN_DATA}\\${run}\\training_data.csv`;
    for (const run of ["run-a", "run-b"]) {
      await Deno.mkdir(join(root, RETRAIN_DATA, run), { recursive: true });
      await Deno.writeTextFile(join(root, RETRAIN_DATA, run, "training_data.csv"), "symbol,open_time\n");
    }
    const left = await RunFolder.create(root, { data: windows("run-a") }, null, 1);
    await left.keep();
    const live = await RunFolder.create(root, { data: windows("run-b") }, null, 1);
    const name = (r: RunFolder) => r.dir.slice(root.length + 1);
    // Before: retrain's pattern took `/` alone, so neither was its: the leftover stayed (train --resume passes
    // it over, as `isRetrainCopy` takes both), and run-b's copy was removed under the live run.
    assert.deepEqual(await clearLeftovers(root), [name(left)]);
    assert.deepEqual(await runFolderNames(root), [name(live)]);
    assert.deepEqual([...Deno.readDirSync(join(root, RETRAIN_DATA))].map((e) => e.name), ["run-b"]);
    await live.keep();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("retrain: one run at a time; a lock file naming a dead or a live unrelated pid blocks nobody", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-lock-" });
  const path = join(dir, ".retrain.lock");
  try {
    const held = await acquireLock(path);
    await assert.rejects(acquireLock(path), /another retrain is running \(pid \d+, since 20/);
    held.release();
    // The old pid-file lock took a dead owner's lock over but blocked forever on a reused, live pid (1: init).
    for (const pid of [2 ** 22 + 12345, 1]) {
      await Deno.writeTextFile(path, JSON.stringify({ pid, started: "earlier" }));
      const again = await acquireLock(path);
      again.release();
    }
    assert.ok(await lockIsFree(path));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retrain with current gone, damaged or not a symlink: exit 1 saying so, nothing trained, current as it was", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-current-" });
  const root = join(dir, "checkpoints");
  try {
    await writeTrainingCsv(join(dir, "data.csv"), series);
    await Deno.mkdir(join(root, "v1_2026-01-01"), { recursive: true });
    await Deno.writeTextFile(join(root, "v1_2026-01-01", "manifest.json"), '{"version": "v1_20'); // cut short
    // A version whose manifest lists a model.onnx that is gone.
    await Deno.mkdir(join(root, "v2_2026-01-01"));
    await Deno.writeTextFile(
      join(root, "v2_2026-01-01", "manifest.json"),
      JSON.stringify({
        version: "v2_2026-01-01",
        created_at: "2026-01-01T00:00:00Z",
        parent: null,
        model_type: "lightweight_lstm",
        data: { end_ms: 0, symbols: {} },
        files: { "model.onnx": await sha256Hex(new TextEncoder().encode("gone")) },
      }),
    );
    const cases: [string, () => Promise<void>, RegExp, RegExp][] = [
      [
        "a version deleted by hand",
        () => Deno.symlink("v9_2026-01-01", join(root, "current")),
        /^candlecast: current points at v9_2026-01-01, which cannot be used \(no model at .*\); nothing was trained/,
        /^hint: promote an intact version .*'candlecast models promote VERSION --checkpoints /m,
      ],
      [
        "a cut manifest.json",
        () => Deno.symlink("v1_2026-01-01", join(root, "current")),
        /^candlecast: current points at v1_2026-01-01, which cannot be used \(.*manifest\.json is not valid JSON/,
        /^hint: promote an intact version /m,
      ],
      [
        // Before: found only after training (monthly, while scoring current), or kept as "nothing to fine-tune"
        // with exit 0 (weekly).
        "its model.onnx deleted",
        () => Deno.symlink("v2_2026-01-01", join(root, "current")),
        /^candlecast: current points at v2_2026-01-01, which cannot be used \(.*model\.onnx: is missing; refusing to use it\); nothing was trained/,
        /^hint: promote an intact version /m,
      ],
      [
        "a file where the symlink should be",
        () => Deno.writeTextFile(join(root, "current"), "v1_2026-01-01\n"),
        /^candlecast: .*current is not a symlink to a version$/m,
        /^hint: move it away; 'candlecast models promote VERSION --checkpoints \S*checkpoints' then recreates it$/m,
      ],
    ];
    for (const [what, breakCurrent, message, hint] of cases) {
      await Deno.remove(join(root, "current")).catch(() => {});
      await breakCurrent();
      const before = await Deno.lstat(join(root, "current"));
      const r = await retrain(dir, "monthly", ["--train-args", TINY]);
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /unexpected failure|this is a bug/, what);
      assert.match(r.stderr, message, what);
      assert.match(r.stderr, hint, what);
      assert.deepEqual(
        await listVersionNames(root),
        ["v1_2026-01-01", "v2_2026-01-01"],
        `${what}: nothing trained`,
      );
      assert.equal((await Deno.lstat(join(root, "current"))).mtime?.getTime(), before.mtime?.getTime(), what);
    }
    // Weekly too: it said "nothing to fine-tune: kept v2_2026-01-01", exit 0, over a current that cannot load.
    await Deno.remove(join(root, "current"));
    await Deno.symlink("v2_2026-01-01", join(root, "current"));
    const weekly = await retrain(dir, "weekly");
    assert.equal(weekly.code, 1, weekly.stderr);
    assert.match(weekly.stderr, /^candlecast: current points at v2_2026-01-01, which cannot be used /m);
    // The log says how it ended too (before, a run refused before its first step left no line there).
    assert.match(
      await Deno.readTextFile(join(dir, "retrain.log")),
      /^\[\S+\] retrain weekly: ended without a decision: current points at v2_2026-01-01, which cannot be used/m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retrain: --checkpoints or --log of the wrong kind, or --data missing, is a usage error (2), not a bug", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-paths-" });
  try {
    const data = join(dir, "data.csv");
    await writeTrainingCsv(data, series);
    const cases: [string, string[], RegExp][] = [
      [
        "--checkpoints a file",
        ["--checkpoints", data],
        /^candlecast: --checkpoints: .*data\.csv is a file, not a folder$/m,
      ],
      ["--log a folder", ["--log", dir], /^candlecast: --log: .* is a folder, not a file$/m],
      [
        "--log under a file",
        ["--log", join(data, "retrain.log")],
        /^candlecast: --log: .* is a file, not a folder$/m,
      ],
      [
        "--checkpoints missing (a typo in a cron line)",
        ["--checkpoints", join(dir, "checkpionts")],
        /^candlecast: --checkpoints: .*checkpionts does not exist$/m,
      ],
      [
        "--data missing",
        ["--data", join(dir, "nope.csv")],
        /^candlecast: --data: .*nope\.csv does not exist$/m,
      ],
    ];
    for (const [what, extra, message] of cases) {
      const r = await retrain(dir, "monthly", extra);
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.match(r.stderr, /^hint: /m, what);
      assert.doesNotMatch(r.stderr, /unexpected failure|this is a bug/, what);
    }
    await assert.rejects(Deno.stat(join(dir, "checkpionts")), Deno.errors.NotFound, "the typo is not made");
    assert.deepEqual(await listVersionNames(join(dir, "checkpoints")), [], "nothing trained");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retrain: --checkpoints or --log through a link to a folder not there is exit 2 saying so, not a bug", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-links-" });
  try {
    await writeTrainingCsv(join(dir, "data.csv"), series);
    // A models or logs disk not mounted yet: the links are there, what they lead to is not.
    await Deno.symlink(join(dir, "unmounted", "ck"), join(dir, "ck"));
    await Deno.symlink(join(dir, "gone"), join(dir, "logs"));
    const cases: [string, string[], string][] = [
      ["--log's folder a link", ["--log", join(dir, "logs", "retrain.log")], join(dir, "logs")],
      ["a folder above --log a link", ["--log", join(dir, "logs", "cron", "retrain.log")], join(dir, "logs")],
      ["--checkpoints a link", ["--checkpoints", join(dir, "ck")], join(dir, "ck")],
    ];
    for (const [what, extra, link] of cases) {
      const r = await retrain(dir, "monthly", extra);
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      assert.ok(r.stderr.startsWith(`candlecast: ${link} is a link to `), `${what}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /, which is not there \(a drive not mounted, a folder moved\)\nhint: mount or restore/,
      );
      assert.doesNotMatch(r.stderr, /unexpected failure|this is a bug/, what);
      // 'mkdir -p LINK' fails on the link itself (File exists): only its target is offered to make.
      assert.ok(!r.stderr.includes(`mkdir -p ${link}'`), `${what}: ${r.stderr}`);
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "checkpoints",
      "ck",
      "data.csv",
      "logs",
    ]);
    // The store reached through a link whose disk went away after retrain's checks: its copy's folder is not
    // made on the link (mkdir's EEXIST), the link is named.
    await assert.rejects(retrainDataDir(join(dir, "ck")), PathKindError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retrain takes its own training as the candidate, not a version a train by hand writes meanwhile", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-beside-" });
  const root = join(dir, "checkpoints");
  try {
    await writeTrainingCsv(join(dir, "data.csv"), series);
    const child = candlecastCommand(retrainArgs(dir, "monthly", [`--train-args=${TINY}`])).spawn();
    const output = child.output();
    // While retrain's train step trains (its run folder is there), a `train --no-promote` by hand into the
    // same folder saves its version: the lower number, written first.
    while ((await runFolderNames(root)).length === 0) await new Promise((r) => setTimeout(r, 50));
    await writeStandInCheckpoint(join(root, "v1_2026-02-01"), { version: "v1_2026-02-01" });
    const out = await output;
    const stdout = new TextDecoder().decode(out.stdout).trim();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const own = (await listVersionNames(root)).filter((v) => v !== "v1_2026-02-01");
    assert.equal(own.length, 1, String(own));
    assert.match(stdout, new RegExp(`^retrain monthly: promoted ${own[0]} \\(no current model; `));
    assert.equal(await currentVersion(root), own[0], "the hand-made version is neither scored nor promoted");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retrain stopped while a train by hand runs beside it removes its own run folder, not the other's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-runs-" });
  const root = join(dir, "checkpoints");
  try {
    await writeTrainingCsv(join(dir, "data.csv"), series);
    const child = candlecastCommand(
      retrainArgs(dir, "monthly", ["--train-args=--epochs 200 --model lightweight_lstm --members 1"]),
    ).spawn();
    const output = child.output();
    while ((await runFolderNames(root)).length === 0) await new Promise((r) => setTimeout(r, 50));
    const [own] = await runFolderNames(root);
    // A `train` by hand into the same folder: its run folder is live (locked), one epoch saved so far.
    const hand = join(root, ".train_20260301T120000_0123abcd");
    await Deno.mkdir(hand);
    const live = (await tryLockFile(join(hand, ".lock"), "train"))!;
    await Deno.writeTextFile(
      join(hand, "run.json"),
      JSON.stringify({ flags: { data: join(dir, "data.csv") } }),
    );
    await Deno.writeFile(join(hand, "member_1.weights"), new Uint8Array([1, 2, 3]));
    try {
      child.kill("SIGTERM");
      const out = await output;
      assert.equal(out.code, 130, new TextDecoder().decode(out.stderr));
      assert.deepEqual(
        await runFolderNames(root),
        [".train_20260301T120000_0123abcd"],
        `${own} removed, only`,
      );
      assert.deepEqual(Deno.readFileSync(join(hand, "member_1.weights")), new Uint8Array([1, 2, 3]));
    } finally {
      live.release();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** True when nobody holds the kernel lock on `path` (the file itself stays, on purpose). */
async function lockIsFree(path: string): Promise<boolean> {
  const held = await tryLockFile(path, "test");
  held?.release();
  return held !== null;
}

/** Pids of processes whose command line contains every one of `parts`. */
async function pidsOf(...parts: string[]): Promise<number[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,args="], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((line) => parts.every((p) => line.includes(p)))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

Deno.test({
  name: "retrain: training killed mid-run fails the retrain, leaves current untouched and frees the lock",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-crash-" });
    const root = join(dir, "checkpoints");
    try {
      await writeTrainingCsv(join(dir, "data.csv"), series.map((s) => sliceSeries(s, 0, s.length - 168)));
      assert.equal(
        (await retrain(dir, "monthly", [`--train-args=${TINY} --model lightweight_lstm`])).code,
        0,
      );
      const before = await currentVersion(root);
      const versionsBefore = await listVersionNames(root);

      await writeTrainingCsv(join(dir, "data.csv"), series);
      // One member keeps the first epoch line quick on a loaded machine; the wait allows two minutes for it.
      const running = retrain(dir, "monthly", [
        "--train-args=--epochs 200 --model lightweight_lstm --members 1",
      ]);
      let killed = false;
      for (let i = 0; i < 1800 && !killed; i++) { // up to 3 min: the first epoch is slow on a loaded machine
        await new Promise((r) => setTimeout(r, 100));
        const log = await Deno.readTextFile(join(dir, "retrain.log")).catch(() => "");
        if (!/epoch 1\/200/.test(log)) continue; // an epoch finished: training is under way
        for (const pid of await pidsOf(" train --data ", root)) {
          Deno.kill(pid, "SIGKILL");
          killed = true;
        }
      }
      assert.ok(killed, "found the training process");
      const result = await running;
      assert.equal(result.code, 1);
      assert.match(result.stderr, /'candlecast train' was killed by SIGKILL/);
      assert.equal(await currentVersion(root), before, "current is untouched");
      assert.deepEqual(await listVersionNames(root), versionsBefore, "no half-written version appears");
      // The killed training's run folder could never be resumed (its data was retrain's temporary copy).
      assert.deepEqual(await runFolderNames(root), [], "no unresumable run folder is left");
      assert.match(result.stderr, /retrain removed that training's run folder/);
      assert.ok(await lockIsFree(join(root, ".retrain.lock")), "the lock is released");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the holdout is scored as serve answers: each version's own decision rule and priors", () => {
  // Four windows; argmax says SIDEWAYS every time, the prior rule names the class most above its prior.
  const labels = Int8Array.from([0, 2, 1, 2]);
  const set = { labels, returns: new Float64Array(4) };
  const p = Float64Array.from([0.3, 0.5, 0.2, 0.2, 0.5, 0.3, 0.2, 0.6, 0.2, 0.25, 0.45, 0.3]);
  const priors: [number, number, number] = [0.2, 0.6, 0.2];
  const argmax = scoreServed(set, p, new Float64Array(4), {});
  assert.equal(argmax.rule, "argmax");
  assert.equal(argmax.accuracy, 0.25); // SIDEWAYS ×4: right once
  const prior = scoreServed(set, p, new Float64Array(4), { decisionRule: "prior", classPriors: priors });
  assert.equal(prior.rule, "prior");
  assert.equal(prior.accuracy, 1); // DOWN, UP, SIDEWAYS, UP
  assert.equal(prior.macro_f1, 1);
  assert.equal(prior.log_loss, argmax.log_loss, "log-loss does not depend on the rule");
  assert.throws(() => scoreServed(set, p, new Float64Array(4), { decisionRule: "prior" }), /classPriors/);
});

Deno.test("weekly has nothing to fine-tune when current's data reaches every candle before the holdout", () => {
  const until = (s: typeof series[number], n: number) => sliceSeries(s, 0, n);
  const end = (n: number) => series[0].openTime[n - 1];
  const data = {
    end_ms: end(1000),
    symbols: { SIMAUSDT: { last_ms: end(1000) }, SIMBUSDT: { last_ms: end(1000) } },
  };
  assert.equal(coveredUntil(series.map((s) => until(s, 1000)), data), end(1000));
  assert.equal(coveredUntil(series.map((s) => until(s, 900)), data), end(1000));
  assert.equal(coveredUntil(series.map((s) => until(s, 1001)), data), null, "one newer candle: fine-tune");
  assert.equal(coveredUntil(series.map((s) => until(s, 900)), { end_ms: null, symbols: {} }), null);
  // A symbol current never saw is judged by its overall data end.
  assert.equal(coveredUntil([until(series[0], 1001)], { end_ms: end(1000), symbols: {} }), null);
});

Deno.test("retrain collects on the interval of the data it extends, not only the one a model recorded", () => {
  const step = (
    ms: number,
  ) => [
    seriesFromCandles(
      "X",
      simulateMarket({ seed: 1, start: 0, intervalMs: ms, count: 5, startPrice: 100, baseVolume: 50 }),
    ),
  ];
  // 4h candles and no current version: it collected "1h" into them before.
  assert.equal(collectInterval("d.csv", step(4 * HOUR), undefined), "4h");
  // A version saved before a780cd7 recorded monthly candles as "31d"; the data says what they are.
  const months = [
    seriesFromCandles(
      "X",
      simulateMarket({ seed: 1, start: 0, intervalMs: HOUR, count: 3, startPrice: 100, baseVolume: 50 }),
    ),
  ];
  months[0].openTime.set([Date.UTC(2024, 0, 1), Date.UTC(2024, 1, 1), Date.UTC(2024, 2, 1)]);
  assert.equal(collectInterval("d.csv", months, "31d"), "1M");
  // One candle per symbol: the model's interval, else a message that asks for --interval.
  assert.equal(collectInterval("d.csv", [sliceSeries(step(HOUR)[0], 0, 1)], "4h"), "4h");
  const asksForInterval = (message: RegExp) => (e: unknown) =>
    e instanceof CommandError && message.test(e.message) && /pass --interval/.test(e.hint ?? "");
  assert.throws(
    () => collectInterval("d.csv", [sliceSeries(step(HOUR)[0], 0, 1)], "31d"),
    asksForInterval(/cannot tell which candle interval to collect/),
  );
  assert.throws(
    () => collectInterval("d.csv", step(90 * 60_000), "1h"),
    asksForInterval(/90m apart, an interval candlecast cannot collect from Binance/),
  );
});

Deno.test({
  name: "retrain: weekly with nothing new keeps current (exit 0); SIGTERM stops a run with 130 and cleans up",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-stop-" });
    const root = join(dir, "checkpoints");
    try {
      await writeTrainingCsv(join(dir, "data.csv"), series.map((s) => sliceSeries(s, 0, s.length - 168)));
      const first = await retrain(dir, "monthly", [`--train-args=${TINY} --model lightweight_lstm`]);
      assert.equal(first.code, 0, first.stderr);
      const current = await currentVersion(root);
      const versions = await listVersionNames(root);

      // The same data again: current was trained on everything before the held-out days. This used to fail
      // with train's "the training split has no windows".
      const weekly = await retrain(dir, "weekly", [`--train-args=${TINY}`]);
      assert.equal(weekly.code, 0, weekly.stderr);
      assert.match(
        weekly.stdout,
        new RegExp(
          `^retrain weekly: nothing to fine-tune: ${current} already covers the data before the held-out 3 days .*kept it`,
        ),
      );
      assert.deepEqual(await listVersionNames(root), versions);

      // SIGTERM (a systemd stop) while train runs: exit 130 with what was kept; no run folder, no CSV copy.
      const child = candlecastCommand(
        retrainArgs(dir, "monthly", ["--train-args=--epochs 200 --model lightweight_lstm --members 1"]),
      ).spawn();
      let sent = false;
      for (let i = 0; i < 1800 && !sent; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const log = await Deno.readTextFile(join(dir, "retrain.log")).catch(() => "");
        if (/epoch 1\/200/.test(log)) {
          child.kill("SIGTERM");
          sent = true;
        }
      }
      assert.ok(sent, "training got under way");
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 130, stderr);
      assert.match(
        stderr,
        new RegExp(`candlecast: retrain stopped on request during 'train'; ${current} stays current`),
      );
      assert.match(stderr, /hint: /);
      assert.equal(await currentVersion(root), current);
      // train saves what it trained so far when stopped: such a version stays, unpromoted, and is named.
      const written = (await listVersionNames(root)).filter((v) => !versions.includes(v));
      assert.ok(written.length <= 1, `${written}`);
      if (written.length > 0) assert.match(stderr, new RegExp(`${written[0]} was written but not promoted`));
      assert.deepEqual(await runFolderNames(root), [], "no run folder left");
      // The log keeps train's own "finish the run with 'candlecast train --resume …'", which the removal made
      // wrong (it then failed): a line after it says so.
      assert.match(stderr, /removed its unfinished training run/);
      const logged = await Deno.readTextFile(join(dir, "retrain.log"));
      const said = logged.lastIndexOf("retrain: removed the run folder of the training above (.train_");
      assert.ok(said > logged.lastIndexOf("$ candlecast train"), logged.slice(-2000));
      assert.match(logged.slice(said), /a 'candlecast train --resume' hint above does not apply\n/);
      assert.ok(!existsSync(join(root, ".retrain-data")), "the CSV copy is removed, and its folder");
      assert.ok(await lockIsFree(join(root, ".retrain.lock")));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("retrain: a promote by hand while it trains is left in place; its candidate is kept, not promoted", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-race-" });
  const root = join(dir, "checkpoints");
  try {
    await writeTrainingCsv(join(dir, "data.csv"), series);
    const first = await retrain(dir, "monthly", [`--train-args=${TINY} --model lightweight_lstm`]);
    assert.equal(first.code, 0, first.stderr);
    const [v1] = await listVersionNames(root);
    // v2 and v3 served once; v4 is the operator's choice, to be promoted by hand once the next retrain is
    // training. With --keep 2 that run's candidate, never served, stood first to be removed: the line said
    // "promote it by hand with …" and then removed it (a seat's trial).
    const [v2, v3, chosen] = ["v2_2026-01-01", "v3_2026-01-01", "v4_2026-01-01"];
    for (const v of [v2, v3, chosen]) await writeStandInCheckpoint(join(root, v), { version: v });
    for (const v of [v2, v3, v1]) await promote(root, v);
    const log = join(dir, "retrain.log");
    const before = (await Deno.readTextFile(log)).length;
    // Tolerances so wide that the candidate passes the rule: the promotion itself is what is tested.
    const running = retrain(dir, "monthly", [
      `--train-args=${TINY} --epochs 3 --model lightweight_lstm`,
      "--f1-tolerance",
      "1",
      "--logloss-tolerance",
      "100",
      "--keep",
      "2",
    ]);
    const end = Date.now() + 60_000;
    while (!(await Deno.readTextFile(log)).slice(before).includes("$ candlecast train")) {
      assert.ok(Date.now() < end, "retrain started its train step");
      await new Promise((r) => setTimeout(r, 20));
    }
    // In this process, as `models promote` does it (the same store lock): a second candlecast process took ~1 s
    // to start, and on a busy machine the tiny train step could finish first, so the race went the other way.
    await promote(root, chosen);
    const second = await running;
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stdout,
      new RegExp(
        `^retrain monthly: kept ${chosen}: current changed from ${v1} to ${chosen} while retrain ran`,
      ),
    );
    // The hand promotion it suggests names this store: printed bare, it acted on the default checkpoints/.
    const candidate = second.stdout.match(
      /promote it by hand with 'candlecast models promote (v5_\S+) --checkpoints \S+checkpoints'/,
    )?.[1];
    assert.ok(candidate, second.stdout);
    assert.equal(await currentVersion(root), chosen, "the promote by hand stays");
    // The candidate stays for that promote; as many go as before (v2, v3 beyond the newest 2 besides current
    // and its rollback target v1), and the line says why the candidate is still there.
    assert.deepEqual(await listVersionNames(root), [v1, chosen, candidate], second.stdout);
    assert.ok(
      second.stdout.endsWith(
        `; removed 2 old versions beyond --keep 2 (${v2}, ${v3}); kept ${candidate} for that promote by hand ` +
          "(never served, --keep 2 would have removed it)",
      ),
      second.stdout,
    );
    await promote(root, candidate);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retrain --interval is checked as collect checks it; it and --base-url are refused with --no-collect", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-interval-" });
  try {
    await writeTrainingCsv(join(dir, "data.csv"), series);
    // Before: 1H reached the collect step, and retrain exited 1 with "'candlecast collect' exited 2: …"; 4h with
    // --no-collect was dropped without a word.
    const cases: [string, RegExp][] = [
      [
        "1H",
        /^candlecast: --interval: expected one of 1m 3m .* \(case-sensitive: 1m is a minute, 1M a month\)$/m,
      ],
      ["4h", /^candlecast: --interval cannot be combined with --no-collect$/m],
    ];
    for (const [interval, message] of cases) {
      const r = await retrain(dir, "weekly", ["--interval", interval]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    }
    // Likewise --base-url, which only collecting reads (it was accepted and ignored).
    const r = await retrain(dir, "weekly", ["--base-url", "http://127.0.0.1:1"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^candlecast: --base-url cannot be combined with --no-collect$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A stand-in exchange on 127.0.0.1 that answers every request with no candles, counting them. */
function countingExchange() {
  let hits = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    hits++;
    return new Response("[]", { headers: { "Content-Type": "application/json" } });
  });
  return { server, url: `http://127.0.0.1:${server.addr.port}`, hits: () => hits };
}

Deno.test("retrain: --interval against the data's candles and --train-args are checked before any collect (exit 2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-early-" });
  const exchange = countingExchange();
  try {
    await writeTrainingCsv(join(dir, "data.csv"), series); // 1h candles
    const collecting = retrainArgs(dir, "weekly").filter((a) => a !== "--no-collect")
      .concat(["--base-url", exchange.url]);
    // Before: the collect step fetched from the exchange, then failed: "'candlecast collect' exited 1 …", exit 1.
    const cases: [string[], RegExp][] = [
      [["--interval", "4h"], /^candlecast: --interval 4h: .*data\.csv holds 1h candles/m],
      [["--train-args=--epochz 3"], /^candlecast: --train-args: unknown option '--epochz'/m],
      [["--train-args=--epochs abc"], /^candlecast: --train-args: --epochs: expected a positive integer/m],
      // Before: trained a candidate on other.csv (held-out days included) or into other/, then exit 1
      // "train finished but wrote no new version".
      [
        [`--train-args=--epochs 1 --data ${join(dir, "data.csv")}`],
        /^candlecast: --train-args: --data is retrain's/m,
      ],
      [
        [`--train-args=--checkpoints=${join(dir, "other")}`],
        /^candlecast: --train-args: --checkpoints is retrain's/m,
      ],
      [["--train-args=--resume"], /^candlecast: --train-args: --resume is retrain's/m],
      // Before: accepted, and every candidate trained on candles before the fixed validation date only.
      [
        ["--train-args=--split-dates 2022-01-01,2023-01-01"],
        /^candlecast: --train-args: --split-dates is retrain's to set\nhint: retrain splits each candidate's copy/m,
      ],
      // Before: accepted, ignored, and the candidate promoted anyway.
      [
        ["--train-args=--no-promote"],
        /^candlecast: --train-args: --no-promote is retrain's to set\nhint: retrain always trains its candidate unpromoted/m,
      ],
      // Before: "--train-args: (outputHelp)", commander's internal token.
      ...["--help", "-h"].map((h): [string[], RegExp] => [
        [`--train-args=${h}`],
        /^candlecast: --train-args: --help is not a training flag\nhint: run 'candlecast train --help'/m,
      ]),
    ];
    for (const [extra, message] of cases) {
      const out = await candlecastCommand([...collecting, ...extra]).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, stderr);
      assert.match(stderr, message);
    }
    assert.equal(exchange.hits(), 0, "nothing was fetched");
    assert.deepEqual(await listVersionNames(join(dir, "checkpoints")), [], "nothing trained");
  } finally {
    await exchange.server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retrain: a failed step's reason reads once, without the step's own 'candlecast: ' after retrain's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-step-" });
  // An exchange that knows no symbol: collect fails with its one-line reason and hint.
  const exchange = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => Response.json({ code: -1121, msg: "Invalid symbol." }, { status: 400 }),
  );
  try {
    await writeTrainingCsv(join(dir, "data.csv"), series);
    const args = retrainArgs(dir, "monthly").filter((a) => a !== "--no-collect")
      .concat(["--base-url", `http://127.0.0.1:${exchange.addr.port}`]);
    const out = await candlecastCommand(args).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    // Before: "candlecast: 'candlecast collect' exited 1: candlecast: …".
    assert.match(stderr, /^candlecast: 'candlecast collect' exited \d: (?!candlecast: )/m);
    assert.doesNotMatch(stderr, /: candlecast: /);
    // The collect to run by hand, whole: retrain has no --replace, and "give --replace" named a flag it refuses.
    assert.match(
      stderr,
      /^hint: \S+ has its output; by hand: candlecast collect --base-url "http:\/\/127\.0\.0\.1:\d+" --symbols "SIMAUSDT,SIMBUSDT" --interval \S+ --start-date \d{4}-\d\d-\d\d --output \S+data\.csv$/m,
    );
  } finally {
    await exchange.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retrain refuses data whose symbols Binance does not name that way (exit 2), before any collect", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-symbols-" });
  const exchange = countingExchange();
  try {
    // A C# export from another exchange: collect --source json keeps "BTC/USDT" (CSV-quoted).
    await writeTrainingCsv(join(dir, "data.csv"), [{ ...series[0], symbol: "BTC/USDT" }, series[1]]);
    const collecting = retrainArgs(dir, "monthly").filter((a) => a !== "--no-collect")
      .concat(["--base-url", exchange.url]);
    // Before: exit 1, "'candlecast collect' exited 2" with collect's own --symbols message.
    const out = await candlecastCommand(collecting).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.match(stderr, /^candlecast: \S+data\.csv holds BTC\/USDT, which Binance does not name that way/m);
    assert.match(stderr, /^hint: .*--no-collect/m);
    // Lower case, as collect --source json wrote it before it upper-cased symbols: the way out differs.
    await writeTrainingCsv(join(dir, "data.csv"), [{ ...series[0], symbol: "simausdt" }, series[1]]);
    const lower = await candlecastCommand(collecting).output();
    const lowerErr = new TextDecoder().decode(lower.stderr);
    assert.equal(lower.code, 2, lowerErr);
    assert.match(lowerErr, /holds simausdt, not in Binance's upper case, which names it SIMAUSDT/);
    assert.match(lowerErr, /^hint: collect the C# export again into a new file/m);
    // A tr-TR host's upper case (dotted İ), as collect wrote it before it read Turkish casing as meant: the same.
    await writeTrainingCsv(join(dir, "data.csv"), [{ ...series[0], symbol: "S\u0130MAUSDT" }, series[1]]);
    const turkish = await candlecastCommand(collecting).output();
    const turkishErr = new TextDecoder().decode(turkish.stderr);
    assert.equal(turkish.code, 2, turkishErr);
    assert.match(turkishErr, /holds S\u0130MAUSDT, not in Binance's upper case, which names it SIMAUSDT/);
    assert.equal(exchange.hits(), 0, "nothing was fetched");
    assert.deepEqual(await listVersionNames(join(dir, "checkpoints")), [], "nothing trained");
  } finally {
    await exchange.server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retrain: a shape flag in a weekly --train-args, or data on another interval than current's (either mode), is exit 2 before any collect or training", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-weekly-early-" });
  const root = join(dir, "checkpoints");
  const exchange = countingExchange();
  try {
    await writeTrainingCsv(join(dir, "data.csv"), series); // 1h candles
    await Deno.mkdir(join(root, "v1_2026-01-01"), { recursive: true });
    await Deno.symlink("v1_2026-01-01", join(root, "current"));
    const collecting = retrainArgs(dir, "weekly").filter((a) => a !== "--no-collect")
      .concat(["--base-url", exchange.url]);
    // Before: collect fetched from the exchange, then the train step refused, and retrain exited 1.
    const cases: [string, string[], RegExp][] = [
      [
        "1h",
        ["--train-args=--lookback 30"],
        // Before: "… cannot be combined with --incremental", a flag retrain adds, not the user.
        /^candlecast: --train-args: --lookback cannot be combined with a weekly run: it fine-tunes current.*\nhint: --mode monthly/m,
      ],
      [
        "4h",
        [],
        // Before: the hint said "or run --mode monthly", which refuses these candles the same way.
        /^candlecast: --data: .*data\.csv holds 1h candles, but current \(v1_2026-01-01\) was trained on 4h candles: weekly fine-tunes it\nhint: point --data at its 4h candles; to serve a 1h model instead, train it by hand \('candlecast train --data .*data\.csv' promotes it\)/m,
      ],
    ];
    for (const [interval, extra, message] of cases) {
      await Deno.writeTextFile(
        join(root, "v1_2026-01-01", "manifest.json"),
        v1Manifest({ interval }),
      );
      const out = await candlecastCommand([...collecting, ...extra]).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, stderr);
      assert.match(stderr, message);
    }
    // Monthly too. Before: it trained a 1h candidate, scored the 4h current on 1h windows and could promote
    // it (exit 0), changing the served model's interval without a word.
    const monthly = collecting.map((a) => a === "weekly" ? "monthly" : a);
    for (const args of [monthly, retrainArgs(dir, "monthly")]) {
      const out = await candlecastCommand(args).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, stderr);
      assert.match(
        stderr,
        /^candlecast: --data: .*data\.csv holds 1h candles, but current \(v1_2026-01-01\) was trained on 4h candles: monthly scores its candidate against current.*\nhint: point --data at its 4h candles; to serve a 1h model instead, train it by hand \('candlecast train --data .*data\.csv' promotes it\)/m,
      );
    }
    assert.deepEqual(await listVersionNames(root), ["v1_2026-01-01"], "nothing was trained");
    assert.equal(exchange.hits(), 0, "nothing was fetched");
  } finally {
    await exchange.server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retrain monthly: --train-args that do not fit current's recorded model are exit 2 before any collect", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-config-from-" });
  const root = join(dir, "checkpoints");
  const exchange = countingExchange();
  try {
    await writeTrainingCsv(join(dir, "data.csv"), series);
    await standInCurrent(root, { hyperparameters: recordedConfig("lightweight_lstm") });
    const args = retrainArgs(dir, "monthly").filter((a) => a !== "--no-collect")
      .concat(["--base-url", exchange.url, "--train-args=--d-model 16"]);
    // Before: collect fetched from the exchange, then the train step (started from current's lightweight_lstm
    // configuration) refused the flag: "'candlecast train' exited 2: …", exit 1.
    const out = await candlecastCommand(args).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.match(stderr, /^candlecast: --train-args: .*--d-model.*transformer_lstm/m);
    assert.equal(exchange.hits(), 0, "nothing was fetched");
    assert.deepEqual(await listVersionNames(root), ["v1_2026-01-01"], "nothing was trained");
  } finally {
    await exchange.server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retrain: a current that records no architecture is refused before any collect (it collected, then failed)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-unrecorded-" });
  const root = join(dir, "checkpoints");
  const exchange = countingExchange();
  try {
    await writeTrainingCsv(join(dir, "data.csv"), series);
    // No hyperparameters: a hand-written manifest (the first round's record, members aside, now reads).
    await standInCurrent(root);
    for (const mode of ["monthly", "weekly"]) {
      const args = retrainArgs(dir, mode).filter((a) => a !== "--no-collect").concat([
        "--base-url",
        exchange.url,
      ]);
      const out = await candlecastCommand(args).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 1, stderr);
      assert.match(
        stderr,
        /^candlecast: retrain starts from current \(v1_2026-01-01\): its manifest\.json's hyperparameters\.model is missing/m,
      );
    }
    assert.equal(exchange.hits(), 0, "nothing was fetched");
    assert.deepEqual(await listVersionNames(root), ["v1_2026-01-01"], "nothing was trained");
  } finally {
    await exchange.server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retrain: a --log in a folder not made yet is created; a CSV with no candles and a holdout over a day of data are exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-log-" });
  const log = join(dir, "logs", "cron", "retrain.log");
  const data = join(dir, "data.csv");
  const run = (extra: string[] = []) =>
    candlecastCommand(
      retrainArgs(dir, "monthly").map((a) => a === join(dir, "retrain.log") ? log : a).concat(extra),
    ).output();
  try {
    // A header alone. Before: "unexpected failure: No such file or directory … retrain.log" (the log's
    // folder), and with the folder there "unexpected failure: Invalid time value", both exit 1.
    await writeTrainingCsv(data, []);
    assert.equal((await Deno.readTextFile(data)).split("\n").filter(Boolean).length, 1, "a header alone");
    const empty = await run();
    const stderr = new TextDecoder().decode(empty.stderr);
    assert.equal(empty.code, 2, stderr);
    assert.match(
      stderr,
      /^candlecast: .*data\.csv holds no candles \(a header alone\), and retrain extends and trains on the candles in it\nhint: fill it once with 'candlecast collect /m,
    );
    assert.match(
      await Deno.readTextFile(log),
      /retrain monthly: ended without a decision: .*holds no candles/,
    );
    // Half a day of candles: the hint's example fits it (before: "e.g. --holdout-days 1", which fails alike).
    await writeTrainingCsv(data, series.map((s) => sliceSeries(s, 0, 12)));
    const short = await run();
    assert.equal(short.code, 2);
    assert.match(
      new TextDecoder().decode(short.stderr),
      /spans 0\.5 days .*\nhint: hold out fewer days than the data spans, e\.g\. --holdout-days 0\.09, or collect/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retrain: a CSV without open times is exit 2 saying so before the collect, not an unexpected failure", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-untimed-" });
  const data = join(dir, "data.csv");
  try {
    // An OHLCV CSV collected without open times: the open_time column (the second) left empty.
    await writeTrainingCsv(data, series.map((s) => sliceSeries(s, 0, 200)));
    const [header, ...rows] = (await Deno.readTextFile(data)).trimEnd().split("\n");
    assert.equal(header.split(",")[1], "open_time");
    const untimed = rows.map((r) => r.split(",").map((v, k) => k === 1 ? "" : v).join(","));
    await Deno.writeTextFile(data, [header, ...untimed].join("\n") + "\n");
    const args = retrainArgs(dir, "monthly").filter((a) => a !== "--no-collect");
    // Before: "unexpected failure: Invalid time value … this is a bug", exit 1 (the collect's start date).
    const out = await candlecastCommand([...args, "--base-url", "http://127.0.0.1:9"]).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.match(stderr, /data\.csv has candles without open times, and retrain holds out the newest/);
    assert.doesNotMatch(stderr, /unexpected|bug/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a CSV with no candles: the collect the hint gives fetches current's interval, not always 1h", () => {
  const hint = (interval?: string | null) => {
    try {
      requireCandles([sliceSeries(series[0], 0, 0)], "data/x.csv", interval);
    } catch (error) {
      assert.ok(error instanceof UsageError);
      return error.hint ?? "";
    }
    assert.fail("not refused");
  };
  // Before: "--interval 1h" whatever current was trained on; retrain then refused the 1h candles as another
  // interval than a 30m current's.
  assert.match(
    hint("30m"),
    /^fill it once with 'candlecast collect --symbols BTCUSDT,ETHUSDT --interval 30m /,
  );
  assert.match(hint("1w"), /--interval 1w --months 12 --output data\/x\.csv'/);
  assert.match(hint(null), /--interval 1h /, "nothing known: an example");
  assert.match(hint("90m"), /--interval 1h /, "no Binance name to collect");
  requireCandles(series, "data/x.csv", "30m"); // candles: nothing to say
});

Deno.test("retrain: --holdout-days covering all of the data is exit 2 naming the data's span, before any training", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-holdout-" });
  const root = join(dir, "checkpoints");
  try {
    await writeTrainingCsv(join(dir, "data.csv"), series); // 1400 1h candles from 2026-01-01 00:00
    const holdingAll = (mode: string) =>
      candlecastCommand(
        retrainArgs(dir, mode).map((a) => a === "3" ? "1000" : a).concat([`--train-args=${TINY}`]),
      ).output();
    const expected =
      `candlecast: --holdout-days 1000 covers all of the data: ${join(dir, "data.csv")} spans ` +
      "58.3 days (2026-01-01 → 2026-02-28), so no candle is left before the held-out days to train on\n" +
      "hint: hold out fewer days than the data spans, e.g. --holdout-days 11, or collect a longer history\n";
    // Monthly without a model. Before: the train step failed on an empty training split blaming lookback, exit 1.
    const monthly = await holdingAll("monthly");
    assert.equal(new TextDecoder().decode(monthly.stderr), expected);
    assert.equal(monthly.code, 2);
    // Weekly with a current whose data reaches the end. Before: exit 0, "nothing to fine-tune … they start
    // 2023-06-…", a date before the data begins.
    const last = series[0].openTime[series[0].length - 1];
    // A version's files (the monthly run below starts from its recorded configuration), then its manifest.
    await writeStandInCheckpoint(join(root, "v1_2026-01-01"), {
      version: "v1_2026-01-01",
      modelType: "lightweight_lstm",
    });
    await Deno.writeTextFile(
      join(root, "v1_2026-01-01", "manifest.json"),
      v1Manifest({
        created_at: "2026-03-01T00:00:00.000Z",
        model_type: "lightweight_lstm",
        hyperparameters: recordedConfig("lightweight_lstm"),
        data: { end_ms: last, symbols: { SIMAUSDT: { last_ms: last }, SIMBUSDT: { last_ms: last } } },
      }),
    );
    await Deno.symlink("v1_2026-01-01", join(root, "current"));
    const weekly = await holdingAll("weekly");
    assert.equal(new TextDecoder().decode(weekly.stderr), expected);
    assert.equal(weekly.code, 2);
    assert.deepEqual(await listVersionNames(root), ["v1_2026-01-01"], "nothing trained");
    assert.deepEqual(await runFolderNames(root), [], "no training started");
    // Candles without open times (a C# export without "t"): nothing to hold out by time, said as such.
    // Before: "unexpected failure: Invalid time value … this is a bug" from formatting the NaN holdout start.
    await writeTrainingCsv(
      join(dir, "data.csv"),
      series.map((s) => ({ ...s, openTime: s.openTime.map(() => NaN) })),
    );
    const untimed = await candlecastCommand(retrainArgs(dir, "monthly").concat([`--train-args=${TINY}`]))
      .output();
    assert.equal(untimed.code, 2, new TextDecoder().decode(untimed.stderr));
    assert.match(
      new TextDecoder().decode(untimed.stderr),
      /has candles without open times, and retrain holds out/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--train-args may repeat --incremental where retrain fine-tunes anyway; elsewhere it is refused", async () => {
  // A weekly run with a current adds --incremental itself: cron lines written before the refusal carry it.
  refuseRetrainOwnedFlags(["--epochs", "2", "--incremental"], true);
  await checkTrainStep(trainStepArgs("d.csv", "ck", true, "ck/current", ["--epochs", "2", "--incremental"]));
  // Monthly (or weekly before any current) trains from scratch: --incremental would contradict it.
  assert.throws(
    () => refuseRetrainOwnedFlags(["--incremental"], false),
    (e: Error) => e instanceof UsageError && /--incremental is retrain's to set/.test(e.message),
  );
  for (const flag of ["--data=x.csv", "--checkpoints", "--resume", "--split-dates=2022-01-01,2023-01-01"]) {
    assert.throws(() => refuseRetrainOwnedFlags([flag], true), UsageError, flag);
  }
});

Deno.test("a blend flag in a weekly run's --train-args is refused as typed, with --mode monthly as the way to take it", async () => {
  for (const flag of ["--blend-boosting", "--no-blend-boosting"]) {
    const weekly = trainStepArgs("d.csv", "ck", true, "ck/current", [flag]);
    await assert.rejects(() => checkTrainStep(weekly), (e: Error) => {
      assert.ok(e instanceof UsageError);
      // Before: "--blend-boosting cannot be combined with --incremental" (for either flag: --incremental is
      // retrain's, not typed) and a hint to train a version by hand with --config-from.
      assert.equal(
        e.message,
        `--train-args: ${flag} cannot be combined with a weekly run: it fine-tunes current, and a fine-tune ` +
          "serves what its parent serves (a blend keeps current's gradient boosting, which a week of candles " +
          "would fit poorly)",
      );
      assert.match(e.hint ?? "", /^run 'retrain --mode monthly' with it: a monthly run trains from scratch/);
      return true;
    });
    // A monthly run (from current's configuration) takes it.
    const monthly = await checkTrainStep(trainStepArgs("d.csv", "ck", false, null, [flag]));
    assert.equal(monthly.blendBoosting, flag === "--blend-boosting");
  }
});

/** `retrain … --json` over `dir`: its exit code, its whole stdout parsed in --json's shape, and its stderr. */
async function retrainJson(dir: string, mode: string, extra: string[]) {
  const out = await candlecastCommand(retrainArgs(dir, mode, [...extra, "--json"])).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  // Nothing but the document on stdout: it parses whole.
  assert.ok(stdout.startsWith("{") && stdout.endsWith("}\n"), stdout.slice(0, 300));
  return { json: RetrainJson.parse(JSON.parse(stdout)), stderr };
}

Deno.test("retrain --json: the decision as one JSON document on stdout, the summary line on stderr", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-json-" });
  const root = join(dir, "checkpoints");
  try {
    // A failure prints no document: the error on stderr and its exit code, as without --json.
    await writeTrainingCsv(join(dir, "data.csv"), series.map((s) => sliceSeries(s, 0, s.length - 168)));
    const refused = await candlecastCommand(retrainArgs(dir, "monthly", ["--interval", "1h", "--json"]))
      .output();
    assert.equal(refused.code, 2);
    assert.equal(refused.stdout.length, 0);

    // The first model: promoted, as there is nothing to compare it with. SIMBUSDT, not collected for its last
    // 4 days, has no held-out window: said, with where its candles end (before: not mentioned at all).
    await writeTrainingCsv(join(dir, "data.csv"), [
      sliceSeries(series[0], 0, series[0].length - 168),
      sliceSeries(series[1], 0, series[1].length - 168 - 96),
    ]);
    const first = await retrainJson(dir, "monthly", [`--train-args=${TINY} --model lightweight_lstm`]);
    const bEnds = new Date(series[1].openTime[series[1].length - 168 - 97]).toISOString().slice(0, 10);
    assert.deepEqual(first.json.holdout!.symbols_without_windows, [{ symbol: "SIMBUSDT", data_ends: bEnds }]);
    assert.match(
      first.json.summary,
      new RegExp(` windows, all of SIMAUSDT \\(none of SIMBUSDT, whose candles end ${bEnds}\\):`),
    );
    const v1 = (await listVersionNames(root))[0];
    assert.equal(first.stderr, `${first.json.summary}\n`, "the summary line goes to stderr");
    assert.match(first.json.summary, /^retrain monthly: promoted v1_\S+ \(no current model; holdout /);
    assert.deepEqual(
      [first.json.promoted, first.json.reason, first.json.candidate, first.json.current_before],
      [true, "no_current_model", v1, null],
    );
    assert.equal(first.json.current_after, await currentVersion(root));
    assert.deepEqual(first.json.skipped_steps.map((s) => s.step), ["collect", "compare"]);
    assert.equal(first.json.current_scores, null);
    assert.ok(
      first.json.summary.includes(`macro-F1 ${first.json.candidate_scores!.macro_f1!.toFixed(4)} `),
      first.json.summary,
    );

    // A week later: the candidate against current, with the difference's interval the line prints.
    await writeTrainingCsv(join(dir, "data.csv"), series);
    const { json, stderr } = await retrainJson(dir, "monthly", [`--train-args=${TINY}`]);
    assert.equal(stderr, `${json.summary}\n`);
    const candidate = (await listVersionNames(root)).find((v) => v !== v1)!;
    assert.deepEqual(
      [json.mode, json.from_scratch, json.promote_if, json.candidate, json.current_before],
      ["monthly", true, "not-worse", candidate, v1],
    );
    assert.equal(json.current_after, await currentVersion(root));
    assert.equal(json.current_after, json.promoted ? candidate : v1);
    assert.equal(json.reason, json.promoted ? "passed" : "failed_criteria");
    assert.ok(
      json.summary.startsWith(
        json.promoted
          ? `retrain monthly: promoted ${candidate} over ${v1} (`
          : `retrain monthly: kept ${v1}; ${candidate} scored ${json.failed_criteria.join(" and ")} on`,
      ),
      json.summary,
    );
    const cand = json.candidate_scores!, cur = json.current_scores!;
    assert.ok(
      json.summary.includes(`macro-F1 ${scorePair(cand.macro_f1!, cur.macro_f1!)} (${cand.rule} rule)`),
    );
    const d = json.log_loss_difference!;
    // 1h candles: a block a day, as the interval has always been drawn there.
    assert.deepEqual([d.block_days, d.blocks], [1, d.days]);
    const words = describeDifference({
      log_loss_diff: { estimate: d.estimate!, low: d.low!, high: d.high! },
      blocks: d.days,
      level: d.level,
    });
    assert.ok(
      json.summary.includes(`log-loss ${scorePair(cand.log_loss!, cur.log_loss!)} (${words})`),
      json.summary,
    );
    assert.ok(words.endsWith(`: ${d.judgement}`), words);
    const h = json.holdout!;
    assert.deepEqual(h.symbols_without_windows, []);
    assert.deepEqual(json.tolerated_criteria, [], "no tolerance given, none needed");
    assert.ok(
      json.summary.includes(`holdout ${h.scored_from}…${h.to}, ${plural(h.windows, "window")}`),
      json.summary,
    );
    assert.equal(h.days, 3);
    assert.ok(
      json.summary.includes(`gradient_boosting log-loss ${json.gradient_boosting_log_loss!.toFixed(4)}`),
    );
    // With the iterations it kept, in the line and the document: none scores as the class shares, not broken.
    const kept = json.gradient_boosting_iterations!;
    assert.ok(Number.isInteger(kept) && kept >= 0, String(kept));
    assert.ok(
      json.summary.includes(
        `gradient_boosting log-loss ${json.gradient_boosting_log_loss!.toFixed(4)}, ${
          keptIterationsText(kept)
        })`,
      ),
      json.summary,
    );
    assert.deepEqual(
      json.skipped_steps.map((s) => s.step),
      json.promoted ? ["collect"] : ["collect", "promote"],
    );
    assert.deepEqual(json.removed_versions, []);
    assert.deepEqual(json.kept_in_use, []);
    assert.deepEqual(json.prune_warnings, []);
    // The log keeps the line, as without --json.
    assert.ok((await Deno.readTextFile(join(dir, "retrain.log"))).includes(`] ${json.summary}\n`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failed train step whose run folder retrain removed: neither message nor hint says --resume finishes it", () => {
  // A full disk mid-train: the step quotes train's reason and hint in its message, and that hint said the run
  // was kept for 'train --resume', beside retrain's own "removed that training's run folder … could not".
  const trainHint = "free some space on the disk" + keptRunClause(1, "/ck/.train_x", " --checkpoints /ck");
  const step = new StepError(
    `'candlecast train' exited 1: No space left on device (os error 28); hint: ${trainHint}`,
    "/ck/retrain.log has its output",
    `No space left on device (os error 28); hint: ${trainHint}`,
  );
  for (const error of [step, new CommandError("train stopped", trainHint)]) {
    const removed = runFolderRemoved(error);
    const said = `${removed.message}\n${removed.hint ?? ""}`;
    assert.doesNotMatch(said, /finishes the run/, said);
    assert.match(removed.message, /retrain removed that training's run folder/);
    assert.match(said, /free some space on the disk/);
  }
});
