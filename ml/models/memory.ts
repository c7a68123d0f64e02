/**
 * How many windows a batch of the hybrid may hold. Its encoder's self-attention keeps a [batch, heads,
 * lookback, lookback] float32 score tensor per layer, quadratic in the window length, inside tfjs-wasm's heap,
 * which cannot grow past 4 GB: at lookback 500 and batch 256 one such tensor is 1 GB, and training aborted
 * ("Aborted()", RSS 4.3 GB) or, with the native kernels, died of a segmentation fault (an ML practitioner's
 * trial). Lookback 336 at batch 256 (462 MB a tensor) trained. So a batch is held to ATTENTION_BUDGET_BYTES
 * of scores: training refuses a larger `--batch-size` before it starts, and scoring (validation, test,
 * evaluate) takes smaller batches by itself, which changes no result.
 *
 * @example
 * ```ts
 * largestBatch({ ...defaultModelConfig("transformer_lstm", 1000) }); // 33: 33 × 4 × 1000² × 4 B ≈ 528 MB
 * ```
 */
import { defaultModelConfig, type ModelConfig } from "./config.ts";

/** The most bytes of attention scores a batch may hold (all encoder layers together). */
export const ATTENTION_BUDGET_BYTES = 512 * 1024 * 1024;

/** Bytes of the encoder's attention scores for `batch` windows; 0 for a model without an encoder. */
export function attentionBytes(c: ModelConfig, batch: number): number {
  if (c.type !== "transformer_lstm") return 0;
  return batch * c.heads * c.lookback ** 2 * 4 * c.encoderLayers;
}

/** The most windows a batch may hold within the budget (at least 1); Infinity when nothing bounds it. */
export function largestBatch(c: ModelConfig): number {
  const perWindow = attentionBytes(c, 1);
  return perWindow === 0 ? Infinity : Math.max(1, Math.floor(ATTENTION_BUDGET_BYTES / perWindow));
}

/** The longest window whose attention fits the budget at `batch` windows a batch (with `c`'s heads, layers). */
export function longestLookback(c: ModelConfig, batch: number): number {
  return Math.floor(Math.sqrt(ATTENTION_BUDGET_BYTES / attentionBytes({ ...c, lookback: 1 }, batch)));
}

/** A scoring batch size: `requested`, or fewer windows where the attention would not fit. */
export function scoringBatch(c: ModelConfig, requested: number): number {
  return Math.min(requested, largestBatch(c));
}

/**
 * The most bytes a model's weights may take with their training state (a gradient and Adam's two moments for
 * each, all float32) inside tfjs-wasm's 4 GB heap, which the activations and the data share: half of it.
 */
export const WEIGHT_BUDGET_BYTES = 2 * 1024 ** 3;

/**
 * A lower bound on the model's weights (all members): the products of the projection, the encoder, the LSTMs'
 * gates, the attention pooling and the heads' hidden layers, leaving out biases, norms and output layers. A
 * lower bound, so a model it
 * refuses cannot fit: `--d-model 100000` asked for 4·10¹⁰ of them and failed "Array buffer allocation failed",
 * reported as a bug, after the run folder was made (a user's trial).
 */
export function weightsLowerBound(c: ModelConfig): number {
  const lstm = (input: number, directions: number) => {
    let n = 0;
    for (let layer = 0; layer < c.lstmLayers; layer++) {
      n += directions * 4 * c.lstmHidden * ((layer === 0 ? input : directions * c.lstmHidden) + c.lstmHidden);
    }
    return n;
  };
  // The hybrid's attention pooling (three products over the BiLSTM's 2H outputs) and its two heads' hidden
  // layers (2H in, dModel out); the LSTM's heads take its H outputs to H.
  const h2 = 2 * c.lstmHidden;
  const member = c.type === "transformer_lstm"
    ? c.features * c.dModel + c.encoderLayers * (4 * c.dModel ** 2 + 2 * c.dModel * c.ffnDim) +
      lstm(c.dModel, 2) + 3 * h2 ** 2 + 2 * h2 * c.dModel
    : lstm(c.features, 1) + 2 * c.lstmHidden ** 2;
  return c.members * member;
}

/**
 * Bytes one heap holds at the least while training (float32): the ensemble's weights, or one member's with its
 * gradient, Adam's two moments and the copy of its best weights, whichever is more. Each member trains with its
 * own optimizer, disposed after it: one after another in one heap, or side by side in workers, each with a heap
 * of its own, the ensemble gathered in the first. The least of both ways, so what it refuses fits neither (a
 * review found the first version charging four more copies to every member, refusing three that fit).
 */
export function trainingStateBytes(c: ModelConfig): number {
  return 4 * Math.max(weightsLowerBound(c), 5 * weightsLowerBound({ ...c, members: 1 }));
}

/** What is wrong with sizes the heap cannot hold, in the words of the flags that set them, and what to do. */
export interface MemoryProblem {
  readonly message: string;
  readonly hint: string;
}

/**
 * A batch whose attention scores would not fit tfjs-wasm's 4 GB heap (`largestBatch`), or null: training
 * refuses it before any data is prepared (it aborted or crashed with a segmentation fault mid-training, leaving
 * a run `--resume` would crash again). Worded in `train`'s and `evaluate`'s flags, which set both sizes; the
 * commands throw it as their usage error.
 */
export function batchFitProblem(
  config: { readonly model: ModelConfig; readonly training: { readonly batchSize: number } },
): MemoryProblem | null {
  const { model, training } = config;
  const most = largestBatch(model);
  if (training.batchSize <= most) return null;
  const gb = (attentionBytes(model, training.batchSize) / 1024 ** 3).toFixed(1);
  const shorter = longestLookback(model, training.batchSize);
  return {
    message:
      `--lookback ${model.lookback} at --batch-size ${training.batchSize}: the Transformer's attention would hold ` +
      `${gb} GB of scores a batch (batch × heads × lookback² floats), past what the WebAssembly backend's ` +
      "4 GB memory takes; nothing was trained",
    hint: [
      `--batch-size ${most} or less`,
      shorter >= 2 ? `--lookback ${shorter} or less` : "",
      "--model lightweight_lstm (no attention over candle pairs)",
    ].filter(Boolean).join(", or "),
  };
}

/**
 * Sizes whose weights (the ensemble's, or one member's with its gradient, Adam's moments and best copy:
 * `trainingStateBytes`) would pass half of a tfjs-wasm heap's 4 GB, or null: refused before any data is
 * prepared (`--d-model 100000` failed "Array buffer allocation failed", reported as a bug, and left a run
 * folder `--resume` would fail on again). A lower bound: what it refuses cannot fit; what it lets through may
 * still run out of memory in its activations. `command` is whose `--help` the hint names.
 */
export function weightsFitProblem(
  model: ModelConfig,
  command: "train" | "evaluate" = "train",
): MemoryProblem | null {
  const bytes = trainingStateBytes(model);
  if (bytes <= WEIGHT_BUDGET_BYTES) return null;
  const sizes = model.type === "transformer_lstm"
    ? `--d-model ${model.dModel} --ffn ${model.ffnDim} --encoder-layers ${model.encoderLayers} --lstm-hidden ` +
      `${model.lstmHidden} --layers ${model.lstmLayers} --members ${model.members}`
    : `--lstm-hidden ${model.lstmHidden} --layers ${model.lstmLayers} --members ${model.members}`;
  const count = (n: number) =>
    n >= 1e9
      ? `${(n / 1e9).toPrecision(3)} billion`
      : n >= 1e6
      ? `${(n / 1e6).toPrecision(3)} million`
      : `${Math.round(n / 1e3)} thousand`;
  const defaults = { ...defaultModelConfig(model.type, model.lookback), volatilityChannels: false };
  // Which term decides the bytes: one member's weights with their training state, or the ensemble's weights.
  const one = weightsLowerBound({ ...model, members: 1 });
  const what = 5 * one >= weightsLowerBound(model)
    ? "GB for one member's weights with their gradient, optimizer state and best copy"
    : "GB for the ensemble's weights";
  return {
    message: `${sizes}: the ${model.type} would hold at least ${count(weightsLowerBound(model))} weights, ` +
      `${(bytes / 1024 ** 3).toFixed(1)} ${what}, past the ` +
      `${
        WEIGHT_BUDGET_BYTES / 1024 ** 3
      } GB of the WebAssembly backend's 4 GB memory they may take; nothing was trained`,
    hint: `choose smaller sizes (the defaults hold at least ${count(weightsLowerBound(defaults))}: ` +
      `'candlecast ${command} --help' shows them)`,
  };
}
