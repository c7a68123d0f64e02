/**
 * Which candle interval retrain works on: `--interval` and current's recorded interval checked against the
 * candles already in the training CSV before anything is fetched, and the interval collect is given when no
 * `--interval` is.
 */
import { type CandleSeries, intervalOf, isInterval, otherInterval } from "../../features/index.ts";
import { shellWord } from "../../base/index.ts";
import { CommandError, UsageError } from "../errors.ts";

/**
 * `--interval` against the candles already in `data`: collect would refuse to mix them, but only after fetching
 * from the exchange, as a runtime failure of its step (exit 1); a flag that contradicts the file is the user's.
 */
export function requireDataInterval(interval: string, data: string, existing: readonly CandleSeries[]): void {
  const fromData = otherInterval(existing.map((s) => s.openTime), interval);
  if (fromData === null) return;
  throw new UsageError(
    `--interval ${interval}: ${data} holds ${fromData} candles, and one training CSV holds one interval`,
    `leave --interval out (retrain collects the file's ${fromData}), or point --data at a ${interval} CSV`,
  );
}

/**
 * Current's horizon and lookback count its own candles, and retrain scores it against the candidate on the
 * held-out candles: data on another interval would be refused by a weekly run's train step after the collect
 * fetched from the exchange (exit 1), and a monthly run scored current on candles it was never trained for and
 * could promote a model of another interval without a word (the served model's interval changed under the
 * bot). Said first, for both modes.
 */
export function requireCurrentInterval(
  current: string,
  recorded: string | null | undefined,
  data: string,
  series: readonly CandleSeries[],
  mode: "weekly" | "monthly",
): void {
  const fromData = otherInterval(series.map((s) => s.openTime), recorded);
  if (fromData === null) return;
  const what = mode === "weekly"
    ? "weekly fine-tunes it"
    : "monthly scores its candidate against current on these candles and would replace a model of one " +
      "interval with one of another";
  // The same way out for both modes: a weekly run's hint once said "run --mode monthly", which this very
  // check refuses on the same data.
  throw new UsageError(
    `--data: ${data} holds ${fromData} candles, but current (${current}) was trained on ${recorded} candles: ${what}`,
    `point --data at its ${recorded} candles; to serve a ${fromData} model instead, train it by hand ` +
      `('candlecast train --data ${
        shellWord(data)
      }' promotes it) and let retrain keep it up to date from then on`,
  );
}

/**
 * The interval retrain collects into `data` when no `--interval` is given: the one its candles are on (the
 * file is what collect extends, and collect refuses candles off its grid), else the one current's manifest
 * records. Before session 20 it took the manifest's alone and "1h" without one, so a retrain of 4h candles
 * with no current version collected hourly candles into them, and versions that recorded monthly data as
 * "31d" (before a780cd7) passed collect a name it refuses.
 */
export function collectInterval(
  data: string,
  existing: readonly CandleSeries[],
  recorded?: string | null,
): string {
  const fromData = intervalOf(existing.map((s) => s.openTime));
  if (fromData !== null && isInterval(fromData)) return fromData;
  if (fromData === null && recorded && isInterval(recorded)) return recorded;
  throw new CommandError(
    fromData === null
      ? `${data}: cannot tell which candle interval to collect (one candle per symbol, and no model records one)`
      : `${data}: its candles are ${fromData} apart, an interval candlecast cannot collect from Binance (it ` +
        "collects 1m … 1M)",
    "pass --interval (1h, 4h, 1d, …), or --no-collect to train on the file as it is",
  );
}
