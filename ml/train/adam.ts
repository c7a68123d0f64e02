/**
 * Adam over tfjs variables, written out because tfjs's optimizer fixes the learning rate at construction and
 * the loop needs a warm-up schedule; it also clips gradients by their global norm first (one bad batch of
 * fat-tailed returns must not throw the weights away).
 */
import * as tf from "@tensorflow/tfjs";

export interface AdamOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

export class Adam {
  readonly #m: tf.Variable[];
  readonly #v: tf.Variable[];
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #epsilon: number;
  #t = 0;

  constructor(readonly variables: readonly tf.Variable[], opts: AdamOptions = {}) {
    this.#beta1 = opts.beta1 ?? 0.9;
    this.#beta2 = opts.beta2 ?? 0.999;
    this.#epsilon = opts.epsilon ?? 1e-7;
    // Inside tidy, so the zeros the variables start from are released with them.
    const zeros = () => tf.tidy(() => variables.map((v) => tf.variable(tf.zerosLike(v), false)));
    this.#m = zeros();
    this.#v = zeros();
  }

  get steps(): number {
    return this.#t;
  }

  /**
   * One update with learning rate `lr`; `grads[i]` belongs to `variables[i]`. Returns the gradients' global
   * norm before clipping to `clipNorm` (Infinity: no clipping). `weightDecay` > 0 makes it AdamW.
   */
  step(grads: readonly tf.Tensor[], lr: number, clipNorm = Infinity, weightDecay = 0): number {
    this.#t++;
    const b1 = this.#beta1, b2 = this.#beta2;
    const stepSize = lr * Math.sqrt(1 - b2 ** this.#t) / (1 - b1 ** this.#t);
    const norm = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))));
    const globalNorm = norm.dataSync()[0];
    norm.dispose();
    const scale = Number.isFinite(clipNorm) && globalNorm > clipNorm ? clipNorm / globalNorm : 1;
    tf.tidy(() => {
      grads.forEach((raw, i) => {
        const g = scale === 1 ? raw : tf.mul(raw, scale);
        const m = tf.add(tf.mul(this.#m[i], b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(this.#v[i], b2), tf.mul(tf.square(g), 1 - b2));
        this.#m[i].assign(m);
        this.#v[i].assign(v);
        // AdamW: the decay is decoupled from the gradient statistics (Loshchilov & Hutter).
        const decayed = weightDecay > 0 ? tf.mul(this.variables[i], 1 - lr * weightDecay) : this.variables[i];
        this.variables[i].assign(
          tf.sub(decayed, tf.div(tf.mul(m, stepSize), tf.add(tf.sqrt(v), this.#epsilon))),
        );
      });
    });
    return globalNorm;
  }

  dispose(): void {
    tf.dispose([...this.#m, ...this.#v]);
  }
}
