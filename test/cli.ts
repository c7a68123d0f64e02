/**
 * Runs candlecast's real entry point in a separate process, as a user would. Tests that touch ONNX Runtime
 * need this anyway: onnxruntime-node's environment lives once per process.
 */
import { fromFileUrl } from "./paths.ts";
import type { Command } from "commander";
import { assembleProgram, runCli } from "../cli/program.ts";
import { collectCommand } from "../cli/collect.ts";
import { trainCommand } from "../cli/train.ts";
import { evaluateCommand } from "../cli/evaluate.ts";
import { serveCommand } from "../cli/serve.ts";
import { predictCommand } from "../cli/predict.ts";
import { exportCommand } from "../cli/export.ts";
import { modelsCommand } from "../cli/models.ts";
import { retrainCommand } from "../cli/retrain.ts";
import { monitorCommand } from "../cli/monitor.ts";
import { demoCommand } from "../cli/demo.ts";

/** Every command at once, loaded eagerly (the CLI itself loads only the one it runs). */
export function fullProgram(): Command {
  return assembleProgram([
    collectCommand(),
    trainCommand(),
    evaluateCommand(),
    serveCommand(),
    predictCommand(),
    exportCommand(),
    modelsCommand(),
    retrainCommand(),
    monitorCommand(),
    demoCommand(),
  ]);
}

export const MAIN = fromFileUrl(new URL("../main.ts", import.meta.url));

/**
 * `deno run` for a child process of a test. With deno.json's `"nodeModulesDir": "auto"` every `deno run`
 * takes node_modules' lock at start; two tests starting a child at the same instant made one print Deno's own
 * "Blocking waiting for file lock on node_modules directory" to stderr, ahead of candlecast's message (a CI
 * failure). The test runner has already set node_modules up, so children use it as it is and take no lock.
 */
export const DENO_RUN = ["run", "--node-modules-dir=manual"] as const;

export function candlecastCommand(args: readonly string[], options: Omit<Deno.CommandOptions, "args"> = {}) {
  return new Deno.Command(Deno.execPath(), {
    stdout: "piped",
    stderr: "piped",
    ...options,
    args: [...DENO_RUN, "--allow-all", MAIN, ...args],
    env: { NO_COLOR: "1", ...options.env },
  });
}

export async function runCandlecast(
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await candlecastCommand(args).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** Runs the CLI in this process with console output captured (for commands that need no ONNX Runtime). */
export async function runCliCaptured(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const [log, error] = [console.log, console.error];
  let [out, err] = ["", ""];
  console.log = (...a: unknown[]) => void (out += a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void (err += a.join(" ") + "\n");
  try {
    return { code: await runCli(args), out, err };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

/**
 * Parses `args` with the real command tree but no action runs: commander rejects unknown flags, bad
 * choices and missing arguments exactly as for a user. Returns commander's message, or null when it parses.
 */
export function dryParse(args: readonly string[]): string | null {
  const program = fullProgram();
  const quiet = (c: Command) => {
    c.configureOutput({ writeOut: () => {}, writeErr: () => {} });
    if (c.commands.length === 0) c.action(() => {});
    c.commands.forEach(quiet);
  };
  quiet(program);
  try {
    program.parse([...args], { from: "user" });
    return null;
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    return ["commander.helpDisplayed", "commander.help", "commander.version"].includes(code)
      ? null
      : (error as Error).message;
  }
}
