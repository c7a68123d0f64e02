/**
 * The evaluation's tables, built once: which tables, which columns, which numbers and how each is rounded.
 * The terminal (`formatSummary`) and report.html (`evaluationReport`) both render these, so the two cannot
 * drift apart; each only lays them out (and the report adds its charts between them).
 */
import { CLASSES, type ClassName } from "../../features/index.ts";
import { plural } from "../../base/index.ts";
import { type Metrics, MIN_FLOOR_BLOCKS } from "../metrics/index.ts";
import { feePercent } from "./backtest.ts";
import { fitAction } from "./summary.ts";
import { boostingShare } from "../../engine/index.ts";
import { NO_ITERATION_KEPT } from "../baselines/index.ts";
import type { BlendSummary, EvaluationSummary } from "./summary_types.ts";
import type { Interval } from "./bootstrap.ts";
import { returnHeadTable } from "./return_head.ts";
import { callsOf, FEW_CALLS } from "./served_calls.ts";
import {
  enoughBlocks,
  foldList,
  IN_SAMPLE_VERDICT,
  judge,
  NOT_JUDGED_VERDICT,
  servedRuleWords,
  signedDifference,
  tooFewBlocks,
} from "./verdict.ts";
import type { Table } from "./table_types.ts";

export type { Table, TableId } from "./table_types.ts";

/** Probabilities, scores and their differences: four decimals everywhere, so columns compare by eye. */
const f4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : "–");
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "–");
const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : "–");
/** A share as a percentage, with the space before "%" that the verdict lines and the rest of candlecast use. */
const pct = (v: number, digits = 1) => (Number.isFinite(v) ? `${(100 * v).toFixed(digits)} %` : "–");
/** A difference with its sign always written, so "+0.0100" and "-0.0100" never read alike. */
const signed = signedDifference;
const count = (n: number) => n.toLocaleString("en-US");

/** "all 3 folds pooled", "the 1 fold, 2023-W30", "the 2 finished folds pooled (fold 2023-12 did not run)". */
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

function pooled(s: EvaluationSummary, learners: readonly string[]): Table {
  return {
    id: "pooled",
    labelColumns: 1,
    title: `Scores on ${pooledFolds(s)}`,
    header: [
      "",
      "accuracy",
      "macro-F1",
      "log-loss",
      "Brier",
      "ECE",
      "ECE floor",
      "by blocks",
      ...CLASSES.map((c) => `→${c}`),
    ],
    rows: learners.map((n) => {
      const sc = s.overall[n], m = sc.metrics;
      return [
        n,
        f4(m.accuracy),
        f4(m.macro_f1),
        f4(m.log_loss),
        f4(m.brier),
        f4(sc.ece),
        f4(sc.ece_floor),
        f4(sc.ece_floor_blocks ?? NaN),
        ...CLASSES.map((c) => pct(m.predicted_share[c])),
      ];
    }),
    notes: [
      `${plural(s.windows, "test window")}; argmax of the calibrated probabilities${
        s.baselines.includes("persistence") ? " (persistence names the last candle's direction)" : ""
      }. Best baseline (lowest log-loss): ${s.best_baseline}.`,
      SCORES_NOTE,
      "→DOWN, →SIDEWAYS, →UP: how often each class is named.",
      "ECE: expected calibration error over 10 bins of the top class's probability. ECE floor: what a perfectly calibrated model would still " +
      "show on these windows by chance if they were independent (overlapping labels and symbols that move " +
      "together raise it: a lower bound); by blocks: the same noise measured from the bootstrap's blocks of " +
      "time, where that dependence shows (it also counts calibration that drifts between blocks: an upper " +
      "estimate). An ECE near or below it is no evidence of miscalibration.",
      ...(learners.some((n) => !Number.isFinite(s.overall[n].ece_floor_blocks ?? NaN))
        ? [floorBlocksUnread(s.bootstrap)]
        : []),
    ],
    highlight: [0],
  };
}

/**
 * Why "by blocks" shows "–": the test windows span too few of the bootstrap's blocks to read the noise from them,
 * so only the independent floor, a lower bound, stands beside the ECE.
 */
function floorBlocksUnread(b: Pick<EvaluationSummary["bootstrap"], "blocks" | "block_candles">): string {
  return `by blocks: – here: the test windows span ${
    plural(b.blocks, "block")
  } of ${b.block_candles} candles, ` +
    `too few to measure it (at least ${MIN_FLOOR_BLOCKS} are needed); the ECE floor, a lower bound, is the only ` +
    "reading of the noise, and the real one may be up to about twice it. More folds add blocks where the data " +
    `holds them (${MIN_FLOOR_BLOCKS} blocks are ${
      MIN_FLOOR_BLOCKS * b.block_candles
    } candles of test folds).`;
}

function decisionRule(s: EvaluationSummary, learners: readonly string[]): Table {
  return {
    id: "decision_rule",
    labelColumns: 1,
    title: "Decision rule: argmax vs prior-corrected",
    header: [
      "",
      "argmax accuracy",
      "argmax macro-F1",
      "prior accuracy",
      "prior macro-F1",
      ...CLASSES.map((c) => `prior→${c}`),
      "prior DOWN P",
      "prior UP P",
      "prior ECE",
    ],
    rows: learners.map((n) => {
      const sc = s.overall[n];
      return [
        n,
        f4(sc.metrics.accuracy),
        f4(sc.metrics.macro_f1),
        f4(sc.prior_rule.accuracy),
        f4(sc.prior_rule.macro_f1),
        ...CLASSES.map((c) => pct(sc.prior_rule.predicted_share[c])),
        precisionCell(sc.prior_rule, "DOWN"),
        precisionCell(sc.prior_rule, "UP"),
        f4(sc.prior_rule.ece),
      ];
    }),
    notes: [
      "Prior-corrected: probabilities ÷ the training class priors, then argmax; prior→: how often it names " +
      "each class. Confidence stays the calibrated probability of the chosen class. A rule-based baseline " +
      "(persistence) keeps its own calls under either rule.",
      // The served calls' hit rates beside what guessing achieves: the argmax table's precision is of calls
      // no bot receives, and a 6h quarter's served UP calls hit 0.353 against a base rate of 0.354.
      `prior DOWN P, prior UP P: the precision of the rule's DOWN and UP calls (those a bot receives from a ` +
      `version served with it), against base rates on these windows of DOWN ${
        pct(s.overall[s.model].base_rate.down)
      }, UP ${
        pct(s.overall[s.model].base_rate.up)
      }: a call is only useful above its base rate. ${PRECISION_NOTE}`,
      // The pooled table's ECE bins the top class's probability; under this rule the named class is often
      // another, and its probability is what a bot reads as confidence.
      "prior ECE: the calibration error of the confidence this rule serves (10 bins of the named class's " +
      "probability); the pooled table's ECE bins the top class's.",
    ],
    highlight: [0],
  };
}

/**
 * What the score columns measure and which way is better, for a reader who does not know log-loss: the pooled
 * table and train's test split say it, neither did (only the bootstrap's rows said "lower is better").
 */
export const SCORES_NOTE = "Accuracy and macro-F1 score the calls (higher is better); log-loss (the mean " +
  "−ln of the probability given to what happened) and Brier (the probabilities' squared error) score the " +
  "probabilities (lower is better; 1/3 for each class scores 1.0986 and 0.6667).";

/**
 * A class's precision as a table cell: "–" when the class is never named (0 of 0 is no precision, and "0"
 * read as every call wrong), and with the number of calls beside it when there are fewer than FEW_CALLS (a
 * model naming DOWN 7 times of 2,812 showed DOWN precision 0.8571, bold, like a 86 % hit rate).
 */
export function precisionCell(m: Pick<Metrics, "per_class" | "confusion_matrix">, c: ClassName): string {
  const calls = callsOf(m, c);
  if (calls === 0) return "–";
  const p = f4(m.per_class[c].precision);
  return calls < FEW_CALLS ? `${p} (${calls})` : p;
}

/** The per-class table's note on reading its precision cells. */
export const PRECISION_NOTE =
  `A precision from fewer than ${FEW_CALLS} calls of the class shows their number in ` +
  "brackets, too few to read as a hit rate; –: the class is never named.";

/**
 * How often each class came on the windows a confusion matrix (rows: the true class) covers: a precision is
 * only worth its lift above these (the trial's train report gave UP precision 0.4465 with no 26.9 % beside it).
 */
export function baseRatesNote(matrix: readonly (readonly number[])[]): string {
  const came = CLASSES.map((_, i) => (matrix[i] ?? []).reduce((a, b) => a + b, 0));
  const n = came.reduce((a, b) => a + b, 0);
  return `Base rates (how often each class came on these windows): ${
    CLASSES.map((c, i) => `${c} ${pct(n > 0 ? came[i] / n : NaN)}`).join(", ")
  }; a precision is only worth its lift above its class's base rate.`;
}

function perClass(s: EvaluationSummary, learners: readonly string[]): Table {
  return {
    id: "per_class",
    labelColumns: 1,
    title: "Per class (argmax)",
    header: ["", ...CLASSES.flatMap((c) => [`${c} P`, `${c} R`, `${c} F1`])],
    rows: learners.map((n) => {
      const m = s.overall[n].metrics, pc = m.per_class;
      return [n, ...CLASSES.flatMap((c) => [precisionCell(m, c), f4(pc[c].recall), f4(pc[c].f1)])];
    }),
    notes: [
      "P: precision, R: recall, F1: their harmonic mean, for each class.",
      baseRatesNote(s.overall[s.model].metrics.confusion_matrix),
      PRECISION_NOTE,
    ],
    highlight: [0],
  };
}

function confidentCalls(s: EvaluationSummary, learners: readonly string[]): Table {
  const base = s.overall[s.model].base_rate;
  return {
    id: "confident_calls",
    labelColumns: 1,
    title: "Confident calls: precision when P(class) is above a threshold",
    header: ["", "call", ...s.overall[s.model].confident_calls.map((c) => `P > ${c.threshold}`)],
    rows: learners.flatMap((n) =>
      (["up", "down"] as const).map((side) => [
        n,
        side.toUpperCase(),
        ...s.overall[n].confident_calls.map((c) =>
          c[side].count === 0 ? "0" : `${count(c[side].count)} (${f3(c[side].precision)})`
        ),
      ])
    ),
    notes: [
      `Each cell: calls (precision). Base rates on these windows: UP ${pct(base.up)}, DOWN ${
        pct(base.down)
      }; ` +
      "a call is only useful above its base rate.",
    ],
    highlight: [0, 1],
  };
}

/** A word for the difference to a baseline other than the best, judged as the verdict judges the best's. */
function otherVerdict(s: EvaluationSummary, d: { low: number; high: number }): string {
  return s.in_sample ? IN_SAMPLE_VERDICT : judge(d.low, d.high, true, enoughBlocks(s.bootstrap));
}

function bootstrap(s: EvaluationSummary): Table {
  const b = s.bootstrap;
  const interval = (d: { low: number; high: number }) => `${signed(d.low)} … ${signed(d.high)}`;
  return {
    id: "bootstrap",
    labelColumns: 1,
    title: `Is the difference real? Block bootstrap, ${s.model} − ${s.best_baseline} (best baseline), and ` +
      "log-loss against the others",
    header: ["metric", "difference", `${Math.round(100 * b.level)} % interval`, "verdict"],
    rows: [
      [
        `macro-F1, ${b.decision_rule} rule (higher is better)`,
        signed(b.macro_f1_diff.estimate),
        interval(b.macro_f1_diff),
        s.verdict.macro_f1,
      ],
      [
        "log-loss (lower is better)",
        signed(b.log_loss_diff.estimate),
        interval(b.log_loss_diff),
        s.verdict.log_loss,
      ],
      // The other baselines, on log-loss: "ahead of gradient boosting" needs its interval as much as the best's.
      ...s.baselines.filter((n) => n !== s.best_baseline && b.log_loss_diff_by_baseline[n]).map((n) => {
        const d = b.log_loss_diff_by_baseline[n];
        return [`log-loss, ${s.model} − ${n}`, signed(d.estimate), interval(d), otherVerdict(s, d)];
      }),
    ],
    notes: [
      `${b.resamples} resamples of ${plural(b.blocks, "block")} of ${b.block_candles} consecutive candles ` +
      "(all symbols together); the difference ± Student's t on the blocks times the resamples' standard error.",
      `macro-F1 on the classes named by ${servedRuleWords(b.decision_rule)}; the baseline's named the same ` +
      `way (a rule-based baseline: its own calls): ${s.model} ${f4(b.macro_f1.model)}, ${s.best_baseline} ` +
      `${f4(b.macro_f1.baseline)}.`,
      ...(s.baselines.length > 1
        ? [
          "The rows against the other baselines are each at 95 % too: read together, one of several may " +
          "read better or worse by chance.",
        ]
        : []),
      ...(enoughBlocks(b) ? [] : [tooFewBlocks(b)]),
    ],
    highlight: [],
  };
}

/** The model averaged with gradient boosting (what `train --blend-boosting` serves), against each part. */
function blendTable(s: EvaluationSummary, b: BlendSummary): Table {
  const interval = (d: Interval) => `${signed(d.low)} … ${signed(d.high)}`;
  // Judged as the verdict judges: from fewer blocks than it takes, nothing (the interval alone read "blend
  // better" from two blocks), and in its words ("tie" was the table's alone). On folds the checkpoint had
  // seen, nothing either: its in-sample probabilities are half the blend, so "blend better" there is not
  // evidence, as every other row of the page says.
  const enough = enoughBlocks(s.bootstrap);
  const reading = (d: Interval) => {
    if (s.in_sample) return IN_SAMPLE_VERDICT;
    const judged = judge(d.low, d.high, true, enough);
    return judged === "better" || judged === "worse" ? `blend ${judged}` : judged;
  };
  const row = (
    name: string,
    d: Interval,
  ) => [name, f4(b.log_loss), signed(d.estimate), interval(d), reading(d)];
  return {
    id: "blend",
    labelColumns: 1,
    title: `What train --blend-boosting serves: ${b.weight} × ${s.model} + ${
      boostingShare(b.weight)
    } × ${b.with}`,
    header: [
      "log-loss against",
      "blend",
      "difference",
      `${Math.round(100 * s.bootstrap.level)} % interval`,
      "reading",
    ],
    rows: [row(b.with, b.log_loss_diff.gradient_boosting), row(s.model, b.log_loss_diff.model)],
    notes: [
      // The columns alone ("difference -0.0173", "tie") said neither what was subtracted nor which sign is good.
      "Difference: the blend's log-loss minus the other's (lower is better: below zero favours the blend); " +
      (s.in_sample
        ? `reading: "${IN_SAMPLE_VERDICT}", as ${foldList(s.in_sample.folds)} had been seen in training.`
        : `reading: "no clear difference" where the interval spans 0${
          enough ? "" : `; "${NOT_JUDGED_VERDICT}" where, as here, the blocks are too few to judge from`
        }.`),
      `Each learner's calibrated probabilities (${b.with}'s by a temperature fit on the fold's validation ` +
      `windows, ${
        b.boosting_temperatures.map(f3).join(" / ")
      }) averaged window by window, then recalibrated by the blend's own temperature (${
        b.temperatures.map(f3).join(" / ")
      }), each fit there or kept where train would keep it (the blend's below 200 validation windows after ` +
      `a fine-tune; both where the model was kept as it was), so each fold scores what train would serve (ECE ${
        f4(b.ece)
      }); from the same blocks and resamples as above. Neither a baseline nor the model: the ` +
      `verdict judges ${s.model} alone.`,
    ],
    highlight: [],
  };
}

function perFold(s: EvaluationSummary): Table {
  return {
    id: "per_fold",
    labelColumns: 1,
    title: "Per fold",
    header: [
      "fold",
      "update",
      "windows",
      "accuracy",
      "argmax macro-F1",
      "log-loss",
      "temperature",
      "baseline argmax macro-F1",
      "baseline log-loss",
    ],
    rows: s.folds.map((f) => {
      const m = f.scores[s.model].metrics, b = f.scores[s.best_baseline].metrics;
      const t = f.fits[s.model]?.temperature;
      return [
        s.in_sample?.folds.includes(f.label) ? `${f.label} (in-sample)` : f.label,
        fitAction(f.fits[s.model]),
        count(f.windows.test),
        f4(m.accuracy),
        f4(m.macro_f1),
        f4(m.log_loss),
        t === undefined ? "–" : f3(t),
        f4(b.macro_f1),
        f4(b.log_loss),
      ];
    }),
    notes: [
      `${s.model}'s scores and temperature on each fold's test windows; the last two columns are ` +
      `${s.best_baseline}'s. Update: what was done to ${s.model} before the fold (trained, fine-tuned, as is).`,
      ...keptIterationsNote(s),
    ],
    highlight: [],
  };
}

/**
 * Gradient boosting's iterations kept on each fold (fits.gradient_boosting.iterations), and for a 0 why it then
 * scores exactly as majority does: identical rows otherwise read as a bug. None for an evaluation.json from
 * before the count was recorded, or without the boosting baseline.
 */
function keptIterationsNote(s: EvaluationSummary): string[] {
  const kept = s.folds.flatMap((f) => {
    const n = f.fits.gradient_boosting?.iterations;
    return n === undefined ? [] : [[f.label, n] as const];
  });
  if (kept.length === 0) return [];
  return [
    `gradient_boosting's iterations kept by early stopping: ${kept.map(([f, n]) => `${f} ${n}`).join(", ")}` +
    (kept.some(([, n]) => n === 0) ? `; where 0, ${NO_ITERATION_KEPT}.` : "."),
  ];
}

function reliability(s: EvaluationSummary): Table {
  return {
    id: "reliability",
    labelColumns: 1,
    title: `Reliability table: ${s.model}`,
    header: ["confidence bin", "windows", "mean confidence", "accuracy", "gap"],
    rows: s.overall[s.model].reliability.filter((b) => b.count > 0).map((b) => [
      `${b.lower.toFixed(1)} – ${b.upper.toFixed(1)}`,
      count(b.count),
      f4(b.confidence),
      f4(b.accuracy),
      signed(b.accuracy - b.confidence),
    ]),
    notes: ["Gap: accuracy − mean confidence; below zero the model is over-confident in that bin."],
    highlight: [],
  };
}

function perSymbol(s: EvaluationSummary, learners: readonly string[]): Table {
  return {
    id: "per_symbol",
    labelColumns: 2,
    title: "Per symbol",
    header: ["symbol", "learner", "windows", "accuracy", "macro-F1", "log-loss"],
    rows: s.per_symbol.flatMap((p) =>
      learners.map((n) => [
        p.symbol,
        n,
        count(p.windows),
        f4(p.scores[n].accuracy),
        f4(p.scores[n].macro_f1),
        f4(p.scores[n].log_loss),
      ])
    ),
    notes: [
      "Every learner's pooled scores on each symbol's test windows (argmax, or the rule a baseline names).",
    ],
    highlight: s.per_symbol.map((_, k) => k * learners.length),
  };
}

function backtestTable(s: EvaluationSummary): Table {
  const bt = s.backtest, hold = bt.buy_and_hold;
  const byRule = bt.curves_rule === "prior_rule";
  const rules = [...bt.rows, { threshold: NaN, ...bt.prior_rule }];
  // A row per rule and learner: with both learners side by side, "Sharpe", "max drawdown" and "trades" stood
  // twice in a row with nothing saying whose (a screen reader read "Sharpe 3.62"), and naming each column
  // made a terminal table 230 characters wide.
  const rows = rules.flatMap((r) =>
    ([[s.model, r.model], [s.best_baseline, r.baseline]] as const).map(([learner, b]) => [
      Number.isNaN(r.threshold) ? "prior rule" : `> ${r.threshold}`,
      learner,
      pct(b.total_return, 2),
      f2(b.sharpe),
      pct(b.max_drawdown, 2),
      count(b.trades),
      pct(b.win_rate, 2),
    ])
  );
  const drawn = byRule ? rules.length - 1 : rules.findIndex((r) => r.threshold === bt.threshold);
  return {
    id: "backtest",
    labelColumns: 2,
    title: "Backtest by threshold",
    header: ["rule", "learner", "return", "Sharpe", "max drawdown", "trades", "win rate"],
    rows,
    notes: [
      `Long${bt.short ? " (short)" : ""} when P(UP)${bt.short ? " (P(DOWN))" : ""} is above the threshold${
        bt.short ? " (both above it: the larger, a tie long)" : ""
      }, ` +
      `or, on the prior rule's rows, when the prior-corrected decision names UP${
        bt.short ? " (DOWN)" : ""
      }; ` +
      `held ${plural(bt.horizon, "candle")}, ${
        feePercent(bt.fee)
      } % fee per side, no overlapping positions; symbols ` +
      "are equal-weight sleeves.",
      `Buy-and-hold over the same candles: return ${pct(hold.total_return, 2)}, annualised Sharpe ` +
      `${f2(hold.sharpe)}, max drawdown ${pct(hold.max_drawdown)}. Sharpe ratios are annualised point ` +
      "estimates over the test folds.",
      ...inSampleTradesNote(s),
    ],
    // The rows the equity curves trade.
    highlight: drawn < 0 ? [] : [2 * drawn, 2 * drawn + 1],
  };
}

/**
 * Where some folds are in-sample: the trades cover them too, unlike the verdict, which a quant read as two
 * backtests of the same calls (a trial). Empty otherwise.
 */
export function inSampleTradesNote(s: Pick<EvaluationSummary, "in_sample" | "verdict">): string[] {
  if (!s.in_sample) return [];
  const oos = s.verdict.out_of_sample;
  return [
    `In-sample: these trades include ${foldList(s.in_sample.folds)}, which ${
      s.in_sample.folds.length === 1 ? "was" : "were"
    } ` +
    "seen in training, and are not evidence" +
    (oos
      ? "; the verdict's backtest line (evaluation.json verdict.out_of_sample.backtest) trades the others only."
      : "."),
  ];
}

function learnerTrades(s: EvaluationSummary, learners: readonly string[]): Table {
  const bt = s.backtest;
  return {
    id: "learner_trades",
    labelColumns: 1,
    title: "Trades per learner",
    header: [
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
        count(t.threshold.trades),
        pct(t.threshold.total_return, 2),
        count(t.prior_rule.trades),
        pct(t.prior_rule.total_return, 2),
      ];
    }),
    notes: [
      `Trades each learner would make at P > ${bt.threshold} and under the prior rule, with their returns. ` +
      "Each trades on its own calibrated probabilities; persistence's are the training split's class shares " +
      "after a rising or a falling candle, which seldom pass the threshold.",
      ...inSampleTradesNote(s),
    ],
    highlight: [0],
  };
}

/**
 * Every table of an evaluation, in reading order: pooled scores, the two decision rules, per class, confident
 * calls, the return head against predicting no change, the bootstrap against the best baseline, per fold, the model's reliability, per symbol, the backtest
 * by threshold and each learner's trades. Learners are listed model first, then the baselines.
 */
export function evaluationTables(s: EvaluationSummary): Table[] {
  const learners = [s.model, ...s.baselines];
  return [
    pooled(s, learners),
    decisionRule(s, learners),
    perClass(s, learners),
    confidentCalls(s, learners),
    returnHeadTable(s, learners),
    bootstrap(s),
    ...(s.blend ? [blendTable(s, s.blend)] : []),
    perFold(s),
    reliability(s),
    perSymbol(s, learners),
    backtestTable(s),
    learnerTrades(s, learners),
  ];
}
