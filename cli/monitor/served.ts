/**
 * The served version with predictions logged but none scored: what became of them, said on its own line and in
 * the verdict. Scores of the versions before it would otherwise read as "no warning on the served version",
 * exit 0 under --fail-on-warning, while nothing the served model answered was ever judged (a trial: 3,721 of its
 * predictions, none scored, on a CSV that collect had stopped refreshing).
 */
import type { CandleSeries } from "../../features/index.ts";
import { utcMinute } from "../../base/index.ts";
import type { MonitorOptions } from "./options.ts";
import type { ServedCounts } from "./passes.ts";
import { count, grouped, lastCandle, nothingScoredAdvice } from "./print.ts";

/** The served version's predictions, none of them scored. */
export interface ServedUnscored {
  readonly version: string;
  readonly predictions: number;
  /**
   * Why none was scored, one cause after another ("all on candles newer than data.csv's last, …"; "50 …, 46
   * awaiting their horizon").
   */
  readonly causes: string;
  /** What to do, one piece per cause (`nothingScoredAdvice`). */
  readonly hints: readonly string[];
  /**
   * A warning when the operator must act: the version is not in --checkpoints, another model answered under
   * its name, or predictions not found in the CSV that waiting will not mend (`needsCollect`); --fail-on-warning
   * then exits 1. Otherwise a note (a version just promoted, its predictions awaiting their horizon, perhaps
   * beside a few not found): there is nothing to score yet.
   */
  readonly warning: boolean;
  /** The line printed after "warning: " or "note: ", and the JSON's `message`. */
  readonly message: string;
}

/** The served version's finding when it logged predictions and none was scored; null otherwise. */
export function servedUnscored(
  opts: Pick<MonitorOptions, "data" | "checkpoints">,
  served: ServedCounts | null,
  series: readonly CandleSeries[],
): ServedUnscored | null {
  if (served === null || served.logged === 0 || served.counts.joined > 0) return null;
  const { version, logged, otherModel, counts: c } = served;
  const gone = c.unknownVersions.get(version) ?? 0;
  const missing = [...c.missingSymbols.values()].reduce((a, b) => a + b, 0);
  // In the order the first line counts them; `pending` alone is no warning.
  const causes: [number, string][] = [
    [gone, `of a version not in ${opts.checkpoints}`],
    [otherModel, `answered by another model than ${opts.checkpoints}'s ${version}`],
    [
      c.unmatchedAfterData,
      `on candles newer than ${opts.data}'s last candle, ${utcMinute(lastCandle(series))}`,
    ],
    [missing, `on symbols ${opts.data} does not hold`],
    [c.unmatched - c.unmatchedAfterData - missing, `not found in ${opts.data}`],
    [c.pending, "awaiting their horizon"],
    [c.inSample, "in-sample (on candles its training may have seen)"],
    [c.gapped, "with their label candle past missing candles"],
  ];
  const some = causes.filter(([n]) => n > 0);
  const said = some.length === 1 && some[0][0] === logged
    ? `all ${some[0][1]}`
    : some.map(([n, why]) => `${grouped(n)} ${why}`).join(", ");
  const hints = [
    ...(otherModel > 0 ? [`point --checkpoints at the folder serve loaded ${version} from`] : []),
    ...nothingScoredAdvice(opts, c),
  ];
  const warning = gone + otherModel > 0 || needsCollect(c);
  return {
    version,
    predictions: logged,
    causes: said,
    hints,
    warning,
    message:
      `${version} (served): ${count(logged, "prediction")}, none scored${warning ? "" : " yet"}: ${said}` +
      (hints.length > 0 ? `; ${hints.join("; ")}` : ""),
  };
}

/**
 * Whether predictions not found in the CSV call for the operator rather than for time: some on candles newer
 * than its last (collect stopped refreshing it), or, with none awaiting its horizon, any not found (symbols it
 * lacks, local times). A few not found beside predictions still awaiting their horizon (a symbol the cron's
 * collect does not fetch, the quickstart's demo request) are left to the next run: a version promoted hours ago
 * failed cron on them, though its scores were only not due yet (a review). In-sample predictions and those with
 * their label past missing candles never warn: no action scores them.
 */
export function needsCollect(
  c: { readonly unmatched: number; readonly unmatchedAfterData: number; readonly pending: number },
): boolean {
  return c.unmatchedAfterData > 0 || (c.pending === 0 && c.unmatched > 0);
}
