/**
 * Train/serve parity (DESIGN.md): a window cut from a training CSV, sent through POST /predict as the C# bot
 * would send it, gets exactly the prediction computed offline from the same CSV with the training code's
 * windows, on the real ONNX Runtime engine. The model is a small stand-in graph (test/onnx.ts) in the
 * real SPEC §8 frame: parity is about the features and the plumbing, which do not depend on the network.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  candleAt,
  type CandleSeries,
  computeIndicators,
  engineerWindow,
  FEATURE_COUNT,
  readOhlcvCsv,
  readTrainingCsv,
  sliceSeries,
  windowEnds,
  writeTrainingCsv,
} from "../features/index.ts";
import { loadPredictor, type Predictor, predictResponse } from "../engine/index.ts";
import { realCandlesPath, sharedAvailable } from "../test/shared.ts";
import { createApp } from "./app.ts";
import { toRequestCandle } from "./predict.ts";
import { ModelStore } from "./models/store.ts";
import { writeStandInCheckpoint } from "../test/stand_in_checkpoint.ts";

const LOOKBACK = 50;
const VERSION = "v4_2024-03-01";

/** Candles [from, to] of a series in the /predict wire format. */
function wireCandles(s: CandleSeries, from: number, to: number) {
  const out = [];
  for (let i = from; i <= to; i++) out.push(toRequestCandle(candleAt(s, i)));
  return out;
}

/** What the offline path predicts for the windows ending at `ends`, in one model call. */
async function offline(predictor: Predictor, s: CandleSeries, ends: readonly number[]) {
  const x = new Float32Array(ends.length * LOOKBACK * FEATURE_COUNT);
  ends.forEach((end, b) => engineerWindow(s, end - LOOKBACK + 1, LOOKBACK, x, b * LOOKBACK * FEATURE_COUNT));
  const raw = await predictor.predict(x, ends.length);
  return ends.map((end, b) =>
    predictResponse(s.symbol, raw[b], sliceSeries(s, end - LOOKBACK + 1, end + 1), predictor.info.version)
  );
}

Deno.test({
  name: "parity: a training-CSV window through /predict equals the offline prediction exactly",
  ignore: !sharedAvailable("data/binance-spot-1h/BTCUSDT-1h.csv"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-parity-" });
    const store = new ModelStore();
    try {
      // A training CSV as `collect` writes it: real candles with indicators, read back the way `train` reads it.
      const raw = await readOhlcvCsv(realCandlesPath("BTCUSDT"), "BTCUSDT");
      const cut = sliceSeries(raw, raw.length - 3000, raw.length);
      computeIndicators(cut);
      await writeTrainingCsv(join(dir, "training_data.csv"), [cut]);
      const [series] = await readTrainingCsv(join(dir, "training_data.csv"));
      const { ends } = windowEnds(series, { lookback: LOOKBACK, horizon: 4 });
      const picked = [0, 1, 137, 1000, ends.length - 1].map((k) => ends[k]);

      await writeStandInCheckpoint(dir, { version: VERSION, lookback: LOOKBACK });
      const predictor = await loadPredictor(dir);
      store.install(predictor);
      const app = createApp(store, { log: () => {} });
      // ONNX Runtime's sums may group differently at another batch size (last-bit differences), so each
      // online call is compared with an offline call of the same batch.
      const single = await Promise.all(
        picked.map(async (end) => (await offline(predictor, series, [end]))[0]),
      );
      const batched = await offline(predictor, series, picked);

      for (const [k, end] of picked.entries()) {
        // The bot sends more history than the lookback (within the indicators' range, since JSON has no
        // NaN); only the last 50 candles may count.
        const from = Math.max(ends[0] - LOOKBACK + 1, end - LOOKBACK + 1 - 30);
        const res = await app.request("/predict", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ symbol: "BTCUSDT", candles: wireCandles(series, from, end) }),
        });
        assert.equal(res.status, 200);
        assert.deepEqual(
          await res.json(),
          JSON.parse(JSON.stringify(single[k])),
          `window ending at ${end}`,
        );
      }

      const batch = await app.request("/predict/batch", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          requests: picked.map((end) => ({
            symbol: "BTCUSDT",
            candles: wireCandles(series, end - LOOKBACK + 1, end),
          })),
        }),
      });
      assert.equal(batch.status, 200);
      const { predictions } = await batch.json();
      assert.deepEqual(predictions, JSON.parse(JSON.stringify(batched)));
    } finally {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
