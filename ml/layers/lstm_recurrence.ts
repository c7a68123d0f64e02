/**
 * The LSTM recurrence as one differentiable op with a hand-written backward pass. Autodiff through a per-step
 * loop of tfjs ops records ~20 tape nodes a step and pads every timestep slice's gradient back to the full
 * sequence (quadratic); here the input projection is done by the caller in one matmul, each step costs one small
 * matmul plus a dozen elementwise kernels, and backward-through-time is one pass whose products over all
 * timesteps (gate derivatives, dU) are computed once, vectorised.
 *
 * Layout is feature-major ([features, batch] per step) so that every per-step slice is a contiguous block.
 * Gate order along the 4H axis is tfjs/Keras's: i, f, c (the candidate, "g" below), o.
 */
import * as tf from "@tensorflow/tfjs";

/** Column [4H, 1]: 1 for the sigmoid gates, `g` for the candidate rows, so tanh(z) = 2·σ(2z) − 1 shares σ. */
function gateColumn(units: number, candidate: number): tf.Tensor2D {
  const values = new Float32Array(4 * units).fill(1);
  values.fill(candidate, 2 * units, 3 * units);
  return tf.tensor2d(values, [4 * units, 1]);
}

/** Shifts a [T, H, B] sequence one step later in processing order, with zeros entering at the first step. */
function previous(seq: tf.Tensor3D, reverse: boolean): tf.Tensor3D {
  const [steps, units, batch] = seq.shape;
  const zero = tf.zeros([1, units, batch]) as tf.Tensor3D;
  if (steps === 1) return zero;
  return reverse
    ? tf.concat([tf.slice(seq, [1, 0, 0], [steps - 1, units, batch]), zero], 0)
    : tf.concat([zero, tf.slice(seq, [0, 0, 0], [steps - 1, units, batch])], 0);
}

function step(seq: tf.Tensor3D, t: number): tf.Tensor2D {
  const [, rows, batch] = seq.shape;
  return tf.reshape(tf.slice(seq, [t, 0, 0], [1, rows, batch]), [rows, batch]);
}

/**
 * Runs an LSTM over `xw` ([T, 4H, B]: x·W + b for every timestep, already computed) with recurrent weights
 * `ut` ([4H, H], the transpose of tfjs's recurrent kernel), from zero state. Returns h for every timestep,
 * [T, H, B], indexed by time (a reverse run still writes step t at index t).
 */
export function lstmRecurrence(xw: tf.Tensor3D, ut: tf.Tensor2D, reverse: boolean): tf.Tensor3D {
  const [steps, gates, batch] = xw.shape;
  const units = gates / 4;
  if (ut.shape[0] !== gates || ut.shape[1] !== units) {
    throw new Error(`lstmRecurrence: recurrent weights ${ut.shape} do not match 4H=${gates}`);
  }
  const order = Array.from({ length: steps }, (_, k) => (reverse ? steps - 1 - k : k));

  const op = tf.customGrad((xwIn, utIn, save) => {
    const x = xwIn as tf.Tensor3D;
    const u = utIn as tf.Tensor2D;
    const saveFn = save as tf.GradSaveFunc;
    const value = tf.tidy(() => {
      const scale = gateColumn(units, 2);
      const xs = tf.mul(x, scale) as tf.Tensor3D;
      const us = tf.mul(u, scale) as tf.Tensor2D;
      let h = tf.zeros([units, batch]) as tf.Tensor2D;
      let c = tf.zeros([units, batch]) as tf.Tensor2D;
      const sigs: tf.Tensor2D[] = new Array(steps);
      const cs: tf.Tensor2D[] = new Array(steps);
      const hs: tf.Tensor2D[] = new Array(steps);
      for (const t of order) {
        const sig = tf.sigmoid(tf.add(tf.matMul(us, h), step(xs, t))) as tf.Tensor2D;
        const i = tf.slice(sig, [0, 0], [units, batch]);
        const f = tf.slice(sig, [units, 0], [units, batch]);
        const g = tf.sub(tf.mul(tf.slice(sig, [2 * units, 0], [units, batch]), 2), 1);
        const o = tf.slice(sig, [3 * units, 0], [units, batch]);
        c = tf.add(tf.mul(f, c), tf.mul(i, g));
        h = tf.mul(o, tf.tanh(c));
        sigs[t] = sig;
        cs[t] = c;
        hs[t] = h;
      }
      const hSeq = tf.stack(hs) as tf.Tensor3D;
      // The op's inputs are not kept for the backward pass (the caller's tidy frees them): save what it needs.
      saveFn([tf.stack(sigs), tf.stack(cs), hSeq, u]);
      return hSeq;
    });

    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] =>
      tf.tidy(() => {
        const [sigS, cS, hS] = saved as tf.Tensor3D[];
        const uSaved = saved[3] as tf.Tensor2D;
        const gate = (k: number) => tf.slice(sigS, [0, k * units, 0], [steps, units, batch]);
        const i = gate(0);
        const f = gate(1);
        const g = tf.sub(tf.mul(gate(2), 2), 1);
        const o = gate(3);
        const tc = tf.tanh(cS);
        // d(activation)/dz for every gate at once: σ' = σ(1−σ); for the candidate, tanh' = 4·σ(2z)(1−σ(2z)).
        const dAct = tf.mul(tf.mul(sigS, tf.sub(1, sigS)), gateColumn(units, 4));
        // dz = [dc, dc, dc, dh] ⊙ [g, c_prev, i, tanh c] ⊙ act'  →  precompute the last two factors as R.
        const r = tf.mul(tf.concat([g, previous(cS, reverse), i, tc], 1), dAct) as tf.Tensor3D;
        const p = tf.mul(o, tf.sub(1, tf.square(tc))) as tf.Tensor3D;
        const fS = f as tf.Tensor3D;
        const dyS = dy as tf.Tensor3D;
        const uMat = tf.transpose(uSaved) as tf.Tensor2D;
        const dzs: tf.Tensor2D[] = new Array(steps);
        let dhNext: tf.Tensor2D | null = null;
        let dcNext: tf.Tensor2D | null = null;
        for (let k = steps - 1; k >= 0; k--) {
          const t = order[k];
          const dh: tf.Tensor2D = dhNext ? tf.add(step(dyS, t), dhNext) : step(dyS, t);
          const dcHere = tf.mul(dh, step(p, t)) as tf.Tensor2D;
          const dc: tf.Tensor2D = dcNext ? tf.add(dcNext, dcHere) : dcHere;
          const dz = tf.mul(tf.concat([dc, dc, dc, dh], 0), step(r, t)) as tf.Tensor2D;
          dzs[t] = dz;
          dcNext = tf.mul(dc, step(fS, t));
          dhNext = tf.matMul(uMat, dz);
        }
        const dZ = tf.stack(dzs) as tf.Tensor3D;
        const dzFlat = tf.reshape(tf.transpose(dZ, [1, 0, 2]), [gates, steps * batch]);
        const hPrev = tf.reshape(tf.transpose(previous(hS, reverse), [1, 0, 2]), [units, steps * batch]);
        return [dZ, tf.matMul(dzFlat, hPrev, false, true)];
      });

    return { value, gradFunc };
  });
  return op(xw, ut) as tf.Tensor3D;
}
