/**
 * The inference engine behind `serve` and `predict`: a checkpoint's model.onnx on onnxruntime-node (the same
 * engine the C# bot embeds, so served numbers equal the bot's). The graph already holds the scaler, the
 * temperature and the return de-standardisation; this module only batches windows in and applies softmax.
 */
import type * as ort from "onnxruntime-node";
import { type OnnxRuntime, onnxRuntime } from "./ort.ts";
import { FEATURE_COUNT } from "../features/index.ts";
import { MODEL_CLASS_NAMES, MODEL_HAS_ATTENTION } from "./preprocessor.ts";
import { CheckpointError, readCheckpointFiles } from "./checkpoint_files.ts";
import type { ModelInfo, Predictor, RawPrediction } from "./types.ts";

export interface PredictorOptions {
  /** ONNX Runtime intra-op threads (default 1: a single window gains nothing from more, a batch does). */
  readonly threads?: number;
  /** Throwaway runs before the predictor is handed out (default 2). */
  readonly warmUpRuns?: number;
  /** ONNX Runtime settings other than serve's (bench/serve_stages.ts compares them); serve uses the defaults. */
  readonly tuning?: SessionTuning;
}

/**
 * The defaults are sequential, one thread, every graph optimisation. Running the ensemble's independent members
 * in parallel cut one window from 517 to 412–419 µs on a quiet machine but cost 40 % more CPU per request
 * (bench/RESULTS.md § serve, session 12's `bench:serve-stages` run), which the c=16 throughput pays and a
 * second `serve` worker's core would give; on a busy machine spinning pool threads made it 30× slower.
 */
export interface SessionTuning {
  /** Run independent branches (ensemble members) on `interOpThreads` threads (default false). */
  readonly parallel?: boolean;
  readonly interOpThreads?: number;
  readonly optimization?: "disabled" | "basic" | "extended" | "all";
  /** Whether idle pool threads spin rather than sleep (ONNX Runtime's default: true). */
  readonly spinning?: boolean;
}

/** The ONNX graph's input (SPEC §8): [batch, lookback, 35] unscaled features (the graph scales them). */
export const INPUT_NAME = "input";
/**
 * The ONNX graph's outputs: logits and regression are required; attention is in every file since 2026-12-06 (all
 * zeros for lightweight_lstm) and in transformer_lstm's before.
 */
export const OUTPUT_NAMES = {
  logits: "class_logits",
  regression: "regression",
  attention: "attention",
} as const;

/** Softmax of 3 logits in float64, so the probabilities sum to 1 to double precision. */
export function softmax3(logits: ArrayLike<number>, offset = 0): [number, number, number] {
  const a = logits[offset], b = logits[offset + 1], c = logits[offset + 2];
  const max = Math.max(a, b, c);
  const ea = Math.exp(a - max), eb = Math.exp(b - max), ec = Math.exp(c - max);
  const sum = ea + eb + ec;
  return [ea / sum, eb / sum, ec / sum];
}

class OnnxPredictor implements Predictor {
  readonly device = "cpu";
  readonly #windowSize: number;
  readonly #hasAttention: boolean;

  constructor(
    readonly info: ModelInfo,
    readonly session: ort.InferenceSession,
    private readonly runtime: OnnxRuntime,
  ) {
    this.#windowSize = info.preprocessor.lookback * FEATURE_COUNT;
    // lightweight_lstm's attention output is zeros, not weights: its summary stays {} (SPEC §4).
    this.#hasAttention = MODEL_HAS_ATTENTION[info.preprocessor.modelType] &&
      session.outputNames.includes(OUTPUT_NAMES.attention);
  }

  async predict(x: Float32Array, count: number): Promise<RawPrediction[]> {
    if (!Number.isInteger(count) || count < 0 || x.length < count * this.#windowSize) {
      throw new RangeError(
        `predict: ${count} windows need ${
          count * this.#windowSize
        } values [count, lookback, ${FEATURE_COUNT}], ` +
          `got ${x.length}`,
      );
    }
    if (count === 0) return [];
    const lookback = this.info.preprocessor.lookback;
    const input = new this.runtime.Tensor("float32", x.subarray(0, count * this.#windowSize), [
      count,
      lookback,
      FEATURE_COUNT,
    ]);
    const outputs = await this.session.run({ [INPUT_NAME]: input });
    const logits = outputs[OUTPUT_NAMES.logits].data as Float32Array;
    const regression = outputs[OUTPUT_NAMES.regression].data as Float32Array;
    const attention = this.#hasAttention ? outputs[OUTPUT_NAMES.attention].data as Float32Array : null;
    const results: RawPrediction[] = new Array(count);
    for (let i = 0; i < count; i++) {
      results[i] = {
        probabilities: softmax3(logits, 3 * i),
        expectedReturn: regression[i],
        attention: attention ? attention.slice(i * lookback, (i + 1) * lookback) : null,
      };
    }
    for (const tensor of Object.values(outputs)) tensor.dispose();
    return results;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Loads a checkpoint version (a folder per SPEC §7) and returns a warmed-up predictor. Fails with a
 * CheckpointError that names the file and says what to do when the version cannot be served.
 */
export async function loadPredictor(
  checkpointDir: string,
  options: PredictorOptions = {},
): Promise<Predictor> {
  const files = await readCheckpointFiles(checkpointDir);
  const runtime = await onnxRuntime();
  let session: ort.InferenceSession;
  try {
    const t = options.tuning ?? {};
    const spin = t.spinning === false ? "0" : "1";
    session = await runtime.InferenceSession.create(files.onnx, {
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: t.interOpThreads ?? 1,
      executionMode: t.parallel ? "parallel" : "sequential",
      graphOptimizationLevel: t.optimization ?? "all",
      ...(t.spinning === undefined
        ? {}
        : { extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } } }),
    });
  } catch (error) {
    throw new CheckpointError(
      `${checkpointDir}/model.onnx: ONNX Runtime cannot load it (${(error as Error).message})`,
      "re-export it with 'candlecast export'",
    );
  }
  const missing = [INPUT_NAME].filter((n) => !session.inputNames.includes(n))
    .concat([OUTPUT_NAMES.logits, OUTPUT_NAMES.regression].filter((n) => !session.outputNames.includes(n)));
  if (missing.length > 0) {
    await session.release();
    throw new CheckpointError(
      `${checkpointDir}/model.onnx lacks ${missing.join(", ")}: it is not a candlecast export`,
      "re-export it with 'candlecast export'",
    );
  }
  const predictor = new OnnxPredictor(
    {
      modelClass: MODEL_CLASS_NAMES[files.preprocessor.modelType],
      preprocessor: files.preprocessor,
      version: files.version,
      trainedAt: files.trainedAt,
      interval: files.interval,
      gridOffsetMs: files.gridOffsetMs,
      metrics: files.metrics,
      servedMetrics: files.servedMetrics,
    },
    session,
    runtime,
  );
  try {
    const zeros = new Float32Array(files.preprocessor.lookback * FEATURE_COUNT);
    for (let i = 0; i < (options.warmUpRuns ?? 2); i++) await predictor.predict(zeros, 1);
  } catch (error) {
    await predictor.close();
    throw new CheckpointError(
      `${checkpointDir}: model.onnx does not run on a [1, ${files.preprocessor.lookback}, ${FEATURE_COUNT}] ` +
        `window as preprocessor.json describes (${(error as Error).message})`,
      "the files come from different versions; re-export model.onnx from this version",
    );
  }
  return predictor;
}
