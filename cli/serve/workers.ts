/**
 * `serve --workers N`: N processes share one port with SO_REUSEPORT, so the kernel spreads connections over
 * them and inference (ONNX Runtime on each process's JavaScript thread) uses every core. The first process
 * binds, then starts the other N − 1 as children on the port it got, each a plain `serve` with its own model
 * load, hot reload and graceful drain. Processes rather than threads: a crash or a stuck native call takes
 * down one worker, not the service, and each keeps its memory small.
 *
 * The first process supervises: a child that exits unasked is restarted with backoff; SIGTERM is passed on
 * and waited for; a HUP is passed on as a byte on the child's stdin; a child whose stdin closes (the parent
 * died, even by SIGKILL) shuts itself down.
 */
import type { Logger } from "../../server/index.ts";
import type { ServeOptions } from "./options.ts";
import { selfCommand } from "../self_command.ts";

/** Set in a worker's environment to its index (1 … N−1); the first process has none. */
export const WORKER_ENV = "CANDLECAST_WORKER";

/** Set in a worker's environment to the folder where the workers share their /metrics counters. */
export const METRICS_DIR_ENV = "CANDLECAST_METRICS_DIR";

/**
 * Set in a (re)started worker's environment to the version folder the first process serves: the worker serves
 * it when `--checkpoint` cannot be loaded (a broken or missing `current`), rather than join with no model.
 */
export const FALLBACK_VERSION_ENV = "CANDLECAST_FALLBACK_VERSION";

/**
 * The version folder a worker falls back to, when the first process named one. A permission set that leaves
 * the variable out (an image built before it existed) reads as none rather than stop the worker at start.
 */
export function fallbackVersion(): string | undefined {
  try {
    return Deno.env.get(FALLBACK_VERSION_ENV) || undefined;
  } catch {
    return undefined;
  }
}

export function workerIndex(): number | null {
  const value = Deno.env.get(WORKER_ENV);
  const n = Number(value);
  return value && Number.isInteger(n) && n > 0 ? n : null;
}

/** The flags that make a child serve exactly like the parent, one process, on `options.port`. */
export function workerArgs(options: ServeOptions): string[] {
  const args = [
    "serve",
    "--host",
    options.host,
    "--port",
    String(options.port),
    "--checkpoint",
    options.checkpoint,
    "--threads",
    String(options.threads),
    "--reload-interval",
    String(options.reloadInterval),
    "--max-batch",
    String(options.maxBatch),
    "--decision",
    options.decision,
    "--workers",
    "1",
  ];
  args.push(
    ...options.predictionsLog ? ["--predictions-log", options.predictionsLog] : ["--no-predictions-log"],
  );
  const optional: [string, number | undefined][] = [
    ["--shutdown-timeout", options.shutdownTimeout],
    ["--header-timeout", options.headerTimeout],
    ["--request-timeout", options.requestTimeout],
    ["--keep-alive-timeout", options.keepAliveTimeout],
    ["--max-connections", options.maxConnections],
    ["--max-in-flight", options.maxInFlight],
    ["--predictions-log-max-mb", options.predictionsLogMaxMb],
    ["--predictions-log-keep", options.predictionsLogKeep],
    // Each worker keeps its own buckets; without these a worker would serve with no limit at all.
    ["--rate-limit", options.rateLimit],
    ["--rate-limit-burst", options.rateLimitBurst],
    ["--rate-limit-clients", options.rateLimitClients],
    ["--rate-limit-ipv6-prefix", options.rateLimitIpv6Prefix],
  ];
  for (const [name, value] of optional) if (value !== undefined) args.push(name, String(value));
  // One value each, comma-joined: a list flag reads commas as it reads spaces.
  if (options.allowedHosts) args.push("--allowed-hosts", options.allowedHosts.join(","));
  if (options.allowedOrigins) args.push("--allowed-origins", options.allowedOrigins.join(","));
  // As the operator wrote them: the worker parses them as the first process did. Without them a worker would
  // count every client behind the proxy as the proxy.
  if (options.trustedProxies) {
    args.push("--trusted-proxies", options.trustedProxies.map((range) => range.text).join(","));
  }
  // Else a worker would read X-Forwarded-For, which a proxy writing Forwarded passes on from the client.
  if (options.proxyHeader) args.push("--proxy-header", options.proxyHeader);
  return args;
}

export interface Workers {
  /** Passes SIGTERM on and stops restarting. */
  stop(): void;
  /**
   * Passes a HUP on (as a byte on each worker's stdin), so that every worker looks at --checkpoint now: a
   * `kill -HUP` of the parent (the pid systemd or a script knows) would otherwise reach it alone, and the
   * workers would keep the old version until their next poll.
   */
  hangUp(): void;
  /** Resolves when every child has exited. */
  readonly finished: Promise<void>;
}

/** Starts one worker process; `startWorkers`' own is `Deno.Command(…).spawn()`, a test's may fail. */
export type SpawnWorker = (command: string, options: Deno.CommandOptions) => Deno.ChildProcess;

const spawnCommand: SpawnWorker = (command, options) => new Deno.Command(command, options).spawn();

/** What the first process writes to a worker's stdin to pass on a HUP. */
const LOOK_NOW = new Uint8Array([0x0a]);

export function startWorkers(
  count: number,
  options: ServeOptions,
  { log, shutdownTimeoutMs, metricsDir, spawn = spawnCommand, served = () => null }: {
    log: Logger;
    shutdownTimeoutMs: number;
    metricsDir: string;
    spawn?: SpawnWorker;
    /** The version folder the first process serves now (a restarted worker's fallback). */
    served?: () => string | null;
  },
): Workers {
  let stopping = false;
  const stopped = Promise.withResolvers<void>();
  const children = new Map<number, Deno.ChildProcess>();
  /** Each child's stdin, where a byte asks it to look at --checkpoint now (`hangUp`). */
  const asks = new Map<number, WritableStreamDefaultWriter<Uint8Array>>();
  /** Waits `ms`, or less if serve stops meanwhile (a 30 s back-off must not hold its shutdown). */
  const pause = (ms: number) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([new Promise((resolve) => timer = setTimeout(resolve, ms)), stopped.promise])
      .finally(() => clearTimeout(timer));
  };
  const run = async (index: number): Promise<void> => {
    let failures = 0;
    while (!stopping) {
      const { command, args } = selfCommand(workerArgs(options));
      const started = performance.now();
      let child: Deno.ChildProcess;
      try {
        child = spawn(command, {
          args,
          env: {
            [WORKER_ENV]: String(index),
            [METRICS_DIR_ENV]: metricsDir,
            ...fallbackEnv(served()),
          },
          // Its end-of-file tells the child the parent is gone; a byte asks it to look at --checkpoint now.
          stdin: "piped",
          stdout: "inherit",
          stderr: "inherit",
        });
      } catch (error) {
        // Tried again like a worker that died at once (a full process table, say, passes): before, this
        // worker was given up for good and serve ran on with fewer. A permission refusal is caught at start.
        failures++;
        const delayMs = Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
        log({
          event: "worker_start_failed",
          worker: index,
          error: (error as Error).message,
          retry_in_ms: delayMs,
        });
        await pause(delayMs);
        continue;
      }
      children.set(index, child);
      const ask = child.stdin.getWriter();
      asks.set(index, ask);
      const status = await child.status;
      children.delete(index);
      asks.delete(index);
      ask.releaseLock();
      if (stopping) return;
      // A worker that ran for a while and then died is restarted at once; one that keeps dying, slower.
      failures = performance.now() - started > 60_000 ? 0 : failures + 1;
      const delayMs = Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
      log({
        event: "worker_exited",
        worker: index,
        code: status.code,
        signal: status.signal,
        restart_in_ms: delayMs,
      });
      await pause(delayMs);
    }
  };
  const finished = Promise.all(Array.from({ length: count }, (_, i) => run(i + 1))).then(() => {});
  return {
    stop: () => {
      if (stopping) return;
      stopping = true;
      stopped.resolve();
      for (const child of children.values()) {
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
      }
      // A child that does not stop within its own shutdown timeout (plus a margin) is killed.
      const killer = setTimeout(() => {
        for (const child of children.values()) {
          try {
            child.kill("SIGKILL");
          } catch { /* already gone */ }
        }
      }, shutdownTimeoutMs + 5000);
      finished.finally(() => clearTimeout(killer));
    },
    hangUp: () => {
      // A byte on its stdin, not a SIGHUP: a child still loading its runtime and modules has no HUP listener
      // yet, and the HUP's default action ended it (a "worker_exited … SIGHUP" and a restart, an operator's
      // trial). The byte waits in the pipe until the child reads it, once it serves.
      for (const ask of asks.values()) ask.write(LOOK_NOW).catch(() => {/* the child is gone */});
    },
    finished,
  };
}

/** The environment that tells a worker which version to fall back to; none before the first process has one. */
function fallbackEnv(served: string | null): Record<string, string> {
  return served === null ? {} : { [FALLBACK_VERSION_ENV]: served };
}
