import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { CLASSES, FEATURE_COUNT, FEATURE_NAMES } from "../features/index.ts";
import { initBackend } from "../ml/runtime/backend.ts";
import { sha256Hex, writeVersion } from "../ml/checkpoints/index.ts";
import { buildModel, defaultModelConfig, saveModel } from "../ml/models/index.ts";
import { exportOnnx } from "../ml/onnx/index.ts";
import { decodeModel } from "../ml/onnx/graph.ts";
import { runOnnx } from "../test/onnx.ts";
import type { Preprocessor } from "../engine/preprocessor.ts";
import { exportLine, runExport } from "./export.ts";
import { testManifest } from "../test/manifest.ts";
import { DENO_RUN, MAIN, runCandlecast } from "../test/cli.ts";

const LOOKBACK = 8;

const cli = (...args: string[]) => runCandlecast(args);

const TINY = {
  ...defaultModelConfig("transformer_lstm", LOOKBACK),
  // Built without a training scaler: the channels (tested in input_channels_test.ts) need one.
  volatilityChannels: false,
  dModel: 8,
  heads: 2,
  ffnDim: 16,
  lstmHidden: 4,
};

const PREPROCESSOR: Preprocessor = {
  modelType: "transformer_lstm",
  featureNames: [...FEATURE_NAMES],
  lookback: LOOKBACK,
  horizon: 4,
  labelRule: { kind: "volatility", multiplier: 0.5 },
  classes: [...CLASSES],
  scaler: {
    featureNames: [...FEATURE_NAMES],
    mean: FEATURE_NAMES.map(() => 0.1),
    std: FEATURE_NAMES.map(() => 2),
  },
  clip: 10,
  returnScale: { mean: 0, std: 0.01 },
  temperature: 1,
};

/** A small trained-shaped checkpoint version: tfjs model, preprocessor.json and manifest.json. */
async function writeTinyVersion(dir: string): Promise<void> {
  await initBackend("cpu");
  const model = buildModel(TINY, 3);
  await saveModel(model, dir);
  model.dispose();
  await Deno.writeTextFile(join(dir, "preprocessor.json"), JSON.stringify(PREPROCESSOR));
  await Deno.writeTextFile(
    join(dir, "manifest.json"),
    JSON.stringify({ version: "v1_2024-05-05", created_at: "2024-05-05T00:00:00Z" }),
  );
}

Deno.test("export writes a checked ONNX file ONNX Runtime runs with the documented names and shapes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast_export_cli_" });
  try {
    await writeTinyVersion(dir);
    const output = join(dir, "out", "trading_model.onnx");
    await Deno.mkdir(join(dir, "out"));
    const result = await cli("export", "--checkpoint", dir, "--output", output);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /wrote .*trading_model\.onnx .*TransformerLSTMModel v1_2024-05-05, matches/);
    const bytes = await Deno.readFile(output);
    const meta = Object.fromEntries(decodeModel(bytes).metadataProps.map((e) => [e.key, e.value]));
    assert.equal(meta.version, "v1_2024-05-05");
    const out = await runOnnx(bytes, {
      input: { data: new Float32Array(3 * LOOKBACK * FEATURE_COUNT), dims: [3, LOOKBACK, FEATURE_COUNT] },
    });
    assert.deepEqual(
      Object.entries(out).map(([k, v]) => [k, v.dims]).sort(),
      [["attention", [3, LOOKBACK]], ["class_logits", [3, 3]], ["regression", [3, 1]]],
    );
    // Again over the same file: replaced, and said so (it printed "wrote", as over a free path).
    const again = await cli("export", "--checkpoint", dir, "--output", output);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^replaced .*trading_model\.onnx /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export without a model is a usage error (exit 2) with the reason and what to do", async () => {
  const result = await cli("export", "--checkpoint", "/nonexistent/candlecast/current", "--output", "x.onnx");
  assert.equal(result.code, 2);
  assert.match(result.stderr, /candlecast: --checkpoint: \/nonexistent\/candlecast\/current does not exist/);
  // The store above the version named, so the commands act on it, not on the default folder.
  assert.match(
    result.stderr,
    /hint: train one with 'candlecast train --checkpoints \/nonexistent\/candlecast', or see 'candlecast models list --checkpoints \/nonexistent\/candlecast'\n/,
  );
  const fallback = await cli("export", "--output", "x.onnx", "--checkpoint", "checkpoints/v9_2026-01-01");
  assert.equal(fallback.code, 2);
  assert.match(fallback.stderr, /hint: train one with 'candlecast train', or see 'candlecast models list'\n/);
  // A bare version name: the default store is meant, not the working folder ('--checkpoints .' trained there).
  const bare = await cli("export", "--output", "x.onnx", "--checkpoint", "v9_2026-01-01");
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /hint: train one with 'candlecast train', or see 'candlecast models list'\n/);
});

Deno.test("export: an --output or --checkpoint of the wrong kind is a usage error (2) naming it, not a bug", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-export-kind-" });
  try {
    // Only manifest.json: the paths are checked before anything is loaded or exported.
    const version = join(dir, "v1_2024-05-05");
    await Deno.mkdir(version);
    await Deno.writeTextFile(join(version, "manifest.json"), "{}");
    await Deno.symlink("v1_2024-05-05", join(dir, "current"));
    const file = join(dir, "file.onnx");
    await Deno.writeTextFile(file, "not a folder");
    const cases: [string[], string][] = [
      // Before: "unexpected failure: EISDIR: illegal operation on a directory, rename …" / "this is a bug".
      [
        ["--checkpoint", version, "--output", dir],
        `candlecast: --output: ${dir} is a folder, not a file\n` +
        `hint: name a file, e.g. ${join(dir, "trading_model.onnx")}\n`,
      ],
      // A folder yet to be made. Before: "--output: expected a file, not a folder" and the generic hint.
      [
        ["--checkpoint", version, "--output", `${join(dir, "new")}/`],
        `candlecast: --output: ${join(dir, "new")}/ names a folder (it ends in "/"), not a file\n` +
        `hint: name a file, e.g. ${join(dir, "new", "trading_model.onnx")}\n`,
      ],
      // Before: "unexpected failure: EEXIST: file already exists, mkdir …".
      [
        ["--checkpoint", version, "--output", join(file, "x.onnx")],
        `candlecast: --output: ${join(file, "x.onnx")} cannot be written: ${file} is a file, not a folder\n` +
        "hint: choose a path under a folder, or move that file away\n",
      ],
      // Before: "…/manifest.json: manifest.json is missing", exit 1, no hint.
      [
        ["--checkpoint", dir, "--output", join(dir, "m.onnx")],
        `candlecast: --checkpoint: ${dir} holds model versions but is not one itself\n` +
        `hint: use --checkpoint ${join(dir, "current")} (the version served); ` +
        `'candlecast models list --checkpoints ${dir}' shows them all\n`,
      ],
    ];
    for (const [args, expected] of cases) {
      const r = await cli("export", ...args);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, expected);
    }
    // Before: a file named '-' written, "wrote - (47 KiB)", where predict's --input - means standard input.
    const dash = await cli("export", "--checkpoint", version, "--output", "-");
    assert.equal(dash.code, 2, dash.stderr);
    assert.match(
      dash.stderr,
      /^candlecast: --output: expected a file path; export does not write to standard output/,
    );
    assert.equal(await Deno.readTextFile(file), "not a folder");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A version as `train` writes it (manifest with every file's sha256, model.onnx exported at writing, the
 * candles' interval in both).
 */
async function writeTinyStoredVersion(root: string) {
  await initBackend("cpu");
  const model = buildModel(TINY, 5);
  const written = await writeVersion(root, {
    writeModel: (d) => saveModel(model, d),
    preprocessor: PREPROCESSOR,
    history: [],
    metrics: {},
    manifest: testManifest({ modelType: "transformer_lstm", interval: "4h", data: { interval: "4h" } }),
    exportOnnx: (version) => exportOnnx(model, PREPROCESSOR, { version, interval: "4h" }),
  });
  model.dispose();
  return written;
}

Deno.test("a version's model.onnx written at training equals the export of that version loaded from disk", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast_export_roundtrip_" });
  try {
    const written = await writeTinyStoredVersion(root);
    assert.equal(written.onnxError, undefined);
    const output = join(root, "exported.onnx");
    await runExport({ checkpoint: written.dir, output });
    assert.deepEqual(await Deno.readFile(output), await Deno.readFile(join(written.dir, "model.onnx")));
    // The interval travels from the manifest into the file's metadata, as train writes it.
    const meta = Object.fromEntries(
      decodeModel(await Deno.readFile(output)).metadataProps.map((e) => [e.key, e.value]),
    );
    assert.equal(meta.interval, "4h");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("export of a version without its tfjs model names the file missing and what to do, not ENOENT", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast_export_missing_" });
  try {
    // A manifest without hashes (as a hand-made version's): nothing flags the missing file before it is read.
    const dir = join(root, "v1_2024-05-05");
    await writeTinyVersion(dir);
    const hint =
      "hint: export reads the version's trained tfjs model (model.json, weights.bin): train it again, " +
      `or export another version ('candlecast models list --checkpoints ${root}' checks them)\n`;
    for (const file of ["weights.bin", "model.json"]) {
      await Deno.remove(join(dir, file));
      const result = await cli("export", "--checkpoint", dir, "--output", join(root, "out.onnx"));
      assert.equal(result.code, 1, result.stderr);
      // Before: "…(cannot read …/model.json: ENOENT: no such file or directory, open '…/model.json')".
      assert.equal(
        result.stderr,
        `candlecast: ${dir}: cannot load the tfjs model (${join(dir, file)} is missing)\n${hint}`,
      );
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("export refuses weights that no longer match the manifest, naming the file (issue 13.8)", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast_export_hash_" });
  try {
    const written = await writeTinyStoredVersion(root);
    const weights = join(written.dir, "weights.bin");
    await Deno.truncate(weights, (await Deno.stat(weights)).size - 4);
    const output = join(root, "exported.onnx");
    const result = await cli("export", "--checkpoint", written.dir, "--output", output);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /candlecast: .*weights\.bin: does not match the sha256 in .*manifest\.json/);
    await assert.rejects(Deno.stat(output), Deno.errors.NotFound, "nothing written");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("export without --allow-ffi says ONNX Runtime needs it, not 'please report it'", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast_export_noffi_" });
  try {
    await writeTinyVersion(dir);
    const main = new URL("../main.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        ...DENO_RUN,
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-sys",
        main,
        "export",
        "--checkpoint",
        dir,
        "--output",
        join(dir, "x.onnx"),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(stderr, /ONNX Runtime cannot be loaded: .*--allow-ffi/);
    assert.match(stderr, /^hint: run it with --allow-ffi/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export into another version's folder, or over a version's own model.json, is refused (exit 2), untouched", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast_export_other_" });
  try {
    const [v1, v2] = [join(dir, "v1_2024-05-05"), join(dir, "v2_2024-05-06")];
    await Deno.mkdir(v1);
    await Deno.mkdir(v2);
    await writeTinyVersion(v1);
    await Deno.writeTextFile(join(v2, "manifest.json"), "{}");
    await Deno.writeTextFile(join(v2, "model.onnx"), "v2's own model");
    const before = await Deno.readTextFile(join(v1, "model.json"));
    // Before: v1's model was written over v2's model.onnx, exit 0, and v2 was refused from then on as changed.
    const other = await cli("export", "--checkpoint", v1, "--output", join(v2, "model.onnx"));
    assert.equal(other.code, 2, other.stderr);
    assert.match(
      other.stderr,
      new RegExp(`^candlecast: --output: ${v2} is model version v2_2024-05-06; writing model\\.onnx`),
    );
    assert.match(
      other.stderr,
      /^hint: export to a file outside the checkpoints folder, e\.g\. --output trading_model\.onnx, or --checkpoint /m,
    );
    assert.equal(await Deno.readTextFile(join(v2, "model.onnx")), "v2's own model");
    // The same through a link (a deploy link to the served model: bot.onnx → v2/model.onnx). Before: exit 0,
    // "replaced bot.onnx", and v2's model.onnx was v1's, v2 refused from then on as changed.
    const link = join(dir, "bot.onnx");
    await Deno.symlink(join("v2_2024-05-06", "model.onnx"), link);
    const linked = await cli("export", "--checkpoint", v1, "--output", link);
    assert.equal(linked.code, 2, linked.stderr);
    assert.match(
      linked.stderr,
      new RegExp(
        `^candlecast: --output: ${v2} is model version v2_2024-05-06 \\(${link} is a link to ${v2}/model\\.onnx\\); ` +
          "writing model\\.onnx there would give that version another version's model; nothing was written\n",
      ),
    );
    assert.equal(await Deno.readTextFile(join(v2, "model.onnx")), "v2's own model");
    assert.ok((await Deno.lstat(link)).isSymlink);
    const own = await cli("export", "--checkpoint", v1, "--output", join(v1, "model.json"));
    assert.equal(own.code, 2, own.stderr);
    assert.match(
      own.stderr,
      /is the version being exported; writing model\.json there would replace its model\.json/,
    );
    assert.equal(await Deno.readTextFile(join(v1, "model.json")), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export into another version's folder hints a --checkpoint that pastes for a store with a space", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast_export_spaced_" });
  try {
    const [v1, v2] = [join(dir, "ck sd", "v1_2024-05-05"), join(dir, "ck sd", "v2_2024-05-06")];
    await Deno.mkdir(v1, { recursive: true });
    await Deno.mkdir(v2);
    await writeTinyVersion(v1);
    await Deno.writeTextFile(join(v2, "manifest.json"), "{}");
    const other = await cli("export", "--checkpoint", v1, "--output", join(v2, "model.onnx"));
    assert.equal(other.code, 2, other.stderr);
    // Before: "--checkpoint /tmp/…/ck sd/v2_2024-05-06", which the shell splits in two.
    assert.ok(
      other.stderr.includes(`, or --checkpoint "${v2}" to re-export that version's own model.onnx`),
      other.stderr,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export into a version saved without model.onnx records its sha256 in the manifest (checked from then on)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast_export_into_" });
  try {
    await writeTinyVersion(dir); // manifest.json without files: as a version whose export failed at training
    const result = await cli("export", "--checkpoint", dir, "--output", join(dir, "model.onnx"));
    assert.equal(result.code, 0, result.stderr);
    const manifest = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
    assert.equal(manifest.files["model.onnx"], await sha256Hex(await Deno.readFile(join(dir, "model.onnx"))));
    assert.equal(manifest.version, "v1_2024-05-05", "the rest of the manifest is kept");
    // Exported elsewhere, the version's manifest is left alone.
    const elsewhere = await Deno.makeTempDir({ prefix: "candlecast_export_elsewhere_" });
    try {
      assert.equal(
        (await cli("export", "--checkpoint", dir, "--output", join(elsewhere, "model.onnx"))).code,
        0,
      );
      assert.deepEqual(Object.keys(JSON.parse(await Deno.readTextFile(join(dir, "manifest.json"))).files), [
        "model.onnx",
      ]);
    } finally {
      await Deno.remove(elsewhere, { recursive: true });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export refuses to replace an existing file not named .onnx (exit 2, untouched); an .onnx or its own output is re-exported", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast_export_replace_" });
  try {
    const version = join(dir, "v1_2024-05-05");
    await Deno.mkdir(version);
    await writeTinyVersion(version);
    const data = join(dir, "train.csv");
    await Deno.writeTextFile(data, "symbol,open_time\n");
    // Before: exit 0, train.csv replaced by the ONNX model's bytes.
    const refused = await cli("export", "--checkpoint", version, "--output", data);
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(
      refused.stderr,
      `candlecast: --output: ${data} already exists, is not a model candlecast exported and its name does not ` +
        "end in .onnx; export replaces only an ONNX file, so nothing was written\n" +
        `hint: name an .onnx file, e.g. --output ${join(dir, "train.onnx")} (to replace ${data} anyway, ` +
        "delete it first)\n",
    );
    assert.equal(await Deno.readTextFile(data), "symbol,open_time\n");
    // A new file of any name is written, and an existing .onnx is replaced (re-exports).
    const fresh = join(dir, "model.bin");
    assert.equal((await cli("export", "--checkpoint", version, "--output", fresh)).code, 0);
    // Its own earlier output is replaced whatever its name (before: refused as not named .onnx).
    const before = await Deno.readFile(fresh);
    const over = await cli("export", "--checkpoint", version, "--output", fresh);
    assert.equal(over.code, 0, over.stderr);
    assert.deepEqual(await Deno.readFile(fresh), before);
    // Not a file at all: a pipe hung export (reading its head waited for a writer), and /dev/null drew the
    // hint to delete it. Refused whatever the name.
    const fifo = join(dir, "pipe.onnx");
    assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
    for (const path of [fifo, "/dev/null"]) {
      const odd = await cli("export", "--checkpoint", version, "--output", path);
      assert.equal(odd.code, 2, odd.stderr);
      assert.equal(
        odd.stderr,
        `candlecast: --output: ${path} is not a regular file (a device, pipe or socket); export writes the ` +
          "model as a file, so nothing was written\nhint: name an .onnx file, e.g. --output trading_model.onnx\n",
      );
    }
    assert.ok(Deno.statSync(fifo).isFifo);
    const onnx = join(dir, "trading_model.onnx");
    await Deno.writeTextFile(onnx, "last export");
    const again = await cli("export", "--checkpoint", version, "--output", onnx);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await Deno.readFile(onnx), await Deno.readFile(fresh));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export's line says a blended version's file serves the blend, and checked it as one", () => {
  const summary = {
    output: "m.onnx",
    bytes: 38_405,
    version: "v4_2026-12-04",
    modelClass: "TransformerLSTMModel",
    maxDiff: { class_logits: 1.6e-7, regression: 1e-8 },
  };
  // Before: "… TransformerLSTMModel v4_2026-12-04, matches the trained model …" for a blend and the network alike.
  assert.equal(
    exportLine({ ...summary, blend: { with: "gradient_boosting", weight: 0.5, temperature: 0.9 } }, false),
    "wrote m.onnx (38 KiB): TransformerLSTMModel v4_2026-12-04, serving 0.5 × the network + 0.5 × gradient " +
      "boosting (boosting.json in the graph), matches the trained blend to 1.6e-7 on ONNX Runtime",
  );
  assert.equal(
    exportLine({ ...summary, blend: null }, true),
    "replaced m.onnx (38 KiB): TransformerLSTMModel v4_2026-12-04, matches the trained model to 1.6e-7 on " +
      "ONNX Runtime",
  );
});

Deno.test({
  name:
    "export refuses to replace an --output its owner made read-only (chmod 444), root too (exit 2, untouched)",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast_export_readonly_" });
    try {
      const version = join(dir, "v1_2024-05-05");
      await Deno.mkdir(version);
      await writeTinyVersion(version);
      const onnx = join(dir, "trading_model.onnx");
      await Deno.writeTextFile(onnx, "the model the bot runs");
      await Deno.chmod(onnx, 0o444);
      // Before: exit 0, the file replaced by the rename (the folder allowed it), keeping mode 444.
      const refused = await cli("export", "--checkpoint", version, "--output", onnx);
      assert.equal(refused.code, 2, refused.stderr);
      assert.equal(
        refused.stderr,
        `candlecast: --output: ${onnx} is read-only (mode 444); export writes the model by replacing it, and ` +
          `does not replace a file its owner protected\nhint: chmod u+w ${onnx} to let export replace it, or ` +
          "choose another --output\n",
      );
      assert.equal(await Deno.readTextFile(onnx), "the model the bot runs");
      await Deno.chmod(onnx, 0o644);
      assert.equal((await cli("export", "--checkpoint", version, "--output", onnx)).code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Users that exist nowhere, for a run as another user than the owner of the file it is given. */
const [EXPORTER, OWNER] = [64011, 64012];

/**
 * Whether this test can run candlecast as a user who is not root: as root, with setpriv, and the checkout and
 * its node_modules readable by that user (CI clones into `mktemp -d`'s 0700 folder, which they are not).
 */
const runsAsAnotherUser = Deno.build.os === "linux" && Deno.uid() === 0 &&
  (() => {
    try {
      return new Deno.Command("setpriv", {
        args: [
          `--reuid=${EXPORTER}`,
          `--regid=${EXPORTER}`,
          "--clear-groups",
          "sh",
          "-c",
          'test -r "$1" && test -r "$2"',
          "sh",
          MAIN,
          join(dirname(MAIN), "node_modules", "onnxruntime-node", "package.json"),
        ],
        stdout: "null",
        stderr: "null",
      }).outputSync().success;
    } catch {
      return false;
    }
  })();

Deno.test({
  name:
    "export run by one user refuses to replace another user's --output only they may write (exit 2, theirs still)",
  ignore: !runsAsAnotherUser,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast_export_owner_" });
    try {
      // A shared folder (/opt/bot, writable by both): the rename of a re-export needs only its permission.
      await Deno.chmod(dir, 0o777);
      const version = join(dir, "v1_2024-05-05");
      await Deno.mkdir(version);
      await writeTinyVersion(version);
      const onnx = join(dir, "trading_model.onnx");
      await Deno.writeTextFile(onnx, "the other user's model");
      await Deno.chown(onnx, OWNER, OWNER);
      await Deno.chmod(onnx, 0o644);
      const home = join(dir, "home");
      await Deno.mkdir(home);
      await Deno.chown(home, EXPORTER, EXPORTER);
      const child = await new Deno.Command("setpriv", {
        args: [
          `--reuid=${EXPORTER}`,
          `--regid=${EXPORTER}`,
          "--clear-groups",
          Deno.execPath(),
          ...DENO_RUN,
          "--allow-all",
          MAIN,
          "export",
          "--checkpoint",
          version,
          "--output",
          onnx,
        ],
        env: { HOME: home, DENO_DIR: join(home, "deno"), NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(child.stderr);
      // Before: exit 0, and the file was the exporter's (uid 64011), its owner left unable to write it.
      assert.equal(child.code, 2, stderr);
      assert.equal(
        stderr,
        `candlecast: --output: ${onnx} belongs to another user (uid ${OWNER}) and only its owner may write it ` +
          "(mode 644); export writes the model by replacing it, which would take the file from its owner\n" +
          "hint: run export as that user, or choose another --output\n",
      );
      const info = await Deno.stat(onnx);
      assert.equal(info.uid, OWNER);
      assert.equal(await Deno.readTextFile(onnx), "the other user's model");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
