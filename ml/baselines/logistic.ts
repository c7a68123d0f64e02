/**
 * Multinomial logistic regression on the last candle's 35 scaled features (plus a linear fit of the
 * standardised return for the regression metrics): the "is the deep model worth it" baseline. Plain
 * TypeScript, full-batch Adam with a little L2; a convex problem, so it converges the same way every run.
 */
import { FEATURE_COUNT } from "../../features/index.ts";
import { finishSteps } from "../../base/index.ts";
import type { ReturnScale } from "../data/index.ts";
import type { Prediction } from "./prediction.ts";

const K = 3;
const D = FEATURE_COUNT + 1; // + bias

export interface LogisticModel {
  /** [K, D] row-major; the last column is the bias. */
  readonly classWeights: Float64Array;
  /** [D]: standardised return = w·x + b. */
  readonly returnWeights: Float64Array;
  readonly returnScale: ReturnScale;
}

export interface LogisticOptions {
  readonly iterations?: number;
  readonly learningRate?: number;
  readonly l2?: number;
  /** Standardised targets are clipped to ±clip, as the model's are. */
  readonly clip?: number;
}

class Adam {
  readonly #m: Float64Array;
  readonly #v: Float64Array;
  #t = 0;
  constructor(size: number, readonly lr: number) {
    this.#m = new Float64Array(size);
    this.#v = new Float64Array(size);
  }
  step(w: Float64Array, g: Float64Array): void {
    this.#t++;
    const b1 = 0.9, b2 = 0.999;
    const c1 = 1 - b1 ** this.#t, c2 = 1 - b2 ** this.#t;
    for (let i = 0; i < w.length; i++) {
      this.#m[i] = b1 * this.#m[i] + (1 - b1) * g[i];
      this.#v[i] = b2 * this.#v[i] + (1 - b2) * g[i] * g[i];
      w[i] -= (this.lr * (this.#m[i] / c1)) / (Math.sqrt(this.#v[i] / c2) + 1e-8);
    }
  }
}

/**
 * Fits the softmax class weights and the linear return fit on rows of `features` ([n, 35]) by full-batch Adam
 * (300 steps by default); return targets are standardised by `returnScale` and clipped to ±clip.
 */
export function fitLogistic(
  features: Float32Array,
  labels: Int8Array,
  returns: Float64Array,
  returnScale: ReturnScale,
  opts: LogisticOptions = {},
): LogisticModel {
  return finishSteps(fitLogisticSteps(features, labels, returns, returnScale, opts));
}

/**
 * `fitLogistic`, pausing after each Adam step (`finishStepsTurning`): 300 full passes over 50k windows are
 * ~4 s of synchronous work, in which a Ctrl-C went unheard.
 */
export function* fitLogisticSteps(
  features: Float32Array,
  labels: Int8Array,
  returns: Float64Array,
  returnScale: ReturnScale,
  opts: LogisticOptions = {},
): Generator<void, LogisticModel> {
  const { iterations = 300, learningRate = 0.05, l2 = 1e-4, clip = 10 } = opts;
  const n = labels.length;
  const W = new Float64Array(K * D), V = new Float64Array(D);
  const gW = new Float64Array(K * D), gV = new Float64Array(D);
  const adamW = new Adam(W.length, learningRate), adamV = new Adam(V.length, learningRate);
  const z = Float64Array.from(
    returns,
    (r) => Math.max(-clip, Math.min(clip, (r - returnScale.mean) / returnScale.std)),
  );
  const logits = new Float64Array(K);
  for (let it = 0; it < iterations; it++) {
    gW.fill(0);
    gV.fill(0);
    for (let i = 0; i < n; i++) {
      const o = i * FEATURE_COUNT;
      softmaxOf(W, features, o, logits);
      for (let k = 0; k < K; k++) {
        const err = logits[k] - (labels[i] === k ? 1 : 0);
        for (let f = 0; f < FEATURE_COUNT; f++) gW[k * D + f] += err * features[o + f];
        gW[k * D + FEATURE_COUNT] += err;
      }
      const err = 2 * (linearOf(V, features, o) - z[i]);
      for (let f = 0; f < FEATURE_COUNT; f++) gV[f] += err * features[o + f];
      gV[FEATURE_COUNT] += err;
    }
    for (let j = 0; j < gW.length; j++) gW[j] = gW[j] / n + (j % D === FEATURE_COUNT ? 0 : l2 * W[j]);
    for (let j = 0; j < gV.length; j++) gV[j] = gV[j] / n + (j === FEATURE_COUNT ? 0 : l2 * V[j]);
    adamW.step(W, gW);
    adamV.step(V, gV);
    yield;
  }
  return { classWeights: W, returnWeights: V, returnScale };
}

/** Softmax of the K class scores W·x + b of row `o` of `features`, written into `out`. */
function softmaxOf(W: Float64Array, features: Float32Array, o: number, out: Float64Array): void {
  let max = -Infinity;
  for (let k = 0; k < K; k++) {
    let s = W[k * D + FEATURE_COUNT];
    for (let f = 0; f < FEATURE_COUNT; f++) s += W[k * D + f] * features[o + f];
    out[k] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let k = 0; k < K; k++) sum += out[k] = Math.exp(out[k] - max);
  for (let k = 0; k < K; k++) out[k] /= sum;
}

/** The linear return prediction V·x + b for row `o` of `features`. */
function linearOf(V: Float64Array, features: Float32Array, o: number): number {
  let pred = V[FEATURE_COUNT];
  for (let f = 0; f < FEATURE_COUNT; f++) pred += V[f] * features[o + f];
  return pred;
}

/** Softmax probabilities and expected returns (back in return fractions) for rows of `features`. */
export function predictLogistic(m: LogisticModel, features: Float32Array): Prediction {
  const n = features.length / FEATURE_COUNT;
  const probabilities = new Float32Array(n * K), returns = new Float64Array(n);
  const W = m.classWeights, V = m.returnWeights;
  const logits = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    const o = i * FEATURE_COUNT;
    softmaxOf(W, features, o, logits);
    probabilities.set(logits, i * K);
    returns[i] = linearOf(V, features, o) * m.returnScale.std + m.returnScale.mean;
  }
  return { probabilities, returns };
}
