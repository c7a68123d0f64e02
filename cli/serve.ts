/**
 * `candlecast serve`: the C# bot's backend. Loads `--checkpoint` (following it when it is re-pointed), serves
 * SPEC §4 on --host/--port, and on SIGINT/SIGTERM finishes the requests in flight before exiting.
 */
import { Command, Option } from "commander";
import { z } from "zod";
import { DECISION_CHOICES, loadPredictor } from "../engine/index.ts";
import { requireDecision } from "./predict.ts";
import {
  CheckpointWatcher,
  coalesce,
  createApp,
  listen,
  ListenError,
  type Logger,
  ModelStore,
  PredictionLog,
  stdoutLogger,
} from "../server/index.ts";
import { CommandError } from "./errors.ts";
import { flag, parseFlags } from "./flags.ts";

const ServeFlags = z.object({
  host: z.string().min(1, "expected a host name or address"),
  port: flag.port(),
  checkpoint: z.string().min(1, "expected a checkpoint folder"),
  threads: flag.positiveInt(),
  reloadInterval: flag.positiveNumber("a number of seconds > 0"),
  maxBatch: flag.positiveInt(),
  predictionsLog: z.union([z.string().min(1, "expected a file path"), z.literal(false)]),
  decision: z.enum(DECISION_CHOICES).default("version"),
});
export type ServeOptions = z.infer<typeof ServeFlags>;

export function serveCommand(): Command {
  return new Command("serve")
    .summary("serve predictions over HTTP (the C# bot's backend)")
    .description(
      "Serves GET /, /health, /model/info, /metrics and POST /predict, /predict/batch (SPEC §4).\n" +
        "Follows --checkpoint: when 'current' is re-pointed (train, models promote) the new version is loaded\n" +
        "in the background and switched in atomically. Set CANDLECAST_API_KEY to require\n" +
        "'Authorization: Bearer <key>' on every route but / and /health. Logs one JSON line per request.",
    )
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 picks a free one)", "8000")
    .option("--checkpoint <dir>", "model version to serve", "checkpoints/current")
    .option("--threads <n>", "ONNX Runtime threads per prediction", "1")
    .option("--reload-interval <seconds>", "how often --checkpoint is checked for a new version", "2")
    .option(
      "--max-batch <n>",
      "let concurrent requests share one model call of up to n windows (1: off, answers bit-exact)",
      "1",
    )
    .option(
      "--predictions-log <path>",
      "append each prediction here for 'candlecast monitor'",
      "data/predictions.jsonl",
    )
    .option("--no-predictions-log", "do not record predictions")
    .addOption(
      new Option(
        "--decision <rule>",
        "how `prediction` is chosen: the version's own rule (train stores prior), argmax, or prior " +
          "(the class whose probability most exceeds its training frequency)",
      )
        .choices([...DECISION_CHOICES]).default("version"),
    )
    .action((raw) => serve(parseFlags("serve", ServeFlags, raw)));
}

/** Runs until SIGINT/SIGTERM, then drains in-flight requests and releases the model. */
export async function serve(options: ServeOptions, log: Logger = stdoutLogger): Promise<void> {
  const store = new ModelStore();
  const watcher = new CheckpointWatcher(store, {
    pointer: options.checkpoint,
    load: async (dir) =>
      coalesce(
        requireDecision(await loadPredictor(dir, { threads: options.threads }), options.decision),
        options.maxBatch,
      ),
    intervalMs: options.reloadInterval * 1000,
    log,
  });
  // A missing or broken model is not fatal: the server starts, answers 503 and picks up a model later.
  await watcher.start();
  const apiKey = Deno.env.get("CANDLECAST_API_KEY") || undefined;
  const predictionLog = options.predictionsLog
    ? new PredictionLog(options.predictionsLog, { log })
    : undefined;
  const app = createApp(store, { apiKey, log, predictionLog, decision: options.decision });

  let server;
  try {
    server = await listen(app.fetch, { hostname: options.host, port: options.port, log });
  } catch (error) {
    await watcher.stop();
    await store.close();
    if (error instanceof ListenError) throw new CommandError(error.message, error.hint);
    throw error;
  }
  log({ event: "listening", url: server.url, auth: apiKey !== undefined, checkpoint: options.checkpoint });

  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  let stopping = false;
  const stop = (signal: Deno.Signal) => () => {
    if (stopping) return;
    stopping = true;
    log({ event: "shutting_down", signal });
    server.shutdown();
  };
  const handlers = signals.map((signal) => [signal, stop(signal)] as const);
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  try {
    await server.finished;
  } finally {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
    await watcher.stop();
    await store.close();
    await predictionLog?.flush();
    log({ event: "stopped" });
  }
}
