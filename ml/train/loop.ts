/**
 * The training loop: seeded shuffles, AdamW under a one-cycle (or warm-up) learning rate with gradient
 * clipping, an auxiliary volatility head trained beside the served heads, validation after every epoch, and
 * early stopping on the validation log-loss of *calibrated* probabilities (what serve states), the best
 * weights restored. An abort signal (Ctrl-C) stops it after the current batch; the partial epoch is validated
 * too, so the best weights so far are never lost.
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { formatDuration, ReportedError } from "../../base/index.ts";
import {
  AUX_TARGETS_PER_HORIZON,
  auxiliaryHorizonList,
  auxiliaryTargets,
  type Dataset,
  epochOrder,
  evaluationOrder,
  gatherRows,
  modelBatches,
  recencyWeights,
  type Scaling,
  seededRng,
} from "../data/index.ts";
import { disposeAuxiliaryHead, isEnsemble, prefixOf, withAuxiliaryHead } from "../models/index.ts";
import { fitTemperature, temperatureNll, unweightLogits } from "../metrics/index.ts";
import { Adam } from "./adam.ts";
import { learningRateAt } from "./schedule.ts";
import { improves, type TrainConfig, windowsPerEpoch } from "./config.ts";
import { evaluateModel } from "./evaluate.ts";
import { batchGradients, type BatchPart } from "./gradients.ts";
import type { LossOptions } from "./loss.ts";
import { Replicas } from "./data_parallel.ts";
import type { BatchProgress } from "../../base/index.ts";
import { samplesPerSecond } from "./throughput.ts";

/** A number as JSON keeps it: JSON.stringify writes NaN and ±Infinity as null, read back as NaN. */
const jsonNumber = z.number().or(z.null().transform(() => NaN));

/**
 * One epoch's line of history: the schema is what run.json (train --resume) and history.json are read back
 * through, so a record written by this code reads back as the same record.
 */
export const EpochRecordSchema = z.object({
  epoch: z.number().int().positive(),
  /** The ensemble member (1-based) this epoch trained; absent for a single model. */
  member: z.number().int().positive().optional(),
  /** True for an epoch cut short by an interrupt. */
  partial: z.boolean(),
  windows: z.number().int().nonnegative(),
  loss: jsonNumber,
  accuracy: jsonNumber,
  val_loss: jsonNumber,
  val_accuracy: jsonNumber,
  val_macro_f1: jsonNumber,
  val_log_loss: jsonNumber,
  /** Validation log-loss after removing class-weight bias and fitting a temperature: what early stopping watches. */
  val_calibrated_log_loss: jsonNumber,
  val_temperature: jsonNumber,
  learning_rate: jsonNumber,
  samples_per_second: jsonNumber,
  seconds: jsonNumber,
});
export type EpochRecord = Readonly<z.infer<typeof EpochRecordSchema>>;

export type StopReason = "epochs" | "early_stopping" | "interrupted";

export interface TrainResult {
  readonly history: readonly EpochRecord[];
  /**
   * The epoch whose weights the model now holds (null when none completed); 0 for a resumed member that no
   * epoch improved on (it holds the weights it started from).
   */
  readonly bestEpoch: number | null;
  readonly stopReason: StopReason;
}

export interface TrainHooks {
  /** Receives the per-epoch line. */
  readonly log?: (line: string) => void;
  readonly progress?: BatchProgress;
  /** Aborting stops training after the current batch. */
  readonly signal?: AbortSignal;
  /** Called after each batch (tests use it to interrupt at a known point). */
  readonly afterBatch?: (epoch: number, batch: number) => void;
  /** Called after each epoch's validation, awaited (train saves the best weights so far from here). */
  readonly afterEpoch?: (record: EpochRecord, model: tf.LayersModel) => unknown; // a promise is awaited
}

function snapshot(model: tf.LayersModel): tf.Tensor[] {
  return model.weights.map((w) => tf.clone(w.read()));
}

/**
 * The line train logs after each epoch: training and validation scores, throughput, elapsed time and ETA, and
 * `*best` when the epoch improved.
 */
export function formatEpoch(
  r: EpochRecord,
  epochs: number,
  elapsed: number,
  eta: number,
  best: boolean,
): string {
  const f = (v: number) => v.toFixed(4);
  return [
    `epoch ${r.epoch}/${epochs}${r.partial ? " (interrupted)" : ""}`,
    `loss ${f(r.loss)}`,
    `accuracy ${f(r.accuracy)}`,
    `val_loss ${f(r.val_loss)}`,
    // history.json's name: its val_log_loss is the uncalibrated figure, which this line printed under that name.
    `val_calibrated_log_loss ${f(r.val_calibrated_log_loss)} (T ${r.val_temperature.toFixed(2)})`,
    `val_accuracy ${f(r.val_accuracy)}`,
    `val_macro_f1 ${f(r.val_macro_f1)}`,
    `${r.samples_per_second.toFixed(1)} samples/s`,
    `elapsed ${formatDuration(elapsed)}`,
    `ETA ${formatDuration(eta)}${best ? "  *best" : ""}`,
  ].join("  ");
}

/**
 * The validation log-loss of the probabilities serve would state: class-weight bias taken out of the logits,
 * then the best temperature for this epoch (the final model gets the same treatment in `train`).
 */
export function calibratedLogLoss(
  logits: Float32Array,
  labels: Int8Array,
  classWeights: readonly number[],
): { logLoss: number; temperature: number } {
  const unweighted = unweightLogits(logits, classWeights);
  const temperature = fitTemperature(unweighted, labels);
  return { logLoss: temperatureNll(unweighted, labels, temperature), temperature };
}

/** The teacher's probabilities of the windows at `picks` ([picks, 3]); a distilling run must have them. */
function teacherRows(teacher: Float32Array | undefined, picks: Int32Array): Float32Array {
  if (!teacher) throw new Error("distillation needs the teacher's probabilities: train with trainMembers");
  return gatherRows(teacher, 3, picks);
}

/** Yields to the event loop so a SIGINT listener can run between batches. */
const yieldToEvents = () => new Promise((resolve) => setTimeout(resolve, 0));

/** How (not what) to train: the result is the same up to float rounding. */
export interface TrainExecution {
  /**
   * Parts each batch is cut into, the first computed here and each other by a replica worker on its own core
   * (`data_parallel.ts`); 1: none. Only on the wasm and cpu backends (native TensorFlow uses the cores itself).
   */
  readonly dataParallel?: number;
}

/**
 * Trains one model (not an ensemble: `trainMembers`) on `data.train`, scoring each epoch on validation by
 * calibrated log-loss and stopping early on `patience`; it ends holding the best epoch's weights. Throws when
 * the loss stops being finite, or when no epoch scored a finite validation log-loss; an aborted
 * `hooks.signal` stops after the current batch.
 */
export async function trainModel(
  model: tf.LayersModel,
  data: Dataset,
  scaling: Scaling,
  config: TrainConfig,
  hooks: TrainHooks = {},
  execution: TrainExecution = {},
): Promise<TrainResult> {
  // The auxiliary head shares the trunk and exists only here: the saved model keeps the served outputs.
  if (isEnsemble(model)) {
    throw new Error(`trainModel trains one model; ${model.name} is an ensemble: train it with trainMembers`);
  }
  const prefix = prefixOf(model);
  const auxiliaryHorizons = auxiliaryHorizonList(config.auxiliaryHorizons, data.horizon);
  const auxiliaryWidth = AUX_TARGETS_PER_HORIZON * auxiliaryHorizons.length;
  const trainer = config.auxiliaryWeight > 0
    ? withAuxiliaryHead(model, config.seed, auxiliaryWidth, prefix)
    : model;
  const variables = trainer.trainableWeights.map((w) => w.read() as tf.Variable);
  const adam = new Adam(variables);
  const backend = tf.getBackend();
  const replicas = (execution.dataParallel ?? 1) > 1 && (backend === "wasm" || backend === "cpu")
    ? await Replicas.start(execution.dataParallel! - 1, backend, trainer)
    : null;
  try {
    return await trainWith({ model, trainer, variables, adam, replicas, data, scaling, config, hooks });
  } finally {
    replicas?.dispose();
    adam.dispose();
    if (trainer !== model) disposeAuxiliaryHead(trainer, prefix);
  }
}

/** One training's parts, fixed before its first epoch: what every epoch reads. */
interface Training {
  /** The model trained (the served outputs); validation scores it. */
  readonly model: tf.LayersModel;
  /** `model`, or `model` with the auxiliary head that only training sees. */
  readonly trainer: tf.LayersModel;
  /** `trainer`'s trainable weights, in the order Adam and the gradients hold them. */
  readonly variables: tf.Variable[];
  readonly adam: Adam;
  readonly replicas: Replicas | null;
  readonly data: Dataset;
  readonly scaling: Scaling;
  readonly config: TrainConfig;
  readonly hooks: TrainHooks;
}

/** How each batch is turned into a step: the loss's options and where the schedule stands. */
interface StepPlan {
  readonly auxiliaryHorizons: readonly number[];
  readonly lossOptions: LossOptions;
  /** Steps taken before this training (a resumed one_cycle run's whole epochs). */
  readonly stepsBefore: number;
  /** The schedule's length in steps. */
  readonly totalSteps: number;
}

/** The loss's options and the schedule's span for a training of `config` on `epochWindows` windows an epoch. */
function stepPlan(config: TrainConfig, horizon: number, epochWindows: number): StepPlan {
  const auxiliaryHorizons = auxiliaryHorizonList(config.auxiliaryHorizons, horizon);
  const batchesPerEpoch = Math.ceil(epochWindows / config.batchSize);
  // A resumed member's one_cycle goes on from where its whole epochs left it, over the run's whole length:
  // restarted over the epochs left, the rate climbed back to its peak, so the epoch a stop had cut short ran
  // again at the peak instead of near the end of the fall, and came out worse than its cut run. (The warmup
  // schedule warms up again: the optimizer's moments start again, which is what its warm-up is for.)
  const stepsBefore = config.schedule === "one_cycle"
    ? batchesPerEpoch * (config.resumedFrom?.epochs ?? 0)
    : 0;
  return {
    auxiliaryHorizons,
    lossOptions: {
      classWeights: config.classWeights,
      labelSmoothing: config.labelSmoothing,
      distillWeight: config.distillWeight,
      regressionWeight: config.regressionWeight,
      // The weight is shared by the horizons, so asking for more of them does not outweigh the class loss.
      auxiliaryWeight: config.auxiliaryWeight / auxiliaryHorizons.length,
    },
    stepsBefore,
    totalSteps: stepsBefore + batchesPerEpoch * config.epochs,
  };
}

/** What an epoch's batches did. */
interface EpochTraining {
  readonly lossSum: number;
  readonly correct: number;
  readonly seen: number;
  /** Batches trained, and the epoch's batch count (fewer trained: interrupted). */
  readonly batchIndex: number;
  readonly batches: number;
  /** The learning rate of the last batch. */
  readonly lr: number;
  /** performance.now() when its first batch began, and the seconds its batches took. */
  readonly epochStart: number;
  readonly trainSeconds: number;
  /** Whether `hooks.signal` had aborted when the batches ended. */
  readonly interrupted: boolean;
}

/**
 * One epoch's batches over the windows `order` draws: each a gradient step at the schedule's rate, progress
 * after each, stopping after the batch in which `hooks.signal` aborts; the progress bar is cleared after the last. A
 * batch whose loss is not a finite number ends it at once, with that loss alone.
 */
async function runEpoch(
  t: Training,
  plan: StepPlan,
  epoch: number,
  order: Int32Array,
): Promise<EpochTraining | { readonly nonFiniteLoss: number }> {
  const { model, trainer, variables, adam, replicas, data, scaling, config, hooks } = t;
  const batches = Math.ceil(order.length / config.batchSize);
  const epochStart = performance.now();
  let lossSum = 0, correct = 0, seen = 0, batchIndex = 0, lr = config.learningRate;
  for (const batch of modelBatches(data.train, order, config.batchSize, data, scaling)) {
    lr = learningRateAt(config, plan.stepsBefore + adam.steps, plan.totalSteps);
    const part: BatchPart = {
      size: batch.size,
      x: batch.x,
      labels: batch.labels,
      target: batch.target,
      // Only training reads these, so they are computed here rather than for every batch.
      auxiliary: trainer === model
        ? undefined
        : auxiliaryTargets(data.train, batch.picks, plan.auxiliaryHorizons),
      teacher: config.distillWeight > 0 ? teacherRows(data.train.teacher, batch.picks) : undefined,
    };
    const step = replicas
      ? await replicas.gradients(trainer, variables, part, data.lookback, plan.lossOptions)
      : batchGradients(trainer, variables, part, data.lookback, plan.lossOptions);
    adam.stepValues(step.grads, lr, config.clipNorm, config.weightDecay);
    const lossValue = step.loss;
    correct += step.hits;
    if (!Number.isFinite(lossValue)) {
      return { nonFiniteLoss: lossValue };
    }
    lossSum += lossValue * batch.size;
    seen += batch.size;
    batchIndex++;
    const rate = samplesPerSecond(seen, (performance.now() - epochStart) / 1000);
    hooks.progress?.update(
      batchIndex,
      batches,
      `epoch ${epoch}/${config.epochs}`,
      `loss ${(lossSum / seen).toFixed(4)}  ${rate.toFixed(1)} samples/s`,
    );
    hooks.afterBatch?.(epoch, batchIndex);
    await yieldToEvents();
    if (hooks.signal?.aborted) break;
  }
  const trainSeconds = (performance.now() - epochStart) / 1000;
  const interrupted = hooks.signal?.aborted ?? false;
  hooks.progress?.clear();
  return { lossSum, correct, seen, batchIndex, batches, lr, epochStart, trainSeconds, interrupted };
}

/**
 * What an epoch reports: its training scores beside the model's on the validation windows `validationOrder`
 * picks, with the calibrated log-loss early stopping watches.
 */
async function epochRecord(
  t: Training,
  epoch: number,
  trained: EpochTraining,
  validationOrder: Int32Array,
): Promise<EpochRecord> {
  const { data, config } = t;
  const validation = await evaluateModel(t.model, data.validation, validationOrder, data, t.scaling, {
    classWeights: config.classWeights,
    regressionWeight: config.regressionWeight,
    batchSize: config.evalBatchSize,
    keepLogits: true,
  });
  const calibrated = calibratedLogLoss(validation.logits!, validation.labels!, config.classWeights);
  const { seen } = trained;
  return {
    epoch,
    partial: trained.interrupted && trained.batchIndex < trained.batches,
    windows: seen,
    loss: trained.lossSum / seen,
    accuracy: trained.correct / seen,
    val_loss: validation.loss,
    val_accuracy: validation.metrics.accuracy,
    val_macro_f1: validation.metrics.macro_f1,
    val_log_loss: validation.metrics.log_loss,
    val_calibrated_log_loss: calibrated.logLoss,
    val_temperature: calibrated.temperature,
    learning_rate: trained.lr,
    samples_per_second: samplesPerSecond(seen, trained.trainSeconds),
    seconds: (performance.now() - trained.epochStart) / 1000,
  };
}

/**
 * The epoch loop: each epoch's windows drawn, trained and validated, the best weights kept by calibrated
 * validation log-loss, stopping at the schedule's end, on patience, or on an interrupt; ends holding the best.
 */
async function trainWith(t: Training): Promise<TrainResult> {
  const { model, data, config, hooks } = t;
  const shuffleRng = seededRng(config.seed);
  const validationOrder = evaluationOrder(
    data.validation.size,
    seededRng(config.seed ^ 0x5bd1e995),
    config.maxValidationWindows,
  );
  const epochWindows = windowsPerEpoch(config, data.train.size);
  const drawWeights = recencyWeights(data.train, config.recencyHalfLife) ?? undefined;
  const plan = stepPlan(config, data.horizon, epochWindows);
  const history: EpochRecord[] = [];
  // Epoch 0 is where a resumed member starts: its best weights so far, at the score they reached.
  const resumed = config.resumedFrom;
  let best: { epoch: number; loss: number; weights: tf.Tensor[] } | null = resumed
    ? { epoch: 0, loss: resumed.bestScore, weights: snapshot(model) }
    : null;
  let stopReason: StopReason = "epochs";
  const started = performance.now();

  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const order = epochOrder(data.train.size, shuffleRng, epochWindows, drawWeights);
    const trained = await runEpoch(t, plan, epoch, order);
    if ("nonFiniteLoss" in trained) {
      // Written for the user (it reached them as "unexpected failure … this is a bug"); the best epoch's
      // snapshot is released, as an evaluation's next fold trains on in the same process.
      if (best) tf.dispose(best.weights);
      throw new ReportedError(
        `the training loss became ${trained.nonFiniteLoss} at epoch ${epoch}`,
        "lower --learning-rate, or keep --clip-norm",
      );
    }
    const { interrupted } = trained;
    if (trained.seen === 0) {
      stopReason = "interrupted";
      break;
    }
    const record = await epochRecord(t, epoch, trained, validationOrder);
    history.push(record);
    const score = record.val_calibrated_log_loss;
    const improved = improves(score, best?.loss, config.minDelta);
    if (improved) {
      if (best) tf.dispose(best.weights);
      best = { epoch, loss: score, weights: snapshot(model) };
    }
    const elapsed = (performance.now() - started) / 1000;
    const eta = (elapsed / epoch) * (config.epochs - epoch);
    // Numbered over the member's whole training: a resumed member's epochs come after those it had done.
    const before = resumed?.epochs ?? 0;
    hooks.log?.(
      formatEpoch(
        { ...record, epoch: epoch + before },
        config.epochs + before,
        elapsed,
        interrupted ? 0 : eta,
        improved,
      ),
    );
    await hooks.afterEpoch?.(record, model);
    if (interrupted) {
      stopReason = "interrupted";
      break;
    }
    // Patience running out on the schedule's last epoch is not an early stop: every epoch ran. Counted from
    // epoch 0 while no epoch has had a finite score.
    if (epoch - (best?.epoch ?? 0) >= config.patience && epoch < config.epochs) {
      stopReason = "early_stopping";
      break;
    }
  }
  if (best) {
    model.setWeights(best.weights);
    tf.dispose(best.weights);
  } else if (history.length > 0) {
    // Epochs ran (an interrupted one is scored too) and none could be scored: the model's outputs are not
    // numbers on validation, so no epoch's weights are worth keeping (before: the first such epoch was kept as
    // "best" and promoted; an interrupted one was reported as stopped before its first batch).
    throw new ReportedError(
      `the validation log-loss was ${history.at(-1)!.val_calibrated_log_loss} after every epoch ` +
        `(${history.length}): the model's outputs overflow on the validation windows`,
      "lower --learning-rate, or keep --clip-norm",
    );
  }
  return { history, bestEpoch: best?.epoch ?? null, stopReason };
}
