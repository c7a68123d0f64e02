/** `GET /metrics`: the Prometheus text of `Metrics` (server/README.md § /metrics lists every series). */
import type { Hono } from "hono";
import type { Env, RouteDeps } from "./context.ts";

/** Registers `GET /metrics` (HEAD too) on `app`: every series, with the model's state as of this request. */
export function metricsRoute(app: Hono<Env>, { models, metrics }: RouteDeps): void {
  app.get(
    "/metrics",
    async (c) =>
      c.text(await metrics.renderAll(models.status()), 200, {
        "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
      }),
  );
}
