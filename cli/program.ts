/**
 * The command tree. Each command lives in its own module and contributes a commander Command; this file
 * only assembles them and turns every failure into a message and an exit code (SPEC §1: 0 ok, 1 runtime
 * failure, 2 usage error). Users never see a stack trace unless they ask for one with CANDLECAST_DEBUG=1.
 */
import { Command, CommanderError } from "commander";
import { CommandError, UsageError } from "./errors.ts";
import { collectCommand } from "./collect.ts";
import { trainCommand } from "./train.ts";
import { evaluateCommand } from "./evaluate.ts";
import { serveCommand } from "./serve.ts";
import { predictCommand } from "./predict.ts";
import { exportCommand } from "./export.ts";
import { modelsCommand } from "./models.ts";
import { demoCommand } from "./demo.ts";
import { monitorCommand } from "./monitor.ts";
import { retrainCommand } from "./retrain.ts";
import { VERSION } from "../engine/index.ts";

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

export function buildProgram(): Command {
  const program = new Command("candlecast")
    .description(DESCRIPTION)
    .version(VERSION, "-V, --version")
    .helpCommand(true)
    .addCommand(collectCommand())
    .addCommand(trainCommand())
    .addCommand(evaluateCommand())
    .addCommand(serveCommand())
    .addCommand(predictCommand())
    .addCommand(exportCommand())
    .addCommand(modelsCommand())
    .addCommand(retrainCommand())
    .addCommand(monitorCommand())
    .addCommand(demoCommand());
  return harden(program);
}

function report(message: string, hint?: string): void {
  console.error(`candlecast: ${message}`);
  if (hint) console.error(`hint: ${hint}`);
}

/** Runs the CLI on `args` and returns the process exit code. */
export async function runCli(args: readonly string[]): Promise<number> {
  const program = buildProgram();
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
