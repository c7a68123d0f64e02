/** The evaluation as terminal text: aligned tables with the same numbers report.html shows. */
import { CLASSES, plural } from "../../features/index.ts";
import { type EvaluationSummary, fitAction } from "./summary.ts";
import { feePercent } from "./backtest.ts";

type Row = readonly string[];

/** Left-aligns the first column, right-aligns the rest. */
export function textTable(header: Row, rows: readonly Row[]): string[] {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (r: Row) =>
    r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ");
  return [line(header), ...rows.map(line)];
}

const f4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : "–");
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "–");
const pct = (v: number, digits = 1) => (Number.isFinite(v) ? `${(100 * v).toFixed(digits)}%` : "–");
/** What the "ECE floor" column means, under the table that shows it. */
const ECE_FLOOR_NOTE =
  "ECE floor: what a perfectly calibrated model would still show on these windows by chance; an ECE near it is noise.";
const signed = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(4)}`;

/** "the 1 fold", "all 3 folds pooled", "the 2 finished folds pooled (2023-12 did not run)". */
function pooledFolds(s: EvaluationSummary): string {
  const n = s.folds.length;
  if (s.partial) {
    const missing = s.partial.folds_missing;
    return `the ${n === 1 ? "1 finished fold" : `${plural(n, "finished fold")} pooled`} (${
      missing.length === 1 ? "fold" : "folds"
    } ${missing.join(", ")} did not run)`;
  }
  return n === 1 ? `the 1 fold, ${s.folds[0].label}` : `all ${plural(n, "fold")} pooled`;
}

/**
 * The summary as the lines `evaluate` prints: a titled table per section (scores, decision rules, per class,
 * confident calls, bootstrap, folds, backtest), then the verdict.
 */
export function formatSummary(s: EvaluationSummary): string[] {
  const names = [s.model, ...s.baselines];
  const out: string[] = [];
  const section = (title: string, lines: string[]) => out.push("", title, ...lines.map((l) => "  " + l));

  section(
    `${pooledFolds(s)} (${plural(s.windows, "test window")}; argmax):`,
    textTable(
      ["", "accuracy", "macro-F1", "log-loss", "Brier", "ECE", "ECE floor", ...CLASSES.map((c) => `→${c}`)],
      names.map((n) => {
        const m = s.overall[n].metrics;
        return [
          n,
          f4(m.accuracy),
          f4(m.macro_f1),
          f4(m.log_loss),
          f4(m.brier),
          f4(s.overall[n].ece),
          f4(s.overall[n].ece_floor),
          ...CLASSES.map((c) => pct(m.predicted_share[c])),
        ];
      }),
    ).concat(ECE_FLOOR_NOTE),
  );
  section(
    "decision rule: argmax vs prior-corrected (probabilities ÷ training priors):",
    textTable(
      ["", "argmax acc", "argmax F1", "prior acc", "prior F1", ...CLASSES.map((c) => `prior→${c}`)],
      names.map((n) => {
        const sc = s.overall[n];
        return [
          n,
          f4(sc.metrics.accuracy),
          f4(sc.metrics.macro_f1),
          f4(sc.prior_rule.accuracy),
          f4(sc.prior_rule.macro_f1),
          ...CLASSES.map((c) => pct(sc.prior_rule.predicted_share[c])),
        ];
      }),
    ),
  );
  section(
    "per class (argmax) precision / recall:",
    textTable(
      ["", ...CLASSES.flatMap((c) => [`${c} P`, `${c} R`])],
      names.map((n) => {
        const pc = s.overall[n].metrics.per_class;
        return [n, ...CLASSES.flatMap((c) => [f4(pc[c].precision), f4(pc[c].recall)])];
      }),
    ),
  );
  const base = s.overall[s.model].base_rate;
  section(
    `confident calls: calls (precision) when P(class) > threshold; base rates UP ${pct(base.up)}, DOWN ${
      pct(base.down)
    }:`,
    textTable(
      ["", "call", ...s.overall[s.model].confident_calls.map((c) => `> ${c.threshold}`)],
      names.flatMap((n) =>
        (["up", "down"] as const).map((side) => [
          n,
          side.toUpperCase(),
          ...s.overall[n].confident_calls.map((c) =>
            c[side].count === 0 ? "0" : `${c[side].count} (${c[side].precision.toFixed(3)})`
          ),
        ])
      ),
    ),
  );
  const b = s.bootstrap;
  section(
    `${s.model} − ${s.best_baseline} (best baseline), block bootstrap ${
      Math.round(100 * b.level)
    }% interval ` +
      `(${b.resamples} resamples of ${b.blocks} blocks of ${b.block_candles} candles):`,
    textTable(["", "difference", "interval", "verdict"], [
      [
        "macro-F1",
        signed(b.macro_f1_diff.estimate),
        `${signed(b.macro_f1_diff.low)} … ${signed(b.macro_f1_diff.high)}`,
        s.verdict.macro_f1,
      ],
      [
        "log-loss",
        signed(b.log_loss_diff.estimate),
        `${signed(b.log_loss_diff.low)} … ${signed(b.log_loss_diff.high)}`,
        s.verdict.log_loss,
      ],
    ]),
  );
  section(
    "per fold:",
    textTable(
      ["fold", "update", "test", "accuracy", "macro-F1", "log-loss", "T", `${s.best_baseline} LL`],
      s.folds.map((f) => {
        const m = f.scores[s.model].metrics;
        const t = f.fits[s.model]?.temperature;
        return [
          s.in_sample?.folds.includes(f.label) ? `${f.label} (in-sample)` : f.label,
          fitAction(f.fits[s.model]),
          String(f.windows.test),
          f4(m.accuracy),
          f4(m.macro_f1),
          f4(m.log_loss),
          t === undefined ? "–" : t.toFixed(3),
          f4(f.scores[s.best_baseline].metrics.log_loss),
        ];
      }),
    ),
  );
  const bt = s.backtest;
  section(
    `backtest: long${bt.short ? "/short" : ""} above the threshold, hold ${bt.horizon} candles, ` +
      `${feePercent(bt.fee)}% fee per side; buy-and-hold ${pct(bt.buy_and_hold.total_return, 2)} ` +
      `(annualised Sharpe ${f2(bt.buy_and_hold.sharpe)}, max drawdown ${pct(bt.buy_and_hold.max_drawdown)}):`,
    textTable(
      [
        "threshold",
        "return",
        "Sharpe (ann.)",
        "max DD",
        "trades",
        "win",
        `${s.best_baseline} return`,
        "trades",
      ],
      [...bt.rows, { threshold: NaN, ...bt.prior_rule }].map((r) => [
        Number.isNaN(r.threshold) ? "prior rule" : `> ${r.threshold}`,
        pct(r.model.total_return, 2),
        f2(r.model.sharpe),
        pct(r.model.max_drawdown),
        String(r.model.trades),
        pct(r.model.win_rate),
        pct(r.baseline.total_return, 2),
        String(r.baseline.trades),
      ]),
    ),
  );
  out.push("", ...s.verdict.lines);
  return out;
}
