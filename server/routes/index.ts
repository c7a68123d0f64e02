/**
 * The app's routes: each file registers its own handlers on the app it is given. `createApp` (../app.ts) adds
 * its middleware first, so every route runs behind all of it, and answers what no route does (404, 405).
 */
export type { Env, RouteDeps } from "./context.ts";
export { healthRoutes } from "./health.ts";
export { predictRoutes } from "./predict.ts";
export { modelInfoRoute } from "./model_info.ts";
export { metricsRoute } from "./metrics.ts";
