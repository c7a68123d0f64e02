/**
 * `candlecast evaluate`'s summary as report sections: the tables of `evaluationTables` (the ones the terminal
 * shows, formatted there once), with the charts placed between them.
 */
import { CLASSES } from "../../features/index.ts";
import { plural } from "../../base/index.ts";
import type { EpochRecord } from "../train/index.ts";
import {
  type EvaluationSummary,
  evaluationTables,
  feePercent,
  inSampleTradesNote,
  type TableId,
} from "../evaluate/index.ts";
import {
  type FigureSection,
  type ReportData,
  type Section,
  type TableSection,
  tableSection,
} from "./html.ts";
import { confusionMatrix, lineChart, type LineSeries, MARKERS, PALETTE, reliabilityDiagram } from "./svg.ts";

/**
 * Training curves of each network learner: per fold one colour and marker shape (the marker tells folds apart in
 * greyscale and to a colour-blind eye), dashed for training and solid for validation. An ensemble's members each
 * get their own line, in their fold's style: their epochs restart at 1, and one line through all of them
 * zigzagged back at each new member.
 */
function curveFigures(s: EvaluationSummary): {
  figures: { caption: string; html: string }[];
  oneEpoch: { name: string; runs: { label: string; history: readonly EpochRecord[] }[] }[];
} {
  const figures: { caption: string; html: string }[] = [];
  const oneEpoch: { name: string; runs: { label: string; history: readonly EpochRecord[] }[] }[] = [];
  for (const name of [s.model, ...s.baselines]) {
    const runs = s.folds.map((f) => ({ label: f.label, history: f.fits[name]?.history }))
      .filter((r): r is { label: string; history: readonly EpochRecord[] } =>
        !!r.history && r.history.length > 0
      );
    if (runs.length === 0) continue;
    // One epoch a member everywhere (--epochs 1): each curve would be a lone dot on an axis to epoch 2, under
    // legends for lines that are not there (a quant's trial). The values go in a table, as train's report does.
    if (runs.every((r) => r.history.length === new Set(r.history.map((e) => e.member ?? 1)).size)) {
      oneEpoch.push({ name, runs });
      continue;
    }
    const lines = (train: keyof EpochRecord, val: keyof EpochRecord): LineSeries[] =>
      runs.flatMap((r, k) => {
        const members = [...new Set(r.history.map((e) => e.member ?? 1))].sort((a, b) => a - b);
        const style = { color: PALETTE[k % PALETTE.length], marker: MARKERS[k % MARKERS.length] };
        const of = members.length > 1 ? `, members ${members[0]}–${members.at(-1)}` : "";
        return ([[train, "train", true], [val, "validation", false]] as const).flatMap((
          [key, kind, dashed],
        ) =>
          members.map((m) => {
            const own = r.history.filter((e) => (e.member ?? 1) === m);
            return {
              name: `${r.label} ${kind}${members.length > 1 ? `, member ${m}` : ""}`,
              legend: `${r.label} ${kind}${of}`,
              x: own.map((e) => e.epoch),
              y: own.map((e) => e[key] as number),
              ...style,
              dashed,
            };
          })
        );
      });
    figures.push(
      {
        caption: `${name}: loss per epoch`,
        html: lineChart(lines("loss", "val_loss"), {
          width: 460,
          height: 260,
          xLabel: "epoch",
          yLabel: "objective (CE + MSE terms)",
          title: `${name}: training objective and validation loss per epoch`,
        }),
      },
      {
        caption: `${name}: accuracy per epoch`,
        html: lineChart(lines("accuracy", "val_accuracy"), {
          width: 460,
          height: 260,
          xLabel: "epoch",
          yLabel: "accuracy",
          title: `${name}: training and validation accuracy per epoch`,
        }),
      },
    );
  }
  return { figures, oneEpoch };
}

/**
 * One row per learner, fold (and member) of the single epoch's objective, validation loss and accuracies, as a
 * table like every other (caption, column scopes, its scroll box), as train's report lists one-epoch values.
 */
function oneEpochTable(
  learners: readonly { name: string; runs: readonly { label: string; history: readonly EpochRecord[] }[] }[],
): TableSection {
  const f4 = (v: unknown) => typeof v === "number" && Number.isFinite(v) ? v.toFixed(4) : null;
  return {
    kind: "table",
    title: "Training values (one epoch per fold)",
    note:
      "One epoch each (--epochs 1): a curve would be a single dot, so the values are listed instead. The " +
      "training objective is the optimiser's (class-weighted cross-entropy plus the weighted return MSE and, " +
      "where the auxiliary head trains, its MSE terms); the validation loss is the validation block's " +
      "cross-entropy plus the weighted return MSE. Neither is a log-loss.",
    columns: [
      "learner",
      "fold",
      "training objective",
      "validation loss",
      "training accuracy",
      "validation accuracy",
    ],
    rows: learners.flatMap(({ name, runs }) =>
      runs.flatMap((r) =>
        r.history.map((e) => [
          name,
          `${r.label}${e.member ? `, member ${e.member}` : ""}`,
          f4(e.loss),
          f4(e.val_loss),
          f4(e.accuracy),
          f4(e.val_accuracy),
        ])
      )
    ),
    labelColumns: 2,
  };
}

/** The charts, each keyed by the table it goes before. */
function figuresBefore(s: EvaluationSummary): Partial<Record<TableId, Section[]>> {
  const learners = [s.model, ...s.baselines];
  const best = s.best_baseline;
  const bt = s.backtest;
  const c = bt.curves;
  const byRule = bt.curves_rule === "prior_rule";
  const traded = byRule ? bt.prior_rule : bt.rows.find((r) => r.threshold === bt.threshold)!;
  const { figures: curves, oneEpoch } = curveFigures(s);
  const ensemble = s.folds.some((f) =>
    Object.values(f.fits).some((fit) => fit?.history?.some((e) => (e.member ?? 1) > 1))
  );
  return {
    reliability: [
      {
        kind: "figures",
        title: "Confusion matrices (all folds)",
        figures: [
          {
            caption: `${s.model} (argmax)`,
            html: confusionMatrix(
              s.overall[s.model].metrics.confusion_matrix,
              CLASSES,
              `${s.model} (argmax)`,
            ),
          },
          {
            caption: `${s.model} (prior-corrected)`,
            html: confusionMatrix(
              s.overall[s.model].prior_rule.confusion_matrix,
              CLASSES,
              `${s.model} (prior-corrected)`,
            ),
          },
          {
            caption: `${best} (argmax)`,
            html: confusionMatrix(s.overall[best].metrics.confusion_matrix, CLASSES, `${best} (argmax)`),
          },
        ],
      },
      {
        kind: "figures",
        title: "Calibration",
        figures: [{
          caption: "Reliability diagram",
          html: reliabilityDiagram(
            learners.filter((n) => n !== "majority").map((name) => ({
              name,
              bins: s.overall[name].reliability,
            })),
          ),
        }],
      },
    ],
    per_symbol: [
      ...(curves.length === 0 ? [] : [
        {
          kind: "figures",
          title: "Training curves",
          // Training's objective carries the auxiliary head's terms and validation's does not: plotted as one "loss",
          // training sat near 2.0 above validation's 1.1, which reads as a model that cannot fit its own data.
          note:
            "Dashed: training, the optimiser's objective (class-weighted cross-entropy plus the weighted " +
            "return MSE and, where the auxiliary head trains, its MSE terms; dropout on, running mean over the " +
            "epoch); solid: the validation block's cross-entropy plus the weighted return MSE (no auxiliary " +
            "terms, dropout off). The two differ in level by construction, and neither is a log-loss: the " +
            "tables' log-loss is of the calibrated probabilities." +
            (ensemble
              ? " An ensemble's members are one line each, drawn in their fold's style (the Data table names them)."
              : ""),
          figures: curves,
        } satisfies FigureSection,
      ]),
      ...(oneEpoch.length === 0 ? [] : [oneEpochTable(oneEpoch)]),
    ],
    backtest: [{
      kind: "figures",
      title: "Backtest",
      note: (byRule
        // The served calls (ml/evaluate/summary.ts): the prior rule's where the version serves it, or where the
        // model never passes the threshold.
        ? `The curves trade the prior rule's calls${
          s.bootstrap.decision_rule === "prior"
            ? ", what is served"
            : ` (${s.model} never has P(UP) above ${bt.threshold})`
        }: long${bt.short ? " (short)" : ""} when it names UP${bt.short ? " (DOWN)" : ""}`
        : `Long${bt.short ? " or short" : ""} when P(UP)${bt.short ? " (P(DOWN))" : ""} > ${bt.threshold}${
          bt.short ? ", the larger of the two" : ""
        }`) +
        `, held ${plural(bt.horizon, "candle")}, ${
          feePercent(bt.fee)
        } % fee per side, no overlapping positions; ` +
        "symbols are equal-weight sleeves, marked to market every candle. " +
        `Trades: ${s.model} ${traded.model.trades}, ${best} ${traded.baseline.trades}.` +
        inSampleTradesNote(s).map((note) => ` ${note}`).join(""),
      figures: [{
        caption: "Equity (start = 1)",
        // Three line styles and marker shapes besides three colours; buy-and-hold's grey darkened from #94a3b8
        // (2.6:1 on white) to 4.8:1, above WCAG's 3:1 for lines.
        html: lineChart([
          {
            name: "buy-and-hold",
            x: c.buy_and_hold.times,
            y: c.buy_and_hold.equity,
            color: "#64748b",
            dash: "2 3",
            marker: "triangle",
          },
          {
            name: best,
            x: c.baseline.times,
            y: c.baseline.equity,
            color: PALETTE[1],
            dashed: true,
            marker: "square",
          },
          // Drawn last and thicker so a flat model line is on top, not hidden under the others.
          {
            name: s.model,
            x: c.model.times,
            y: c.model.equity,
            color: PALETTE[0],
            marker: "circle",
            emphasis: true,
          },
        ], {
          width: 900,
          height: 320,
          xDates: true,
          xLabel: "time (UTC)",
          yLabel: "equity",
          yRule: 1,
          title: `Equity (start = 1) of ${s.model}, ${best} and buy-and-hold`,
        }),
      }],
    }],
  };
}

/**
 * report.html's content for an evaluation: the tables of `evaluationTables` with the confusion matrices,
 * reliability diagram, training curves and equity curves between them, and the verdict; `facts` head the page.
 */
export function evaluationReport(
  s: EvaluationSummary,
  facts: readonly (readonly [string, string])[],
): ReportData {
  const figures = figuresBefore(s);
  const sections: Section[] = evaluationTables(s).flatMap((t) => [...(figures[t.id] ?? []), tableSection(t)]);
  return {
    title: `candlecast evaluate — ${s.model}`,
    subtitle:
      `Walk-forward over ${plural(s.folds.length, "fold")} (${s.folds[0].label} … ${
        s.folds.at(-1)!.label
      }), ` +
      `${s.symbols.join(", ")}`,
    facts,
    warning: [
      s.partial &&
      `interrupted: only ${plural(s.partial.folds_done.length, "fold")} (${
          s.partial.folds_done.join(", ")
        }) ` +
        `finished; ${s.partial.folds_missing.join(", ")} did not run, and every number covers the finished ` +
        "folds only.",
      s.in_sample && `in-sample: not evidence. ${s.in_sample.message}`,
    ].filter(Boolean).join(" ") || undefined,
    verdict: s.verdict.lines,
    sections,
  };
}
