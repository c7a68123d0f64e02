import assert from "node:assert/strict";
import { sliceSeries } from "../../features/index.ts";
import { haveRealData, loadRealSeries } from "../../test/real_data.ts";
import { DEFAULT_SPLIT, prepareDataset } from "../data/index.ts";
import { outOfFoldBoosting, timeBlocks } from "./teacher.ts";

Deno.test("time blocks cut each symbol's windows, in order, into equal runs", () => {
  // Two symbols of 6 and 3 windows, three blocks.
  const blocks = timeBlocks(Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1]), 3);
  assert.deepEqual([...blocks], [0, 0, 1, 1, 2, 2, 0, 1, 2]);
});

Deno.test({
  name: "the teacher predicts every training window out of fold, as probabilities better than the priors",
  ignore: !haveRealData(),
  async fn() {
    const d = prepareDataset([sliceSeries(await loadRealSeries("BTCUSDT"), 30_000, 36_000)], {
      lookback: 20,
      horizon: 4,
      labelRule: { kind: "volatility", multiplier: 0.5 },
      split: DEFAULT_SPLIT,
    });
    const t = outOfFoldBoosting(d, { folds: 3, seed: 1 });
    assert.equal(t.probabilities.length, d.train.size * 3);
    for (let i = 0; i < d.train.size; i++) {
      const row = t.probabilities.subarray(i * 3, i * 3 + 3);
      assert.ok(
        Math.abs(row[0] + row[1] + row[2] - 1) < 1e-5,
        `row ${i} sums to ${row[0] + row[1] + row[2]}`,
      );
    }
    const counts = [0, 0, 0];
    for (const y of d.train.labels) counts[y]++;
    const priorLoss = -counts.reduce((s, c) => s + (c > 0 ? c * Math.log(c / d.train.size) : 0), 0) /
      d.train.size;
    // Out of fold, boosting must not be far worse than the class frequencies (in sample it would look better).
    assert.ok(
      Number.isFinite(t.logLoss) && t.logLoss < priorLoss + 0.02,
      `${t.logLoss} vs priors ${priorLoss}`,
    );
  },
});
