/**
 * Plain-TypeScript reference implementations (float64 loops, no library) of the pieces the exporter maps onto
 * ONNX operators: the Keras LSTM, LayerNormalization and scaled dot-product attention. Tests check the ONNX
 * graphs against these, so an operator mapping is proven independently of tfjs.
 */
import type { LstmWeights } from "./lstm.ts";

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * A Keras LSTM (sigmoid gates, tanh cell/output, gate blocks i, f, c, o) over batch-major x [batch, seq, in].
 * Returns the sequence [batch, seq, H]; `reverse` runs right to left and keeps outputs aligned to input time.
 */
export function lstmReference(
  x: Float32Array,
  batch: number,
  seq: number,
  inputSize: number,
  hidden: number,
  weights: LstmWeights,
  reverse = false,
): Float64Array {
  const out = new Float64Array(batch * seq * hidden);
  const z = new Float64Array(4 * hidden);
  for (let b = 0; b < batch; b++) {
    const h = new Float64Array(hidden);
    const c = new Float64Array(hidden);
    for (let step = 0; step < seq; step++) {
      const t = reverse ? seq - 1 - step : step;
      for (let k = 0; k < 4 * hidden; k++) {
        let s = weights.bias ? weights.bias[k] : 0;
        for (let i = 0; i < inputSize; i++) {
          s += x[(b * seq + t) * inputSize + i] * weights.kernel[i * 4 * hidden + k];
        }
        for (let j = 0; j < hidden; j++) s += h[j] * weights.recurrentKernel[j * 4 * hidden + k];
        z[k] = s;
      }
      for (let u = 0; u < hidden; u++) {
        const i = sigmoid(z[u]);
        const f = sigmoid(z[hidden + u]);
        const g = Math.tanh(z[2 * hidden + u]);
        const o = sigmoid(z[3 * hidden + u]);
        c[u] = f * c[u] + i * g;
        h[u] = o * Math.tanh(c[u]);
        out[(b * seq + t) * hidden + u] = h[u];
      }
    }
  }
  return out;
}

/** LayerNorm over the last axis of `rows` rows of `width` values (population variance, like ONNX and Keras). */
export function layerNormReference(
  x: ArrayLike<number>,
  rows: number,
  width: number,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  epsilon: number,
): Float64Array {
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let k = 0; k < width; k++) mean += x[r * width + k];
    mean /= width;
    let variance = 0;
    for (let k = 0; k < width; k++) variance += (x[r * width + k] - mean) ** 2;
    variance /= width;
    const inv = 1 / Math.sqrt(variance + epsilon);
    for (let k = 0; k < width; k++) out[r * width + k] = (x[r * width + k] - mean) * inv * gamma[k] + beta[k];
  }
  return out;
}

/** x [rows, in] · w [in, out] + b [out]. */
export function denseReference(
  x: ArrayLike<number>,
  rows: number,
  inputSize: number,
  w: ArrayLike<number>,
  b: ArrayLike<number> | null,
  outputSize: number,
): Float64Array {
  const out = new Float64Array(rows * outputSize);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outputSize; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inputSize; i++) s += x[r * inputSize + i] * w[i * outputSize + o];
      out[r * outputSize + o] = s;
    }
  }
  return out;
}

/**
 * Multi-head scaled dot-product attention on already-projected q [batch, lq, d], k and v [batch, lk, d], heads
 * split along d. Returns the merged context [batch, lq, d] and the weights [batch, heads, lq, lk].
 */
export function attentionReference(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  batch: number,
  lq: number,
  lk: number,
  d: number,
  heads: number,
): { context: Float64Array; weights: Float64Array } {
  const dk = d / heads;
  const scale = 1 / Math.sqrt(dk);
  const context = new Float64Array(batch * lq * d);
  const weights = new Float64Array(batch * heads * lq * lk);
  const row = new Float64Array(lk);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < lq; i++) {
        let max = -Infinity;
        for (let j = 0; j < lk; j++) {
          let s = 0;
          for (let e = 0; e < dk; e++) {
            s += q[(b * lq + i) * d + h * dk + e] * k[(b * lk + j) * d + h * dk + e];
          }
          row[j] = s * scale;
          if (row[j] > max) max = row[j];
        }
        let sum = 0;
        for (let j = 0; j < lk; j++) sum += row[j] = Math.exp(row[j] - max);
        for (let j = 0; j < lk; j++) {
          const wgt = row[j] / sum;
          weights[((b * heads + h) * lq + i) * lk + j] = wgt;
          for (let e = 0; e < dk; e++) {
            context[(b * lq + i) * d + h * dk + e] += wgt * v[(b * lk + j) * d + h * dk + e];
          }
        }
      }
    }
  }
  return { context, weights };
}
