/**
 * `candlecast export`: a checkpoint version → one ONNX file for Microsoft.ML.OnnxRuntime (SPEC §8). The file is
 * checked against the tfjs model on ONNX Runtime before it is written, so a file on disk is always a right one.
 */
import { Command } from "commander";
import { DEFAULTS } from "./defaults.ts";
import { z } from "zod";
import { type Stats, statSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import {
  pathKind,
  PathKindError,
  sameFolder,
  shellWord,
  writeFileAtomic,
  writtenFile,
} from "../base/index.ts";
import { initBackend } from "../ml/runtime/index.ts";
import { loadModel, MODEL_JSON, WEIGHTS_BIN } from "../ml/models/index.ts";
import {
  assertCheckpointDir,
  type Blend,
  blendWords,
  CheckpointError,
  MODEL_CLASS_NAMES,
  modelsListChecks,
  readManifestInfo,
  readPreprocessorFile,
  verifyCheckpointFiles,
} from "../engine/index.ts";
import { exportCheckedOnnx, ExportMismatchError, isCandlecastModelHead } from "../ml/onnx/index.ts";
import { type BoostedTrees, BOOSTING_FILE, readBoostedTrees } from "../ml/baselines/index.ts";
import { recordFileHash } from "../ml/checkpoints/index.ts";
import { CommandError, filesystemProblem, UsageError } from "./errors.ts";
import { parseFlags, requireOutputFile } from "./flags.ts";
import { requireCheckpoint } from "./checkpoint_flag.ts";
import { EXPORT_OUTPUT, refuseProtectedOutput } from "./protected_output.ts";

const ExportFlags = z.object({
  checkpoint: z.string().min(1, "expected a checkpoint folder"),
  // A folder's path ("out/") is refused by requireOutputFile, with a file to name instead.
  output: z.string().min(1, "expected a file path").refine(
    // predict reads '-' as standard input; here it wrote a file named '-' and printed "wrote -".
    (p) => p !== "-",
    "expected a file path; export does not write to standard output ('-'), name an .onnx file",
  ),
});
export type ExportOptions = z.infer<typeof ExportFlags>;

export interface ExportSummary {
  readonly output: string;
  readonly bytes: number;
  readonly version: string;
  readonly modelClass: string;
  readonly maxDiff: Readonly<Record<string, number>>;
  /** The blend the file serves (a `train --blend-boosting` version: its boosting is in the graph), or null. */
  readonly blend: Blend | null;
}

/**
 * The line export prints. A blend's file serves the blend, not the network alone, and its check compared the
 * blend: said, as /model/info says it (before: a blended version's line read as the network's).
 */
export function exportLine(summary: ExportSummary, replaced: boolean): string {
  const worst = Math.max(...Object.values(summary.maxDiff));
  const blend = summary.blend ? `, serving ${blendWords(summary.blend)} (boosting.json in the graph)` : "";
  return `${replaced ? "replaced" : "wrote"} ${summary.output} (${(summary.bytes / 1024).toFixed(0)} KiB): ` +
    `${summary.modelClass} ${summary.version}${blend}, matches the trained ${
      summary.blend ? "blend" : "model"
    } ` +
    `to ${worst.toExponential(1)} on ONNX Runtime`;
}

export async function runExport(options: ExportOptions): Promise<ExportSummary> {
  const dir = options.checkpoint;
  let preprocessor, manifest, boosting: BoostedTrees | undefined;
  try {
    await assertCheckpointDir(dir);
    // The files exported are the ones trained: refuse weights changed or truncated since (named).
    await verifyCheckpointFiles(dir, ["preprocessor.json", MODEL_JSON, WEIGHTS_BIN]);
    preprocessor = await readPreprocessorFile(dir);
    manifest = await readManifestInfo(dir);
    // A blend's boosting goes into the graph with the network: checked against the manifest like the weights.
    if (preprocessor.blend) {
      await verifyCheckpointFiles(dir, [BOOSTING_FILE]);
      boosting = await readBoostedTrees(dir);
    }
  } catch (error) {
    if (error instanceof CheckpointError) throw error; // it names the file and what to do itself
    if (boosting === undefined && preprocessor?.blend) {
      throw new CommandError(
        `cannot export ${dir}: ${(error as Error).message}`,
        "the version is damaged; export another one or retrain",
      );
    }
    throw error;
  }
  await initBackend("auto");
  let model;
  try {
    model = await loadModel(dir);
  } catch (error) {
    throw new CommandError(
      `${dir}: cannot load the tfjs model (${(error as Error).message})`,
      // A hand-made version (model.onnx alone) or one whose manifest lists no hashes: not caught above.
      "export reads the version's trained tfjs model (model.json, weights.bin): train it again, or export " +
        `another version ${modelsListChecks(dir)}`,
    );
  }
  try {
    let checked;
    try {
      checked = await exportCheckedOnnx(model, preprocessor, {
        version: manifest.version,
        interval: manifest.interval,
        gridOffsetMs: manifest.gridOffsetMs,
        boosting,
      });
    } catch (error) {
      // The engine could not run the check (ONNX Runtime refused: no --allow-ffi): its own reason and fix.
      if (error instanceof CheckpointError) {
        throw new CommandError(`cannot export ${dir}: ${error.message}`, error.hint);
      }
      // Otherwise the model has a layer or a shape the exporter maps wrongly or not at all: a bug to report.
      const message = error instanceof ExportMismatchError
        ? error.message
        : `cannot export ${dir}: ${(error as Error).message}`;
      throw new CommandError(message, "please report it with the version's model.json; nothing was written");
    }
    const { bytes, maxDiff } = checked;
    try {
      // Written into the version itself (the repair train's hint names when its export failed): its manifest
      // records the hash, or the version's model.onnx would be served unchecked. The hash goes first: a crash
      // between the two writes then leaves a version refused as incomplete (export again), never one served
      // without its check.
      const written = await writtenFile(options.output).catch(() => options.output);
      if (basename(written) === "model.onnx" && await sameFolder(dirname(written), dir)) {
        await recordFileHash(dir, "model.onnx", bytes);
      }
      await writeFileAtomic(options.output, bytes);
    } catch (error) {
      // A folder or a file in the way is the user's path (PathKindError, exit 2); this is the filesystem's no.
      if (error instanceof PathKindError) throw error;
      const machine = filesystemProblem(error);
      throw new CommandError(
        `cannot write ${options.output}: ${machine?.message ?? (error as Error).message}`,
        machine?.hint ?? "choose an --output in a folder you can write to",
      );
    }
    return {
      output: options.output,
      bytes: bytes.length,
      version: manifest.version,
      modelClass: MODEL_CLASS_NAMES[preprocessor.modelType],
      maxDiff,
      blend: preprocessor.blend ?? null,
    };
  } finally {
    model.dispose();
  }
}

/**
 * A version folder's files are its own, hashed in its manifest: --output may not replace one of them, nor put a
 * model.onnx into another version (serve and predict would run it as that version's). The exported version's
 * own model.onnx is allowed: the repair after a failed export at training, whose hash is then recorded.
 */
async function refuseVersionFileOutput(given: string, checkpoint: string): Promise<void> {
  // The file written is the one a link leads to (the writer follows links): a deploy link such as
  // /opt/bot/trading_model.onnx → checkpoints/current/model.onnx put another version's model into current's
  // folder, and current was refused from then on as changed.
  const output = await writtenFile(given).catch(() => given);
  const through = output === given ? "" : ` (${given} is a link to ${output})`;
  const into = dirname(output);
  if (pathKind(join(into, "manifest.json")) !== "file") return;
  const [intoReal, versionReal] = await Promise.all([realpath(into), realpath(checkpoint)]);
  const own = intoReal === versionReal;
  const name = basename(output);
  if (name === "model.onnx" ? own : pathKind(output) === null) return;
  const harm = name === "model.onnx"
    ? "give that version another version's model"
    : `replace ${
      own ? "its" : "that version's"
    } ${name} (its manifest's hashes would then refuse the version)`;
  throw new UsageError(
    `--output: ${into} is ${own ? "the version being exported" : `model version ${basename(intoReal)}`}` +
      `${through}; writing ${name} there would ${harm}; nothing was written`,
    "export to a file outside the checkpoints folder, e.g. --output trading_model.onnx" +
      (own ? "" : `, or --checkpoint ${shellWord(into)} to re-export that version's own model.onnx`),
  );
}

/**
 * An existing file is replaced only when it is an ONNX model by name (a re-export over the last one) or one
 * candlecast wrote by content (`--output model.bin` again): anything else there (`--output train.csv`, a typo
 * for the data or a config file) is the user's other work, which export would silently turn into ONNX bytes.
 * A new file may have any name.
 */
async function refuseNonOnnxOverwrite(output: string): Promise<void> {
  // A device, pipe or socket is no file to replace (the model is renamed into place): before, a pipe hung
  // export in reading its first bytes, and /dev/null drew the hint to delete it.
  const info = statOrNull(output);
  if (info !== null && !info.isFile() && !info.isDirectory()) {
    throw new UsageError(
      `--output: ${output} is not a regular file (a device, pipe or socket); export writes the model as a ` +
        "file, so nothing was written",
      "name an .onnx file, e.g. --output trading_model.onnx",
    );
  }
  if (pathKind(output) !== "file" || output.toLowerCase().endsWith(".onnx")) return;
  if (isCandlecastModelHead(await fileHead(output, 16))) return;
  const name = basename(output);
  const stem = name.slice(0, name.length - extname(name).length) || name;
  const suggestion = join(dirname(output), `${stem}.onnx`);
  throw new UsageError(
    `--output: ${output} already exists, is not a model candlecast exported and its name does not end in ` +
      ".onnx; export replaces only an ONNX file, so nothing was written",
    `name an .onnx file, e.g. --output ${shellWord(suggestion)} (to replace ${
      shellWord(output)
    } anyway, delete it first)`,
  );
}

/** What `path` is (followed through symlinks, as the writer follows them), or null when nothing is there. */
function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** Up to `count` bytes from the start of `path` (fewer when the file is shorter). */
async function fileHead(path: string, count: number): Promise<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  const head = new Uint8Array(count);
  let filled = 0;
  while (filled < count) {
    const n = await file.read(head.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return head.subarray(0, filled);
}

export function exportCommand(): Command {
  return new Command("export")
    .summary("export a model version to ONNX for Microsoft.ML.OnnxRuntime")
    .description(
      "Writes the model as one ONNX file (opset 17) with the feature scaler inside. Input `input`: float32\n" +
        "[batch, lookback, 35] UNscaled features; outputs `class_logits` [batch, 3] (DOWN, SIDEWAYS, UP),\n" +
        "`regression` [batch, 1] (the predicted return as a fraction; out of time about as accurate as predicting\n" +
        "0: decide on class_logits) and `attention` [batch, lookback] (all zeros for lightweight_lstm, which\n" +
        "has none). A version trained with --blend-boosting exports its gradient boosting too (an\n" +
        "ai.onnx.ml TreeEnsembleRegressor, opset 3), and `class_logits` are then the blend's log-probabilities\n" +
        "divided by its own temperature.\n" +
        "The file is checked on ONNX Runtime against the trained model before it is written.",
    )
    .option("--checkpoint <dir>", "model version to export", DEFAULTS.currentVersion)
    .option("--output <path>", "ONNX file to write", "trading_model.onnx")
    .action(async (raw: unknown) => {
      const options = parseFlags("export", ExportFlags, raw);
      await requireCheckpoint("--checkpoint", options.checkpoint);
      requireOutputFile("--output", options.output, "trading_model.onnx");
      await refuseVersionFileOutput(options.output, options.checkpoint);
      await refuseNonOnnxOverwrite(options.output);
      // A re-export renames the new model over the old file: one its owner made read-only, or another user's
      // in a shared folder (/opt/bot), was replaced, the other user's becoming this user's.
      await refuseProtectedOutput(options.output, EXPORT_OUTPUT);
      // Replacing an ONNX file is allowed (a re-export), but said: "wrote" read as if the path had been free.
      const replaced = pathKind(options.output) === "file";
      console.log(exportLine(await runExport(options), replaced));
    });
}
