/**
 * From candle series to what the training loop needs: split windows with their labels, a scaler and a return
 * scale fit on the training split only, and class weights. Only window positions and labels are kept;
 * features are engineered again per batch.
 */
import {
  type CandleSeries,
  FEATURE_NAMES,
  hasIndicators,
  type Scaler,
  ScalerFitter,
  windowEnds,
} from "../../features/index.ts";
import { finishSteps, finishStepsTurning, plural, ReportedError, utcDay } from "../../base/index.ts";
import {
  type CalendarCuts,
  calendarCuts,
  fractionCuts,
  type SeriesSplit,
  type SplitRule,
  splitSeries,
} from "./split.ts";
import { scanSet, type WindowSet, windowSet, type WindowShape } from "./window_set.ts";
import { classCounts, type ClassVector } from "./class_weights.ts";

export interface ReturnScale {
  readonly mean: number;
  readonly std: number;
}

/** A window set with the label and forward return of each window. */
export interface LabelledSet extends WindowSet {
  readonly labels: Int8Array;
  readonly returns: Float64Array;
  /**
   * [size, 3] a teacher's class probabilities per window, which distillation mixes into the training targets
   * (`TrainConfig.distillWeight`; set by `trainMembers`, absent otherwise).
   */
  readonly teacher?: Float32Array;
}

export interface SymbolSummary {
  readonly symbol: string;
  readonly candles: number;
  /** Open time (ms) of the first and last candle, NaN when the source had no times. */
  readonly firstOpenTime: number;
  readonly lastOpenTime: number;
  readonly train: number;
  readonly validation: number;
  readonly test: number;
  readonly skipped: number;
  readonly purged: number;
  readonly gapped: number;
}

export interface Dataset extends WindowShape {
  readonly train: LabelledSet;
  readonly validation: LabelledSet;
  readonly test: LabelledSet;
  readonly scaler: Scaler;
  readonly returnScale: ReturnScale;
  readonly trainClassCounts: ClassVector;
  readonly symbols: readonly SymbolSummary[];
  /** Windows left out because some candle in them has no indicators. */
  readonly skipped: number;
  /** Windows left out because candles are missing before their label candle (every symbol's `gapped`). */
  readonly gapped: number;
  /** The dates a fractions rule was cut at, common to every symbol (`calendarCuts`); absent for a dates rule. */
  readonly cuts?: CalendarCuts;
}

export interface DatasetOptions extends WindowShape {
  readonly split: SplitRule;
  /** Per symbol: keep only windows labelled by a candle opening after this time (`--incremental`). */
  readonly since?: (symbol: string) => number | undefined;
  /** Reuse a scaler and return scale (fine-tuning keeps the parent's input contract) instead of fitting. */
  readonly scaler?: Scaler;
  readonly returnScale?: ReturnScale;
  /**
   * Called as the windows are labelled (every window is engineered once: the longest part of preparing a
   * million windows) with the chunks done and their total over the three splits.
   */
  readonly progress?: (done: number, total: number) => void;
}

/**
 * Data that yields no dataset: a split left without windows (the hint says whether the window or the data is
 * too short).
 */
export class DatasetError extends ReportedError {
  override name = "DatasetError";
}

/** Windows per chunk that `labelSet` engineers at once (scanSet's default). */
const LABEL_CHUNK = 512;

/**
 * Labels every window of a set (one pass that engineers features) and feeds `visit` each chunk, pausing after
 * each chunk (a few ms to ~50 ms of work) so that `prepareDatasetAsync` can let the event loop turn.
 */
function* labelSet(
  set: WindowSet,
  shape: WindowShape,
  visit?: (x: Float32Array, rows: number) => void,
  chunkDone?: () => void,
): Generator<void, LabelledSet> {
  const labels = new Int8Array(set.size), returns = new Float64Array(set.size);
  let at = 0;
  for (const batch of scanSet(set, shape, LABEL_CHUNK)) {
    labels.set(batch.label, at);
    returns.set(batch.forwardReturn, at);
    visit?.(batch.x, batch.size * shape.lookback);
    at += batch.size;
    chunkDone?.();
    yield;
  }
  return { ...set, labels, returns };
}

function fitReturnScale(returns: Float64Array): ReturnScale {
  let sum = 0;
  for (const r of returns) sum += r;
  const mean = sum / returns.length;
  let m2 = 0;
  for (const r of returns) m2 += (r - mean) ** 2;
  const std = Math.sqrt(m2 / returns.length);
  return { mean, std: std > 1e-12 ? std : 1 };
}

/**
 * What to do when every window past the warm-up has its label candle beyond missing candles: a feed that
 * leaves out the candles without trades. More candles of the same feed leave the same holes, so the warm-up's
 * "collect more" (what a 437-candle series of such a feed was told, a trader's trial) would not help.
 * Undefined when some window was usable, or none was left out for a gap.
 */
function gapRemedy(splits: readonly SeriesSplit[]): string | undefined {
  const usable = splits.some((p) => p.train.length + p.validation.length + p.test.length + p.purged > 0);
  if (usable || !splits.some((p) => p.gapped > 0)) return undefined;
  return "the candles skip times of their interval (a market closed at weekends, a feed that leaves out the " +
    "candles without trades), so no label can be read over whole candles: fill the holes (for each missing " +
    "time a candle at the previous close with volume 0, as Binance's klines hold an hour without trades) or " +
    "use a longer interval, whose candles have none";
}

/**
 * How many candles a symbol needs when every window held a candle still in its indicators' warm-up: 80 candles
 * a symbol passed the window-length check (lookback 50 + horizon 4) yet gave no window, and the hint said only
 * "use more data" (helper's trial s43). Undefined when some window was usable, or none was skipped for it.
 */
function warmUpRemedy(
  series: readonly CandleSeries[],
  splits: readonly SeriesSplit[],
  need: number,
): string | undefined {
  const usable = splits.some((p) => p.train.length + p.validation.length + p.test.length + p.purged > 0);
  if (usable || !splits.some((p) => p.skipped > 0)) return undefined;
  const warm = Math.min(...series.map(warmUp));
  const longest = Math.max(...series.map((s) => s.length));
  return `every window holds a candle still in the indicators' warm-up (a symbol's first ${warm} candles, ` +
    `before EMA(50), MACD and the stochastics have their history): a symbol's first window needs ${
      need + warm
    } ` +
    `candles, and the training, validation and test splits many more (the longest symbol has ${longest}); ` +
    "collect more";
}

/** The candles before a symbol's first one with every indicator (EMA(50)'s history is the longest). */
function warmUp(s: CandleSeries): number {
  let i = 0;
  while (i < s.length && !hasIndicators(s, i)) i++;
  return i;
}

/**
 * How many candles a symbol needs when its windows are too few for the split fractions to give each split
 * one: the `horizon` windows before each cut are dropped, so 120 candles of one symbol at lookback 50 gave 18
 * windows, a training split, and no validation window, and the hint said only "use more data" (user trial
 * s45). "use more data" when the windows were enough in number (missing candles emptied the split).
 */
function fractionsRemedy(
  series: readonly CandleSeries[],
  rule: Extract<SplitRule, { kind: "fractions" }>,
  lookback: number,
  horizon: number,
): string {
  const fits = (n: number) => {
    const { validation: i1, test: i2 } = fractionCuts(n, rule);
    return i1 - horizon >= 1 && i2 - i1 - horizon >= 1 && n - i2 >= 1;
  };
  // From this many windows on every count fits (each split's share is past horizon + 1); the floors make the
  // smallest count that fits not the answer: the smallest from which every larger one fits is.
  let windows = Math.ceil(
    (horizon + 2) / Math.min(rule.train, rule.validation, 1 - rule.train - rule.validation),
  );
  while (windows > 1 && fits(windows - 1)) windows--;
  const longest = series.reduce((a, b) => (b.length > a.length ? b : a));
  // A window ending at candle t needs the lookback before it past the warm-up, and its label candle t + horizon.
  const needed = warmUp(longest) + lookback + horizon + windows - 1;
  if (needed <= longest.length) return "use more data";
  return `each of the training, validation and test splits needs a window, and the ${
    plural(horizon, "window")
  } before each cut are dropped (their labels look past it): at --lookback ${lookback} and --horizon ` +
    `${horizon} a symbol needs at least ${needed} candles, and the longest has ${longest.length}; collect more`;
}

/**
 * What to change when user-given split dates leave `name` without windows, naming the date that would give
 * it one: a validation start inside the first window's warm-up and lookback (the indicators need their
 * history first) passed the data-span check and trained on nothing.
 */
function datesRemedy(
  name: "training" | "validation" | "test",
  series: readonly CandleSeries[],
  split: CalendarCuts,
  lookback: number,
  horizon: number,
): string {
  const DAY_MS = 86_400_000;
  if (name === "training") {
    // The candle after the first window's label candle: a validation start there leaves that window.
    const first = series.flatMap((s) => {
      const { ends } = windowEnds(s, { lookback, horizon });
      const at = ends.length > 0 ? ends[0] + horizon + 1 : -1;
      return at >= 0 && at < s.length && Number.isFinite(s.openTime[at]) ? [s.openTime[at]] : [];
    });
    // Split dates are whole days: the first midnight at or after that candle. Named only when it is later
    // than the date given (else something other than the date emptied the split: missing candles).
    const earliest = Math.ceil(Math.min(...first) / DAY_MS) * DAY_MS;
    if (first.length > 0 && earliest > split.validationStart) {
      return `the first windows end after their indicators' warm-up and --lookback: choose a validation start ` +
        `of ${utcDay(earliest)} or later in --split-dates`;
    }
  }
  if (name === "test") {
    const last = series.flatMap((s) => {
      const { ends } = windowEnds(s, { lookback, horizon });
      return ends.length > 0 ? [s.openTime[ends[ends.length - 1]]] : [];
    }).filter(Number.isFinite);
    if (last.length > 0 && Math.max(...last) < split.testStart) {
      return `the last window ends at ${utcDay(Math.max(...last))}: choose a test start of ${
        utcDay(Math.floor(Math.max(...last) / DAY_MS) * DAY_MS)
      } or earlier in --split-dates`;
    }
  }
  return "use more data or other split dates";
}

/**
 * Every series split by `opts.split` and every window labelled, with the scaler and return scale fitted on
 * the training split unless given. Throws a DatasetError when a split has no windows; features are engineered
 * per batch, later.
 */
export function prepareDataset(series: readonly CandleSeries[], opts: DatasetOptions): Dataset {
  return finishSteps(datasetSteps(series, opts));
}

/**
 * `prepareDataset` for the CLI's long runs: the same steps, with the event loop let turn between chunks.
 * Labelling is synchronous work of seconds (five 1h series) to a minute (2.2M candles), and Deno runs a
 * signal listener only when the loop turns, so a Ctrl-C or SIGTERM went unheard until it ended. Aborting
 * `signal` stops it at the next turn, throwing `signal.reason`. One generator drives both, so the labels are
 * the same by construction; the synchronous one stays for the callers that are not async (tests, baselines).
 */
export async function prepareDatasetAsync(
  series: readonly CandleSeries[],
  opts: DatasetOptions & { readonly signal?: AbortSignal },
): Promise<Dataset> {
  return await finishStepsTurning(datasetSteps(series, opts), opts.signal);
}

/** `prepareDataset`'s work, pausing after each symbol's split and each labelled chunk. */
function* datasetSteps(series: readonly CandleSeries[], opts: DatasetOptions): Generator<void, Dataset> {
  const shape: WindowShape = { lookback: opts.lookback, horizon: opts.horizon, labelRule: opts.labelRule };
  const cuts = opts.split.kind === "fractions"
    ? calendarCuts(series, { ...opts, rule: opts.split })
    : undefined;
  const rule: SplitRule = cuts ? { kind: "dates", ...cuts } : opts.split;
  const splits: SeriesSplit[] = [];
  for (const s of series) {
    splits.push(
      splitSeries(s, { lookback: opts.lookback, horizon: opts.horizon, rule, since: opts.since?.(s.symbol) }),
    );
    yield;
  }
  const trainSet = windowSet(series, splits.map((p) => p.train));
  const validationSet = windowSet(series, splits.map((p) => p.validation));
  const testSet = windowSet(series, splits.map((p) => p.test));
  for (
    const [name, set] of [["training", trainSet], ["validation", validationSet], ["test", testSet]] as const
  ) {
    if (set.size === 0) {
      const longest = Math.max(0, ...series.map((s) => s.length));
      const need = opts.lookback + opts.horizon;
      // Windows longer than every series: no split date helps, the window is the problem.
      // No candles at all (a CSV with its header only): neither the window nor the split is the problem.
      const remedy = longest === 0
        ? "the data holds no candles: fill the CSV with 'candlecast collect' first"
        : longest < need
        ? `a window needs lookback ${opts.lookback} + horizon ${opts.horizon} = ${need} candles but the longest ` +
          `symbol has ${longest}; use a smaller ${
            opts.horizon > opts.lookback ? "--horizon" : "--lookback"
          } or more data`
        : opts.split.kind === "dates"
        ? datesRemedy(name, series, opts.split, opts.lookback, opts.horizon)
        : gapRemedy(splits) ?? warmUpRemedy(series, splits, need) ??
          fractionsRemedy(series, opts.split, opts.lookback, opts.horizon);
      // Candles that close on a schedule (a market shut at weekends) leave most labels spanning a gap.
      const gapped = splits.reduce((n, p) => n + p.gapped, 0);
      throw new DatasetError(
        `the ${name} split has no windows (${plural(series.length, "symbol")}, ` +
          `${plural(series.reduce((n, s) => n + s.length, 0), "candle")}` +
          (gapped > 0
            ? `; ${plural(gapped, "window")} left out: candles missing before the label candle`
            : "") +
          ")",
        remedy,
        // The flags are what does not fit this data (a window longer than it, split dates that leave a split
        // empty): a usage error, as --split-dates outside the data is. No candles, or too few, is the data's.
        longest > 0 && (longest < need || opts.split.kind === "dates") ? 2 : 1,
      );
    }
  }
  const fitter = opts.scaler ? undefined : new ScalerFitter(FEATURE_NAMES);
  const chunks = [trainSet, validationSet, testSet].reduce(
    (n, set) => n + Math.ceil(set.size / LABEL_CHUNK),
    0,
  );
  let done = 0;
  const chunkDone = opts.progress && (() => opts.progress!(++done, chunks));
  const train = yield* labelSet(trainSet, shape, fitter && ((x, rows) => fitter.add(x, rows)), chunkDone);
  const scaler = opts.scaler ?? fitter!.finish();
  const validation = yield* labelSet(validationSet, shape, undefined, chunkDone);
  const test = yield* labelSet(testSet, shape, undefined, chunkDone);
  return {
    ...shape,
    train,
    validation,
    test,
    scaler,
    returnScale: opts.returnScale ?? fitReturnScale(train.returns),
    trainClassCounts: classCounts(train.labels),
    symbols: series.map((s, k) => ({
      symbol: s.symbol,
      candles: s.length,
      firstOpenTime: s.openTime[0],
      lastOpenTime: s.openTime[s.length - 1],
      train: splits[k].train.length,
      validation: splits[k].validation.length,
      test: splits[k].test.length,
      skipped: splits[k].skipped,
      purged: splits[k].purged,
      gapped: splits[k].gapped,
    })),
    skipped: splits.reduce((n, p) => n + p.skipped, 0),
    gapped: splits.reduce((n, p) => n + p.gapped, 0),
    ...(cuts ? { cuts } : {}),
  };
}
