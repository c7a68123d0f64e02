import assert from "node:assert/strict";
import { FEATURE_COUNT } from "../../features/index.ts";
import { syntheticSeries } from "../../test/evaluation.ts";
import { DEFAULT_SPLIT, gatherBatch, prepareDataset } from "../data/index.ts";
import { fitGradientBoosting, GBDT_LAGS, laggedCandles, predictGradientBoosting } from "./index.ts";

const LOOKBACK = 12;
const data = prepareDataset(syntheticSeries(40), {
  lookback: LOOKBACK,
  horizon: 4,
  labelRule: { kind: "volatility", multiplier: 0.5 },
  split: DEFAULT_SPLIT,
});

Deno.test("lagged candles are the window's last row and the rows 1 and 4 before it, unscaled", () => {
  const picks = Int32Array.from([0, 7, data.test.size - 1]);
  const lagged = laggedCandles(data.test, data, GBDT_LAGS, picks);
  assert.equal(lagged.columns, 3 * FEATURE_COUNT);
  const batch = gatherBatch(data.test, picks, data);
  const stride = LOOKBACK * FEATURE_COUNT;
  picks.forEach((p, b) => {
    assert.equal(lagged.labels[b], data.test.labels[p]);
    GBDT_LAGS.forEach((lag, l) => {
      const from = b * stride + (LOOKBACK - 1 - lag) * FEATURE_COUNT;
      assert.deepEqual(
        lagged.features.subarray(
          b * lagged.columns + l * FEATURE_COUNT,
          b * lagged.columns + (l + 1) * FEATURE_COUNT,
        ),
        batch.x.subarray(from, from + FEATURE_COUNT),
      );
    });
  });
});

Deno.test("the fitted baseline gives [test × 3] probabilities in test order, deterministically", async () => {
  const opts = { minSamplesLeaf: 20, maxIterations: 5 };
  const testProbabilities = async () =>
    predictGradientBoosting(await fitGradientBoosting(data, opts), data.test, data).probabilities;
  const p = await testProbabilities();
  assert.equal(p.length, data.test.size * 3);
  for (let i = 0; i < data.test.size; i++) {
    assert.ok(Math.abs(p[i * 3] + p[i * 3 + 1] + p[i * 3 + 2] - 1) < 1e-5);
  }
  assert.deepEqual(await testProbabilities(), p);
});
