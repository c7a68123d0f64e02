/** What `listen` is given and what it returns, and the limits an option left out takes. */
import type { Logger } from "../log.ts";
import type { Sample } from "../metrics.ts";

export interface ListenOptions {
  readonly hostname: string;
  /** 0 picks a free port (tests, benches); the bound one is in `port`. */
  readonly port: number;
  readonly log?: Logger;
  /** Longest wait for requests in flight at shutdown before every connection is cut (default 10 s). */
  readonly shutdownTimeoutMs?: number;
  /** Longest time a client may take to send a request's headers (default 10 s). */
  readonly headersTimeoutMs?: number;
  /** Longest time a client may take to send a whole request, body included (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept open (default 5 s). */
  readonly keepAliveTimeoutMs?: number;
  /** Most open connections; more are closed on accept (default 512, and always below the open-file limit). */
  readonly maxConnections?: number;
  /** Most requests handled at once; more get 503 except on `alwaysOpen` paths (default 64). */
  readonly maxInFlight?: number;
  /** Paths answered even over `maxInFlight` and without waiting: cheap ones like /health. */
  readonly alwaysOpen?: ReadonlySet<string>;
  /**
   * While draining, hand `alwaysOpen` paths to the app rather than answering them 503 here, so that /health
   * can say "shutting down" in its own body (the app must then know it is stopping). Off by default.
   */
  readonly openWhileDraining?: boolean;
  /** Share the port with other processes (SO_REUSEPORT): how `serve --workers N` spreads connections. */
  readonly reusePort?: boolean;
}

/** What the listener survived since it started, for /metrics and the bench. */
export interface ListenStats {
  readonly openConnections: number;
  readonly inFlight: number;
  /** Admitted requests whose body is still arriving: not in flight until it has (`Listener.uploading`). */
  readonly uploading: number;
  /** Connections closed on accept because `maxConnections` were open. */
  readonly connectionsDropped: number;
  /** Requests answered 503 because `maxInFlight` were being handled. */
  readonly requestsShed: number;
  /** Connections cut for a read timeout (headers or body too slow). */
  readonly timeouts: number;
  /** Connections cut for a malformed request, a socket error, or a client closing mid-request. */
  readonly clientErrors: number;
  /** Errors of the listening socket itself (accept), logged and survived. */
  readonly acceptErrors: number;
}

export interface Listening {
  readonly hostname: string;
  readonly port: number;
  readonly url: string;
  /** Resolves once the server has stopped. */
  readonly finished: Promise<void>;
  /** Drains (at most `shutdownTimeoutMs`), then closes every connection; resolves when stopped. */
  shutdown(): Promise<void>;
  stats(): ListenStats;
  /** The stats as /metrics samples. */
  samples(): Sample[];
}

/**
 * The limits a `listen` option left out (or undefined) takes: timeouts in ms, connection and in-flight caps.
 */
export const LISTEN_DEFAULTS = {
  shutdownTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 512,
  maxInFlight: 64,
} as const;

/** `ListenOptions` with every limit `LISTEN_DEFAULTS` has filled in. */
export type ListenSettings = ListenOptions & { readonly [K in keyof typeof LISTEN_DEFAULTS]: number };

/** `options` over `LISTEN_DEFAULTS`. */
export function settingsOf(options: ListenOptions): ListenSettings {
  // A caller's `undefined` means "the default", not "none": leave such keys out before merging.
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...LISTEN_DEFAULTS, ...given } as ListenSettings;
}
