/**
 * Live quality of served predictions: accuracy, macro-F1, log-loss and calibration per day and per model
 * version, and a warning when a version's last week is worse than its own test metrics beyond what chance
 * explains (`week_interval.ts`). Everything is summed one prediction at a time (`MonitorTally`), so monitor
 * keeps counters per day and version, and of the predictions themselves only each version's last week, in about 20
 * bytes each; `monitorReport` of an array gives the same figures.
 */
import { CLASSES } from "../../features/index.ts";
import { plural, utcMinute } from "../../base/index.ts";
import { isVersionName, versionNumber } from "../../engine/index.ts";
import { expectedCalibrationError, MetricsAccumulator, ReliabilityAccumulator } from "../metrics/index.ts";
import type { JoinedPrediction } from "./join.ts";
import { MIN_WEEK_BLOCKS, WEEK_BLOCK, type WeekInterval, WeekSample } from "./week_interval.ts";

export interface LiveScores {
  readonly predictions: number;
  readonly accuracy: number;
  readonly macro_f1: number;
  readonly log_loss: number;
  /** Mean probability of the predicted class: what `confidence` promised. */
  readonly mean_confidence: number;
  /**
   * Expected calibration error of the served `confidence` over 10 bins of the served class's probability
   * (0 = confidence means what it says).
   */
  readonly ece: number;
  /** The ECE a perfectly calibrated model would show on these predictions from sampling alone (`calibrationFloor`). */
  readonly ece_floor: number;
}

export interface TestScores {
  readonly macro_f1: number;
  readonly log_loss: number;
  readonly accuracy: number;
  /**
   * The decision rule these classification scores were taken under: the version's served rule (metrics.json
   * `served.metrics`, the same rule that named the logged `prediction`), or absent for an old version that
   * stored argmax `test` figures only.
   */
  readonly rule?: string;
  /**
   * The test split's ECE of the served confidence (metrics.json `served.confidence_ece`), what monitor's live
   * `ece` measures; absent for a version that did not record it.
   */
  readonly ece?: number;
}

export interface MonitorReport {
  readonly byDay: { readonly day: string; readonly version: string; readonly scores: LiveScores }[];
  readonly byVersion: {
    readonly version: string;
    readonly scores: LiveScores;
    readonly lastWeek: LiveScores | null;
    /** The last week's 95 % intervals, when it was judged against test figures (null: not judged). */
    readonly lastWeekInterval: WeekInterval | null;
  }[];
  /**
   * Versions whose last week is worse than their test split, each with the sentence that says so and the
   * metrics it names (for `monitor --json`, which should not parse the sentence).
   */
  readonly warnings: {
    readonly version: string;
    readonly message: string;
    readonly worse: readonly ("macro_f1" | "log_loss")[];
  }[];
  /** Versions with test figures whose last week holds too few predictions to judge (`MIN_WEEK_PREDICTIONS`). */
  readonly unjudged: { readonly version: string; readonly message: string }[];
}

const DAY = 86_400_000;

/**
 * The fewest scored predictions in a week that monitor judges against the test split: four blocks of the 24
 * consecutive predictions the week's interval resamples (`WeekSample.interval`). With fewer, the interval
 * shortens its blocks and treats neighbouring predictions as independent, and from one to three predictions
 * every resample is the week itself: a single wrong call gave macro-F1 0.000 "(95 % interval 0.000 … 0.000)"
 * and a warning.
 */
export const MIN_WEEK_PREDICTIONS = MIN_WEEK_BLOCKS * WEEK_BLOCK;

const byCodeUnit = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0;

/** Versions by their number (v5 before v12); a name that is no version's after them, by code unit. */
function versionOrder(a: string, b: string): number {
  const [na, nb] = [a, b].map((v) => isVersionName(v) ? versionNumber(v) : Infinity);
  return na !== nb ? (na < nb ? -1 : 1) : byCodeUnit(a, b);
}

/** LiveScores summed one prediction at a time, in the order given (the same sums as over an array). */
export class ScoresTally {
  readonly #metrics = new MetricsAccumulator();
  readonly #reliability = new ReliabilityAccumulator();
  readonly #row = new Float64Array(3);
  #n = 0;
  #confidence = 0;

  add(r: JoinedPrediction): void {
    const p = r.record.probabilities;
    this.#row.set([p.down, p.sideways, p.up]);
    const predicted = CLASSES.indexOf(r.record.prediction);
    this.#metrics.add([r.label], this.#row, [r.realisedReturn], [r.record.expected_return], [predicted]);
    // Binned by the served class's probability, the `confidence` the bot read (under the prior rule often not
    // the top class's): a version naming DOWN at 0.33 that came 25 % of the time showed the top class's 0.044.
    this.#reliability.add(this.#row, 0, r.label, predicted);
    this.#confidence += this.#row[predicted];
    this.#n++;
  }

  result(): LiveScores {
    const m = this.#metrics.result();
    return {
      predictions: this.#n,
      accuracy: m.accuracy,
      macro_f1: m.macro_f1,
      log_loss: m.log_loss,
      mean_confidence: this.#confidence / this.#n,
      ece: expectedCalibrationError(this.#reliability.table()),
      ece_floor: this.#reliability.floor(),
    };
  }
}

/**
 * The monitor report summed as predictions stream by: per day and version, per version, and per version over
 * its last week — the week before its latest scored prediction, so `latest` (per version, ms) must be known
 * beforehand (monitor reads the log twice: once to join and find it, once to sum).
 */
export class MonitorTally {
  readonly #byDay = new Map<string, ScoresTally>();
  readonly #byVersion = new Map<
    string,
    { all: ScoresTally; week: ScoresTally; weekRows: number; sample: WeekSample }
  >();

  constructor(private readonly latest: ReadonlyMap<string, number>) {}

  add(r: JoinedPrediction): void {
    const { time, version } = r.record;
    const day = `${time.slice(0, 10)} ${version}`;
    let d = this.#byDay.get(day);
    if (!d) this.#byDay.set(day, d = new ScoresTally());
    d.add(r);
    let v = this.#byVersion.get(version);
    if (!v) {
      this.#byVersion.set(
        version,
        v = { all: new ScoresTally(), week: new ScoresTally(), weekRows: 0, sample: new WeekSample() },
      );
    }
    v.all.add(r);
    if (Date.parse(time) > (this.latest.get(version) ?? Infinity) - 7 * DAY) {
      v.week.add(r);
      v.weekRows++;
      const p = r.record.probabilities;
      const realised = r.label === 0 ? p.down : r.label === 1 ? p.sideways : p.up;
      v.sample.add(r.label, CLASSES.indexOf(r.record.prediction), realised);
    }
  }

  /**
   * `testScores` holds each version's metrics.json test figures, when its checkpoint still has them: those of
   * its served rule (`served.metrics`) where stored, as live predictions are scored by the class served named.
   */
  report(testScores: ReadonlyMap<string, TestScores>): MonitorReport {
    const byDay = [...this.#byDay]
      .map(([key, tally]) => ({ day: key.slice(0, 10), version: key.slice(11), tally }))
      // By day, then by version number (v5 before v12, as the per-version table has them; by text, v12 came
      // first: a year's trial); other names by UTF-16 code unit, never localeCompare: the report's order must
      // not depend on the host's locale.
      .sort((a, b) => byCodeUnit(a.day, b.day) || versionOrder(a.version, b.version))
      .map(({ day, version, tally }) => ({ day, version, scores: tally.result() }));
    const warnings: MonitorReport["warnings"][number][] = [];
    const unjudged: { version: string; message: string }[] = [];
    const byVersion = [...this.#byVersion].map(([version, v]) => {
      const lastWeek = v.weekRows > 0 ? v.week.result() : null;
      const test = testScores.get(version);
      let lastWeekInterval: WeekInterval | null = null;
      if (lastWeek && test && lastWeek.predictions < MIN_WEEK_PREDICTIONS) {
        unjudged.push({
          version,
          message:
            `${version}: the last week${this.#weekEnd(version)} has only ${lastWeek.predictions} scored ` +
            `predictions, too few to judge against its test split (monitor needs ${MIN_WEEK_PREDICTIONS})`,
        });
      } else if (lastWeek && test) {
        // Worse only when the week's whole 95 % interval is on the worse side of the test figure: a week's point
        // estimate falls below it about half the time by chance, and --fail-on-warning would fail on noise.
        const ci = v.sample.interval();
        lastWeekInterval = ci;
        const range = ([lo, hi]: readonly [number, number]) =>
          `95 % interval ${lo.toFixed(3)} … ${hi.toFixed(3)}`;
        const worse: string[] = [];
        const metrics: ("macro_f1" | "log_loss")[] = [];
        if (ci.macro_f1[1] < test.macro_f1) {
          metrics.push("macro_f1");
          worse.push(
            `macro-F1 ${lastWeek.macro_f1.toFixed(3)} (${range(ci.macro_f1)}) < test ${
              test.macro_f1.toFixed(3)
            }`,
          );
        }
        if (ci.log_loss[0] > test.log_loss) {
          metrics.push("log_loss");
          worse.push(
            `log-loss ${lastWeek.log_loss.toFixed(3)} (${range(ci.log_loss)}) > test ${
              test.log_loss.toFixed(3)
            }`,
          );
        }
        if (worse.length > 0) {
          const predictions = plural(lastWeek.predictions, "prediction");
          const split = test.rule ? `its test split under its served '${test.rule}' rule` : "its test split";
          warnings.push({
            version,
            message: `${version}: the last week${this.#weekEnd(version)} (${predictions}) ` +
              "is worse than " +
              `${split}: ${worse.join(", ")}`,
            worse: metrics,
          });
        }
      }
      return { version, scores: v.all.result(), lastWeek, lastWeekInterval };
    });
    return { byDay, byVersion, warnings, unjudged };
  }

  /** " to 2026-01-11": the last day of a version's last week, or nothing when unknown. */
  #weekEnd(version: string): string {
    const end = this.latest.get(version);
    return end === undefined ? "" : ` to ${new Date(end).toISOString().slice(0, 10)}`;
  }
}

/** Per version, the time (ms) of its latest prediction among `joined`. */
export function latestByVersion(joined: Iterable<JoinedPrediction>): Map<string, number> {
  const latest = new Map<string, number>();
  for (const r of joined) {
    const t = Date.parse(r.record.time);
    latest.set(r.record.version, Math.max(latest.get(r.record.version) ?? -Infinity, t));
  }
  return latest;
}

/** `testScores` holds each version's metrics.json test figures, when its checkpoint still has them. */
export function monitorReport(
  joined: readonly JoinedPrediction[],
  testScores: ReadonlyMap<string, TestScores>,
): MonitorReport {
  const tally = new MonitorTally(latestByVersion(joined));
  for (const r of joined) tally.add(r);
  return tally.report(testScores);
}

/** How long the log may fall behind the candles before monitor says so: 2 days, or 3 candles if longer. */
export function staleAfterMs(intervalMs: number): number {
  return Math.max(2 * DAY, 3 * (Number.isFinite(intervalMs) ? intervalMs : 0));
}

/**
 * A warning when the last logged prediction is older than the newest candle by more than `staleAfterMs`: a
 * serve that stopped logging or a bot that stopped calling left every day's cron run silent ("ok", exit 0 under
 * --fail-on-warning), its scores those of the last predictions there were. Null when the log keeps up.
 *
 * @example
 * ```ts
 * staleLogWarning("v3_2026-01-01", Date.UTC(2023, 11, 20), Date.UTC(2023, 11, 30, 19), 3_600_000);
 * // { version: "v3_2026-01-01", message: "v3_2026-01-01: no prediction logged after 2023-12-20 00:00 UTC …", worse: [] }
 * ```
 */
export function staleLogWarning(
  version: string,
  newestPrediction: number,
  newestCandle: number,
  intervalMs: number,
): MonitorReport["warnings"][number] | null {
  if (!(newestCandle - newestPrediction > staleAfterMs(intervalMs))) return null;
  const days = (newestCandle - newestPrediction) / DAY;
  return {
    version,
    message: `${version}: no prediction logged after ${utcMinute(newestPrediction)}, while the candles ` +
      `reach ${utcMinute(newestCandle)} (${days.toFixed(1)} days later): check that serve still logs its ` +
      "predictions and that the bot still calls it",
    worse: [],
  };
}
