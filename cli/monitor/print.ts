/**
 * What monitor prints: counts in its own spelling, the score tables, the advice when nothing could be scored,
 * and the note when no week can ever be judged on these candles.
 */
import { type CandleSeries, commonestStep } from "../../features/index.ts";
import { plural } from "../../base/index.ts";
import {
  type JoinResult,
  type LiveScores,
  MIN_WEEK_PREDICTIONS,
  type MonitorReport,
  type TestScores,
} from "../../ml/monitor/index.ts";
import type { MonitorOptions } from "./options.ts";
import { offGridAdvice, type OffGridFinding } from "./off_grid.ts";

/**
 * "1 prediction", "3,000 predictions": base's `plural`, as every other command writes counts (monitor wrote
 * "299500 repeats"); scripts read the numbers from `--json`.
 */
export const count = plural;

/** A bare count grouped as `count` groups it: "299,500". */
export const grouped = (n: number) => n.toLocaleString("en-US");

/** The open time of the data's newest candle (of any symbol), as the lines name it (`utcMinute`). */
export const lastCandle = (series: readonly CandleSeries[]) =>
  Math.max(...series.map((s) => s.openTime[s.length - 1] ?? -Infinity));

/**
 * `"simbtcusdt" ×3, "BTC/USDT" ×1`: the symbols most often logged first, at most five, quoted (a symbol logged
 * before serve refused spaces and control characters would otherwise break the line).
 */
export function symbolCounts(symbols: ReadonlyMap<string, number>, withCounts = true): string {
  const sorted = [...symbols].sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, 5).map(([symbol, n]) =>
    JSON.stringify(symbol) + (withCounts ? ` ×${grouped(n)}` : "")
  );
  return shown.join(", ") + (sorted.length > 5 ? ` and ${sorted.length - 5} more` : "");
}

/**
 * " (24 of them with the close of the candle 4 h after the time sent: local times of a zone 4 h west of UTC,
 * UTC−4, not UTC)", the commonest shift first (a log across a daylight saving change holds two); "" for none.
 */
export function hoursWestNote(hoursWest: ReadonlyMap<number, number>): string {
  return [...hoursWest].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([hours, n]) =>
    ` (${grouped(n)} of them with the close of the candle ${hours} h after the time sent: local times of a ` +
    `zone ${hours} h west of UTC, UTC−${hours}, not UTC)`
  ).join("");
}

/** What to do when no prediction could be scored, one piece of advice per reason some were not. */
export function nothingScoredAdvice(
  opts: Pick<MonitorOptions, "data">,
  {
    pending,
    unmatched,
    unmatchedWrongUnit,
    unmatchedClose,
    unmatchedHoursWest,
    unmatchedAfterData,
    missingSymbols,
    inSample,
    gapped,
    unknownVersions,
  }: Omit<
    JoinResult,
    "joined"
  >,
  /** Predictions not found whose candle times are off the data's grid (`OffGridTally`), if any. */
  offGrid: OffGridFinding | null = null,
): string[] {
  const advice: string[] = [];
  if (unknownVersions.size > 0) {
    advice.push(
      `point --checkpoints at the folder holding ${[...unknownVersions.keys()].join(", ")} (or, if retrain ` +
        "removed it beyond --keep, that version can no longer be scored; a larger --keep keeps versions longer)",
    );
  }
  if (unmatchedWrongUnit > 0) {
    advice.push(
      "have the bot send openTime in ms since the epoch (ToUnixTimeMilliseconds); predictions logged with times " +
        "in another unit can never be matched with a candle",
    );
  }
  // Before the closes hint: times off the grid are no candle's, and collecting candles cannot find them.
  if (offGrid) advice.push(offGridAdvice(offGrid, opts.data));
  if (missingSymbols.size > 0) {
    advice.push(
      `collect ${symbolCounts(missingSymbols, false)} into ${opts.data}, or have the bot send the symbols ` +
        "collect wrote (Binance's, like BTCUSDT)",
    );
  }
  const west = [...unmatchedHoursWest.values()].reduce((a, b) => a + b, 0);
  if (west > 0) {
    // Before the closes hint: the closes are the market's, the times the bot's local ones (serve sees no such
    // times, as they lie in the past).
    advice.push(
      "have the bot send each candle's open time in UTC, as the exchange stamps it (ms since the epoch: " +
        "DateTimeOffset.ToUnixTimeMilliseconds), not its local time",
    );
  }
  if (unmatchedClose > west) {
    advice.push(
      "have the bot predict on closed candles from the feed collect reads (Binance spot); a prediction sent with " +
        "a candle's open time but another close is not that candle's",
    );
  }
  // Predictions newer than the CSV's last candle: the CSV is stale (collect has not run since), not wrong.
  if (unmatchedAfterData > 0) advice.push(`collect newer candles into ${opts.data}, then run monitor again`);
  const missing = [...missingSymbols.values()].reduce((a, b) => a + b, 0);
  if (
    unmatched - missing >
      unmatchedWrongUnit + unmatchedClose + unmatchedAfterData + (offGrid?.predictions ?? 0)
  ) {
    advice.push(
      `collect the candles the predictions were made on into ${opts.data} (their closes must match)`,
    );
  }
  if (pending > 0) advice.push("collect newer candles once the predictions' horizon has passed");
  if (inSample > 0) {
    advice.push(
      "in-sample predictions are never scored; wait for predictions on candles newer than those the version's " +
        "training may have seen",
    );
  }
  if (gapped > 0) {
    advice.push(
      "predictions whose label candle lies past missing candles are not scored, as training leaves such windows " +
        "out; if the exchange has those candles, collect them again",
    );
  }
  return advice;
}

/** Three decimals, or a dash where no bin had a prediction. */
const f3 = (v: number) => (Number.isNaN(v) ? "  –  " : v.toFixed(3));

export const row = (label: string, s: LiveScores) =>
  `${label}  ${String(s.predictions).padStart(6)}  ${s.accuracy.toFixed(3)}  ${s.macro_f1.toFixed(3)}  ` +
  `${s.log_loss.toFixed(3)}  ${s.mean_confidence.toFixed(3)}  ${f3(s.ece)}  ${f3(s.ece_floor)}`;

/**
 * Said after an unjudged week's note when no week could ever be judged: on coarse candles a week holds fewer
 * candles than monitor needs, even one prediction on each of every symbol's (1d candles of two symbols: 14;
 * repeats of a candle count once). Empty otherwise: more symbols asked about, or more days logged, may fill one.
 */
export function neverJudged(series: readonly CandleSeries[], interval: string | null): string {
  const step = commonestStep(series.map((s) => s.openTime));
  if (step === null) return "";
  // Candles opening within seven days: rounded up, since a week can hold a part candle's open (3d: 3 of them,
  // and 1M, whose commonest step is 31 days, 1; rounded down these read 2 and "at most 0").
  const perSymbol = Math.ceil(7 * 86_400_000 / step);
  const most = perSymbol * series.length;
  if (most >= MIN_WEEK_PREDICTIONS) return "";
  return `; on ${interval ?? "these"} candles a week holds at most ${most} (${perSymbol} a symbol, ` +
    `${count(series.length, "symbol")}), so no week of it will be judged: read ` +
    "its per-day and per-version scores instead";
}

/** The per-day and per-version score tables, each version beside its test split's scores. */
export function printScoreTables(report: MonitorReport, tests: ReadonlyMap<string, TestScores>): void {
  const header = (first: string) =>
    `${first}  predictions  accuracy  macro_f1  log_loss  confidence  ECE    ECE floor`;
  const width = Math.max(...report.byDay.map((d) => d.version.length));
  console.log(`\nper day (UTC)\n${header("day        " + "version".padEnd(width))}`);
  for (const d of report.byDay) console.log(row(`${d.day} ${d.version.padEnd(width)}`, d.scores));
  console.log(`\nper version (test split in brackets)\n${header("version".padEnd(width))}`);
  for (const v of report.byVersion) {
    const t = tests.get(v.version);
    console.log(
      row(v.version.padEnd(width), v.scores) +
        (t
          ? `   [test${t.rule ? ` (${t.rule} rule)` : ""} accuracy ${t.accuracy.toFixed(3)} macro_f1 ${
            t.macro_f1.toFixed(3)
          } log_loss ${t.log_loss.toFixed(3)}]`
          : ""),
    );
  }
}
