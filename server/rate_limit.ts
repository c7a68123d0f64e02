/**
 * Per-client request rate (`serve --rate-limit`): a token bucket for each client, so one client stuck in a
 * retry loop, or a scraper, cannot take the capacity the other clients need (`--max-in-flight` caps the
 * whole server's concurrency, not anyone's share of it).
 *
 * A client is its remote address (`markRemoteAddress`, set by the listener), an IPv6 one's /64 (a site's
 * allocation, which one host can rotate through: `client_address.ts`). Not the bearer key: serve has
 * one key (CANDLECAST_API_KEY), which every bot shares, so a bucket per key would be one bucket for all of
 * them, and the bot in a retry loop would spend the others' share; a client without the key is limited too.
 *
 * Memory is bounded: a bucket idle long enough to have refilled is the same as no bucket and is dropped, and
 * at most `maxClients` are kept; past that the least recently seen one is forgotten (that client starts again
 * with a full burst, the price of a bound that many addresses cannot push past).
 */
import type { MiddlewareHandler } from "hono";
import { clientKey } from "./client_address.ts";
import { HttpError } from "./errors.ts";
import type { Sample } from "./metrics.ts";

export interface RateLimitOptions {
  /** Requests per second each client may make, sustained. */
  readonly rate: number;
  /** Requests a client may make at once after being idle (the bucket's size); at least 1. */
  readonly burst: number;
  /** Most clients tracked at once (default 10,000, about 1 MB). */
  readonly maxClients?: number;
  /** Milliseconds on a monotonic clock; injected by tests. */
  readonly now?: () => number;
}

export const DEFAULT_RATE_LIMIT_CLIENTS = 10_000;

/** The burst a `--rate-limit` gets without `--rate-limit-burst`: one second's worth, at least one request. */
export const defaultBurst = (rate: number): number => Math.max(1, Math.ceil(rate));

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
}

/** What `take` decided: go on, or wait `retryAfterS` seconds (whole, ≥ 1, as `Retry-After` wants). */
export type Admission = { readonly ok: true } | { readonly ok: false; readonly retryAfterS: number };

export class RateLimiter {
  readonly rate: number;
  readonly burst: number;
  readonly maxClients: number;
  readonly #now: () => number;
  /** In order of last use (a used bucket is moved to the end), so the stalest are first. */
  readonly #buckets = new Map<string, Bucket>();
  /** Milliseconds an untouched bucket takes to fill from empty: after that it is the same as none. */
  readonly #refillMs: number;
  #limited = 0;
  #evicted = 0;

  constructor(options: RateLimitOptions) {
    if (!(options.rate > 0) || !Number.isFinite(options.rate)) {
      throw new RangeError(`rate must be a number > 0, got ${options.rate}`);
    }
    if (!(options.burst >= 1) || !Number.isFinite(options.burst)) {
      throw new RangeError(`burst must be ≥ 1, got ${options.burst}`);
    }
    this.rate = options.rate;
    this.burst = options.burst;
    this.maxClients = Math.max(1, Math.floor(options.maxClients ?? DEFAULT_RATE_LIMIT_CLIENTS));
    this.#now = options.now ?? (() => performance.now());
    this.#refillMs = (this.burst / this.rate) * 1000;
  }

  /** Takes one request's token from `client`'s bucket, or says how long until there is one. */
  take(client: string): Admission {
    const now = this.#now();
    let bucket = this.#buckets.get(client);
    if (bucket === undefined) {
      this.#sweep(now);
      bucket = { tokens: this.burst, at: now };
    } else {
      this.#buckets.delete(client);
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
      bucket.at = now;
    }
    this.#buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    this.#limited++;
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - bucket.tokens) / this.rate)) };
  }

  /**
   * Room for one more bucket: drops the buckets full again (the stalest first, so the walk stops at the first
   * one still refilling), then, at the cap, the least recently used.
   */
  #sweep(now: number): void {
    for (const [client, bucket] of this.#buckets) {
      if (now - bucket.at < this.#refillMs) break;
      this.#buckets.delete(client);
    }
    while (this.#buckets.size >= this.maxClients) {
      const stalest = this.#buckets.keys().next().value!;
      this.#buckets.delete(stalest);
      this.#evicted++;
    }
  }

  /** Clients tracked now. */
  get clients(): number {
    return this.#buckets.size;
  }

  /** Requests refused so far. */
  get limited(): number {
    return this.#limited;
  }

  /** /metrics samples: requests refused, clients tracked, clients forgotten at the cap. */
  samples(): Sample[] {
    return [
      {
        name: "candlecast_http_requests_rate_limited_total",
        help: "Requests answered 429 because their client was over --rate-limit.",
        type: "counter",
        value: this.#limited,
      },
      {
        name: "candlecast_rate_limit_clients",
        help: "Clients with a --rate-limit bucket now.",
        type: "gauge",
        value: this.#buckets.size,
      },
      {
        name: "candlecast_rate_limit_clients_evicted_total",
        help: "Buckets dropped while still refilling because --rate-limit-clients were tracked.",
        type: "counter",
        value: this.#evicted,
      },
    ];
  }
}

/** Each request's remote address as the listener saw it (`markRemoteAddress`). */
const remoteAddresses = new WeakMap<Request, string>();

/** Records the address `request` came from; the listener calls it for every request it hands the app. */
export function markRemoteAddress(request: Request, address: string): void {
  remoteAddresses.set(request, address);
}

/**
 * The client a request is counted against: its remote address's `clientKey` (an IPv4 address; an IPv6 one's
 * /64, which one site holds; an IPv4-mapped one as the IPv4 address); "unknown" for one that did not come
 * through the listener (`app.request()`), so such requests share one bucket.
 */
export function clientOf(request: Request): string {
  const address = remoteAddresses.get(request);
  return address === undefined ? "unknown" : clientKey(address);
}

/**
 * Answers 429 with `Retry-After` (SPEC §4's `{"detail"}` body) to a client over its rate; `open` paths
 * (`/`, `/health`, and `/metrics` as the app passes them) are never limited, so a health check or a scrape is
 * not refused behind a bot's burst.
 */
export function rateLimit(limiter: RateLimiter, open: ReadonlySet<string>): MiddlewareHandler {
  return (c, next) => {
    if (open.has(c.req.path)) return next();
    const admission = limiter.take(clientOf(c.req.raw));
    if (!admission.ok) {
      throw new HttpError(
        429,
        `too many requests from this client: over the server's limit of ${limiter.rate} per second ` +
          `(bursts of ${limiter.burst}); retry after ${admission.retryAfterS} s, and slow down`,
        { "Retry-After": String(admission.retryAfterS) },
      );
    }
    return next();
  };
}
