/**
 * A tfjs model (transformer_lstm or lightweight_lstm) as a walk-forward learner: trained from scratch by the
 * shared training loop, fine-tuned on the newest windows for weekly retraining, and calibrated after every
 * training: the class weights' bias is taken out of every member's class bias (ln w_k subtracted, as `train`
 * does) and a temperature is fit
 * on the fold's validation block. Without the first step, temperature scaling alone leaves a class-weighted
 * model's probabilities skewed towards the rare classes (measured on 2023-12: log-loss 1.086 vs 1.074).
 */
import type * as tf from "@tensorflow/tfjs";
import {
  classCounts,
  type ClassVector,
  type ClassWeighting,
  classWeights,
  type Dataset,
  type LabelledSet,
  type Scaling,
  subsetOf,
} from "../data/index.ts";
import { buildModel, FAST_LAYERS, type ModelConfig, scoringBatch } from "../models/index.ts";
import { softmaxRows } from "../metrics/index.ts";
import {
  type BatchProgress,
  type ParallelOptions,
  type TrainConfig,
  trainMembers,
  windowsPerEpoch,
} from "../train/index.ts";
import type { Preprocessor } from "../../engine/index.ts";
import { modelOutputs } from "./model_outputs.ts";
import { calibrate, restoreClassBias } from "./calibrate.ts";
import { type FitReport, type FoldData, type Learner, LearnerError, type LearnerOutput } from "./learner.ts";

export interface NetworkLearnerOptions {
  /** The learner's name in tables ("transformer_lstm", "lightweight_lstm"). */
  readonly name: string;
  /** Architecture for training from scratch (a pretrained learner without it cannot `fit`). */
  readonly modelConfig?: ModelConfig;
  readonly train: Omit<TrainConfig, "classWeights">;
  readonly classWeighting: ClassWeighting;
  /** Standardised inputs are clipped to ±clip (the checkpoint's own clip for a pretrained model). */
  readonly clip: number;
  /**
   * Subtract ln(class weight) from every member's class bias before temperature scaling, as `train` does, so
   * the probabilities of a model trained with class weights estimate real frequencies (default true).
   */
  readonly undoClassWeights?: boolean;
  readonly log?: (line: string) => void;
  readonly progress?: BatchProgress;
  readonly signal?: AbortSignal;
  /** Train an ensemble's members in worker threads (one core each); same result as one after another. */
  readonly parallel?: ParallelOptions;
}

/** The training windows whose label candle opens at or after `since` (the data new since the last training). */
export function windowsLabelledSince(set: LabelledSet, horizon: number, since: number): LabelledSet {
  const picks: number[] = [];
  for (let i = 0; i < set.size; i++) {
    const s = set.series[set.seriesIndex[i]];
    if (s.openTime[set.ends[i] + horizon] >= since) picks.push(i);
  }
  return {
    ...subsetOf(set, picks),
    labels: Int8Array.from(picks, (i) => set.labels[i]),
    returns: Float64Array.from(picks, (i) => set.returns[i]),
  };
}

/**
 * A tfjs model as a learner: built and trained per fold (or given pretrained), fine-tuned by `update`, and
 * calibrated after each training; `dispose` frees the model.
 */
export class NetworkLearner implements Learner {
  readonly name: string;
  readonly pretrained: boolean;
  readonly priors?: readonly [number, number, number];
  #model: tf.LayersModel | null;
  #scaling: Scaling | null;
  #temperature: number;
  #classWeights: ClassVector | null = null;
  /** The class weights whose ln the last calibration took out of the model's class bias (none: all 1). */
  #removed: readonly number[] | null = null;

  /**
   * `pretrained.classWeights`: those its training took out of the class bias (the manifest's
   * `training.class_weights`), put back before its first fine-tune.
   */
  constructor(
    readonly opts: NetworkLearnerOptions,
    pretrained?: { model: tf.LayersModel; preprocessor: Preprocessor; classWeights?: readonly number[] },
  ) {
    this.name = opts.name;
    this.pretrained = pretrained !== undefined;
    this.#model = pretrained?.model ?? null;
    this.#removed = pretrained?.classWeights ?? null;
    const p = pretrained?.preprocessor;
    this.#scaling = p ? { scaler: p.scaler, clip: p.clip, returnScale: p.returnScale } : null;
    this.#temperature = p?.temperature ?? 1;
    this.priors = p?.classPriors;
  }

  #log(fold: FoldData): ((line: string) => void) | undefined {
    const log = this.opts.log;
    return log && ((line) => log(`  [${fold.plan.label} ${this.name}] ${line}`));
  }

  async #train(data: Dataset, scaling: Scaling, fold: FoldData, started: number): Promise<FitReport> {
    const config: TrainConfig = {
      ...this.opts.train,
      evalBatchSize: this.#scoringBatch(),
      classWeights: this.#classWeights!,
    };
    const result = await trainMembers(this.#model!, data, scaling, config, {
      log: this.#log(fold),
      progress: this.opts.progress,
      signal: this.opts.signal,
    }, this.opts.parallel);
    if (result.bestEpoch === null) throw new LearnerError(`${this.name}: training stopped before it began`);
    // Calibrated as `train` calibrates what it ships: ln(weight) out of every member's class bias (an ensemble
    // averages probabilities, so taking it out of the averaged output would score another model), then one
    // temperature on the fold's validation block.
    const weights = this.opts.undoClassWeights === false
      ? this.#classWeights!.map(() => 1)
      : this.#classWeights!;
    this.#temperature = await calibrate(
      this.#model!,
      fold.dataset,
      scaling,
      weights,
      undefined,
      this.#scoringBatch(),
    );
    this.#removed = weights;
    return {
      seconds: (performance.now() - started) / 1000,
      trainWindows: data.train.size,
      epochWindows: windowsPerEpoch(config, data.train.size),
      temperature: this.#temperature,
      history: result.history,
      bestEpoch: result.bestEpoch,
      stopReason: result.stopReason,
    };
  }

  async fit(fold: FoldData): Promise<FitReport> {
    if (!this.opts.modelConfig) {
      throw new LearnerError(`${this.name}: training from scratch needs the model's architecture`);
    }
    const started = performance.now();
    this.#model?.dispose();
    this.#model = buildModel(this.opts.modelConfig, this.opts.train.seed, FAST_LAYERS, fold.scaling);
    this.#removed = null;
    this.#scaling = fold.scaling;
    this.#classWeights = classWeights(fold.dataset.trainClassCounts, this.opts.classWeighting);
    return await this.#train(fold.dataset, fold.scaling, fold, started);
  }

  async update(fold: FoldData): Promise<FitReport> {
    if (!this.#model || !this.#scaling) throw new LearnerError(`${this.name}: update before fit`);
    const started = performance.now();
    const train = windowsLabelledSince(fold.dataset.train, fold.dataset.horizon, fold.newSince);
    if (train.size === 0) {
      return { seconds: 0, trainWindows: 0, temperature: this.#temperature, fineTuned: true };
    }
    // A checkpoint fine-tuned for the first time weighs classes by the fold's history, as `train` would have.
    this.#classWeights ??= classWeights(fold.dataset.trainClassCounts, this.opts.classWeighting);
    const data: Dataset = { ...fold.dataset, train, trainClassCounts: classCounts(train.labels) };
    // The weighted loss's optimum carries ln(weight) in the class bias, which the last calibration took out.
    if (this.#removed) restoreClassBias(this.#model, this.#removed);
    return { ...await this.#train(data, this.#scaling, fold, started), fineTuned: true };
  }

  async predict(set: LabelledSet, fold: FoldData): Promise<LearnerOutput> {
    if (!this.#model || !this.#scaling) throw new LearnerError(`${this.name}: predict before fit`);
    const out = await modelOutputs(this.#model, set, fold.dataset, this.#scaling, this.#scoringBatch());
    return { probabilities: softmaxRows(out.logits, this.#temperature), returns: out.returns };
  }

  /** Windows a scoring batch holds: fewer where a long window's attention would not fit (`scoringBatch`). */
  #scoringBatch(): number {
    const requested = this.opts.train.evalBatchSize;
    return this.opts.modelConfig ? scoringBatch(this.opts.modelConfig, requested) : requested;
  }

  dispose(): void {
    this.#model?.dispose();
    this.#model = null;
  }
}
