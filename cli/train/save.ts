/**
 * What a finished training leaves: the version written whole (`saveVersion`: the model's files, the calibrated
 * preprocessor, metrics, history, the manifest with the whole run configuration, model.onnx checked against
 * the model, report.html) and, when asked, `current` switched to it (`promoteSaved`) unless it was changed by
 * hand meanwhile, the store's refusals turned into the promote command to run once fixed.
 */
import { join } from "node:path";
import { type CandleSeries, gridOffsetOf, seriesInterval } from "../../features/index.ts";
import { CommandError, filesystemProblem, withoutRunAgain } from "../errors.ts";
import { checkpointsFlag } from "../flags.ts";
import { notePromotionChanges } from "../promotion_notes.ts";
import { MODEL_CLASS_NAMES, type Preprocessor, sourceCommit, VERSION } from "../../engine/index.ts";
import { type BackendInfo, describeBackend, type LayersModel } from "../../ml/runtime/index.ts";
import { type BoostedTrees, BOOSTING_FILE } from "../../ml/baselines/index.ts";
import type { Dataset, Scaling } from "../../ml/data/index.ts";
import { saveModel } from "../../ml/models/index.ts";
import {
  appliedDistillWeight,
  type MembersResult,
  type RunConfig,
  runConfigJson,
  type TrainConfig,
} from "../../ml/train/index.ts";
import {
  CheckpointStoreError,
  CurrentChangedError,
  droppedPreviousLine,
  promote,
  writeVersion,
  type WrittenVersion,
} from "../../ml/checkpoints/index.ts";
import { renderReport, trainingFacts, trainingReport } from "../../ml/report/index.ts";
import type { TrainOptions } from "./options.ts";
import type { Parent } from "./parent.ts";
import { checkedOnnxExport, cutShort, describeData, ensembleEpochs, historyOf } from "./record.ts";
import { dataNotes } from "./report.ts";
import type { scoreOnTest } from "./test_split.ts";

/** What the run prepared before training: the data, its splits and scaling, the configuration, the parent. */
export interface Prepared {
  readonly series: CandleSeries[];
  readonly backend: BackendInfo;
  readonly parent: Parent | null;
  /** The whole run configuration (recorded in manifest.json); `config` is its loop part for this data. */
  readonly runConfig: RunConfig;
  readonly data: Dataset;
  readonly scaling: Scaling;
  readonly config: TrainConfig;
  readonly started: number;
  /** sha256 of the --data file as read: run.json and the manifest record it. */
  readonly dataSha256: string;
}

/** What training ended with, calibrated and scored: the version's contents. */
export interface Trained {
  readonly model: LayersModel;
  readonly result: MembersResult;
  /** The run configuration recorded: the run's, less the members that never trained. */
  readonly recorded: RunConfig;
  readonly preprocessor: Preprocessor;
  readonly metrics: Awaited<ReturnType<typeof scoreOnTest>>["metrics"];
  /** A blend's gradient boosting (`--blend-boosting`): boosting.json, and inside model.onnx. */
  readonly boosting?: BoostedTrees;
  readonly temperature: number;
  /** The parent whose temperature was kept (a fine-tune with too few validation windows to refit); or null. */
  readonly keptFrom: string | null;
  /** The cores it trained on (`--workers`): the weights depend on them up to float rounding. */
  readonly workers: number;
  /** Whether `train --resume` finished a stopped run (its interrupted member does not end bit for bit). */
  readonly resumed: boolean;
  /** The run folder's name (`.train_…`), when the run had one: recorded as the manifest's `training.run`. */
  readonly runFolder?: string;
}

/** `candlecast_commit` when the code runs from a git checkout; nothing otherwise (a compiled binary). */
function commitField(): { candlecast_commit?: string } {
  const commit = sourceCommit();
  return commit ? { candlecast_commit: commit } : {};
}

/** Writes the trained model as the store's next version (`writeVersion`); `current` is not touched. */
export async function saveVersion(
  opts: Pick<TrainOptions, "checkpoints" | "data">,
  prepared: Prepared,
  trained: Trained,
): Promise<WrittenVersion> {
  const { model, result, preprocessor, metrics, boosting } = trained;
  const interval = seriesInterval(prepared.series);
  // Read once for the manifest and the ONNX metadata: the commonest offset over every open time.
  const gridOffset = gridOffsetOf(prepared.series.map((s) => s.openTime), interval);
  return await writeVersion(opts.checkpoints, {
    writeModel: (dir) => saveModel(model, dir),
    preprocessor,
    history: historyOf(result),
    metrics,
    manifest: versionManifest(opts.data, prepared, trained, interval, gridOffset),
    // Held until train has promoted it (or given up): `retrain --keep` running meanwhile spares it.
    keepLocked: true,
    exportOnnx: checkedOnnxExport(model, preprocessor, interval, boosting, gridOffset),
    extraFiles: (version, manifest) => ({
      ...(boosting ? { [BOOSTING_FILE]: `${JSON.stringify(boosting)}\n` } : {}),
      "report.html": renderReport(versionReport(prepared, trained, version, manifest)),
    }),
  });
}

/** manifest.json's body but for what `writeVersion` adds (version, created, files and their sha256). */
function versionManifest(
  dataPath: string,
  prepared: Prepared,
  trained: Trained,
  interval: string | null,
  /** `gridOffsetOf` the candles: recorded as `grid_offset_ms` only when not 0 (or unknown). */
  gridOffset: number | null,
) {
  const { backend, parent, runConfig, data, config, started, dataSha256 } = prepared;
  const { result, recorded, keptFrom, workers, resumed, runFolder } = trained;
  const modelType = runConfig.model.type;
  const parentEnd = parent?.manifest.data.end_ms ?? null;
  return {
    parent: parent?.version ?? null,
    candlecast_version: VERSION,
    ...commitField(),
    model_type: modelType,
    model_class: MODEL_CLASS_NAMES[modelType],
    data: describeData(dataPath, data, runConfig.data.split, parentEnd, dataSha256),
    symbols: data.symbols.map((s) => s.symbol),
    interval,
    // Only where the candles are off the UTC grid (an exchange whose days begin at midnight UTC+8): serve then
    // takes the bot's candles on their grid, not the UTC one.
    ...(gridOffset ? { grid_offset_ms: gridOffset } : {}),
    // The whole run configuration, read back by --incremental, --config-from, retrain and evaluate.
    hyperparameters: runConfigJson(recorded),
    backend: backend.backend,
    device: backend.device,
    runtime: { deno: Deno.version.deno, backend: describeBackend(backend) },
    training: {
      epochs_run: result.history.length,
      best_epoch: result.bestEpoch,
      ...ensembleEpochs(result),
      ...cutShort(result),
      stop_reason: result.stopReason,
      seconds: Math.round((performance.now() - started) / 1000),
      // What --class-weights gave on this training split (the loss's weights, taken out in calibration).
      class_weights: config.classWeights,
      // How many validation windows the temperature was fit on; 0: kept from the parent (too few to refit).
      ...(keptFrom !== null
        ? { temperature_windows: 0, temperature_from: keptFrom }
        : { temperature_windows: data.validation.size }),
      ...(config.distillWeight > 0 ? { distill_weight_applied: appliedDistillWeight(data, config) } : {}),
      // What else the weights depend on: the cores (float rounding) and whether a resume joined two runs.
      workers,
      ...(resumed ? { resumed: true as const } : {}),
      ...(runFolder ? { run: runFolder } : {}),
    },
  };
}

/** report.html's contents: the version's facts, its test scores beside the baselines', its training curve. */
function versionReport(
  prepared: Prepared,
  trained: Trained,
  version: string,
  manifest: Parameters<typeof trainingFacts>[0],
) {
  const { parent, runConfig, data } = prepared;
  const { result, metrics, temperature, keptFrom } = trained;
  return trainingReport({
    facts: trainingFacts(manifest),
    decisions: {
      rule: metrics.served.rule,
      argmax: metrics.test,
      served: metrics.served.metrics,
      reliability: metrics.served.reliability,
      ece: metrics.served.ece,
      eceFloor: metrics.served.ece_floor,
      confidenceEce: metrics.served.confidence_ece,
      confidenceEceFloor: metrics.served.confidence_ece_floor,
      confidenceReliability: metrics.served.confidence_reliability,
      baseRate: { down: metrics.served.test_class_shares[0], up: metrics.served.test_class_shares[2] },
    },
    version,
    modelType: runConfig.model.type,
    history: result.history,
    bestEpoch: result.bestEpoch,
    bestEpochs: result.perMember.length > 1 ? result.perMember.map((r) => r.bestEpoch) : undefined,
    test: metrics.test,
    baselines: metrics.baselines,
    baselinesServed: metrics.served.baselines,
    // Noted under the test table: boosting that kept none scores exactly as majority does.
    boostingIterations: metrics.baselines.gradient_boosting.iterations,
    temperature,
    // What train printed of its calibration and its data, for the verdict to repeat where they warn.
    calibration: { windows: data.validation.size, keptFrom },
    dataNotes: dataNotes(data, parent !== null),
    // A blend's `test` is the blend's: the report names it so and shows the network's own scores beside.
    ...(metrics.blend && metrics.network_test
      ? {
        blend: { weight: metrics.blend.weight, with: metrics.blend.with, network: metrics.network_test },
      }
      : {}),
  });
}

/**
 * Points `current` at the version just saved, if it still points at `ifCurrent` (where it pointed when the run
 * started): a promote or rollback made by hand while the run trained is left in place, and comes back as the
 * CurrentChangedError (null: promoted). The version is whole on disk whatever happens here: a failure says so
 * and names the promote command to run once its cause is fixed.
 */
export async function promoteSaved(
  checkpoints: string,
  written: WrittenVersion,
  out: (line: string) => void,
  ifCurrent: string | null,
): Promise<CurrentChangedError | null> {
  let previous: string | null;
  try {
    previous = await promote(checkpoints, written.version, {
      ifCurrent,
      onPreviousDropped: (v, reason) => out(droppedPreviousLine(v, reason)),
    });
  } catch (error) {
    if (error instanceof CurrentChangedError) return error;
    // The version is whole on disk; only `current` could not be re-pointed: say which. The store's own
    // refusal (a `current` made a folder by hand during training) reached the user without the version.
    if (error instanceof CheckpointStoreError) {
      const command = `candlecast models promote ${written.version}${checkpointsFlag(checkpoints)}`;
      // One promote command, for this version: the store's hint may already hold one for "VERSION" (a
      // `current` that is no symlink), or be about this version itself (its files do not check out).
      const storeHint = error.hint ?? "";
      const hint = storeHint.includes("candlecast models promote VERSION")
        ? storeHint.replace(/candlecast models promote VERSION[^']*/, command)
        : error.message.startsWith(written.version)
        ? storeHint
        : `${storeHint ? `${storeHint}; then` : "run"} '${command}'`;
      throw new CommandError(`saved ${written.dir} (not promoted): ${error.message}`, hint);
    }
    const machine = filesystemProblem(error);
    if (!machine) throw error;
    throw new CommandError(
      `saved ${written.dir}, but could not point ${join(checkpoints, "current")} at it: ${machine.message}`,
      `${withoutRunAgain(machine.hint)}, then 'candlecast models promote ${written.version}${
        checkpointsFlag(checkpoints)
      }'`,
    );
  }
  // What the promotion changes for the bot (a longer window serve now requires, another interval), as
  // `models promote` says it: a train that promoted itself was silent (a live-swap trial).
  await notePromotionChanges(checkpoints, previous, written.version);
  return null;
}
