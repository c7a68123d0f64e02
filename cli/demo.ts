/**
 * `candlecast demo`: the whole product offline, on a SIMULATED market. A Binance-compatible klines server on
 * loopback serves simulated candles; then the real commands run one after another, each printed as the user
 * would type it (`candlecast …`, or `deno task cli …` from a checkout: `typedCommand`): collect → train
 * (lightweight_lstm) → export → serve on :8000, with a curl example that works.
 * Everything is written under --dir, and only into a folder that is missing, empty or an earlier demo's (marked by
 * DEMO_MARKER, written first): `--dir .` from the project root trained into the real checkpoints and promoted the
 * simulated model there, and `--dir data` merged simulated rows into the real training CSV (user audit). The
 * folder and what is in it must be this user's: another user's (a `/tmp/demo` made first by someone else)
 * could hold links the demo writes through, or swap the model it serves.
 */
import { Command } from "commander";
import { join, resolve } from "node:path";
import { z } from "zod";
import { candleAt, CLASSES, readTrainingCsv } from "../features/index.ts";
import { processUser, shellWord, writeFileAtomic } from "../base/index.ts";
import { readPreprocessorFile } from "../engine/index.ts";
import { type KlineRow, startKlinesServer, syntheticKlines } from "./demo/binance_server.ts";
import { CommandError, InterruptedError, UsageError } from "./errors.ts";
import { flag, loopOrLongNameError, parseFlags, requireFolderPath, requireWritableFolder } from "./flags.ts";
import { requireApiKey, serve } from "./serve.ts";
import { typedCommand } from "./self_command.ts";
import { type Logger, type LogRecord, stdoutLogger, toRequestCandle } from "../server/index.ts";

const DemoFlags = z.object({
  dir: z.string().min(1, "expected a folder"),
  port: flag.port().optional(),
  short: z.boolean().default(false),
});
type DemoOptions = z.infer<typeof DemoFlags>;

/** Simulated pairs: named so nobody mistakes their rows for real market data. */
const SYMBOLS = [
  { symbol: "SIMBTCUSDT", seed: 1, price: 40_000 },
  { symbol: "SIMETHUSDT", seed: 2, price: 2_000 },
] as const;
const DEMO_SYMBOLS: ReadonlySet<string> = new Set(SYMBOLS.map((s) => s.symbol));
const HOUR = 3_600_000;
/**
 * Where the simulated market begins. Its candles are a function of their open time alone (one seeded walk from
 * here to now), like a real exchange's: a second demo an hour or a month later finds the rows it collected
 * before unchanged, so collect merges instead of refusing, and the short and full runs agree where they meet.
 */
const MARKET_START = Date.UTC(2024, 0, 1);

export function demoCommand(): Command {
  return new Command("demo")
    .summary("run the whole pipeline offline on a simulated market, then serve it on :8000")
    .description(
      "Starts a Binance-compatible klines server on 127.0.0.1 serving a SIMULATED market (regime switches,\n" +
        "clustered volatility, fat tails: synthetic, never evidence about real markets), then runs\n" +
        "collect → train (lightweight_lstm, under a minute on 2 cores) → export → serve, printing each command.\n" +
        "Everything goes under --dir: a new or empty folder, or one an earlier demo made (it marks its folder\n" +
        `with a ${DEMO_MARKER} file). Any other folder is refused, so your own data and checkpoints are never touched.`,
    )
    .option(
      "--dir <dir>",
      "a new or empty folder of your own (another user's is refused) for the demo's CSV, checkpoints and ONNX file",
      "demo",
    )
    .option("--port <port>", "port to serve on (default 8000; with --short a free one)")
    .option("--short", "a tiny run that checks /health and /predict, then stops (for CI)")
    .action((raw) => runDemo(parseFlags("demo", DemoFlags, raw)));
}

/** The flags whose values the demo's steps fill with paths under --dir, which the user chose. */
const PATH_FLAGS: ReadonlySet<string> = new Set([
  "--output",
  "--data",
  "--checkpoints",
  "--checkpoint",
  "--predictions-log",
]);

/**
 * `$ deno task cli …` (or `$ candlecast …`) as the user would type it. Each path is one shell word
 * (`shellWord`): with a space in --dir or the folder it runs in, the printed line split `/tmp/q x/demo/…` into
 * two words and failed as pasted (a user's trial). The demo's other words (its URL, the symbol list, numbers)
 * print as written: shellWord would quote the `:` and `,` in them, which no POSIX shell splits on.
 */
export function typedLine(args: readonly string[]): string {
  const words = args.map((word, i) => (PATH_FLAGS.has(args[i - 1]) ? shellWord(word) : word));
  return `$ ${typedCommand()} ${words.join(" ")}`;
}

/**
 * Runs one step as the user would type it (`run`: the CLI itself); a failing step stops the demo. A step stopped
 * by Ctrl-C (its exit 130) stops the demo as interrupted, exit 130 as every command stopped on request: it
 * exited 1, as a failure, with no hint.
 */
export async function step(args: string[], run?: (args: string[]) => Promise<number>): Promise<void> {
  console.log(`\n${typedLine(args)}`);
  // Imported here, not at the top: program.ts imports this module.
  const code = await (run ?? (await import("./program.ts")).runCli)(args);
  if (code === 130) {
    throw new InterruptedError(
      `the demo stopped: 'candlecast ${args[0]}' was interrupted`,
      "run 'candlecast demo' again to start over (what it wrote stays under its --dir)",
    );
  }
  if (code !== 0) {
    throw new CommandError(
      `the demo stopped: 'candlecast ${args[0]}' exited ${code}`,
      `its own message above says why; fix that and run 'candlecast demo' again`,
    );
  }
}

async function runDemo(opts: DemoOptions): Promise<void> {
  const dir = resolve(opts.dir);
  // Before requireFolderPath: a model version (checkpoints/current) is refused here as a folder that is not the
  // demo's, with a hint to a new folder; requireFolderPath's pointed at the folder above it, the real store.
  // A link loop or a name too long first: requireDemoFolder's lstat and stat failed on them, "a bug" (a review).
  const unusable = loopOrLongNameError("--dir", opts.dir, DEMO_DIR_HINT);
  if (unusable !== null) throw unusable;
  const folder = await requireDemoFolder(opts.dir);
  // Refused here, as --dir: otherwise the first step to write under it fails, blaming its own flag (collect's
  // --output), which the user never typed.
  requireFolderPath("--dir", opts.dir, DEMO_DIR_HINT);
  // A folder no file can be made in (a read-only mount) is --dir's, exit 2 as collect's and train's outputs:
  // it was mkdir's "the file system is read-only", exit 1.
  requireWritableFolder("--dir", opts.dir);
  // The simulated exchange and the served model listen on 127.0.0.1; under narrower permissions (the container's
  // commands reach Binance's hosts only) node:http's listen threw outside any await: a stack trace, no hint.
  if (Deno.permissions.querySync({ name: "net", host: "127.0.0.1" }).state !== "granted") {
    throw new UsageError(
      "the demo listens on 127.0.0.1 (its simulated exchange and the model it serves), which this process may " +
        "not: it runs with named permissions that leave 127.0.0.1 out",
      "run it where candlecast gets --allow-net (deno task cli demo); in the container, add 127.0.0.1 to " +
        "CANDLECAST_COMMAND_PERMISSIONS' --allow-net (docker run -e CANDLECAST_COMMAND_PERMISSIONS=…)",
    );
  }
  const csv = join(dir, "training_data.csv");
  const checkpoints = join(dir, "checkpoints");
  const candles = opts.short ? 1_500 : 6_000;
  const port = opts.port ?? (opts.short ? 0 : 8000);
  console.log(
    "candlecast demo: a SIMULATED market (synthetic candles, not real prices) through the real pipeline",
  );

  // The port and the key first: finding either refused by serve after minutes of training would waste them.
  if (port !== 0) requireFreePort(port);
  requireApiKey();
  if (folder !== "marked") await markDemoFolder(dir);

  const source = Object.fromEntries(SYMBOLS.map((s) => [s.symbol, { "1h": demoKlines(s, candles) }]));
  const exchange = await startKlinesServer({ source: (symbol) => source[symbol] });
  console.log(`simulated exchange: ${exchange.url}/api/v3/klines`);
  try {
    const symbols = SYMBOLS.map((s) => s.symbol).join(",");
    await step([
      "collect",
      "--base-url",
      exchange.url,
      "--symbols",
      symbols,
      "--interval",
      "1h",
      "--limit",
      String(candles),
      "--output",
      csv,
    ]);
  } finally {
    await exchange.close();
  }

  const budget = opts.short
    ? ["--epochs", "1", "--max-windows-per-epoch", "512", "--max-validation-windows", "256"]
    : ["--epochs", "6", "--patience", "2", "--max-windows-per-epoch", "6000"];
  await step([
    "train",
    "--data",
    csv,
    "--model",
    "lightweight_lstm",
    "--checkpoints",
    checkpoints,
    ...budget,
  ]);
  const onnx = join(dir, "trading_model.onnx");
  await step(["export", "--checkpoint", join(checkpoints, "current"), "--output", onnx]);

  const request = join(dir, "request.json");
  const { lookback } = await readPreprocessorFile(join(checkpoints, "current"));
  await writeFileAtomic(
    request,
    JSON.stringify(await lastWindowRequest(csv, SYMBOLS[0].symbol, lookback), null, 1) + "\n",
  );

  const listening = Promise.withResolvers<string>();
  const log: Logger = (event: LogRecord) => {
    if (event.event === "listening" && typeof event.url === "string") listening.resolve(event.url);
    if (!opts.short || event.event !== "request") stdoutLogger(event);
  };
  const demoServe = demoServeOf(dir, checkpoints, port);
  console.log(`\n${typedLine(demoServe.args)}`);
  const serving = serve(demoServe.options, log);
  const url = await Promise.race([listening.promise, serving.then(() => "")]);
  if (!url) throw new CommandError("the demo server stopped before it listened");
  const base = url.replace(/\/$/, "");
  console.log(`\nserving the demo model at ${base} — try it:\n`);
  // serve read CANDLECAST_API_KEY from this process's environment, as it does run alone.
  const apiKey = Deno.env.get("CANDLECAST_API_KEY") || undefined;
  for (const line of curlLines(base, request, apiKey !== undefined)) console.log(`  ${line}`);
  console.log(`\nONNX for C#: ${onnx}.  Stop with Ctrl-C.`);
  if (opts.short) {
    await selfCheck(base, request, apiKey);
    Deno.kill(Deno.pid, "SIGINT"); // serve's own graceful shutdown
  }
  await serving;
}

/** The file that marks a folder as the demo's: written first, into a folder that was missing or empty. */
export const DEMO_MARKER = ".candlecast-demo";

const DEMO_DIR_HINT =
  "give --dir a new or empty folder (default: demo): the demo writes only there, or into a " +
  "folder an earlier demo made, never over your own files";

const DEMO_OWNER_HINT =
  "pick a folder of your own for --dir (the default, demo, is made in the current folder), not one another " +
  "user made or can write, as under /tmp";

/**
 * The UsageError for `path` (`shown` as the message names it; `entry`, a name in it) owned by another user than
 * `uid`; null when `uid` owns it, or is unknown (null: Windows, no --allow-sys), where nothing is checked.
 */
function foreignOwner(
  shown: string,
  info: Deno.FileInfo,
  uid: number | null,
  entry?: string,
): UsageError | null {
  if (uid === null || info.uid === null || info.uid === uid) return null;
  const what = entry === undefined ? shown : `in ${shown}, ${entry}`;
  return new UsageError(
    `--dir: ${what} is owned by another user (uid ${info.uid}), who could make the demo write through links ` +
      "there or serve another model",
    DEMO_OWNER_HINT,
  );
}

/**
 * What the demo writes directly under --dir, an earlier candlecast's demo too (the same names since the first),
 * with the locks, rotated prediction logs and temporary files (`NAME.<pid>.<8 hex>.tmp`) its steps leave there.
 */
const DEMO_FILES = [
  "training_data.csv",
  "checkpoints",
  "trading_model.onnx",
  "request.json",
  "predictions.jsonl",
]
  .map((name) => name.replaceAll(".", "\\.")).join("|");
const DEMO_ENTRY = new RegExp(
  String.raw`^\.?(?:${DEMO_FILES})(?:\.\d+)?(?:\.lock|\.\d+\.[0-9a-f]{8}\.tmp)?$`,
);

/** The largest training CSV an earlier demo can have left (its pairs' hours since MARKET_START: a few MB). */
const DEMO_CSV_MAX_BYTES = 64 * 1024 * 1024;

/**
 * What --dir is to the demo: `new` (nothing there: made and marked), `empty` (marked), `marked` (an earlier
 * demo's), `earlier` (an earlier candlecast's demo, made before the marker: marked now), `other` (a file or a
 * path under one, which requireFolderPath refuses). Any other folder is refused (a UsageError naming what is
 * there): the demo collects, trains and promotes into its folder, and writes over a user's own files otherwise.
 * A link is followed; a marked folder whose entries are links (to a real store, say) is refused too. An existing
 * folder, a link to it, or anything directly in it owned by another user than `uid` (default: this process's;
 * null: unknown, not checked) is refused too, before its entries are looked into.
 */
export async function requireDemoFolder(
  path: string,
  { uid = processUser()?.uid ?? null }: { readonly uid?: number | null } = {},
): Promise<"new" | "empty" | "marked" | "earlier" | "other"> {
  let linked: Deno.FileInfo, info: Deno.FileInfo | null;
  try {
    linked = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "new";
    if (error instanceof Deno.errors.NotADirectory) return "other"; // under a file
    throw error;
  }
  try {
    info = linked.isSymlink ? await Deno.stat(path) : linked;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    info = null;
  }
  // A link to nothing: "made if missing" fails on the link itself (mkdir's EEXIST), or makes a folder elsewhere.
  if (info === null) {
    throw new UsageError(
      `--dir: ${shellWord(path)} is a link to ${shellWord(await Deno.readLink(path))}, which is missing`,
      DEMO_DIR_HINT,
    );
  }
  if (!info.isDirectory) return "other";
  const shown = linked.isSymlink
    ? `${shellWord(path)} (a link to ${shellWord(await Deno.realPath(path))})`
    : shellWord(path);
  const foreign = (linked.isSymlink ? foreignOwner(`the link ${shellWord(path)}`, linked, uid) : null) ??
    foreignOwner(shown, info, uid);
  if (foreign !== null) throw foreign;
  const entries = await Array.fromAsync(Deno.readDir(path));
  for (const entry of entries) {
    const owned = foreignOwner(shown, await Deno.lstat(join(path, entry.name)), uid, entry.name);
    if (owned !== null) throw owned;
  }
  if (entries.length === 0) return "empty";
  if (entries.some((e) => e.name === DEMO_MARKER && e.isFile)) {
    const link = await linkIn(path, entries);
    if (link !== null) {
      throw new UsageError(
        `--dir: in ${shown}, an earlier demo's folder, ${link}, and the demo writes only into what it made`,
        `remove the link, or ${DEMO_DIR_HINT}`,
      );
    }
    // The marker alone is not trusted: a demo run once into an empty data/ volume marks it, and real collects
    // there later would be merged into by the next demo (a review). What it holds must still be the demo's.
    const reason = await notEarlierDemo(path, entries.filter((e) => e.name !== DEMO_MARKER), true);
    if (reason === null) return "marked";
    throw new UsageError(`--dir: ${shown} holds more than an earlier demo made: ${reason}`, DEMO_DIR_HINT);
  }
  const reason = await notEarlierDemo(path, entries, false);
  if (reason === null) return "earlier";
  throw new UsageError(`--dir: ${shown} is not the demo's folder: ${reason}`, DEMO_DIR_HINT);
}

/**
 * What the demo reads of a version's manifest.json: the pairs it was trained on, and nothing else. Not
 * ml/checkpoints' reader, which asks for every field `train` writes: a version with fewer (made by hand, or by
 * an older candlecast) is still judged by the pairs it names. A `symbols` that is missing or no list names none.
 */
const TrainedOnSchema = z.object({ symbols: z.array(z.unknown()).catch([]) }).loose();

/**
 * Why a folder is not one a demo made (`marked`: the marker is there, and a CSV not yet), or null when it is:
 * it holds only what the demo writes, its training CSV holds the simulated pairs alone, and so were its models
 * trained.
 */
async function notEarlierDemo(
  path: string,
  entries: readonly Deno.DirEntry[],
  marked: boolean,
): Promise<string | null> {
  const names = entries.map((e) => e.name).sort();
  if (names.includes("manifest.json")) return "it is a model version (it holds manifest.json)";
  const others = names.filter((name) => !DEMO_ENTRY.test(name));
  if (others.length > 0) return `it holds files the demo does not write (${listed(others)})`;
  const link = await linkIn(path, entries);
  if (link !== null) return `its ${link}`;
  const csv = entries.find((e) => e.name === "training_data.csv");
  // A marked folder may have no CSV yet (a demo stopped before its collect wrote one); its models still count.
  if (!csv && !marked) return `it holds ${listed(names)} and no training_data.csv`;
  const foreign = csv ? await foreignCsvSymbols(join(path, csv.name), csv.isFile) : null;
  if (foreign === undefined) return "its training_data.csv is not one the demo collected";
  if (foreign && foreign.length > 0) {
    return `its training_data.csv holds ${listed(foreign)} rows, not only the demo's simulated ` +
      [...DEMO_SYMBOLS].join(" and ");
  }
  const checkpoints = entries.find((e) => e.name === "checkpoints");
  if (!checkpoints) return null;
  if (!checkpoints.isDirectory) return "its checkpoints is not a folder";
  for await (const version of Deno.readDir(join(path, "checkpoints"))) {
    if (!version.isDirectory) continue;
    const manifest = join(path, "checkpoints", version.name, "manifest.json");
    let symbols: readonly unknown[];
    try {
      ({ symbols } = TrainedOnSchema.parse(JSON.parse(await Deno.readTextFile(manifest))));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue; // a folder a crashed write left, not a version
      return `its checkpoints/${version.name}/manifest.json cannot be read as a version's`;
    }
    const trainedOn = symbols.map(String);
    if (trainedOn.length === 0 || trainedOn.some((s) => !DEMO_SYMBOLS.has(s))) {
      const on = listed(trainedOn);
      return `its checkpoints/${version.name} was trained on ${on}, not the demo's simulated pairs`;
    }
  }
  return null;
}

/** The symbols of a demo folder's training CSV that are not the demo's; undefined when it is no CSV collect wrote. */
async function foreignCsvSymbols(csvPath: string, isFile: boolean): Promise<string[] | undefined> {
  const collected = isFile && (await Deno.stat(csvPath)).size <= DEMO_CSV_MAX_BYTES;
  const lines = collected ? (await Deno.readTextFile(csvPath)).split("\n") : [];
  if (!lines[0]?.startsWith("symbol,")) return undefined;
  const foreign = new Set<string>();
  for (const line of lines.slice(1)) {
    const symbol = line.slice(0, line.indexOf(","));
    if (line.trim() !== "" && !DEMO_SYMBOLS.has(symbol)) foreign.add(symbol);
  }
  return [...foreign];
}

/**
 * The first link directly in the demo's folder, said as `NAME is a link to TARGET`, or null: the demo never makes
 * one there, and through one (checkpoints → the real store) its writes would leave the folder.
 */
async function linkIn(path: string, entries: readonly Deno.DirEntry[]): Promise<string | null> {
  const link = entries.find((e) => e.isSymlink);
  if (!link) return null;
  return `${link.name} is a link to ${shellWord(await Deno.readLink(join(path, link.name)))}`;
}

/** Up to three names, then how many more. */
function listed(names: readonly string[]): string {
  if (names.length === 0) return "nothing";
  const shown = names.slice(0, 3).join(", ");
  return names.length > 3 ? `${shown} and ${names.length - 3} more` : shown;
}

/** Makes the demo's folder if missing and marks it as the demo's, before anything is written into it. */
async function markDemoFolder(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  // Made by another user since it was found missing (mkdir takes an existing folder): refused as if found.
  const foreign = foreignOwner(shellWord(dir), await Deno.lstat(dir), processUser()?.uid ?? null);
  if (foreign !== null) throw foreign;
  await Deno.writeTextFile(
    join(dir, DEMO_MARKER),
    "This folder was made by 'candlecast demo' (a simulated market, not real data). A later demo writes into it\n" +
      "again, over what is here; delete the folder to remove the demo. Never put your own files here.\n",
    { createNew: true },
  );
}

/**
 * A demo pair's hourly candles from MARKET_START to the one open now (or `candles` + 1 of them if the clock is
 * earlier): the same rows whenever the demo runs.
 */
export function demoKlines(
  pair: { seed: number; price: number },
  candles: number,
  now = Date.now(),
): KlineRow[] {
  const current = Math.floor(now / HOUR) * HOUR;
  const start = Math.min(MARKET_START, current - candles * HOUR);
  return syntheticKlines("1h", start, (current - start) / HOUR + 1, { seed: pair.seed, price: pair.price });
}

/**
 * How the demo serves its model, and the command that does the same, printed before it: the line read
 * `serve --checkpoint … --port 8000`, which run by hand started a worker per core and logged to
 * data/predictions.jsonl, not what the demo ran (newcomer trial s46).
 */
export function demoServeOf(dir: string, checkpoints: string, port: number) {
  const checkpoint = join(checkpoints, "current"), predictionsLog = join(dir, "predictions.jsonl");
  return {
    options: {
      host: "127.0.0.1",
      port,
      checkpoint,
      threads: 1,
      reloadInterval: 2,
      maxBatch: 1,
      predictionsLog,
      decision: "version",
    } as const,
    args: [
      "serve",
      "--checkpoint",
      checkpoint,
      "--port",
      String(port),
      "--workers",
      "1",
      "--max-batch",
      "1",
      "--reload-interval",
      "2",
      "--predictions-log",
      predictionsLog,
    ],
  };
}

/** Fails before any work when the port the demo will serve on is taken. */
function requireFreePort(port: number): void {
  try {
    const probe = Deno.listen({ hostname: "127.0.0.1", port });
    probe.close();
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new CommandError(
        `port ${port} on 127.0.0.1 is in use, and the demo serves its model there`,
        "stop what listens there, or pass another --port",
      );
    }
    throw error;
  }
}

/**
 * A POST /predict body from a symbol's last candles in the training CSV: `lookback` of them, the window of the
 * version served.
 */
async function lastWindowRequest(csv: string, symbol: string, lookback: number) {
  const series = (await readTrainingCsv(csv)).find((s) => s.symbol === symbol);
  if (!series) throw new CommandError(`${csv} has no ${symbol} rows`);
  const candles = [];
  for (let i = series.length - lookback; i < series.length; i++) {
    candles.push(toRequestCandle(candleAt(series, i)));
  }
  return { symbol, candles };
}

/**
 * The curl lines the demo prints. The request's path is absolute: `deno task` runs the demo in the repository's
 * root whatever folder it was typed in, so `--dir demo` is the root's, while curl reads `@…` from the folder
 * the user's shell is in (helper's trial s43: relative, it sent an empty body from anywhere else).
 */
export function curlLines(base: string, request: string, keyed = false): string[] {
  // With CANDLECAST_API_KEY set (exported as the README's serve example does) the demo's serve requires it too:
  // the curl sends it from the same variable, never the key itself (the curl without it got 401).
  const auth = keyed ? ` -H "Authorization: Bearer $CANDLECAST_API_KEY"` : "";
  return [
    `curl ${base}/health`,
    // One shell word after the @ (`@"/tmp/q x/…"` is a word to the shell): bare, a space in the path split it.
    `curl -X POST ${base}/predict -H 'Content-Type: application/json'${auth} -d @${
      shellWord(resolve(request))
    }`,
  ];
}

/** What the self-check reads of a /predict answer: the class it names (SPEC §4); the rest is only printed. */
const PredictAnswerSchema = z.object({ prediction: z.enum(CLASSES) }).loose();

/**
 * What the curl lines above do, checked: the short demo fails loudly if the served model does not answer. An
 * answer that is not SPEC §4's JSON (a body of `null`, a page that is not JSON) is that failure too, said as
 * such: it was read untyped, and failed as a TypeError or SyntaxError reported as a bug in candlecast.
 */
export async function selfCheck(base: string, requestPath: string, apiKey?: string): Promise<void> {
  const health = await fetch(`${base}/health`);
  const healthBody: unknown = await health.json().catch(() => "(not JSON)");
  console.log(`GET /health → ${health.status} ${JSON.stringify(healthBody)}`);
  const body = await Deno.readTextFile(requestPath);
  const predict = await fetch(`${base}/predict`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body,
  });
  const prediction: unknown = await predict.json().catch(() => "(not JSON)");
  console.log(`POST /predict → ${predict.status} ${JSON.stringify(prediction)}`);
  if (health.status !== 200 || predict.status !== 200 || !PredictAnswerSchema.safeParse(prediction).success) {
    throw new CommandError(
      "the demo's served model did not answer /health and /predict as documented",
      "the lines above show its answers; run the demo again, and report them if it fails the same way",
    );
  }
}
