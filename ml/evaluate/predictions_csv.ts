/**
 * `evaluate`'s per-window record, predictions.csv: every test window of every fold with its outcome and each
 * learner's calibrated probabilities and predicted return, so a user can study what the tables summarise (a
 * calibration curve per symbol, a threshold of their own, another scoring rule) without re-running the folds.
 */
import { stringify } from "csv-stringify/sync";
import { type CandleSeries, CLASSES } from "../../features/index.ts";
import type { FoldOutcome } from "./walk_forward.ts";

const time = (ms: number) => (Number.isFinite(ms) ? String(ms) : "");
/**
 * The shortest text that reads back as the same double: a user who recomputes a figure from the file (a log-loss,
 * the bootstrap, the ECE) gets the summary's value, not one off in the 6th digit as 6 significant digits gave.
 * The file is about twice as large for it (a 1h quarter's: ~3 MB before).
 */
const num = (v: number) => (Number.isFinite(v) ? String(v) : "");

/**
 * The CSV text: one row per test window, in fold then window order. Columns: `fold` (its test month), `symbol`,
 * `open_time` (the window's last candle, ms since the epoch as in the training CSV, so the two join; empty
 * without times), `label` (the class that came),
 * `return` (the forward return the label was cut from), then per learner, in `learners`' order,
 * `<learner>_p_down`, `<learner>_p_sideways`, `<learner>_p_up` and `<learner>_return`, and last, per learner,
 * `<learner>_call`: the class the prior rule names (probabilities ÷ the fold's training class shares; a
 * rule-based baseline's own call, persistence's the last candle's direction, whose probabilities are class
 * shares). Without it persistence's scores could not be recomputed from the file (an analyst's trial).
 *
 * @example
 * ```ts
 * await writeFileAtomic("evaluation/predictions.csv", predictionsCsv(series, outcomes, ["transformer_lstm"]));
 * ```
 */
export function predictionsCsv(
  series: readonly CandleSeries[],
  outcomes: readonly FoldOutcome[],
  learners: readonly string[],
): string {
  const header = ["fold", "symbol", "open_time", "label", "return"];
  for (const name of learners) {
    header.push(...CLASSES.map((c) => `${name}_p_${c.toLowerCase()}`), `${name}_return`);
  }
  // After every learner's numbers: a reader indexing the columns above by position finds them where they were.
  header.push(...learners.map((name) => `${name}_call`));
  // Quoted where needed by the same writer as the training CSV: a C# export's symbol may hold a comma.
  const rows: string[][] = [header];
  for (const outcome of outcomes) {
    const test = outcome.test;
    const sets = learners.map((name) => {
      const set = outcome.predictions[name];
      if (!set) throw new Error(`predictionsCsv: fold ${outcome.plan.label} has no predictions of ${name}`);
      return set;
    });
    for (let i = 0; i < test.labels.length; i++) {
      const row = [
        outcome.plan.label,
        series[test.seriesIndex[i]].symbol,
        time(test.times[i]),
        CLASSES[test.labels[i]],
        num(test.returns[i]),
      ];
      for (const set of sets) {
        const p = set.probabilities;
        row.push(num(p[3 * i]), num(p[3 * i + 1]), num(p[3 * i + 2]), num(set.returns[i]));
      }
      for (const set of sets) row.push(CLASSES[set.priorClasses[i]]);
      rows.push(row);
    }
  }
  return stringify(rows);
}
