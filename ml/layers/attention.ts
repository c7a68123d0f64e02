/**
 * Multi-head attention, which tfjs-layers lacks: `MultiHeadSelfAttention` (the Transformer encoder's) and
 * `AttentionPooling` (one learned query attending over the sequence; its per-timestep weights are a model
 * output, SPEC §4 attention_summary). Head h owns features [h·dk, (h+1)·dk) of every projection, dk = d/heads.
 */
import * as tf from "@tensorflow/tfjs";
import { type BaseLayerArgs, dense, type Kwargs, single, weightSeed } from "./common.ts";

export interface AttentionArgs extends BaseLayerArgs {
  heads: number;
  seed?: number;
}

interface Projection {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable;
}

function lastDim(inputShape: tf.Shape | tf.Shape[], layer: string, heads: number): number {
  const shape = inputShape as tf.Shape;
  const dim = shape[shape.length - 1];
  if (typeof dim !== "number" || dim % heads !== 0) {
    throw new Error(`${layer}: feature size ${dim} must be a multiple of heads (${heads})`);
  }
  return dim;
}

abstract class AttentionBase extends tf.layers.Layer {
  readonly heads: number;
  readonly seed: number | undefined;
  private seedIndex = 0;

  constructor(args: AttentionArgs) {
    super(args);
    this.heads = args.heads;
    this.seed = args.seed;
  }

  protected projection(name: string, dim: number): Projection {
    return {
      kernel: this.addWeight(
        `${name}_kernel`,
        [dim, dim],
        "float32",
        tf.initializers.glorotUniform({ seed: weightSeed(this.seed, this.seedIndex++) }),
      ),
      bias: this.addWeight(`${name}_bias`, [dim], "float32", tf.initializers.zeros()),
    };
  }

  protected apply2(x: tf.Tensor, p: Projection): tf.Tensor {
    return dense(x, p.kernel.read(), p.bias.read());
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      heads: this.heads,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}

/**
 * softmax(Q·Kᵀ/√dk)·V per head, heads concatenated, then the output projection. Input and output [b, T, d].
 * Weights: query_/key_/value_/output_kernel [d, d] and the matching _bias [d].
 */
export class MultiHeadSelfAttention extends AttentionBase {
  static className = "MultiHeadSelfAttention";
  private q: Projection | null = null;
  private k: Projection | null = null;
  private v: Projection | null = null;
  private o: Projection | null = null;

  constructor(args: AttentionArgs) {
    super(args);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const dim = lastDim(inputShape, this.name, this.heads);
    this.q = this.projection("query", dim);
    this.k = this.projection("key", dim);
    this.v = this.projection("value", dim);
    this.o = this.projection("output", dim);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs, this.name) as tf.Tensor3D;
      const [batch, steps, dim] = x.shape;
      const dk = dim / this.heads;
      // [b, T, d] → [b, heads, T, dk]
      const split = (t: tf.Tensor) =>
        tf.transpose(tf.reshape(t, [batch, steps, this.heads, dk]), [0, 2, 1, 3]);
      const q = split(tf.mul(this.apply2(x, this.q!), 1 / Math.sqrt(dk))) as tf.Tensor4D;
      const k = split(this.apply2(x, this.k!)) as tf.Tensor4D;
      const v = split(this.apply2(x, this.v!)) as tf.Tensor4D;
      const weights = tf.softmax(tf.matMul(q, k, false, true)); // [b, heads, T, T]
      const context = tf.reshape(tf.transpose(tf.matMul(weights, v), [0, 2, 1, 3]), [batch, steps, dim]);
      return this.apply2(context, this.o!);
    });
  }
}

/**
 * Pools [b, T, d] to [b, d] with one learned query per head:
 *   K = x·Wk + bk, V = x·Wv + bv; score[b,t,h] = Σ_{j∈h} K[b,t,j]·query[j] / √dk;
 *   w[b,h,·] = softmax over t; pooled[b,j] = Σ_t w[b,head(j),t]·V[b,t,j]; out = pooled·Wo + bo.
 * Outputs [out [b, d], attention [b, T] = w averaged over heads (sums to 1)].
 * Weights: query [d], key_/value_/output_kernel [d, d], key_/value_/output_bias [d].
 */
export class AttentionPooling extends AttentionBase {
  static className = "AttentionPooling";
  private query: tf.LayerVariable | null = null;
  private k: Projection | null = null;
  private v: Projection | null = null;
  private o: Projection | null = null;
  /** [d, heads]: 1 where feature j belongs to head h. */
  private headMask: tf.Tensor2D | null = null;

  constructor(args: AttentionArgs) {
    super(args);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const dim = lastDim(inputShape, this.name, this.heads);
    this.query = this.addWeight(
      "query",
      [dim],
      "float32",
      tf.initializers.randomNormal({ mean: 0, stddev: 1 / Math.sqrt(dim), seed: weightSeed(this.seed, 15) }),
    );
    this.k = this.projection("key", dim);
    this.v = this.projection("value", dim);
    this.o = this.projection("output", dim);
    const dk = dim / this.heads;
    const mask = new Float32Array(dim * this.heads);
    for (let j = 0; j < dim; j++) mask[j * this.heads + Math.floor(j / dk)] = 1;
    this.headMask = tf.keep(tf.tensor2d(mask, [dim, this.heads]));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape[] {
    const shape = inputShape as tf.Shape;
    return [[shape[0], shape[2]], [shape[0], shape[1]]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor[] {
    return tf.tidy(() => {
      const x = single(inputs, this.name) as tf.Tensor3D;
      const dim = x.shape[2];
      const mask = this.headMask!;
      // Same maths as the class comment, in an order that never projects every timestep (which would cost
      // 2·T·d² per window): a query-key product folded into one [d, heads] matrix, and the value projection
      // applied after pooling (the weights sum to 1, so the bias passes through unchanged).
      const queryByHead = tf.mul(tf.reshape(this.query!.read(), [dim, 1]), mask); // block-diagonal [d, heads]
      const scale = 1 / Math.sqrt(dim / this.heads);
      const keyQuery = tf.mul(tf.matMul(this.k!.kernel.read() as tf.Tensor2D, queryByHead), scale); // [d, heads]
      // (A sum, not a reshaped matmul: tfjs-wasm's fused-bias check reads the shape the data was created with.)
      const biasQuery = tf.mul(
        tf.sum(tf.mul(tf.reshape(this.k!.bias.read(), [dim, 1]), queryByHead), 0),
        scale,
      );
      const scores = dense(x, keyQuery, biasQuery); // [b, T, heads]
      const weights = tf.softmax(tf.transpose(scores, [0, 2, 1])) as tf.Tensor3D; // [b, heads, T]
      const context = tf.matMul(weights, x); // [b, heads, d]: each head's weighted mean of the inputs
      const values = this.apply2(context, this.v!); // [b, heads, d]; head h keeps its own features
      const pooled = tf.sum(tf.mul(values, tf.transpose(mask)), 1); // [b, d]
      return [this.apply2(pooled, this.o!), tf.mean(weights, 1)];
    });
  }

  override dispose(): { refCountAfterDispose: number; numDisposedVariables: number } {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0) this.headMask?.dispose();
    return result;
  }
}
