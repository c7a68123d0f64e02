/**
 * The exporter's contract (SPEC §8): ONNX Runtime on the exported file equals the tfjs model on real windows
 * to 1e-4 — logits, regression and attention, at batch 1, 7 and 64 — for both architectures at their default
 * size; a deliberately wrong LSTM gate order is caught; the file passes the ONNX checker; and a checkpoint
 * loaded from disk exports the same model as the one in memory right after training.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  applyScaler,
  CLASSES,
  computeIndicators,
  FEATURE_COUNT,
  FEATURE_NAMES,
  fitScaler,
  seriesFromCandles,
  windowBatch,
  windowEnds,
} from "../../features/index.ts";
import { haveRealData, loadRealSeries } from "../../test/real_data.ts";
import { initBackend } from "../runtime/backend.ts";
import {
  buildModel,
  defaultModelConfig,
  FAST_LAYERS,
  type HeadInput,
  loadModel,
  saveModel,
  VOLATILITY_LAYER,
} from "../models/index.ts";
import type { VolatilityReference } from "../layers/index.ts";
import type { ModelType, Preprocessor } from "../../engine/preprocessor.ts";
import { exportOnnx } from "./export.ts";
import { decodeModel } from "./graph.ts";
import { assertOnnxChecks, maxAbsDiff, pseudoRandom, runOnnx } from "../../test/onnx.ts";

const LOOKBACK = 50;
const BATCHES = [1, 7, 64] as const;
const TOLERANCE = 1e-4;

await initBackend("wasm");

/** 64 real windows spread over BTCUSDT's history (bull, bear and flat markets), UNscaled. */
async function realWindows(): Promise<Float32Array> {
  const series = await loadRealSeries("BTCUSDT");
  const { ends } = windowEnds(series, { lookback: LOOKBACK, horizon: 0 });
  const step = Math.floor(ends.length / 64);
  const picked = Int32Array.from({ length: 64 }, (_, i) => ends[i * step]);
  return windowBatch(series, picked, LOOKBACK, 0).x;
}

function preprocessorFor(type: ModelType, x: Float32Array): Preprocessor {
  return {
    modelType: type,
    featureNames: [...FEATURE_NAMES],
    lookback: LOOKBACK,
    horizon: 4,
    labelRule: { kind: "volatility", multiplier: 0.5 },
    classes: [...CLASSES],
    // Fit on these windows' first half, so the other half has values outside the fit and the clip (±5) acts.
    scaler: fitScaler(FEATURE_NAMES, x.subarray(0, x.length / 2)),
    clip: 5,
    returnScale: { mean: 0.0004, std: 0.013 },
    temperature: 1.25,
  };
}

/**
 * A default-size model whose every weight (biases, LayerNorm γ/β included) is non-trivial, with attention
 * sharpened well past its near-uniform initial weights so a mistake in the attention mapping shows.
 */
function perturbedModel(
  type: ModelType,
  members = 1,
  channelsFor?: Preprocessor,
  volatilityReference: VolatilityReference = "candle",
  headInput: HeadInput = "pooled",
  memberLookbacks?: readonly number[],
): tf.LayersModel {
  const config = {
    ...defaultModelConfig(type, LOOKBACK),
    members,
    volatilityChannels: !!channelsFor,
    volatilityReference,
    headInput,
    memberLookbacks,
  };
  const model = buildModel(config, 11, FAST_LAYERS, channelsFor);
  const scale = (name: string) =>
    /attention_pool\/query$/.test(name) ? 40 : /attention.*\/(query|key)_kernel$/.test(name) ? 0.5 : 0.15;
  model.setWeights(model.weights.map((v, i) => {
    const w = v.read();
    return tf.tidy(() =>
      tf.add(w, tf.tensor(pseudoRandom(w.size, 1000 + i, scale(v.originalName)), w.shape))
    );
  }));
  return model;
}

/**
 * A wild small coin that then stood still, UNscaled: 600 candles of ~4 % hourly moves (seeded, synthetic) whose
 * last 40 stand at the last close with no volume (an illiquid pair's night); `x` holds the 8 windows ending 33–40
 * flat candles in, `moving` those that end before the flat run, all motion (the scaler is fit on them). On the flat ones volatility_20 is 0 and the volatility channels divide
 * by their floor (1e-6), which magnified any rounding the scaler left between training (float64 then) and the
 * graph (float32): an odd-pairs seat measured 3.3e-4 between ONNX and tfjs on such windows while the export
 * check, on random probes, said 4.6e-7.
 */
function stillWindows(): { x: Float32Array; moving: Float32Array } {
  const count = 600, flat = 40;
  let seed = 11;
  const uniform = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const gauss = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  let price = 2e-6;
  const candles = Array.from({ length: count }, (_, i) => {
    const openTime = Date.UTC(2024, 0, 1) + i * 3_600_000, open = price;
    if (i >= count - flat) return { openTime, open, high: open, low: open, close: open, volume: 0 };
    const close = open * Math.exp(0.04 * gauss());
    price = close;
    return {
      openTime,
      open,
      high: Math.max(open, close) * Math.exp(Math.abs(0.01 * gauss())),
      low: Math.min(open, close) * Math.exp(-Math.abs(0.01 * gauss())),
      close,
      volume: Math.round(1e12 + 1e14 * uniform()),
    };
  });
  const series = seriesFromCandles("WILDUSDT", candles);
  computeIndicators(series);
  const { ends } = windowEnds(series, { lookback: LOOKBACK, horizon: 0 });
  return {
    x: windowBatch(series, Int32Array.from(ends.slice(-8)), LOOKBACK, 0).x,
    moving: windowBatch(series, Int32Array.from(ends.slice(0, -flat)), LOOKBACK, 0).x,
  };
}

interface Outputs {
  logits: Float32Array;
  regression: Float32Array;
  attention: Float32Array | null;
}

/** What candlecast's tfjs model predicts, mapped as the graph maps it: logits/T and y·std + mean. */
function tfjsOutputs(model: tf.LayersModel, p: Preprocessor, x: Float32Array, count: number): Outputs {
  const scaled = applyScaler(p.scaler, x.slice(0, count * LOOKBACK * FEATURE_COUNT), p.clip);
  return tf.tidy(() => {
    const ys = model.predict(tf.tensor3d(scaled, [count, LOOKBACK, FEATURE_COUNT]), {
      batchSize: 64,
    }) as tf.Tensor[];
    const [logits, regression, attention] = ys.map((y) => y.dataSync() as Float32Array);
    return {
      logits: logits.map((v) => v / p.temperature),
      regression: regression.map((v) => v * p.returnScale.std + p.returnScale.mean),
      attention: attention ?? null,
    };
  });
}

async function onnxOutputs(bytes: Uint8Array, x: Float32Array, count: number): Promise<Outputs> {
  const out = await runOnnx(bytes, {
    input: { data: x.slice(0, count * LOOKBACK * FEATURE_COUNT), dims: [count, LOOKBACK, FEATURE_COUNT] },
  });
  assert.deepEqual(out.class_logits.dims, [count, 3]);
  assert.deepEqual(out.regression.dims, [count, 1]);
  if (out.attention) assert.deepEqual(out.attention.dims, [count, LOOKBACK]);
  return {
    logits: out.class_logits.data,
    regression: out.regression.data,
    attention: out.attention?.data ?? null,
  };
}

/** The largest difference per output; regression also compared standardised, so 1e-4 is not diluted by std. */
function differences(a: Outputs, b: Outputs, p: Preprocessor) {
  const standard = (r: Float32Array) => r.map((v) => (v - p.returnScale.mean) / p.returnScale.std);
  return {
    logits: maxAbsDiff(a.logits, b.logits),
    regression: maxAbsDiff(a.regression, b.regression),
    standardisedRegression: maxAbsDiff(standard(a.regression), standard(b.regression)),
    attention: a.attention && b.attention ? maxAbsDiff(a.attention, b.attention) : 0,
  };
}

async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "candlecast_export_" });
  try {
    return await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const VARIANTS: readonly (
  readonly [ModelType, number, VolatilityReference | false, HeadInput?, (readonly number[])?]
)[] = [
  ["transformer_lstm", 1, false],
  ["lightweight_lstm", 1, false],
  // Ensembles: the members' probabilities averaged in the graph (ml/layers/ensemble_mean.ts).
  ["transformer_lstm", 3, false],
  ["lightweight_lstm", 2, false],
  // Volatility channels (ml/layers/volatility_channels.ts) computed in the graph from the scaled input.
  ["transformer_lstm", 1, "candle"],
  ["transformer_lstm", 2, "candle"],
  ["lightweight_lstm", 2, "candle"],
  ["transformer_lstm", 2, "last"],
  // The heads reading the last timestep beside the pooled summary (ml/layers/last_timestep.ts).
  ["transformer_lstm", 1, "last", "pooled_last"],
  ["transformer_lstm", 3, "last", "pooled_last"],
  // …and the last candle's input channels, which every member reads (a shared value in the fused graph).
  ["transformer_lstm", 1, "last", "pooled_last_input"],
  ["transformer_lstm", 3, "last", "pooled_last_input"],
  ["transformer_lstm", 2, "last", "pooled_last_input", [50, 25]],
  // Members with their own, shorter windows (ml/layers/recent_steps.ts): a Slice per member, and attention
  // weights padded in front before the mean; a single member of a shorter window too.
  ["transformer_lstm", 3, "last", "pooled_last", [50, 25]],
  // The close and volume paths to the last candle (reversed running sums: CumSum in the graph).
  ["transformer_lstm", 3, "last-path", "pooled_last", [25]],
  ["lightweight_lstm", 2, false, undefined, [50, 20]],
  ["transformer_lstm", 1, "last", "pooled_last", [25]],
];

for (const [type, members, channels, headInput, memberLookbacks] of VARIANTS) {
  const what = (members > 1 ? `${type} × ${members} members` : type) +
    (channels ? ` with volatility channels (${channels})` : "") +
    (headInput === "pooled_last" ? ", heads on pooled + last step" : "") +
    (headInput === "pooled_last_input" ? ", heads on pooled + last step + last input" : "") +
    (memberLookbacks ? `, member windows ${memberLookbacks.join("/")}` : "");
  /** This variant's model, built for preprocessor `p` (its scaler feeds the volatility channels). */
  const variant = (p: Preprocessor) =>
    perturbedModel(
      type,
      members,
      channels ? p : undefined,
      channels || undefined,
      headInput,
      memberLookbacks,
    );
  Deno.test({
    name:
      `${what}: ONNX Runtime equals tfjs on real windows to 1e-4 at batch 1, 7, 64; wrong gates are caught`,
    ignore: !haveRealData(),
    fn: async () => {
      const x = await realWindows();
      const p = preprocessorFor(type, x);
      const model = variant(p);
      assert.equal(model.layers.some((l) => l.name === VOLATILITY_LAYER), !!channels);
      const bytes = exportOnnx(model, p, { version: "v1_2024-01-01" });
      for (const count of BATCHES) {
        const expected = tfjsOutputs(model, p, x, count);
        const actual = await onnxOutputs(bytes, x, count);
        // SPEC §8's three outputs for every model; lightweight_lstm's attention is all zeros.
        assert.ok(actual.attention !== null, "no attention output");
        if (type !== "transformer_lstm") {
          assert.ok(actual.attention.every((v) => v === 0), "attention not zeros");
        }
        const d = differences(actual, expected, p);
        for (const [output, diff] of Object.entries(d)) {
          assert.ok(diff <= TOLERANCE, `batch ${count}: ${output} differs by ${diff}`);
        }
        // Sanity: the outputs are not degenerate (a constant model would match anything constant).
        assert.ok(Math.max(...expected.logits) - Math.min(...expected.logits) > 0.1 || count === 1);
        if (expected.attention) {
          assert.ok(Math.max(...expected.attention) > 5 / LOOKBACK, "attention is near-uniform");
        }
      }
      // Negative control: keep tfjs's gate order i,f,c,o instead of ONNX's i,o,f,c.
      const wrong = exportOnnx(model, p, { version: "wrong", lstmGateOrder: [0, 1, 2, 3] });
      const d = differences(await onnxOutputs(wrong, x, 7), tfjsOutputs(model, p, x, 7), p);
      assert.ok(
        d.logits > 100 * TOLERANCE,
        `a wrong gate order went unnoticed (logits differ by ${d.logits})`,
      );

      await assertOnnxChecks(bytes);
      model.dispose();
    },
  });

  Deno.test(`${what}: a model loaded from disk exports the same ONNX file as the one in memory`, async () => {
    const x = pseudoRandom(8 * LOOKBACK * FEATURE_COUNT, 5, 2);
    const p = preprocessorFor(type, x);
    const model = variant(p);
    const fresh = exportOnnx(model, p, { version: "v2_2024-02-02" });
    await withTempDir(async (dir) => {
      await saveModel(model, dir);
      const loaded = await loadModel(join(dir));
      const fromDisk = exportOnnx(loaded, p, { version: "v2_2024-02-02" });
      assert.deepEqual(fromDisk, fresh);
      loaded.dispose();
    });
    model.dispose();
  });
}

for (const reference of ["candle", "last"] as const) {
  Deno.test({
    name: `volatility channels (${reference}) on a market that stood still: ONNX Runtime equals tfjs to 1e-4`,
    fn: async () => {
      const { x, moving } = stillWindows();
      const p = { ...preprocessorFor("transformer_lstm", moving), scaler: fitScaler(FEATURE_NAMES, moving) };
      const model = perturbedModel("transformer_lstm", 1, p, reference, "pooled_last");
      const bytes = exportOnnx(model, p, { version: "v1_2024-01-01" });
      const d = differences(await onnxOutputs(bytes, x, 8), tfjsOutputs(model, p, x, 8), p);
      for (const [output, diff] of Object.entries(d)) {
        assert.ok(diff <= TOLERANCE, `${output} differs by ${diff}`);
      }
      model.dispose();
    },
  });
}

Deno.test("the exported file names its outputs and metadata per SPEC §8", () => {
  const x = pseudoRandom(4 * LOOKBACK * FEATURE_COUNT, 6, 2);
  const model = perturbedModel("transformer_lstm");
  const m = decodeModel(
    exportOnnx(model, preprocessorFor("transformer_lstm", x), { version: "v9_2024-09-09" }),
  );
  assert.deepEqual(m.graph!.input!.map((i) => i.name), ["input"]);
  assert.deepEqual(m.graph!.output!.map((o) => o.name), ["class_logits", "regression", "attention"]);
  const meta = Object.fromEntries(m.metadataProps.map((e) => [e.key, e.value]));
  assert.deepEqual(
    [meta.lookback, meta.horizon, meta.version, meta.classes],
    ["50", "4", "v9_2024-09-09", "DOWN,SIDEWAYS,UP"],
  );
  // Every node is named after the tfjs layer (or frame part) it came from.
  const scopes = new Set(m.graph!.node!.map((n) => n.name!.split("/")[0]));
  for (const s of ["scaler", "model", "outputs", "class_logits", "regression", "attention"]) {
    assert.ok(scopes.has(s), s);
  }
  model.dispose();
});

Deno.test("lightweight_lstm's file has SPEC §8's three outputs too: attention [batch, lookback] of zeros", async () => {
  const x = pseudoRandom(7 * LOOKBACK * FEATURE_COUNT, 6, 2);
  const model = perturbedModel("lightweight_lstm");
  const bytes = exportOnnx(model, preprocessorFor("lightweight_lstm", x), { version: "v9_2024-09-09" });
  const m = decodeModel(bytes);
  assert.deepEqual(m.graph!.output!.map((o) => o.name), ["class_logits", "regression", "attention"]);
  assert.match(m.graph!.docString!, /attention: float32 \[batch, 50\], all zeros/);
  // NaN in the input does not reach the zeros: they come from the input's shape alone.
  const withNan = x.slice();
  withNan[3] = NaN;
  const out = await onnxOutputs(bytes, withNan, 7);
  assert.ok(out.attention !== null && out.attention.length === 7 * LOOKBACK);
  assert.ok(out.attention.every((v) => v === 0));
  model.dispose();
});

Deno.test("the exporter refuses a model that does not match its preprocessor", () => {
  const x = pseudoRandom(4 * LOOKBACK * FEATURE_COUNT, 6, 2);
  const model = perturbedModel("lightweight_lstm");
  assert.throws(
    () => exportOnnx(model, preprocessorFor("transformer_lstm", x), { version: "v1" }),
    /no attention output/,
  );
  assert.throws(
    () => exportOnnx(model, { ...preprocessorFor("lightweight_lstm", x), lookback: 30 }, { version: "v1" }),
    /takes 50 timesteps/,
  );
  model.dispose();
});
