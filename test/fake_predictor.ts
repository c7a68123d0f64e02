/**
 * Test doubles shared by the server's tests and the serve bench: a deterministic stand-in for the ONNX
 * engine (its output is a fixed function of every input value, so tests can tell which features reached it,
 * which version answered, and whether a closed model was used) and plausible synthetic /predict bodies.
 * The bench measures the fake only when no trained model is available, and says so.
 */
import { CLASSES, DEFAULT_LABEL_RULE, FEATURE_COUNT, FEATURE_NAMES } from "../features/index.ts";
import type { Predictor, RawPrediction } from "../engine/types.ts";
import type { Preprocessor } from "../engine/preprocessor.ts";

export interface FakePredictorOptions {
  readonly version?: string;
  readonly lookback?: number;
  /** Milliseconds each predict() waits, to hold requests in flight. */
  readonly delayMs?: number;
  /** Without attention, like a lightweight_lstm. */
  readonly attention?: boolean;
  /** Fields of preprocessor.json to set (e.g. a stored decision rule and class priors). */
  readonly preprocessor?: Partial<Preprocessor>;
  /** The interval of the candles the fake version was "trained" on (default: not recorded). */
  readonly interval?: string;
  /** How far the fake version's candles opened past the interval's UTC grid (default: on it). */
  readonly gridOffsetMs?: number;
  /** metrics.json's `served` part: the test split under the version's decision rule. */
  readonly servedMetrics?: { readonly rule: string; readonly metrics: unknown };
}

export class FakePredictor implements Predictor {
  readonly device = "cpu";
  readonly info;
  closed = false;
  /** Batch sizes of every predict() call, in order. */
  readonly calls: number[] = [];
  /** The inputs of the last predict() call. */
  lastInput: Float32Array | null = null;
  readonly #delayMs: number;
  readonly #attention: boolean;

  constructor(options: FakePredictorOptions = {}) {
    const lookback = options.lookback ?? 50;
    const preprocessor: Preprocessor = {
      modelType: options.attention === false ? "lightweight_lstm" : "transformer_lstm",
      featureNames: FEATURE_NAMES,
      lookback,
      horizon: 4,
      labelRule: DEFAULT_LABEL_RULE,
      classes: CLASSES,
      scaler: {
        featureNames: FEATURE_NAMES,
        mean: FEATURE_NAMES.map(() => 0),
        std: FEATURE_NAMES.map(() => 1),
      },
      clip: 10,
      returnScale: { mean: 0, std: 1 },
      temperature: 1,
      ...options.preprocessor,
    };
    this.info = {
      modelClass: options.attention === false ? "LightweightLSTMModel" : "TransformerLSTMModel",
      preprocessor,
      version: options.version ?? "v1_2026-01-01",
      trainedAt: "2026-01-01T00:00:00.000Z",
      interval: options.interval ?? null,
      gridOffsetMs: options.gridOffsetMs ?? 0,
      metrics: { accuracy: 0.5 },
      servedMetrics: options.servedMetrics,
    };
    this.#delayMs = options.delayMs ?? 0;
    this.#attention = options.attention ?? true;
  }

  async predict(x: Float32Array, count: number): Promise<RawPrediction[]> {
    if (this.closed) throw new Error(`predictor ${this.info.version} used after close()`);
    const { lookback } = this.info.preprocessor;
    if (x.length !== count * lookback * FEATURE_COUNT) throw new Error("input size does not match count");
    this.calls.push(count);
    this.lastInput = x.slice();
    if (this.#delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.#delayMs));
    if (this.closed) throw new Error(`predictor ${this.info.version} closed while predicting`);
    return Array.from(
      { length: count },
      (_, b) =>
        fakeOutput(
          x.subarray(b * lookback * FEATURE_COUNT, (b + 1) * lookback * FEATURE_COUNT),
          lookback,
          this.#attention,
        ),
    );
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** The fake model: a bounded mixing of every input into three logits, a return and attention weights. */
export function fakeOutput(window: Float32Array, lookback: number, withAttention = true): RawPrediction {
  let s = 0;
  for (let i = 0; i < window.length; i++) s += Math.fround(window[i]) * Math.sin(i + 1);
  const t = Math.tanh(s / 100);
  const logits = [-2 * t, 0.3, 2 * t];
  const max = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - max));
  const z = e[0] + e[1] + e[2];
  let attention: Float32Array | null = null;
  if (withAttention) {
    attention = new Float32Array(lookback);
    let total = 0;
    for (let j = 0; j < lookback; j++) {
      total += attention[j] = Math.exp(Math.tanh(window[j * FEATURE_COUNT + 3] * 50) + j / lookback);
    }
    for (let j = 0; j < lookback; j++) attention[j] /= total;
  }
  return { probabilities: [e[0] / z, e[1] / z, e[2] / z], expectedReturn: t / 100, attention };
}

/** A plausible candle as the C# bot sends it (SPEC §4 field names). */
export interface WireCandle {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  rsi: number;
  macd: number;
  macdSign: number;
  macdHist: number;
  ema: number;
  stochSlowK: number;
  stochSlowD: number;
}

/** `n` synthetic candles of a random walk from a seeded generator (same seed, same candles). */
export function syntheticCandles(n: number, seed = 1): WireCandle[] {
  let state = seed >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const candles: WireCandle[] = [];
  let close = 50000, ema = 50000;
  for (let i = 0; i < n; i++) {
    const open = close;
    close = open * (1 + (random() - 0.5) * 0.02);
    const high = Math.max(open, close) * (1 + random() * 0.005);
    const low = Math.min(open, close) * (1 - random() * 0.005);
    ema += (close - ema) * (2 / 51);
    const macd = (random() - 0.5) * 200;
    const macdSign = macd * 0.8;
    const k = random() * 100;
    candles.push({
      open,
      high,
      low,
      close,
      volume: 500 + random() * 1000,
      rsi: 20 + random() * 60,
      macd,
      macdSign,
      macdHist: macd - macdSign,
      ema,
      stochSlowK: k,
      stochSlowD: Math.min(100, Math.max(0, k + (random() - 0.5) * 10)),
    });
  }
  return candles;
}

/** A /predict body of `n` synthetic candles. */
export function predictBody(symbol = "BTCUSDT", n = 50, seed = 1): { symbol: string; candles: WireCandle[] } {
  return { symbol, candles: syntheticCandles(n, seed) };
}
