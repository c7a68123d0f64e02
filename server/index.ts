/**
 * The server's public surface: the app factory, the model lifecycle, the prediction pipeline, and
 * `startService`, which puts them together into one serving process on a port.
 *
 * @example The app is a value: serve it, or ask it directly as the tests do
 * ```ts
 * import { loadPredictor } from "../engine/index.ts";
 * import { createApp, ModelStore } from "./index.ts";
 *
 * const models = new ModelStore(); // /health says "starting" until a model is installed
 * models.install(await loadPredictor("checkpoints/current"));
 * const app = createApp(models, { apiKey: Deno.env.get("CANDLECAST_API_KEY") });
 * const res = await app.request("/model/info", {
 *   headers: { Authorization: `Bearer ${Deno.env.get("CANDLECAST_API_KEY")}` },
 * });
 * console.log(res.status, await res.json());
 * ```
 */
export { type AppOptions, createApp } from "./app.ts";
export { apiKeyProblem, exposedWithoutKey, weakKeyProblem } from "./auth.ts";
export { type BrowserGuard, browserGuardFor, isLoopbackName } from "./browser_guard.ts";
export { DEFAULT_BODY_LIMIT, readJsonBody } from "./body.ts";
export { HttpError } from "./errors.ts";
export { AsyncLogger, type Logger, type LogRecord, silentLogger, stdoutLog, stdoutLogger } from "./log.ts";
export { Metrics, type MetricsSnapshot, type Sample, workerModelSamples } from "./metrics.ts";
export { type ModelLease, type ModelSource, type ModelStatus, ModelStore } from "./models/store.ts";
export {
  CheckpointWatcher,
  type LoadModel,
  type RefreshResult,
  type WatcherOptions,
} from "./models/watcher.ts";
export { warmUp } from "./models/warm_up.ts";
export { coalesce } from "./models/coalesce.ts";
export {
  predictBodies,
  type PredictFailure,
  type PredictOutcome,
  symbolOf,
  toRequestCandle,
  windowOf,
} from "./predict.ts";
export { listen, LISTEN_DEFAULTS, ListenError, probePort } from "./listen.ts";
export { type PredictResponse, predictResponse } from "../engine/index.ts";
export {
  isBatchBody,
  parseBatchEnvelope,
  parsePredictRequest,
  type PredictRequest,
  REQUEST_FIELDS,
  type RequestCandle,
} from "./schemas.ts";
export { openLogLock, PredictionLog, predictionLogFiles, PREDICTIONS_LOG_MODE } from "./prediction_log.ts";
export {
  type PredictionLogSnapshot,
  readPredictionLog,
  snapshotPredictionLog,
} from "./prediction_log_reader.ts";
export { SharedMetrics } from "./metrics_share.ts";
export {
  NoModelToJoinError,
  type Service,
  type ServiceClosed,
  type ServiceConfig,
  startService,
} from "./service.ts";
export {
  type ClientOptions,
  DEFAULT_RATE_LIMIT_CLIENTS,
  defaultBurst,
  RateLimiter,
  type RateLimitOptions,
} from "./rate_limit.ts";
export { DEFAULT_IPV6_PREFIX } from "./client_address.ts";
export { type AddressRange, parseAddressRange, PROXY_HEADERS, type ProxyHeader } from "./trusted_proxy.ts";
