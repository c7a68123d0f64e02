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
import type { ModelConfig } from "./config.ts";

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
