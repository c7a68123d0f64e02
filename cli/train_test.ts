import assert from "node:assert/strict";
import process from "node:process";
import { runCli } from "./program.ts";
import { onnxFailure, secondPress } from "./train.ts";
import { writeTrainingCsv } from "../features/index.ts";
import { SYNTHETIC_START, syntheticSeries } from "../test/evaluation.ts";
import { initBackend } from "../ml/runtime/index.ts";
import { buildModel, defaultModelConfig, saveModel } from "../ml/models/index.ts";
import { writeVersion } from "../ml/checkpoints/index.ts";
import { testManifest } from "../test/manifest.ts";
import { testPreprocessor } from "../test/onnx.ts";
import { readManifestInfo } from "../engine/index.ts";
import { decodeModel } from "../ml/onnx/graph.ts";

async function cli(args: string[]): Promise<{ code: number; err: string }> {
  const [log, error] = [console.log, console.error];
  let err = "";
  console.log = () => {};
  console.error = (...a: unknown[]) => void (err += a.join(" ") + "\n");
  try {
    return { code: await runCli(args), err };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

/** `train` on `csv` into `checkpoints` on the cpu backend with 20-candle windows: for runs refused early. */
function quickTrain(csv: string, checkpoints: string): string[] {
  return ["train", "--data", csv, "--checkpoints", checkpoints, "--backend", "cpu", "--lookback", "20"];
}

Deno.test("train: bad flag values are usage errors that name the flag (exit 2)", async () => {
  const cases: [string[], RegExp][] = [
    [["--split-dates", "2023-01-01"], /--split-dates: expected two dates/],
    [["--split-dates", "2023-01-01,2022-01-01"], /--split-dates: the validation start must come before/],
    [["--batch-size", "0"], /--batch-size: expected a positive integer/],
    [["--class-weights", "2"], /--class-weights: expected balanced, sqrt, none or a power/],
    [["--dropout", "1"], /--dropout: expected a dropout rate/],
    [["--incremental", "--lookback", "30"], /--lookback cannot be combined with --incremental/],
    [
      ["--incremental", "--volatility-channels"],
      /--volatility-channels cannot be combined with --incremental/,
    ],
    // A fine-tune serves what its parent serves; a blend's boosting is not refit on a week of candles.
    [["--incremental", "--blend-boosting"], /--blend-boosting cannot be combined with --incremental/],
    [["--incremental", "--no-blend-boosting"], /--no-blend-boosting cannot be combined with --incremental/],
    [["--d-model", "64", "--heads", "3"], /model size: --d-model \(64\) must be a multiple of --heads \(3\)/],
    // A real date is checked as such, not reported as the wrong format.
    [["--split-dates", "2017-13-45,2018-01-01"], /--split-dates: 2017-13-45: not a real calendar date/],
    // One-cycle spreads its schedule over --epochs: 1000000000 would hold the rate at its start.
    [["--epochs", "1000000000"], /--epochs: expected at most 10000 epochs/],
    // An integer flag takes plain digits, as --port does: 1e9 and 0x10 were read as numbers.
    // Said with the digits to give: an earlier candlecast read them.
    [
      ["--epochs", "1e9"],
      /--epochs: expected a positive integer, written in decimal digits \("1e9" is 1000000000/,
    ],
    [
      ["--seed", "0x10"],
      /--seed: expected an integer ≥ 0, written in decimal digits \("0x10" is 16: give that\)\n/,
    ],
    // Empty (an unset variable) was read as 0: a seed of 0, class weights with power 0, recorded as chosen.
    [["--seed", ""], /--seed: expected an integer ≥ 0; got an empty value\nhint: give --seed a value/],
    [
      ["--class-weights", ""],
      /--class-weights: expected balanced, sqrt, none or a power .*; got an empty value/,
    ],
    // Cycled over the members: lengths beyond the members' count would never be used.
    [["--members", "1", "--member-lookbacks", "50,25"], /--member-lookbacks has 2 window lengths, more than/],
    [
      ["--config-from", new URL(import.meta.url).pathname],
      /--config-from: .* is a file, not a version folder/,
    ],
  ];
  for (const [args, message] of cases) {
    const { code, err } = await cli(["train", ...args]);
    assert.equal(code, 2, args.join(" "));
    assert.match(err, message);
  }
});

Deno.test("train: --config-from naming the folder that holds the versions is a usage error (exit 2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-config-from-" });
  try {
    await Deno.mkdir(`${dir}/v1_2026-01-01`);
    await Deno.symlink("v1_2026-01-01", `${dir}/current`);
    // Before: exit 1, "cannot read the configuration of …", as if the version were damaged.
    const { code, err } = await cli(["train", "--config-from", dir]);
    assert.equal(code, 2, err);
    assert.match(
      err,
      /--config-from: .* holds model versions but is not one itself\nhint: use --config-from \S+\/current \(the version served\)/,
    );
    // current gone (its version removed by hand): the newest version is named instead.
    await Deno.remove(`${dir}/v1_2026-01-01`);
    await Deno.mkdir(`${dir}/v2_2026-02-01`);
    const dangling = await cli(["train", "--config-from", dir]);
    assert.equal(dangling.code, 2, dangling.err);
    assert.match(dangling.err, /\nhint: use --config-from \S+\/v2_2026-02-01 \(the newest\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: a missing CSV is a usage error naming --data, with a hint (exit 2)", async () => {
  const missing = await cli(["train", "--data", "/nonexistent/training.csv"]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /--data: \/nonexistent\/training.csv does not exist\nhint: .*candlecast collect/);
  // A folder: before, "candlecast: /tmp/… is a folder, not a file", without the flag.
  const folder = await cli(["train", "--data", Deno.cwd()]);
  assert.equal(folder.code, 2);
  assert.match(folder.err, /^candlecast: --data: \S+ is a folder, not a file\nhint: .*candlecast collect/);
});

Deno.test("train and evaluate: a --data that is not a training CSV (JSON, raw candles) is a usage error (exit 2), as a missing one is", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const json = `${dir}/export.json`;
    await Deno.writeTextFile(json, '{"candles": []}\n');
    const raw = `${dir}/BTCUSDT-1h.csv`;
    await Deno.writeTextFile(
      raw,
      "open_time,open,high,low,close,volume\n1704067200000,100,101,99,100.5,10\n",
    );
    // Before: exit 1 for these, beside exit 2 for a missing --data or a folder: the same mistake, two codes.
    for (const command of ["train", "evaluate"]) {
      const wrong = await cli([command, "--data", json]);
      assert.equal(wrong.code, 2, wrong.err);
      assert.match(
        wrong.err,
        /export\.json is not a training CSV \(its first line must be the header symbol,/,
      );
      const candles = await cli([command, "--data", raw]);
      assert.equal(candles.code, 2, candles.err);
      assert.match(candles.err, /BTCUSDT-1h\.csv is not a training CSV: it holds raw OHLCV candles/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: a CSV holding a header alone is a usage error saying to collect first (exit 2), as retrain's", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const csv = `${dir}/header_only.csv`;
    await writeTrainingCsv(csv, []);
    // Before: "the training split has no windows (0 symbols, 0 candles)", exit 1, after the backend started.
    const empty = await cli(quickTrain(csv, `${dir}/checkpoints`));
    assert.equal(empty.code, 2, empty.err);
    assert.match(
      empty.err,
      /^candlecast: \S+header_only\.csv holds no candles \(a header alone\)\nhint: fill it once with 'candlecast collect --symbols BTCUSDT,ETHUSDT --interval 1h --months 12 --output \S+header_only\.csv' \(or --source json\/csv\), then run train\n/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: --incremental with no current model says to train one first", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-train-cli-" });
  const csv = `${dir}/t.csv`;
  await Deno.writeTextFile(
    csv,
    "symbol,open_time,open,high,low,close,volume,rsi,macd,macd_signal,macd_hist,ema,stoch_k,stoch_d\n",
  );
  const { code, err } = await cli([
    "train",
    "--data",
    csv,
    "--incremental",
    "--checkpoints",
    `${dir}/checkpoints`,
    "--backend",
    "cpu",
  ]);
  // A usage error (2), as predict's and export's --checkpoint naming a missing current (it exited 1).
  assert.equal(code, 2);
  assert.match(err, /--incremental fine-tunes .*current, and there is none/);
  assert.match(err, /hint: .*--checkpoints/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train: --member-lookbacks takes a space-separated list too (SPEC: lists accept spaces or commas)", async () => {
  // Parsed, then stopped by the missing CSV: the list itself was accepted.
  const { code, err } = await cli([
    "train",
    "--members",
    "2",
    "--member-lookbacks",
    "50",
    "25",
    "--data",
    "/nonexistent/training.csv",
  ]);
  assert.equal(code, 2);
  assert.match(err, /--data: \/nonexistent\/training.csv does not exist/);
});

Deno.test("train --resume --no-promote: promotion is not part of what a run trains, so it may be given", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { code, err } = await cli(["train", "--resume", "--no-promote", "--checkpoints", dir]);
    assert.equal(code, 1);
    assert.match(err, /no interrupted training run to resume in/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train --resume names a stopped run's damaged run.json, before reading the data (it said 'no interrupted training run to resume')", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = `${dir}/.train_20261206T163450_91146240`;
    await Deno.mkdir(run);
    await Deno.writeTextFile(`${run}/run.json`, "");
    const { code, err } = await cli(["train", "--resume", "--checkpoints", dir]);
    assert.equal(code, 1, err);
    assert.ok(
      err.startsWith(
        `candlecast: the stopped run in ${run} cannot be resumed: its run.json is damaged (it is empty)\n` +
          "hint: start a new run without --resume (its start removes this folder), or 'rm -r ",
      ),
      err,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train --split-dates outside the data: a usage error before the backend loads", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const csv = `${dir}/t.csv`;
    await writeTrainingCsv(csv, syntheticSeries(20));
    const first = new Date(SYNTHETIC_START).toISOString().slice(0, 10);
    for (
      const [dates, message] of [
        ["2030-01-01,2031-01-01", /--split-dates: the test start 2031-01-01 is after the data's last candle/],
        [`${first},2030-01-01`, /--split-dates: the test start 2030-01-01 is after/],
      ] as const
    ) {
      const { code, err } = await cli(["train", "--data", csv, "--split-dates", dates, "--backend", "cpu"]);
      assert.equal(code, 2, err);
      assert.match(err, message);
    }
    const early = await cli([
      "train",
      "--data",
      csv,
      "--split-dates",
      `2000-01-01,${first}`,
      "--backend",
      "cpu",
    ]);
    assert.equal(early.code, 2, early.err);
    assert.match(early.err, /--split-dates: the validation start 2000-01-01 leaves nothing to train on/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: --checkpoints naming a file is a usage error saying so, fresh or --resume (was 'this is a bug')", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const csv = `${dir}/t.csv`;
    await writeTrainingCsv(csv, syntheticSeries(20));
    for (const args of [["--data", csv, "--checkpoints", csv], ["--resume", "--checkpoints", csv]]) {
      const { code, err } = await cli(["train", ...args, "--backend", "cpu"]);
      assert.equal(code, 2, err);
      assert.match(
        err,
        new RegExp(`--checkpoints: ${csv} is a file, not a folder\\nhint: point --checkpoints at`),
      );
      assert.doesNotMatch(err, /bug/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train --incremental on a version with a damaged manifest says so (exit 1), not 'this is a bug'", async () => {
  // Before: ml/checkpoints' error reached the CLI unconverted and was reported as an unexpected failure.
  const dir = await Deno.makeTempDir();
  try {
    const csv = `${dir}/t.csv`;
    await writeTrainingCsv(csv, syntheticSeries(20));
    const version = `${dir}/ck/v1_2026-01-01`;
    await Deno.mkdir(version, { recursive: true });
    await Deno.symlink("v1_2026-01-01", `${dir}/ck/current`);
    await Deno.writeTextFile(`${version}/manifest.json`, "{bad");
    const { code, err } = await cli(["train", "--data", csv, "--incremental", "--checkpoints", `${dir}/ck`]);
    assert.equal(code, 1, err);
    assert.match(err, /manifest\.json is not valid JSON.*\nhint: the version is incomplete or damaged/);
    assert.doesNotMatch(err, /bug/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train --incremental on a parent whose preprocessor.json was cut short names the changed file, with a hint", async () => {
  // Before: "cannot fine-tune v1_…: …preprocessor.json is not valid JSON (…)" and no hint, where export, predict
  // and models promote say the file no longer matches its manifest and how to recover.
  const dir = await Deno.makeTempDir();
  try {
    const csv = `${dir}/t.csv`;
    await writeTrainingCsv(csv, syntheticSeries(20));
    await initBackend("cpu"); // only to build the weights written
    const model = buildModel(
      { ...defaultModelConfig("lightweight_lstm", 12), lstmHidden: 4, lstmLayers: 1 },
      3,
    );
    const written = await writeVersion(`${dir}/ck`, {
      writeModel: (d) => saveModel(model, d),
      preprocessor: testPreprocessor({ modelType: "lightweight_lstm", lookback: 12 }),
      history: {},
      metrics: {},
      manifest: testManifest({ endMs: SYNTHETIC_START }),
    });
    model.dispose();
    await Deno.symlink(written.version, `${dir}/ck/current`);
    const path = `${written.dir}/preprocessor.json`;
    const text = await Deno.readTextFile(path);
    await Deno.writeTextFile(path, text.slice(0, text.length / 2));
    const { code, err } = await cli(["train", "--data", csv, "--incremental", "--checkpoints", `${dir}/ck`]);
    assert.equal(code, 1, err);
    assert.match(
      err,
      /cannot fine-tune v1_\S+: \S+preprocessor\.json does not match the sha256 in its manifest\.json/,
    );
    assert.match(err, /\nhint: restore the version's files, or promote an intact version first/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train refuses, before training, a `current` that promotion could not replace (exit 1)", async () => {
  // Before: the whole run trained and saved a version, then failed with "…/current is not a symlink to a
  // version" alone, not saying a version had been saved.
  const dir = await Deno.makeTempDir();
  try {
    const csv = `${dir}/t.csv`;
    await writeTrainingCsv(csv, syntheticSeries(20));
    await Deno.mkdir(`${dir}/ck/current`, { recursive: true });
    const { code, err } = await cli(quickTrain(csv, `${dir}/ck`));
    assert.equal(code, 1, err);
    assert.match(
      err,
      /current is not a symlink to a version, so the new version could not be promoted; nothing was trained\n/,
    );
    assert.match(err, /\nhint: move it away; .* then recreates it; or train with --no-promote\n/);
    assert.deepEqual([...Deno.readDirSync(`${dir}/ck`)].map((e) => e.name), ["current"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train --incremental on the same candles as its parent says there is nothing new (exit 1)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const csv = `${dir}/t.csv`;
    await writeTrainingCsv(csv, syntheticSeries(20));
    const tiny = [
      "--model",
      "lightweight_lstm",
      "--members",
      "1",
      "--epochs",
      "1",
      "--max-windows-per-epoch",
      "256",
    ];
    const first = await cli([...quickTrain(csv, `${dir}/ck`), ...tiny]);
    assert.equal(first.code, 0, first.err);
    // Before: "the training split has no windows (1 symbol, 480 candles; …)", after the backend started.
    const { code, err } = await cli([
      "train",
      "--data",
      csv,
      "--incremental",
      "--checkpoints",
      `${dir}/ck`,
    ]);
    assert.equal(code, 1, err);
    assert.match(
      err,
      /^candlecast: --incremental: .*t\.csv holds no candle after v1_\S+'s data end \(.* UTC\); nothing was trained\n/,
    );
    assert.match(err, /\nhint: collect newer candles into it first/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train refuses a --lookback whose attention would not fit the WebAssembly heap, before training (exit 2)", async () => {
  // Before: --lookback 1000 died of a segmentation fault (exit 139, no message) and 500 as "unexpected
  // failure: Aborted()", both mid-training, leaving a run that --resume crashed again.
  const dir = await Deno.makeTempDir();
  try {
    const csv = `${dir}/t.csv`;
    await writeTrainingCsv(csv, syntheticSeries(20));
    const { code, err } = await cli([
      ...["train", "--data", csv, "--checkpoints", `${dir}/ck`, "--backend", "cpu", "--lookback", "1000"],
    ]);
    assert.equal(code, 2, err);
    assert.match(
      err,
      /^candlecast: --lookback 1000 at --batch-size 256: the Transformer's attention would hold 3\.8 GB of scores a batch .* nothing was trained\nhint: --batch-size 33 or less, or --lookback 362 or less, or --model lightweight_lstm/,
    );
    await assert.rejects(Deno.stat(`${dir}/ck`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train refuses sizes whose weights cannot fit the WebAssembly heap, before training (exit 2)", async () => {
  // Before: "unexpected failure: Array buffer allocation failed … this is a bug" (exit 1), and a stopped run
  // folder that models list counted.
  const dir = await Deno.makeTempDir();
  try {
    const csv = `${dir}/t.csv`;
    await writeTrainingCsv(csv, syntheticSeries(20));
    const train = ["train", "--data", csv, "--checkpoints", `${dir}/ck`, "--backend", "cpu"];
    const hybrid = await cli([...train, "--d-model", "100000", "--heads", "1"]);
    assert.equal(hybrid.code, 2, hybrid.err);
    assert.match(
      hybrid.err,
      /^candlecast: --d-model 100000 --ffn \d+ --encoder-layers 1 --lstm-hidden \d+ --layers 1 --members 3: the transformer_lstm would hold at least [\d.]+ billion weights, [\d.]+ GB for one member's weights with their gradient, optimizer state and best copy, past the 2 GB .* nothing was trained\nhint: choose smaller sizes \(the defaults hold at least 1\d\d thousand/,
    );
    const lstm = await cli([
      ...train,
      "--model",
      "lightweight_lstm",
      "--lstm-hidden",
      "100000",
      "--members",
      "1",
    ]);
    assert.equal(lstm.code, 2, lstm.err);
    assert.match(
      lstm.err,
      /^candlecast: --lstm-hidden 100000 --layers \d+ --members 1: the lightweight_lstm would hold/,
    );
    await assert.rejects(Deno.stat(`${dir}/ck`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train refuses training windows that lack a class, saying what --threshold means (exit 1)", async () => {
  // Before: `--threshold 0.5` (meant as 0.5 %) labelled every window SIDEWAYS, and the model was trained,
  // calibrated, scored and promoted as if it had learnt something.
  const dir = await Deno.makeTempDir();
  try {
    const csv = `${dir}/t.csv`;
    await writeTrainingCsv(csv, syntheticSeries(20));
    const { code, err } = await cli([...quickTrain(csv, `${dir}/ck`), "--threshold", "0.5"]);
    assert.equal(code, 1, err);
    assert.match(err, /hold no DOWN and no UP label \(DOWN 0, SIDEWAYS \d+, UP 0\).*nothing was trained/);
    assert.match(err, /hint: --threshold 0\.5 is a return fraction \(50 %, 0\.005 is 0\.5 %\)/);
    await assert.rejects(Deno.stat(`${dir}/ck/current`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: a model.onnx the disk could not take is said to be the disk's, with the export and the promotion still to do", () => {
  const dir = "/srv/ck/v4_2026-12-04";
  const full = Object.assign(
    new Error(`${dir}/model.onnx.1.0a1b2c3d.tmp: No space left on device (os error 28)`),
    {
      code: "ENOSPC",
    },
  );
  const error = onnxFailure(full, "v4_2026-12-04", dir, { checkpoints: "/srv/ck", promote: true });
  assert.equal(error.exitCode, 1);
  assert.match(
    error.message,
    /^could not write \/srv\/ck\/v4_2026-12-04\/model\.onnx: no space left on the device \(.*\); v4_2026-12-04 was saved without it and not promoted$/,
  );
  assert.equal(
    error.hint,
    "free space there (df -h shows where); then 'candlecast export --checkpoint /srv/ck/v4_2026-12-04 --output " +
      "/srv/ck/v4_2026-12-04/model.onnx', then 'candlecast models promote v4_2026-12-04 --checkpoints /srv/ck'",
  );
  // An exporter's own failure keeps its words; --no-promote asks for no promotion.
  const own = onnxFailure(new Error("ORT mismatch 0.3"), "v4_2026-12-04", dir, {
    checkpoints: "checkpoints",
    promote: false,
  });
  assert.match(own.message, /^the ONNX export failed \(ORT mismatch 0\.3\); v4_2026-12-04 was saved/);
  assert.equal(
    own.hint,
    "retry with 'candlecast export --checkpoint /srv/ck/v4_2026-12-04 --output /srv/ck/v4_2026-12-04/model.onnx'",
  );
});

Deno.test("train: the export a version saved without model.onnx needs pastes for a store with a space", () => {
  // Before: 'candlecast export --checkpoint ck sd/v1_… --output ck sd/v1_…/model.onnx', four words for two.
  const error = onnxFailure(new Error("ORT mismatch"), "v1_2026-12-04", "ck sd/v1_2026-12-04", {
    checkpoints: "ck sd",
    promote: true,
  });
  assert.equal(
    error.hint,
    `retry with 'candlecast export --checkpoint "ck sd/v1_2026-12-04" --output "ck sd/v1_2026-12-04/model.onnx"', ` +
      `then 'candlecast models promote v1_2026-12-04 --checkpoints "ck sd"'`,
  );
});

Deno.test("train: a version saved without model.onnx names the steps left even with the working folder deleted", () => {
  // A seat deleted train's working folder mid-run: the export failed, then building this message asked for the
  // working folder (node:path's resolve) and threw, so the user read "unexpected failure … this is a bug".
  const cwd = process.cwd;
  process.cwd = () => {
    throw new Error("No such file or directory (os error 2)");
  };
  try {
    const failure = (checkpoints: string) =>
      onnxFailure(new Error("ORT mismatch"), "v2_2026-12-04", `${checkpoints}/v2_2026-12-04`, {
        checkpoints,
        promote: true,
      }).hint ?? "";
    assert.equal(
      failure("checkpoints"),
      "retry with 'candlecast export --checkpoint checkpoints/v2_2026-12-04 --output " +
        "checkpoints/v2_2026-12-04/model.onnx', then 'candlecast models promote v2_2026-12-04'",
    );
    assert.match(
      failure("./checkpoints/"),
      /models promote v2_2026-12-04'$/,
      "the default, spelled otherwise",
    );
    assert.match(failure("/srv/ck"), /models promote v2_2026-12-04 --checkpoints \/srv\/ck'$/);
    assert.match(failure("ck sd"), /models promote v2_2026-12-04 --checkpoints "ck sd"'$/);
  } finally {
    process.cwd = cwd;
  }
});

Deno.test("train: a second Ctrl-C says what happened, then what to run on a hint line of its own", () => {
  // Before: "candlecast: stopped without saving; checkpoints/current is untouched; 'candlecast train --resume'
  // continues from the last finished epoch", the instruction folded into the reason and no hint line.
  assert.equal(
    secondPress("training", false, "checkpoints"),
    "candlecast: stopped without saving; checkpoints/current is untouched\n" +
      "hint: 'candlecast train --resume' continues from the last finished epoch",
  );
  assert.equal(
    secondPress("saving", true, "/tmp/ck"),
    "candlecast: stopped without saving; /tmp/ck/current is untouched\n" +
      "hint: 'candlecast train --resume --checkpoints /tmp/ck' continues from the last finished epoch",
  );
  // While promoting, the version is saved and its run folder gone: --resume had nothing to continue.
  assert.equal(
    secondPress("promoting", false, "/tmp/ck"),
    "candlecast: stopped while promoting the saved version; /tmp/ck/current may still point at the one before " +
      "it\nhint: 'candlecast models list --checkpoints /tmp/ck' shows where it points; 'candlecast models promote " +
      "VERSION --checkpoints /tmp/ck' points it at the new one",
  );
  assert.equal(
    secondPress("preparing", true, "checkpoints"),
    "candlecast: stopped before training started; nothing was saved\n" +
      "hint: 'candlecast train --resume' still continues the run",
  );
  assert.equal(
    secondPress("teacher", false, "checkpoints"),
    "candlecast: stopped before training started; nothing was saved\nhint: run the same command again to train",
  );
});

Deno.test("train records how far candles off the UTC grid open past it (grid_offset_ms), and nothing for those on it", async () => {
  // 1h candles at :30 past each hour, as a feed whose hours begin at a half-hour zone's: serve held the bot's
  // candles to the UTC grid and refused the model's own (a seat's trial, with an exchange's 16:00 UTC days).
  const dir = await Deno.makeTempDir();
  try {
    const tiny = [
      "--model",
      "lightweight_lstm",
      "--members",
      "1",
      "--epochs",
      "1",
      "--max-windows-per-epoch",
      "256",
    ];
    const onGrid = `${dir}/on.csv`, offGrid = `${dir}/off.csv`;
    await writeTrainingCsv(onGrid, syntheticSeries(20));
    const shifted = syntheticSeries(20);
    for (const s of shifted) for (let i = 0; i < s.length; i++) s.openTime[i] += 30 * 60_000;
    await writeTrainingCsv(offGrid, shifted);
    const printed: string[] = [];
    for (const [csv, ck] of [[onGrid, `${dir}/ck_on`], [offGrid, `${dir}/ck_off`]]) {
      const [log, error] = [console.log, console.error];
      console.log = (...a: unknown[]) => void printed.push(a.join(" "));
      console.error = () => {};
      try {
        assert.equal(await runCli([...quickTrain(csv, ck), ...tiny]), 0, printed.join("\n"));
      } finally {
        [console.log, console.error] = [log, error];
      }
    }
    // Said once, for the off-grid run only.
    assert.equal(
      printed.filter((l) => /open 30 min past the UTC grid/.test(l)).length,
      1,
      printed.join("\n"),
    );
    const manifest = async (ck: string) => JSON.parse(await Deno.readTextFile(`${ck}/current/manifest.json`));
    assert.equal((await manifest(`${dir}/ck_off`)).grid_offset_ms, 30 * 60_000);
    assert.equal((await manifest(`${dir}/ck_on`)).grid_offset_ms, undefined);
    const info = await readManifestInfo(`${dir}/ck_off/current`);
    assert.equal(info.gridOffsetMs, 30 * 60_000);
    // In the ONNX metadata too, for an in-process client that never meets serve's check.
    const meta = (ck: string) =>
      Deno.readFile(`${ck}/current/model.onnx`).then((b) =>
        Object.fromEntries(decodeModel(b).metadataProps.map((e) => [e.key, e.value]))
      );
    assert.equal((await meta(`${dir}/ck_off`)).grid_offset_ms, "1800000");
    assert.equal((await meta(`${dir}/ck_on`)).grid_offset_ms, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train --incremental on candles of another grid than the parent's is refused (2), as another interval is", async () => {
  // A version of :30 candles fine-tuned on :00 ones recorded no offset and was promoted: serve then refused the
  // bot's :30 candles the parent took, and nothing was said (a review).
  const dir = await Deno.makeTempDir();
  try {
    const tiny = [
      "--model",
      "lightweight_lstm",
      "--members",
      "1",
      "--epochs",
      "1",
      "--max-windows-per-epoch",
      "256",
    ];
    const offGrid = `${dir}/off.csv`, onGrid = `${dir}/on.csv`;
    const shifted = syntheticSeries(20);
    for (const s of shifted) for (let i = 0; i < s.length; i++) s.openTime[i] += 30 * 60_000;
    await writeTrainingCsv(offGrid, shifted);
    const longer = syntheticSeries(24);
    await writeTrainingCsv(onGrid, longer);
    const first = await cli([...quickTrain(offGrid, `${dir}/ck`), ...tiny]);
    assert.equal(first.code, 0, first.err);
    const { code, err } = await cli([
      "train",
      "--data",
      onGrid,
      "--incremental",
      "--checkpoints",
      `${dir}/ck`,
    ]);
    assert.equal(code, 2, err);
    assert.match(
      err,
      /^candlecast: --incremental: .*on\.csv's 1h candles open on the UTC grid, but v1_\S+'s opened 30 min past the UTC grid; .*nothing was trained\n/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
