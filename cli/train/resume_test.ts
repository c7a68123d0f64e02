/**
 * Issue 13.11, as a user meets it, through the real entry point: a `train` killed with SIGKILL after some
 * epochs leaves its best weights and epoch count in a run folder and `train --resume` finishes the run; an
 * ensemble killed after its first member finished resumes without retraining it and ends exactly as an
 * uninterrupted run; in worker threads too, and after SIGTERM; a SIGTERM saves like the first Ctrl-C; what
 * a killed run left is cleaned at the next start; and `--incremental` on a truncated weights.bin says what
 * is wrong instead of "this is a bug".
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type CandleSeries, sliceSeries, writeTrainingCsv } from "../../features/index.ts";
import { currentVersion, listVersionNames, readManifest } from "../../ml/checkpoints/index.ts";
import { initBackend } from "../../ml/runtime/index.ts";
import { loadModel } from "../../ml/models/index.ts";
import { haveRealData, loadRealSeries } from "../../test/real_data.ts";
import { candlecastCommand } from "../../test/cli.ts";
import { abandonedRuns, epochsDone, type RunState } from "../train_runs/folder/index.ts";

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

/** A tiny model that trains an epoch in about a second (a single model unless `more` says otherwise). */
const tiny = (data: string, checkpoints: string, epochs: number, more: string[] = ["--members", "1"]) => [
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
  ...more,
];

/** The running train's run folder state (its run.json), null before there is one. */
async function runSaved(checkpoints: string): Promise<RunState | null> {
  try {
    for await (const e of Deno.readDir(checkpoints)) {
      if (!e.name.startsWith(".train_")) continue;
      return JSON.parse(await Deno.readTextFile(join(checkpoints, e.name, "run.json")));
    }
  } catch {
    // not there yet, or being renamed into place
  }
  return null;
}

/** Epochs the running train's run folder has saved, 0 before there is one. */
async function epochsSaved(checkpoints: string): Promise<number> {
  const state = await runSaved(checkpoints);
  return state ? epochsDone(state) : 0;
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
      assert.equal(epochsDone(left.state), 2);

      // The data changed since (a cron collect appended to it): refused, the run folder kept for the real file.
      // Before: resumed on the new candles, mixing two datasets' split and scaler in one version.
      const original = await Deno.readFile(data);
      await Deno.writeTextFile(data, "\n", { append: true });
      const changed = await candlecastCommand(["train", "--resume", "--checkpoints", checkpoints]).output();
      assert.equal(changed.code, 1);
      assert.match(
        new TextDecoder().decode(changed.stderr),
        /--resume: .* has changed since the run in .* started/,
      );
      assert.equal((await abandonedRuns(checkpoints)).length, 1);
      await Deno.writeFile(data, original);

      // Where and how the run continues may change (here the backend it was started on, wasm): not what it trains.
      const resumed = await candlecastCommand(
        ["train", "--resume", "--checkpoints", checkpoints, "--backend", "cpu", "--workers", "1"],
      ).output();
      const out = new TextDecoder().decode(resumed.stdout);
      assert.equal(resumed.code, 0, new TextDecoder().decode(resumed.stderr));
      assert.match(out, /^backend: cpu/m, "--backend typed with --resume is used");
      assert.match(
        out,
        new RegExp(`resuming from .*: ${epochsDone(left.state)} epochs done, best epoch \\d`),
      );
      // Only the remaining two epochs are trained, numbered as the run's epochs 3 and 4 (they printed as 1/2
      // and 2/2 before, while history.json numbered them 3 and 4).
      assert.deepEqual(out.match(/^epoch \d+\/\d+/gm), ["epoch 3/4", "epoch 4/4"]);
      const [version] = await listVersionNames(checkpoints);
      assert.equal(await currentVersion(checkpoints), version);
      const manifest = await readManifest(join(checkpoints, version));
      const history = JSON.parse(await Deno.readTextFile(join(checkpoints, version, "history.json")));
      assert.deepEqual(history.epochs.map((e: { epoch: number }) => e.epoch), [1, 2, 3, 4]);
      assert.equal((manifest.training as { epochs_run: number }).epochs_run, 4);
      // Joined from two processes: the manifest says so, and the cores are the resuming one's.
      assert.equal(manifest.training?.resumed, true);
      assert.equal(manifest.training?.workers, 1);
      // Saved with the version: the run folder it came from, so a kill before that folder went is no second copy.
      assert.equal(manifest.training?.run, left.dir.slice(checkpoints.length + 1));
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

/** The tiny model as an ensemble (3 members) on small epochs: an epoch in about a second on a shared core. */
const ensemble = (workers: number, members = 3) => [
  "--members",
  String(members),
  "--workers",
  String(workers),
  "--max-windows-per-epoch",
  "160",
  "--max-validation-windows",
  "64",
];

/** Starts train and sends `signal` as soon as its run folder's saved state satisfies `when`. */
async function trainUntilSaved(args: string[], when: (state: RunState) => boolean, signal: Deno.Signal) {
  const child = candlecastCommand(args, { stdin: "null" }).spawn();
  const output = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  const checkpoints = args[args.indexOf("--checkpoints") + 1];
  let exited = false;
  child.status.then(() => (exited = true));
  let sent = false;
  while (!exited && !sent) {
    const state = await runSaved(checkpoints);
    if (state && when(state)) {
      child.kill(signal);
      sent = true;
    } else await new Promise((r) => setTimeout(r, 10));
  }
  const started = performance.now();
  const status = await child.status;
  const [stdout, stderr] = await output;
  return { status, stdout, stderr, sent, exitSeconds: (performance.now() - started) / 1000 };
}

/** The one uninterrupted ensemble run the resumed ones are compared with (trained once per file). */
let reference: Promise<string> | null = null;
function referenceVersion(): Promise<string> {
  reference ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-resume-reference-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    const checkpoints = join(dir, "checkpoints");
    const run = await candlecastCommand(tiny(await csvOf(dir, 500), checkpoints, 2, ensemble(1))).output();
    assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    return join(checkpoints, (await listVersionNames(checkpoints))[0]);
  })();
  return reference;
}

/** Every weight of the layers named `prefix…` in a saved version, by layer name. */
async function layerValues(version: string, prefix = ""): Promise<Record<string, number[][]>> {
  await initBackend("cpu"); // only to hold the weights read back
  const model = await loadModel(version);
  const out: Record<string, number[][]> = {};
  for (const layer of model.layers) {
    if (layer.name.startsWith(prefix) && layer.weights.length > 0) {
      out[layer.name] = layer.getWeights().map((w) => Array.from(w.dataSync()));
    }
  }
  model.dispose();
  return out;
}

const memberEpochs = (history: { epochs: { member: number; epoch: number }[] }) =>
  history.epochs.map((e) => `${e.member}:${e.epoch}`);

Deno.test({
  name:
    "train: an ensemble killed (SIGKILL) after member 1 finished → --resume skips it and ends exactly as " +
    "an uninterrupted run",
  ignore: !real,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-resume-members-" });
    const checkpoints = join(dir, "checkpoints");
    try {
      const data = await csvOf(dir, 500);
      const expected = await referenceVersion();
      const killed = await trainUntilSaved(
        tiny(data, checkpoints, 2, ensemble(1)),
        (s) => s.members[0].stopReason !== null,
        "SIGKILL",
      );
      assert.ok(killed.sent, killed.stdout + killed.stderr);
      assert.equal(killed.status.signal, "SIGKILL");
      const [left] = await abandonedRuns(checkpoints);
      assert.ok(left?.state, "the run folder holds member 1");
      assert.equal(left.state.members[0].stopReason, "epochs");
      assert.equal(left.state.members[0].epochsDone, 2);
      // An epoch takes about a second, the kill comes within ~10 ms of member 1's save.
      assert.equal(left.state.members[1].epochsDone, 0, "killed before member 2 finished an epoch");

      const resumed = await candlecastCommand(["train", "--resume", "--checkpoints", checkpoints]).output();
      const out = new TextDecoder().decode(resumed.stdout);
      assert.equal(resumed.code, 0, new TextDecoder().decode(resumed.stderr));
      assert.match(
        out,
        /resuming from .*: member 1\/3 finished after 2 epochs; member 2\/3 not started; member 3\/3 not started/,
      );
      assert.doesNotMatch(out, /^member 1\/3: epoch/m, "member 1 is not trained again");
      assert.match(out, /^member 3\/3: epoch 2\/2 /m);
      const [version] = await listVersionNames(checkpoints);
      const got = join(checkpoints, version);
      assert.equal(await currentVersion(checkpoints), version);
      assert.deepEqual(
        await Deno.readFile(join(got, "weights.bin")),
        await Deno.readFile(join(expected, "weights.bin")),
        "the same weights, bit for bit, as the uninterrupted run",
      );
      const metrics = async (v: string) => JSON.parse(await Deno.readTextFile(join(v, "metrics.json"))).test;
      assert.deepEqual(await metrics(got), await metrics(expected));
      const history = async (v: string) => JSON.parse(await Deno.readTextFile(join(v, "history.json")));
      assert.deepEqual(memberEpochs(await history(got)), memberEpochs(await history(expected)));
      assert.deepEqual(
        await abandonedRuns(checkpoints),
        [],
        "the run folder is gone once the version exists",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "train --workers 2: SIGTERM stops the workers and keeps what is saved → --resume keeps the finished " +
    "member as it was and trains the rest",
  ignore: !real || Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-resume-workers-" });
    const checkpoints = join(dir, "checkpoints");
    try {
      const data = await csvOf(dir, 500);
      const expected = await referenceVersion();
      // Four members on two workers: when the first finishes, the third starts in its worker, so SIGTERM always
      // meets a member in training. (With three, the third trains after the first two, on both cores.) Members
      // depend only on their own seeds, so 1–3 match the 3-member reference.
      const stopped = await trainUntilSaved(
        tiny(data, checkpoints, 2, ensemble(2, 4)),
        (s) => s.members.some((m) => m.stopReason === "epochs"),
        "SIGTERM",
      );
      assert.ok(stopped.sent, stopped.stdout + stopped.stderr);
      // Stopped on request: 130, as for a SIGINT; the hints name the --checkpoints it ran with.
      assert.equal(stopped.status.code, 130, stopped.stderr);
      assert.ok(stopped.stderr.includes(`train --resume --checkpoints ${checkpoints}'`), stopped.stderr);
      assert.ok(stopped.exitSeconds < 60, `exited ${stopped.exitSeconds.toFixed(1)} s after SIGTERM`);
      assert.match(stopped.stderr, /the best weights so far are saved as v1_.*\n.*train --resume/);
      assert.equal(await currentVersion(checkpoints), null, "the interrupted version is not promoted");
      const [left] = await abandonedRuns(checkpoints);
      assert.ok(left?.state, "the run folder stays for --resume");
      const finished = left.state.members.flatMap((m, i) => m.stopReason === "epochs" ? [i + 1] : []);
      assert.ok(finished.length >= 1 && finished.length < 3, JSON.stringify(left.state.members));
      assert.ok(left.state.members.some((m) => m.stopReason === "interrupted"), "workers stopped mid-member");

      const resumed = await candlecastCommand([
        "train",
        "--resume",
        "--checkpoints",
        checkpoints,
        "--workers",
        "2",
      ]).output();
      const out = new TextDecoder().decode(resumed.stdout);
      assert.equal(resumed.code, 0, new TextDecoder().decode(resumed.stderr));
      for (const k of finished) {
        assert.match(out, new RegExp(`member ${k}/4 finished after 2 epochs`));
        assert.doesNotMatch(
          out,
          new RegExp(`^member ${k}/4: epoch`, "m"),
          `member ${k} is not trained again`,
        );
      }
      const versions = await listVersionNames(checkpoints);
      assert.equal(versions.length, 2, "the interrupted version and the finished one");
      const got = join(checkpoints, versions[1]);
      assert.equal(await currentVersion(checkpoints), versions[1]);
      const history = JSON.parse(await Deno.readTextFile(join(got, "history.json")));
      for (const k of [1, 2, 3, 4]) {
        const epochs = history.epochs.filter((e: { member: number }) => e.member === k);
        assert.ok(epochs.length >= 2, `member ${k} trained its 2 epochs (a partial one counts too)`);
      }
      for (const k of finished) {
        assert.deepEqual(
          await layerValues(got, `m${k}_`),
          await layerValues(expected, `m${k}_`),
          `member ${k} as in the uninterrupted run`,
        );
      }
      assert.deepEqual(await abandonedRuns(checkpoints), []);
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
      assert.equal(stopped.status.code, 130, stopped.stderr);
      assert.match(stopped.stderr, /training was interrupted; the best weights so far are saved as v1_/);
      const [version] = await listVersionNames(checkpoints);
      assert.equal(await currentVersion(checkpoints), null, "not promoted");
      assert.equal((await readManifest(join(checkpoints, version))).training?.stop_reason, "interrupted");
      // And the run stays for the 'train --resume' it names (a saved run's folder is otherwise not resumable).
      assert.match(stopped.stderr, /train --resume/);
      const [left] = await abandonedRuns(checkpoints);
      assert.ok(left?.state, "the run folder is resumable");
      // A run an earlier candlecast started with a value this one refuses (number flags were read leniently:
      // --epochs 1e3): said as the run's, with what to do, not "run 'candlecast train --help'", since --resume
      // takes no such flag to fix it with.
      const saved = join(left.dir, "run.json");
      const state = JSON.parse(await Deno.readTextFile(saved));
      await Deno.writeTextFile(saved, JSON.stringify({ ...state, flags: { ...state.flags, epochs: "1e3" } }));
      const resumed = await candlecastCommand(["train", "--resume", "--checkpoints", checkpoints]).output();
      const err = new TextDecoder().decode(resumed.stderr);
      assert.equal(resumed.code, 2, err);
      assert.match(
        err,
        /^candlecast: --resume: the run in \S+ was started with a value this candlecast does not take \(--epochs: expected a positive integer, written in decimal digits \("1e3" is 1000: give that\)\)\nhint: start a new run with a value 'candlecast train --help' allows \(remove \S+ to drop this one/,
      );
      // A flag typed now is the user's own to fix, said as any flag is (a review found it blamed on the run).
      await Deno.writeTextFile(saved, JSON.stringify(state));
      const typedNow = await candlecastCommand([
        "train",
        "--resume",
        "--checkpoints",
        checkpoints,
        "--workers",
        "0",
      ]).output();
      const typedErr = new TextDecoder().decode(typedNow.stderr);
      assert.equal(typedNow.code, 2, typedErr);
      assert.match(typedErr, /^candlecast: --workers: /);
      assert.doesNotMatch(typedErr, /--resume: the run/);
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

Deno.test({
  name:
    "train --resume passes over a run of retrain's, newer, for the user's own, and says what it resumes before it trains",
  ignore: !real,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-resume-retrain-" });
    const checkpoints = join(dir, "checkpoints");
    try {
      const data = await csvOf(dir, 500);
      const killed = await trainUntil(tiny(data, checkpoints, 3), 2, "SIGKILL");
      assert.ok(killed.sent, killed.stdout + killed.stderr);
      const [own] = await abandonedRuns(checkpoints);
      assert.ok(own?.state);
      // A run a killed retrain left, newer: its train step's --data is retrain's copy in .retrain-data/ (the
      // candles are the same here, so that only its being retrain's can turn --resume away from it).
      const copy = join(checkpoints, ".retrain-data", "run-0123abcd", "training_data.csv");
      await Deno.mkdir(join(copy, ".."), { recursive: true });
      await Deno.copyFile(data, copy);
      const retrains = join(checkpoints, ".train_20991231T000000_0123abcd");
      await Deno.mkdir(retrains);
      await Deno.copyFile(join(own.dir, "member_1.weights"), join(retrains, "member_1.weights"));
      const state = { ...own.state, flags: { ...own.state.flags, data: copy, promote: false } };
      await Deno.writeTextFile(join(retrains, "run.json"), JSON.stringify(state));

      const resumed = await candlecastCommand(["train", "--resume", "--checkpoints", checkpoints]).output();
      const out = new TextDecoder().decode(resumed.stdout);
      assert.equal(resumed.code, 0, new TextDecoder().decode(resumed.stderr));
      // Before: "resuming from <retrain's folder>: 2 epochs done, best epoch N", after the data had loaded,
      // and the version was trained on retrain's copy, unpromoted.
      const lines = out.split("\n");
      assert.match(
        lines[0],
        new RegExp(
          `^passed over the newer stopped run in ${retrains}, retrain's, which 'train --resume' does not ` +
            `continue \\(the next train or retrain to start removes it\\): retrain's train step started it .*` +
            `\\(2 epochs done, best epoch \\d\\)$`,
        ),
      );
      assert.match(
        lines[1],
        new RegExp(
          `^resuming from ${own.dir} \\('candlecast train' started it \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC on ` +
            `${data} with --epochs 3 --members 1 and 10 more flags\\): 2 epochs done, best epoch \\d$`,
        ),
        "said first, before the data loads",
      );
      assert.deepEqual(out.match(/^epoch \d+\/\d+/gm), ["epoch 3/3"]);
      const [version] = await listVersionNames(checkpoints);
      assert.equal((await readManifest(join(checkpoints, version))).data.path, data);
      assert.equal(await currentVersion(checkpoints), version, "promoted, as the user's run does");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
