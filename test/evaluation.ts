/**
 * Test fixtures for evaluate and report: a synthetic two-symbol market (the demo simulator, never evidence of
 * real performance) and a scripted learner that needs no training, so a full evaluation runs in a second.
 */
import { type CandleSeries, computeIndicators, seriesFromCandles } from "../features/index.ts";
import { simulateMarket } from "../features/market_simulator.ts";
import { seededRng } from "../ml/data/index.ts";
import type { EpochRecord } from "../ml/train/index.ts";
import { baselineLearners } from "../ml/evaluate/baseline_learners.ts";
import { dataEnd, planFolds, type RetrainMode } from "../ml/evaluate/folds.ts";
import type { FitReport, FoldData, Learner, LearnerOutput } from "../ml/evaluate/learner.ts";
import { summarize } from "../ml/evaluate/summary.ts";
import type { EvaluationSummary } from "../ml/evaluate/summary_types.ts";
import { walkForward } from "../ml/evaluate/walk_forward.ts";
import type { LabelledSet } from "../ml/data/index.ts";

/**
 * The `summarize` options every evaluation test shares (the served prior rule, evaluate's trade threshold and
 * fee, horizon 4); each test adds its model name where that is not "model", and its resample count.
 */
export const SUMMARY_OPTIONS = {
  model: "model",
  horizon: 4,
  decisionRule: "prior",
  threshold: 0.4,
  fee: 0.001,
  short: false,
  seed: 1,
} as const;

/** Monday 2023-06-05 00:00 UTC. */
export const SYNTHETIC_START = Date.parse("2023-06-05T00:00Z");
const HOUR = 3_600_000;

export function syntheticSeries(days = 70, symbols = ["SIMAUSDT", "SIMBUSDT"]): CandleSeries[] {
  return symbols.map((symbol, k) => {
    const candles = simulateMarket({
      seed: 11 + k,
      start: SYNTHETIC_START,
      intervalMs: HOUR,
      count: days * 24,
      startPrice: 100 * (k + 1),
      baseVolume: 1000,
    });
    const s = seriesFromCandles(symbol, candles);
    computeIndicators(s);
    return s;
  });
}

/** Knows a little of the truth (it peeks at labels with noise): a stand-in for a trained model in tests. */
export class ScriptedLearner implements Learner {
  readonly pretrained: boolean = false;
  #fits = 0;
  constructor(readonly name = "model", readonly skill = 0.12, readonly seed = 5) {}

  fit(fold: FoldData): Promise<FitReport> {
    this.#fits++;
    const history: EpochRecord[] = [1, 2, 3, 4].map((epoch) => ({
      epoch,
      partial: false,
      windows: 100,
      loss: 1.1 - 0.04 * epoch - 0.01 * this.#fits,
      accuracy: 0.38 + 0.02 * epoch,
      val_loss: 1.09 - 0.01 * epoch + (epoch === 4 ? 0.02 : 0),
      val_accuracy: 0.4 + 0.01 * epoch,
      val_macro_f1: 0.3 + 0.01 * epoch,
      val_calibrated_log_loss: 1.07 - 0.005 * epoch + (epoch === 4 ? 0.02 : 0),
      val_temperature: 1,
      val_log_loss: 1.08,
      learning_rate: 0.001,
      samples_per_second: 100,
      seconds: 1,
    }));
    return Promise.resolve({
      seconds: 0.1,
      trainWindows: fold.dataset.train.size,
      temperature: 1.25,
      history,
      bestEpoch: 3,
      stopReason: "epochs",
    });
  }

  update(fold: FoldData): Promise<FitReport> {
    return this.fit(fold);
  }

  predict(set: LabelledSet): Promise<LearnerOutput> {
    const rng = seededRng(this.seed + set.size);
    const probabilities = new Float32Array(set.size * 3);
    for (let i = 0; i < set.size; i++) {
      const raw = [0.3 + 0.2 * rng(), 0.35 + 0.2 * rng(), 0.3 + 0.2 * rng()];
      raw[set.labels[i]] += this.skill * rng();
      const sum = raw[0] + raw[1] + raw[2];
      probabilities.set(raw.map((v) => v / sum), i * 3);
    }
    return Promise.resolve({ probabilities, returns: new Float64Array(set.size) });
  }

  dispose(): void {}
}

/** A complete evaluation of the scripted model and the baselines on the synthetic market. */
export async function syntheticSummary(
  folds = 3,
  retrain: RetrainMode = "weekly",
): Promise<EvaluationSummary> {
  const series = syntheticSeries();
  const plans = planFolds(dataEnd(series), folds, retrain, 1);
  const shape = { lookback: 20, horizon: 4, labelRule: { kind: "volatility", multiplier: 0.5 } } as const;
  const learners = [new ScriptedLearner(), ...baselineLearners({ seed: 1, maxTrainWindows: 3_000 })];
  // With the blend evaluate scores beside the model (train --blend-boosting's), as every evaluate run has.
  const blend = { model: "model", with: "gradient_boosting", weight: 0.5 };
  const outcomes = await walkForward(series, plans, learners, { shape, clip: 10, blend });
  return summarize(series, outcomes, { ...SUMMARY_OPTIONS, blend, resamples: 200 });
}
