/**
 * The command tree. Each command lives in its own module and contributes a commander Command; this file
 * only assembles them and turns every failure into a message and an exit code (SPEC §1: 0 ok, 1 runtime
 * failure, 2 usage error). Users never see a stack trace unless they ask for one with CANDLECAST_DEBUG=1.
 */
import { Command, CommanderError } from "commander";
import { filesystemProblem } from "./errors.ts";
import { VERSION } from "../engine/index.ts";
import { ReportedError, shellWord, writeStderrLine } from "../base/index.ts";
import { configureHelp } from "./help.ts";
import {
  aliasFlags,
  excessArguments,
  fullName,
  refuseFlagsAsValues,
  unknownCommandHint,
} from "./flag_hints.ts";
import { refuseUnusablePath } from "./flags.ts";

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

const DESCRIPTION = "Turns cryptocurrency candles into trading predictions for a trading bot: collect " +
  "candles, train a model, evaluate it, and serve predictions over HTTP.";

/** The command whose parsing failed last, for the hint under commander's own errors. */
let failed: Command | null = null;

/** Applies the error and help behaviour to a command and all its subcommands. */
function harden(command: Command): Command {
  // commander's messages are printed by runCli in candlecast's own "candlecast: … / hint: …" form.
  command.exitOverride().configureOutput({ outputError: () => void (failed = command) });
  configureHelp(command);
  refuseFlagsAsValues(command);
  refuseUnusablePath(command);
  for (const sub of command.commands) harden(sub);
  return command;
}

/**
 * commander's "error: unknown option '--x'\n(Did you mean --y?)" as a reason and a hint. Its own wording
 * of the reason is kept: it names the flag or argument exactly.
 */
export function commanderMessage(error: CommanderError, command: string): { message: string; hint: string } {
  const [first, ...rest] = error.message.split("\n");
  const message = withoutSecretValue(first.replace(/^error: /, ""));
  const guess = rest.join(" ").match(/\(Did you mean (.+)\?\)/);
  // An unknown command's fix is in the commands a --help lists (`models --help` lists list, promote, rollback).
  const what = command === "candlecast" || error.code === "commander.unknownCommand"
    ? "the commands"
    : "the flags";
  const usage = `run '${command} --help' for ${what}`;
  return { message, hint: guess ? `did you mean ${guess[1]}? (${usage})` : usage };
}

/**
 * An unknown option's value left out where its name says it may be a secret (`--api-key=…`, `--token=…`): the
 * message goes to stderr, which systemd keeps in the journal and cron mails.
 */
function withoutSecretValue(message: string): string {
  return message.replace(
    // To the message's closing quote, not the first quote in the value (`--api-key=ab'cd` kept `cd`).
    /^(unknown option '--?[\w-]*(?:key|token|secret|pass|auth|bearer)[\w-]*=).*'$/i,
    "$1…'",
  );
}

/**
 * For an option given before the subcommand that takes it (`models --checkpoints x list`): where it goes, as a
 * runnable line. The command's own --help cannot say it, as the option is not the command's.
 */
function subcommandOptionHint(
  error: CommanderError,
  command: Command,
  args: readonly string[],
): string | null {
  const option = error.code === "commander.unknownOption"
    ? error.message.match(/'(--[\w-]+)'/)?.[1]
    : undefined;
  if (option === undefined) return null;
  const takers = command.commands.filter((sub) => sub.options.some((o) => o.long === option));
  if (takers.length === 0) return null;
  const named = takers.find((sub) => args.includes(sub.name())) ?? takers[0];
  const taken = named.options.find((o) => o.long === option)!;
  // The same words with the option (and its value, if it takes one) moved to just after the subcommand's name.
  const at = args.findIndex((arg) => arg === option || arg.startsWith(`${option}=`));
  if (at < 0) return null;
  const span = args[at] === option && (taken.required || taken.optional) && args[at + 1] !== undefined
    ? 2
    : 1;
  const moved = args.slice(at, at + span);
  const rest = [...args.slice(0, at), ...args.slice(at + span)];
  const sub = rest.indexOf(named.name());
  const line = sub >= 0
    ? [...rest.slice(0, sub + 1), ...moved, ...rest.slice(sub + 1)]
    : [...rest, named.name(), ...moved];
  return `${option} belongs to the subcommand, after its name: 'candlecast ${
    line.map((word) => shellWord(word)).join(" ")
  }'`;
}

/**
 * For an unknown option, a hint commander misses: the flag a name other tools use means here (`--models-dir`
 * → `--checkpoints`, flag_hints.ts), else, where commander has no guess, a flag of the command's that begins
 * with the one given (`evaluate --output` for `--output-dir`, the flag collect calls `--output`: too far apart
 * for commander's edit distance), or, for `serve --api-key`, where the key goes (the environment, so it stays
 * out of `ps` and shell history). Null when none applies, or commander's guess stands.
 */
function unknownOptionHint(error: CommanderError, command: Command): string | null {
  if (error.code !== "commander.unknownOption") return null;
  const option = error.message.match(/'(--?[\w-]+)/)?.[1];
  if (option === undefined) return null;
  const usage = `run '${fullName(command)} --help' for the flags`;
  // A name other tools use (--models-dir, --out, --lr) outranks commander's edit distance, which knows no
  // meaning: it offered nothing for `train --models-dir`, whose flag is --checkpoints.
  const meant = aliasFlags(option, command);
  if (meant.length > 0) return `did you mean ${meant.join(" or ")}? (${usage})`;
  if (/\(Did you mean /.test(error.message)) return null;
  if (command.name() === "serve" && /^--(api[-_]?key|key|token|bearer|auth)$/i.test(option)) {
    return "the key is read from the environment, not a flag: set CANDLECAST_API_KEY in serve's, e.g. " +
      `'CANDLECAST_API_KEY=<the key> candlecast serve' (${usage})`;
  }
  // Which symbols and interval train, evaluate and retrain read is --data's: they take no such flag.
  const reads = ["train", "evaluate", "retrain"].includes(command.name()) &&
    /^--(symbols?|pairs?|interval|timeframe)$/i.test(option);
  if (reads) {
    return `${command.name()} reads the symbols and interval --data holds; add a symbol to it with ` +
      `'candlecast collect --symbols SYMBOL --interval INTERVAL --output DATA' first (${usage})`;
  }
  const longer = command.options.map((o) => o.long).filter((l): l is string =>
    l !== undefined && l.startsWith(`${option}-`)
  );
  return longer.length === 1 ? `did you mean ${longer[0]}? (${usage})` : null;
}

/** The deepest command `args` names: `models` for `models --checkpoints x`. */
function commandOf(program: Command, args: readonly string[]): Command {
  let command = program;
  for (const arg of args) {
    const sub = command.commands.find((c) => c.name() === arg);
    if (!sub) break;
    command = sub;
  }
  return command;
}

/** The command tree for `args`: only the command `args[0]` names when it names one, else all of them. */
export async function buildProgram(args: readonly string[] = []): Promise<Command> {
  const first = args[0];
  const names = first !== undefined && Object.hasOwn(COMMANDS, first) ? [first] : Object.keys(COMMANDS);
  return assembleProgram(await Promise.all(names.map((name) => COMMANDS[name]())));
}

/** The program holding `commands`, with candlecast's error and help behaviour on every one of them. */
export function assembleProgram(commands: readonly Command[]): Command {
  const program = new Command("candlecast")
    .description(DESCRIPTION)
    .version(VERSION, "-V, --version")
    .helpCommand(true);
  for (const command of commands) program.addCommand(command);
  return harden(program);
}

function report(message: string, hint?: string): void {
  writeStderrLine(`candlecast: ${message}`);
  if (hint) writeStderrLine(`hint: ${hint}`);
}

/** Runs the CLI on `args` and returns the process exit code. */
export async function runCli(args: readonly string[]): Promise<number> {
  const program = await buildProgram(args);
  // `help NAME …` is `NAME … --help`: commander answers `help models promote` with the help of `models` and an
  // unknown NAME with the whole help, as if nothing were wrong; the --help path below refuses an unknown one.
  if (args[0] === "help" && args.length > 1 && !args[1].startsWith("-")) {
    return runCli([...args.slice(1), "--help"]);
  }
  // commander answers --help after a mistyped command (`trian --help`, `models prune --help`) with the help of
  // the command above it, exit 0, as if nothing were wrong; without --help the same words get "unknown command"
  // with a suggestion (a first-time user's read). So they are parsed without it.
  const helpFlag = (word: string) => word === "--help" || word === "-h";
  if (args.some(helpFlag) && hasUnknownCommand(program, args)) {
    return runCli(args.filter((w) => !helpFlag(w)));
  }
  try {
    await program.parseAsync([...args], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (["commander.helpDisplayed", "commander.version"].includes(error.code)) return 0;
      if (error.code === "commander.help") {
        // Help asked for exits 0; help shown (on stderr) because a command needs a subcommand is a usage error.
        if (error.exitCode === 0) return 0;
        // A bare `candlecast` is one of these too, as `candlecast models` is: a script that runs either did nothing.
        const command = commandOf(program, args);
        const subcommands = command.commands.map((c) => c.name()).filter((name) => name !== "help");
        const example = command === program ? "demo" : subcommands[0];
        report(
          `'${fullName(command)}' needs a command: ${subcommands.join(", ")}`,
          `e.g. '${fullName(command)} ${example}'${command === program ? " for a first run" : ""}`,
        );
        return 2;
      }
      // commander's "Expected 0 arguments but got 1" names neither the word nor where it belonged.
      if (error.code === "commander.excessArguments" && failed) {
        const excess = excessArguments(failed);
        report(excess.message, excess.hint);
        return 2;
      }
      const { message, hint } = commanderMessage(error, fullName(failed ?? program));
      const unknown = error.code === "commander.unknownCommand" ? message.match(/'(.+)'/)?.[1] : undefined;
      const commandHint = unknown === undefined ? null : unknownCommandHint(unknown, failed ?? program);
      if (commandHint !== null) {
        report(message, commandHint);
        return 2;
      }
      report(
        message,
        subcommandOptionHint(error, failed ?? program, args) ?? unknownOptionHint(error, failed ?? program) ??
          hint,
      );
      return 2;
    }
    return reportFailure(error);
  }
}

/** Whether the leading words of `args` name a command `program` does not have (`trian`, `models prune`). */
function hasUnknownCommand(program: Command, args: readonly string[]): boolean {
  let command = program;
  for (const word of args) {
    if (word.startsWith("-") || word === "help" || command.commands.length === 0) return false;
    const next = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (next === undefined) return true;
    command = next;
  }
  return false;
}

/**
 * What a failure that is not the command line's (commander's) tells the user, and the exit code: a layer's own
 * ReportedError as written; what the machine refused (a path under /dev, a full disk, memory) with what to
 * do; anything else as the bug it is.
 */
export function reportFailure(
  error: unknown,
  say: (message: string, hint?: string) => void = report,
): number {
  // Every layer's errors written for the user (a usage error, bad candles, a damaged version, a busy lock …)
  // say what happened and what to do themselves, with the exit code of whose fix it is.
  if (error instanceof ReportedError) {
    say(error.message, error.hint);
    return error.exitCode;
  }
  if (Deno.env.get("CANDLECAST_DEBUG")) console.error(error);
  // Deno grants /dev and /proc only to --allow-all, which candlecast does not ask for: a path there is refused.
  if (error instanceof Deno.errors.NotCapable) {
    say(
      error.message,
      "candlecast runs with named permissions, not --allow-all: choose a path outside /dev and /proc",
    );
    return 2;
  }
  const machine = filesystemProblem(error);
  if (machine) {
    say(machine.message, machine.hint);
    return 1;
  }
  // Memory the work needed and did not get (a size past what the checks before training can bound: the
  // activations of a wide model, a huge batch) is the machine's limit, not a bug.
  if (error instanceof RangeError && /Array buffer allocation failed/.test(error.message)) {
    say(
      `out of memory: ${error.message}`,
      "give the command less to hold at once (smaller model sizes, --batch-size or data), or run it on a " +
        "machine with more memory",
    );
    return 1;
  }
  say(
    `unexpected failure: ${error instanceof Error ? error.message : String(error)}`,
    "this is a bug; set CANDLECAST_DEBUG=1 to print its stack trace and report it",
  );
  return 1;
}
