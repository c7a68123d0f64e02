/**
 * Per-client request rate (`serve --rate-limit`): a token bucket for each client, so one client stuck in a
 * retry loop, or a scraper, cannot take the capacity the other clients need (`--max-in-flight` caps the
 * whole server's concurrency, not anyone's share of it).
 *
 * A client is its remote address (`markRemoteAddress`, set by the listener), an IPv6 one's /64 (a site's
 * allocation, which one host can rotate through: `client_address.ts`; `ipv6Prefix` sets the bits); behind a
 * proxy in `trustedProxies`, the address its `proxyHeader` names (`trusted_proxy.ts`). Not the bearer
 * key: serve has one key (CANDLECAST_API_KEY), which every bot shares, so a bucket per key would be one bucket
 * for all of them, and the bot in a retry loop would spend the others' share; a client without the key is
 * limited too.
 *
 * Memory is bounded: a bucket idle long enough to have refilled is the same as no bucket and is dropped, and
 * at most `maxClients` are kept; past that the least recently seen one is forgotten (that client starts again
 * with a full burst, the price of a bound that many addresses cannot push past).
 */
import type { MiddlewareHandler } from "hono";
import { clientKey, DEFAULT_IPV6_PREFIX } from "./client_address.ts";
import { HttpError } from "./errors.ts";
import type { Sample } from "./metrics.ts";
import { type AddressRange, forwardedClient, type ProxyHeader } from "./trusted_proxy.ts";

/** Who a request's client is: the settings `clientOf` reads besides the request. */
export interface ClientOptions {
  /** Peers whose `proxyHeader` names the client (`serve --trusted-proxies`); none by default. */
  readonly trustedProxies?: readonly AddressRange[];
  /** The header those peers name it in (`serve --proxy-header`); `x-forwarded-for` by default. */
  readonly proxyHeader?: ProxyHeader;
  /** Bits of an IPv6 address that are one client (`serve --rate-limit-ipv6-prefix`, 1–128; default 64). */
  readonly ipv6Prefix?: number;
}

export interface RateLimitOptions extends ClientOptions {
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

export class RateLimiter implements ClientOptions {
  readonly rate: number;
  readonly burst: number;
  readonly maxClients: number;
  readonly trustedProxies: readonly AddressRange[];
  readonly proxyHeader: ProxyHeader;
  readonly ipv6Prefix: number;
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
    const ipv6Prefix = options.ipv6Prefix ?? DEFAULT_IPV6_PREFIX;
    if (!Number.isInteger(ipv6Prefix) || ipv6Prefix < 1 || ipv6Prefix > 128) {
      throw new RangeError(`ipv6Prefix must be an integer 1–128, got ${ipv6Prefix}`);
    }
    this.rate = options.rate;
    this.burst = options.burst;
    this.trustedProxies = options.trustedProxies ?? [];
    this.proxyHeader = options.proxyHeader ?? "x-forwarded-for";
    this.ipv6Prefix = ipv6Prefix;
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

/** The remote address the listener saw for `request`; undefined for one that did not come through it. */
export function remoteAddressOf(request: Request): string | undefined {
  return remoteAddresses.get(request);
}

/**
 * The address of a request's client: its remote address, or when that is one of `trustedProxies` the client
 * its `proxyHeader` names (`forwardedClient`; the header is not read otherwise); undefined for a request that
 * did not come through the listener (`app.request()`). What `clientOf` keys a bucket by, and what the app's
 * request line logs as `client`.
 */
export function clientAddressOf(request: Request, options: ClientOptions = {}): string | undefined {
  const peer = remoteAddresses.get(request);
  if (peer === undefined) return undefined;
  const trusted = options.trustedProxies ?? [];
  const header = options.proxyHeader ?? "x-forwarded-for";
  return trusted.length === 0 ? peer : forwardedClient(peer, request.headers.get(header), trusted, header);
}

/**
 * The client a request is counted against: `clientAddressOf` as a `clientKey` (an IPv4 address; an IPv6
 * one's network of `ipv6Prefix` bits, /64 by default, which one site holds; an IPv4-mapped one as the IPv4
 * address); "unknown" for one that did not come through the listener (`app.request()`), so such requests
 * share one bucket.
 */
export function clientOf(request: Request, options: ClientOptions = {}): string {
  return clientKeyOf(clientAddressOf(request, options), options);
}

const clientKeyOf = (address: string | undefined, options: ClientOptions) =>
  address === undefined ? "unknown" : clientKey(address, options.ipv6Prefix);

/**
 * The Hono variable the app sets to `clientAddressOf(request, limiter)` for its request line (`createApp`),
 * which `rateLimit` reads rather than walk a proxy's header a second time.
 */
export const CLIENT_ADDRESS = "clientAddress";

/**
 * Answers 429 with `Retry-After` (SPEC §4's `{"detail"}` body) to a client over its rate; `open` paths
 * (`/`, `/health`) and requests `exempt` says (the app's: `/metrics` with the key) are never limited, so a
 * health check or a scrape is not refused behind a bot's burst. The client is the app's `CLIENT_ADDRESS`
 * variable where it set one, else `clientAddressOf` here.
 */
export function rateLimit(
  limiter: RateLimiter,
  open: ReadonlySet<string>,
  exempt: (path: string, request: Request) => boolean = () => false,
): MiddlewareHandler {
  return (c, next) => {
    if (open.has(c.req.path) || exempt(c.req.path, c.req.raw)) return next();
    const known: unknown = c.get(CLIENT_ADDRESS);
    const address = typeof known === "string" ? known : clientAddressOf(c.req.raw, limiter);
    const admission = limiter.take(clientKeyOf(address, limiter));
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
