/** `candlecast evaluate`'s summary as report sections: the same numbers the terminal shows, plus the charts. */
import { CLASSES, plural } from "../../features/index.ts";
import type { EpochRecord } from "../train/index.ts";
import { type EvaluationSummary, feePercent, fitAction } from "../evaluate/index.ts";
import type { Cell, ReportData, Section } from "./html.ts";
import { confusionMatrix, lineChart, type LineSeries, PALETTE, reliabilityDiagram } from "./svg.ts";

const pctFormat = (v: number) => `${(100 * v).toFixed(0)}%`;

/** One row per learner: the headline metrics, model first. */
export function metricRows(s: EvaluationSummary): Cell[][] {
  return [s.model, ...s.baselines].map((name) => {
    const sc = s.overall[name], m = sc.metrics;
    return [
      name,
      m.windows,
      m.accuracy,
      m.macro_f1,
      m.log_loss,
      m.brier,
      sc.ece,
      sc.ece_floor,
      ...CLASSES.map((c) => pctFormat(m.predicted_share[c])),
    ];
  });
}

/**
 * Training curves of each network learner: per fold a dashed training line and a solid validation line, every
 * line in its own colour (a shared colour made training and validation indistinguishable in print).
 */
function curveFigures(s: EvaluationSummary): { caption: string; html: string }[] {
  const figures: { caption: string; html: string }[] = [];
  for (const name of [s.model, ...s.baselines]) {
    const runs = s.folds.map((f) => ({ label: f.label, history: f.fits[name]?.history }))
      .filter((r): r is { label: string; history: readonly EpochRecord[] } =>
        !!r.history && r.history.length > 0
      );
    if (runs.length === 0) continue;
    const lines = (train: keyof EpochRecord, val: keyof EpochRecord): LineSeries[] =>
      runs.flatMap((r, k) => [
        {
          name: `${r.label} train`,
          x: r.history.map((e) => e.epoch),
          y: r.history.map((e) => e[train] as number),
          color: PALETTE[(2 * k + 1) % PALETTE.length],
          dashed: true,
        },
        {
          name: `${r.label} validation`,
          x: r.history.map((e) => e.epoch),
          y: r.history.map((e) => e[val] as number),
          color: PALETTE[(2 * k) % PALETTE.length],
        },
      ]);
    figures.push(
      {
        caption: `${name}: loss per epoch`,
        html: lineChart(lines("loss", "val_loss"), {
          width: 460,
          height: 260,
          xLabel: "epoch",
          yLabel: "loss",
        }),
      },
      {
        caption: `${name}: accuracy per epoch`,
        html: lineChart(lines("accuracy", "val_accuracy"), {
          width: 460,
          height: 260,
          xLabel: "epoch",
          yLabel: "accuracy",
        }),
      },
    );
  }
  return figures;
}

/**
 * report.html's content for an evaluation: pooled and per-fold scores, calibration, bootstrap, backtest and
 * curves, with the verdict; `facts` head the page.
 */
export function evaluationReport(
  s: EvaluationSummary,
  facts: readonly (readonly [string, string])[],
): ReportData {
  const learners = [s.model, ...s.baselines];
  const best = s.best_baseline;
  const sections: Section[] = [
    {
      kind: "table",
      title: "All folds pooled",
      note: `${s.windows.toLocaleString("en-US")} test windows; argmax of the calibrated probabilities ` +
        `(persistence names the last candle's direction). ECE: expected calibration error over 10 bins; ` +
        `ECE floor: what a perfectly calibrated model would still show on these windows by chance. ` +
        `Best baseline (lowest log-loss): ${best}.`,
      columns: [
        "",
        "windows",
        "accuracy",
        "macro-F1",
        "log-loss",
        "Brier",
        "ECE",
        "ECE floor",
        ...CLASSES.map((c) => `predicts ${c}`),
      ],
      rows: metricRows(s),
      highlight: [0],
    },
    {
      kind: "table",
      title: "Decision rule: argmax vs prior-corrected",
      note: "Prior-corrected: probabilities ÷ the training class priors, then argmax. Confidence stays the " +
        "calibrated probability of the chosen class.",
      columns: [
        "",
        "argmax accuracy",
        "argmax macro-F1",
        "prior accuracy",
        "prior macro-F1",
        ...CLASSES.map((c) => `prior predicts ${c}`),
      ],
      rows: learners.map((name) => {
        const sc = s.overall[name];
        return [
          name,
          sc.metrics.accuracy,
          sc.metrics.macro_f1,
          sc.prior_rule.accuracy,
          sc.prior_rule.macro_f1,
          ...CLASSES.map((c) => pctFormat(sc.prior_rule.predicted_share[c])),
        ];
      }),
      highlight: [0],
    },
    {
      kind: "table",
      title: "Per class (argmax)",
      columns: ["", ...CLASSES.flatMap((c) => [`${c} precision`, `${c} recall`, `${c} F1`])],
      rows: learners.map((name) => {
        const pc = s.overall[name].metrics.per_class;
        return [name, ...CLASSES.flatMap((c) => [pc[c].precision, pc[c].recall, pc[c].f1])];
      }),
      highlight: [0],
    },
    {
      kind: "table",
      title: "Confident calls: precision when P(class) is above a threshold",
      note: `Each cell: calls (precision). Base rates on these windows: UP ${
        (100 * s.overall[s.model].base_rate.up).toFixed(1)
      } %, DOWN ${
        (100 * s.overall[s.model].base_rate.down).toFixed(1)
      } % — a call is only useful above its base rate.`,
      columns: ["", "call", ...s.overall[s.model].confident_calls.map((c) => `P > ${c.threshold}`)],
      rows: learners.flatMap((name) =>
        (["up", "down"] as const).map((side) => [
          name,
          side.toUpperCase(),
          ...s.overall[name].confident_calls.map((c) =>
            c[side].count === 0
              ? "0"
              : `${c[side].count.toLocaleString("en-US")} (${c[side].precision.toFixed(3)})`
          ),
        ])
      ),
      highlight: [0, 1],
    },
    {
      kind: "table",
      title: `Is the difference real? Block bootstrap, ${s.model} − ${best}`,
      note:
        `${s.bootstrap.resamples} resamples of ${s.bootstrap.blocks} blocks of ${s.bootstrap.block_candles} ` +
        `consecutive candles (all symbols together); ${
          Math.round(100 * s.bootstrap.level)
        } % percentile interval.`,
      columns: ["metric", "difference", "low", "high", "verdict"],
      rows: [
        [
          "macro-F1 (higher is better)",
          s.bootstrap.macro_f1_diff.estimate,
          s.bootstrap.macro_f1_diff.low,
          s.bootstrap.macro_f1_diff.high,
          s.verdict.macro_f1,
        ],
        [
          "log-loss (lower is better)",
          s.bootstrap.log_loss_diff.estimate,
          s.bootstrap.log_loss_diff.low,
          s.bootstrap.log_loss_diff.high,
          s.verdict.log_loss,
        ],
      ],
    },
    {
      kind: "table",
      title: "Per fold",
      note: `Accuracy, macro-F1, log-loss and temperature of ${s.model}; the last two columns are ${best}'s.`,
      columns: [
        "fold",
        "model before the fold",
        "test windows",
        "accuracy",
        "macro-F1",
        "log-loss",
        "temperature",
        "baseline macro-F1",
        "baseline log-loss",
      ],
      rows: s.folds.map((f) => [
        f.label,
        fitAction(f.fits[s.model]),
        f.windows.test,
        f.scores[s.model].metrics.accuracy,
        f.scores[s.model].metrics.macro_f1,
        f.scores[s.model].metrics.log_loss,
        f.fits[s.model]?.temperature ?? null,
        f.scores[best].metrics.macro_f1,
        f.scores[best].metrics.log_loss,
      ]),
    },
    {
      kind: "figures",
      title: "Confusion matrices (all folds)",
      figures: [
        {
          caption: `${s.model} (argmax)`,
          html: confusionMatrix(s.overall[s.model].metrics.confusion_matrix, CLASSES),
        },
        {
          caption: `${s.model} (prior-corrected)`,
          html: confusionMatrix(s.overall[s.model].prior_rule.confusion_matrix, CLASSES),
        },
        {
          caption: `${best} (argmax)`,
          html: confusionMatrix(s.overall[best].metrics.confusion_matrix, CLASSES),
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
    {
      kind: "table",
      title: `Reliability table: ${s.model}`,
      columns: ["confidence bin", "windows", "mean confidence", "accuracy", "gap"],
      rows: s.overall[s.model].reliability.filter((b) => b.count > 0).map((b) => [
        `${b.lower.toFixed(1)} – ${b.upper.toFixed(1)}`,
        b.count,
        b.confidence,
        b.accuracy,
        b.accuracy - b.confidence,
      ]),
    },
  ];
  const curves = curveFigures(s);
  if (curves.length > 0) {
    sections.push({
      kind: "figures",
      title: "Training curves",
      note: "Dashed: training (dropout on, running mean over the epoch); solid: validation block.",
      figures: curves,
    });
  }
  const bt = s.backtest;
  const c = bt.curves;
  const byRule = bt.curves_rule === "prior_rule";
  sections.push(
    {
      kind: "table",
      title: "Per symbol",
      note:
        "Every learner's pooled scores on each symbol's test windows (argmax, or the rule a baseline names).",
      columns: ["symbol", "learner", "windows", "accuracy", "macro-F1", "log-loss"],
      rows: s.per_symbol.flatMap((p) =>
        learners.map((
          n,
        ) => [p.symbol, n, p.windows, p.scores[n].accuracy, p.scores[n].macro_f1, p.scores[n].log_loss])
      ),
      highlight: s.per_symbol.map((_, k) => k * learners.length),
    },
    {
      kind: "figures",
      title: "Backtest",
      note:
        (byRule
          ? `${s.model} never has P(UP) above ${bt.threshold}, so the curves trade the prior-corrected ` +
            `decision instead: long${bt.short ? " (short)" : ""} when it names UP${bt.short ? " (DOWN)" : ""}`
          : `Long${bt.short ? " or short" : ""} when P(UP)${
            bt.short ? " (P(DOWN))" : ""
          } > ${bt.threshold}`) +
        `, held ${bt.horizon} candles, ${feePercent(bt.fee)} % fee per side, no overlapping positions; ` +
        "symbols are " +
        "equal-weight sleeves, marked to market every candle. Trades: " +
        `${s.model} ${
          (byRule ? bt.prior_rule.model : bt.rows.find((r) => r.threshold === bt.threshold)!.model).trades
        }, ` +
        `${best} ${
          (byRule ? bt.prior_rule.baseline : bt.rows.find((r) => r.threshold === bt.threshold)!.baseline)
            .trades
        }.`,
      figures: [{
        caption: "Equity (start = 1)",
        html: lineChart([
          { name: "buy-and-hold", x: c.buy_and_hold.times, y: c.buy_and_hold.equity, color: "#94a3b8" },
          { name: best, x: c.baseline.times, y: c.baseline.equity, color: PALETTE[1], dashed: true },
          // Drawn last so a flat model line is on top, not hidden under the others.
          { name: s.model, x: c.model.times, y: c.model.equity, color: PALETTE[0] },
        ], { width: 900, height: 320, xDates: true, yRule: 1, yFormat: (v) => v.toFixed(2) }),
      }],
    },
    {
      kind: "table",
      title: "Backtest by threshold",
      note:
        `Buy-and-hold over the same candles: return ${(100 * bt.buy_and_hold.total_return).toFixed(2)} %, ` +
        `annualised Sharpe ${
          bt.buy_and_hold.sharpe.toFixed(2)
        } (a point estimate over the test folds; so are ` +
        `the table's), max drawdown ${(100 * bt.buy_and_hold.max_drawdown).toFixed(1)} %.`,
      columns: [
        "threshold",
        `${s.model} return`,
        "Sharpe",
        "max drawdown",
        "trades",
        "win rate",
        `${best} return`,
        "Sharpe",
        "max drawdown",
        "trades",
      ],
      rows: [...bt.rows, { threshold: NaN, model: bt.prior_rule.model, baseline: bt.prior_rule.baseline }]
        .map((r) => [
          Number.isNaN(r.threshold) ? "prior rule" : `> ${r.threshold}`,
          pctFormat2(r.model.total_return),
          fixed2(r.model.sharpe),
          pctFormat2(r.model.max_drawdown),
          r.model.trades,
          pctFormat2(r.model.win_rate),
          pctFormat2(r.baseline.total_return),
          fixed2(r.baseline.sharpe),
          pctFormat2(r.baseline.max_drawdown),
          r.baseline.trades,
        ]),
      highlight: [byRule ? bt.rows.length : bt.rows.findIndex((r) => r.threshold === bt.threshold)],
    },
    {
      kind: "table",
      title: "Trades per learner",
      note:
        `Trades each learner would make at P > ${bt.threshold} and under the prior rule, with the prior ` +
        "rule's return. Baselines that name a class without probabilities (persistence) trade on that class.",
      columns: [
        "",
        `trades at > ${bt.threshold}`,
        `return at > ${bt.threshold}`,
        "prior-rule trades",
        "prior-rule return",
      ],
      rows: learners.map((n) => {
        const t = bt.learners[n];
        return [
          n,
          t.threshold.trades,
          pctFormat2(t.threshold.total_return),
          t.prior_rule.trades,
          pctFormat2(t.prior_rule.total_return),
        ];
      }),
      highlight: [0],
    },
  );
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

function fixed2(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) : "–";
}

function pctFormat2(v: number): string {
  return Number.isFinite(v) ? `${(100 * v).toFixed(2)} %` : "–";
}
