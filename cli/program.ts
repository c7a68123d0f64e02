/**
 * The command tree. Each command lives in its own module and contributes a commander Command; this file
 * only assembles them and turns every failure into a message and an exit code (SPEC §1: 0 ok, 1 runtime
 * failure, 2 usage error). Users never see a stack trace unless they ask for one with CANDLECAST_DEBUG=1.
 */
import { Command, CommanderError } from "commander";
import { CommandError, UsageError } from "./errors.ts";
import { VERSION } from "../engine/index.ts";

/**
 * Every command, loaded on demand: `serve` and `predict` must not pay for TensorFlow.js (tens of MB of
 * memory per process) that only training, evaluation and export use, so a run loads just the command it
 * names; help and unknown names load them all.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  collect: () => import("./collect.ts").then((m) => m.collectCommand()),
  train: () => import("./train.ts").then((m) => m.trainCommand()),
  evaluate: () => import("./evaluate.ts").then((m) => m.evaluateCommand()),
  serve: () => import("./serve.ts").then((m) => m.serveCommand()),
  predict: () => import("./predict.ts").then((m) => m.predictCommand()),
  export: () => import("./export.ts").then((m) => m.exportCommand()),
  models: () => import("./models.ts").then((m) => m.modelsCommand()),
  retrain: () => import("./retrain.ts").then((m) => m.retrainCommand()),
  monitor: () => import("./monitor.ts").then((m) => m.monitorCommand()),
  demo: () => import("./demo.ts").then((m) => m.demoCommand()),
};

const DESCRIPTION = `Turns cryptocurrency candles into trading predictions for a trading bot.

Typical flow:
  candlecast collect --source binance --symbols BTCUSDT ETHUSDT --interval 1h --months 12
  candlecast train --data data/training_data.csv
  candlecast serve            # http://127.0.0.1:8000, the C# bot's backend`;

/** Applies the error and help behaviour to a command and all its subcommands. */
function harden(command: Command): Command {
  command.exitOverride().showHelpAfterError(`(run '${fullName(command)} --help' for usage)`);
  command.configureHelp({ sortSubcommands: false, showGlobalOptions: false });
  for (const sub of command.commands) harden(sub);
  return command;
}

function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** The command tree for `args`: only the command `args[0]` names when it names one, else all of them. */
export async function buildProgram(args: readonly string[] = []): Promise<Command> {
  const first = args[0];
  const names = first !== undefined && Object.hasOwn(COMMANDS, first) ? [first] : Object.keys(COMMANDS);
  const program = new Command("candlecast")
    .description(DESCRIPTION)
    .version(VERSION, "-V, --version")
    .helpCommand(true);
  for (const command of await Promise.all(names.map((name) => COMMANDS[name]()))) program.addCommand(command);
  return harden(program);
}

function report(message: string, hint?: string): void {
  console.error(`candlecast: ${message}`);
  if (hint) console.error(`hint: ${hint}`);
}

/** Runs the CLI on `args` and returns the process exit code. */
export async function runCli(args: readonly string[]): Promise<number> {
  const program = await buildProgram(args);
  if (args.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync([...args], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed its message and the help hint.
      const ok = ["commander.helpDisplayed", "commander.help", "commander.version"].includes(error.code);
      return ok ? 0 : 2;
    }
    if (error instanceof UsageError || error instanceof CommandError) {
      report(error.message, error.hint);
      return error.exitCode;
    }
    if (error instanceof Error && error.name === "CandleError") {
      report(error.message);
      return 1;
    }
    if (Deno.env.get("CANDLECAST_DEBUG")) console.error(error);
    report(
      `unexpected failure: ${error instanceof Error ? error.message : String(error)}`,
      "this is a bug; set CANDLECAST_DEBUG=1 to print its stack trace and report it",
    );
    return 1;
  }
}
