/**
 * What a version's served calls and probabilities are worth on a test span, in words: each of its UP and DOWN
 * calls' hit rate against how often that class came, and its calibration error against what chance alone
 * shows. train and evaluate print the columns (precision, base rate, ECE, floor) and left the reading to the
 * user; a run of 2018 candles (s48) served DOWN calls right 25.4 % of the time against a 25.8 % base rate and
 * an ECE of 0.053, and nothing under the tables said that a bot should not act on them.
 *
 * @example
 * ```ts
 * servedCallsWords({ calls: metrics, baseRate: { down: 0.258, up: 0.259 }, ece: 0.053, eceFloor: 0.008, rule: "prior" });
 * // [ "Served calls: DOWN right 25.4 % of the time against its 25.8 % base rate (−0.4 points, 5,078 calls); …",
 * //   "Calibration of confidence (the probability of the class the 'prior' rule names): ECE 0.0526, …" ]
 * ```
 */
import { CLASSES, type ClassName } from "../../features/index.ts";
import { plural } from "../../base/index.ts";
import type { Metrics } from "../metrics/index.ts";

/** Fewer calls of a class than this, and its precision is no hit rate (a count is shown instead). */
export const FEW_CALLS = 30;

/** The calibration error the project calls calibrated (issue 11's bar). */
export const CALIBRATED_ECE = 0.02;

export interface ServedCalls {
  /** The classes the version names when served (its decision rule's), against the truth. */
  readonly calls: Pick<Metrics, "per_class" | "confusion_matrix">;
  /** How often DOWN and UP came on these windows. */
  readonly baseRate: { readonly down: number; readonly up: number };
  /**
   * The calibration error of `confidence` as served: binned by the probability of the class the rule names
   * (`calibrationOf`'s `chosen`), which under argmax is the top class's.
   */
  readonly ece: number;
  /** The ECE a perfectly calibrated model would show on these windows by chance (a lower bound). */
  readonly eceFloor: number;
  /**
   * An upper estimate of that noise where one was measured (evaluate's floor from the bootstrap's blocks, which
   * counts windows that move together). The noise read against is the larger of it and twice `eceFloor`,
   * about what the block floors have read.
   */
  readonly eceNoise?: number;
  /** The decision rule whose named class `confidence` is; said beside the figure when it is not argmax. */
  readonly rule?: string;
}

/** A share as the served-calls line writes it: "25.4 %" (train's report tables write it so too). */
export const callPercent = (x: number) => `${(100 * x).toFixed(1)} %`;

/** A hit rate's distance from its base rate as the line writes it: "+3.1 points", "−19.6 points". */
export function pointsText(precision: number, base: number): string {
  const points = 100 * (precision - base);
  return `${points >= 0 ? "+" : "−"}${Math.abs(points).toFixed(1)} points`;
}

/** How many windows a decision rule named `c` on: its column of the confusion matrix (rows: the truth). */
export function callsOf(m: Pick<Metrics, "confusion_matrix">, c: ClassName): number {
  const k = CLASSES.indexOf(c);
  return m.confusion_matrix.reduce((n, row) => n + (row[k] ?? 0), 0);
}

/** Two sentences: whether the UP and DOWN calls beat their base rates, and how far to trust `confidence`. */
export function servedCallsWords(s: ServedCalls): string[] {
  const beat: string[] = [], unclear: string[] = [], useless: string[] = [];
  const parts = (["DOWN", "UP"] as const).map((c) => {
    const calls = callsOf(s.calls, c);
    const base = c === "UP" ? s.baseRate.up : s.baseRate.down;
    if (calls === 0) return `${c} never named`;
    if (calls < FEW_CALLS) return `${c} named ${plural(calls, "time")}, too few to tell a hit rate`;
    const p = s.calls.per_class[c].precision;
    // Two standard errors of a hit rate over `calls` independent calls: what chance alone gives at the least
    // (overlapping windows and symbols that move together make the calls fewer in effect, chance larger).
    const chance = 2 * Math.sqrt(base * (1 - base) / calls);
    (p - base > chance ? beat : p > base ? unclear : useless).push(c);
    return `${c} right ${callPercent(p)} of the time against its ${callPercent(base)} base rate (` +
      `${pointsText(p, base)}, ${plural(calls, "call")})`;
  });
  const said = (classes: string[], words: string) =>
    classes.length ? [`${classes.join(" and ")} calls ${words}`] : [];
  const readings = [
    // Counted as independent calls, chance is the least it can be; the words say so, as the rank correlation's
    // and ECE's say what overlapping windows do to theirs (a researcher's reading).
    ...said(
      beat,
      "above the base rate by more than chance gives to independent calls (the least it gives: overlapping windows give more)",
    ),
    ...said(unclear, "above it by less than chance gives on so many calls"),
    ...said(useless, "no better than guessing from the base rate here: a bot should not act on them"),
  ];
  const served = `Served calls: ${parts.join("; ")}: ${
    readings.length ? readings.join("; ") : "too few calls to tell whether they beat guessing"
  }.`;
  if (!Number.isFinite(s.ece) || !Number.isFinite(s.eceFloor)) {
    return [served, "Calibration: no windows to measure it on."];
  }
  const noise = Math.max(2 * s.eceFloor, Number.isFinite(s.eceNoise) ? s.eceNoise! : 0);
  return [
    served,
    `Calibration of confidence${
      s.rule && s.rule !== "argmax" ? ` (the probability of the class the '${s.rule}' rule names)` : ""
    }: ECE ${s.ece.toFixed(4)}, where a perfectly calibrated model would show about ` +
    `${s.eceFloor.toFixed(4)} on this many windows by chance: ` +
    (s.ece > noise && s.ece > CALIBRATED_ECE
      ? `above ${CALIBRATED_ECE} and beyond chance, so confidence is off by about ${
        s.ece.toFixed(2)
      } on average; read it as a ranking more than as a probability.`
      // Near its noise an ECE says nothing either way: "off by 0.04" from 651 windows whose floor was 0.028
      // would state as a fault what chance alone gives, and "within 0.02" from 203 windows whose floor was
      // 0.039 (a trial on 8 months of 4h candles) as a virtue.
      : noise > CALIBRATED_ECE
      ? `chance alone gives up to about ${
        noise.toFixed(4)
      } on these windows, so they are too few to tell how well confidence is calibrated.`
      // Within the bar but past its noise is a small miscalibration that is really there (an audit of 1h
      // 2023-Q4: 0.0175 against chance's 0.0169, over-confident in every bin from 0.5): not "read as a
      // probability" unqualified.
      : s.ece > noise
      ? `within ${CALIBRATED_ECE} but beyond what chance gives on these windows (up to about ${
        noise.toFixed(4)
      }): confidence is off by about ${
        s.ece.toFixed(3)
      } on average, more at some confidence levels, so read it as a probability to within that.`
      : `within ${CALIBRATED_ECE} and within what chance gives on these windows (up to about ${
        noise.toFixed(4)
      }), so confidence can be read as a probability.`),
  ];
}
