/**
 * `train`'s last look at its model: the calibrated ensemble and the baselines on the whole test split, side by
 * side, under the argmax and the served decision rule, with calibration (ECE and its sampling floor); printed,
 * and returned as metrics.json's body.
 */
import { CLASSES } from "../../features/index.ts";
import { plural } from "../../base/index.ts";
import { blendWords, classPriors, decideClasses, type DecisionRule } from "../../engine/index.ts";
import type { LayersModel } from "../../ml/runtime/index.ts";
import {
  type Dataset,
  evaluationOrder,
  type LabelledSet,
  type Scaling,
  seededRng,
} from "../../ml/data/index.ts";
import {
  type BaselineMetrics,
  type BaselineName,
  type BaselinePredictions,
  type BoostedTrees,
  boostedTrees,
  keptIterationsText,
  laggedCandles,
  predictBaselines,
  predictBoostedTrees,
  predictGradientBoosting,
  scoreBaselines,
} from "../../ml/baselines/index.ts";
import {
  type BatchProgress,
  blended,
  evaluateModel,
  type Mix,
  type TrainConfig,
} from "../../ml/train/index.ts";
import { boostingProgress, phaseProgress } from "../phase_progress.ts";
import {
  calibrationOf,
  fitTemperature,
  logProbabilities,
  type Metrics,
  softmaxRows,
} from "../../ml/metrics/index.ts";
import {
  blendTemperature,
  callsOf,
  FEW_CALLS,
  keepsTemperature,
  modelOutputs,
  servedCallsWords,
} from "../../ml/evaluate/index.ts";
import { metricsTable } from "./report.ts";
import { logLossVerdict } from "../../ml/report/index.ts";

/**
 * A class's precision for the served-rule line: "– (never named)" when the rule names it on no window (0 of 0,
 * which "0.000" would state as a fact), and with the number of calls when there are fewer than FEW_CALLS, as
 * report.html and evaluate show it: 'UP 0.667 (base rate 0.275)' from 4 calls read as a hit rate.
 */
export function precisionText(
  m: Pick<Metrics, "predicted_share" | "per_class" | "confusion_matrix">,
  c: "DOWN" | "UP",
): string {
  if (!(m.predicted_share[c] > 0)) return "– (never named)";
  const calls = callsOf(m, c);
  const p = m.per_class[c].precision.toFixed(3);
  return calls < FEW_CALLS ? `${p} from ${plural(calls, "call")}` : p;
}

/**
 * A served blend's settings (`train --blend-boosting`): the network's share of the probabilities, and the
 * boosting to blend with when it is given (a fine-tune keeps its parent's); otherwise the baseline's fit.
 */
export interface BlendRequest {
  readonly weight: number;
  readonly trees?: BoostedTrees;
  /** The parent's blend temperature, kept when validation is too small to refit one (as the network's). */
  readonly keepTemperature?: number;
  /** The network's validation logits from its calibration, when it computed them (else computed here). */
  readonly validationLogits?: Float32Array;
}

/**
 * The model (calibrated by `temperature`) and the baselines on the whole test split, side by side. With
 * `blend`, the model scored is the served blend: the network's probabilities mixed with gradient boosting's
 * (the baseline's fit, calibrated by its own temperature fit on the validation split), and the network alone
 * is scored beside it; the fitted boosting and its temperature come back for the version to keep.
 */
export async function scoreOnTest(
  model: LayersModel,
  data: Dataset,
  scaling: Scaling,
  config: TrainConfig,
  temperature: number,
  decision: { rule: DecisionRule; priors: readonly number[] },
  io: { readonly out: (line: string) => void; readonly progress?: BatchProgress },
  blend?: BlendRequest,
) {
  io.out(
    `evaluating on the test split (${data.test.size.toLocaleString("en-US")} windows) and the baselines …`,
  );
  // The baselines first: a blend needs boosting's test probabilities while the model is scored.
  const predicted = await predictBaselines(data, scaling, {
    seed: config.seed,
    gradientBoosting: { onIteration: boostingProgress(io) },
  });
  io.progress?.clear();
  const boosting = blend
    ? await calibratedBoosting(model, predicted, data, scaling, temperature, config.evalBatchSize, blend)
    : undefined;
  const order = evaluationOrder(data.test.size, seededRng(0));
  const test = await evaluateModel(
    model,
    data.test,
    order,
    data,
    scaling,
    {
      classWeights: config.classWeights,
      regressionWeight: config.regressionWeight,
      batchSize: config.evalBatchSize,
      temperature,
      decision,
      keepLogits: true,
      progress: phaseProgress(io, "scoring the test split"),
      blend: boosting && mixOf(boosting),
      rankCorrelation: true,
    },
  );
  io.progress?.clear();
  const network = softmaxRows(test.logits!, temperature);
  const probabilities = boosting ? blended(network, mixOf(boosting), order) : network;
  const { reliability, ece, eceFloor } = calibrationOf(probabilities, test.labels!);
  // What serve's `confidence` is: the probability of the class the rule names, which under the prior rule is
  // often not the top one. The top class's ECE (the issue's bar, comparable across runs) said nothing of it.
  const confidence = decision.rule === "argmax" ? { ece, eceFloor } : calibrationOf(
    probabilities,
    test.labels!,
    decideClasses(probabilities, decision.rule, decision.priors),
  );
  const baselines = scoreBaselines(predicted);
  // The served rule applied to each baseline's probabilities too: the report compares decisions like with like.
  const baselinesServed = decision.rule === "argmax"
    ? baselines
    : scoreBaselines(predicted, (p) => decideClasses(p, decision.rule, decision.priors));
  metricsTable([
    [boosting ? "model (served blend)" : "model", test.metrics],
    ...(test.network ? [["network alone", test.network] as const] : []),
    ["majority", baselines.majority],
    ["persistence", baselines.persistence],
    ["logistic_regression", baselines.logistic_regression],
    ["gradient_boosting", baselines.gradient_boosting],
  ], decision.rule).forEach((line) => io.out(line));
  // Boosting that kept no tree scores exactly as majority does, which without this line reads as a bug.
  const iterations = predicted.boosting.gbdt.iterations;
  io.out(`gradient_boosting: ${keptIterationsText(iterations)}`);
  // The comparison in words, as report.html's verdict opens: a model worse than majority said nothing here.
  io.out(logLossVerdict(test.metrics.log_loss, baselines, boosting !== undefined).line);
  if (boosting) {
    io.out(
      `blend: ${blendWords({ with: "gradient_boosting", weight: boosting.weight })} (its temperature ` +
        `${boosting.boostingTemperature.toFixed(3)}${
          blend?.trees ? ", kept from the parent" : ""
        }), the blend's ` +
        `temperature ${boosting.temperature.toFixed(3)}${
          keepsTemperature(data.validation.size, blend?.keepTemperature)
            ? " kept from the parent"
            : ` (fit on ${plural(data.validation.size, "validation window")})`
        }; ` +
        `the network alone scores log-loss ${test.network!.log_loss.toFixed(4)}`,
    );
  }
  const served = test.served!;
  const base = classPriors(data.test.labels);
  const precision = (c: "DOWN" | "UP") => precisionText(served, c);
  io.out(
    `served rule '${decision.rule}': names ` +
      CLASSES.map((c) => `${c} ${(100 * served.predicted_share[c]).toFixed(1)} %`).join(", ") +
      `; precision DOWN ${precision("DOWN")} (base rate ${base[0].toFixed(3)}), ` +
      `UP ${precision("UP")} (base rate ${base[2].toFixed(3)}); ECE ${
        ece.toFixed(4)
      } over the top class's probability (a perfectly calibrated model would show about ${
        eceFloor.toFixed(4)
      } on this many windows, by chance)`,
  );
  servedCallsWords({
    calls: served,
    baseRate: { down: base[0], up: base[2] },
    ece: confidence.ece,
    eceFloor: confidence.eceFloor,
    rule: decision.rule,
  }).forEach((line) => io.out(line));
  return {
    metrics: {
      split: "test",
      test: test.metrics,
      // The network's own scores when the served model is a blend (`test` is then the blend's).
      ...(boosting
        ? {
          network_test: test.network,
          blend: {
            with: "gradient_boosting",
            weight: boosting.weight,
            temperature: boosting.temperature,
            boosting_temperature: boosting.boostingTemperature,
          },
        }
        : {}),
      // The network's training objective on the test split (class-weighted cross-entropy of its logits plus
      // the weighted return MSE), a blend's too: not a log-loss, and never the blend's (that is test.log_loss).
      test_loss: test.loss,
      served: {
        rule: decision.rule,
        metrics: served,
        // The top class's calibration (binned by the argmax class's probability), and that of `confidence`,
        // the probability of the class the rule names (the same under argmax).
        ece,
        ece_floor: eceFloor,
        confidence_ece: confidence.ece,
        confidence_ece_floor: confidence.eceFloor,
        // Its bins, where they differ from the top class's (`reliability`): what the ECE averages.
        ...("reliability" in confidence ? { confidence_reliability: confidence.reliability } : {}),
        reliability,
        test_class_shares: base,
        // The same rule applied to each baseline's probabilities: what it names and how often rightly, and the
        // calibration of the confidence it would serve, for the model's to be read beside.
        baselines: servedBaselines(predicted, baselinesServed, decision),
      },
      // Boosting's kept iterations beside its scores: 0 explains scores identical to majority's.
      baselines: { ...baselines, gradient_boosting: { ...baselines.gradient_boosting, iterations } },
    },
    /** The blend's boosting, for the version to keep (boosting.json, and inside model.onnx). */
    boosting: boosting?.trees,
    /** What preprocessor.json records of the blend. */
    blend: boosting && {
      with: "gradient_boosting" as const,
      weight: boosting.weight,
      temperature: boosting.temperature,
    },
  };
}

/**
 * Each baseline under the served rule (persistence: its own calls): accuracy, macro-F1, the shares, its calls
 * (confusion matrix, per-class precision) and the ECE of the confidence it would serve, as the model's are
 * recorded. Only the model's calls and calibration were kept, so its lift over the base rates could not be
 * read beside boosting's (a researcher reproducing the split).
 */
function servedBaselines(
  predicted: BaselinePredictions,
  scored: BaselineMetrics,
  decision: { rule: DecisionRule; priors: readonly number[] },
) {
  return Object.fromEntries(
    (Object.keys(scored) as BaselineName[]).map((name) => {
      const m = scored[name], q = predicted.predictions[name];
      const chosen = q.classes ?? decideClasses(q.probabilities, decision.rule, decision.priors);
      const { ece, eceFloor } = calibrationOf(q.probabilities, predicted.labels, chosen);
      return [name, {
        accuracy: m.accuracy,
        macro_f1: m.macro_f1,
        predicted_share: m.predicted_share,
        confusion_matrix: m.confusion_matrix,
        per_class: m.per_class,
        confidence_ece: ece,
        confidence_ece_floor: eceFloor,
      }];
    }),
  );
}

/**
 * The blend's boosting, its calibrated test probabilities (set order) and the blend's own temperature: the
 * given trees, or the baseline's fit with a temperature fit on the validation split; then the temperature of
 * ln(blend) fit on the validation split too (an average of calibrated probabilities is not calibrated itself),
 * or the parent's kept when there are too few validation windows (`blendTemperature`, which evaluate's fold
 * blend shares). Computed as the served graph computes them.
 */
async function calibratedBoosting(
  model: LayersModel,
  predicted: BaselinePredictions,
  data: Dataset,
  scaling: Scaling,
  networkTemperature: number,
  batchSize: number,
  blend: BlendRequest,
) {
  let trees = blend.trees;
  if (!trees) {
    const validation = predictGradientBoosting(predicted.boosting, data.validation, data).probabilities;
    trees = boostedTrees(
      predicted.boosting,
      fitTemperature(logProbabilities(validation), data.validation.labels),
    );
  }
  const boostingOf = (set: LabelledSet) =>
    predictBoostedTrees(trees, laggedCandles(set, data, trees.lags).features);
  const temperature = await blendTemperature(
    async () => ({
      network: softmaxRows(
        blend.validationLogits ??
          (await modelOutputs(model, data.validation, data, scaling, batchSize)).logits,
        networkTemperature,
      ),
      boosting: boostingOf(data.validation),
    }),
    data.validation.labels,
    blend.weight,
    blend.keepTemperature,
  );
  return {
    weight: blend.weight,
    temperature,
    boostingTemperature: trees.temperature,
    trees,
    test: boostingOf(data.test),
  };
}

/** The blend as the scoring pass mixes it in. */
function mixOf(
  b: { readonly weight: number; readonly temperature: number; readonly test: Float32Array },
): Mix {
  return { weight: b.weight, temperature: b.temperature, probabilities: b.test };
}
