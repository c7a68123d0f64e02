/**
 * `train`'s last look at its model: the calibrated ensemble and the baselines on the whole test split, side by
 * side, under the argmax and the served decision rule, with calibration (ECE and its sampling floor); printed,
 * and returned as metrics.json's body.
 */
import { CLASSES, plural } from "../../features/index.ts";
import { classPriors, decideClasses, type DecisionRule } from "../../engine/index.ts";
import type { LayersModel } from "../../ml/runtime/index.ts";
import { type Dataset, evaluationOrder, type Scaling, seededRng } from "../../ml/data/index.ts";
import { predictBaselines, scoreBaselines } from "../../ml/baselines/index.ts";
import { type BatchProgress, evaluateModel, type TrainConfig } from "../../ml/train/index.ts";
import { boostingProgress, phaseProgress } from "../phase_progress.ts";
import { calibrationOf, type Metrics, softmaxRows } from "../../ml/metrics/index.ts";
import { FEW_CALLS } from "../../ml/evaluate/index.ts";
import { metricsTable } from "./report.ts";

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
  const k = CLASSES.indexOf(c);
  const calls = m.confusion_matrix.reduce((n, row) => n + (row[k] ?? 0), 0);
  const p = m.per_class[c].precision.toFixed(3);
  return calls < FEW_CALLS ? `${p} from ${plural(calls, "call")}` : p;
}

/** The model (calibrated by `temperature`) and the baselines on the whole test split, side by side. */
export async function scoreOnTest(
  model: LayersModel,
  data: Dataset,
  scaling: Scaling,
  config: TrainConfig,
  temperature: number,
  decision: { rule: DecisionRule; priors: readonly number[] },
  io: { readonly out: (line: string) => void; readonly progress?: BatchProgress },
) {
  io.out(
    `evaluating on the test split (${data.test.size.toLocaleString("en-US")} windows) and the baselines …`,
  );
  const test = await evaluateModel(
    model,
    data.test,
    evaluationOrder(data.test.size, seededRng(0)),
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
    },
  );
  io.progress?.clear();
  const { reliability, ece, eceFloor } = calibrationOf(softmaxRows(test.logits!, temperature), test.labels!);
  const predicted = await predictBaselines(data, scaling, {
    seed: config.seed,
    gradientBoosting: { onIteration: boostingProgress(io) },
  });
  io.progress?.clear();
  const baselines = scoreBaselines(predicted);
  // The served rule applied to each baseline's probabilities too: the report compares decisions like with like.
  const baselinesServed = decision.rule === "argmax"
    ? baselines
    : scoreBaselines(predicted, (p) => decideClasses(p, decision.rule, decision.priors));
  metricsTable([
    ["model", test.metrics],
    ["majority", baselines.majority],
    ["persistence", baselines.persistence],
    ["logistic_regression", baselines.logistic_regression],
    ["gradient_boosting", baselines.gradient_boosting],
  ], decision.rule).forEach((line) => io.out(line));
  const served = test.served!;
  const base = classPriors(data.test.labels);
  const precision = (c: "DOWN" | "UP") => precisionText(served, c);
  io.out(
    `served rule '${decision.rule}': names ` +
      CLASSES.map((c) => `${c} ${(100 * served.predicted_share[c]).toFixed(1)} %`).join(", ") +
      `; precision DOWN ${precision("DOWN")} (base rate ${base[0].toFixed(3)}), ` +
      `UP ${precision("UP")} (base rate ${base[2].toFixed(3)}); ECE ${
        ece.toFixed(4)
      } (a perfectly calibrated model would show at least about ${eceFloor.toFixed(4)} on this many windows)`,
  );
  return {
    split: "test",
    test: test.metrics,
    test_loss: test.loss,
    served: {
      rule: decision.rule,
      metrics: served,
      ece,
      ece_floor: eceFloor,
      reliability,
      test_class_shares: base,
      // The same rule applied to each baseline's probabilities (accuracy, macro-F1 and the shares it names).
      baselines: Object.fromEntries(
        Object.entries(baselinesServed).map((
          [name, m],
        ) => [name, { accuracy: m.accuracy, macro_f1: m.macro_f1, predicted_share: m.predicted_share }]),
      ),
    },
    baselines,
  };
}
