/**
 * VolatilityChannels against the formula computed in float64 from the UNscaled features of simulated candles
 * (what the channels mean, independent of the layer's tensor code), its save/load round trip, and its refusals.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  applyScaler,
  computeIndicators,
  FEATURE_COUNT,
  FEATURE_NAMES,
  featureIndex,
  fitScaler,
  seriesFromCandles,
  simulateMarket,
  windowBatch,
  windowEnds,
} from "../../features/index.ts";
import { initBackend } from "../runtime/backend.ts";
import {
  VOLATILITY_CHANNEL_COUNT,
  VOLATILITY_CHANNEL_NAMES,
  VOLATILITY_FLOOR,
  VOLATILITY_RATIOS,
  volatilityChannelCount,
  volatilityChannelNames,
  VolatilityChannels,
} from "./index.ts";

await initBackend("wasm");

const LOOKBACK = 30;
const CLIP = 5;

/** 32 windows of simulated candles (calm and turbulent regimes), unscaled, and a scaler fit on them. */
function windows() {
  const candles = simulateMarket({
    seed: 3,
    start: Date.UTC(2024, 0, 1),
    intervalMs: 3_600_000,
    count: 1500,
    startPrice: 100,
    baseVolume: 1000,
  });
  const series = seriesFromCandles("SIM", candles);
  computeIndicators(series);
  const { ends } = windowEnds(series, { lookback: LOOKBACK, horizon: 0 });
  const step = Math.floor(ends.length / 32);
  const raw = windowBatch(series, Int32Array.from({ length: 32 }, (_, i) => ends[i * step]), LOOKBACK, 0).x;
  return { raw, scaler: fitScaler(FEATURE_NAMES, raw.subarray(0, raw.length / 2)) };
}

/** The channels from a row of unscaled features (as the model sees them: after the input clip). */
function reference(row: Float64Array): number[] {
  const clamp = (v: number) => Math.max(-CLIP, Math.min(CLIP, v));
  const s = Math.max(row[featureIndex("volatility_20")], VOLATILITY_FLOOR);
  const ratios = VOLATILITY_RATIOS.map((r) =>
    clamp(row[featureIndex(r.feature)] / (s * Math.sqrt(r.candles)))
  );
  const short = Math.max(row[featureIndex("volatility_5")], VOLATILITY_FLOOR);
  return [...ratios, clamp(Math.log(short / s))];
}

Deno.test("VolatilityChannels appends r/(vol20·√k) and ln(vol5/vol20), clipped, to the unchanged input", () => {
  const { raw, scaler } = windows();
  const scaled = applyScaler(scaler, raw.slice(), CLIP);
  const layer = new VolatilityChannels({ mean: scaler.mean, std: scaler.std, clip: CLIP });
  const rows = scaled.length / FEATURE_COUNT;
  const out = tf.tidy(() =>
    (layer.apply(tf.tensor3d(scaled, [rows / LOOKBACK, LOOKBACK, FEATURE_COUNT])) as tf.Tensor).dataSync()
  );
  const width = FEATURE_COUNT + VOLATILITY_CHANNEL_COUNT;
  assert.equal(out.length, rows * width);
  assert.equal(VOLATILITY_CHANNEL_NAMES.length, VOLATILITY_CHANNEL_COUNT);
  let maxDiff = 0, clipped = 0, spread = 0;
  for (let r = 0; r < rows; r++) {
    const at = r * width;
    for (let f = 0; f < FEATURE_COUNT; f++) assert.equal(out[at + f], scaled[r * FEATURE_COUNT + f]);
    // The row the model can see: each feature after the scaler's clip, back in raw units (float64).
    const seen = Float64Array.from(
      { length: FEATURE_COUNT },
      (_, f) => scaled[r * FEATURE_COUNT + f] * scaler.std[f] + scaler.mean[f],
    );
    reference(seen).forEach((want, c) => {
      const got = out[at + FEATURE_COUNT + c];
      maxDiff = Math.max(maxDiff, Math.abs(got - want) / Math.max(1, Math.abs(want)));
      // volatility_20 is in-window: from timestep 19 on it spans 20 candles (earlier, fewer and noisier).
      if (r % LOOKBACK >= 20) {
        if (Math.abs(got) === CLIP) clipped++;
        spread = Math.max(spread, Math.abs(got));
      }
    });
  }
  assert.ok(maxDiff < 1e-4, `channels differ from the formula by ${maxDiff}`);
  // Not degenerate: O(1) values, few of them at the clip once volatility_20 spans its 20 candles.
  const late = (rows / LOOKBACK) * (LOOKBACK - 20) * VOLATILITY_CHANNEL_COUNT;
  assert.ok(spread > 1, `largest channel ${spread}`);
  assert.ok(clipped < 0.02 * late, `${clipped} of ${late} channel values clipped`);
});

/** Window `w` of `scaled` back in the features' own units, a row per timestep. */
function unscaledRows(
  scaled: Float32Array,
  scaler: { mean: readonly number[]; std: readonly number[] },
  w: number,
): Float64Array[] {
  return Array.from({ length: LOOKBACK }, (_, t) => {
    const r = (w * LOOKBACK + t) * FEATURE_COUNT;
    return Float64Array.from(
      { length: FEATURE_COUNT },
      (_, f) => scaled[r + f] * scaler.std[f] + scaler.mean[f],
    );
  });
}

/** The "last" channels of a whole window of unscaled rows [T][35]: every timestep against the last candle's. */
function referenceLast(rows: Float64Array[]): number[][] {
  const clamp = (v: number) => Math.max(-CLIP, Math.min(CLIP, v));
  const floor = (v: number) => Math.max(v, VOLATILITY_FLOOR);
  const s = floor(rows[rows.length - 1][featureIndex("volatility_20")]);
  return rows.map((row) => [
    ...VOLATILITY_RATIOS.map((r) => clamp(row[featureIndex(r.feature)] / (s * Math.sqrt(r.candles)))),
    clamp(Math.log(floor(row[featureIndex("volatility_5")]) / s)),
    clamp(Math.log(floor(row[featureIndex("volatility_20")]) / s)),
  ]);
}

Deno.test("VolatilityChannels with reference 'last' divides every timestep by the last candle's volatility_20", () => {
  const { raw, scaler } = windows();
  const scaled = applyScaler(scaler, raw.slice(), CLIP);
  const layer = new VolatilityChannels({ mean: scaler.mean, std: scaler.std, clip: CLIP, reference: "last" });
  const count = volatilityChannelCount("last");
  assert.equal(count, VOLATILITY_CHANNEL_COUNT + 1);
  assert.equal(volatilityChannelNames("last").length, count);
  const windowsCount = scaled.length / FEATURE_COUNT / LOOKBACK;
  const out = tf.tidy(() =>
    (layer.apply(tf.tensor3d(scaled, [windowsCount, LOOKBACK, FEATURE_COUNT])) as tf.Tensor).dataSync()
  );
  const width = FEATURE_COUNT + count;
  assert.equal(out.length, windowsCount * LOOKBACK * width);
  let maxDiff = 0, clipped = 0;
  for (let w = 0; w < windowsCount; w++) {
    const rows = unscaledRows(scaled, scaler, w);
    referenceLast(rows).forEach((want, t) => {
      const at = (w * LOOKBACK + t) * width;
      for (let f = 0; f < FEATURE_COUNT; f++) {
        assert.equal(out[at + f], scaled[(w * LOOKBACK + t) * FEATURE_COUNT + f]);
      }
      want.forEach((v, c) => {
        const got = out[at + FEATURE_COUNT + c];
        maxDiff = Math.max(maxDiff, Math.abs(got - v) / Math.max(1, Math.abs(v)));
        if (Math.abs(got) === CLIP && c < VOLATILITY_RATIOS.length) clipped++;
      });
    });
  }
  assert.ok(maxDiff < 1e-4, `channels differ from the formula by ${maxDiff}`);
  // Unlike the own-candle ratios, the early timesteps are not pinned to the clip: the divisor is a full 20.
  const ratios = windowsCount * LOOKBACK * VOLATILITY_RATIOS.length;
  assert.ok(clipped < 0.02 * ratios, `${clipped} of ${ratios} ratio values clipped`);
});

Deno.test("VolatilityChannels with reference 'last-path' adds the close and volume paths to the last candle", () => {
  const { raw, scaler } = windows();
  const scaled = applyScaler(scaler, raw.slice(), CLIP);
  const layer = new VolatilityChannels({
    mean: scaler.mean,
    std: scaler.std,
    clip: CLIP,
    reference: "last-path",
  });
  const count = volatilityChannelCount("last-path");
  assert.equal(count, volatilityChannelCount("last") + 2);
  assert.deepEqual(volatilityChannelNames("last-path").slice(-2), [
    "log_close_path_per_last_vol",
    "log_volume_path",
  ]);
  const windowsCount = scaled.length / FEATURE_COUNT / LOOKBACK;
  const out = tf.tidy(() =>
    (layer.apply(tf.tensor3d(scaled, [windowsCount, LOOKBACK, FEATURE_COUNT])) as tf.Tensor).dataSync()
  );
  const width = FEATURE_COUNT + count;
  const clamp = (v: number) => Math.max(-CLIP, Math.min(CLIP, v));
  let maxDiff = 0, inside = 0;
  for (let w = 0; w < windowsCount; w++) {
    const rows = unscaledRows(scaled, scaler, w);
    const s = Math.max(rows[LOOKBACK - 1][featureIndex("volatility_20")], VOLATILITY_FLOOR);
    let close = 0, volume = 0; // −Σ_{s>t}, built from the last timestep backwards
    for (let t = LOOKBACK - 1; t >= 0; t--) {
      const want = [
        ...referenceLast(rows)[t],
        clamp(close / (s * Math.sqrt(Math.max(LOOKBACK - 1 - t, 1)))),
        clamp(volume),
      ];
      const at = (w * LOOKBACK + t) * width;
      want.forEach((v, c) => {
        maxDiff = Math.max(maxDiff, Math.abs(out[at + FEATURE_COUNT + c] - v) / Math.max(1, Math.abs(v)));
      });
      if (Math.abs(want[want.length - 2]) < CLIP) inside++;
      close -= rows[t][featureIndex("log_ret")];
      volume -= rows[t][featureIndex("volume_log_change")];
    }
  }
  assert.ok(maxDiff < 1e-4, `channels differ from the formula by ${maxDiff}`);
  // O(1) by construction: a random walk's path over k candles spreads as √k, so few reach the clip.
  assert.ok(inside > 0.95 * windowsCount * LOOKBACK, `${inside} close-path values inside the clip`);
});

Deno.test("VolatilityChannels keeps the scaler and clip through model.json", async () => {
  const { scaler } = windows();
  const input = tf.input({ shape: [LOOKBACK, FEATURE_COUNT] });
  const layer = new VolatilityChannels({
    name: "volatility_channels",
    mean: scaler.mean,
    std: scaler.std,
    clip: 3,
  });
  const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
  const loaded = await tf.models.modelFromJSON({
    modelTopology: model.toJSON(null, false) as unknown as tf.io.ModelJSON["modelTopology"],
  });
  const copy = loaded.getLayer("volatility_channels") as VolatilityChannels;
  assert.ok(copy instanceof VolatilityChannels);
  assert.deepEqual([copy.mean, copy.std, copy.clip, copy.reference], [scaler.mean, scaler.std, 3, "candle"]);
  // A model.json written before the option has no `reference`: it reads back as "candle".
  const old = new VolatilityChannels({ mean: scaler.mean, std: scaler.std, clip: 3 });
  assert.equal(old.reference, "candle");
  const last = new VolatilityChannels({ mean: scaler.mean, std: scaler.std, clip: 3, reference: "last" });
  assert.equal(last.getConfig().reference, "last");
  const x = tf.randomNormal([2, LOOKBACK, FEATURE_COUNT], 0, 2, "float32", 1);
  const a = model.predict(x) as tf.Tensor, b = loaded.predict(x) as tf.Tensor;
  assert.deepEqual(a.shape, [2, LOOKBACK, FEATURE_COUNT + VOLATILITY_CHANNEL_COUNT]);
  assert.deepEqual(a.dataSync(), b.dataSync());
});

Deno.test("VolatilityChannels refuses a scaler of the wrong width, a zero std and a bad clip", () => {
  const ones = new Array(FEATURE_COUNT).fill(1);
  assert.throws(() => new VolatilityChannels({ mean: [0], std: ones, clip: 5 }), /mean and positive std/);
  assert.throws(
    () => new VolatilityChannels({ mean: ones, std: ones.map((v, i) => (i === 3 ? 0 : v)), clip: 5 }),
    /positive std/,
  );
  assert.throws(() => new VolatilityChannels({ mean: ones, std: ones, clip: 0 }), /clip/);
});
