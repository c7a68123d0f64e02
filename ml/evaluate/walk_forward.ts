/**
 * The walk-forward loop: for each fold, cut every symbol at the fold's end, split it by the fold's dates (the
 * data module purges `horizon` windows at each cut and fits the scaler on the training part only), bring each
 * learner up to date as the retrain mode says, and keep every learner's test predictions next to the truth.
 */
import { type CandleSeries, sliceSeries } from "../../features/index.ts";
import { utcDay } from "../../base/index.ts";
import {
  type ClassVector,
  type Dataset,
  DatasetError,
  firstAtOrAfter,
  type LabelledSet,
  prepareDatasetAsync,
  SplitError,
  splitSeries,
  type WindowShape,
} from "../data/index.ts";
import { decideClasses } from "../../engine/index.ts";
import { fitTemperature, logProbabilities, softmaxRows } from "../metrics/index.ts";
import { blended } from "../train/index.ts";
import { keptIterationsText } from "../baselines/index.ts";
import { blendTemperature } from "./calibrate.ts";
import { type FoldAction, FoldError, type FoldPlan } from "./folds.ts";
import type { FitReport, FoldData, Learner } from "./learner.ts";
import type { PredictionSet, Truth } from "./scores.ts";

/** Below this many training windows a fold's models are little more than the class shares (train's note). */
export const FEW_TRAINING_WINDOWS = 1_000;

export interface WalkForwardOptions {
  readonly shape: WindowShape;
  /** Standardised inputs are clipped to ±clip. */
  readonly clip: number;
  readonly log?: (line: string) => void;
  /** The progress of labelling each fold's windows (a minute on millions of candles), as `prepareDataset`'s. */
  readonly labelling?: (done: number, total: number) => void;
  /**
   * Called before each learner's turn in each fold: overall progress across folds (`step` of `steps`,
   * counting from 1), for a progress line or a bar's prefix.
   */
  readonly stage?: (stage: Stage) => void;
  /**
   * Stops the walk: no fold starts after it is aborted, and the fold running then is dropped (a training cut
   * short would score a half-trained model). The folds finished before are returned.
   */
  readonly signal?: AbortSignal;
  /**
   * Blend learner `model` with learner `with` in every fold, as `train --blend-boosting` serves them:
   * softmax(ln(weight × model + (1 − weight) × with) ÷ T), T fit on the fold's validation windows (both learners
   * predict them too). Left out when either learner is missing.
   */
  readonly blend?: { readonly model: string; readonly with: string; readonly weight: number };
  /**
   * Called with each fold's windows before any learner's turn: a throw stops the walk there (the command's
   * own checks, such as a training split with no window of a class).
   */
  readonly checkFold?: (dataset: Dataset, plan: FoldPlan) => void;
}

/** A fold's blend of two learners' test probabilities, with the temperature fit on its validation windows. */
export interface FoldBlend {
  readonly probabilities: Float32Array;
  readonly temperature: number;
  /** The temperature `with`'s probabilities were calibrated by before blending, fit on the validation windows. */
  readonly withTemperature: number;
}

export interface Stage {
  readonly step: number;
  readonly steps: number;
  readonly fold: FoldPlan;
  readonly folds: number;
  readonly learner: string;
}

export interface FoldTest extends Truth {
  /** Per window: index into the series list, last-candle index, and that candle's open time. */
  readonly seriesIndex: Int32Array;
  readonly ends: Int32Array;
  readonly times: Float64Array;
}

export interface FoldOutcome {
  readonly plan: FoldPlan;
  readonly windows: { readonly train: number; readonly validation: number; readonly test: number };
  readonly test: FoldTest;
  /** Per learner, in the learners' order. */
  readonly predictions: Readonly<Record<string, PredictionSet>>;
  /** What each learner did before this fold (null: kept as it was). */
  readonly fits: Readonly<Record<string, FitReport | null>>;
  /** The class priors each learner's prior-corrected rule divided by. */
  readonly priors: Readonly<Record<string, ClassVector>>;
  /** `WalkForwardOptions.blend`'s test probabilities, when both learners ran. */
  readonly blend?: FoldBlend;
}

function priorsOf(counts: ClassVector): ClassVector {
  const n = Math.max(counts[0] + counts[1] + counts[2], 1);
  return [counts[0] / n, counts[1] / n, counts[2] / n];
}

/**
 * How many windows each split of a fold has, over every symbol cut at the fold's end: training windows are
 * those whose label lands before the validation block (0 when it starts too close to the data's beginning to
 * train); test windows those whose last candle opens in the test block and whose label candle, `horizon`
 * candles later, opens before the block ends (0 when the block is too short for a label to land in it, as a
 * month of 1w candles at horizon 4, or holds no candles).
 */
export function foldWindows(
  series: readonly CandleSeries[],
  plan: FoldPlan,
  shape: Pick<WindowShape, "lookback" | "horizon">,
): { readonly train: number; readonly test: number } {
  const rule = { kind: "dates", validationStart: plan.validationStart, testStart: plan.testStart } as const;
  let train = 0, test = 0;
  for (const s of series) {
    const cut = sliceSeries(s, 0, firstAtOrAfter(s.openTime, plan.testEnd));
    const split = splitSeries(cut, { lookback: shape.lookback, horizon: shape.horizon, rule });
    train += split.train.length;
    test += split.test.length;
  }
  return { train, test };
}

/**
 * Symbols whose candles end before the fold's test block does, while others go on: the fold's scores and its
 * buy-and-hold then cover the others for the rest of the block, which only the per-symbol counts showed (a
 * quant's trial: ETHUSDT ending mid-November under a fold of December).
 */
export function endedNote(
  dataset: Pick<Dataset, "symbols">,
  plan: Pick<FoldPlan, "testStart" | "testEnd">,
): string {
  // Against the symbol that goes furthest, a day's slack: weekly candles all end up to 6 days before the
  // block's end (a review), and the fold's candles are cut at its end, so "has no candles after" is what is
  // known, not that the symbol ended.
  const day = 86_400_000;
  const latest = Math.max(...dataset.symbols.map((s) => s.lastOpenTime).filter(Number.isFinite));
  const ended = dataset.symbols.filter((s) =>
    Number.isFinite(s.lastOpenTime) && s.lastOpenTime < latest - day
  );
  if (ended.length === 0) return "";
  const words = ended.map((s) =>
    s.lastOpenTime < plan.testStart
      ? `${s.symbol} has no candles after ${utcDay(s.lastOpenTime)}, before this fold: no test windows here`
      : `${s.symbol} has no candles after ${utcDay(s.lastOpenTime)}, inside the test block`
  );
  return `; note: ${words.join("; ")} (the fold's scores and buy-and-hold cover the others past that)`;
}

/** Said only when it happened: windows whose label candle lies past missing candles (see `windowEnds`). */
function gappedNote({ gapped }: Dataset): string {
  // Counted over the fold's candles, training history included: most lie in no test block.
  return gapped > 0
    ? `; ${gapped.toLocaleString("en-US")} more left out across the fold's splits: candles missing before ` +
      "the label candle"
    : "";
}

/**
 * ", each epoch a random 30,000 of them" where each epoch drew fewer windows than the training split holds
 * (the history counts every member's epochs, so no epoch count is given).
 */
function drawnText({ epochWindows, trainWindows }: FitReport): string {
  if (epochWindows === undefined || epochWindows >= trainWindows) return "";
  return `, each epoch a random ${epochWindows.toLocaleString("en-US")} of them`;
}

/**
 * The fold's windows, labelled with the event loop let turn (a Ctrl-C is heard meanwhile); null when `signal`
 * was aborted during it.
 */
async function foldDataset(
  series: readonly CandleSeries[],
  plan: FoldPlan,
  opts: WalkForwardOptions,
): Promise<Dataset | null> {
  const cut = series.map((s) => sliceSeries(s, 0, firstAtOrAfter(s.openTime, plan.testEnd)));
  try {
    return await prepareDatasetAsync(cut, {
      ...opts.shape,
      split: { kind: "dates", validationStart: plan.validationStart, testStart: plan.testStart },
      progress: opts.labelling,
      signal: opts.signal,
    });
  } catch (error) {
    if (opts.signal?.aborted && error === opts.signal.reason) return null;
    if (error instanceof DatasetError || error instanceof SplitError) {
      throw new FoldError(
        `fold ${plan.label} (validation from ${utcDay(plan.validationStart)}, test ${
          utcDay(plan.testStart)
        } … ` +
          `${utcDay(plan.testEnd)}): ${error.message}`,
      );
    }
    throw error;
  }
}

/**
 * What a learner does in a fold before it predicts: train from scratch, fine-tune, or nothing. A checkpoint
 * starts as it is, unless monthly retraining rebuilds every model from scratch anyway, and is never trained
 * under `--retrain none` (where the baselines may fit again: `refitAtFirstUnseen`).
 */
export function turnAction(plan: FoldPlan, learner: Pick<Learner, "pretrained">): FoldAction {
  if (learner.pretrained && plan.retrain === "none") return "keep";
  return plan.index === 0 && learner.pretrained && plan.retrain !== "monthly" ? "keep" : plan.action;
}

/**
 * Whether a fold's blend fits its temperatures again: when either part trained. A checkpoint kept as it is
 * whose baselines fit again (`refitAtFirstUnseen`) kept the first fold's temperatures, fit for the boosting
 * trained there, on the boosting trained since: a function `train --blend-boosting` never serves.
 */
export function blendAction(
  plan: FoldPlan,
  model: Pick<Learner, "pretrained">,
  partner: Pick<Learner, "pretrained"> | undefined,
): FoldAction {
  return partner && turnAction(plan, partner) !== "keep" ? "fit" : turnAction(plan, model);
}

/**
 * Every fold in turn, oldest first; the outcomes of the folds that finished (all of them unless `signal` was
 * aborted).
 */
export async function walkForward(
  series: readonly CandleSeries[],
  plans: readonly FoldPlan[],
  learners: readonly Learner[],
  opts: WalkForwardOptions,
): Promise<FoldOutcome[]> {
  const outcomes: FoldOutcome[] = [];
  const priors = new Map<string, ClassVector>();
  let previousTrainingEnd = -Infinity;
  let step = 0;
  const stopped = () => opts.signal?.aborted ?? false;
  folds: for (const plan of plans) {
    if (stopped()) break;
    const dataset = await foldDataset(series, plan, opts);
    if (!dataset) break;
    opts.checkFold?.(dataset, plan);
    const fold: FoldData = {
      plan,
      dataset,
      scaling: { scaler: dataset.scaler, clip: opts.clip, returnScale: dataset.returnScale },
      newSince: previousTrainingEnd,
    };
    opts.log?.(
      `fold ${plan.index + 1}/${plans.length} ${plan.label}: train ${
        dataset.train.size.toLocaleString("en-US")
      }, ` +
        `validation ${dataset.validation.size.toLocaleString("en-US")}, test ${
          dataset.test.size.toLocaleString("en-US")
        } windows` + gappedNote(dataset) + endedNote(dataset, plan) +
        // As train notes it: a first fold of 46 training windows was pooled into the verdict without a word.
        (dataset.train.size < FEW_TRAINING_WINDOWS
          ? `; note: too few training windows to learn from, so this fold's models say little more than ` +
            "the class shares (it is pooled into the verdict like the others; fewer --folds leave it more)"
          : ""),
    );
    const fits: Record<string, FitReport | null> = {};
    const predictions: Record<string, PredictionSet> = {};
    const foldPriors: Record<string, ClassVector> = {};
    const trainPriors = priorsOf(dataset.trainClassCounts);
    for (const learner of learners) {
      opts.stage?.({
        step: ++step,
        steps: plans.length * learners.length,
        fold: plan,
        folds: plans.length,
        learner: learner.name,
      });
      const action = turnAction(plan, learner);
      try {
        fits[learner.name] = action === "fit"
          ? await learner.fit(fold)
          : action === "update"
          ? await learner.update(fold)
          : null;
      } catch (error) {
        // A training stopped before its first batch has nothing to report; the fold is dropped either way.
        if (stopped()) break folds;
        throw error;
      }
      if (stopped()) break folds;
      // Kept as it is from the start, a checkpoint divides by its own version's priors, as `serve` does.
      if (action !== "keep" || !priors.has(learner.name)) {
        priors.set(
          learner.name,
          action === "keep" && learner.priors ? [...learner.priors] as ClassVector : trainPriors,
        );
      }
      const out = await learner.predict(dataset.test, fold);
      foldPriors[learner.name] = priors.get(learner.name)!;
      predictions[learner.name] = {
        ...out,
        // A rule-based baseline (persistence) keeps its own calls under either rule, as its verdict does.
        priorClasses: out.classes ?? decideClasses(out.probabilities, "prior", foldPriors[learner.name]),
      };
      const fit = fits[learner.name];
      if (fit) {
        opts.log?.(
          `  ${learner.name}: ${fit.fineTuned ? "fine-tuned" : "trained"} on ${
            fit.trainWindows.toLocaleString("en-US")
          } windows${drawnText(fit)} in ${fit.seconds.toFixed(1)} s` +
            (fit.temperature !== undefined ? `, temperature ${fit.temperature.toFixed(3)}` : "") +
            (fit.iterations !== undefined ? `, ${keptIterationsText(fit.iterations)}` : ""),
        );
      }
    }
    const blendModel = learners.find((l) => l.name === opts.blend?.model);
    const blend = opts.blend && blendModel &&
      await foldBlend(
        opts.blend,
        learners,
        predictions,
        dataset.validation,
        fold,
        blendAction(plan, blendModel, learners.find((l) => l.name === opts.blend?.with)),
        outcomes.at(-1)?.blend,
      );
    if (stopped()) break folds;
    // Everything labelled before this fold's validation block was available for training by now.
    previousTrainingEnd = plan.validationStart;
    const test = dataset.test;
    outcomes.push({
      plan,
      windows: { train: dataset.train.size, validation: dataset.validation.size, test: test.size },
      test: {
        labels: test.labels,
        returns: test.returns,
        seriesIndex: test.seriesIndex,
        ends: test.ends,
        times: Float64Array.from(test.ends, (t, i) => test.series[test.seriesIndex[i]].openTime[t]),
      },
      predictions,
      fits,
      priors: foldPriors,
      ...(blend ? { blend } : {}),
    });
  }
  return outcomes;
}

/**
 * The fold's blend of two learners (`WalkForwardOptions.blend`), as `train --blend-boosting` would serve it
 * after the model's turn (`action`): both predict the validation windows; `with`'s probabilities are
 * calibrated by a temperature fit there (train's boosting is; the learner's own are its T = 1 ones), then the
 * blend's temperature comes from `blendTemperature`, train's own: fit there whatever the count after a
 * training from scratch (a fresh train fits it on any validation split), `previous`'s kept below
 * MIN_TEMPERATURE_WINDOWS after a fine-tune (train --incremental keeps its parent's). A fold where neither
 * part trained keeps `previous`'s temperatures too: nothing was retrained, so the served blend is the one
 * before (`blendAction` decides; boosting trained again means both are fit again). The test
 * probabilities are blended with both. Undefined when either learner did not run.
 */
export async function foldBlend(
  spec: NonNullable<WalkForwardOptions["blend"]>,
  learners: readonly Learner[],
  predictions: Readonly<Record<string, PredictionSet>>,
  validation: LabelledSet,
  fold: FoldData,
  action: FoldAction = "fit",
  previous?: Omit<FoldBlend, "probabilities">,
): Promise<FoldBlend | undefined> {
  const a = learners.find((l) => l.name === spec.model), b = learners.find((l) => l.name === spec.with);
  if (!a || !b || !predictions[a.name] || !predictions[b.name]) return undefined;
  const test = predictions[a.name].probabilities;
  const all = Int32Array.from({ length: test.length / 3 }, (_, i) => i);
  const blendWith = ({ temperature, withTemperature }: Omit<FoldBlend, "probabilities">): FoldBlend => ({
    probabilities: blended(test, {
      weight: spec.weight,
      temperature,
      probabilities: softmaxRows(logProbabilities(predictions[b.name].probabilities), withTemperature),
    }, all),
    temperature,
    withTemperature,
  });
  if (action === "keep" && previous) return blendWith(previous);
  const [pa, pb] = [await a.predict(validation, fold), await b.predict(validation, fold)];
  // Before, the learner's uncalibrated probabilities were blended: another function than train serves, whose
  // boosting carries its own temperature fit on validation.
  const withTemperature = fitTemperature(logProbabilities(pb.probabilities), validation.labels);
  // Before, T = 1 below MIN_TEMPERATURE_WINDOWS, where train fits one (fresh) or keeps its parent's (fine-tune).
  const temperature = await blendTemperature(
    () =>
      Promise.resolve({
        network: pa.probabilities,
        boosting: softmaxRows(logProbabilities(pb.probabilities), withTemperature),
      }),
    validation.labels,
    spec.weight,
    action === "update" ? previous?.temperature : undefined,
  );
  return blendWith({ temperature, withTemperature });
}
