/**
 * How every command's help reads: defaults and choices shown one way, `(default: X)` with no JSON quotes,
 * and two or three examples per command that a test parses with the real command tree (program_test.ts).
 * Descriptions are plain paragraphs (no hard line breaks), so commander wraps them to the terminal.
 */
import type { Command, Help, Option } from "commander";

/** Examples per command path ("collect", "models promote"); each line is what a user types. */
export const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  candlecast: [
    "candlecast collect --symbols BTCUSDT ETHUSDT --interval 1h --months 12",
    "candlecast train --data data/training_data.csv",
    "candlecast serve            # http://127.0.0.1:8000, the C# bot's backend",
  ],
  collect: [
    "candlecast collect --symbols BTCUSDT ETHUSDT --interval 1h --months 12",
    "candlecast collect --symbols SOLUSDT --interval 4h --start-date 2023-01-01",
    "candlecast collect --source csv --csv-path dumps/BTCUSDT-1h.csv dumps/ETHUSDT-1h.csv   # or a folder: dumps/",
  ],
  train: [
    "candlecast train --data data/training_data.csv",
    "candlecast train --model lightweight_lstm --epochs 20 --no-promote",
    "candlecast train --split-dates 2022-01-01,2023-01-01",
  ],
  evaluate: [
    "candlecast evaluate --data data/training_data.csv",
    "candlecast evaluate --retrain weekly --folds 8",
    "candlecast evaluate --checkpoint checkpoints/current --data data/newer.csv",
  ],
  serve: [
    "candlecast serve",
    'CANDLECAST_API_KEY="$BOT_KEY" candlecast serve --host 0.0.0.0   # reachable from other hosts, with a key',
    'CANDLECAST_API_KEY="$BOT_KEY" candlecast serve   # a random bearer key (openssl rand -hex 32) on every route but / and /health',
    "candlecast serve --decision argmax   # name the most probable class instead of the version's rule",
  ],
  predict: [
    "candlecast predict --input demo/request.json   # the body the demo wrote",
    "candlecast predict --input demo/request.json --checkpoint checkpoints/v3_2026-11-24",
  ],
  export: [
    "candlecast export",
    "candlecast export --checkpoint checkpoints/v3_2026-11-24 --output model.onnx",
  ],
  models: [
    "candlecast models list",
    "candlecast models promote v3_2026-11-24",
    "candlecast models rollback",
  ],
  "models list": [
    "candlecast models list",
    "candlecast models list --checkpoints /var/lib/candlecast/checkpoints",
    "candlecast models list --json   # for scripts: jq -r .current prints the served version",
  ],
  "models promote": ["candlecast models promote v3_2026-11-24"],
  "models rollback": ["candlecast models rollback"],
  // Monthly first: it is what deploy/ schedules and docs/retrain.md recommends (weekly fine-tunes did not pay).
  retrain: [
    "candlecast retrain --mode monthly",
    "candlecast retrain --mode monthly --train-args='--epochs 20'",
    "candlecast retrain --mode monthly --json   # for scripts: jq .promoted",
    "candlecast retrain --mode weekly --no-collect --holdout-days 7",
  ],
  monitor: [
    "candlecast monitor",
    "candlecast monitor --data data/training_data.csv --fail-on-warning",
    "candlecast monitor --json   # for scripts: jq -r .verdict.status",
  ],
  demo: ["candlecast demo", "candlecast demo --short --dir demo-short"],
};

/** `collect`, `models promote`: the path below the program's name. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.length === 1 ? names[0] : names.slice(1).join(" ");
}

const shown = (v: unknown) => Array.isArray(v) ? v.join(" ") : String(v);

/** "(one of a, b; default: x)" after every option's own text, the same for every command. */
function optionDescription(option: Option): string {
  // Descriptions that state a computed default in words use the same form: "(default: 64)".
  const text = option.description.replace(/\(default ([^:)][^)]*)\)/g, "(default: $1)");
  const extra: string[] = [];
  if (option.argChoices) extra.push(`one of ${option.argChoices.join(", ")}`);
  const takesValue = option.required || option.optional;
  // A default described in words with no value of its own (--member-lookbacks: "every member reads
  // --lookback") is shown too: the flag's help otherwise said nothing of what happens without it.
  if (takesValue && (option.defaultValue !== undefined || option.defaultValueDescription !== undefined)) {
    extra.push(`default: ${option.defaultValueDescription ?? shown(option.defaultValue)}`);
  }
  if (extra.length === 0) return text;
  // "port (0 picks a free one)" + "default: 8000" reads as one parenthesis, not two.
  return text.endsWith(")") && !text.endsWith("))")
    ? `${text.slice(0, -1)}; ${extra.join("; ")})`
    : `${text} (${extra.join("; ")})`;
}

/**
 * A description's single line breaks become spaces so commander re-wraps the text to the terminal; blank
 * lines (paragraphs) and indented lines (lists, commands) stay as written.
 */
export function reflow(text: string): string {
  return text.replace(/([^\n])\n(?!\s|- )/g, "$1 ");
}

export function configureHelp(command: Command): void {
  command.configureHelp({
    sortSubcommands: false,
    showGlobalOptions: false,
    optionDescription: (option: Option) => optionDescription(option),
    commandDescription: (c: Command) => reflow(c.description()),
  } as Partial<Help>);
  const examples = EXAMPLES[commandPath(command)];
  if (examples) command.addHelpText("after", `\nExamples:\n${examples.map((e) => `  ${e}`).join("\n")}`);
}
