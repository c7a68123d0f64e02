/**
 * The baselines of ml/baselines as walk-forward learners. They are cheap, so "fine-tuning" one means fitting
 * it again on everything before the fold; each keeps the scaling it was fit with, so `--retrain none` really
 * leaves it as it was.
 */
import { finishStepsTurning } from "../../base/index.ts";
import type { LabelledSet, Scaling } from "../data/index.ts";
import {
  baselineTrainSample,
  fitGradientBoosting,
  fitLogisticSteps,
  fitMajority,
  fitPersistence,
  type GradientBoostingModel,
  type GradientBoostingOptions,
  lastCandles,
  type LogisticModel,
  type MajorityModel,
  type PersistenceModel,
  predictGradientBoosting,
  predictLogistic,
  predictMajority,
  predictPersistence,
} from "../baselines/index.ts";
import type { FitReport, FoldData, Learner, LearnerOutput } from "./learner.ts";

export interface BaselineLearnerOptions {
  readonly seed: number;
  /** Persistence and the logistic regression fit on at most this many training windows (a seeded sample). */
  readonly maxTrainWindows?: number;
  readonly gradientBoosting?: GradientBoostingOptions;
  /**
   * Aborting it stops a fit at its next step (throwing `signal.reason`): a stopped run drops the fold it is in,
   * so a fit finished after a Ctrl-C (minutes of boosting on big data) was thrown away.
   */
  readonly signal?: AbortSignal;
}

const notFitted = (name: string) => new Error(`${name}: predict was called before fit`);

abstract class RefitLearner implements Learner {
  readonly pretrained = false;
  abstract readonly name: string;
  abstract fit(fold: FoldData): Promise<FitReport>;
  abstract predict(set: LabelledSet, fold: FoldData): Promise<LearnerOutput>;
  update(fold: FoldData): Promise<FitReport> {
    return this.fit(fold);
  }
  dispose(): void {}
}

class MajorityLearner extends RefitLearner {
  readonly name = "majority";
  #model: MajorityModel | null = null;

  fit(fold: FoldData): Promise<FitReport> {
    const t0 = performance.now();
    const { labels, returns } = fold.dataset.train;
    this.#model = fitMajority(labels, returns);
    return Promise.resolve({ seconds: (performance.now() - t0) / 1000, trainWindows: labels.length });
  }

  predict(set: LabelledSet): Promise<LearnerOutput> {
    if (!this.#model) throw notFitted(this.name);
    return Promise.resolve(predictMajority(this.#model, set.size));
  }
}

/** The training sample persistence and the logistic regression are fit on (the one `train`'s baselines use). */
async function trainSample(fold: FoldData, opts: BaselineLearnerOptions) {
  return await baselineTrainSample(
    fold.dataset.train,
    fold.dataset,
    fold.scaling,
    opts.seed,
    opts.maxTrainWindows,
    opts.signal,
  );
}

class PersistenceLearner extends RefitLearner {
  readonly name = "persistence";
  #model: PersistenceModel | null = null;
  constructor(readonly opts: BaselineLearnerOptions) {
    super();
  }

  async fit(fold: FoldData): Promise<FitReport> {
    const t0 = performance.now();
    const sample = await trainSample(fold, this.opts);
    this.#model = fitPersistence(sample.lastReturn, sample.labels, sample.returns);
    return { seconds: (performance.now() - t0) / 1000, trainWindows: sample.size };
  }

  predict(set: LabelledSet, fold: FoldData): Promise<LearnerOutput> {
    if (!this.#model) throw notFitted(this.name);
    return Promise.resolve(
      predictPersistence(this.#model, lastCandles(set, fold.dataset, fold.scaling).lastReturn),
    );
  }
}

class LogisticLearner extends RefitLearner {
  readonly name = "logistic_regression";
  #model: LogisticModel | null = null;
  #scaling: Scaling | null = null;
  constructor(readonly opts: BaselineLearnerOptions) {
    super();
  }

  async fit(fold: FoldData): Promise<FitReport> {
    const t0 = performance.now();
    const sample = await trainSample(fold, this.opts);
    // ~4 s of full-batch passes: the event loop turns between them, so a second Ctrl-C quits evaluate meanwhile.
    this.#model = await finishStepsTurning(
      fitLogisticSteps(sample.features, sample.labels, sample.returns, fold.scaling.returnScale, {
        clip: fold.scaling.clip,
      }),
      this.opts.signal,
    );
    this.#scaling = fold.scaling;
    return { seconds: (performance.now() - t0) / 1000, trainWindows: sample.size };
  }

  predict(set: LabelledSet, fold: FoldData): Promise<LearnerOutput> {
    if (!this.#model || !this.#scaling) throw notFitted(this.name);
    return Promise.resolve(
      predictLogistic(this.#model, lastCandles(set, fold.dataset, this.#scaling).features),
    );
  }
}

/** Gradient boosting on the fold's training windows, its iterations chosen on the fold's validation block. */
class GradientBoostingLearner extends RefitLearner {
  readonly name = "gradient_boosting";
  #model: GradientBoostingModel | null = null;
  constructor(readonly opts: BaselineLearnerOptions) {
    super();
  }

  async fit(fold: FoldData): Promise<FitReport> {
    this.#model = await fitGradientBoosting(fold.dataset, {
      seed: this.opts.seed,
      ...this.opts.gradientBoosting,
      signal: this.opts.signal,
    });
    return {
      seconds: this.#model.seconds,
      trainWindows: this.#model.trainWindows,
      iterations: this.#model.gbdt.iterations,
    };
  }

  predict(set: LabelledSet, fold: FoldData): Promise<LearnerOutput> {
    if (!this.#model) throw notFitted(this.name);
    return Promise.resolve(predictGradientBoosting(this.#model, set, fold.dataset));
  }
}

/** Majority class, persistence, logistic regression and gradient boosting, in that order. */
export function baselineLearners(opts: BaselineLearnerOptions): Learner[] {
  return [
    new MajorityLearner(),
    new PersistenceLearner(opts),
    new LogisticLearner(opts),
    new GradientBoostingLearner(opts),
  ];
}
