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
import { configureHelp } from "./help.ts";

const DESCRIPTION = "Turns cryptocurrency candles into trading predictions for a trading bot: collect " +
  "candles, train a model, evaluate it, and serve predictions over HTTP.";

/** The command whose parsing failed last, for the hint under commander's own errors. */
let failed: Command | null = null;

/** Applies the error and help behaviour to a command and all its subcommands. */
function harden(command: Command): Command {
  // commander's messages are printed by runCli in candlecast's own "candlecast: … / hint: …" form.
  command.exitOverride().configureOutput({ outputError: () => void (failed = command) });
  configureHelp(command);
  for (const sub of command.commands) harden(sub);
  return command;
}

/**
 * commander's "error: unknown option '--x'\n(Did you mean --y?)" as a reason and a hint. Its own wording
 * of the reason is kept: it names the flag or argument exactly.
 */
export function commanderMessage(error: CommanderError, command: string): { message: string; hint: string } {
  const [first, ...rest] = error.message.split("\n");
  const message = first.replace(/^error: /, "");
  const guess = rest.join(" ").match(/\(Did you mean (.+)\?\)/);
  const usage = `run '${command} --help' for ${command === "candlecast" ? "the commands" : "the flags"}`;
  return { message, hint: guess ? `did you mean ${guess[1]}? (${usage})` : usage };
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
      if (["commander.helpDisplayed", "commander.help", "commander.version"].includes(error.code)) return 0;
      const { message, hint } = commanderMessage(error, fullName(failed ?? program));
      report(message, hint);
      return 2;
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
