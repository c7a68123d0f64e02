/**
 * The LSTM recurrence as one differentiable op with a hand-written backward pass. Autodiff through a per-step
 * loop of tfjs ops records ~20 tape nodes a step and pads every timestep slice's gradient back to the full
 * sequence (quadratic); here the input projection is done by the caller in one matmul, each step costs one small
 * matmul per direction plus a dozen elementwise kernels, and backward-through-time is one pass whose products
 * over all timesteps (gate derivatives, dU) are computed once, vectorised.
 *
 * Choices that matter on tfjs-wasm, where per-kernel overhead and not arithmetic dominates at these sizes:
 * - D directions (2 for a bidirectional layer) run in the same loop, stacked on a leading axis, so every
 *   elementwise kernel serves both; the backward direction reads its input at T−1−k on step k.
 * - Layout is feature-major ([D, features, batch] per step): every gate and timestep is a contiguous block,
 *   and each step's recurrent product is one aᵀ·b call for both directions (the SIMD kernel on wasm, which
 *   XNNPACK beats only when it can keep one operand packed; here both change every step).
 * - No tanh kernel (12 ns/element on wasm, 10× sigmoid): the candidate is 2·σ(2z) − 1 from the same sigmoid
 *   as the gates (the caller doubles its weights, see `candidateScale`), and tanh(c) = 2·σ(2c) − 1 with the
 *   cell kept as ĉ = 2c.
 * - On wasm each step's elementwise work is one fused kernel call (`ml/runtime/simd/lstm_cell.ts`, forward and
 *   backward), writing straight into the saved sequences; the per-op loops below are the other backends' path
 *   (and the reference the fused one is tested against).
 * Gate order along the 4H axis is tfjs/Keras's: i, f, c (the candidate, "g" below), o.
 */
import * as tf from "@tensorflow/tfjs";
import { fusedLstm, type StepOps, stepOps, type Value } from "./step_ops.ts";

/** [4H] row: 1 for the i, f, o gates, 2 for the candidate's block — scales its weights so σ(2z) can give tanh. */
export function candidateScale(units: number, directions = 1): tf.Tensor1D {
  const values = new Float32Array(4 * units * directions).fill(1);
  for (let d = 0; d < directions; d++) values.fill(2, (4 * d + 2) * units, (4 * d + 3) * units);
  return tf.tensor1d(values);
}

/** Column [4H, 1] with one value per gate block. */
function gateColumn(units: number, perGate: [number, number, number, number]): tf.Tensor2D {
  const values = new Float32Array(4 * units);
  perGate.forEach((v, k) => values.fill(v, k * units, (k + 1) * units));
  return tf.tensor2d(values, [4 * units, 1]);
}

/** The sequence shifted one step later, zeros entering at step 0: x_{t−1}. */
function previous(seq: tf.Tensor): tf.Tensor {
  const [steps, ...rest] = seq.shape;
  const zero = tf.zeros([1, ...rest]);
  if (steps === 1) return zero;
  return tf.concat([zero, tf.slice(seq, [0, ...rest.map(() => 0)], [steps - 1, ...rest])], 0);
}

/** Gate `k` (of 4): rows [k·H, (k+1)·H) of the second-to-last axis. */
function gate(x: tf.Tensor, k: number, units: number): tf.Tensor {
  const axis = x.rank - 2;
  const begin = x.shape.map(() => 0);
  begin[axis] = k * units;
  const size = x.shape.slice();
  size[axis] = units;
  return tf.slice(x, begin, size);
}

/** Step t of a [T, ...rest] sequence, as [...rest]. */
function stepOf(o: StepOps, seq: Value, t: number): Value {
  const [, ...rest] = seq.shape;
  const sliced = o.slice(seq, [t, ...rest.map(() => 0)], [1, ...rest]);
  const out = o.reshape(sliced, rest);
  o.free(sliced);
  return out;
}

/** Gate `g` (of 4) of a [D, 4H, B] step: rows [g·H, (g+1)·H). */
function gateOf(o: StepOps, x: Value, g: number, units: number): Value {
  const [dirs, , batch] = x.shape;
  return o.slice(x, [0, g * units, 0], [dirs, units, batch]);
}

/**
 * Runs D LSTMs from zero state. `xs` [T, D, 4H, B] is x·W + b for every timestep in time order, and `us`
 * [D, H, 4H] the recurrent kernels, both with the candidate's block scaled by 2 (`candidateScale`).
 * Direction 0 runs forward in time, direction 1 (if any) backward. Returns h [T, D, H, B] in time order.
 */
export function lstmRecurrence(
  xs: tf.Tensor4D,
  us: tf.Tensor3D,
  options: { fused?: boolean } = {},
): tf.Tensor4D {
  const fused = options.fused === false ? null : fusedLstm();
  const [steps, dirs, gates] = xs.shape;
  const units = gates / 4;
  if (us.shape[0] !== dirs || us.shape[1] !== units || us.shape[2] !== gates) {
    throw new Error(
      `lstmRecurrence: recurrent weights [${us.shape}] do not match [${dirs}, ${units}, ${gates}]`,
    );
  }

  const op = tf.customGrad((xsIn, usIn, save) => {
    const saveFn = save as tf.GradSaveFunc;
    const x = xsIn as tf.Tensor;
    const value = tf.tidy(() => {
      const [one, two, four] = [tf.scalar(1), tf.scalar(2), tf.scalar(4)];
      const u = usIn as tf.Tensor; // [D, H, 4H]: as aᵀ of the step's product, no transpose needed
      const o = stepOps();
      const run = fused?.forward(x, u);
      if (run) {
        const [output, ...kept] = [run.output, run.sig, run.c2, run.th, run.hs].map((v) => o.adopt(v));
        saveFn([...kept, usIn as tf.Tensor]);
        return output;
      }
      let h: Value | null = null;
      let c2: Value | null = null; // ĉ = 2c
      const sigs: Value[] = [], c2s: Value[] = [], ths: Value[] = [], hs: Value[] = [];
      for (let k = 0; k < steps; k++) {
        let pre = o.pick(x, k);
        if (h) {
          const recurrent = o.tnMatMul(u, h); // [D, 4H, B] = Uᵀ·h for both directions in one call
          const sum = o.add(recurrent, pre);
          o.free(recurrent, pre);
          pre = sum;
        }
        const sig = o.sigmoid(pre);
        const [i, f, gs, og] = [0, 1, 2, 3].map((g) => gateOf(o, sig, g, units));
        const g4 = o.mul(gs, four);
        const g2 = o.sub(g4, two); // 2·g = 4·σ(2z) − 2
        const ig2 = o.mul(i, g2);
        let c2Next = ig2;
        if (c2) {
          const fc = o.mul(f, c2);
          c2Next = o.add(fc, ig2);
          o.free(fc, ig2);
        }
        const s = o.sigmoid(c2Next);
        const s2 = o.mul(s, two);
        const th = o.sub(s2, one); // tanh(c) = 2·σ(ĉ) − 1
        h = o.mul(og, th);
        c2 = c2Next;
        o.free(pre, i, f, gs, og, g4, g2, s, s2);
        sigs.push(sig);
        c2s.push(c2);
        ths.push(th);
        hs.push(h);
      }
      const stack = (values: Value[], timeOrder = false) => o.adopt(o.stackSteps(values, timeOrder));
      const output = stack(hs, true);
      // The op's inputs are not kept for the backward pass (the caller's tidy frees them): save what it needs.
      saveFn([stack(sigs), stack(c2s), stack(ths), stack(hs), usIn as tf.Tensor]);
      o.free(...sigs, ...c2s, ...ths, ...hs);
      return output;
    });

    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] =>
      tf.tidy(() => {
        const [sigS, c2S, thS, hS, uSaved] = saved;
        const ut = tf.transpose(uSaved, [0, 2, 1]); // [D, 4H, H]
        const grads = fused?.backward(dy, sigS, c2S, thS, ut);
        if (grads) {
          const o = stepOps();
          const [dZ, dXs] = [grads.dZ, grads.dXs].map((v) => o.adopt(v));
          return [dXs, recurrentGradient(dZ, hS)];
        }
        const g = tf.sub(tf.mul(gate(sigS, 2, units), 2), 1);
        // dz = [dc, dc, dc, dh] ⊙ [g, c_prev, i, tanh c] ⊙ da/dz  →  the last two factors, every step at once:
        // da/dz = σ(1−σ)·[1, 1, 2, 1] (the candidate is 2σ−1), and c_prev = ĉ_prev/2.
        const dAct = tf.mul(tf.mul(sigS, tf.sub(1, sigS)), gateColumn(units, [1, 0.5, 2, 1]));
        const r = tf.mul(tf.concat([g, previous(c2S), gate(sigS, 0, units), thS], 2), dAct);
        const p = tf.mul(gate(sigS, 3, units), tf.sub(1, tf.square(thS))); // dh → dc through tanh(c)
        const f = gate(sigS, 1, units);
        const o = stepOps();
        const dzs: Value[] = new Array(steps);
        let dhNext: Value | null = null;
        let dcNext: Value | null = null;
        for (let k = steps - 1; k >= 0; k--) {
          let dh = o.pick(dy, k);
          if (dhNext) {
            const sum = o.add(dh, dhNext);
            o.free(dh, dhNext);
            dh = sum;
          }
          const pk = stepOf(o, p, k);
          let dc = o.mul(dh, pk);
          if (dcNext) {
            const sum = o.add(dcNext, dc);
            o.free(dcNext, dc);
            dc = sum;
          }
          const stacked = o.concat([dc, dc, dc, dh], 1);
          const rk = stepOf(o, r, k);
          dzs[k] = o.mul(stacked, rk);
          o.free(pk, stacked, rk);
          if (k > 0) {
            const fk = stepOf(o, f, k);
            dcNext = o.mul(dc, fk);
            dhNext = o.tnMatMul(ut, dzs[k]); // [D, H, B] = U·dz
            o.free(fk);
          }
          o.free(dc, dh);
        }
        const dZ = o.adopt(o.stackSteps(dzs, false)); // [T, D, 4H, B], processing order
        const dXs = o.adopt(o.stackSteps(dzs, true));
        o.free(...dzs);
        return [dXs, recurrentGradient(dZ, hS)];
      });

    return { value, gradFunc };
  });
  return op(xs, us) as tf.Tensor4D;
}

/**
 * dU[d] = Σ_k h_{k−1}·dz_kᵀ from dZ [T, D, 4H, B] and h [T, D, H, B] (both in processing order): one product
 * per direction over all steps and batch columns, as Hᵀ·dZ with the step·batch rows as the reduction axis, the
 * form the wasm backend's aᵀ·b kernel (`gemm_tn`) runs in place. Both operands' per-step blocks are transposed
 * once ([4H, B] → [B, 4H]), 2-D transposes the SIMD kernel does; on other backends tfjs runs the same ops.
 */
function recurrentGradient(dZ: tf.Tensor, hS: tf.Tensor): tf.Tensor {
  const [steps, dirs, gates, batch] = dZ.shape;
  const dZRows = tf.reshape(tf.transpose(dZ, [1, 0, 3, 2]), [dirs, steps * batch, gates]);
  const hRows = tf.reshape(tf.transpose(previous(hS), [1, 0, 3, 2]), [dirs, steps * batch, gates / 4]);
  return tf.matMul(hRows, dZRows, true, false); // [D, H, 4H]
}
