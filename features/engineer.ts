/**
 * The 35 model features of SPEC §5: ONE registry that owns their names, order and formulas, used by train,
 * serve, predict and export alike. Features are a pure function of the window's candles (rolling statistics
 * warm up inside the window; a lag before the first candle uses the first candle), so a window cut from a
 * long series and the same candles sent alone to /predict produce identical numbers.
 */
import { CandleError, type CandleSeries } from "./candles.ts";

/** A window's columns plus statistics derived once per window, shared by the formulas. */
export interface WindowView {
  readonly length: number;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  readonly rsi: Float64Array;
  readonly macd: Float64Array;
  readonly macdSignal: Float64Array;
  readonly macdHist: Float64Array;
  readonly ema: Float64Array;
  readonly stochK: Float64Array;
  readonly stochD: Float64Array;
  readonly logRet: Float64Array;
  readonly volumeSma5: Float64Array;
  readonly volumeSma20: Float64Array;
  readonly volumeStd20: Float64Array;
  readonly volatility5: Float64Array;
  readonly volatility20: Float64Array;
  readonly rsiSma5: Float64Array;
  readonly position20: Float64Array;
  readonly position50: Float64Array;
}

export interface Feature {
  readonly name: string;
  /** The formula as SPEC §5 writes it (shown in docs and /model/info consumers). */
  readonly formula: string;
  readonly at: (w: WindowView, j: number) => number;
}

/** Index of the candle `k` steps back, clamped to the window's first candle. */
const back = (j: number, k: number) => (j >= k ? j - k : 0);
/** a/b − 1, or 0 when b is 0 (a zero price or volume must not poison the window with Infinity). */
const rel = (a: number, b: number) => (b !== 0 ? a / b - 1 : 0);
/** a/b, or 0 when b is 0. */
const div = (a: number, b: number) => (b !== 0 ? a / b : 0);
/** Where the body/shadows are measured against: the bar's range (0 for a flat bar, then every part is 0). */
const range = (w: WindowView, j: number) => w.high[j] - w.low[j];

/**
 * The features in the model's input order, each with its SPEC §5 formula and its value at candle `j` of a
 * window. The order is part of the model contract: a version whose preprocessor.json lists other names is
 * refused.
 */
export const FEATURES: readonly Feature[] = [
  { name: "open_rel", formula: "open/close−1", at: (w, j) => rel(w.open[j], w.close[j]) },
  { name: "high_rel", formula: "high/close−1", at: (w, j) => rel(w.high[j], w.close[j]) },
  { name: "low_rel", formula: "low/close−1", at: (w, j) => rel(w.low[j], w.close[j]) },
  { name: "ret", formula: "close/prev.close−1", at: (w, j) => rel(w.close[j], w.close[back(j, 1)]) },
  { name: "volume_rel", formula: "volume/SMA20(volume)−1", at: (w, j) => rel(w.volume[j], w.volumeSma20[j]) },
  { name: "rsi", formula: "rsi", at: (w, j) => w.rsi[j] },
  { name: "macd_n", formula: "macd/close", at: (w, j) => div(w.macd[j], w.close[j]) },
  { name: "macd_signal_n", formula: "macdSign/close", at: (w, j) => div(w.macdSignal[j], w.close[j]) },
  { name: "macd_hist_n", formula: "macdHist/close", at: (w, j) => div(w.macdHist[j], w.close[j]) },
  { name: "ema_dist", formula: "close/ema−1", at: (w, j) => rel(w.close[j], w.ema[j]) },
  { name: "stoch_k", formula: "stochSlowK", at: (w, j) => w.stochK[j] },
  { name: "stoch_d", formula: "stochSlowD", at: (w, j) => w.stochD[j] },
  { name: "log_ret", formula: "ln(close/prev.close)", at: (w, j) => w.logRet[j] },
  { name: "ret_3", formula: "close/close[t−3]−1", at: (w, j) => rel(w.close[j], w.close[back(j, 3)]) },
  { name: "hl_ratio", formula: "high/low−1", at: (w, j) => rel(w.high[j], w.low[j]) },
  { name: "co_ratio", formula: "close/open−1", at: (w, j) => rel(w.close[j], w.open[j]) },
  { name: "volatility_5", formula: "sample std of log_ret over 5", at: (w, j) => w.volatility5[j] },
  { name: "volatility_20", formula: "sample std of log_ret over 20", at: (w, j) => w.volatility20[j] },
  { name: "ema_slope", formula: "ema/prev.ema−1", at: (w, j) => rel(w.ema[j], w.ema[back(j, 1)]) },
  {
    name: "macd_accel",
    formula: "(macd−2·macd[t−1]+macd[t−2])/close",
    at: (w, j) => div(w.macd[j] - 2 * w.macd[back(j, 1)] + w.macd[back(j, 2)], w.close[j]),
  },
  {
    name: "macd_hist_slope",
    formula: "(macdHist−prev.macdHist)/close",
    at: (w, j) => div(w.macdHist[j] - w.macdHist[back(j, 1)], w.close[j]),
  },
  { name: "rsi_momentum", formula: "rsi−prev.rsi", at: (w, j) => w.rsi[j] - w.rsi[back(j, 1)] },
  { name: "rsi_ma_5", formula: "SMA5(rsi)", at: (w, j) => w.rsiSma5[j] },
  {
    name: "volume_log_change",
    formula: "ln((v+1e-12)/(prev.v+1e-12))",
    at: (w, j) => Math.log((w.volume[j] + 1e-12) / (w.volume[back(j, 1)] + 1e-12)),
  },
  {
    name: "volume_ratio_5_20",
    formula: "SMA5(v)/SMA20(v)",
    at: (w, j) => 1 + rel(w.volumeSma5[j], w.volumeSma20[j]),
  },
  {
    name: "volume_z_20",
    formula: "(v−SMA20(v))/std20(v)",
    at: (w, j) => div(w.volume[j] - w.volumeSma20[j], w.volumeStd20[j]),
  },
  {
    name: "body",
    formula: "(close−open)/(high−low)",
    at: (w, j) => div(w.close[j] - w.open[j], range(w, j)),
  },
  {
    name: "upper_shadow",
    formula: "(high−max(open,close))/(high−low)",
    at: (w, j) => div(w.high[j] - Math.max(w.open[j], w.close[j]), range(w, j)),
  },
  {
    name: "lower_shadow",
    formula: "(min(open,close)−low)/(high−low)",
    at: (w, j) => div(Math.min(w.open[j], w.close[j]) - w.low[j], range(w, j)),
  },
  {
    name: "position_20",
    formula: "(close−min low 20)/(max high 20−min low 20)",
    at: (w, j) => w.position20[j],
  },
  {
    name: "position_50",
    formula: "(close−min low 50)/(max high 50−min low 50)",
    at: (w, j) => w.position50[j],
  },
  { name: "momentum_5", formula: "close/close[t−5]−1", at: (w, j) => rel(w.close[j], w.close[back(j, 5)]) },
  {
    name: "momentum_10",
    formula: "close/close[t−10]−1",
    at: (w, j) => rel(w.close[j], w.close[back(j, 10)]),
  },
  {
    name: "momentum_20",
    formula: "close/close[t−20]−1",
    at: (w, j) => rel(w.close[j], w.close[back(j, 20)]),
  },
  { name: "stoch_kd_diff", formula: "stoch_k−stoch_d", at: (w, j) => w.stochK[j] - w.stochD[j] },
];

/** The features' names, in input order (what preprocessor.json records). */
export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);
/** Features per candle: the width of every engineered row. */
export const FEATURE_COUNT = FEATURES.length;
/** The usual window, 50 candles (train's default `--lookback` too); the scratch columns start this long. */
export const DEFAULT_LOOKBACK = 50;

/** Index of a feature by name; throws on a typo so a renamed feature cannot silently read column −1. */
export function featureIndex(name: string): number {
  const i = FEATURE_NAMES.indexOf(name);
  if (i < 0) throw new Error(`unknown feature "${name}"`);
  return i;
}

/** Mean over the last n values up to j (fewer near the window's start). */
function expandingMean(x: Float64Array, n: number, out: Float64Array): void {
  // Summed afresh over each window (≤ n values), not as a running sum: subtracting the values that leave
  // drifts (to ±1e-13 after a busy hour followed by zero volume), and SPEC §5's "0 when std is 0" must see the
  // 0. A window of equal values has exactly that value as its mean (k·v/k need not round back to v), so its
  // std is exactly 0 too.
  for (let j = 0; j < x.length; j++) {
    const from = j >= n - 1 ? j - n + 1 : 0;
    let sum = 0, equal = true;
    for (let i = from; i <= j; i++) {
      sum += x[i];
      equal &&= x[i] === x[j];
    }
    out[j] = equal ? x[j] : sum / (j - from + 1);
  }
}

/** Sample standard deviation (n−1) over the last n values up to j; 0 with fewer than 2. Two-pass for accuracy. */
function expandingStd(x: Float64Array, n: number, mean: Float64Array, out: Float64Array): void {
  for (let j = 0; j < x.length; j++) {
    const from = j >= n - 1 ? j - n + 1 : 0;
    const count = j - from + 1;
    if (count < 2) {
      out[j] = 0;
      continue;
    }
    const m = mean[j];
    let ss = 0;
    for (let i = from; i <= j; i++) ss += (x[i] - m) * (x[i] - m);
    out[j] = Math.sqrt(ss / (count - 1));
  }
}

/** (close − lowest low) / (highest high − lowest low) over the last n candles; 0.5 when the range is 0. */
function position(w: WindowView, n: number, out: Float64Array): void {
  let lo = Infinity, hi = -Infinity;
  for (let j = 0; j < w.length; j++) {
    if (j < n) {
      if (w.low[j] < lo) lo = w.low[j];
      if (w.high[j] > hi) hi = w.high[j];
    } else {
      lo = Infinity;
      hi = -Infinity;
      for (let i = j - n + 1; i <= j; i++) {
        if (w.low[i] < lo) lo = w.low[i];
        if (w.high[i] > hi) hi = w.high[i];
      }
    }
    out[j] = hi - lo !== 0 ? (w.close[j] - lo) / (hi - lo) : 0.5;
  }
}

/** Reusable scratch columns, so engineering 244k windows allocates nothing per window. */
class Scratch {
  readonly logRet: Float64Array;
  readonly volumeSma5: Float64Array;
  readonly volumeSma20: Float64Array;
  readonly volumeStd20: Float64Array;
  readonly logRetMean5: Float64Array;
  readonly logRetMean20: Float64Array;
  readonly volatility5: Float64Array;
  readonly volatility20: Float64Array;
  readonly rsiSma5: Float64Array;
  readonly position20: Float64Array;
  readonly position50: Float64Array;
  constructor(readonly length: number) {
    const column = () => new Float64Array(length);
    this.logRet = column();
    this.volumeSma5 = column();
    this.volumeSma20 = column();
    this.volumeStd20 = column();
    this.logRetMean5 = column();
    this.logRetMean20 = column();
    this.volatility5 = column();
    this.volatility20 = column();
    this.rsiSma5 = column();
    this.position20 = column();
    this.position50 = column();
  }
}
let scratch = new Scratch(DEFAULT_LOOKBACK);

function windowView(s: CandleSeries, start: number, length: number): WindowView {
  if (scratch.length !== length) scratch = new Scratch(length);
  const v = (a: Float64Array) => a.subarray(start, start + length);
  const close = v(s.close), volume = v(s.volume), rsi = v(s.rsi);
  const d = scratch;
  for (let j = 0; j < length; j++) {
    const prev = close[back(j, 1)];
    d.logRet[j] = close[j] > 0 && prev > 0 ? Math.log(close[j] / prev) : 0;
  }
  expandingMean(volume, 5, d.volumeSma5);
  expandingMean(volume, 20, d.volumeSma20);
  expandingStd(volume, 20, d.volumeSma20, d.volumeStd20);
  expandingMean(d.logRet, 5, d.logRetMean5);
  expandingMean(d.logRet, 20, d.logRetMean20);
  expandingStd(d.logRet, 5, d.logRetMean5, d.volatility5);
  expandingStd(d.logRet, 20, d.logRetMean20, d.volatility20);
  expandingMean(rsi, 5, d.rsiSma5);
  const w: WindowView = {
    length,
    open: v(s.open),
    high: v(s.high),
    low: v(s.low),
    close,
    volume,
    rsi,
    macd: v(s.macd),
    macdSignal: v(s.macdSignal),
    macdHist: v(s.macdHist),
    ema: v(s.ema),
    stochK: v(s.stochK),
    stochD: v(s.stochD),
    logRet: d.logRet,
    volumeSma5: d.volumeSma5,
    volumeSma20: d.volumeSma20,
    volumeStd20: d.volumeStd20,
    volatility5: d.volatility5,
    volatility20: d.volatility20,
    rsiSma5: d.rsiSma5,
    position20: d.position20,
    position50: d.position50,
  };
  position(w, 20, d.position20);
  position(w, 50, d.position50);
  return w;
}

/**
 * Features of the `length` candles starting at `start`, written row-major ([candle][feature]) into `out` at
 * `offset` (a new Float32Array when omitted). Depends on nothing outside the window.
 *
 * @example
 * ```ts
 * const [s] = await readTrainingCsv("data/training_data.csv");
 * const x = engineerWindow(s, s.length - DEFAULT_LOOKBACK, DEFAULT_LOOKBACK); // the latest window
 * x.length === DEFAULT_LOOKBACK * FEATURE_COUNT; // row-major [candle][feature], not yet scaled
 * ```
 */
export function engineerWindow(
  s: CandleSeries,
  start: number,
  length: number,
  out: Float32Array = new Float32Array(length * FEATURE_COUNT),
  offset = 0,
): Float32Array {
  if (start < 0 || start + length > s.length) {
    throw new RangeError(`window [${start}, ${start + length}) is outside the series of ${s.length} candles`);
  }
  const w = windowView(s, start, length);
  for (let f = 0; f < FEATURE_COUNT; f++) {
    const at = FEATURES[f].at;
    for (let j = 0, o = offset + f; j < length; j++, o += FEATURE_COUNT) out[o] = at(w, j);
  }
  return out;
}

/**
 * The first value float32 cannot carry among `candles` engineered candles in `x` (row-major, from `offset`):
 * finite doubles past ±3.4e38 (`macd` 1e300 over a close, a close over `ema` 1e-300) become ±Infinity, and
 * a model trained on them ends with NaN weights. NaN is not an overflow: it is a missing indicator (a warm-up
 * value). Candles that pass `candleProblem` (prices ≤ MAX_PRICE, volumes ≤ MAX_VOLUME) give no other NaN: the
 * one way left, a 20-volume sum past float64's range (Infinity/Infinity in volume_z_20), needs volumes near
 * 1e307, which every reader refuses first.
 */
export function overflowingFeature(
  x: Float32Array,
  offset: number,
  candles: number,
): { readonly candle: number; readonly feature: string } | null {
  for (let i = 0; i < candles * FEATURE_COUNT; i++) {
    const v = x[offset + i];
    if (v === Infinity || v === -Infinity) {
      return { candle: Math.floor(i / FEATURE_COUNT), feature: FEATURE_NAMES[i % FEATURE_COUNT] };
    }
  }
  return null;
}

/** The overflow as serve's 422 words it, after the candle's name (`where`). */
export function featureOverflowMessage(where: string, feature: string): string {
  return `${where}: its values make feature ${feature} overflow (not finite in float32); ` +
    "check the candle's magnitudes";
}

/** Candles engineered at once by `assertFeaturesFit`: its memory stays ~0.6 MB whatever the series' length. */
const FIT_CHUNK = 4096;
/** How far back a feature reaches (`position_50` spans 50 candles): each chunk starts that much earlier. */
const FEATURE_REACH = 49;

/**
 * Throws a CandleError naming (`describe(i)`) the first candle whose features overflow float32, the check
 * /predict applies to a request's window, applied to a whole series when it is read: collect and train
 * refuse such a candle at once rather than train to the end on it and fail at the ONNX export. Every candle
 * gets the features of the window that ends at it (`FEATURE_REACH` candles before).
 */
export function assertFeaturesFit(
  s: CandleSeries,
  describe = (i: number) => `${s.symbol} candle ${i}`,
): void {
  const x = new Float32Array((FIT_CHUNK + FEATURE_REACH) * FEATURE_COUNT);
  for (let from = 0; from < s.length; from += FIT_CHUNK) {
    const start = Math.max(0, from - FEATURE_REACH);
    const end = Math.min(s.length, from + FIT_CHUNK);
    engineerWindow(s, start, end - start, x);
    const skip = from - start;
    const found = overflowingFeature(x, skip * FEATURE_COUNT, end - from);
    if (found) {
      throw new CandleError(
        featureOverflowMessage(describe(from + found.candle), found.feature),
        "fix or remove that candle: no market's numbers come near float32's ±3.4e38, so it is a broken value",
      );
    }
  }
}
