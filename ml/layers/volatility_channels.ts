/**
 * Volatility-relative input channels, computed inside the model from the window it already receives. The
 * labels are volatility-scaled (UP/DOWN: a forward return beyond ±0.5·volatility_20·√h, SPEC §6), but the
 * network sees return-like features standardised over the whole training span, so in a calm year every
 * return looks "small". These channels restate each candle's returns in units of that candle's own
 * volatility_20, which is what the label rule compares against.
 *
 * The layer gets the scaled, clipped features [b, T, 35] (what training feeds and what the ONNX graph's
 * scaler produces), un-standardises the columns it needs with the training scaler's mean and std (stored in
 * its config, so a saved model carries them), and appends, per timestep t with s_t = max(volatility_20_t, ε):
 * - r_t / (s_t·√k) for each return-like feature r over k candles (`VOLATILITY_RATIOS`);
 * - ln(max(volatility_5_t, ε) / s_t), the short-over-long volatility regime;
 * each clipped to ±clip (the input clip). They are O(1) by construction, so they need no scaler.
 * With `reference: "last"` every timestep is measured against the window's LAST candle instead (s = its
 * volatility_20, the label's own scale; the Alpha360 idea of stating a window relative to its latest candle):
 * r_t / (s_T·√k), ln(volatility_5_t / s_T) and ln(volatility_20_t / s_T). A window's first candles have an
 * in-window volatility_20 of a few values (SPEC §5), so their own-candle ratios are mostly noise at the clip;
 * the last candle's is always over a full 20.
 * With `reference: "last-path"`, "last" plus the window's paths relative to its last candle (Qlib's Alpha360
 * states a window's prices ÷ the latest close and volumes ÷ the latest volume): the log close path
 * ln(close_t / close_T) = −Σ_{s>t} log_ret_s in units of s_T·√(T − t) (a random walk's spread after T − t
 * candles; 0 at t = T), and the log volume path ln(v_t / v_T) = −Σ_{s>t} volume_log_change_s (each term as
 * the model receives it, within the input clip, so a window's extreme candles count at the clip).
 * Output: [b, T, 35 + volatilityChannelCount(reference)], the input followed by the channels. No weights.
 */
import * as tf from "@tensorflow/tfjs";
import { FEATURE_COUNT, featureIndex } from "../../features/index.ts";
import { type BaseLayerArgs, type Kwargs, single } from "./common.ts";

const vector = (values: readonly number[]) => tf.tensor1d(Float32Array.from(values));

/** A return-like feature and the number of candles it spans (its volatility scale is s·√candles). */
export interface VolatilityRatio {
  readonly feature: string;
  readonly candles: number;
}

/**
 * The one list of what is divided by volatility_20: single-candle returns and distances, then multi-candle.
 * `ema_dist` is close/EMA(50) − 1: for a random walk, close − EMA_n has the spread of √((1−α)²/(1−(1−α)²)) ≈ √12
 * candles (α = 2/51), so it is scaled as a 12-candle return; divided by volatility_20 alone it sits past ±5 for
 * 14 % of BTCUSDT's candles, scaled so none (hl_ratio, the widest of the rest: 1.5 %).
 */
export const VOLATILITY_RATIOS: readonly VolatilityRatio[] = [
  ...[
    "ret",
    "log_ret",
    "co_ratio",
    "open_rel",
    "high_rel",
    "low_rel",
    "hl_ratio",
    "macd_n",
    "macd_signal_n",
    "macd_hist_n",
  ].map((feature) => ({ feature, candles: 1 })),
  { feature: "ema_dist", candles: 12 },
  { feature: "ret_3", candles: 3 },
  { feature: "momentum_5", candles: 5 },
  { feature: "momentum_10", candles: 10 },
  { feature: "momentum_20", candles: 20 },
];

/** The volatility every ratio is relative to, the short one of the regime channel, and their floor. */
export const LONG_VOLATILITY = "volatility_20";
export const SHORT_VOLATILITY = "volatility_5";
export const VOLATILITY_FLOOR = 1e-6;

/** What each timestep's ratios divide by: its own candle's volatility_20, or the window's last candle's. */
export const VOLATILITY_REFERENCES = ["candle", "last", "last-path"] as const;
export type VolatilityReference = typeof VOLATILITY_REFERENCES[number];

/** Whether the ratios divide by the window's last candle's volatility_20 (else each candle's own). */
const againstLast = (reference: VolatilityReference): boolean => reference !== "candle";

/** The log-change features whose reversed running sums are the "last-path" channels, close then volume. */
export const PATH_FEATURES = ["log_ret", "volume_log_change"] as const;

/**
 * Channels appended: one per ratio, then the volatility regime (one channel, or two against the last candle),
 * then the two paths with "last-path".
 */
export const volatilityChannelCount = (reference: VolatilityReference): number =>
  VOLATILITY_RATIOS.length + (againstLast(reference) ? 2 : 1) +
  (reference === "last-path" ? PATH_FEATURES.length : 0);

/** Channels appended with the default reference ("candle"), the layout saved models before "last" had. */
export const VOLATILITY_CHANNEL_COUNT = volatilityChannelCount("candle");

/** Names of the appended channels, in order (for reports and tests). */
export function volatilityChannelNames(reference: VolatilityReference): string[] {
  if (!againstLast(reference)) {
    return [...VOLATILITY_RATIOS.map((r) => `${r.feature}_per_vol`), "log_vol5_per_vol20"];
  }
  return [
    ...VOLATILITY_RATIOS.map((r) => `${r.feature}_per_last_vol`),
    "log_vol5_per_last_vol20",
    "log_vol20_per_last_vol20",
    ...(reference === "last-path" ? ["log_close_path_per_last_vol", "log_volume_path"] : []),
  ];
}

export const VOLATILITY_CHANNEL_NAMES: readonly string[] = volatilityChannelNames("candle");

/** The constants both the layer and its ONNX conversion use, from the scaler's full mean and std. */
export interface VolatilityConstants {
  /** Feature columns of the ratios' numerators. */
  readonly ratioIndex: readonly number[];
  readonly ratioMean: readonly number[];
  readonly ratioStd: readonly number[];
  /** √candles per ratio. */
  readonly ratioSqrt: readonly number[];
  /** Columns [volatility_20, volatility_5] and their mean and std. */
  readonly volatilityIndex: readonly number[];
  readonly volatilityMean: readonly number[];
  readonly volatilityStd: readonly number[];
  /** Columns of PATH_FEATURES and their mean and std. */
  readonly pathIndex: readonly number[];
  readonly pathMean: readonly number[];
  readonly pathStd: readonly number[];
}

/**
 * 1/√max(T − 1 − t, 1) for t = 0 … T − 1: the close path's scale per timestep (how many candles lie between
 * it and the last; the last's own path is 0, so its factor only has to be finite).
 */
export function pathScales(steps: number): number[] {
  return Array.from({ length: steps }, (_, t) => 1 / Math.sqrt(Math.max(steps - 1 - t, 1)));
}

export function volatilityConstants(mean: readonly number[], std: readonly number[]): VolatilityConstants {
  const ratioIndex = VOLATILITY_RATIOS.map((r) => featureIndex(r.feature));
  const volatilityIndex = [featureIndex(LONG_VOLATILITY), featureIndex(SHORT_VOLATILITY)];
  const pathIndex = PATH_FEATURES.map((f) => featureIndex(f));
  return {
    ratioIndex,
    ratioMean: ratioIndex.map((i) => mean[i]),
    ratioStd: ratioIndex.map((i) => std[i]),
    ratioSqrt: VOLATILITY_RATIOS.map((r) => Math.sqrt(r.candles)),
    volatilityIndex,
    volatilityMean: volatilityIndex.map((i) => mean[i]),
    volatilityStd: volatilityIndex.map((i) => std[i]),
    pathIndex,
    pathMean: pathIndex.map((i) => mean[i]),
    pathStd: pathIndex.map((i) => std[i]),
  };
}

export interface VolatilityChannelsArgs extends BaseLayerArgs {
  /** The training scaler's per-feature mean and std (all 35, in FEATURE_NAMES order). */
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** The channels are clipped to ±clip, the input clip. */
  readonly clip: number;
  /** Divide by each candle's own volatility_20 (default: what models saved before the option had) or the last's. */
  readonly reference?: VolatilityReference;
}

export class VolatilityChannels extends tf.layers.Layer {
  static className = "VolatilityChannels";
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly clip: number;
  readonly reference: VolatilityReference;
  readonly #constants: VolatilityConstants;

  constructor(args: VolatilityChannelsArgs) {
    super(args);
    const bad = (v: readonly number[], positive: boolean) =>
      !Array.isArray(v) || v.length !== FEATURE_COUNT ||
      v.some((x) => !Number.isFinite(x) || (positive && !(x > 0)));
    if (bad(args.mean, false) || bad(args.std, true)) {
      throw new Error(
        `VolatilityChannels: needs the scaler's mean and positive std for all ${FEATURE_COUNT} features`,
      );
    }
    if (!(args.clip > 0)) throw new Error(`VolatilityChannels: clip must be positive, got ${args.clip}`);
    this.mean = [...args.mean];
    this.std = [...args.std];
    this.clip = args.clip;
    const reference = args.reference ?? "candle";
    if (!VOLATILITY_REFERENCES.includes(reference)) {
      throw new Error(`VolatilityChannels: reference must be one of ${VOLATILITY_REFERENCES.join(", ")}`);
    }
    this.reference = reference;
    this.#constants = volatilityConstants(this.mean, this.std);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const width = shape[shape.length - 1];
    if (width !== FEATURE_COUNT) {
      throw new Error(`${this.name}: expects ${FEATURE_COUNT} features per timestep, got ${width}`);
    }
    return [...shape.slice(0, -1), width + volatilityChannelCount(this.reference)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const c = this.#constants;
    return tf.tidy(() => {
      const x = single(inputs, this.name);
      // The same operations, in the same order, as the ONNX conversion (ml/onnx/tfjs_layers.ts).
      const raw = (index: readonly number[], mean: readonly number[], std: readonly number[]) =>
        tf.add(tf.mul(tf.gather(x, Array.from(index), 2), vector(std)), vector(mean));
      const numerators = raw(c.ratioIndex, c.ratioMean, c.ratioStd);
      const volatility = tf.maximum(
        raw(c.volatilityIndex, c.volatilityMean, c.volatilityStd),
        VOLATILITY_FLOOR,
      );
      const [long, short] = tf.split(volatility, 2, 2);
      // "last": every timestep against the final candle's volatility_20, [b, 1, 1], broadcast over time.
      const steps = x.shape[1]!;
      const last = againstLast(this.reference);
      const reference = last ? tf.slice(long, [0, steps - 1, 0], [-1, 1, -1]) : long;
      const ratios = tf.div(numerators, tf.mul(reference, vector(c.ratioSqrt)));
      const regime = last
        ? [tf.log(tf.div(short, reference)), tf.log(tf.div(long, reference))]
        : [tf.log(tf.div(short, long))];
      const paths: tf.Tensor[] = [];
      if (this.reference === "last-path") {
        // −Σ_{s>t}: a reversed, exclusive running sum over time, negated.
        const logPaths = tf.neg(tf.cumsum(raw(c.pathIndex, c.pathMean, c.pathStd), 1, true, true));
        const [close, volume] = tf.split(logPaths, 2, 2);
        const scales = tf.tensor3d(Float32Array.from(pathScales(steps)), [1, steps, 1]);
        paths.push(tf.mul(tf.div(close, reference), scales), volume);
      }
      const channels = tf.clipByValue(tf.concat([ratios, ...regime, ...paths], 2), -this.clip, this.clip);
      return tf.concat([x, channels], 2);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      mean: [...this.mean],
      std: [...this.std],
      clip: this.clip,
      reference: this.reference,
    };
  }
}
