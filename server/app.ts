/**
 * The HTTP API of SPEC §4 as a plain Hono value: `createApp(models, options)` builds it, tests call
 * `app.request()`, `candlecast serve` binds `app.fetch` to a port. Every failure is a JSON `{"detail": …}`
 * with a 4xx status for the client's mistakes and 503 when there is no model; a 500 means a server bug
 * and carries no internals.
 */
import { type Context, Hono } from "hono";
import { CLASSES, FEATURE_COUNT } from "../features/index.ts";
import {
  type DecisionChoice,
  effectiveRule,
  metricsUnder,
  MODEL_CLASS_NAMES,
  type ModelInfo,
} from "../engine/index.ts";
import { bearerAuth } from "./auth.ts";
import { type BrowserGuard, browserGuard } from "./browser_guard.ts";
import { arrivalOf, bodyBrokenOff, DEFAULT_BODY_LIMIT, readJsonBody } from "./body.ts";
import { HttpError } from "./errors.ts";
import { type Logger, type LogRecord, MAX_DETAIL_LENGTH, stdoutLogger, truncate } from "./log.ts";
import { Metrics } from "./metrics.ts";
import { type ModelLease, type ModelSource, PUBLIC_PROBLEMS } from "./models/store.ts";
import { predictBodies, type PredictOutcome, symbolOf } from "./predict.ts";
import type { PredictionLog } from "./prediction_log.ts";
import {
  CLIENT_ADDRESS,
  clientAddressOf,
  rateLimit,
  type RateLimiter,
  remoteAddressOf,
} from "./rate_limit.ts";
import { parseBatchEnvelope } from "./schemas.ts";

export interface AppOptions {
  /** Bearer key every route but `/` and `/health` requires; none when undefined or empty. */
  readonly apiKey?: string;
  /** Largest request body in bytes (SPEC §4: 1 MiB). */
  readonly bodyLimit?: number;
  /** Receives one record per request and one per server error. */
  readonly log?: Logger;
  /** Shared with whoever else wants to read them; a fresh registry by default. */
  readonly metrics?: Metrics;
  /** Where served predictions are recorded for `candlecast monitor`; none by default. */
  readonly predictionLog?: PredictionLog;
  /** How `prediction` is chosen from the probabilities (default: the version's own rule, SPEC §4). */
  readonly decision?: DecisionChoice;
  /** True once the server is draining for shutdown: /health then answers 503 "unhealthy", shutting down. */
  readonly shuttingDown?: () => boolean;
  /**
   * Which web pages and `Host` names are answered (`browserGuardFor`); by default no page (any `Origin` is
   * refused) and any `Host`.
   */
  readonly browsers?: BrowserGuard;
  /**
   * Each client's request rate (`serve --rate-limit`): over it, 429 + `Retry-After`; `/` and `/health` are
   * never limited. None by default. Its counters join `metrics`.
   */
  readonly rateLimit?: RateLimiter;
}

type Env = {
  Variables: {
    symbol?: string | readonly string[];
    modelVersion?: string;
    /** `clientAddressOf` the request, for its log line and the rate limiter (`CLIENT_ADDRESS`). */
    [CLIENT_ADDRESS]?: string;
    /** The `detail` of the answer (an error's), or of a batch's first refused item: the log line's `detail`. */
    detail?: string;
    /** A /predict/batch's items, and how many of them were refused: the log line's `items` and `refused`. */
    items?: number;
    refused?: number;
  };
};

/**
 * A request's access-log line: method, path, status, latency, symbol and model version; the client (and, when
 * a trusted proxy named it, the proxy as `peer`); a batch's item counts; a refusal's `detail`. Method, path,
 * symbol and detail come from the client or quote it: each is cut and made safe (`truncate`).
 */
function requestLine(
  c: Context<Env>,
  { status, ms, client, broken }: { status: number; ms: number; client?: string; broken?: number },
): LogRecord {
  const symbol = c.get("symbol");
  const line: LogRecord = {
    method: truncate(c.req.method, 20),
    path: truncate(c.req.path),
    status,
    latency_ms: Math.round(ms * 1000) / 1000,
    symbol: typeof symbol === "string"
      ? truncate(symbol, 40)
      : symbol?.slice(0, 20).map((s) => truncate(s, 40)),
    model_version: c.get("modelVersion"),
  };
  // The rest only where it says something.
  if (client !== undefined) {
    const peer = remoteAddressOf(c.req.raw);
    if (client === peer) line.client = client;
    else {
      // Named by a trusted proxy's header: an IP address (`forwardedClient` reads nothing else), yet written
      // by a client of the proxy's, so made safe; `peer` is the proxy.
      line.client = truncate(client, 100);
      line.peer = peer;
    }
  }
  const items = c.get("items");
  if (items !== undefined) {
    line.items = items;
    line.refused = c.get("refused") ?? 0;
  }
  const detail = broken !== undefined ? brokenOffDetail(broken) : c.get("detail");
  if (detail !== undefined) line.detail = truncate(detail, MAX_DETAIL_LENGTH);
  return line;
}

/**
 * A log line's `detail` for a request whose body broke off (`bodyBrokenOff`): the app's own answer (a 400,
 * "the connection ended…") was never sent, so its detail is not what the client got.
 */
export function brokenOffDetail(status: number): string {
  switch (status) {
    case 408:
      return "the body did not arrive whole within the request timeout; the listener answered 408";
    case 400:
      return "the body did not follow its framing (Content-Length or chunked); the listener answered 400";
    default:
      return "the connection closed before the whole body arrived; no answer was sent";
  }
}

/** Routes and the methods they answer; anything else is 404, a known path with another method 405. */
export const ROUTES: Readonly<Record<string, readonly string[]>> = {
  "/": ["GET", "HEAD"],
  "/health": ["GET", "HEAD"],
  "/predict": ["POST"],
  "/predict/batch": ["POST"],
  "/model/info": ["GET", "HEAD"],
  "/metrics": ["GET", "HEAD"],
};
const OPEN_ROUTES = new Set(["/", "/health"]);

/**
 * A 503's detail: "no model loaded" and what to do, in the general terms /health uses. The paths and load errors
 * behind it are the operator's, in the server log, never a client's (a bearer key is often shared by bots).
 */
export function noModelDetail(publicProblem: string | null): string {
  switch (publicProblem) {
    case null:
    case PUBLIC_PROBLEMS.starting:
      return "no model loaded yet; retry shortly";
    case PUBLIC_PROBLEMS.missing:
      return "no model loaded: none is installed on the server; train one ('candlecast train') and promote it";
    case PUBLIC_PROBLEMS.failed:
      return "no model loaded: it failed to load and is being retried; the server log says why";
    default:
      return `no model loaded: ${publicProblem}`;
  }
}

/**
 * The SPEC §4 API over `models` as a Hono app; with `apiKey`, every route but / and /health needs the bearer
 * key. Each request is counted in `metrics` and logged as one line.
 */
export function createApp(models: ModelSource, options: AppOptions = {}): Hono<Env> {
  const {
    apiKey,
    bodyLimit = DEFAULT_BODY_LIMIT,
    log = stdoutLogger,
    metrics = new Metrics(),
    predictionLog,
    decision = "version",
    shuttingDown = () => false,
    browsers = { allowedOrigins: [], allowedHosts: "any" },
    rateLimit: limiter,
  } = options;
  const record = (outcomes: readonly PredictOutcome[], info: ModelInfo) => {
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
  };
  const app = new Hono<Env>();

  // Who a request's client is, as the rate limiter counts it: `limiter`'s trusted proxies (`--trusted-proxies`
  // is given only with `--rate-limit`), else none, so the socket's remote address.
  const clients = limiter ?? {};
  app.use(async (c, next) => {
    // From when the listener began the request: its body may have been read (or timed out) before this.
    const started = arrivalOf(c.req.raw) ?? performance.now();
    const client = clientAddressOf(c.req.raw, clients);
    c.set(CLIENT_ADDRESS, client);
    // A body that broke off before the app was called (server/body.ts) has no one to answer: nothing runs.
    const brokeOff = bodyBrokenOff(c.req.raw);
    if (brokeOff === undefined) await next();
    else c.res = new Response(null, { status: brokeOff });
    const ms = performance.now() - started;
    const path = c.req.path;
    // What the client got: when the body broke off while a route read it, not the route's answer (a 400).
    const broken = bodyBrokenOff(c.req.raw);
    const status = broken ?? c.res.status;
    metrics.observe(Object.hasOwn(ROUTES, path) ? path : "other", c.req.method, status, ms / 1000);
    log(requestLine(c, { status, ms, client, broken }));
  });
  // Before auth: a page must not learn from a 401 whether a key is set, nor anything else.
  app.use(browserGuard(browsers));
  // Before auth: a client without the key, or with a wrong one, in a loop is slowed down like any other.
  if (limiter) {
    // /metrics too: a scraper on the host of a bot being limited shares its address, and the counters are
    // wanted most exactly then (it stays behind auth, and costs little).
    app.use(rateLimit(limiter, new Set([...OPEN_ROUTES, "/metrics"])));
    metrics.collect(() => limiter.samples());
  }
  if (apiKey) app.use(bearerAuth(apiKey, OPEN_ROUTES));

  const noModel = () => new HttpError(503, noModelDetail(models.status().publicProblem));
  /** The current model for this request, or 503; the caller releases it. */
  const lease = (): ModelLease => {
    const leased = models.acquire();
    if (leased === null) throw noModel();
    return leased;
  };
  /**
   * The 503 of `lease`, before a body is read: without a model a prediction's body is never asked for. A client
   * sending `Expect: 100-continue` (curl on large uploads, .NET with ExpectContinue) got `100 Continue` and
   * uploaded its batch in full just to be told no model is loaded. The lease is still taken after the read: a
   * model may go between the two, and holding one through a slow upload would hold back a swap.
   */
  const requireModel = () => {
    if (models.status().predictor === null) throw noModel();
  };

  // Open to anyone: says ready or not and why in general terms, never paths or load errors (the log has them).
  const health = () => {
    const { predictor, publicProblem } = models.status();
    // Draining: new requests are refused, so a load balancer should stop sending (SPEC §4's 503 body).
    if (shuttingDown()) {
      return Response.json({
        status: "unhealthy",
        ready: false,
        model: "not_loaded",
        device: null,
        input_features: FEATURE_COUNT,
        shutting_down: true,
        detail: "the server is shutting down; retry in a moment",
      }, { status: 503, headers: { "Retry-After": "1" } });
    }
    return predictor
      ? Response.json({
        status: "healthy",
        ready: true,
        model: "loaded",
        device: predictor.device,
        input_features: FEATURE_COUNT,
        version: predictor.info.version,
      })
      : Response.json({
        status: "unhealthy",
        ready: false,
        model: "not_loaded",
        device: null,
        input_features: FEATURE_COUNT,
        detail: publicProblem ?? "no model loaded",
      }, { status: 503 });
  };
  app.get("/", health);
  app.get("/health", health);

  app.post("/predict", async (c) => {
    requireModel();
    const body = await readJsonBody(c.req.raw, bodyLimit);
    c.set("symbol", symbolOf(body) ?? undefined);
    const { predictor, release } = lease();
    try {
      c.set("modelVersion", predictor.info.version);
      const [outcome] = await predictBodies(predictor, [body], [""], decision);
      if (!outcome.ok) throw new HttpError(422, outcome.failure.detail);
      record([outcome], predictor.info);
      return c.json(outcome.response);
    } finally {
      release();
    }
  });

  app.post("/predict/batch", async (c) => {
    requireModel();
    const body = await readJsonBody(c.req.raw, bodyLimit);
    const envelope = parseBatchEnvelope(body);
    if (!envelope.ok) throw new HttpError(422, envelope.detail);
    const items = envelope.value;
    c.set("symbol", items.map((item) => symbolOf(item) ?? "?"));
    const { predictor, release } = lease();
    try {
      c.set("modelVersion", predictor.info.version);
      const outcomes = await predictBodies(predictor, items, items.map((_, i) => `requests[${i}]`), decision);
      record(outcomes, predictor.info);
      // The batch is a 200 however many items were refused: its log line and /metrics say how many.
      let refused = 0;
      for (const o of outcomes) {
        if (o.ok) continue;
        if (refused++ === 0) c.set("detail", o.failure.detail);
        metrics.observeBatchItems(o.failure.status, 1);
      }
      metrics.observeBatchItems(200, outcomes.length - refused);
      c.set("items", outcomes.length);
      c.set("refused", refused);
      return c.json({ predictions: outcomes.map((o) => o.ok ? o.response : o.failure) });
    } finally {
      release();
    }
  });

  app.get("/model/info", (c) => {
    const { predictor, release } = lease();
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

  app.get(
    "/metrics",
    async (c) =>
      c.text(await metrics.renderAll(models.status()), 200, {
        "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
      }),
  );

  for (const [path, methods] of Object.entries(ROUTES)) {
    app.all(path, () => {
      throw new HttpError(405, `${path} accepts ${methods.filter((m) => m !== "HEAD").join(", ")}`, {
        Allow: methods.join(", "),
      });
    });
  }
  // The path and the routes there are, so a client's typo ("/predict/", "/v1/predict") explains itself; the
  // path is echoed bounded, as the symbol is.
  const routeList = Object.keys(ROUTES).join(", ");
  app.notFound((c) => {
    const detail = `Not Found: ${JSON.stringify(c.req.path.slice(0, 100))} (the routes: ${routeList})`;
    c.set("detail", detail);
    return Response.json({ detail }, { status: 404 });
  });
  app.onError((error, c) => {
    if (error instanceof HttpError) {
      // The request line says why, as the client was told: a 422's field, a 429's limit, a 401's cause.
      c.set("detail", error.detail);
      return Response.json({ detail: error.detail }, { status: error.status, headers: error.headers });
    }
    log({
      event: "server_error",
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    return Response.json({ detail: "internal server error; the server log has the details" }, {
      status: 500,
    });
  });
  return app;
}
