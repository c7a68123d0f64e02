/**
 * Live quality of served predictions: accuracy, macro-F1, log-loss and calibration per day and per model
 * version, and a warning when a version's last week is worse than its own test metrics.
 */
import { CLASSES } from "../../features/index.ts";
import { MetricsAccumulator } from "../metrics/index.ts";
import { expectedCalibrationError, reliabilityTable } from "../evaluate/index.ts";
import type { JoinedPrediction } from "./join.ts";

export interface LiveScores {
  readonly predictions: number;
  readonly accuracy: number;
  readonly macro_f1: number;
  readonly log_loss: number;
  /** Mean probability of the predicted class: what `confidence` promised. */
  readonly mean_confidence: number;
  /** Expected calibration error over 10 bins (0 = confidence means what it says). */
  readonly ece: number;
}

export interface TestScores {
  readonly macro_f1: number;
  readonly log_loss: number;
  readonly accuracy: number;
}

export interface MonitorReport {
  readonly byDay: { readonly day: string; readonly version: string; readonly scores: LiveScores }[];
  readonly byVersion: {
    readonly version: string;
    readonly scores: LiveScores;
    readonly lastWeek: LiveScores | null;
  }[];
  readonly warnings: string[];
}

const DAY = 86_400_000;

export function liveScores(rows: readonly JoinedPrediction[]): LiveScores {
  const n = rows.length;
  const probabilities = new Float64Array(n * 3);
  rows.forEach((r, i) => {
    const p = r.record.probabilities;
    probabilities.set([p.down, p.sideways, p.up], i * 3);
  });
  const labels = rows.map((r) => r.label);
  const acc = new MetricsAccumulator();
  acc.add(
    labels,
    probabilities,
    rows.map((r) => r.realisedReturn),
    rows.map((r) => r.record.expected_return),
    rows.map((r) => CLASSES.indexOf(r.record.prediction)),
  );
  const m = acc.result();
  const confidence = rows.reduce(
    (s, r, i) => s + probabilities[i * 3 + CLASSES.indexOf(r.record.prediction)],
    0,
  );
  return {
    predictions: n,
    accuracy: m.accuracy,
    macro_f1: m.macro_f1,
    log_loss: m.log_loss,
    mean_confidence: confidence / n,
    ece: expectedCalibrationError(reliabilityTable(probabilities, labels)),
  };
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    let g = groups.get(k);
    if (!g) groups.set(k, g = []);
    g.push(row);
  }
  return groups;
}

/** `testScores` holds each version's metrics.json test figures, when its checkpoint still has them. */
export function monitorReport(
  joined: readonly JoinedPrediction[],
  testScores: ReadonlyMap<string, TestScores>,
): MonitorReport {
  const byDay = [...groupBy(joined, (r) => `${r.record.time.slice(0, 10)} ${r.record.version}`)]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, rows]) => ({ day: key.slice(0, 10), version: key.slice(11), scores: liveScores(rows) }));
  const warnings: string[] = [];
  const byVersion = [...groupBy(joined, (r) => r.record.version)].map(([version, rows]) => {
    const latest = Math.max(...rows.map((r) => Date.parse(r.record.time)));
    const week = rows.filter((r) => Date.parse(r.record.time) > latest - 7 * DAY);
    const lastWeek = week.length > 0 ? liveScores(week) : null;
    const test = testScores.get(version);
    if (lastWeek && test) {
      const worse: string[] = [];
      if (lastWeek.macro_f1 < test.macro_f1) {
        worse.push(`macro-F1 ${lastWeek.macro_f1.toFixed(3)} < test ${test.macro_f1.toFixed(3)}`);
      }
      if (lastWeek.log_loss > test.log_loss) {
        worse.push(`log-loss ${lastWeek.log_loss.toFixed(3)} > test ${test.log_loss.toFixed(3)}`);
      }
      if (worse.length > 0) {
        warnings.push(
          `${version}: the last week (${lastWeek.predictions} predictions) is worse than its test split: ` +
            `${worse.join(", ")}` + (lastWeek.predictions < 100 ? " (few predictions: noisy)" : ""),
        );
      }
    }
    return { version, scores: liveScores(rows), lastWeek };
  });
  return { byDay, byVersion, warnings };
}
