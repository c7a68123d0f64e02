/**
 * What a mistyped command line gets besides commander's own "unknown option" and "too many arguments", for
 * every command at once (program.ts applies these to the whole tree): the flag a user of other tools meant by a
 * well-known name (`--models-dir`, `--out`, `--lr`), a flag that swallowed the next flag as its value
 * (`demo --dir --short` ran the whole demo in a folder named "--short"), and the stray words of an excess
 * argument named, with where values go.
 */
import type { Command, Option } from "commander";
import { UsageError } from "./errors.ts";

/**
 * Names other tools (and habit) give to candlecast's flags, each group with the flags it may mean, in order of
 * preference: a command is offered those of them it has. Only consulted for a flag the command does not have,
 * so a name here never shadows a real flag (`--model` is train's architecture, and predict's version folder).
 */
const ALIASES: readonly { readonly names: RegExp; readonly flags: readonly string[] }[] = [
  {
    // Where versions live, or one version: train and models take the folder of versions, predict, export,
    // evaluate and serve one version.
    names:
      /^--(models?|model[-_]?(dir|path|folder)|models[-_]?(dir|path|folder)|checkpoints?[-_]?(dir|path|folder)|ckpt|ckpt[-_]?dir|weights|save[-_]?dir)$/,
    flags: ["--checkpoints", "--checkpoint"],
  },
  {
    // What a command writes: a file (collect, export), a folder (evaluate, demo), or train's new version.
    names:
      /^(-o|--(out|outfile|out[-_]?file|output|output[-_]?(file|path|dir)|out[-_]?dir|outdir|dest|destination))$/,
    flags: ["--output", "--output-dir", "--dir", "--checkpoints"],
  },
  {
    // What a command reads: train's and evaluate's CSV, predict's body, collect's file (--data, train's name,
    // given to predict or collect).
    names:
      /^(-i|--(in|input|input[-_]?file|file|path|csv|dataset|data|data[-_]?(file|path)|train[-_]?data|training[-_]?data))$/,
    flags: ["--data", "--input", "--csv-path", "--json-path"],
  },
  { names: /^--(config|config[-_]?file|from[-_]?config|recipe)$/, flags: ["--config-from"] },
  { names: /^--(fine[-_]?tune|finetune|update)$/, flags: ["--incremental"] },
  { names: /^--(lr|learning[-_]?rate|learningrate|eta)$/, flags: ["--learning-rate"] },
  { names: /^--(bs|batch|batchsize|batch[-_]?size)$/, flags: ["--batch-size"] },
  { names: /^--(pairs?|tickers?|coins?|markets?)$/, flags: ["--symbols", "--symbol"] },
  { names: /^--(timeframe|tf|period|granularity|candle[-_]?interval)$/, flags: ["--interval"] },
  { names: /^--(jobs|cpus|cores|num[-_]?workers|processes)$/, flags: ["--workers", "--threads"] },
  { names: /^--(bind|address|listen|addr)$/, flags: ["--host"] },
];

/**
 * The flags of `command` an unknown `option` is a well-known name for, or an empty list: `--models-dir` →
 * `--checkpoints` for train, `--checkpoint` for predict.
 */
export function aliasFlags(option: string, command: Command): string[] {
  const have = new Set(command.options.map((o) => o.long).filter((l): l is string => l !== undefined));
  const group = ALIASES.find((a) => a.names.test(option.toLowerCase()));
  // Every one the command has: collect's --csv-path and --json-path are both what --input may mean.
  return group ? group.flags.filter((flag) => have.has(flag)) : [];
}

/** Options whose values are themselves flags, passed through to another command (retrain's --train-args). */
const FLAG_VALUED = new Set(["--train-args"]);

/** The flags `command` takes, spelt out, with -h and --help. */
function flagsOf(command: Command): Set<string> {
  const flags = new Set(["-h", "--help"]);
  for (const o of command.options) {
    if (o.long) flags.add(o.long);
    if (o.short) flags.add(o.short);
  }
  return flags;
}

/**
 * Refuses, as the flag is read, a value-taking flag whose value is the next word and one of the command's own
 * flags: commander takes the next word whatever it is, so `demo --dir --short` ran the full demo (serving on
 * :8000) in a folder named "--short", and `train --config-from --workers 1` said only "too many arguments …
 * got 1". So is a next word that looks like a flag without being one (`--dir --shrot`). A value given with `=`
 * (`--dir=--short`) is the user's on purpose, and taken.
 */
export function refuseFlagsAsValues(command: Command): void {
  const flags = flagsOf(command);
  // The words this command parses its options from. commander emits `--dir=--short` and `--dir --short` alike;
  // only the second took a flag meant as one (the `=` binds the value on purpose), so only it is refused.
  let words: readonly string[] = [];
  const parseOptions = command.parseOptions.bind(command);
  command.parseOptions = (argv: string[]) => {
    words = [...argv];
    return parseOptions(argv);
  };
  for (const option of command.options) {
    if (!(option.required || option.optional) || FLAG_VALUED.has(option.long ?? "")) continue;
    const names = [option.long, option.short].filter((n) => n !== undefined);
    const nextWord = (value: string) => words.some((w, i) => names.includes(w) && words[i + 1] === value);
    command.on(`option:${option.name()}`, (value: unknown) => {
      if (typeof value !== "string" || !nextWord(value)) return;
      if (flags.has(value)) {
        throw new UsageError(
          `${optionName(option)} needs a value, but the next word is the flag ${value}`,
          `give it its value first: '${fullName(command)} ${example(option)} ${value} …'`,
        );
      }
      // A word that looks like a flag, though not one of this command's (a misspelt one: `demo --dir --shrot`
      // ran the demo into ./--shrot). No value of candlecast's starts with "--"; one meant so goes with "=".
      if (/^--[A-Za-z]/.test(value)) {
        throw new UsageError(
          `${optionName(option)} needs a value, but the next word ${value} looks like a flag (not one of ` +
            `'${fullName(command)}')`,
          `give ${optionName(option)} its value (run '${
            fullName(command)
          } --help' for the flags); a value that ` +
            `starts with -- goes after '=': ${optionName(option)}=${value}`,
        );
      }
    });
  }
}

function optionName(option: Option): string {
  return option.long ?? option.short ?? option.flags;
}

/** `--dir <dir>` → `--dir DIR`: the value's placeholder, as the user would replace it. */
function example(option: Option): string {
  const placeholder = option.flags.match(/[<[]([^>\]]+?)(\.\.\.)?[>\]]/)?.[1] ?? "value";
  return `${optionName(option)} ${placeholder.toUpperCase()}`;
}

/** `candlecast models list`: the command's words from the program's name, as the user typed them. */
export function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/**
 * commander's "too many arguments for 'list'. Expected 0 arguments but got 1." with the stray words named, and
 * a hint saying values go after their flags (`models list checkpoints/` meant `--checkpoints checkpoints/`).
 */
export function excessArguments(command: Command): { message: string; hint: string } {
  const expected = command.registeredArguments.length;
  const stray = command.args.slice(expected);
  const words = stray.map((w) => `'${w}'`).join(", ");
  const takes = expected === 0
    ? "takes no arguments, only flags"
    : `takes ${expected} argument${expected === 1 ? "" : "s"} (${
      command.registeredArguments.map((a) => `<${a.name()}>`).join(" ")
    })`;
  const valued = command.options.find((o) => o.long && (o.required || o.optional));
  const usage = `run '${fullName(command)} --help' for the flags`;
  return {
    message: `'${fullName(command)}' ${takes}; ${stray.length === 1 ? "this word is" : "these words are"} ` +
      `left over: ${words}`,
    hint: valued
      ? `a value goes right after its flag, e.g. '${
        example(valued)
      }'; a word with spaces needs quotes (${usage})`
      : usage,
  };
}

/**
 * For `models remove` (delete, rm, prune …): commander's edit distance offered "did you mean promote?", the
 * opposite of what was asked. models deletes nothing; a version is a folder, and retrain --keep prunes old ones.
 */
export function unknownCommandHint(name: string, command: Command): string | null {
  if (fullName(command) !== "candlecast models") return null;
  if (!/^(rm|remove|delete|del|prune|clean|cleanup|purge|drop|gc)$/i.test(name)) return null;
  // retrain --keep first: it renames a version away and skips one a running serve holds, which rm -r does not
  // (docs/retrain.md says never to rm -rf a version; this hint said to, a docs reader's trial).
  return "models deletes no version: 'candlecast retrain --keep N' prunes old ones, skipping any a running " +
    "serve holds; by hand, remove a version's folder (rm -r checkpoints/VERSION) only when it is neither " +
    "current nor the rollback target ('candlecast models list' marks both) and no serve runs it " +
    "(--checkpoint pointing at it)";
}
