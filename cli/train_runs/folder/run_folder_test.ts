import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { PathKindError, tryLockFile } from "../../../base/index.ts";
import { initBackend } from "../../../ml/runtime/index.ts";
import { buildModel, defaultModelConfig } from "../../../ml/models/index.ts";
import { type EpochRecord, type LayerWeights, layerWeights } from "../../../ml/train/index.ts";
import {
  type Abandoned,
  abandonedRuns,
  describeRun,
  type MemberState,
  passedOverLine,
  pruneAbandonedRuns,
  rerunLine,
  resumableState,
  resumeChoice,
  RunFlagsError,
  RunFolder,
  runOrigin,
  type RunState,
  unjudgedCandidateHint,
} from "./run_folder.ts";
import { decodeWeights, encodeWeights } from "./weights_file.ts";
import { isLiveRun, isRetrainCopy, runFolderNames } from "../run_names.ts";
// Where retrain puts its train step's data: its runs are told by it.
import { retrainDataDir } from "../../retrain/store.ts";
import { CommandError, UsageError } from "../../errors.ts";
// train's flag schema, which `train --resume` and what offers it parse a run's flags by (handed in by them).
import { TrainFlagsSchema } from "../../train/options.ts";

Deno.test("a run folder is listed only once it is locked and has its run.json (it was listed unlocked first)", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-run-folder-" });
  try {
    // A folder being set up is not a run: retrain's cleanup removes unlocked run folders it finds.
    await Deno.mkdir(join(root, ".train_20260101T000000_0123abcd.starting"));
    assert.deepEqual(await runFolderNames(root), []);

    const run = await RunFolder.create(root, { data: "d.csv" }, null, 3);
    const names = await runFolderNames(root);
    assert.deepEqual(names, [run.dir.slice(root.length + 1)]);
    assert.equal(await isLiveRun(run.dir), true);
    const state = JSON.parse(await Deno.readTextFile(join(run.dir, "run.json")));
    assert.equal(state.flags.data, "d.csv");
    assert.equal(state.members.length, 3);
    const entries = [];
    for await (const e of Deno.readDir(root)) entries.push(e.name);
    assert.equal(entries.filter((n) => n.endsWith(".starting")).length, 1, "only the one made by hand above");
    await run.keep();
    assert.equal(await isLiveRun(run.dir), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a run folder that cannot be set up leaves nothing behind", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-run-folder-" });
  try {
    const file = join(root, "not_a_folder");
    await Deno.writeTextFile(file, "");
    await assert.rejects(() => RunFolder.create(file, {}, null, 1));
    const entries = [];
    for await (const e of Deno.readDir(root)) entries.push(e.name);
    assert.deepEqual(entries, ["not_a_folder"]);
    // Made and locked, then its run.json cannot be written (flags JSON cannot hold): the half-made folder goes.
    await assert.rejects(() => RunFolder.create(root, { seed: 1n }, null, 1), TypeError);
    entries.length = 0;
    for await (const e of Deno.readDir(root)) entries.push(e.name);
    assert.deepEqual(entries, ["not_a_folder"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("--checkpoints a link to a folder not there (a disk not mounted) is said as such, exit 2, not mkdir's EEXIST", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-run-folder-" });
  try {
    // The store itself, and a store under a linked folder (models → a disk's mount point, gone).
    await Deno.symlink(join(root, "unmounted", "ck"), join(root, "ck"));
    await Deno.symlink(join(root, "gone"), join(root, "models"));
    for (const [store, link] of [["ck", "ck"], [join("models", "ck"), "models"]]) {
      await assert.rejects(
        () => RunFolder.create(join(root, store), {}, null, 1),
        (error: unknown) => {
          assert.ok(error instanceof PathKindError, String(error));
          assert.equal(error.exitCode, 2);
          assert.ok(error.message.startsWith(`${join(root, link)} is a link to `), error.message);
          assert.match(error.message, /, which is not there \(a drive not mounted/);
          return true;
        },
      );
    }
    assert.deepEqual((await Array.fromAsync(Deno.readDir(root))).map((e) => e.name).sort(), ["ck", "models"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a run folder a train killed while setting it up (.starting) is removed by the next start, once old and unlocked", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-run-folder-" });
  try {
    const staging = (id: string) => join(root, `.train_20260101T000000_${id}.starting`);
    const old = new Date(Date.now() - 3600_000);
    // Killed between mkdir and rename: its lock is free and it is no run anyone can resume or list.
    await Deno.mkdir(staging("0123abcd"));
    await Deno.writeTextFile(join(staging("0123abcd"), ".lock"), "");
    await Deno.writeTextFile(join(staging("0123abcd"), "run.json"), "{}");
    await Deno.utime(staging("0123abcd"), old, old);
    // Another train's, being set up this instant (not locked yet), and an old one whose lock is held.
    await Deno.mkdir(staging("89abcdef"));
    await Deno.mkdir(staging("fedcba98"));
    using _lock = (await tryLockFile(join(staging("fedcba98"), ".lock"), "train"))!;
    await Deno.utime(staging("fedcba98"), old, old);

    const { removed } = await pruneAbandonedRuns(root);
    assert.deepEqual(removed, [staging("0123abcd")]);
    const entries = [];
    for await (const e of Deno.readDir(root)) entries.push(e.name);
    assert.deepEqual(
      entries.sort(),
      [staging("89abcdef"), staging("fedcba98")].map((d) => d.slice(root.length + 1)),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("two resumes of one run: the second is told another 'train --resume' continues it (it was 'a bug')", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-run-folder-adopt-" });
  try {
    const run = await RunFolder.create(root, { data: "d.csv" }, null, 1);
    const state: RunState = JSON.parse(await Deno.readTextFile(join(run.dir, "run.json")));
    await run.keep(); // as a killed run leaves it: unlocked
    const first = await RunFolder.adopt(run.dir, state);
    await assert.rejects(
      RunFolder.adopt(run.dir, state),
      (e: Error) =>
        e instanceof CommandError && /is being continued by another 'train --resume'/.test(e.message),
    );
    await first.keep();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a resumed run is described in words, one epoch in the singular", () => {
  const member = (epochsDone: number, stopReason: MemberState["stopReason"]): MemberState => ({
    epochsDone,
    bestEpoch: epochsDone || null,
    bestScore: epochsDone ? 1.05 : null,
    history: [],
    stopReason,
  });
  const state = (members: MemberState[]): RunState => ({ flags: {}, parent: null, members, startedAt: "" });
  assert.equal(describeRun(state([member(1, "interrupted")])), "1 epoch done, best epoch 1");
  assert.equal(
    describeRun(state([member(1, "epochs"), member(2, null), member(0, null)])),
    "member 1/3 finished after 1 epoch; member 2/3 2 epochs done, best epoch 2; member 3/3 not started",
  );
  // Ctrl-C mid-epoch: the epoch is counted (and validated) but did not run whole, so a resume runs it again.
  const cut: MemberState = {
    ...member(2, "interrupted"),
    history: [{ partial: false }, { partial: true }] as MemberState["history"],
  };
  assert.equal(
    describeRun(state([cut])),
    "1 epoch done, epoch 2 cut short (it runs again in full), best epoch 2",
  );
  const first: MemberState = {
    ...member(1, "interrupted"),
    history: [{ partial: true }] as MemberState["history"],
  };
  assert.equal(describeRun(state([first])), "epoch 1 cut short (it runs again in full), best epoch 1");
});

Deno.test("after a resume, the epochs cut short before it are said to have run again, and whose weights stay", () => {
  const record = (epoch: number, partial: boolean, score: number) =>
    ({ epoch, partial, val_calibrated_log_loss: score }) as MemberState["history"][number];
  const member = (history: MemberState["history"], best: number, score: number): MemberState => ({
    epochsDone: history.length,
    bestEpoch: best,
    bestScore: score,
    history,
    stopReason: "interrupted",
  });
  const state = (members: MemberState[]): RunState => ({ flags: {}, parent: null, members, startedAt: "" });
  const done = { ...member([record(1, false, 1.1)], 1, 1.1), stopReason: "epochs" as const };
  const cut = member([record(1, false, 1.1), record(2, true, 1.05)], 2, 1.05);
  const better = member([record(1, false, 1.1), record(2, false, 1.02)], 2, 1.02);
  assert.equal(
    rerunLine(state([done, cut]), state([done, better])),
    "cut short before the resume: member 2/2's epoch 2 ran again in full",
  );
  const worse = member([record(1, false, 1.1), record(2, false, 1.07)], 2, 1.05);
  assert.equal(
    rerunLine(state([cut]), state([worse])),
    "cut short before the resume: epoch 2 ran again in full (val_calibrated_log_loss 1.0700) without beating its cut-short " +
      "run (1.0500), whose weights stay",
  );
  // Cut again before the epoch ran whole: nothing ran again. Nothing was cut: nothing to say.
  assert.equal(rerunLine(state([cut]), state([cut])), null);
  assert.equal(rerunLine(state([done]), state([done])), null);
});

Deno.test("a run.json whose parent is no version name (a path out of the store) makes the run not resumable", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-run-folder-" });
  try {
    const run = await RunFolder.create(root, { data: "d.csv" }, "v1_2026-01-01", 1);
    await run.keep();
    const state = JSON.parse(await Deno.readTextFile(join(run.dir, "run.json")));
    state.members[0] = { ...state.members[0], epochsDone: 1, bestEpoch: 1, bestScore: 1 };
    await Deno.writeFile(join(run.dir, "member_1.weights"), new Uint8Array());
    const withParent = async (parent: string) => {
      await Deno.writeTextFile(join(run.dir, "run.json"), JSON.stringify({ ...state, parent }));
      return (await abandonedRuns(root))[0].state?.parent ?? null;
    };
    assert.equal(await withParent("v1_2026-01-01"), "v1_2026-01-01");
    // `train --resume` would have fine-tuned join(--checkpoints, parent): read as any damaged run.json instead.
    for (const parent of ["../../elsewhere/v1_2026-01-01", "/tmp/v1_2026-01-01", "..", "v1_2026-01-01/.."]) {
      assert.equal(await withParent(parent), null, parent);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a run whose version was saved (killed before its folder went) is not resumable, and the next start removes it", async () => {
  // Resumed, it was trained to its end again and saved as a second copy of the version, then promoted.
  const root = await Deno.makeTempDir({ prefix: "candlecast-run-folder-" });
  try {
    const run = await RunFolder.create(root, { data: "d.csv" }, null, 1);
    await run.keep();
    const state = JSON.parse(await Deno.readTextFile(join(run.dir, "run.json")));
    state.members[0] = {
      ...state.members[0],
      epochsDone: 2,
      bestEpoch: 2,
      bestScore: 1,
      stopReason: "epochs",
    };
    await Deno.writeTextFile(join(run.dir, "run.json"), JSON.stringify(state));
    await Deno.writeFile(join(run.dir, "member_1.weights"), new Uint8Array());
    assert.notEqual((await abandonedRuns(root))[0].state, null, "resumable while no version names it");
    const name = run.dir.slice(root.length + 1);
    await Deno.mkdir(join(root, "v1_2026-01-01"));
    await Deno.writeTextFile(
      join(root, "v1_2026-01-01", "manifest.json"),
      JSON.stringify({ version: "v1_2026-01-01", training: { run: name } }),
    );
    assert.equal((await abandonedRuns(root))[0].state, null);
    assert.deepEqual((await pruneAbandonedRuns(root)).removed, [run.dir]);
    assert.deepEqual(await runFolderNames(root), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** One epoch's record as the loop reports it, scored `score`. */
const epochRecord = (epoch: number, score: number): EpochRecord => ({
  epoch,
  partial: false,
  windows: 10,
  loss: 1,
  accuracy: 0.5,
  val_loss: 1,
  val_accuracy: 0.5,
  val_macro_f1: 0.4,
  val_log_loss: 1,
  val_calibrated_log_loss: score,
  val_temperature: 1,
  learning_rate: 0.001,
  samples_per_second: 100,
  seconds: 1,
});

const SMALL_WEIGHTS: LayerWeights = {
  dense: [{ shape: [2, 2], values: Float32Array.from([1, 2, 3, 4]) }, {
    shape: [2],
    values: Float32Array.from([0, 1]),
  }],
};

/** A one-member run of --epochs 40 stopped after 3 epochs (each better), as train leaves it; its folder. */
async function stoppedRun(root: string, weights: LayerWeights = SMALL_WEIGHTS): Promise<string> {
  // As train records them: --backend has a default, so it is always there.
  const run = await RunFolder.create(root, { data: "d.csv", epochs: "40", backend: "auto" }, null, 1);
  for (const epoch of [1, 2, 3]) {
    await run.afterEpoch(1, epochRecord(epoch, 1 - epoch / 10), () => weights, 0);
  }
  await run.keep();
  return run.dir;
}

const newest = async (root: string): Promise<Abandoned> => (await abandonedRuns(root))[0];

/** Asserts that `work` is refused as a damaged run: exit 1, `problem` after the run's folder, and `hint`. */
async function refusedAsDamaged(work: () => Promise<unknown>, dir: string, problem: string, hint: RegExp) {
  await assert.rejects(work, (error: unknown) => {
    assert.ok(error instanceof CommandError, String(error));
    assert.equal(error.exitCode, 1);
    assert.equal(error.message, `the stopped run in ${dir} cannot be resumed: ${problem}`);
    assert.match(error.hint ?? "", hint);
    return true;
  });
}

Deno.test("--resume names a run.json that is empty, cut short or no run's as damaged (it said 'no interrupted training run to resume')", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-run-folder-damaged-" });
  try {
    const dir = await stoppedRun(root);
    const whole = await Deno.readTextFile(join(dir, "run.json"));
    assert.deepEqual(await resumableState(await newest(root), TrainFlagsSchema), JSON.parse(whole));
    const cases: [string, string][] = [
      ["", "its run.json is damaged (it is empty)"],
      [whole.slice(0, 200), "its run.json is damaged (it is not JSON: cut short or overwritten)"],
      ["[]", "its run.json is damaged ((root): Invalid input: expected object, received array)"],
      [
        JSON.stringify({ ...JSON.parse(whole), members: "one" }),
        "its run.json is damaged (members: Invalid input: expected array, received string)",
      ],
      // The first candlecast that kept run folders wrote one model's state: no damage, but no run of this one's.
      [
        JSON.stringify({ flags: {}, epochsDone: 2, bestEpoch: 2, history: [] }),
        "its run.json was written by an older candlecast, which this one cannot continue",
      ],
    ];
    for (const [text, problem] of cases) {
      await Deno.writeTextFile(join(dir, "run.json"), text);
      const run = await newest(root);
      assert.equal(run.state, null, "nothing to resume, as before");
      assert.equal(run.damaged, problem);
      await refusedAsDamaged(
        () => resumableState(run, TrainFlagsSchema),
        dir,
        problem,
        /^start a new run without --resume \(its start removes this folder\), or 'rm -r \S+'$/,
      );
    }
    // A weights file gone that run.json names: damaged too (it was "nothing to resume" as well).
    await Deno.writeTextFile(join(dir, "run.json"), whole);
    await Deno.remove(join(dir, "member_1.weights"));
    const gone = await newest(root);
    assert.equal(gone.state, null);
    assert.equal(gone.damaged, "its member_1.weights, member 1's best weights, is missing");
    // As the hint says, a new run's start removes it.
    assert.deepEqual((await pruneAbandonedRuns(root)).removed, [dir]);
    // No run.json at all (an older candlecast killed before its first epoch) and no epoch done are no damage.
    await Deno.mkdir(join(root, ".train_20260101T000000_0123abcd"));
    assert.equal(await resumableState(await newest(root), TrainFlagsSchema), null);
    const fresh = await RunFolder.create(root, { data: "d.csv" }, null, 1);
    await fresh.keep();
    assert.equal(await resumableState(await newest(root), TrainFlagsSchema), null);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a member weights file cut short or of NaN values: --resume refuses the run as damaged before the data loads, and adopt too (it was 'a bug')", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-run-folder-weights-" });
  try {
    const dir = await stoppedRun(root);
    const path = join(dir, "member_1.weights");
    const bytes = await Deno.readFile(path);
    const nan: LayerWeights = {
      dense: [{ shape: [2, 2], values: Float32Array.from([1, NaN, 3, 4]) }, SMALL_WEIGHTS.dense[1]],
    };
    const cases: [Uint8Array, string][] = [
      [bytes.subarray(0, bytes.length - 3), "is damaged (values cut short)"],
      [new Uint8Array(), "is damaged (no header)"],
      [encodeWeights(nan), "is damaged (layer dense holds values that are NaN or infinite)"],
    ];
    const hint = new RegExp(
      `^start a new run without --resume; 'rm -r ${dir}' drops this one, which train and models list otherwise ` +
        "keep naming$",
    );
    for (const [damaged, problem] of cases) {
      await Deno.writeFile(path, damaged);
      const run = await newest(root);
      // Still listed as resumable (models list reads no weights), refused by what resumes it.
      assert.ok(run.state);
      await refusedAsDamaged(
        () => resumableState(run, TrainFlagsSchema),
        dir,
        `its member_1.weights ${problem}`,
        hint,
      );
      await refusedAsDamaged(
        () => RunFolder.adopt(dir, run.state!),
        dir,
        `its member_1.weights ${problem}`,
        hint,
      );
      assert.equal(await isLiveRun(dir), false, "adopt's refusal lets the lock go");
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a run.json whose epochs contradict each other is refused as damaged (a resume trusted epochsDone: 1e9 and history: [])", async () => {
  // Before: epochsDone 1e9 made --resume stop at 16 of 40 epochs, saved with stop_reason "epochs"; history []
  // beside 16 epochs done recorded epochs_run 24 for a 40-epoch run.
  const root = await Deno.makeTempDir({ prefix: "candlecast-run-folder-epochs-" });
  try {
    const dir = await stoppedRun(root);
    const whole = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
    const member = whole.members[0];
    const cases: [Record<string, unknown>, Record<string, unknown>, string][] = [
      [{}, { epochsDone: 1e9 }, "members[0].epochsDone is 1000000000 but its history records 3 epochs"],
      [{}, { history: [] }, "members[0].epochsDone is 3 but its history records 0 epochs"],
      [{ epochs: "2" }, {}, "members[0].epochsDone is 3, more than the run's 2 epochs"],
      [{}, { bestEpoch: 7 }, "members[0].bestEpoch is 7, after its 3 epochs done"],
      [{}, { bestScore: null }, "members[0] has a best epoch but no score"],
    ];
    for (const [flags, changed, problem] of cases) {
      const state = { ...whole, flags: { ...whole.flags, ...flags }, members: [{ ...member, ...changed }] };
      await Deno.writeTextFile(join(dir, "run.json"), JSON.stringify(state));
      const run = await newest(root);
      assert.ok(run.state, problem);
      const message = `its run.json is damaged (${problem})`;
      await refusedAsDamaged(
        () => resumableState(run, TrainFlagsSchema),
        dir,
        message,
        /^start a new run without --resume; /,
      );
      await refusedAsDamaged(() => RunFolder.adopt(dir, run.state!), dir, message, /'rm -r /);
    }
    // Flags as a run recorded them without --epochs (its default): the count is not bounded by it here.
    const { epochs: _epochs, ...flags } = whole.flags;
    await Deno.writeTextFile(join(dir, "run.json"), JSON.stringify({ ...whole, flags }));
    assert.ok(await resumableState(await newest(root), TrainFlagsSchema));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a weights file whose layer was renamed or reshaped is refused as damaged when restored (it was tfjs's 'No such layer', 'a bug')", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-run-folder-layers-" });
  await initBackend("cpu");
  const model = buildModel({ ...defaultModelConfig("lightweight_lstm", 6), lstmHidden: 4, members: 1 }, 1);
  try {
    const dir = await stoppedRun(root, layerWeights(model));
    const path = join(dir, "member_1.weights");
    const saved = decodeWeights(await Deno.readFile(path), path);
    const restored = async () => {
      const run = await RunFolder.adopt(dir, (await newest(root)).state!);
      try {
        await run.restore(model);
      } finally {
        await run.keep();
      }
    };
    await restored(); // as saved: it fits
    const [first, ...rest] = Object.keys(saved);
    const renamed = Object.fromEntries([[`x_${first}`, saved[first]], ...rest.map((k) => [k, saved[k]])]);
    const w = saved[first][0];
    const reshaped = {
      ...saved,
      [first]: [{ ...w, shape: [...w.shape].reverse() }, ...saved[first].slice(1)],
    };
    assert.notDeepEqual(w.shape, [...w.shape].reverse(), "a shape that changes when reversed");
    for (const [weights, tfjs] of [[renamed, /No such layer: x_/], [reshaped, /shape/]] as const) {
      await Deno.writeFile(path, encodeWeights(weights));
      await assert.rejects(restored, (error: unknown) => {
        assert.ok(error instanceof CommandError, String(error));
        assert.ok(
          error.message.startsWith(
            `the stopped run in ${dir} cannot be resumed: its member_1.weights does not fit the model its flags build (`,
          ),
          error.message,
        );
        assert.match(error.message, tfjs);
        assert.match(
          error.message,
          /: the file was changed, or this candlecast builds that model otherwise$/,
        );
        assert.equal(
          error.hint,
          "start a new run without --resume: this one cannot be continued, and its folder is removed now",
        );
        return true;
      });
    }
  } finally {
    model.dispose();
    await Deno.remove(root, { recursive: true });
  }
});

/**
 * A run as retrain's train step leaves it when retrain is killed: its --data a copy in the store's
 * .retrain-data/ (made by retrain's own `retrainDataDir`, so this follows where retrain puts it).
 */
async function retrainsRun(root: string): Promise<string> {
  const copy = join(await retrainDataDir(root), "training_data.csv");
  const run = await RunFolder.create(root, { data: copy, epochs: "40", promote: false }, null, 1);
  for (const epoch of [1, 2]) {
    await run.afterEpoch(1, epochRecord(epoch, 1 - epoch / 10), () => SMALL_WEIGHTS, 0);
  }
  await run.keep();
  return run.dir;
}

Deno.test("--resume passes over a run retrain's train step left for an older run started by hand, which a new start keeps (it continued retrain's)", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-run-folder-retrain-" });
  try {
    const own = await stoppedRun(root);
    await new Promise((r) => setTimeout(r, 1100)); // run folders are named by the second they start
    const retrains = await retrainsRun(root);
    const runs = await abandonedRuns(root);
    assert.deepEqual(runs.map((r) => r.dir), [retrains, own], "newest first");
    // Before: retrain's, the newest, had its state here, and --resume (and models list, and a new run's
    // start, which kept it and removed the user's) took it.
    assert.equal(runs[0].state, null);
    assert.equal(runs[0].retrain?.state?.members[0].epochsDone, 2);
    assert.equal(runs[0].retrain?.handRunBehind, true);
    assert.equal(await resumableState(runs[0], TrainFlagsSchema), null);
    const choice = await resumeChoice(runs, TrainFlagsSchema);
    assert.equal(choice.run?.dir, own);
    assert.equal(choice.refused, null);
    assert.deepEqual(choice.passedOver.map((r) => r.dir), [retrains]);
    assert.match(
      passedOverLine(choice.passedOver[0]),
      new RegExp(
        `^passed over the newer stopped run in ${retrains}, retrain's, which 'train --resume' does not continue ` +
          `\\(the next train or retrain to start removes it\\): retrain's train step started it \\d{4}-\\d\\d-\\d\\d ` +
          `\\d\\d:\\d\\d UTC on retrain's temporary copy of its data \\(2 epochs done, best epoch 2\\)$`,
      ),
    );
    assert.match(
      runOrigin(choice.run!.state),
      /^'candlecast train' started it \d{4}-\d\d-\d\d \d\d:\d\d UTC on d\.csv with --epochs 40$/,
    );
    // A new run's start keeps the user's run for --resume, not retrain's.
    const { removed, kept } = await pruneAbandonedRuns(root);
    assert.equal(kept?.dir, own);
    assert.deepEqual(removed, [retrains]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("--resume with only retrain's stopped run says so and what to do (it continued it as the user's)", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-run-folder-retrain-only-" });
  try {
    const retrains = await retrainsRun(root);
    const [run] = await abandonedRuns(root);
    assert.equal(run.retrain?.handRunBehind, false);
    await assert.rejects(
      () => resumableState(run, TrainFlagsSchema),
      (error: unknown) => {
        assert.ok(error instanceof CommandError, String(error));
        assert.equal(error.exitCode, 1);
        assert.match(
          error.message,
          new RegExp(
            `^the stopped run in ${retrains} is retrain's, which 'train --resume' leaves to retrain, and no run ` +
              `started by 'candlecast train' is there to resume: retrain's train step started it .* UTC on ` +
              `retrain's temporary copy of its data \\(2 epochs done, best epoch 2\\)$`,
          ),
        );
        assert.equal(
          error.hint,
          "the next 'candlecast retrain' removes it and trains a new candidate; or start a new run without " +
            "--resume (its start removes it too)",
        );
        return true;
      },
    );
    const choice = await resumeChoice([run], TrainFlagsSchema);
    assert.equal(choice.run, null);
    assert.deepEqual(choice.passedOver.map((r) => r.dir), [retrains]);
    // As the hint says, a new run's start removes it.
    assert.deepEqual(await pruneAbandonedRuns(root), { removed: [retrains], kept: null });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a run is told retrain's by the --data retrain's train step gets, and described in short otherwise", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-run-folder-origin-" });
  try {
    assert.equal(isRetrainCopy(join(await retrainDataDir(root), "training_data.csv")), true);
    for (
      const data of ["d.csv", join(root, "training_data.csv"), join(root, ".retrain-data"), 3, undefined]
    ) {
      assert.equal(isRetrainCopy(data), false, String(data));
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  const state = (flags: Record<string, unknown>, parent: string | null = null): RunState => ({
    flags,
    parent,
    members: [{ epochsDone: 1, bestEpoch: 1, bestScore: 1, history: [], stopReason: null }],
    startedAt: "2026-12-06T18:58:12.345Z",
  });
  const when = "2026-12-06 18:58 UTC";
  assert.equal(
    runOrigin(state({ data: "my data.csv", checkpoints: "ck", backend: "wasm", promote: true })),
    `'candlecast train' started it ${when} on "my data.csv" with no flags beyond --data`,
  );
  assert.equal(
    runOrigin(
      state(
        { data: "d.csv", incremental: true, epochs: "6", promote: false, seed: "3", lookback: "12" },
        "v3_2026-12-01",
      ),
    ),
    `'candlecast train' started it ${when} on d.csv with --incremental --epochs 6 --no-promote and 2 more ` +
      "flags, fine-tuning v3_2026-12-01",
  );
  assert.equal(
    runOrigin(state({ data: "d.csv", seed: "3" })),
    `'candlecast train' started it ${when} on d.csv with 1 flag`,
  );
});

Deno.test("a run whose run.json records a flag value this candlecast refuses is refused by the check --resume and what offers it share (models list offered it)", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-run-folder-flags-" });
  try {
    const dir = await stoppedRun(root);
    const whole = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
    // What an older candlecast read leniently: --epochs 1e3.
    await Deno.writeTextFile(
      join(dir, "run.json"),
      JSON.stringify({ ...whole, flags: { ...whole.flags, epochs: "1e3" } }),
    );
    const [run] = await abandonedRuns(root);
    assert.ok(run.state, "listed as a run that finished an epoch, as before");
    const reason =
      `--epochs: expected a positive integer, written in decimal digits ("1e3" is 1000: give that)`;
    const hint =
      `start a new run with a value 'candlecast train --help' allows (remove ${dir} to drop this ` +
      "one, which train and models list otherwise keep naming), or finish it with the candlecast version that " +
      "started it";
    // Before: resumeChoice returned the run ("'candlecast train --resume' continues the newest"), and only
    // train.ts parsed its flags, after choosing it, and refused it.
    const choice = await resumeChoice([run], TrainFlagsSchema);
    assert.equal(choice.run, null);
    assert.ok(choice.refused instanceof RunFlagsError, String(choice.refused));
    assert.equal(choice.refused.dir, dir);
    assert.equal(
      choice.refused.problem,
      `it was started with a value this candlecast does not take (${reason})`,
    );
    assert.equal(choice.refused.hint, hint);
    // --resume: the same refusal, a usage error as it was, in the words it had.
    await assert.rejects(
      () => resumableState(run, TrainFlagsSchema),
      (error: unknown) => {
        assert.ok(error instanceof RunFlagsError, String(error));
        assert.equal(error.exitCode, 2);
        assert.equal(
          error.message,
          `--resume: the run in ${dir} was started with a value this candlecast does not take (${reason})`,
        );
        assert.equal(error.hint, hint);
        return true;
      },
    );
    // A value of a flag --resume takes typed over the run's (--workers): typing it is the fix, said so; and
    // typed, the run resumes.
    await Deno.writeTextFile(
      join(dir, "run.json"),
      JSON.stringify({ ...whole, flags: { ...whole.flags, workers: "4.0" } }),
    );
    const [workers] = await abandonedRuns(root);
    const refused = (await resumeChoice([workers], TrainFlagsSchema)).refused;
    assert.ok(refused instanceof RunFlagsError);
    assert.match(
      refused.hint,
      /^'candlecast train --resume --workers …' replaces the run's own value; or start /,
    );
    assert.ok(await resumableState(workers, TrainFlagsSchema, { workers: "2" }));
    // A flag typed now that this candlecast refuses is the user's, said as any flag is, not blamed on the run.
    await Deno.writeTextFile(join(dir, "run.json"), JSON.stringify(whole));
    const [fine] = await abandonedRuns(root);
    await assert.rejects(
      () => resumableState(fine, TrainFlagsSchema, { workers: "0" }),
      (error: unknown) => {
        assert.ok(error instanceof UsageError && !(error instanceof RunFlagsError), String(error));
        assert.match(error.message, /^--workers: /);
        return true;
      },
    );
    assert.equal((await resumeChoice([fine], TrainFlagsSchema)).run?.dir, dir);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a run of retrain's that saved its candidate is told retrain's, not the user's saved version (models list offered the candidate for promotion)", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-run-folder-retrain-saved-" });
  try {
    const dir = await retrainsRun(root);
    await Deno.mkdir(join(root, "v2_2026-12-01"));
    await Deno.writeTextFile(
      join(root, "v2_2026-12-01", "manifest.json"),
      JSON.stringify({ version: "v2_2026-12-01", training: { run: basename(dir) } }),
    );
    const [run] = await abandonedRuns(root);
    // Before: { state: null, savedAs } with no `retrain`, as a run of the user's killed before its promotion.
    assert.equal(run.savedAs, "v2_2026-12-01");
    assert.ok(run.retrain, "retrain's");
    assert.equal(run.retrain.state, null, "nothing left in it to train");
    assert.equal(run.state, null);
    // Nothing for --resume to continue, pass over or refuse as retrain's; a new run's start removes it.
    assert.equal(await resumableState(run, TrainFlagsSchema), null);
    assert.deepEqual(await resumeChoice([run], TrainFlagsSchema), {
      run: null,
      refused: null,
      passedOver: [],
    });
    // What to do with its candidate: judge it first (it said "'candlecast models promote v2_…' serves it").
    assert.equal(
      unjudgedCandidateHint(root, "v2_2026-12-01"),
      `'candlecast evaluate --checkpoint ${join(root, "v2_2026-12-01")}' scores it, and only then, if you ` +
        `judge it fit to serve, 'candlecast models promote v2_2026-12-01 --checkpoints ${root}' serves it`,
    );
    assert.deepEqual(await pruneAbandonedRuns(root), { removed: [dir], kept: null });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
