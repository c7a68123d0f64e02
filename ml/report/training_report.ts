/**
 * The report `train` writes into each version: learning curves, the test metrics beside the baselines, the
 * confusion matrix and, when the caller has the test probabilities, the reliability diagram.
 */
import { CLASSES } from "../../features/index.ts";
import type { Metrics } from "../metrics/index.ts";
import type { EpochRecord } from "../train/index.ts";
import type { ReliabilityBin } from "../evaluate/index.ts";
import type { ReportData, Section } from "./html.ts";
import { confusionMatrix, lineChart, reliabilityDiagram } from "./svg.ts";

export interface TrainingReportInput {
  /** e.g. "v3_2026-11-24". */
  readonly version: string;
  readonly modelType: string;
  readonly history: readonly EpochRecord[];
  readonly bestEpoch: number | null;
  /** Test-split metrics of the model and of each baseline (as in metrics.json). */
  readonly test: Metrics;
  readonly baselines: Readonly<Record<string, Metrics>>;
  /** Reliability of the test predictions (ml/evaluate `reliabilityTable`), when available. */
  readonly reliability?: readonly ReliabilityBin[];
  readonly temperature?: number;
  readonly facts?: readonly (readonly [string, string])[];
}

export function trainingReport(r: TrainingReportInput): ReportData {
  const rows: [string, Metrics][] = [[r.modelType, r.test], ...Object.entries(r.baselines)];
  const best = Object.entries(r.baselines).reduce<[string, Metrics] | null>(
    (a, b) => (a === null || b[1].log_loss < a[1].log_loss ? b : a),
    null,
  );
  const verdict = best
    ? [
      `Test log-loss ${r.test.log_loss.toFixed(4)} vs the best baseline (${best[0]}) ${
        best[1].log_loss.toFixed(4)
      }: ` +
      (r.test.log_loss < best[1].log_loss ? "the model is ahead" : "the model does not beat it") +
      ` on this split (one split: run 'candlecast evaluate' for walk-forward folds and an interval).`,
    ]
    : [];
  const epochs = r.history.map((e) => e.epoch);
  const sections: Section[] = [
    {
      kind: "table",
      title: "Test split",
      columns: ["", "windows", "accuracy", "macro-F1", "log-loss", "Brier", "MAE", "sign accuracy"],
      rows: rows.map(([name, m]) => [
        name,
        m.windows,
        m.accuracy,
        m.macro_f1,
        m.log_loss,
        m.brier,
        m.regression_mae,
        m.sign_accuracy,
      ]),
      highlight: [0],
    },
    {
      kind: "table",
      title: "Per class",
      columns: ["", ...CLASSES.flatMap((c) => [`${c} precision`, `${c} recall`, `${c} F1`])],
      rows: rows.map(([name, m]) => [
        name,
        ...CLASSES.flatMap((c) => [m.per_class[c].precision, m.per_class[c].recall, m.per_class[c].f1]),
      ]),
      highlight: [0],
    },
    {
      kind: "figures",
      title: "Training curves",
      note: r.bestEpoch !== null ? `The version keeps the weights of epoch ${r.bestEpoch}.` : undefined,
      figures: [
        {
          caption: "loss per epoch",
          html: lineChart([
            { name: "train", x: epochs, y: r.history.map((e) => e.loss), dashed: true },
            { name: "validation", x: epochs, y: r.history.map((e) => e.val_loss) },
          ], { width: 460, height: 260, xLabel: "epoch", yLabel: "loss" }),
        },
        {
          caption: "accuracy per epoch",
          html: lineChart([
            { name: "train", x: epochs, y: r.history.map((e) => e.accuracy), dashed: true },
            { name: "validation", x: epochs, y: r.history.map((e) => e.val_accuracy) },
            { name: "validation macro-F1", x: epochs, y: r.history.map((e) => e.val_macro_f1) },
          ], { width: 460, height: 260, xLabel: "epoch", yLabel: "score" }),
        },
      ],
    },
    {
      kind: "figures",
      title: "Test predictions",
      figures: [
        { caption: "Confusion matrix", html: confusionMatrix(r.test.confusion_matrix, CLASSES) },
        ...(r.reliability
          ? [{
            caption: "Reliability diagram",
            html: reliabilityDiagram([{ name: r.modelType, bins: r.reliability }]),
          }]
          : []),
      ],
    },
  ];
  return {
    title: `candlecast train — ${r.version}`,
    subtitle: `${r.modelType}${
      r.temperature !== undefined ? `, temperature ${r.temperature.toFixed(3)}` : ""
    }`,
    facts: r.facts,
    verdict,
    sections,
  };
}
