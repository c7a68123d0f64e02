import { Command, Option } from "commander";
import { basename, dirname, join, resolve } from "node:path";
import { DEFAULTS } from "./defaults.ts";
import {
  type CollectStage,
  DEFAULT_LIMIT,
  expandCsvPaths,
  lineProgress,
  parseCollectFlags,
  runCollect,
  SOURCES,
  stopNotice,
  systemClock,
  ttyProgress,
} from "./collect/index.ts";
import { requireInput, requireOutputFile } from "./flags.ts";
import { COLLECT_OUTPUT, protectedOutputProblem } from "./protected_output.ts";
import { UsageError } from "./errors.ts";
import { withInterrupt } from "./interrupt.ts";
import { refuseTrainingCsvAsRaw } from "../features/index.ts";
import { drawsInPlace, processUser, writeStderr, writeStderrLine, writtenFile } from "../base/index.ts";

/** The candles `--source binance` fetches without `--interval` (csv and json read their files' step). */
const BINANCE_INTERVAL = "30m";

/** What a second Ctrl-C says as collect quits at once: a reason, then what to do on a hint line of its own. */
export function collectSecondPress(output: string): string {
  return `candlecast: stopped at once; nothing more was written (${output} is replaced whole or not at all)\n` +
    "hint: run the same command again; one Ctrl-C writes the candles gathered so far";
}

/**
 * An input path given empty (`--json-path "$EXPORT"` with EXPORT unset) is refused as every other empty path
 * flag is, before the file is looked for: under named permissions (`deno task cli`, the binary) Deno refuses
 * to stat "" ("Empty path is not allowed"), which reached the user as a bug (exit 1).
 */
function refuseEmptyInput(raw: Record<string, unknown>): void {
  if (raw.source === "json" && String(raw.jsonPath ?? "").trim() === "") {
    throw new UsageError(
      "--json-path: expected a file path",
      "point --json-path at the C# bot's candle export (default: candle_export.json)",
    );
  }
  const csvPaths = typeof raw.csvPath === "string"
    ? [raw.csvPath]
    : (raw.csvPath as string[] | undefined) ?? [];
  if (raw.source === "csv" && csvPaths.some((p) => p.trim() === "")) {
    throw new UsageError(
      "--csv-path: expected a file path",
      "point --csv-path at OHLCV CSVs: files, a folder of them, or a pattern such as 'data/*-1h.csv'",
    );
  }
}

export function collectCommand(): Command {
  return new Command("collect")
    .summary("collect candles with indicators into a training CSV")
    .description(
      "Collects candles from the Binance REST API, a C# JSON export or OHLCV CSVs (one file per symbol, or a " +
        "symbol's monthly files, all read in one run), computes (for a C# export: fills in the missing) RSI(14), " +
        "MACD(12,26,9), EMA(50) and Stochastic(14,3,3), and merges them into the training CSV by " +
        "(symbol, open_time): re-running never duplicates or loses rows, and a candle that contradicts one " +
        "already there fails the run unless --replace is given. Only closed candles are collected. " +
        "Choose one of --limit, --start-date or --months: with --source binance, which candles to fetch " +
        "(--limit 1000 when none is given); with csv and json, which of the file's candles to take (all of " +
        "them when none is given), by the same rule, the file's earlier candles serving only as the " +
        "indicators' warm-up, so the rows written get the values the whole file gives them.",
    )
    .addOption(
      new Option("--source <source>", "where candles come from").choices(SOURCES).default(
        "binance",
      ),
    )
    .option("--symbols <symbols...>", "--source binance: symbols to collect (spaces or commas)", [
      "BTCUSDT",
      "ETHUSDT",
    ])
    // No commander default: --help showed "(default: 30m)" for every source, where csv and json read the
    // files' own step when --interval is not given. Binance's is filled in below.
    .option(
      "--interval <interval>",
      "candle interval (1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M). --source binance: what to fetch, " +
        `default ${BINANCE_INTERVAL} (the examples and deploy/ use 1h: pass it, since one training CSV ` +
        "holds one interval); csv and json: checked against the files' step, or read from it when not given",
    )
    // No commander default either: "(default: 1000)" showed for csv and json too, which read a file whole.
    .option(
      "--limit <n>",
      `the latest N closed candles per symbol (--source binance: default ${DEFAULT_LIMIT}; a csv or json file ` +
        "is read whole without a window)",
    )
    .option("--start-date <date>", "first day to collect, YYYY-MM-DD (UTC), from any source")
    .option("--end-date <date>", "day to stop before, YYYY-MM-DD (UTC, exclusive); needs --start-date")
    .option("--months <n>", "the last N months before now, from any source")
    .option("--output <path>", "training CSV to write or merge into", DEFAULTS.trainingCsv)
    .option("--base-url <url>", "Binance REST base URL", DEFAULTS.binanceUrl)
    .option("--json-path <path>", "C# export to read with --source json", "candle_export.json")
    .option(
      "--csv-path <paths...>",
      "OHLCV CSVs to read with --source csv, in one run (spaces or commas, or the flag repeated): files, a " +
        "folder (its .csv files) or a pattern such as 'dl/*-1h.csv'; each file's symbol is read from its name, " +
        "like ETHUSDT-1h.csv or BTCUSDT-1h-2024-01.csv",
      ["raw.csv"],
    )
    .option(
      "--symbol <symbol>",
      "symbol of the candles in a single --csv-path file (required unless it is named like ETHUSDT-1h.csv)",
    )
    .option(
      "--replace",
      "let candles that differ from rows already in --output (same symbol and open_time) replace them; " +
        "without it such a run fails and writes nothing",
    )
    .action(async (_opts: unknown, command: Command) => {
      const given = new Set(
        command.options.map((o) => o.attributeName()).filter((name) =>
          command.getOptionValueSource(name) === "cli"
        ),
      );
      // The input file first: a missing one is what to fix, not the --symbol its name would have given.
      const raw = command.opts();
      refuseEmptyInput(raw);
      if (raw.source === "json") {
        requireInput(
          "--json-path",
          String(raw.jsonPath),
          "point --json-path at the C# bot's candle export",
          "file",
        );
      }
      // Folders, patterns and lists expanded once, here: the options hold the files to read. A training CSV
      // among them is named as one before its name is asked for a symbol.
      const csvPaths = raw.source === "csv" ? expandCsvPaths(raw.csvPath as string[]) : [];
      csvPaths.forEach(refuseTrainingCsvAsRaw);
      const options = parseCollectFlags(
        raw.source === "csv"
          ? { ...raw, csvPath: csvPaths }
          : raw.source === "binance"
          ? { ...raw, interval: raw.interval ?? BINANCE_INTERVAL }
          : raw,
        given,
      );
      // Before any download: a folder named as the output would otherwise fail only after every candle came.
      requireOutputFile("--output", options.output, "training_data.csv");
      // So is a link into a folder not there (a drive not mounted), which the write refuses (writeFileAtomic).
      const written = await writtenFile(options.output);
      // A link on the way to a file not there: the file is started where it leads, and said, since collect
      // merges into what --output holds. An unmounted drive's mount point is such a place, there and empty (a
      // review: the trial's failure again, exit 0, through a link to the file or to its folder).
      if (!(await Deno.stat(written).then(() => true, () => false))) {
        const fileLink = (await Deno.lstat(options.output).catch(() => null))?.isSymlink === true;
        const folder = dirname(resolve(written));
        const real = await Deno.realPath(folder).catch(() => null);
        const emptyViaLink = real !== null && real !== folder &&
          (await Array.fromAsync(Deno.readDir(real)).catch(() => [null])).length === 0;
        if (fileLink || emptyViaLink) {
          writeStderrLine(
            `warning: ${options.output} leads through a link to ${
              join(real ?? folder, basename(written))
            }, where there is no file yet: a new training CSV is started there (if that is a drive's mount ` +
              "point, is the drive mounted?)",
          );
        }
      }
      // collect reads --output back to merge into it: a device or pipe there (/dev/full, /dev/zero) would be
      // read without end, the process growing until the machine runs out of memory.
      const there = await Deno.stat(options.output).catch(() => null);
      if (there && !there.isFile) {
        throw new UsageError(
          `--output: ${options.output} is not a regular file (a device or a pipe); collect merges new candles ` +
            "into what --output holds, so it reads it back first",
          "name a CSV file, e.g. data/training_data.csv",
        );
      }
      const protectedOutput = there &&
        protectedOutputProblem(options.output, there, processUser()?.uid ?? null, COLLECT_OUTPUT);
      if (protectedOutput) throw protectedOutput;
      // What a Ctrl-C does depends on where the run is: while it waits for another collect's lock, nothing
      // is written.
      let stage: CollectStage = { step: "gathering", candles: 0 };
      await withInterrupt(
        {
          first: () => stopNotice(options, stage),
          quitNow: "to quit now without writing",
          second: collectSecondPress(options.output),
        },
        (signal) =>
          runCollect(options, {
            clock: systemClock,
            progress: drawsInPlace()
              ? ttyProgress(writeStderr, systemClock)
              : lineProgress(writeStderr, systemClock),
            print: (text) => console.log(text),
            signal,
            stage: (now) => void (stage = now),
          }),
      );
    });
}
