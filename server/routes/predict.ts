/** `POST /predict` and `POST /predict/batch`: SPEC §4's predictions, recorded for `candlecast monitor`. */
import type { Hono } from "hono";
import type { ModelInfo } from "../../engine/index.ts";
import { readJsonBody } from "../body.ts";
import { HttpError } from "../errors.ts";
import { predictBodies, type PredictOutcome, symbolOf } from "../predict.ts";
import type { PredictionLog } from "../prediction_log.ts";
import { parseBatchEnvelope } from "../schemas.ts";
import type { Env, RouteDeps } from "./context.ts";
import { lease, requireModel } from "./lease.ts";

/** Writes each served prediction of `outcomes` to `predictionLog` (the refused ones are not predictions). */
function record(
  predictionLog: PredictionLog | undefined,
  outcomes: readonly PredictOutcome[],
  info: ModelInfo,
): void {
  if (!predictionLog) return;
  const time = new Date().toISOString();
  for (const o of outcomes) {
    if (!o.ok) continue;
    const r = o.response;
    predictionLog.record({
      time,
      symbol: r.symbol,
      last_candle_time: o.lastCandle.openTime,
      last_close: o.lastCandle.close,
      version: info.version,
      version_created_at: info.trainedAt,
      prediction: r.prediction,
      probabilities: r.probabilities,
      expected_return: r.expected_return,
    });
  }
}

/**
 * Registers `POST /predict` (one window: 200, or 422 when it is refused) and `POST /predict/batch` (a 200
 * whose items each carry a prediction or their refusal) on `app`; both 503 without a model.
 */
export function predictRoutes(
  app: Hono<Env>,
  { models, bodyLimit, decision, metrics, predictionLog }: RouteDeps,
): void {
  app.post("/predict", async (c) => {
    requireModel(models);
    const body = await readJsonBody(c.req.raw, bodyLimit);
    c.set("symbol", symbolOf(body) ?? undefined);
    const { predictor, release } = lease(models);
    try {
      c.set("modelVersion", predictor.info.version);
      const [outcome] = await predictBodies(predictor, [body], [""], decision);
      if (!outcome.ok) {
        if (outcome.refusal) metrics.observeTimeRefusal(outcome.refusal);
        throw new HttpError(422, outcome.failure.detail);
      }
      record(predictionLog, [outcome], predictor.info);
      return c.json(outcome.response);
    } finally {
      release();
    }
  });

  app.post("/predict/batch", async (c) => {
    requireModel(models);
    const body = await readJsonBody(c.req.raw, bodyLimit);
    const envelope = parseBatchEnvelope(body);
    if (!envelope.ok) throw new HttpError(422, envelope.detail);
    const items = envelope.value;
    c.set("symbol", items.map((item) => symbolOf(item) ?? "?"));
    const { predictor, release } = lease(models);
    try {
      c.set("modelVersion", predictor.info.version);
      const outcomes = await predictBodies(predictor, items, items.map((_, i) => `requests[${i}]`), decision);
      record(predictionLog, outcomes, predictor.info);
      // The batch is a 200 however many items were refused: its log line and /metrics say how many.
      let refused = 0;
      for (const o of outcomes) {
        if (o.ok) continue;
        if (refused++ === 0) c.set("detail", o.failure.detail);
        metrics.observeBatchItems(o.failure.status, 1);
        if (o.refusal) metrics.observeTimeRefusal(o.refusal);
      }
      metrics.observeBatchItems(200, outcomes.length - refused);
      c.set("items", outcomes.length);
      c.set("refused", refused);
      return c.json({ predictions: outcomes.map((o) => o.ok ? o.response : o.failure) });
    } finally {
      release();
    }
  });
}
