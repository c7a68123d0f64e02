/**
 * Runs candlecast's real entry point in a separate process, as a user would. Tests that touch ONNX Runtime
 * need this anyway: onnxruntime-node's environment lives once per process.
 */
import { fromFileUrl } from "./paths.ts";
import type { Command } from "commander";
import { buildProgram, runCli } from "../cli/program.ts";

export const MAIN = fromFileUrl(new URL("../main.ts", import.meta.url));

export function candlecastCommand(args: readonly string[], options: Omit<Deno.CommandOptions, "args"> = {}) {
  return new Deno.Command(Deno.execPath(), {
    stdout: "piped",
    stderr: "piped",
    ...options,
    args: ["run", "--allow-all", MAIN, ...args],
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
  const program = buildProgram();
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
