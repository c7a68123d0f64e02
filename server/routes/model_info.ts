/** `GET /model/info`: the served version, what it takes and how it scored. */
import type { Hono } from "hono";
import { effectiveRule, metricsUnder, MODEL_CLASS_NAMES } from "../../engine/index.ts";
import { CLASSES } from "../../features/index.ts";
import type { Env, RouteDeps } from "./context.ts";
import { lease } from "./lease.ts";

/** Registers `GET /model/info` (HEAD too) on `app`: the served model's description, or 503 without one. */
export function modelInfoRoute(app: Hono<Env>, { models, decision }: RouteDeps): void {
  app.get("/model/info", (c) => {
    const { predictor, release } = lease(models);
    try {
      const { info } = predictor;
      const p = info.preprocessor;
      c.set("modelVersion", info.version);
      const rule = effectiveRule(decision, p.decisionRule);
      const scored = metricsUnder(info, rule);
      return c.json({
        model_type: MODEL_CLASS_NAMES[p.modelType] ?? info.modelClass,
        input_features: p.featureNames.length,
        feature_names: p.featureNames,
        lookback: p.lookback,
        version: info.version,
        trained_at: info.trainedAt,
        horizon: p.horizon,
        // The candles `lookback` and `horizon` count, and the only ones /predict takes ("30m", "1d"): a bot on
        // another interval learns it here rather than from a 422; null for versions that did not record it.
        interval: info.interval ?? null,
        // Only where the version's candles opened off the UTC grid: the bot's must open on the same one.
        ...(info.gridOffsetMs ? { grid_offset_ms: info.gridOffsetMs } : {}),
        classes: CLASSES,
        metrics: scored?.metrics ?? null,
        // The rule `metrics` was scored under: the served one, unless the version recorded only argmax's.
        metrics_rule: scored?.rule ?? null,
        device: predictor.device,
        decision: rule,
        class_priors: p.classPriors ?? null,
        // What the probabilities are: the network's alone (null), or a blend with gradient boosting's
        // (`train --blend-boosting`); `model_type` names the network either way.
        blend: p.blend ?? null,
      });
    } finally {
      release();
    }
  });
}
