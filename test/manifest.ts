/**
 * A complete manifest for a version a test writes through the real checkpoint writer, so the test states only
 * what it is about (where the data ends, the interval, the recorded recipe) and a new manifest field is added
 * here once, not in every test.
 *
 * @example
 * ```ts
 * await writeVersion(dir, { writeModel: (d) => saveModel(model, d), preprocessor, history: {}, metrics: {}, manifest: testManifest({ endMs }) });
 * ```
 */
import { MODEL_CLASS_NAMES, type ModelType } from "../engine/preprocessor.ts";
import type { VersionContents } from "../ml/checkpoints/index.ts";

type TestManifest = VersionContents["manifest"];

export interface TestManifestOptions {
  /** Default lightweight_lstm. */
  readonly modelType?: ModelType;
  /** The training CSV recorded as the data's path. */
  readonly dataPath?: string;
  /** Open time of the last candle trained on; null: unrecorded. */
  readonly endMs?: number | null;
  readonly symbols?: readonly string[];
  /** The version's candle interval (the top-level field; the data block records "1h" unless `data` says). */
  readonly interval?: string | null;
  readonly hyperparameters?: unknown;
  readonly training?: unknown;
  /** Fields of the data block to replace. */
  readonly data?: Partial<TestManifest["data"]>;
}

/** A version's manifest, trained on nothing in particular unless the options say. */
export function testManifest(options: TestManifestOptions = {}): TestManifest {
  const modelType = options.modelType ?? "lightweight_lstm";
  return {
    parent: null,
    candlecast_version: "test",
    model_type: modelType,
    model_class: MODEL_CLASS_NAMES[modelType],
    data: {
      path: options.dataPath ?? "test.csv",
      start: null,
      end: null,
      end_ms: options.endMs ?? null,
      interval: "1h",
      symbols: {},
      windows: { train: 0, validation: 0, test: 0 },
      skipped_missing_indicators: 0,
      label_spans_gap: 0,
      split: null,
      since: null,
      ...options.data,
    },
    symbols: options.symbols ?? [],
    interval: options.interval === undefined ? "1h" : options.interval,
    hyperparameters: options.hyperparameters ?? {},
    backend: "wasm",
    device: "cpu",
    training: options.training ?? {},
  };
}
