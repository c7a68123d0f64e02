/**
 * Binance's `GET /api/v3/klines`, spoken politely: it paces itself by the `X-MBX-USED-WEIGHT-1M` header the
 * exchange returns (so it never earns a 429), waits `Retry-After` on 429/418, retries 5xx and network
 * failures with capped exponential backoff, and turns Binance's error bodies into one-line messages naming
 * the symbol and interval. Everything that waits goes through the injected Clock.
 *
 * Each page comes with the exchange's own time, its `Date` header: which candles have closed is the
 * exchange's to say, not a host clock's that may run ahead (`binance.ts`), and a `Retry-After` given as a date
 * is measured against it.
 */
import { z } from "zod";
import type { Clock } from "./clock.ts";
import type { Interval } from "../../features/index.ts";
import { misreadOpenTime } from "../../features/index.ts";
import { ReportedError } from "../../base/index.ts";

/** Binance's cap on klines per request, and the request weight it charges for one. */
export const MAX_KLINES_PER_REQUEST = 1000;
export const KLINES_WEIGHT = 2;

/** One kline as collect uses it; prices are Binance's decimal strings read as numbers, nothing rounded. */
export interface Kline {
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  closeTime: number;
}

const decimal = z.string().regex(/^\d+(\.\d+)?$/, "expected a decimal string").transform(Number);
const time = z.number().int().nonnegative();
/**
 * Binance answers in ms. An API that answers in seconds (a look-alike behind --base-url) was written as ms:
 * candles of January 1970, "no gaps" for a thousand hourly candles an hour apart, and train trained on them.
 */
const openTime = time.refine((t) => misreadOpenTime(t) === null, {
  error: (issue) =>
    `the open time ${issue.input} is ${misreadOpenTime(Number(issue.input))?.phrase}, where Binance sends ms`,
});
/** The 12-field kline array; fields after the 12th are tolerated in case Binance adds some. */
const klineSchema = z.tuple([
  openTime,
  decimal, // open
  decimal, // high
  decimal, // low
  decimal, // close
  decimal, // volume (base asset)
  time, // close time
  decimal, // quote asset volume
  z.number().int().nonnegative(), // number of trades
  decimal, // taker buy base volume
  decimal, // taker buy quote volume
  z.unknown(), // unused
], z.unknown()).transform(([openTime, open, high, low, close, volume, closeTime]): Kline => ({
  openTime,
  open,
  high,
  low,
  close,
  volume,
  closeTime,
}));
const klinesSchema = z.array(klineSchema);
const binanceErrorSchema = z.object({ code: z.number(), msg: z.string() });

export interface RetryPolicy {
  /** Attempts per request before giving up (the first one included). */
  maxTries: number;
  /** Backoff before retry k is base·2^(k−1), at most maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this (an IP ban) ends the collection instead of waiting it out. */
  maxRetryAfterMs: number;
  timeoutMs: number;
  /** Binance's request-weight budget per minute and IP. */
  weightLimit: number;
}

/**
 * Five tries per request with backoff from 1 s to 30 s, 30 s timeouts, and Binance's 6,000 weight a minute
 * per IP.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxTries: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 5 * 60_000,
  timeoutMs: 30_000,
  weightLimit: 6_000,
};

/** Above this share of the weight budget, requests are spread over what is left of the minute. */
const SOFT_WEIGHT_SHARE = 0.8;
/** Weight left for other programs on the same IP: at or below it, wait for the next minute. */
const WEIGHT_RESERVE = 5 * KLINES_WEIGHT;
const MINUTE = 60_000;

/**
 * `inconsistent`: the exchange's own answer contradicts itself (two different klines for one open time): that
 * symbol is refused, the others collected, as for `rejected`.
 */
export type BinanceFailure =
  | "rejected"
  | "gave-up"
  | "banned"
  | "unexpected"
  | "interrupted"
  | "inconsistent";

/** A request Binance will not answer: `message` is one line for the user, `hint` says what to do. */
export class BinanceError extends ReportedError {
  override name = "BinanceError";
  constructor(message: string, readonly kind: BinanceFailure, override readonly hint: string) {
    super(message, hint);
  }
}

export interface KlinesQuery {
  symbol: string;
  interval: Interval;
  startTime?: number;
  endTime?: number;
  limit: number;
}

/** One page of klines and the exchange's time when it sent it. */
export interface KlinesPage {
  klines: Kline[];
  /**
   * The response's `Date` header as ms (whole seconds, truncated, so at or before the exchange's real time);
   * undefined when it is absent or does not parse.
   */
  serverTime?: number;
  /** The host's clock when the page came, to tell how far the exchange's clock is from it. */
  hostTime: number;
}

type Attempt =
  | { ok: true; page: KlinesPage }
  | { ok: false; problem: string; retryAfterMs?: number; rateLimited?: boolean };

/** A `Date` header as ms, or undefined when there is none or it does not parse. */
export function headerTime(value: string | null): number | undefined {
  if (value === null) return undefined;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split("\n")[0];

/**
 * An error in words, with its cause: Deno's fetch says only "fetch failed" and keeps why in `cause` ("error
 * sending request for url (…): client error (Connect): dns error: failed to lookup address information"), whose
 * last clause is the part a user can act on (no DNS, connection refused, a certificate).
 */
export function describe(error: unknown): string {
  const text = firstLine(error);
  if (!(error instanceof Error) || error.cause === undefined) return text;
  const cause = firstLine(error.cause);
  const last = cause.lastIndexOf("): ");
  return `${text}: ${last >= 0 ? cause.slice(last + 3) : cause}`;
}
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

export class BinanceClient {
  /** HTTP requests sent, retries included. */
  requests = 0;
  private usedWeight = 0;
  private weightMinute = -1;
  /** The klines URL every request goes to, for messages. */
  readonly endpoint: string;

  constructor(
    baseUrl: string,
    private readonly clock: Clock,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly notice: (message: string) => void = () => {},
    /** Ctrl-C: no request starts after it, a request or wait in progress ends (a BinanceError "interrupted"). */
    private readonly signal?: AbortSignal,
  ) {
    this.endpoint = baseUrl.replace(/\/+$/, "") + "/api/v3/klines";
  }

  /** One page of klines, retried as the policy allows; throws BinanceError when it cannot be had. */
  async klines(query: KlinesQuery): Promise<Kline[]> {
    return (await this.page(query)).klines;
  }

  /** One page of klines with the exchange's time (its `Date` header), retried as `klines` is. */
  async page(query: KlinesQuery): Promise<KlinesPage> {
    const what = `${query.symbol} ${query.interval}`;
    const url = this.urlFor(query);
    let problem = "";
    let rateLimited = false;
    for (let attempt = 1; attempt <= this.policy.maxTries; attempt++) {
      await this.pace();
      this.checkInterrupt(what);
      const outcome = await this.attempt(url, what);
      if (outcome.ok) return outcome.page;
      problem = outcome.problem;
      rateLimited = outcome.rateLimited ?? false;
      if (attempt === this.policy.maxTries) break;
      const wait = outcome.retryAfterMs ??
        Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
      if (wait > this.policy.maxRetryAfterMs) {
        throw new BinanceError(
          `${what}: Binance asks to wait ${seconds(wait)} (${problem})`,
          "banned",
          "wait that long before collecting again; another program on this IP may be using the request weight",
        );
      }
      this.notice(`${what}: ${problem}; retry ${attempt + 1}/${this.policy.maxTries} in ${seconds(wait)}`);
      await this.sleep(wait);
    }
    throw new BinanceError(
      `${what}: gave up after ${this.policy.maxTries} tries at ${this.endpoint} (${problem})`,
      "gave-up",
      rateLimited
        // A 429/418 is the exchange limiting this IP, not a failure of it or of the network.
        ? "Binance is rate limiting this IP (another program on it may be using the request weight); wait a " +
          "few minutes, then the same command completes the file"
        : "the exchange or the network is failing; the same command later completes the file",
    );
  }

  private checkInterrupt(what: string): void {
    if (this.signal?.aborted) {
      throw new BinanceError(
        `${what}: interrupted`,
        "interrupted",
        "the same command again completes the file (it fetches the whole range again; rows already there are " +
          "kept, not doubled)",
      );
    }
  }

  /** The clock's sleep, cut short by the interrupt. */
  private async sleep(ms: number): Promise<void> {
    const signal = this.signal;
    if (!signal) return await this.clock.sleep(ms);
    let onAbort = () => {};
    const aborted = new Promise<void>((resolve) => {
      onAbort = () => resolve();
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      await Promise.race([this.clock.sleep(ms), aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * The request's own timeout, said as one: Deno says "network error: The operation was aborted due to timeout",
   * which names neither the limit nor that the server was reached, so a slow exchange read as a broken network.
   */
  private timedOut(error: unknown): string | undefined {
    if (!(error instanceof DOMException && error.name === "TimeoutError")) return undefined;
    return `no answer within ${
      seconds(this.policy.timeoutMs)
    } (the request timed out; the server or the path ` +
      "to it is slow)";
  }

  private urlFor(q: KlinesQuery): string {
    const params = new URLSearchParams({ symbol: q.symbol, interval: q.interval, limit: String(q.limit) });
    if (q.startTime !== undefined) params.set("startTime", String(q.startTime));
    if (q.endTime !== undefined) params.set("endTime", String(q.endTime));
    return `${this.endpoint}?${params}`;
  }

  private async attempt(url: string, what: string): Promise<Attempt> {
    this.requests++;
    let response: Response;
    try {
      const timeout = AbortSignal.timeout(this.policy.timeoutMs);
      response = await fetch(url, {
        headers: { accept: "application/json" },
        signal: this.signal ? AbortSignal.any([timeout, this.signal]) : timeout,
      });
    } catch (error) {
      this.checkInterrupt(what);
      // Deno's net permission, not the network (the container grants Binance's two hosts only): retrying cannot
      // help, and "the network is failing" sent the operator looking in the wrong place after 15 s of retries.
      if (error instanceof Deno.errors.NotCapable) {
        const host = new URL(url).host;
        throw new BinanceError(
          `${what}: this process may not connect to ${host} (${firstLine(error)})`,
          "unexpected",
          `candlecast runs with named permissions: grant the host with --allow-net=${host}; in the container, ` +
            `add it to CANDLECAST_COMMAND_PERMISSIONS' --allow-net (docker run -e CANDLECAST_COMMAND_PERMISSIONS=…)`,
        );
      }
      return { ok: false, problem: this.timedOut(error) ?? `network error: ${describe(error)}` };
    }
    this.noteWeight(response.headers);
    let body: string;
    try {
      body = await response.text();
    } catch (error) {
      this.checkInterrupt(what);
      return {
        ok: false,
        problem: this.timedOut(error) ?? `connection dropped while reading the response: ${describe(error)}`,
      };
    }
    const status = response.status;
    if (status === 429 || status === 418) {
      return {
        ok: false,
        problem: status === 418 ? "HTTP 418: IP banned for too many requests" : "HTTP 429: rate limited",
        retryAfterMs: this.retryAfterMs(response.headers.get("retry-after"), response.headers),
        rateLimited: true,
      };
    }
    if (status >= 500) {
      const detail = binanceMessage(body);
      return { ok: false, problem: `HTTP ${status}${detail ? `: ${detail}` : ""}` };
    }
    if (status !== 200) throw this.rejection(status, body, what);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      // A page of HTML (a proxy's or a maintenance page) is no truncated JSON: say what came back.
      const html = /^\s*</.test(body);
      return {
        ok: false,
        problem: html
          ? `the response is an HTML page, not JSON (${body.length} bytes: maintenance, or a proxy in the way?)`
          : `the response is not complete JSON (${body.length} bytes; truncated?)`,
      };
    }
    const parsed = klinesSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new BinanceError(
        `${what}: unexpected klines from ${this.endpoint} at [${issue.path.join("][")}]: ${issue.message}`,
        "unexpected",
        "check that --base-url points at a Binance-compatible API",
      );
    }
    return {
      ok: true,
      page: {
        klines: parsed.data,
        serverTime: headerTime(response.headers.get("date")),
        hostTime: this.clock.now(),
      },
    };
  }

  private rejection(status: number, body: string, what: string): BinanceError {
    const error = parseBinanceError(body);
    // Binance refuses some countries' addresses ("restricted location"); its market-data host answers them.
    if (status === 451) {
      return new BinanceError(
        `${what}: HTTP 451 from ${this.endpoint}: Binance does not serve this location` +
          (error ? ` (${error.msg})` : ""),
        "rejected",
        "its public market-data host usually does: --base-url https://data-api.binance.vision (retrain takes " +
          "it too: add it to the retrain lines of the systemd units or the crontab)",
      );
    }
    if (!error) {
      return new BinanceError(
        `${what}: HTTP ${status} from ${this.endpoint}`,
        "unexpected",
        "check that --base-url points at a Binance-compatible API (e.g. https://api.binance.com)",
      );
    }
    const hint = error.code === -1121
      ? "check the pair is listed on Binance spot, written like BTCUSDT"
      : error.code === -1120
      // --interval is already one of Binance's (the flag is checked against them): this server does not
      // serve it, and listing Binance's intervals again (the one asked for among them) helped no one.
      ? `${this.endpoint} does not serve that interval, though Binance has it: collect one it serves (its ` +
        "message may name them), or point --base-url at https://api.binance.com"
      : "see https://developers.binance.com/docs/binance-spot-api-docs/errors";
    return new BinanceError(`Binance rejected ${what}: ${error.msg} (code ${error.code})`, "rejected", hint);
  }

  /**
   * `Retry-After` in ms: seconds, or an HTTP date measured against the response's own `Date` (the exchange's
   * clock; against the host's, a 10-minute skew waited 603 s, or retried five times in 0.1 s), the local
   * clock only when the response has none.
   */
  private retryAfterMs(header: string | null, headers: Headers): number | undefined {
    if (header === null) return undefined;
    const secs = Number(header);
    if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
    const date = Date.parse(header);
    if (Number.isNaN(date)) return undefined;
    return Math.max(0, date - (headerTime(headers.get("date")) ?? this.clock.now()));
  }

  private noteWeight(headers: Headers): void {
    const used = Number(headers.get("x-mbx-used-weight-1m") ?? NaN);
    if (!Number.isFinite(used)) return;
    this.usedWeight = used;
    this.weightMinute = Math.floor(this.clock.now() / MINUTE);
  }

  /**
   * Waits so the next request stays inside the minute's weight budget: nothing while under 80 %, then the
   * remaining budget spread over the rest of the minute, and a wait for the next minute when only the
   * reserve is left. Binance resets the counter each minute, so an old reading means no wait.
   */
  private async pace(): Promise<void> {
    const now = this.clock.now();
    const minute = Math.floor(now / MINUTE);
    if (minute !== this.weightMinute) return;
    const left = this.policy.weightLimit - this.usedWeight;
    const untilNextMinute = (minute + 1) * MINUTE - now;
    if (left - KLINES_WEIGHT < WEIGHT_RESERVE) {
      const wait = untilNextMinute + 1_000; // a second of slack for clock skew with the exchange
      this.notice(
        `request weight ${this.usedWeight}/${this.policy.weightLimit} used this minute; ` +
          `waiting ${seconds(wait)} for the next minute`,
      );
      await this.sleep(wait);
    } else if (this.usedWeight > SOFT_WEIGHT_SHARE * this.policy.weightLimit) {
      const requestsLeft = Math.max(1, (left - WEIGHT_RESERVE) / KLINES_WEIGHT);
      await this.sleep(untilNextMinute / requestsLeft);
    }
  }
}

function parseBinanceError(body: string): z.infer<typeof binanceErrorSchema> | null {
  try {
    const parsed = binanceErrorSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function binanceMessage(body: string): string {
  const error = parseBinanceError(body);
  return error ? `${error.msg} (code ${error.code})` : "";
}
