import assert from "node:assert/strict";
import { seriesFromCandles } from "../features/index.ts";
import { attentionSummary, predictResponse } from "./response.ts";

const candle = (close: number, ema: number) => ({
  openTime: null,
  open: close,
  high: close + 1,
  low: close - 1,
  close,
  volume: 10,
  rsi: 60,
  macd: 0,
  macdSignal: 0,
  macdHist: 0.5,
  ema,
  stochK: 70,
  stochD: 60,
});

Deno.test("attention_summary keeps the 3 largest weights keyed t-1 = most recent, largest first", () => {
  const a = Float32Array.of(0.05, 0.3, 0.05, 0.1, 0.2, 0.3); // index 5 = most recent
  const summary = attentionSummary(a);
  assert.deepEqual(Object.keys(summary), ["t-1", "t-5", "t-2"]); // the tie at 0.3 goes to the more recent
  assert.ok(Math.abs(summary["t-1"] - 0.3) < 1e-7 && Math.abs(summary["t-2"] - 0.2) < 1e-7);
  assert.deepEqual(attentionSummary(null), {});
});

Deno.test("argmax takes the first class on a tie; the prior rule divides by the training priors", () => {
  const window = seriesFromCandles("BTCUSDT", [candle(100, 99), candle(101, 100)]);
  const raw = (p: [number, number, number]) => ({ probabilities: p, expectedReturn: 0, attention: null });
  assert.equal(predictResponse("X", raw([0.2, 0.5, 0.3]), window, "v1").prediction, "SIDEWAYS");
  assert.equal(predictResponse("X", raw([0.4, 0.2, 0.4]), window, "v1").prediction, "DOWN");
  // 0.30/0.25 = 1.2 beats 0.45/0.50 = 0.9 and 0.25/0.25 = 1.0; confidence stays the class's own probability.
  const prior = predictResponse("X", raw([0.3, 0.45, 0.25]), window, "v1", {
    rule: "prior",
    priors: [0.25, 0.5, 0.25],
  });
  assert.equal(prior.prediction, "DOWN");
  assert.equal(prior.confidence, 0.3);
});

Deno.test("predictResponse maps a raw prediction and the window to SPEC §4's body", () => {
  const window = seriesFromCandles("BTCUSDT", [candle(100, 99), candle(101, 100)]);
  const body = predictResponse(
    "BTCUSDT",
    { probabilities: [0.05, 0.1, 0.85], expectedReturn: 0.012, attention: Float32Array.of(0.25, 0.75) },
    window,
    "v3_2024-03-03",
  );
  assert.deepEqual(JSON.parse(JSON.stringify(body)), {
    symbol: "BTCUSDT",
    prediction: "UP",
    confidence: 0.85,
    probabilities: { down: 0.05, sideways: 0.1, up: 0.85 },
    expected_return: 0.012,
    trend_score: 5,
    attention_summary: { "t-1": 0.75, "t-2": 0.25 },
    model_version: "v3_2024-03-03",
  });
});
