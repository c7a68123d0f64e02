/**
 * One serving process put together: the model store and the watcher that follows the checkpoint, the
 * predictions log, /metrics and what it collects, the rate limiter, the app, and the listener on its port;
 * then taken apart in the order that loses nothing (`close`). What to serve comes in a `ServiceConfig`;
 * `cli/serve.ts` maps its flags to one and keeps the process around it (signals, workers, what the operator
 * is told).
 */
import { dirname } from "node:path";
import { ReportedError, shellWord, timerMs } from "../base/index.ts";
import type { DecisionChoice } from "../engine/index.ts";
import { createApp } from "./app.ts";
import { browserGuardFor } from "./browser_guard.ts";
import { listen, LISTEN_DEFAULTS, type ListenOptions, probePort } from "./listen.ts";
import { type Logger, stdoutLog } from "./log.ts";
import { Metrics, workerModelSamples } from "./metrics.ts";
import { SharedMetrics } from "./metrics_share.ts";
import { coalesce } from "./models/coalesce.ts";
import { ModelStore } from "./models/store.ts";
import { CheckpointWatcher, type RefreshResult, type WatcherOptions } from "./models/watcher.ts";
import { PredictionLog } from "./prediction_log.ts";
import { RateLimiter, type RateLimitOptions } from "./rate_limit.ts";

/** What one serving process serves, and how. */
export interface ServiceConfig {
  /** Receives every record: model loads, requests, the listener's refusals, the predictions log's trouble. */
  readonly log: Logger;
  /**
   * The version followed and how a version folder loads (the watcher's options, its `log` the service's);
   * `maxBatch` above 1 lets concurrent requests share one model call of up to that many windows.
   */
  readonly model: Omit<WatcherOptions, "log"> & { readonly maxBatch: number };
  /**
   * Where to listen, and the listener's limits. `shutdownTimeoutMs` also bounds the wait for a model stuck
   * in a call when the service closes.
   */
  readonly listen: Omit<ListenOptions, "log" | "alwaysOpen" | "openWhileDraining">;
  /**
   * Bind the port once without SO_REUSEPORT before joining it: SO_REUSEPORT lets any process of this user join
   * a port, so a second service would otherwise share a port another already serves, splitting its traffic.
   */
  readonly probePort?: boolean;
  /** Bearer key every route but `/` and `/health` requires; none when undefined. */
  readonly apiKey?: string;
  /** How `prediction` is chosen from the probabilities. */
  readonly decision: DecisionChoice;
  /** `Host` names answered besides localhost and IP addresses (`browserGuardFor`). */
  readonly allowedHosts?: readonly string[];
  /** Web pages that may call the API; any other `Origin` is refused. */
  readonly allowedOrigins?: readonly string[];
  /** Each client's request rate; none when undefined. */
  readonly rateLimit?: RateLimitOptions;
  /** Where each prediction is recorded for `monitor`, rotated past `maxBytes`; none when undefined. */
  readonly predictionsLog?: { readonly path: string; readonly maxBytes: number; readonly keep: number };
}

/** What `Service.close` reports. */
export interface ServiceClosed {
  /** Prediction records the log could not write before it closed (0 without a log). */
  readonly predictionsLogLinesDropped: number;
}

/** A started service: listening, with its model loaded (or, when none could load, answering 503 for it). */
export interface Service {
  readonly url: string;
  /** The bound port (the one picked when `listen.port` was 0). */
  readonly port: number;
  /** Resolves once the listener has stopped, after `stop` and its drain. */
  readonly finished: Promise<void>;
  /** True once `stop` was called: /health answers "shutting down". */
  readonly stopping: boolean;
  /** The version folder served now (what a restarted worker falls back to); null before one was loaded. */
  readonly served: string | null;
  /**
   * Starts the drain (once; later calls do nothing): requests in flight finish, for at most the shutdown
   * timeout, while newcomers get 503 and /health says "shutting down".
   */
  stop(): void;
  /** Looks at the checkpoint now rather than at the next poll. */
  refresh(): Promise<RefreshResult>;
  /**
   * Joins a service of several processes on one port: this one's counters are written to `dir` every second
   * under `worker`, and /metrics sums every process's files there (`SharedMetrics`), with a model series per
   * worker.
   */
  shareMetrics(dir: string, worker: number): Promise<void>;
  /**
   * Once `finished`: stops following the checkpoint, closes the model (abandoned past the shutdown timeout,
   * so a predictor stuck in a call does not hold the exit), flushes the predictions log and leaves the
   * shared counters' last snapshot.
   */
  close(): Promise<ServiceClosed>;
}

/**
 * A worker that could load neither `--checkpoint` nor the version the first process serves, and so does not
 * join the port (`startService`).
 */
export class NoModelToJoinError extends ReportedError {
  override name = "NoModelToJoinError";
  constructor(pointer: string, fallback: string) {
    super(
      `neither ${pointer} nor ${fallback} (the version the first process serves, from memory) can be loaded: ` +
        "this worker does not join the port with no model, and is restarted until one loads",
      `restore the version's files, or point ${pointer} at a version that loads ('candlecast models rollback', ` +
        `or 'candlecast models promote VERSION' after 'candlecast models list --checkpoints ${
          shellWord(dirname(pointer))
        }')`,
    );
  }
}

/**
 * Loads the model (a missing or broken one is not fatal: the service starts, answers 503 and picks one up
 * later), builds the app and binds `config.listen`. When the bind fails the watcher and model are let go
 * before the error is thrown.
 */
export async function startService(config: ServiceConfig): Promise<Service> {
  const { log, model: { maxBatch, ...model } } = config;
  const shutdownTimeoutMs = config.listen.shutdownTimeoutMs ?? LISTEN_DEFAULTS.shutdownTimeoutMs;
  const store = new ModelStore();
  const watcher = new CheckpointWatcher(store, {
    ...model,
    load: async (dir) => coalesce(await model.load(dir), maxBatch),
    log,
  });
  await watcher.start();
  if (model.fallback !== undefined && store.status().predictor === null) {
    // A worker handed the version the first process serves, which could load neither it nor the pointer's,
    // does not bind: on the shared port (SO_REUSEPORT) it would take its share of new connections and answer
    // each 503 while the first process serves that version from memory (an operator's trial: /health 200 and
    // 503 in turn, half the bot's predictions refused). Its parent restarts it, backing off, until one loads.
    await watcher.stop();
    await store.close();
    throw new NoModelToJoinError(model.pointer, model.fallback);
  }
  const predictionLog = config.predictionsLog
    ? new PredictionLog(config.predictionsLog.path, {
      log,
      maxBytes: config.predictionsLog.maxBytes,
      keep: config.predictionsLog.keep,
    })
    : undefined;
  const metrics = new Metrics();
  const rateLimit = config.rateLimit === undefined ? undefined : new RateLimiter(config.rateLimit);
  let stopping = false;
  const app = createApp(store, {
    apiKey: config.apiKey,
    log,
    predictionLog,
    decision: config.decision,
    metrics,
    shuttingDown: () => stopping,
    browsers: browserGuardFor(config.listen.hostname, config.allowedHosts, config.allowedOrigins),
    rateLimit,
  });

  let server;
  try {
    if (config.probePort) await probePort(config.listen.hostname, config.listen.port);
    server = await listen(app.fetch, {
      ...config.listen,
      log,
      shutdownTimeoutMs,
      openWhileDraining: true, // /health says "shutting down" in its SPEC body (the app knows `stopping`)
    });
  } catch (error) {
    await watcher.stop();
    await store.close();
    throw error;
  }
  metrics.collect(server.samples);
  metrics.collect(() => [{
    name: "candlecast_log_lines_dropped_total",
    help: "Log lines dropped because stdout could not take them (full disk, closed or stalled pipe).",
    type: "counter",
    value: stdoutLog.stats.dropped,
  }]);
  if (predictionLog) metrics.collect(() => predictionLog.samples());

  let shared: SharedMetrics | null = null;
  const listening = server;
  return {
    url: listening.url,
    port: listening.port,
    finished: listening.finished,
    get stopping() {
      return stopping;
    },
    get served() {
      return watcher.served;
    },
    stop() {
      if (stopping) return;
      stopping = true;
      void listening.shutdown();
    },
    refresh: () => watcher.refresh(),
    async shareMetrics(dir, worker) {
      shared = new SharedMetrics(dir, worker, metrics, log);
      metrics.collect(() => workerModelSamples(worker, store.status()));
      await shared.start();
    },
    async close() {
      await watcher.stop();
      await withTimeout(store.close(), shutdownTimeoutMs);
      await predictionLog?.close();
      await shared?.stop();
      return { predictionsLogLinesDropped: predictionLog?.stats.dropped ?? 0 };
    },
  };
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise((resolve) => timer = setTimeout(resolve, timerMs(ms)))]);
  clearTimeout(timer);
}
