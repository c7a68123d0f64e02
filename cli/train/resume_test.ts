/**
 * Issue 13.11, as a user meets it, through the real entry point: a `train` killed with SIGKILL after some
 * epochs leaves its best weights and epoch count in a run folder and `train --resume` finishes the run; a
 * SIGTERM saves like the first Ctrl-C; what a killed run left is cleaned at the next start; and
 * `--incremental` on a truncated weights.bin says what is wrong instead of "this is a bug".
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type CandleSeries, sliceSeries, writeTrainingCsv } from "../../features/index.ts";
import { currentVersion, listVersionNames, readManifest } from "../../ml/checkpoints/index.ts";
import { haveRealData, loadRealSeries } from "../../test/real_data.ts";
import { candlecastCommand } from "../../test/cli.ts";
import { abandonedRuns } from "./run_folder.ts";

const real = haveRealData();

async function csvOf(dir: string, count: number): Promise<string> {
  const series: CandleSeries[] = [];
  for (const symbol of ["BTCUSDT", "ETHUSDT"]) {
    series.push(sliceSeries(await loadRealSeries(symbol), 50_000, 50_000 + count));
  }
  const path = join(dir, "data.csv");
  await writeTrainingCsv(path, series);
  return path;
}

/** A tiny model that trains an epoch in about a second. */
const tiny = (data: string, checkpoints: string, epochs: number) => [
  "train",
  "--data",
  data,
  "--checkpoints",
  checkpoints,
  "--epochs",
  String(epochs),
  "--patience",
  "50",
  "--batch-size",
  "32",
  "--lookback",
  "12",
  "--d-model",
  "8",
  "--heads",
  "2",
  "--ffn",
  "16",
  "--encoder-layers",
  "1",
  "--lstm-hidden",
  "4",
  "--layers",
  "1",
  "--backend",
  "wasm",
  "--seed",
  "3",
  "--members", // the run folder covers a single model; ensembles (the default since main's recipe) are not
  "1",
];

/** Epochs the running train's run folder has saved (its run.json), 0 before there is one. */
async function epochsSaved(checkpoints: string): Promise<number> {
  try {
    for await (const e of Deno.readDir(checkpoints)) {
      if (!e.name.startsWith(".train_")) continue;
      return JSON.parse(await Deno.readTextFile(join(checkpoints, e.name, "run.json"))).epochsDone;
    }
  } catch {
    // not there yet, or being renamed into place
  }
  return 0;
}

/**
 * Starts train and sends `signal` once `epochs` epochs are done: for SIGKILL once the run folder has saved
 * them (a kill between the epoch line and the save would find one epoch fewer), else at the epoch line.
 */
async function trainUntil(args: string[], epochs: number, signal: Deno.Signal) {
  const child = candlecastCommand(args, { stdin: "null" }).spawn();
  let stdout = "";
  let sent = false;
  const decoder = new TextDecoder();
  const checkpoints = args[args.indexOf("--checkpoints") + 1];
  for await (const chunk of child.stdout) {
    stdout += decoder.decode(chunk);
    if (sent || !new RegExp(`^epoch ${epochs}/`, "m").test(stdout)) continue;
    if (signal === "SIGKILL") {
      while ((await epochsSaved(checkpoints)) < epochs) await new Promise((r) => setTimeout(r, 20));
    }
    child.kill(signal);
    sent = true;
  }
  const status = await child.status;
  const stderr = decoder.decode(new Uint8Array(await new Response(child.stderr).arrayBuffer()));
  return { status, stdout, stderr, sent };
}

Deno.test({
  name: "train: SIGKILL after epoch 2 of 4 → --resume finishes epochs 3–4 from the saved best weights",
  ignore: !real,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-resume-" });
    const checkpoints = join(dir, "checkpoints");
    try {
      const data = await csvOf(dir, 500);
      // Orphans of earlier kills, written mid-write by a process that is gone (pid above pid_max).
      await Deno.mkdir(join(checkpoints, `.v7_2026-01-01.${2 ** 22 + 5}.0badc0de.tmp`), { recursive: true });
      const killed = await trainUntil(tiny(data, checkpoints, 4), 2, "SIGKILL");
      assert.ok(killed.sent, killed.stdout + killed.stderr);
      assert.equal(killed.status.signal, "SIGKILL");
      if (Deno.build.os === "linux") {
        assert.match(killed.stdout, /removed what killed runs left in .*\.v7_2026-01-01/);
      }
      assert.deepEqual(await listVersionNames(checkpoints), [], "nothing was written as a version");
      const [left] = await abandonedRuns(checkpoints);
      assert.ok(left?.state, "the run folder holds the best weights and the epoch count");
      assert.equal(left.state.epochsDone, 2);

      const resumed = await candlecastCommand(["train", "--resume", "--checkpoints", checkpoints]).output();
      const out = new TextDecoder().decode(resumed.stdout);
      assert.equal(resumed.code, 0, new TextDecoder().decode(resumed.stderr));
      assert.match(out, new RegExp(`resuming from .*: ${left.state.epochsDone} epochs done, best epoch \\d`));
      assert.match(out, /^epoch 1\/2 /m, "only the remaining two epochs are trained");
      const [version] = await listVersionNames(checkpoints);
      assert.equal(await currentVersion(checkpoints), version);
      const manifest = await readManifest(join(checkpoints, version));
      const history = JSON.parse(await Deno.readTextFile(join(checkpoints, version, "history.json")));
      assert.deepEqual(history.epochs.map((e: { epoch: number }) => e.epoch), [1, 2, 3, 4]);
      assert.equal((manifest.training as { epochs_run: number }).epochs_run, 4);
      assert.deepEqual(
        await abandonedRuns(checkpoints),
        [],
        "the run folder is gone once the version exists",
      );

      const none = await candlecastCommand(["train", "--resume", "--checkpoints", checkpoints]).output();
      assert.equal(none.code, 1);
      assert.match(new TextDecoder().decode(none.stderr), /no interrupted training run to resume/);
      const mixed = await candlecastCommand(["train", "--resume", "--epochs", "9"]).output();
      assert.equal(mixed.code, 2);
      assert.match(new TextDecoder().decode(mixed.stderr), /--epochs cannot be combined with --resume/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "train: SIGTERM stops like the first Ctrl-C — the best weights so far saved, not promoted, exit 1",
  ignore: !real || Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-sigterm-" });
    const checkpoints = join(dir, "checkpoints");
    try {
      const data = await csvOf(dir, 500);
      const stopped = await trainUntil(tiny(data, checkpoints, 50), 1, "SIGTERM");
      assert.equal(stopped.status.code, 1, stopped.stderr);
      assert.match(stopped.stderr, /training was interrupted; the best weights so far are saved as v1_/);
      const [version] = await listVersionNames(checkpoints);
      assert.equal(await currentVersion(checkpoints), null, "not promoted");
      assert.equal((await readManifest(join(checkpoints, version))).training?.stop_reason, "interrupted");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "train --incremental on a truncated weights.bin names the file instead of failing as a bug",
  ignore: !real,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-truncated-" });
    const checkpoints = join(dir, "checkpoints");
    try {
      const data = await csvOf(dir, 400);
      const first = await candlecastCommand(tiny(data, checkpoints, 1)).output();
      assert.equal(first.code, 0, new TextDecoder().decode(first.stderr));
      const [version] = await listVersionNames(checkpoints);
      const weights = join(checkpoints, version, "weights.bin");
      await Deno.truncate(weights, Math.floor((await Deno.stat(weights)).size / 2));
      const again = await candlecastCommand([
        "train",
        "--data",
        data,
        "--checkpoints",
        checkpoints,
        "--incremental",
      ])
        .output();
      const err = new TextDecoder().decode(again.stderr);
      assert.equal(again.code, 1, err);
      assert.match(err, /candlecast: cannot fine-tune v1_\S+: \S+weights\.bin does not match the sha256/);
      assert.doesNotMatch(err, /bug|at .*\.ts:\d+/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
