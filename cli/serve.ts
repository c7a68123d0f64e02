/**
 * `candlecast serve`: the C# bot's backend. Loads `--checkpoint` (following it when it is re-pointed), serves
 * SPEC §4 on --host/--port, and on SIGINT/SIGTERM finishes the requests in flight (for at most
 * --shutdown-timeout) before exiting 0. With `--workers N` (default: one per core) N processes share the port
 * (SO_REUSEPORT), each with its own model, so inference uses every core; see `serve/workers.ts`.
 */
import { Command, Option } from "commander";
import { DEFAULTS } from "./defaults.ts";
import { dirname } from "node:path";
import { loadPredictor, onnxRuntime } from "../engine/index.ts";
import { NotRegularFileError, PathKindError, writtenFile } from "../base/index.ts";
import {
  apiKeyProblem,
  DEFAULT_IPV6_PREFIX,
  DEFAULT_RATE_LIMIT_CLIENTS,
  defaultBurst,
  exposedWithoutKey,
  LISTEN_DEFAULTS,
  type Logger,
  openLogLock,
  PREDICTIONS_LOG_MODE,
  type ServiceConfig,
  startService,
  stdoutLog,
  stdoutLogger,
  weakKeyProblem,
} from "../server/index.ts";
import { UsageError } from "./errors.ts";
import { decisionOption, requireDecision } from "./decision_flag.ts";
import { parseFlags, requireOutputFile } from "./flags.ts";
import { refuseVersionStore } from "./checkpoint_flag.ts";
import { inheritedPermissions, requireSelfRun } from "./self_command.ts";
import { fallbackVersion, METRICS_DIR_ENV, startWorkers, WORKER_ENV, workerIndex } from "./serve/workers.ts";
import { serveWorkersNote } from "./workers_flag.ts";
import { adoptHangUps, type HangUpsWhileStarting } from "./serve/hang_ups.ts";
import { MIN_RELOAD_INTERVAL_S, ServeFlags, type ServeOptions } from "./serve/options.ts";
import { metricsDirFor, requireMetricsDirParent } from "./serve/metrics_dir.ts";

export type { ServeOptions };

const s = (ms: number) => String(ms / 1000);
const PREDICTIONS_LOG_MAX_MB = 100;
const PREDICTIONS_LOG_KEEP = 10;

export function serveCommand(): Command {
  return new Command("serve")
    .summary("serve predictions over HTTP (the C# bot's backend)")
    .description(
      "Serves GET /, /health, /model/info, /metrics and POST /predict, /predict/batch.\n" +
        "Follows --checkpoint: when 'current' is re-pointed (train, models promote) the new version is loaded\n" +
        "in the background and switched in atomically; SIGHUP makes it look at once (and never stops serve).\n" +
        "Set CANDLECAST_API_KEY to require 'Authorization: Bearer <key>' on every route but / and /health.\n" +
        "Logs one JSON line per request.",
    )
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 picks a free one)", "8000")
    .option("--checkpoint <dir>", "model version to serve", DEFAULTS.currentVersion)
    .option("--threads <n>", "ONNX Runtime threads per prediction", "1")
    .option(
      "--reload-interval <seconds>",
      `how often --checkpoint is checked for a new version (at least ${MIN_RELOAD_INTERVAL_S}; SIGHUP checks at once)`,
      "2",
    )
    .option(
      "--max-batch <n>",
      "let concurrent requests share one model call of up to n windows (1: off, answers bit-exact)",
      "1",
    )
    .option(
      "--predictions-log <path>",
      "append each prediction here for 'candlecast monitor'",
      DEFAULTS.predictionLog,
    )
    .option("--no-predictions-log", "do not record predictions")
    // No commander defaults: a value seen here was typed, so one given with --no-predictions-log can be refused.
    .option(
      "--predictions-log-max-mb <mb>",
      `rotate the predictions log when it reaches this size (default: ${PREDICTIONS_LOG_MAX_MB})`,
    )
    .option(
      "--predictions-log-keep <n>",
      `rotated predictions logs kept (name.1 … name.n; default: ${PREDICTIONS_LOG_KEEP})`,
    )
    .option(
      "--allowed-hosts <names...>",
      "Host names answered besides localhost and IP addresses (spaces or commas): a server on a loopback " +
        "--host answers to those only, which stops a web page reaching it by DNS rebinding; set it behind a " +
        "proxy that passes its own Host on. Not given, another --host answers to any Host",
    )
    .option(
      "--allowed-origins <origins...>",
      "web pages (https://host[:port]) that may call the API, answered with CORS headers; a request with " +
        "any other Origin header (only browsers send one) is refused with 403, so a page the trader opens " +
        "cannot run predictions",
    )
    .addOption(decisionOption())
    .addOption(
      // Commander prints a plain default as "default: 2"; this says where the number comes from.
      new Option("--workers <n>", "processes sharing the port, each with its own model").default(
        String(navigator.hardwareConcurrency || 1),
        `one per core, ${navigator.hardwareConcurrency || 1} here`,
      ),
    )
    .option(
      "--shutdown-timeout <seconds>",
      "on SIGTERM or Ctrl-C, longest wait for requests in flight before connections are cut",
      s(LISTEN_DEFAULTS.shutdownTimeoutMs),
    )
    .option(
      "--header-timeout <seconds>",
      "longest time a client may take to send its headers",
      s(LISTEN_DEFAULTS.headersTimeoutMs),
    )
    .option(
      "--request-timeout <seconds>",
      "longest time a client may take to send a whole request",
      s(LISTEN_DEFAULTS.requestTimeoutMs),
    )
    .option(
      "--keep-alive-timeout <seconds>",
      "how long an idle keep-alive connection stays open",
      s(LISTEN_DEFAULTS.keepAliveTimeoutMs),
    )
    .option(
      "--max-connections <n>",
      "open connections per worker; more are closed at once (kept below the open-file limit)",
      String(LISTEN_DEFAULTS.maxConnections),
    )
    .option(
      "--max-in-flight <n>",
      "requests handled at once per worker; more get 503 + Retry-After (/health always answers)",
      String(LISTEN_DEFAULTS.maxInFlight),
    )
    .option(
      "--rate-limit <requests/s>",
      "each client's requests per second (by remote address, an IPv6 one's /64, or what a " +
        "--trusted-proxies proxy names; per worker), over it 429 + Retry-After (/, /health and /metrics with " +
        "the key never limited); off by default",
    )
    .option(
      "--rate-limit-burst <n>",
      "requests a client may send at once within --rate-limit (default: one second's worth, at least 1)",
    )
    .option(
      "--rate-limit-clients <n>",
      // No commander default: a value seen here was typed, so one given without --rate-limit can be refused.
      `clients --rate-limit tracks per worker; past it the least recently seen is forgotten (default: ${DEFAULT_RATE_LIMIT_CLIENTS})`,
    )
    .option(
      "--rate-limit-ipv6-prefix <bits>",
      "leading bits of an IPv6 address that are one --rate-limit client, 1–128 (48 for a customer's " +
        `allocation, 128 for each address; default: ${DEFAULT_IPV6_PREFIX}, one site's block)`,
    )
    .option(
      "--trusted-proxies <addresses...>",
      "reverse proxies (IP addresses or CIDR ranges, spaces or commas) whose X-Forwarded-For (or " +
        "--proxy-header) names the --rate-limit client: its right-most address that is not one of them; a " +
        "request from one of them without a usable header counts against the proxy. Not given, the header is " +
        "never read",
    )
    .option(
      "--proxy-header <name>",
      "the header --trusted-proxies name the client in: x-forwarded-for (default; nginx, Caddy) or forwarded " +
        "(RFC 7239: for=…); the other is never read, since a proxy passes it on as the client wrote it",
    )
    .action((raw) => serve(parseFlags("serve", ServeFlags, raw)));
}

/**
 * Flags that would do nothing as given, refused before anything starts (exit 2): a burst, a client cap, an IPv6
 * prefix or trusted proxies without --rate-limit, a proxy header without trusted proxies, the log's rotation
 * without the log. Said, rather than serve running unlimited (or unrotated) while the operator thinks not.
 */
function refuseFlagsWithoutEffect(options: ServeOptions): void {
  // A burst, a client cap, an IPv6 prefix or trusted proxies alone limit nothing (who a client is matters to
  // the limit alone): said, rather than serve running unlimited while the operator thinks not.
  for (
    const [flag, value, example] of [
      ["--rate-limit-burst", options.rateLimitBurst, "--rate-limit-burst 20"],
      ["--rate-limit-clients", options.rateLimitClients, "--rate-limit-clients 50000"],
      ["--rate-limit-ipv6-prefix", options.rateLimitIpv6Prefix, "--rate-limit-ipv6-prefix 48"],
      ["--trusted-proxies", options.trustedProxies, "--trusted-proxies 127.0.0.1"],
    ] as const
  ) {
    if (value !== undefined && options.rateLimit === undefined) {
      throw new UsageError(
        `${flag} was given without --rate-limit, so no limit would apply`,
        `add --rate-limit <requests/s>, e.g. --rate-limit 5 ${example}`,
      );
    }
  }
  // A header with no proxy to believe it from is read from no one: said, like the flags above.
  if (options.proxyHeader !== undefined && options.trustedProxies === undefined) {
    throw new UsageError(
      "--proxy-header was given without --trusted-proxies, so no request's header would be read",
      `name the proxies that write it, e.g. --trusted-proxies 127.0.0.1 --proxy-header ${options.proxyHeader}`,
    );
  }

  // Likewise the log's rotation without the log: the operator who sized it would find nothing written.
  if (options.predictionsLog === false) {
    const given = ([
      ["--predictions-log-max-mb", options.predictionsLogMaxMb],
      ["--predictions-log-keep", options.predictionsLogKeep],
    ] as const).find(([, value]) => value !== undefined);
    if (given) {
      throw new UsageError(
        `${given[0]} was given with --no-predictions-log, so there is no log to rotate`,
        `drop ${given[0]}, or drop --no-predictions-log to keep the log (--predictions-log <path>)`,
      );
    }
  }
}

/**
 * CANDLECAST_API_KEY as serve will use it (undefined: no auth), refused when no client could send it. Also
 * run by `demo` before any of its work, so a key serve would refuse is not found after a minute of training.
 */
export function requireApiKey(): string | undefined {
  // Checked before anything starts: a key no client can send would refuse every request behind auth.
  const apiKey = Deno.env.get("CANDLECAST_API_KEY");
  // Set but empty is how an unset shell variable or a bare `CANDLECAST_API_KEY=` line in a systemd
  // EnvironmentFile arrives: running without auth then would be a silent surprise, so it is refused.
  if (apiKey === "") {
    throw new UsageError(
      "CANDLECAST_API_KEY is set but empty; serve will not guess whether auth was meant to be on",
      "unset CANDLECAST_API_KEY to serve without auth, or set it to a key (e.g. openssl rand -hex 32)",
    );
  }
  const keyProblem = apiKey === undefined ? null : apiKeyProblem(apiKey);
  if (keyProblem !== null) {
    throw new UsageError(
      keyProblem,
      // The hint for the case at hand: "without white space" answered a Cyrillic key (a docs reader's trial).
      /visible ASCII/.test(keyProblem)
        ? "set CANDLECAST_API_KEY to a key of letters, digits and punctuation (e.g. openssl rand -hex 32)"
        : "set CANDLECAST_API_KEY to a key without white space (e.g. openssl rand -hex 32)",
    );
  }
  return apiKey;
}

/**
 * The files serve reads and writes, checked (and the predictions log made) before anything starts: a version
 * folder it may read, not the store holding them, and a predictions log and lock it can write.
 */
async function prepareServeFiles(options: ServeOptions): Promise<void> {
  // A path Deno's read permission leaves out looked missing to the watcher: serve answered 503 "no model" for
  // good, with a version right there (the container's serve set reads /app and /tmp only).
  if (Deno.permissions.querySync({ name: "read", path: options.checkpoint }).state !== "granted") {
    throw new UsageError(
      `--checkpoint: this process may not read ${options.checkpoint} (its Deno permissions, --allow-read, leave ` +
        `it out), so no model could ever load`,
      "in the container, mount the versions at /app/checkpoints (the serve set reads /app and /tmp); elsewhere, " +
        "add the folder to --allow-read",
    );
  }

  // A missing or incomplete version is waited for (below), but the folder holding the versions never loads.
  await refuseVersionStore("--checkpoint", options.checkpoint);

  // A log path under a file or naming a folder can never be written: said now, not after the first prediction
  // (and serve would otherwise run, dropping every record monitor needs).
  if (options.predictionsLog) {
    try {
      requireOutputFile("--predictions-log", options.predictionsLog, undefined, { writes: "append-rotate" });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      // A deployment may not want the log at all (a data volume mounted read-only): that way out is named too.
      throw new UsageError(
        error.message,
        `${error.hint ?? "choose another path"}; or serve without the log: --no-predictions-log`,
      );
    }
    // A folder on its way that is a link to a folder not there, or the log a link into one (a data disk not
    // mounted yet): refused as collect refuses them, before the port is bound, not as mkdir's EEXIST on the
    // link or open's ENOENT ("this is a bug"). Else the file the log's writes land in: a link made ahead of
    // its log is followed, as those writes follow it.
    const logPath = await writtenFile(options.predictionsLog).catch((error) => {
      if (!(error instanceof PathKindError)) throw error;
      throw new UsageError(
        `--predictions-log: ${error.message}`,
        `${error.hint}; or serve without the log: --no-predictions-log`,
      );
    });
    // Created now, empty, if it is not there: a fresh deployment's daily `monitor` reads "nothing to score
    // yet" (exit 0) until the bot's first prediction, instead of failing on a file that does not exist.
    await Deno.mkdir(dirname(options.predictionsLog), { recursive: true });
    // Made with the mode only when new: Deno.writeFile applies `mode` to an existing file too, which widened a
    // log its operator had made 0600 and failed on one another user owns that this user may write (a review).
    await Deno.open(logPath, { write: true, createNew: true, mode: PREDICTIONS_LOG_MODE }).then(
      (file) => file.close(),
      async (error) => {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
        (await Deno.open(logPath, { append: true })).close(); // writable, as every record needs
      },
    );
    // The lock file every write holds, opened as the writes open it: one this user cannot even read would
    // fail every write for as long as serve ran.
    const lockPath = `${options.predictionsLog}.lock`;
    await openLogLock(options.predictionsLog).then((lock) => lock.close(), (error: Error) => {
      if (error instanceof NotRegularFileError) {
        throw new UsageError(`--predictions-log: ${error.message}`, error.hint);
      }
      throw new UsageError(
        `--predictions-log: ${lockPath} cannot be opened: ${error.message}`,
        `remove it (serve makes a new one), or give it to the user serve runs as (chown)`,
      );
    });
  }
}

/** Runs until SIGINT/SIGTERM, then drains in-flight requests and releases the model. */
export async function serve(options: ServeOptions, log: Logger = stdoutLogger): Promise<void> {
  // Held from the first step: a HUP while the program, engine and model load ended serve (exit 129, no line).
  const hangUps = adoptHangUps();
  try {
    await serveUntilStopped(options, log, hangUps);
  } finally {
    hangUps.stop();
  }
}

async function serveUntilStopped(
  options: ServeOptions,
  log: Logger,
  hangUps: HangUpsWhileStarting,
): Promise<void> {
  const worker = workerIndex();
  const workers = worker === null ? (options.workers ?? 1) : 1;
  // Every line says which process wrote it once there are several.
  const logAs: Logger = worker === null && workers === 1 ? log : (r) => log({ worker: worker ?? 0, ...r });
  const shutdownTimeoutMs = (options.shutdownTimeout ?? LISTEN_DEFAULTS.shutdownTimeoutMs / 1000) * 1000;

  const apiKey = await checkBeforeStart(options, { worker, workers, log: logAs });
  const service = await startService(
    serviceConfig(options, { apiKey, worker, workers, log: logAs, shutdownTimeoutMs }),
  );
  // The signal listeners are in place before "listening" is said: a SIGTERM sent on seeing that line (a test, a
  // supervisor's quick restart) found none under a loaded machine's scheduling and took the default action,
  // no drain (CI: exit 143).
  let others: ReturnType<typeof startWorkers> | null = null;
  const stop = (reason: string) => {
    if (service.stopping) return;
    logAs({ event: "shutting_down", signal: reason });
    others?.stop();
    service.stop();
  };
  const unlisten = stopOnSignals(["SIGINT", "SIGTERM"], stop);
  // SIGHUP's default action ends the process at once: no drain, the buffered predictions lost, and under
  // systemd not even restarted (Restart=on-failure counts SIGHUP as a clean exit), so a `kill -HUP` from
  // habit (a logrotate postrotate, "reload") or a closed terminal left the bot without its API. serve has
  // nothing to reopen (the predictions log is opened for each write) and follows --checkpoint by itself, so a
  // HUP is taken as "reload": the checkpoint is looked at now, and serving goes on.
  const hangUp = () => {
    logAs({
      event: "sighup",
      detail: "still serving; checking --checkpoint for a new version now (SIGTERM or SIGINT stops serve)",
    });
    if (service.stopping) return;
    void service.refresh();
    others?.hangUp();
  };
  hangUps.handOff(hangUp);
  // Made only now, with the signal listeners in place: a stop while the model loaded cannot leave it behind.
  const metricsDir = await metricsDirFor(worker, workers, () => Deno.env.get(METRICS_DIR_ENV));
  if (metricsDir !== null) await service.shareMetrics(metricsDir, worker ?? 0);
  if (worker === null) sayListening(options, { url: service.url, apiKey, workers, log: logAs });
  else logAs({ event: "worker_listening", url: service.url });
  // The other workers bind the port this one got (so --port 0 works too) once it is listening.
  // Not when a signal came meanwhile: workers started after the stop would never be told to stop.
  others = workers > 1 && !service.stopping
    ? startWorkers(workers - 1, { ...options, port: service.port, workers: 1 }, {
      log: logAs,
      shutdownTimeoutMs,
      metricsDir: metricsDir!,
      served: () => service.served,
    })
    : null;

  if (worker !== null) followParent(hangUp, () => stop("parent_exited"));
  try {
    await service.finished;
  } finally {
    // The signal listeners stay until the log is flushed: a second SIGTERM (systemd and Ctrl-C signal the
    // whole process group, and the parent forwards one to each worker) would otherwise take its default
    // action mid-cleanup and lose the predictions not yet written (seen: 145 of 836 answered, a worker
    // "killed by SIGTERM"); while stopping, stop() ignores it.
    const { predictionsLogLinesDropped: dropped } = await service.close();
    await others?.finished;
    if (worker === null && metricsDir !== null) {
      await Deno.remove(metricsDir, { recursive: true }).catch(() => {});
    }
    // Records that could not be written before the exit are gone: said where an operator looks.
    logAs(dropped > 0 ? { event: "stopped", predictions_log_lines_dropped: dropped } : { event: "stopped" });
    await stdoutLog.flush(1000);
    unlisten();
    // The SIGHUP listener goes with serve() (HangUpsWhileStarting), after this.
    // SIGXFSZ's listener is main.ts's, for the process's life (cli/file_size_limit.ts): a write past
    // `ulimit -f` fails with EFBIG, which the predictions log retries and reports once, like a full disk.
  }
}

/** Calls `stop` with the signal's name on each of `signals`; returns what removes the listeners. */
function stopOnSignals(signals: Deno.Signal[], stop: (signal: string) => void): () => void {
  const handlers = signals.map((signal) => [signal, () => stop(signal)] as const);
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  };
}

/**
 * A worker's stdin, from the first process: a byte on it passes on a HUP (`workers.ts`: a signal could reach
 * a worker still starting), and its end means the parent is gone (even by kill -9), so the worker stops too.
 */
function followParent(hangUp: () => void, stop: () => void): void {
  Deno.stdin.readable.pipeTo(new WritableStream({ write: hangUp })).catch(() => {}).finally(stop);
}

/**
 * Everything refused or said before serve starts, in this order: flags without effect, the workers'
 * permissions and the temporary directory they share /metrics through, more workers than cores (a warning),
 * CANDLECAST_API_KEY, the files serve reads and writes, and the engine. Returns the API key serve uses.
 */
async function checkBeforeStart(
  options: ServeOptions,
  { worker, workers, log }: { worker: number | null; workers: number; log: Logger },
): Promise<string | undefined> {
  refuseFlagsWithoutEffect(options);
  // The workers' permissions, checked before anything starts: found bad only when the first worker was
  // started, serve had logged "listening" and then died of an uncaught error.
  if (workers > 1) {
    inheritedPermissions();
    requireSelfRun(`serve --workers ${workers}`, "pass --workers 1");
  }
  // Where the workers share /metrics: a TMPDIR that is missing or a file was found after the model loaded,
  // as "unexpected failure … tmpdir" (a seat's trial). The first process's alone: a worker is handed its folder.
  if (worker === null) await requireMetricsDirParent(workers);
  // More processes than cores: accepted, but said, as train and evaluate say it of their threads.
  const crowded = worker === null ? serveWorkersNote(workers) : null;
  if (crowded) log({ event: "warning", ...crowded });

  const apiKey = requireApiKey();

  await prepareServeFiles(options);

  // The engine itself, before listening: without it no model could ever load, and a server that answers
  // 503 while retrying forever hides what an exit with the reason says at once.
  await onnxRuntime();
  return apiKey;
}

/** The flags as the server's own config: one process's service (the workers are serve's, not the server's). */
function serviceConfig(
  options: ServeOptions,
  { apiKey, worker, workers, log, shutdownTimeoutMs }: {
    apiKey: string | undefined;
    worker: number | null;
    workers: number;
    log: Logger;
    shutdownTimeoutMs: number;
  },
): ServiceConfig {
  return {
    log,
    model: {
      pointer: options.checkpoint,
      load: async (dir) =>
        requireDecision(await loadPredictor(dir, { threads: options.threads }), options.decision),
      maxBatch: options.maxBatch,
      intervalMs: options.reloadInterval * 1000,
      // A worker (re)started while --checkpoint cannot be loaded serves what the first process serves. Only a
      // worker falls back; the first process is what the others fall back to.
      fallback: worker === null ? undefined : fallbackVersion(),
    },
    listen: {
      hostname: options.host,
      port: options.port,
      shutdownTimeoutMs,
      headersTimeoutMs: options.headerTimeout && options.headerTimeout * 1000,
      requestTimeoutMs: options.requestTimeout && options.requestTimeout * 1000,
      keepAliveTimeoutMs: options.keepAliveTimeout && options.keepAliveTimeout * 1000,
      maxConnections: options.maxConnections,
      maxInFlight: options.maxInFlight,
      reusePort: workers > 1 || worker !== null,
    },
    // The parent checks the port is free with a plain bind first; its own workers then join it.
    probePort: worker === null && workers > 1,
    apiKey,
    decision: options.decision,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
    rateLimit: options.rateLimit === undefined ? undefined : {
      rate: options.rateLimit,
      burst: options.rateLimitBurst ?? defaultBurst(options.rateLimit),
      maxClients: options.rateLimitClients,
      ipv6Prefix: options.rateLimitIpv6Prefix,
      trustedProxies: options.trustedProxies,
      proxyHeader: options.proxyHeader,
    },
    predictionsLog: options.predictionsLog
      ? {
        path: options.predictionsLog,
        maxBytes: (options.predictionsLogMaxMb ?? PREDICTIONS_LOG_MAX_MB) * 1024 * 1024,
        keep: options.predictionsLogKeep ?? PREDICTIONS_LOG_KEEP,
      }
      : undefined,
  };
}

/** The first process's "listening" line, and a warning for a guessable key or an exposed port without one. */
function sayListening(
  options: ServeOptions,
  { url, apiKey, workers, log }: { url: string; apiKey: string | undefined; workers: number; log: Logger },
): void {
  log({ event: "listening", url, auth: apiKey !== undefined, checkpoint: options.checkpoint, workers });
  const weak = apiKey === undefined ? null : weakKeyProblem(apiKey);
  if (weak !== null) {
    log({
      event: "warning",
      message: `${weak}: anyone who can reach this port may guess it and ask for predictions`,
      hint: "set CANDLECAST_API_KEY to a random key (openssl rand -hex 32) and give the bot the same",
    });
  }
  if (exposedWithoutKey(options.host, apiKey)) {
    log({
      event: "warning",
      message:
        `listening on ${options.host} without CANDLECAST_API_KEY: anyone who can reach this port can ` +
        "ask for predictions and read /model/info",
      hint:
        "set CANDLECAST_API_KEY (e.g. openssl rand -hex 32) and send it from the bot, or serve on 127.0.0.1",
    });
  }
}

export { WORKER_ENV };
