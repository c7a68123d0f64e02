/**
 * The exporter: a trained tfjs model + its preprocessor.json → model.onnx bytes (SPEC §8). The same function
 * serves `train` (right after training) and `candlecast export` (from a checkpoint on disk).
 */
import type * as tf from "@tensorflow/tfjs";
import { type Preprocessor, VERSION } from "../../engine/index.ts";
import type { BoostedTrees } from "../baselines/index.ts";
import { frameModel } from "./frame.ts";
import { fusableMembers, fusedEnsembleBody } from "./fused_ensemble.ts";
import { encodeModel } from "./graph.ts";
import type { ConvertContext } from "./tfjs_layers.ts";
import { tfjsBody } from "./tfjs_model.ts";

export interface ExportOptions extends ConvertContext {
  /** Checkpoint version written to metadata `version`, e.g. "v3_2026-11-24". */
  readonly version: string;
  /** The candles the version was trained on ("1h"), metadata `interval`; left out when unrecorded. */
  readonly interval?: string | null;
  /** How far those candles opened past the interval's UTC grid, metadata `grid_offset_ms`; left out when 0. */
  readonly gridOffsetMs?: number | null;
  /**
   * Export an ensemble as one wide network (default) rather than one branch per member: the same function with
   * a third of the nodes. Benches set false to measure the difference.
   */
  readonly fuseMembers?: boolean;
  /**
   * Gradient boosting's trees for a blended version (preprocessor.json `blend`): required then, refused
   * otherwise; `class_logits` becomes the log of the blend.
   */
  readonly boosting?: BoostedTrees;
}

/**
 * model.onnx's bytes for `model` and its preprocessor.json (scaler, temperature and return scale inside the
 * graph); an ensemble becomes one wide network unless `fuseMembers` is false; a blended version's boosting
 * trees (`boosting`) run in the graph too. Throws when the model and the preprocessor disagree on the attention
 * output or the lookback, or when trees are given without a blend or a blend without trees. Not verified here: `exportCheckedOnnx` also
 * runs the bytes.
 */
export function exportOnnx(
  model: tf.LayersModel,
  preprocessor: Preprocessor,
  options: ExportOptions,
): Uint8Array {
  const hasAttention = model.outputs.length === 3;
  if (hasAttention !== (preprocessor.modelType === "transformer_lstm")) {
    throw new Error(
      `ONNX export: preprocessor.json says ${preprocessor.modelType}, but the model has ` +
        `${hasAttention ? "an" : "no"} attention output`,
    );
  }
  const lookback = model.inputs[0].shape[1];
  if (lookback !== preprocessor.lookback) {
    throw new Error(
      `ONNX export: the model takes ${lookback} timesteps, preprocessor.json says lookback ${preprocessor.lookback}`,
    );
  }
  const ctx = { lstmGateOrder: options.lstmGateOrder };
  // An ensemble runs as one wide network (fused_ensemble.ts): a third of the nodes, the same function.
  const fuse = options.fuseMembers !== false && fusableMembers(model) >= 2;
  const body = fuse ? fusedEnsembleBody(model, ctx) : tfjsBody(model, ctx);
  return encodeModel(frameModel(body, {
    preprocessor,
    version: options.version,
    producerVersion: VERSION,
    interval: options.interval,
    gridOffsetMs: options.gridOffsetMs,
    boosting: options.boosting,
  }));
}
