/**
 * Request counters and a latency histogram in the Prometheus text format (version 0.0.4), plus the model
 * the server answers with and the counters of faults survived. Label values are bounded: routes are the
 * known paths or "other" and methods the standard ones or "other" (the request line is read before auth, so
 * a client sending random URLs or 1,000-character methods cannot grow the series without limit).
 */
import { blendTag } from "../engine/index.ts";
import type { ModelStatus } from "./models/store.ts";
import { CANDLE_TIME_REFUSALS, type CandleTimeRefusal } from "./predict.ts";

/** Methods that get their own label value; anything else is counted as "other". */
const KNOWN_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
  "CONNECT",
  "TRACE",
]);

/** The method as a label value: itself when standard, else "other". */
export const methodLabel = (method: string): string => KNOWN_METHODS.has(method) ? method : "other";

/** A named number shown on /metrics next to the request series (connections dropped, log lines lost…). */
export interface Sample {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge";
  readonly value: number;
  /** At most a few fixed label values, never anything a client sent. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Seconds; spans a sub-millisecond /predict up to a stalled one. */
export const LATENCY_BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

export interface Histogram {
  readonly counts: number[];
  sum: number;
  count: number;
}

/** `\`, `"` and newlines escaped as the exposition format requires. */
const label = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** One process's counters as plain data: what a `serve` worker shares with the others (see `metrics_share.ts`). */
export interface MetricsSnapshot {
  readonly requests: [string, number][];
  readonly latency: [string, Histogram][];
  readonly samples: Sample[];
}

const WORKER_RELOADS = "candlecast_worker_model_reloads_total";

/** What one scrape renders: this worker's snapshot and the other workers' latest. */
export interface Scrape {
  readonly own: MetricsSnapshot;
  readonly peers: MetricsSnapshot[];
}

/**
 * The model one `serve --workers N` worker answers with, labelled by worker: the unlabelled model gauges
 * describe only the worker a scrape landed on, so these show every worker (one stuck on an old version, or
 * with none loaded, is visible whichever answers). Shared through each worker's snapshot like any sample; the
 * reload counts are also what `render` sums into the unlabelled `candlecast_model_reloads_total`.
 */
export function workerModelSamples(worker: number, model: ModelStatus): Sample[] {
  const w = String(worker);
  const p = model.predictor;
  return [
    {
      name: "candlecast_worker_model_loaded",
      help: "1 when this worker has a model answering /predict, by worker.",
      type: "gauge",
      value: p ? 1 : 0,
      labels: { worker: w },
    },
    ...(p
      ? [{
        name: "candlecast_worker_model_info",
        help: "The model each worker answers with (value always 1).",
        type: "gauge" as const,
        value: 1,
        labels: { worker: w, version: p.info.version },
      }]
      : []),
    ...(["success", "failure"] as const).map((result) => ({
      name: WORKER_RELOADS,
      help: "Model loads since start, by worker and result.",
      type: "counter" as const,
      value: result === "success" ? model.reloads.succeeded : model.reloads.failed,
      labels: { worker: w, result },
    })),
  ];
}

/**
 * One server's request counts (by route, method and status) and latency histograms (by route), rendered as
 * Prometheus text for /metrics, with the other workers' added once `addPeers` is set.
 */
export class Metrics {
  readonly #requests = new Map<string, number>();
  readonly #latency = new Map<string, Histogram>();
  readonly #collectors: (() => readonly Sample[])[] = [];
  /** /predict/batch items by the status each got (200 predicted, 422 refused), from `observeBatchItems`. */
  readonly #batchItems = new Map<number, number>([[200, 0], [422, 0]]);
  /** Windows (a /predict body, a batch item) the candle time checks refused, by reason, from `observeTimeRefusal`. */
  readonly #timeRefusals = new Map<CandleTimeRefusal, number>(CANDLE_TIME_REFUSALS.map((r) => [r, 0]));
  #scrape: () => Promise<Scrape> = () => Promise.resolve({ own: this.snapshot(), peers: [] });

  /**
   * Where `renderAll` gets this worker's snapshot and the other workers' latest (`serve --workers N`): the
   * source must publish `own` before it returns it (SharedMetrics does), so no later scrape, on any worker,
   * can see less of this worker than this one showed.
   */
  addPeers(scrape: () => Promise<Scrape>): void {
    this.#scrape = scrape;
  }

  snapshot(): MetricsSnapshot {
    return {
      requests: [...this.#requests],
      latency: [...this.#latency].map(([route, h]) => [route, { ...h, counts: [...h.counts] }]),
      samples: [
        ...this.#batchItemSamples(),
        ...this.#timeRefusalSamples(),
        ...this.#collectors.flatMap((collector) => collector()),
      ],
    };
  }

  /**
   * Counts `count` items of one /predict/batch answer that got `status`: 200 predicted, else refused (422; its
   * entry in the answer carries the status). The request itself is counted by `observe`, as the 200 the batch
   * got, however many of its items were refused; this counter is where they show.
   */
  observeBatchItems(status: number, count: number): void {
    if (count <= 0) return;
    const s = Math.trunc(status);
    this.#batchItems.set(s, (this.#batchItems.get(s) ?? 0) + count);
  }

  #batchItemSamples(): Sample[] {
    return [...this.#batchItems].map(([status, value]) => ({
      name: "candlecast_batch_items_total",
      help:
        "Items of /predict/batch requests, by outcome (predicted or refused) and the status each item got.",
      type: "counter" as const,
      value,
      labels: { outcome: status < 400 ? "predicted" : "refused", status: String(status) },
    }));
  }

  /**
   * Counts one window (a /predict request's body, or one /predict/batch item) that a candle time check refused
   * with a 422 (`PredictOutcome.refusal`): a bot sending the candle still forming is told from its other 422s.
   */
  observeTimeRefusal(reason: CandleTimeRefusal): void {
    this.#timeRefusals.set(reason, (this.#timeRefusals.get(reason) ?? 0) + 1);
  }

  #timeRefusalSamples(): Sample[] {
    return [...this.#timeRefusals].map(([reason, value]) => ({
      name: "candlecast_candle_time_refusals_total",
      help:
        "Prediction windows (/predict bodies and /predict/batch items) refused with a 422 by the candle " +
        "time checks, by reason: forming (the last candle not closed yet, or local times one candle east of UTC), future (it opens after the " +
        "server's clock), off_grid (open times off the model's grid), interval (candles of another interval).",
      type: "counter" as const,
      value,
      labels: { reason },
    }));
  }

  /** `render` with the peers' counters added: the whole service, whichever worker is asked. */
  async renderAll(model: ModelStatus): Promise<string> {
    const { own, peers } = await this.#scrape().catch(() => ({ own: this.snapshot(), peers: [] }));
    return this.render(model, peers, own);
  }

  /** Adds samples computed at each scrape (the listener's and the logger's counters). */
  collect(samples: () => readonly Sample[]): void {
    this.#collectors.push(samples);
  }

  /** Counts one request; `route` must already be a known path or "other". */
  observe(route: string, method: string, status: number, seconds: number): void {
    const key = `route="${label(route)}",method="${methodLabel(method)}",status="${Math.trunc(status)}"`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    let h = this.#latency.get(route);
    if (!h) this.#latency.set(route, h = { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 });
    for (let b = 0; b < LATENCY_BUCKETS.length; b++) if (seconds <= LATENCY_BUCKETS[b]) h.counts[b]++;
    h.sum += seconds;
    h.count++;
  }

  /** Prometheus text: `own` (this worker's counters, by default as they are now) plus the `peers`'. */
  render(model: ModelStatus, peers: readonly MetricsSnapshot[] = [], own = this.snapshot()): string {
    const all = [own, ...peers];
    const requests = new Map<string, number>();
    const latency = new Map<string, Histogram>();
    for (const snap of all) {
      for (const [key, n] of snap.requests) requests.set(key, (requests.get(key) ?? 0) + n);
      for (const [route, h] of snap.latency) {
        const sum = latency.get(route) ?? { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
        h.counts.forEach((n, b) => sum.counts[b] += n);
        sum.sum += h.sum;
        sum.count += h.count;
        latency.set(route, sum);
      }
    }
    const lines = [
      "# HELP candlecast_http_requests_total HTTP requests by route, method and status.",
      "# TYPE candlecast_http_requests_total counter",
    ];
    for (const [key, n] of requests) lines.push(`candlecast_http_requests_total{${key}} ${n}`);
    lines.push(
      "# HELP candlecast_http_request_duration_seconds Time from request to response, by route.",
      "# TYPE candlecast_http_request_duration_seconds histogram",
    );
    for (const [route, h] of latency) {
      const r = `route="${label(route)}"`;
      LATENCY_BUCKETS.forEach((le, b) =>
        lines.push(`candlecast_http_request_duration_seconds_bucket{${r},le="${le}"} ${h.counts[b]}`)
      );
      lines.push(
        `candlecast_http_request_duration_seconds_bucket{${r},le="+Inf"} ${h.count}`,
        `candlecast_http_request_duration_seconds_sum{${r}} ${h.sum}`,
        `candlecast_http_request_duration_seconds_count{${r}} ${h.count}`,
      );
    }
    const p = model.predictor;
    lines.push(
      "# HELP candlecast_model_loaded 1 when a model is answering /predict.",
      "# TYPE candlecast_model_loaded gauge",
      `candlecast_model_loaded ${p ? 1 : 0}`,
      "# HELP candlecast_model_info The model answering /predict (value always 1).",
      "# TYPE candlecast_model_info gauge",
    );
    if (p) {
      lines.push(
        `candlecast_model_info{version="${label(p.info.version)}",model_type="${label(p.info.modelClass)}",` +
          `device="${label(p.device)}",trained_at="${label(p.info.trainedAt)}",` +
          // What the probabilities are (train --blend-boosting): model_type names the network either way, so
          // without it a blended version and a plain one looked alike here.
          `blend="${label(blendTag(p.info.preprocessor.blend))}"} 1`,
      );
    }
    // A counter must never go down, so this one is the whole service's, like the request counters: this
    // worker's loads plus every other worker's and every retired predecessor's (their labelled series). As
    // the answering worker's alone it read 13, 13, 2, 13 … after a worker restarted, whichever one a scrape
    // landed on, and Prometheus took each drop for a reset.
    // This worker's own loads come from `own` where it carries them (the published snapshot, like its request
    // counts), else from the model store.
    const ownLoads = own.samples.some((s) => s.name === WORKER_RELOADS);
    const reloads = ownLoads
      ? { success: 0, failure: 0 }
      : { success: model.reloads.succeeded, failure: model.reloads.failed };
    for (const s of (ownLoads ? all : peers).flatMap((snap) => snap.samples)) {
      const result = s.labels?.result;
      if (s.name === WORKER_RELOADS && (result === "success" || result === "failure")) {
        reloads[result] += s.value;
      }
    }
    lines.push(
      "# HELP candlecast_model_reloads_total Model loads since start, by result, summed over the workers (a failure also for a checkpoint gone while a model served).",
      "# TYPE candlecast_model_reloads_total counter",
      `candlecast_model_reloads_total{result="success"} ${reloads.success}`,
      `candlecast_model_reloads_total{result="failure"} ${reloads.failure}`,
    );
    // The exposition format wants every sample of a metric together, under one HELP/TYPE; workers' values of
    // the same series are summed (open connections, drops and errors of the whole service).
    const byName = new Map<string, { help: string; type: string; series: Map<string, number> }>();
    for (const s of all.flatMap((snap) => snap.samples)) {
      const metric = byName.get(s.name) ?? { help: s.help, type: s.type, series: new Map() };
      const labels = Object.entries(s.labels ?? {}).map(([k, v]) => `${k}="${label(v)}"`).join(",");
      metric.series.set(labels, (metric.series.get(labels) ?? 0) + s.value);
      byName.set(s.name, metric);
    }
    for (const [name, { help, type, series }] of byName) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of series) lines.push(`${name}${labels ? `{${labels}}` : ""} ${value}`);
    }
    return lines.join("\n") + "\n";
  }
}
