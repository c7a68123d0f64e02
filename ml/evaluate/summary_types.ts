/**
 * The evaluation summary's types: what `summarize` is given and returns, read by the tables, the report and
 * the CLI.
 */
import type { EpochRecord, StopReason } from "../train/index.ts";
import type { BacktestSummary } from "./backtest.ts";
import type { BootstrapResult, Interval } from "./bootstrap.ts";
import type { FoldAction } from "./folds.ts";
import type { Scores } from "./scores.ts";
import type { DecisionRule } from "../../engine/index.ts";

export interface SummaryOptions {
  /** The learner under evaluation; every other learner is a baseline. */
  readonly model: string;
  readonly horizon: number;
  /** Backtest: enter above this probability (the equity curves use it). */
  readonly threshold: number;
  readonly fee: number;
  readonly short: boolean;
  readonly seed: number;
  readonly resamples?: number;
  /**
   * The rule by which the model's version names a class when served (`prior` for what `train` writes; a
   * checkpoint's stored one). The verdict's macro-F1 compares the classes that rule names, the best
   * baseline's under the same rule, so it judges the calls a trading bot receives.
   */
  readonly decisionRule: DecisionRule;
  /**
   * The newest candle (ms) the evaluated model was trained on, for a checkpoint evaluated as it is. When it
   * reaches into the folds, their scores are in-sample: reported, flagged, and given no verdict.
   */
  readonly trainedUntil?: number;
  /**
   * Labels of planned folds that are not among `outcomes` (an interrupted run): the summary is marked partial
   * and its verdict says it covers the finished folds only.
   */
  readonly missingFolds?: readonly string[];
  /**
   * The blend the folds computed (`WalkForwardOptions.blend`: the model with gradient boosting), scored as
   * `EvaluationSummary.blend`; absent: none (a blended checkpoint kept as it is is not blended again).
   */
  readonly blend?: { readonly model: string; readonly with: string; readonly weight: number };
}

/** Folds a checkpoint has already seen: their scores are in-sample and not evidence. */
export interface InSample {
  /** ISO time of the newest candle the model was trained on. */
  readonly trained_until: string;
  /** Labels of the folds whose test block starts at or before that candle. */
  readonly folds: readonly string[];
  readonly message: string;
}

export interface FitSummary {
  readonly seconds: number;
  readonly fine_tuned: boolean;
  readonly train_windows: number;
  readonly temperature?: number;
  /** Gradient boosting's iterations kept (early stopping on the fold's validation block); absent for others. */
  readonly iterations?: number;
  readonly best_epoch?: number | null;
  readonly stop_reason?: StopReason;
  readonly history?: readonly EpochRecord[];
}

export interface FoldResult {
  readonly index: number;
  readonly label: string;
  readonly validation_start: string;
  readonly test_start: string;
  readonly test_end: string;
  readonly action: FoldAction;
  readonly windows: { readonly train: number; readonly validation: number; readonly test: number };
  readonly scores: Readonly<Record<string, Scores>>;
  readonly fits: Readonly<Record<string, FitSummary | null>>;
  readonly priors: Readonly<Record<string, readonly number[]>>;
}

export interface Curve {
  readonly times: readonly number[];
  readonly equity: readonly number[];
}

export interface BacktestRow {
  readonly threshold: number;
  readonly model: BacktestSummary;
  readonly baseline: BacktestSummary;
}

export interface BacktestReport {
  readonly fee: number;
  readonly short: boolean;
  readonly horizon: number;
  /** The --trade-threshold. */
  readonly threshold: number;
  readonly rows: readonly BacktestRow[];
  /**
   * Trading the prior-corrected decision instead of a fixed probability: long when it names UP (short when
   * DOWN, with `short`). Calibrated 3-class probabilities seldom pass 0.4, so a fixed threshold often trades
   * nothing; the prior rule is relative to each class's base rate.
   */
  readonly prior_rule: { readonly model: BacktestSummary; readonly baseline: BacktestSummary };
  /** Every learner's trades at the threshold and under the prior rule. */
  readonly learners: Readonly<
    Record<string, { readonly threshold: BacktestSummary; readonly prior_rule: BacktestSummary }>
  >;
  readonly buy_and_hold: BacktestSummary;
  /**
   * What the equity curves trade: the prior rule's calls where that is the served rule (or where the model never
   * passes the threshold), else the threshold.
   */
  readonly curves_rule: "threshold" | "prior_rule";
  readonly curves: { readonly model: Curve; readonly baseline: Curve; readonly buy_and_hold: Curve };
}

/** Scores of the model and the best baseline on one symbol's test windows. */
export interface SymbolScores {
  readonly symbol: string;
  readonly windows: number;
  readonly scores: Readonly<
    Record<string, { readonly accuracy: number; readonly macro_f1: number; readonly log_loss: number }>
  >;
}

export interface Verdict {
  /**
   * "better", "worse" or "no clear difference", from the bootstrap interval over every fold (the one the
   * tables show); NOT_JUDGED_VERDICT when that interval stands on too few blocks (the lines' "Not judged");
   * IN_SAMPLE_VERDICT when any fold is in-sample.
   */
  readonly log_loss: string;
  readonly macro_f1: string;
  /**
   * The same words over the out-of-sample folds alone, when a checkpoint had seen only some folds: the verdict
   * the lines give, from a bootstrap over those folds.
   */
  readonly out_of_sample?: {
    readonly log_loss: string;
    readonly macro_f1: string;
    /**
     * The figures those words read, over the out-of-sample folds alone: the pooled `bootstrap` and tables
     * include the in-sample folds, and a script reading evaluation.json found the judged numbers only in
     * `lines`' text.
     */
    readonly windows: number;
    readonly best_baseline: string;
    readonly bootstrap: Pick<BootstrapResult, "log_loss_diff" | "macro_f1_diff" | "blocks" | "level">;
    /**
     * The backtest over those folds (the verdict's backtest line): the `backtest` section and its curves trade
     * every fold, the in-sample ones too (a quant's trial).
     */
    readonly backtest: Pick<BacktestReport, "prior_rule" | "learners" | "buy_and_hold">;
  };
  /** Labels of the folds the verdict judges: every fold, the out-of-sample ones, or none (all in-sample). */
  readonly folds: readonly string[];
  readonly lines: readonly string[];
}

/** The model blended with gradient boosting, scored like a learner, with its log-loss against each part. */
export interface BlendSummary {
  readonly with: "gradient_boosting";
  /** The model's share of the probabilities. */
  readonly weight: number;
  /**
   * Each fold's blend temperature, as train would serve it (`blendTemperature`): fit on its validation windows
   * after a training from scratch, the fold before's kept after a fine-tune with fewer than 200 of them, or
   * after a model kept as it was.
   */
  readonly temperatures: readonly number[];
  /**
   * Each fold's gradient-boosting temperature, fit on its validation windows before blending (as a fresh
   * train's); the fold before's where the model was kept as it was. A fine-tuned (weekly) fold refits it with
   * its boosting, where `train --incremental` keeps its parent's trees and temperature.
   */
  readonly boosting_temperatures: readonly number[];
  readonly log_loss: number;
  readonly ece: number;
  /** log-loss(blend) − log-loss(part), from the bootstrap's blocks and seed: below 0 favours the blend. */
  readonly log_loss_diff: { readonly gradient_boosting: Interval; readonly model: Interval };
}

export interface EvaluationSummary {
  readonly model: string;
  readonly baselines: readonly string[];
  readonly best_baseline: string;
  readonly symbols: readonly string[];
  readonly windows: number;
  readonly folds: readonly FoldResult[];
  /** Every fold's test windows pooled. */
  readonly overall: Readonly<Record<string, Scores>>;
  /** Pooled scores per symbol, for every learner. */
  readonly per_symbol: readonly SymbolScores[];
  readonly bootstrap: BootstrapResult & {
    readonly baseline: string;
    readonly block_candles: number;
    /** The rule whose classes `macro_f1_diff` compares (`SummaryOptions.decisionRule`). */
    readonly decision_rule: DecisionRule;
    /**
     * log-loss(model) − log-loss(baseline) for every baseline, from the same blocks and seed (the best
     * baseline's is `log_loss_diff`).
     */
    readonly log_loss_diff_by_baseline: Readonly<Record<string, Interval>>;
    /** The pooled macro-F1 of the model and of the best baseline under that rule: the difference's two terms. */
    readonly macro_f1: { readonly model: number; readonly baseline: number };
  };
  readonly backtest: BacktestReport;
  /**
   * What `train --blend-boosting` would serve: the model's and gradient boosting's calibrated probabilities
   * averaged, pooled over the folds. Not a baseline and not the model: the verdict never reads it. Null when
   * either learner is missing.
   */
  readonly blend: BlendSummary | null;
  /** Set when the model had seen some folds' data in training (null otherwise); the verdict is withheld. */
  readonly in_sample: InSample | null;
  /** Set when some planned folds did not run (an interrupted evaluation; null otherwise). */
  readonly partial: PartialRun | null;
  readonly verdict: Verdict;
}

/** Why some planned folds are missing from a summary: the run was interrupted before they ran. */
export interface PartialRun {
  readonly reason: "interrupted";
  /** Labels of the folds that finished and are scored here. */
  readonly folds_done: readonly string[];
  /** Labels of the planned folds that did not run (or did not finish) and are not in any number here. */
  readonly folds_missing: readonly string[];
}
