/**
 * The summary's backtest section: the model and the best baseline traded at every confidence threshold and
 * under the prior rule, every learner's trades, buy-and-hold, and the equity curves of what is served.
 */
import type { CandleSeries } from "../../features/index.ts";
import {
  type Backtest,
  backtest,
  type BacktestOptions,
  buyAndHold,
  type SymbolSignals,
  YEAR_MS,
} from "./backtest.ts";
import { CONFIDENCE_THRESHOLDS, type PredictionSet } from "./scores.ts";
import type { BacktestReport, Curve, SummaryOptions } from "./summary_types.ts";

/** Where each pooled test window is: its symbol (an index into the series) and its last candle there. */
export interface WindowPlaces {
  readonly seriesIndex: Int32Array;
  readonly ends: Int32Array;
}

/** The prior rule's decisions as 0/1 "probabilities": above any threshold in (0, 1) exactly when named. */
function ruleAsProbabilities(p: PredictionSet): PredictionSet {
  const probabilities = new Float32Array(p.priorClasses.length * 3);
  p.priorClasses.forEach((c, i) => void (probabilities[i * 3 + c] = 1));
  return { ...p, probabilities };
}

/** Every symbol's predicted windows in time order with P(UP) and P(DOWN), for the backtest. */
function signalsOf(
  series: readonly CandleSeries[],
  { seriesIndex, ends }: WindowPlaces,
  p: PredictionSet,
): SymbolSignals[] {
  return series.map((s, k) => {
    const rows = [];
    for (let i = 0; i < ends.length; i++) if (seriesIndex[i] === k) rows.push(i);
    rows.sort((a, b) => ends[a] - ends[b]);
    return {
      symbol: s.symbol,
      openTime: s.openTime,
      close: s.close,
      ends: Int32Array.from(rows, (i) => ends[i]),
      pUp: Float64Array.from(rows, (i) => p.probabilities[i * 3 + 2]),
      pDown: Float64Array.from(rows, (i) => p.probabilities[i * 3]),
    };
  }).filter((s) => s.ends.length > 0);
}

/** At most `points` points of a curve (every k-th, always keeping the last), as plain arrays for JSON. */
export function thinCurve(b: Backtest, points = 800): Curve {
  const { times, equity } = b.curve;
  const step = Math.max(1, Math.ceil(times.length / points));
  const t: number[] = [], e: number[] = [];
  for (let i = 0; i < times.length; i += step) {
    t.push(times[i]);
    e.push(equity[i]);
  }
  if (times.length > 0 && (times.length - 1) % step !== 0) {
    t.push(times[times.length - 1]);
    e.push(equity[equity.length - 1]);
  }
  return { times: t, equity: e };
}

/**
 * The backtest section of the summary: the model (`opts.model`) and the best baseline (`best`) at every
 * confidence threshold and under the prior rule, every learner at the trade threshold and under the prior
 * rule, buy-and-hold, and thinned equity curves. `interval` is the candles' step (ms).
 */
export function backtestSection(
  series: readonly CandleSeries[],
  places: WindowPlaces,
  pooled: Readonly<Record<string, PredictionSet>>,
  best: string,
  interval: number,
  opts: Pick<SummaryOptions, "model" | "horizon" | "threshold" | "fee" | "short" | "decisionRule">,
): BacktestReport {
  const names = Object.keys(pooled);
  const trade = (threshold: number): BacktestOptions => ({
    threshold,
    horizon: opts.horizon,
    fee: opts.fee,
    short: opts.short,
    periodsPerYear: YEAR_MS / interval,
  });
  const modelSignals = signalsOf(series, places, pooled[opts.model]);
  const baselineSignals = signalsOf(series, places, pooled[best]);
  const thresholds = [...new Set([...CONFIDENCE_THRESHOLDS, opts.threshold])].sort((a, b) => a - b);
  const rows = thresholds.map((threshold) => ({
    threshold,
    model: backtest(modelSignals, trade(threshold)),
    baseline: backtest(baselineSignals, trade(threshold)),
  }));
  const hold = buyAndHold(modelSignals, trade(opts.threshold));
  const chosen = rows.find((r) => r.threshold === opts.threshold)!;
  const ruled = (name: string) =>
    backtest(signalsOf(series, places, ruleAsProbabilities(pooled[name])), trade(0.5));
  const priorRule = { model: ruled(opts.model), baseline: ruled(best) };
  const learnerTrades = Object.fromEntries(names.map((n) => [n, {
    threshold: n === opts.model
      ? chosen.model.summary
      : n === best
      ? chosen.baseline.summary
      : backtest(signalsOf(series, places, pooled[n]), trade(opts.threshold)).summary,
    prior_rule: n === opts.model
      ? priorRule.model.summary
      : n === best
      ? priorRule.baseline.summary
      : ruled(n).summary,
  }]));
  // The curves trade what is served: the prior rule's calls where it is the version's rule (the verdict's
  // headline trades them too), and where a threshold the model never passes would draw flat lines.
  const curvesRule: BacktestReport["curves_rule"] = priorRule.model.summary.trades > 0 &&
      (opts.decisionRule === "prior" || chosen.model.summary.trades === 0)
    ? "prior_rule"
    : "threshold";
  const drawn = curvesRule === "prior_rule" ? priorRule : chosen;
  return {
    fee: opts.fee,
    short: opts.short,
    horizon: opts.horizon,
    threshold: opts.threshold,
    rows: rows.map((r) => ({
      threshold: r.threshold,
      model: r.model.summary,
      baseline: r.baseline.summary,
    })),
    prior_rule: { model: priorRule.model.summary, baseline: priorRule.baseline.summary },
    learners: learnerTrades,
    buy_and_hold: hold.summary,
    curves_rule: curvesRule,
    curves: {
      model: thinCurve(drawn.model),
      baseline: thinCurve(drawn.baseline),
      buy_and_hold: thinCurve(hold),
    },
  };
}
