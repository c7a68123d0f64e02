/**
 * `/` and `/health`, open to anyone: ready or not and why in general terms, never paths or load errors (the
 * log has them).
 */
import type { Hono } from "hono";
import type { Predictor } from "../../engine/index.ts";
import { FEATURE_COUNT } from "../../features/index.ts";
import type { Env, RouteDeps } from "./context.ts";

/**
 * SPEC §4's health body: the same five fields whatever the state (from the serving predictor, or none), then
 * what that state adds (`version`, or why not ready).
 */
function healthBody(serving: Predictor | null, more: Record<string, unknown>): Record<string, unknown> {
  return {
    status: serving ? "healthy" : "unhealthy",
    ready: serving !== null,
    model: serving ? "loaded" : "not_loaded",
    device: serving ? serving.device : null,
    input_features: FEATURE_COUNT,
    ...more,
  };
}

/** Registers `GET /` and `GET /health` (HEAD too) on `app`: 200 when a model serves, else 503. */
export function healthRoutes(app: Hono<Env>, { models, shuttingDown }: RouteDeps): void {
  const health = () => {
    const { predictor, publicProblem } = models.status();
    // Draining: new requests are refused, so a load balancer should stop sending (SPEC §4's 503 body).
    if (shuttingDown()) {
      return Response.json(
        healthBody(null, {
          shutting_down: true,
          detail: "the server is shutting down; retry in a moment",
        }),
        { status: 503, headers: { "Retry-After": "1" } },
      );
    }
    return predictor
      ? Response.json(healthBody(predictor, { version: predictor.info.version }))
      : Response.json(healthBody(null, { detail: publicProblem ?? "no model loaded" }), { status: 503 });
  };
  app.get("/", health);
  app.get("/health", health);
}
