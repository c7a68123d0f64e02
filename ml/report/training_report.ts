/**
 * The report `train` writes into each version: what it was trained on (facts from the manifest), a verdict that
 * weighs log-loss against the baselines *and* whether the decision actually served spreads over the classes,
 * argmax beside the served rule, learning curves with what their y axis is, the confusion matrices and a
 * reliability diagram zoomed to where the predictions are.
 */
import { CLASSES } from "../../features/index.ts";
import { plural } from "../../base/index.ts";
import {
  calibrationOf,
  computeMetrics,
  type Metrics,
  softmaxRows,
  TEMPERATURE_BOUND,
} from "../metrics/index.ts";
import type { EpochRecord } from "../train/index.ts";
import {
  baseRatesNote,
  callPercent,
  callsOf,
  decideClasses,
  type DecisionRule,
  f5,
  FEW_CALLS,
  MIN_TEMPERATURE_WINDOWS,
  noChangeRatio,
  pointsText,
  PRECISION_NOTE,
  precisionCell,
  rankCorrelationCell,
  type ReliabilityBin,
  returnColumnsNote,
  returnHeadWords,
  SCORES_NOTE,
  servedCallsWords,
  type Table,
  USE_PROBABILITIES,
} from "../evaluate/index.ts";
import type { Manifest } from "../checkpoints/index.ts";
import { blendWords, classPriors } from "../../engine/index.ts";
import { keptIterationsText } from "../baselines/index.ts";
import { type ReportData, type Section, tableSection } from "./html.ts";
import { confusionMatrix, lineChart, type LineSeries, PALETTE, reliabilityDiagram } from "./svg.ts";

/** Classification scores of one decision rule on the test split. */
export type RuleScores = Pick<
  Metrics,
  "accuracy" | "macro_f1" | "predicted_share" | "confusion_matrix" | "per_class"
>;

/**
 * A baseline's scores under the served rule (metrics.json's `served.baselines`): older versions lack the
 * shares, and the calls and the calibration of the confidence it would serve.
 */
export type BaselineRuleScores =
  & Pick<RuleScores, "accuracy" | "macro_f1">
  & Partial<Pick<RuleScores, "predicted_share" | "confusion_matrix" | "per_class">>
  & { readonly confidence_ece?: number; readonly confidence_ece_floor?: number };

export interface TestDecisions {
  /** The rule `serve` applies for this version. */
  readonly rule: DecisionRule;
  readonly argmax: RuleScores;
  readonly served: RuleScores;
  readonly reliability: readonly ReliabilityBin[];
  readonly ece: number;
  /** The ECE a perfectly calibrated model would show on these windows by chance (`calibrationFloor`). */
  readonly eceFloor: number;
  /**
   * The calibration of `confidence` as served: binned by the probability of the class `rule` names (the top
   * class's under argmax, where it equals `ece`). Absent in versions trained before it was recorded.
   */
  readonly confidenceEce?: number;
  readonly confidenceEceFloor?: number;
  /** The bins behind `confidenceEce` (absent where it is, and under argmax, where they are `reliability`). */
  readonly confidenceReliability?: readonly ReliabilityBin[];
  /**
   * How often DOWN and UP came on the test windows (metrics.json's `served.test_class_shares`): what the served
   * calls' hit rates are read against, as train prints them (`servedCallsWords`).
   */
  readonly baseRate?: { readonly down: number; readonly up: number };
}

export interface TrainingReportInput {
  /** e.g. "v3_2026-11-24". */
  readonly version: string;
  readonly modelType: string;
  readonly history: readonly EpochRecord[];
  readonly bestEpoch: number | null;
  /** An ensemble's best epoch per member (each member keeps its own best weights). */
  readonly bestEpochs?: readonly (number | null)[];
  /** Test-split metrics of the model and of each baseline (as in metrics.json). */
  readonly test: Metrics;
  readonly baselines: Readonly<Record<string, Metrics>>;
  /**
   * Each baseline's classification scores under the served rule (its probabilities through the same rule), so
   * the verdict compares the served decision like with like; absent: the verdict compares argmax with argmax.
   */
  readonly baselinesServed?: Readonly<Record<string, BaselineRuleScores>>;
  /** The test split under both decision rules, with calibration (`testDecisions`), when available. */
  readonly decisions?: TestDecisions;
  readonly temperature?: number;
  /**
   * What the temperature was fit on (validation windows), or the parent it was kept from: with `temperature`,
   * train's calibration line (`temperatureWords`), which the verdict repeats when it warns.
   */
  readonly calibration?: { readonly windows: number; readonly keptFrom: string | null };
  /**
   * train's notes on its data (small splits, symbols left out), as it prints them without the "note:" indent:
   * they say how far the scores can be trusted, so the verdict repeats them.
   */
  readonly dataNotes?: readonly string[];
  readonly facts?: readonly (readonly [string, string])[];
  /**
   * A served blend (`train --blend-boosting`): `test` and `decisions` then score the blend, and `network` the
   * network's own probabilities, shown beside it as train prints them.
   */
  readonly blend?: { readonly weight: number; readonly with: string; readonly network: Metrics };
  /**
   * The gradient-boosting baseline's kept iterations (metrics.json's `baselines.gradient_boosting.iterations`),
   * noted under the test table as train prints them; absent (a version from before they were recorded): no note.
   */
  readonly boostingIterations?: number;
}

/** The test table's name for the model: the served blend when the version is one (as train prints it). */
function modelRowName(r: Pick<TrainingReportInput, "modelType" | "blend">): string {
  return r.blend ? `${r.modelType} (served blend)` : r.modelType;
}

/** Argmax and the served rule on test logits (any row order, labels in the same order). */
export function testDecisions(
  logits: Float32Array,
  labels: Int8Array,
  temperature: number,
  rule: DecisionRule,
  priors: readonly number[],
): TestDecisions {
  const probabilities = softmaxRows(logits, temperature);
  const zeros = new Float64Array(labels.length);
  const pick = (m: Metrics): RuleScores => ({
    accuracy: m.accuracy,
    macro_f1: m.macro_f1,
    predicted_share: m.predicted_share,
    confusion_matrix: m.confusion_matrix,
    per_class: m.per_class,
  });
  const argmax = pick(computeMetrics(labels, probabilities, zeros, zeros));
  const served = rule === "argmax"
    ? argmax
    : pick(computeMetrics(labels, probabilities, zeros, zeros, decideClasses(probabilities, rule, priors)));
  const confidence = rule === "argmax"
    ? undefined
    : calibrationOf(probabilities, labels, decideClasses(probabilities, rule, priors));
  const top = calibrationOf(probabilities, labels);
  const shares = classPriors(labels);
  return {
    rule,
    baseRate: { down: shares[0], up: shares[2] },
    argmax,
    served,
    ...top,
    confidenceEce: confidence?.ece ?? top.ece,
    confidenceEceFloor: confidence?.eceFloor ?? top.eceFloor,
    ...(confidence ? { confidenceReliability: confidence.reliability } : {}),
  };
}

const pct = (v: number) => `${(100 * v).toFixed(0)} %`;
const fixed = (digits: number) => (v: number) => (Number.isFinite(v) ? v.toFixed(digits) : "–");
const f4 = fixed(4);

/**
 * The test split, the model beside the baselines: the table `train` prints and its report.html shows, built
 * once here so the two cannot disagree. `rule` is the one serve uses, named in the notes.
 */
export function testSplitTable(
  rows: readonly (readonly [string, Metrics])[],
  rule: DecisionRule = "argmax",
): Table<"test_split"> {
  const windows = plural(rows[0]?.[1].windows ?? 0, "test window");
  const served = rule === "argmax" ? "" : `; serve uses the ${rule} rule`;
  return {
    id: "test_split",
    title: "Test split",
    header: [
      "",
      "accuracy",
      "macro-F1",
      "log-loss",
      "Brier",
      "return MAE",
      "÷ no change",
      "rank correlation",
      "sign accuracy",
      ...CLASSES.map((c) => `→${c}`),
    ],
    rows: rows.map(([name, m]) => [
      name,
      f4(m.accuracy),
      f4(m.macro_f1),
      f4(m.log_loss),
      f4(m.brier),
      f5(m.regression_mae),
      noChangeRatio(m),
      rankCorrelationCell(m.return_rank_correlation),
      f4(m.sign_accuracy),
      ...CLASSES.map((c) => `${(100 * m.predicted_share[c]).toFixed(1)} %`),
    ]),
    notes: [
      // Persistence's probabilities are class shares; its row is its own calls, as in evaluate's tables.
      `${windows}. Accuracy, macro-F1 and the shares are argmax of the calibrated probabilities${served}; ` +
      "persistence, a rule, keeps its own calls (the last candle's direction).",
      SCORES_NOTE,
      "Return MAE: the predicted return's mean absolute error; sign accuracy: how often its sign is right. " +
      "→DOWN, →SIDEWAYS, →UP: how often each class is named.",
      // The return head's MAE alone, a small number, read like skill; predicting 0 scores as well (s47).
      ...(rows.length > 0
        ? [
          returnColumnsNote(rows[0][1]),
          `The model's ${returnHeadWords(rows[0][1])}.`,
          USE_PROBABILITIES,
        ]
        : []),
    ],
    labelColumns: 1,
    highlight: [0],
  };
}

/** Two scores that print the same at the verdict's four decimals. */
const shownEqual = (a: number, b: number) => a.toFixed(4) === b.toFixed(4);

const spread = (s: RuleScores) => CLASSES.map((c) => `${c} ${pct(s.predicted_share[c])}`).join(", ");

/** One class named for almost every window: the decision carries no information whatever the log-loss. */
const DEGENERATE_SHARE = 0.95;

/**
 * The test log-loss against the best baseline's in one sentence, and against majority's (the training class
 * frequencies) when it is above it: train's console and report.html both say it. A model worse than every
 * baseline read "not lower" alone, its console said nothing, and monitor called it "ok".
 *
 * @example
 * ```ts
 * logLossVerdict(1.0992, { majority: { log_loss: 1.0699 }, gradient_boosting: { log_loss: 1.0469 } });
 * // "Log-loss 1.0992 vs the best baseline's (gradient_boosting) 1.0469: not lower; above majority's 1.0699 …"
 * ```
 */
export function logLossVerdict(
  logLoss: number,
  baselines: Readonly<Record<string, { readonly log_loss: number }>>,
  blend = false,
): { readonly line: string; readonly ahead: boolean } {
  const byLogLoss = Object.entries(baselines).reduce((a, b) => (b[1].log_loss < a[1].log_loss ? b : a));
  // Scores equal at the four decimals shown are level: a difference nobody can see is not "better".
  const level = shownEqual(logLoss, byLogLoss[1].log_loss);
  const ahead = logLoss < byLogLoss[1].log_loss && !level;
  const majority = baselines.majority?.log_loss;
  const belowMajority = majority !== undefined && logLoss > majority && !shownEqual(logLoss, majority);
  const line = `${blend ? "The served blend's log-loss" : "Log-loss"} ${
    logLoss.toFixed(4)
  } vs the best baseline's (${byLogLoss[0]}) ${byLogLoss[1].log_loss.toFixed(4)}: ${
    ahead
      // "Better" is a word the reports keep for an interval clear of 0 (evaluate's); one split has none.
      ? "lower on this split (one split gives no interval: by itself no evidence of more than chance)"
      : level
      ? "level (equal to four decimals)"
      : "not lower"
  }${
    belowMajority
      ? `; above majority's ${majority.toFixed(4)} (the training class frequencies): its probabilities are ` +
        "worse than knowing how often each class comes"
      : ""
  }.`;
  return { line, ahead };
}

/**
 * The rule the verdict compares decisions under, the model's scores and each baseline's under it: the served
 * rule on both sides when the baselines were scored under it, else argmax on both (a rule that spreads calls
 * over the classes lifts any learner's macro-F1). The decision-rules table shows the same rows.
 */
function comparedDecisions(r: TrainingReportInput): {
  readonly rule: DecisionRule;
  readonly model: Pick<RuleScores, "macro_f1">;
  readonly theirs: readonly (readonly [string, BaselineRuleScores])[];
} {
  const rule = r.decisions && r.baselinesServed ? r.decisions.rule : "argmax";
  const model = rule === "argmax" ? (r.decisions?.argmax ?? r.test) : r.decisions!.served;
  return { rule, model, theirs: Object.entries(rule === "argmax" ? r.baselines : r.baselinesServed!) };
}

/** Where the verdict's macro-F1 comparison can be checked: the decision-rules table, or the test split's. */
const decisionsTableTitle = (r: TrainingReportInput) => r.decisions ? DECISION_RULES : "Test split";
const DECISION_RULES = "Decision rules side by side";

/** The model against the baselines: log-loss, the served decision's spread and macro-F1, the return head. */
function comparison(r: TrainingReportInput): string[] {
  const { line, ahead: llAhead } = logLossVerdict(r.test.log_loss, r.baselines, r.blend !== undefined);
  const lines = [line];
  const { rule, model, theirs } = comparedDecisions(r);
  const byF1 = theirs.reduce((a, b) => (b[1].macro_f1 > a[1].macro_f1 ? b : a));
  const shown = r.decisions?.served ?? r.test;
  const top = Math.max(...CLASSES.map((c) => shown.predicted_share[c]));
  const degenerate = top >= DEGENERATE_SHARE;
  // A tie, or a lead too small to show at four decimals, is not "ahead" (nor the baseline "better").
  const f1Level = shownEqual(model.macro_f1, byF1[1].macro_f1);
  const f1Ahead = model.macro_f1 > byF1[1].macro_f1 && !f1Level;
  // Which table holds both numbers: the baseline's served-rule score was in none (a reviewer's finding).
  lines.push(
    `The served decision (${r.decisions?.rule ?? "argmax"} rule) names ${
      spread(shown)
    } of the test windows. ` +
      `Under the ${rule} rule for every learner, its macro-F1 is ${model.macro_f1.toFixed(4)} vs the best ` +
      `baseline's (${byF1[0]}) ${byF1[1].macro_f1.toFixed(4)} (both in the table "${
        decisionsTableTitle(r)
      }").`,
  );
  const problems = [
    ...(llAhead ? [] : ["its probabilities are no better than a baseline's"]),
    ...(degenerate ? [`its decision is nearly always one class (${pct(top)}), so it carries no signal`] : []),
    ...(f1Ahead ? [] : [`${byF1[0]} classifies ${f1Level ? "as well" : "better"}`]),
  ];
  lines.push(
    problems.length === 0
      ? `On this split the ${r.blend ? "served blend" : "model"} is ahead of every baseline on both counts ` +
        "(one split, no interval: whether by more than chance gives is evaluate's to tell)."
      : `Not ahead on this split: ${problems.join("; ")}.`,
  );
  // The served expected_return judged too: the verdict above is the classes', and says nothing of it.
  lines.push(`The model's ${returnHeadWords(r.test)}.`);
  return lines;
}

/**
 * What train prints about the model's quality besides the comparison, in its words: the served calls against
 * their base rates and the calibration of confidence (`servedCallsWords`), the temperature when it warns
 * (`temperatureWords`) and the data's notes. report.html left them out, so a reader who never saw the terminal
 * missed "a bot should not act on them" and "its probabilities are close to uniform".
 */
function findings(r: TrainingReportInput): string[] {
  const d = r.decisions;
  const calls = d?.baseRate
    ? servedCallsWords({
      calls: d.served,
      baseRate: d.baseRate,
      ece: d.confidenceEce ?? d.ece,
      eceFloor: d.confidenceEceFloor ?? d.eceFloor,
      rule: d.rule,
    })
    : [];
  const t = r.temperature !== undefined && r.calibration
    ? temperatureWords(r.calibration.windows, r.temperature, r.calibration.keptFrom)
    : undefined;
  return [
    ...calls,
    // A blend's report scores the served blend; this temperature is its network's alone (a review).
    ...(t?.warns ? [`Calibrated${r.blend ? " (the network alone)" : ""}: ${t.line}.`] : []),
    ...(r.dataNotes ?? []).map((note) => `Note: ${note}.`),
  ];
}

function verdictOf(r: TrainingReportInput): string[] {
  if (Object.keys(r.baselines).length === 0) return findings(r);
  return [
    ...comparison(r),
    ...findings(r),
    "One split only: run 'candlecast evaluate' for walk-forward folds and an interval.",
  ];
}

/**
 * Where the temperature came from, in words, with a warning when it was fit on too few windows to trust or
 * stopped at its upper bound: train prints it after calibrating, and report.html's verdict repeats it when it
 * `warns` (a kept temperature included), so the two say the same.
 */
export function temperatureWords(
  windows: number,
  temperature: number,
  keptFrom: string | null,
): { readonly line: string; readonly warns: boolean } {
  const t = temperature.toFixed(3);
  if (keptFrom !== null) {
    return {
      line:
        `temperature ${t} kept from ${keptFrom}: the fine-tune has ${plural(windows, "validation window")}` +
        `, and a temperature refit on fewer than ${MIN_TEMPERATURE_WINDOWS} costs more than it corrects`,
      warns: true,
    };
  }
  // The fit's upper bound (fitTemperature): the probabilities were flattened as far as it goes.
  const atBound = temperature >= TEMPERATURE_BOUND * 0.999;
  const few = windows < MIN_TEMPERATURE_WINDOWS;
  const line = `temperature ${t} (fit on ${plural(windows, "validation window")})` +
    (atBound
      ? `; at its upper bound ${TEMPERATURE_BOUND}: on validation the model's own confidence only cost it, so ` +
        "its probabilities are close to uniform and carry little"
      : "");
  return {
    line: few
      ? `${line}; warning: fewer than ${MIN_TEMPERATURE_WINDOWS} windows make it unreliable: use more data`
      : line,
    warns: atBound || few,
  };
}

/** One line of the training curves: its legend name, its table column, the value, and its cue beyond colour. */
interface Curve {
  readonly name: string;
  readonly column: string;
  readonly pick: (e: EpochRecord) => number;
  /** Dashed: the training split's line (or the raw log-loss), beside a solid validation (calibrated) one. */
  readonly dashed: boolean;
  readonly color: string;
}

/**
 * The training charts, at most one dashed and one solid line each, so no two lines of a chart differ by colour
 * alone: "validation accuracy" (red) and "validation macro-F1" (orange) shared one chart, both solid.
 */
const CHARTS: readonly {
  readonly caption: string;
  readonly yLabel: string;
  readonly lines: readonly Curve[];
}[] = [
  {
    caption: "training objective per epoch",
    yLabel: "weighted CE + MSE terms",
    lines: [
      {
        name: "train (running mean, dropout on)",
        column: "objective: train (running mean, dropout on)",
        pick: (e) => e.loss,
        dashed: true,
        color: PALETTE[0],
      },
      {
        name: "validation (no auxiliary terms, dropout off)",
        column: "objective: validation (no auxiliary terms, dropout off)",
        pick: (e) => e.val_loss,
        dashed: false,
        color: PALETTE[1],
      },
    ],
  },
  {
    caption: "validation log-loss per epoch",
    yLabel: "log-loss",
    lines: [
      {
        name: "raw",
        column: "validation log-loss: raw",
        pick: (e) => e.val_log_loss,
        dashed: true,
        color: PALETTE[2],
      },
      {
        name: "calibrated (early stopping watches this)",
        column: "validation log-loss: calibrated (early stopping watches this)",
        pick: (e) => e.val_calibrated_log_loss,
        dashed: false,
        color: PALETTE[3],
      },
    ],
  },
  {
    caption: "accuracy per epoch",
    yLabel: "accuracy",
    lines: [
      {
        name: "train accuracy",
        column: "train accuracy",
        pick: (e) => e.accuracy,
        dashed: true,
        color: PALETTE[0],
      },
      {
        name: "validation accuracy",
        column: "validation accuracy",
        pick: (e) => e.val_accuracy,
        dashed: false,
        color: PALETTE[1],
      },
    ],
  },
  {
    caption: "validation macro-F1 per epoch",
    yLabel: "macro-F1",
    lines: [{
      name: "validation macro-F1",
      column: "validation macro-F1",
      pick: (e) => e.val_macro_f1,
      dashed: false,
      color: PALETTE[4],
    }],
  },
];

/** The members in a history, in order (a single model's records carry no member: 1). */
const membersOf = (history: readonly EpochRecord[]) =>
  [...new Set(history.map((e) => e.member ?? 1))].sort((a, b) => a - b);

/**
 * One line of a curve per member (an ensemble's epochs restart at 1 for each member, so one line through all
 * of them would zigzag): a single model's in the curve's colour; an ensemble's in its member's, named by it.
 * Dashed or solid as the curve is, either way.
 */
function curves(history: readonly EpochRecord[], curve: Curve): LineSeries[] {
  const members = membersOf(history);
  return members.map((k) => {
    const own = history.filter((e) => (e.member ?? 1) === k);
    return {
      name: members.length > 1 ? `${curve.name}, member ${k}` : curve.name,
      x: own.map((e) => e.epoch),
      y: own.map(curve.pick),
      color: members.length > 1 ? PALETTE[(k - 1) % PALETTE.length] : curve.color,
      dashed: curve.dashed,
    };
  });
}

/** Which epoch's weights the version holds: one for a single model, each member's own for an ensemble. */
function keptWeights(r: TrainingReportInput, perMember: string): string {
  if (r.bestEpochs && r.bestEpochs.length > 1) {
    return `Each member keeps the weights of its own best epoch (${
      r.bestEpochs.map((e) => e ?? "none").join(" / ")
    }); ${perMember}. `;
  }
  return r.bestEpoch !== null ? `The version keeps the weights of epoch ${r.bestEpoch}. ` : "";
}

/** What the objective and log-loss curves are, and whose a blend's are. */
function curvesMeaning(r: TrainingReportInput): string {
  return "The training objective is what the optimiser minimises: class-weighted cross-entropy plus the " +
    "weighted return (and auxiliary) MSE terms, so it is not a log-loss; its validation line leaves the " +
    "auxiliary terms and dropout out, so the two differ in level by construction. The calibrated " +
    "validation log-loss beside it is comparable with the test table." +
    (r.blend
      ? " Both are the network's alone (as metrics.json's test_loss, its training objective on the test " +
        "split): the blend is formed after training, so its log-loss is the served blend's row above."
      : "");
}

/** How the lines of a chart are told apart without colour: said, as the legend draws them. */
const lineCues = (ensemble: boolean) =>
  " In each chart the dashed line is the training split's (in the log-loss chart, the raw probabilities'), " +
  "the solid one validation's (the calibrated), as the legend draws them" +
  (ensemble ? "; an ensemble's members are told apart by colour and named in the legend." : ".");

/**
 * The training curves. Where every member ran one epoch (`demo --short`), each line is one dot, which no dash
 * tells apart: the values go in a table instead, one row per member.
 */
function curvesSection(r: TrainingReportInput): Section {
  const members = membersOf(r.history);
  const ensemble = members.length > 1;
  if (r.history.length > 0 && r.history.length === members.length) {
    return {
      kind: "table",
      title: "Training curves",
      note: keptWeights(r, "one column per member") +
        "One epoch each: a curve would be a single dot, so the " +
        "values are listed instead. " + curvesMeaning(r),
      columns: ["line", ...r.history.map((e) => ensemble ? `member ${e.member ?? 1}` : "epoch 1")],
      rows: CHARTS.flatMap((c) => c.lines.map((l) => [l.column, ...r.history.map((e) => f4(l.pick(e)))])),
    };
  }
  return {
    kind: "figures",
    title: "Training curves",
    note: keptWeights(r, "the curves draw one line per member") + curvesMeaning(r) + lineCues(ensemble),
    figures: CHARTS.map((c) => ({
      caption: c.caption,
      html: lineChart(c.lines.flatMap((l) => curves(r.history, l)), {
        width: 460,
        height: 260,
        xLabel: "epoch",
        yLabel: c.yLabel,
      }),
    })),
  };
}

/** How a run ended, in words (manifest `training.stop_reason`). */
const STOP_REASONS: Record<string, string> = {
  epochs: "every epoch run",
  early_stopping: "early stopping",
  interrupted: "interrupted",
};

/** An ISO time as the rest of candlecast prints a candle's: "2023-10-08 11:00" (UTC); "?" when unknown. */
const minute = (iso: string | null | undefined) => iso ? iso.slice(0, 16).replace("T", " ") : "?";

/** The facts block: data span, symbols, interval, hyperparameters, duration, backend. */
export function trainingFacts(
  manifest: Omit<Manifest, "version" | "created_at" | "files">,
): [string, string][] {
  const d = manifest.data;
  const training = manifest.training;
  const h = (manifest.hyperparameters ?? {}) as Record<string, unknown>;
  const w = d.windows;
  const minutes = training.seconds !== undefined ? `${(training.seconds / 60).toFixed(1)} min` : "?";
  // A last epoch a stop cut short is counted but did not run whole (the CLI's stop line says so too).
  const cut = (member: number) => training.cut_short?.includes(member) ? " (the last cut short)" : "";
  const facts: [string, string][] = [
    ["data", `${d.path}: ${minute(d.start)} … ${minute(d.end)} UTC`],
    ["symbols", `${manifest.symbols.join(", ")} (${plural(manifest.symbols.length, "symbol")})`],
    ["interval", manifest.interval ?? "?"],
    [
      "windows",
      `train ${w.train.toLocaleString("en-US")}, validation ${w.validation.toLocaleString("en-US")}, ` +
      `test ${w.test.toLocaleString("en-US")}` +
      (d.since ? `; only labelled after ${minute(d.since)} UTC` : ""),
    ],
    ["model", `${manifest.model_type}${manifest.parent ? `, fine-tuned from ${manifest.parent}` : ""}`],
  ];
  for (const [key, value] of Object.entries(h)) {
    if (value === undefined || value === null) continue;
    // The hyperparameters' "data" (horizon, label rule, clip, split) beside the facts' own "data" (the CSV and
    // its span) made two rows of one name.
    const name = key === "model"
      ? "architecture"
      : key === "data"
      ? "labels and split"
      : key.replace(/_/g, " ");
    facts.push([name, typeof value === "object" ? compact(value) : String(value)]);
  }
  facts.push(
    [
      "duration",
      `${minutes}, ` +
      (training.member_epochs && training.member_epochs.length > 1
        ? `${training.member_epochs.length} members trained ${
          training.member_epochs.map((n, i) => `${n}${cut(i + 1)}`).join(" / ")
        } epochs`
        : plural(training.epochs_run ?? 0, "epoch") + cut(1)) +
      (training.stop_reason ? ` (${STOP_REASONS[training.stop_reason] ?? training.stop_reason})` : ""),
    ],
    // The cores too: the weights depend on them up to float rounding, and a rerun on another machine
    // reproduces the version bit for bit only with --workers set to them.
    [
      "backend",
      (manifest.runtime?.backend ?? `${manifest.backend} (${manifest.device})`) +
      (training.workers !== undefined ? `, ${plural(training.workers, "core")} (--workers)` : "") +
      (manifest.runtime ? `, Deno ${manifest.runtime.deno}` : "") +
      (training.resumed ? ", finished by train --resume" : "") +
      `, candlecast ${manifest.candlecast_version}` +
      (manifest.candlecast_commit ? ` (commit ${manifest.candlecast_commit.slice(0, 12)})` : ""),
    ],
  );
  return facts;
}

/**
 * `{"a":1,"b":{"c":2}}` → "a 1, b.c 2": hyperparameters on one readable line. A split's cut times (ms since the
 * epoch, `split.validationStart 1640995200000`) are written as the terminal writes a candle's time.
 */
function compact(value: object, prefix = ""): string {
  return Object.entries(value).flatMap(([k, v]) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? [compact(v, `${prefix}${k}.`)]
      : typeof v === "number" && /(Start|End)$/.test(k) && Number.isFinite(v)
      ? [`${prefix}${k} ${minute(new Date(v).toISOString())} UTC`]
      : [`${prefix}${k} ${Array.isArray(v) ? v.join("/") : String(v)}`]
  ).join(", ");
}

/** The test split's table, with which row is which field of metrics.json and boosting's kept iterations. */
function testSplitSection(r: TrainingReportInput, rows: readonly (readonly [string, Metrics])[]): Section {
  const table = testSplitTable(rows, r.decisions?.rule);
  return tableSection({
    ...table,
    notes: [
      ...table.notes,
      // Which row is which field of metrics.json, where test_loss beside a blend's `test` is the network's.
      ...(r.blend
        ? [
          `${modelRowName(r)}: what the version serves, ${blendWords(r.blend)} (metrics.json's test); ` +
          "network alone: the network's own probabilities (metrics.json's network_test).",
        ]
        : []),
      // Boosting that kept no tree scores exactly as majority does: said, or the two rows read as a bug.
      ...(r.boostingIterations !== undefined && "gradient_boosting" in r.baselines
        ? [`gradient_boosting: ${keptIterationsText(r.boostingIterations)}`]
        : []),
    ],
  });
}

/** A rule's row: accuracy and macro-F1 at the verdict's four decimals, and the shares it names. */
const ruleRow = (name: string, s: BaselineRuleScores) => [
  name,
  f4(s.accuracy),
  f4(s.macro_f1),
  ...CLASSES.map((c) => (s.predicted_share ? pct(s.predicted_share[c]) : "–")),
];

/**
 * argmax beside the served rule, and each baseline under the rule the verdict compares with: the verdict quoted
 * the best baseline's served-rule macro-F1, which no table showed.
 */
function decisionRulesSection(r: TrainingReportInput, d: TestDecisions): Section {
  const { rule, theirs } = comparedDecisions(r);
  return {
    kind: "table",
    title: DECISION_RULES,
    note: "argmax: the most probable class. prior: the class with the largest probability ÷ its " +
      "training-split frequency. The shares are how often each class is named on the test windows. " +
      `A baseline's row: its probabilities through the ${rule} rule, as the verdict compares them ` +
      "(persistence keeps its own calls under either rule).",
    columns: ["rule", "accuracy", "macro-F1", ...CLASSES.map((c) => `names ${c}`)],
    rows: [
      ruleRow(`argmax${d.rule === "argmax" ? " (served)" : ""}`, d.argmax),
      ...(d.rule === "argmax" ? [] : [ruleRow(`${d.rule} (served)`, d.served)]),
      ...theirs.map(([name, s]) => ruleRow(`${name}, ${rule} rule`, s)),
    ],
    highlight: [d.rule === "argmax" ? 0 : 1],
  };
}

/** The served DOWN and UP calls' hit rates beside their base rates: the numbers the verdict's words read. */
function servedCallsSection(d: TestDecisions): Section[] {
  const base = d.baseRate;
  if (!base) return [];
  const rows = (["DOWN", "UP"] as const).map((c) => {
    const calls = callsOf(d.served, c);
    const rate = c === "UP" ? base.up : base.down;
    const precision = d.served.per_class[c].precision;
    // Counts as strings, grouped as the verdict writes them ("5,078 calls"). Below FEW_CALLS the verdict says
    // "too few to tell a hit rate": a difference here read as the finding it withholds (9 calls, −19.6 points).
    if (calls === 0) return [c, "0", "–", callPercent(rate), "–"];
    if (calls < FEW_CALLS) {
      return [
        c,
        calls.toLocaleString("en-US"),
        `${callPercent(precision)} (too few)`,
        callPercent(rate),
        "–",
      ];
    }
    return [
      c,
      calls.toLocaleString("en-US"),
      callPercent(precision),
      callPercent(rate),
      pointsText(precision, rate),
    ];
  });
  return [{
    kind: "table",
    title: `Served calls against the base rate (${d.rule} rule)`,
    note:
      "How often the served rule's DOWN and UP calls were right, against how often that class came on the " +
      "test windows: a call worth acting on beats its base rate by more than chance gives.",
    columns: ["class", "calls", "right", "base rate", "difference"],
    rows,
  }];
}

/**
 * The served rule's DOWN and UP calls and the calibration of the confidence each learner would serve, the model
 * first and then every baseline's probabilities through the same rule: the model's lift over the base rates and
 * its ECE read beside boosting's (only the model's were shown, so a researcher could not tell whether its +5
 * points beat boosting's). Versions from before the baselines' calls were recorded have no such table.
 */
function learnersServedSection(r: TrainingReportInput, d: TestDecisions): Section[] {
  const base = d.baseRate;
  const theirs = Object.entries(r.baselinesServed ?? {}).flatMap(([name, s]) =>
    s.confusion_matrix && s.per_class
      ? [[name, { confusion_matrix: s.confusion_matrix, per_class: s.per_class }, s] as const]
      : []
  );
  if (!base || theirs.length === 0) return [];
  const hits = (s: Pick<RuleScores, "confusion_matrix" | "per_class">) =>
    (["DOWN", "UP"] as const).flatMap((c) => {
      const calls = callsOf(s, c), right = callPercent(s.per_class[c].precision);
      return [
        calls.toLocaleString("en-US"),
        calls === 0 ? "–" : calls < FEW_CALLS ? `${right} (too few)` : right,
      ];
    });
  const ece = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : f4(x));
  const modelEce = d.rule === "argmax" ? d.ece : d.confidenceEce;
  const modelFloor = d.rule === "argmax" ? d.eceFloor : d.confidenceEceFloor;
  return [{
    kind: "table",
    title: `Every learner's served calls (${d.rule} rule)`,
    note: `Each learner's probabilities through the ${d.rule} rule (persistence: its own calls): how often ` +
      `its DOWN and UP calls were right, against base rates DOWN ${callPercent(base.down)} and UP ` +
      `${callPercent(base.up)}, and the ECE of the confidence it would serve (the probability of the class ` +
      "it names) beside what a perfectly calibrated learner shows on these windows by chance.",
    columns: ["", "DOWN calls", "DOWN right", "UP calls", "UP right", "confidence ECE", "floor (chance)"],
    rows: [
      [modelRowName(r), ...hits(d.served), ece(modelEce), ece(modelFloor)],
      ...theirs.map(([name, calls, s]) => [
        name,
        ...hits(calls),
        ece(s.confidence_ece),
        ece(s.confidence_ece_floor),
      ]),
    ],
    highlight: [0],
  }];
}

/** The calibration errors the verdict quotes, beside what a perfectly calibrated model shows by chance. */
function calibrationSection(d: TestDecisions): Section {
  const row = (name: string, ece: number, floor: number) => [name, f4(ece), f4(floor), f4(2 * floor)];
  return {
    kind: "table",
    title: "Calibration",
    note:
      "Expected calibration error over 10 bins of a probability; a perfectly calibrated model would show " +
      "the floor on these windows by chance, and an ECE within twice it is read as chance.",
    columns: ["probability binned", "ECE", "floor (chance)", "2 × floor"],
    rows: [
      row("the top class's", d.ece, d.eceFloor),
      // Under the prior rule the served confidence is the named class's probability, often not the top's.
      ...(d.rule !== "argmax" && d.confidenceEce !== undefined
        ? [
          row(
            `the served confidence (the class the '${d.rule}' rule names)`,
            d.confidenceEce,
            d.confidenceEceFloor ?? NaN,
          ),
        ]
        : []),
    ],
  };
}

/** Per-class precision, recall and F1 of every row, argmax. */
function perClassSection(r: TrainingReportInput, rows: readonly (readonly [string, Metrics])[]): Section {
  return {
    kind: "table",
    title: "Per class (argmax)",
    note: `${baseRatesNote(r.test.confusion_matrix)} ${PRECISION_NOTE}`,
    columns: ["", ...CLASSES.flatMap((c) => [`${c} precision`, `${c} recall`, `${c} F1`])],
    rows: rows.map(([name, m]) => [
      name,
      ...CLASSES.flatMap((c) => [precisionCell(m, c), m.per_class[c].recall, m.per_class[c].f1]),
    ]),
    highlight: [0],
  };
}

/** The confusion matrices (argmax, and the served rule's) and the reliability diagram. */
function predictionsSection(r: TrainingReportInput): Section {
  const d = r.decisions;
  return {
    kind: "figures",
    title: "Test predictions",
    note: d
      ? d.rule !== "argmax" && d.confidenceReliability
        ? "The first reliability diagram bins the top class's probability, the second the served confidence " +
          "(the probability of the class the rule names); their ECEs are in the Calibration table."
        : "The reliability diagram bins the top class's probability; its ECE is in the Calibration table."
      : undefined,
    figures: [
      { caption: "Confusion matrix, argmax", html: confusionMatrix(r.test.confusion_matrix, CLASSES) },
      ...(d && d.rule !== "argmax"
        ? [{
          caption: `Confusion matrix, ${d.rule} rule (served)`,
          html: confusionMatrix(d.served.confusion_matrix, CLASSES),
        }]
        : []),
      ...(d
        ? [{
          caption: "Reliability diagram",
          html: reliabilityDiagram([{ name: modelRowName(r), bins: d.reliability }]),
        }]
        : []),
      // The confidence a bot reads: "off by about 0.015 on average, more at some confidence levels" pointed at
      // bins no file held (a researcher's reading).
      ...(d && d.rule !== "argmax" && d.confidenceReliability
        ? [{
          caption: `Reliability diagram, served confidence (${d.rule} rule)`,
          // Its bins are the named class's probability, not the top class's (a quant's trial: the axis said so).
          html: reliabilityDiagram(
            [{ name: modelRowName(r), bins: d.confidenceReliability }],
            `served confidence (class the ${d.rule} rule names)`,
          ),
        }]
        : []),
    ],
  };
}

/**
 * report.html's content for a trained version: test-split scores beside the baselines', the decision rules',
 * the served calls and calibration, training curves per member, and the verdict with every finding train
 * prints about the model.
 */
export function trainingReport(r: TrainingReportInput): ReportData {
  // A blend's scores are not the network's: named as train prints them, the network's own row beside them.
  const rows: [string, Metrics][] = [
    [modelRowName(r), r.test],
    ...(r.blend ? [["network alone", r.blend.network] as [string, Metrics]] : []),
    ...Object.entries(r.baselines),
  ];
  const d = r.decisions;
  return {
    title: `candlecast train — ${r.version}`,
    subtitle: `${r.modelType}${
      r.temperature !== undefined ? `, temperature ${r.temperature.toFixed(3)}` : ""
    }${r.blend ? `; serves ${blendWords(r.blend)}` : ""}`,
    facts: r.facts,
    verdict: verdictOf(r),
    sections: [
      testSplitSection(r, rows),
      ...(d ? [decisionRulesSection(r, d), ...servedCallsSection(d), ...learnersServedSection(r, d)] : []),
      perClassSection(r, rows),
      curvesSection(r),
      ...(d ? [calibrationSection(d)] : []),
      predictionsSection(r),
    ],
  };
}
