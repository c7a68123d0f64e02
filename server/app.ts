/**
 * The HTTP API of SPEC §4 as a plain Hono value: `createApp(models, options)` builds it, tests call
 * `app.request()`, `candlecast serve` binds `app.fetch` to a port. Every failure is a JSON `{"detail": …}`
 * with a 4xx status for the client's mistakes and 503 when there is no model; a 500 means a server bug
 * and carries no internals. The middleware every request passes (request log, browser guard, rate limit,
 * auth) and the 404/405/500 answers are here; each route's handler is in routes/.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { DecisionChoice } from "../engine/index.ts";
import { bearerAuth, holdsKey } from "./auth.ts";
import { type BrowserGuard, browserGuard } from "./browser_guard.ts";
import { arrivalOf, bodyBrokenOff, DEFAULT_BODY_LIMIT } from "./body.ts";
import { HttpError } from "./errors.ts";
import { type Logger, type LogRecord, MAX_DETAIL_LENGTH, stdoutLogger, truncate } from "./log.ts";
import { Metrics } from "./metrics.ts";
import type { ModelSource } from "./models/store.ts";
import type { PredictionLog } from "./prediction_log.ts";
import {
  CLIENT_ADDRESS,
  clientAddressOf,
  type ClientOptions,
  rateLimit,
  type RateLimiter,
  remoteAddressOf,
} from "./rate_limit.ts";
import {
  type Env,
  healthRoutes,
  metricsRoute,
  modelInfoRoute,
  predictRoutes,
  type RouteDeps,
} from "./routes/index.ts";

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
 * The outermost middleware: `X-Content-Type-Options: nosniff` on every answer the app gives, its errors, 404s
 * and refusals (401, 403, 429, 503) included. Without it a browser may sniff a body that quotes the client (a
 * 404's path, a 422's field) as HTML or script instead of the JSON it is declared as (a security review).
 */
const noSniff: MiddlewareHandler<Env> = async (c, next) => {
  await next();
  // Set, not appended: one header whoever else set it. Every answer here is built by the app (Response.json,
  // c.json, c.text), whose headers can be changed, as the browser guard's are after `next`.
  c.res.headers.set("X-Content-Type-Options", "nosniff");
};

/**
 * The first middleware inside `noSniff`: runs the request (unless its body broke off before the app was
 * called), then counts it in `metrics` and logs its line as the client got it; `clients` says who the client is
 * (`clientAddressOf`).
 */
function requestLog(metrics: Metrics, log: Logger, clients: ClientOptions): MiddlewareHandler<Env> {
  return async (c, next) => {
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
  };
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
  const app = new Hono<Env>();

  // Around everything else, so whatever answers (a middleware's refusal, notFound, onError) carries it.
  app.use(noSniff);
  // Who a request's client is, as the rate limiter counts it: `limiter`'s trusted proxies (`--trusted-proxies`
  // is given only with `--rate-limit`), else none, so the socket's remote address.
  app.use(requestLog(metrics, log, limiter ?? {}));
  // Before auth: a page must not learn from a 401 whether a key is set, nor anything else.
  app.use(browserGuard(browsers));
  // Before auth: a client without the key, or with a wrong one, in a loop is slowed down like any other.
  if (limiter) {
    // /metrics too, for a client with the key: a scraper on the host of a bot being limited shares its
    // address, and the counters are wanted most exactly then. Without the key it is charged like any route:
    // exempt outright, it took ~1,000 wrong keys a second unlimited (a security review).
    const keyed = apiKey ? holdsKey(apiKey) : () => true;
    app.use(rateLimit(limiter, OPEN_ROUTES, (path, r) => path === "/metrics" && keyed(r)));
    metrics.collect(() => limiter.samples());
  }
  if (apiKey) app.use(bearerAuth(apiKey, OPEN_ROUTES));

  // After every middleware, so each route is behind all of it.
  const deps: RouteDeps = { models, bodyLimit, decision, metrics, predictionLog, shuttingDown };
  healthRoutes(app, deps);
  predictRoutes(app, deps);
  modelInfoRoute(app, deps);
  metricsRoute(app, deps);

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
