import assert from "node:assert/strict";
import { sliceSeries } from "../../features/index.ts";
import { haveRealData, loadRealSeries } from "../../test/real_data.ts";
import { DEFAULT_SPLIT, prepareDataset } from "../data/index.ts";
import { fitRows, outOfFoldBoosting, rankBlocks, timeBlocks } from "./teacher.ts";

/** Real BTCUSDT 1h candles from index 30,000 to `end`, as the default split would cut them. */
const btcDataset = async (end: number) =>
  prepareDataset([sliceSeries(await loadRealSeries("BTCUSDT"), 30_000, end)], {
    lookback: 20,
    horizon: 4,
    labelRule: { kind: "volatility", multiplier: 0.5 },
    split: DEFAULT_SPLIT,
  });

Deno.test("time blocks cut calendar time into equal-count spans shared by every symbol", () => {
  // Two symbols: one from t = 0 to 5, one from t = 3 to 5. The cuts fall at the 3rd and 6th of the 9 sorted
  // times (3 and 4); a time equal to a cut opens the later block, so both symbols' t = 4 go together.
  const times = Float64Array.from([0, 1, 2, 3, 4, 5, 3, 4, 5]);
  assert.deepEqual([...timeBlocks(times, 3)], [0, 0, 0, 1, 2, 2, 1, 2, 2]);
  // Without times: each symbol's windows in order.
  assert.deepEqual([...rankBlocks(Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1]), 3)], [
    0,
    0,
    1,
    1,
    2,
    2,
    0,
    1,
    2,
  ]);
});

Deno.test("a block's teacher fits on no window whose label overlaps one of the block's labels", () => {
  // Ten hourly windows of one symbol, labels 2 candles long; block 1 holds t = 4 and 5.
  const times = Float64Array.from({ length: 10 }, (_, t) => t);
  const block = Int32Array.from(times, (t) => (t < 4 ? 0 : t < 6 ? 1 : 2));
  const set = { size: 10, seriesIndex: new Int32Array(10) };
  // t = 3's label (candles 4, 5) and t = 6's (7, 8) against t = 5's (6, 7) overlap; t = 2 and 7 do not.
  assert.deepEqual(fitRows(set, block, 1, times, 2), [0, 1, 2, 7, 8, 9]);
  // Without times, by position within the symbol: the same here.
  assert.deepEqual(fitRows(set, block, 1, null, 2), [0, 1, 2, 7, 8, 9]);
});

Deno.test({
  name: "the teacher predicts every training window out of fold, as probabilities better than the priors",
  ignore: !haveRealData(),
  async fn() {
    const d = await btcDataset(36_000);
    const t = (await outOfFoldBoosting(d, { folds: 3, seed: 1 }))!;
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

Deno.test({
  name: "an aborted teacher stops between fits",
  ignore: !haveRealData(),
  async fn() {
    const d = await btcDataset(33_000);
    const stop = new AbortController();
    stop.abort();
    assert.equal(await outOfFoldBoosting(d, { signal: stop.signal }), null);
  },
});
