/**
 * What `train` refuses before it trains, each checked as early as its inputs allow: split dates outside the
 * data, candles without open times or of another interval under `--incremental`, data changed under `--resume`
 * (all before the backend starts), and training windows that lack a class (once labelled).
 */
import {
  type CandleSeries,
  CLASSES,
  gridOffsetOf,
  type LabelRule,
  offsetText,
  otherInterval,
} from "../../features/index.ts";
import { shellWord, utcDay } from "../../base/index.ts";
import type { SplitRule } from "../../ml/data/index.ts";
import { CommandError, UsageError } from "../errors.ts";
import type { ParentFiles } from "./parent.ts";
import { CheckpointStoreError, currentVersion, symbolDataEnd } from "../../ml/checkpoints/index.ts";

/**
 * Split dates outside the data are a usage error, said before the backend loads: a validation start at or
 * before the first candle leaves nothing to train on, a test start after the last leaves nothing to test.
 */
export function requireSplitInData(split: SplitRule, series: readonly CandleSeries[], data: string): void {
  if (split.kind !== "dates") return;
  const times = series.flatMap((s) => s.length > 0 ? [s.openTime[0], s.openTime[s.length - 1]] : [])
    .filter(Number.isFinite);
  if (times.length === 0) return;
  const [first, last] = [Math.min(...times), Math.max(...times)];
  const span = `${data} spans ${utcDay(first)} … ${utcDay(last)}`;
  if (split.testStart > last) {
    throw new UsageError(
      `--split-dates: the test start ${utcDay(split.testStart)} is after the data's last candle (${span})`,
      "choose dates inside the data, or collect newer candles",
    );
  }
  if (split.validationStart <= first) {
    throw new UsageError(
      `--split-dates: the validation start ${
        utcDay(split.validationStart)
      } leaves nothing to train on (${span})`,
      "choose a validation start after the data's first candles",
    );
  }
}

/**
 * A `current` that promotion cannot replace (a folder or a file put there by hand) is said before training:
 * found at the end, the run failed with that alone, not saying that the version it had trained for hours was
 * saved (unpromoted). Returns the version `current` points at (null: none).
 */
export async function requirePromotable(checkpoints: string): Promise<string | null> {
  try {
    return await currentVersion(checkpoints);
  } catch (error) {
    if (!(error instanceof CheckpointStoreError)) throw error;
    throw new CommandError(
      `${error.message}, so the new version could not be promoted; nothing was trained`,
      `${error.hint}; or train with --no-promote`,
    );
  }
}

/**
 * Fine-tuning keeps the parent's horizon, lookback and scaler, all counted in its own candles: on another
 * interval's candles the version would learn and then serve a different question, under the old interval's name.
 */
export function requireParentInterval(
  parent: ParentFiles,
  series: readonly CandleSeries[],
  data: string,
): void {
  const theirs = parent.manifest.interval;
  const ours = otherInterval(series.map((s) => s.openTime), theirs);
  if (ours === null) return;
  throw new UsageError(
    `--incremental: ${data} holds ${ours} candles, but ${parent.version} was trained on ${theirs} candles; ` +
      "fine-tuning it on them would serve a model half-trained on each; nothing was trained",
    `point --data at ${theirs} candles, or train a new model on these without --incremental (its own --checkpoints ` +
      "folder keeps the two apart)",
  );
}

/**
 * Fine-tuning on candles of another grid (a version trained on an exchange's 16:00 UTC days, fine-tuned on
 * Binance's midnight ones): the new version records the new grid and serve then refuses the bot's candles
 * the parent took, in silence (a review). Refused as another interval is.
 */
export function requireParentGrid(parent: ParentFiles, series: readonly CandleSeries[], data: string): void {
  const interval = parent.manifest.interval ?? null;
  const ours = gridOffsetOf(series.map((s) => s.openTime), interval);
  const theirs = parent.manifest.grid_offset_ms ?? 0;
  if (ours === null || ours === theirs) return;
  const where = (offset: number) =>
    offset === 0 ? "on the UTC grid" : `${offsetText(offset)} past the UTC grid`;
  throw new UsageError(
    `--incremental: ${data}'s ${interval} candles open ${where(ours)}, but ${parent.version}'s opened ` +
      `${
        where(theirs)
      }; fine-tuned on them it would take only the bot's candles of the new grid, where the ` +
      "parent took the old; nothing was trained",
    `point --data at candles of ${parent.version}'s exchange, or train a new model on these without ` +
      "--incremental (its own --checkpoints folder keeps the two apart)",
  );
}

/**
 * A resumed run continues on the candles it started on: its finished members, split and scaler came from them,
 * and docs/training.md promises the weights an uninterrupted run would have given. A cron `collect` that grew the
 * file in between would otherwise mix two datasets in one version, silently.
 */
export function requireSameData(
  resume: { readonly dir: string; readonly state: { readonly dataSha256?: string } },
  data: string,
  sha256: string,
): void {
  const recorded = resume.state.dataSha256;
  if (recorded === undefined || recorded === sha256) return;
  throw new CommandError(
    `--resume: ${data} has changed since the run in ${resume.dir} started on it (its sha256 differs); the ` +
      "members it finished learnt from the old candles",
    "restore the file the run started on, or start a new run on this one without --resume",
  );
}

/**
 * A run started by a candlecast that cut the 70/15/15 split per symbol cannot be resumed by one that cuts every
 * symbol at the same dates: its finished members and its scaler came from another split, and the version would
 * record cut dates they trained past.
 */
export function requireSameSplitRule(
  resume: { readonly dir: string; readonly state: { readonly splitAtCommonDates?: true } },
  split: SplitRule,
): void {
  if (split.kind !== "fractions" || resume.state.splitAtCommonDates) return;
  throw new CommandError(
    `--resume: the run in ${resume.dir} was started by an older candlecast, which cut the 70/15/15 split at ` +
      "each symbol's own dates; this one cuts every symbol at the same dates, so its members learnt from " +
      "another split",
    // Named: the folder stays (train keeps the newest stopped run) and models list would go on offering it.
    `start a new run without --resume and delete ${resume.dir} (or finish that run with the candlecast that ` +
      "started it)",
  );
}

/**
 * Fine-tuning learns from the windows labelled after the parent's last candle, which takes open times on both
 * sides: without them every window counts as new, and the version would be trained again on what it has seen,
 * under --incremental's name.
 */
export function requireTimedIncrement(
  parent: ParentFiles,
  series: readonly CandleSeries[],
  data: string,
): void {
  const timed = series.some((s) => s.openTime.some(Number.isFinite));
  if (!timed) {
    throw new UsageError(
      `--incremental: ${data} has no open times, so there is no telling which candles are newer than ` +
        `${parent.version}'s; nothing was trained`,
      'collect the candles with their open times (the C# export\'s "t"), or train a new model without ' +
        "--incremental",
    );
  }
  const symbols = new Set(series.filter((s) => s.length > 0).map((s) => s.symbol));
  const known = [...symbols].some((symbol) => symbolDataEnd(parent.manifest.data, symbol) !== undefined);
  if (!known) {
    throw new UsageError(
      `--incremental: ${parent.version} does not record where its data ended (it was trained on candles ` +
        "without open times), so there is no telling which candles are new; nothing was trained",
      "train a new model on these candles without --incremental",
    );
  }
}

/**
 * A fine-tune needs candles after its parent's data end: with none (train, then --incremental on the same file,
 * as docs/training.md's block reads) it failed after the backend started, with "the training split has no windows"
 * quoting the whole file's candles and a gap count that had nothing to do with it (a newcomer's trial).
 */
export function requireNewCandles(parent: ParentFiles, series: readonly CandleSeries[], data: string): void {
  const fresh = series.some((s) => {
    const end = symbolDataEnd(parent.manifest.data, s.symbol);
    return end === undefined || s.openTime.some((t) => t > end);
  });
  if (fresh) return;
  const end = parent.manifest.data.end_ms;
  const when = end === null || end === undefined ? "" : ` (${new Date(end).toISOString().slice(0, 16)} UTC)`;
  throw new CommandError(
    `--incremental: ${data} holds no candle after ${parent.version}'s data end${when}; nothing was trained`,
    `collect newer candles into it first ('candlecast collect --output ${
      shellWord(data)
    } …'), then fine-tune`,
  );
}

/**
 * A class no training window has cannot be learnt, and the model would still be calibrated, scored and promoted
 * as if it could (a `--threshold 0.5` meant as 0.5 % labels every window SIDEWAYS; so do flat prices).
 */
export function requireEveryClass(
  counts: readonly number[],
  rule: LabelRule,
  data: string,
  /**
   * Whose training windows, what was not done, and the hint where the label rule is not the user's to change
   * here (`evaluate --checkpoint`, which refuses --threshold): train's run, or evaluate's fold.
   */
  where: { readonly windows: string; readonly nothing: string; readonly hint?: string } = {
    windows: `the training windows of ${data}`,
    nothing: "nothing was trained",
  },
): void {
  const missing = CLASSES.filter((_, k) => counts[k] === 0);
  if (missing.length === 0) return;
  // Too large a threshold leaves no UP or DOWN, too small no SIDEWAYS: the hint points the way that helps.
  const way = missing.includes("SIDEWAYS") ? "a larger" : "a smaller";
  const threshold = rule.kind === "fixed"
    ? `--threshold ${rule.threshold} is a return fraction (${
      (rule.threshold * 100).toLocaleString("en-US")
    } %, ` +
      `0.005 is 0.5 %): give ${way} one, or leave it out for the volatility-scaled default`
    : "check that the candles move (a flat or stale price labels every window SIDEWAYS), or collect more data";
  throw new CommandError(
    `${where.windows} hold no ${missing.join(" and no ")} label (${
      CLASSES.map((c, k) => `${c} ${counts[k]}`).join(", ")
    }): a model cannot learn a class it never sees; ${where.nothing}`,
    where.hint ?? threshold,
  );
}
