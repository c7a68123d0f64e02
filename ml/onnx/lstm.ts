/**
 * Keras/tfjs LSTM weights → the ONNX LSTM operator. tfjs stores kernel [in, 4H] and recurrent kernel [H, 4H]
 * with gate blocks i, f, c, o along the columns and one bias [4H]; ONNX wants W [dirs, 4H, in] and
 * R [dirs, 4H, H] (rows, so transposed) in gate order i, o, f, c, and B [dirs, 8H] = [Wb | Rb]. The tfjs bias
 * goes to Wb and Rb is zero: ONNX adds both, so the sum is the same.
 */
import type { GraphBuilder } from "./graph.ts";
import { lstm, reshape, transpose } from "./ops.ts";

/** One direction of a tfjs LSTM, as its weights are stored. */
export interface LstmWeights {
  /** [inputSize, 4·hidden], gate blocks i, f, c, o. */
  readonly kernel: Float32Array;
  /** [hidden, 4·hidden], gate blocks i, f, c, o. */
  readonly recurrentKernel: Float32Array;
  /** [4·hidden] or null for a layer without bias. */
  readonly bias: Float32Array | null;
}

/** ONNX gate block j is tfjs block ONNX_FROM_TFJS[j] (i, o, f, c ← i, f, c, o). */
export const ONNX_FROM_TFJS: readonly number[] = [0, 3, 1, 2];

/** [rows, 4H] gate-blocked columns → [4H, rows] with the blocks re-ordered. */
function gateRows(m: Float32Array, rows: number, hidden: number, order: readonly number[]): Float32Array {
  const out = new Float32Array(4 * hidden * rows);
  for (let j = 0; j < 4; j++) {
    const src = order[j] * hidden;
    for (let u = 0; u < hidden; u++) {
      const dst = (j * hidden + u) * rows;
      for (let r = 0; r < rows; r++) out[dst + r] = m[r * 4 * hidden + src + u];
    }
  }
  return out;
}

export interface OnnxLstmTensors {
  readonly w: Float32Array;
  readonly r: Float32Array;
  readonly b: Float32Array;
}

/**
 * Packs the directions (forward first) into ONNX's W, R, B. `order` exists so a test can build a deliberately
 * wrong model and prove the comparison catches it.
 */
export function onnxLstmTensors(
  directions: readonly LstmWeights[],
  inputSize: number,
  hidden: number,
  order: readonly number[] = ONNX_FROM_TFJS,
): OnnxLstmTensors {
  const dirs = directions.length;
  const w = new Float32Array(dirs * 4 * hidden * inputSize);
  const r = new Float32Array(dirs * 4 * hidden * hidden);
  const b = new Float32Array(dirs * 8 * hidden);
  directions.forEach((d, k) => {
    if (d.kernel.length !== inputSize * 4 * hidden || d.recurrentKernel.length !== hidden * 4 * hidden) {
      throw new Error(
        `LSTM weights: expected kernel [${inputSize}, ${4 * hidden}] and recurrent [${hidden}, ${
          4 * hidden
        }], ` +
          `got ${d.kernel.length} and ${d.recurrentKernel.length} values`,
      );
    }
    w.set(gateRows(d.kernel, inputSize, hidden, order), k * 4 * hidden * inputSize);
    r.set(gateRows(d.recurrentKernel, hidden, hidden, order), k * 4 * hidden * hidden);
    if (d.bias) {
      if (d.bias.length !== 4 * hidden) throw new Error(`LSTM bias: expected ${4 * hidden} values`);
      for (let j = 0; j < 4; j++) {
        b.set(d.bias.subarray(order[j] * hidden, (order[j] + 1) * hidden), k * 8 * hidden + j * hidden);
      }
    }
  });
  return { w, r, b };
}

export interface LstmLayerSpec {
  /** One entry for a unidirectional layer; [forward, backward] for a bidirectional one. */
  readonly directions: readonly LstmWeights[];
  readonly inputSize: number;
  readonly hidden: number;
  /** Every timestep [batch, seq, dirs·H] (true) or only the final state [batch, dirs·H] (false). */
  readonly returnSequences: boolean;
  readonly order?: readonly number[];
}

/**
 * A tfjs LSTM layer on a batch-major sequence x [batch, seq, in], as tfjs lays it out. Bidirectional outputs
 * are [forward | backward] per timestep, both aligned to input time; the final state of a bidirectional layer
 * is [forward at seq−1 | backward at 0], which is what ONNX's Y_h holds.
 */
export function lstmLayer(g: GraphBuilder, x: string, spec: LstmLayerSpec): string {
  const dirs = spec.directions.length;
  const width = dirs * spec.hidden;
  const { w, r, b } = onnxLstmTensors(spec.directions, spec.inputSize, spec.hidden, spec.order);
  const wName = g.floats("W", w, [dirs, 4 * spec.hidden, spec.inputSize]);
  const rName = g.floats("R", r, [dirs, 4 * spec.hidden, spec.hidden]);
  const bName = g.floats("B", b, [dirs, 8 * spec.hidden]);
  // ONNX Runtime's LSTM takes time-major input only (layout = 0).
  const { y, yH } = lstm(g, transpose(g, x, [1, 0, 2]), wName, rName, bName, {
    hiddenSize: spec.hidden,
    direction: dirs === 2 ? "bidirectional" : "forward",
  });
  // Y is [seq, dirs, batch, H] and Y_h [dirs, batch, H]: bring batch first and dirs next to H, then merge them.
  return spec.returnSequences
    ? reshape(g, transpose(g, y, [2, 0, 1, 3]), [0, 0, width])
    : reshape(g, transpose(g, yH, [1, 0, 2]), [0, width]);
}
