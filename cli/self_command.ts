/**
 * How to start this same program again, for the processes `serve` (its workers) and `retrain` (its steps) run:
 * the compiled binary itself, or `deno run` on main.ts with the permissions the commands need.
 */
import { existsSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";

/** The command and arguments that run `candlecast <args>` as this process was run. */
export function selfCommand(args: readonly string[]): { command: string; args: string[] } {
  const exe = Deno.execPath();
  if (!/^deno(\.exe)?$/.test(basename(exe))) return { command: exe, args: [...args] };
  // fileURLToPath, not URL.pathname: a checkout under a path with spaces or non-ASCII letters stays that path.
  const main = fileURLToPath(new URL("../main.ts", import.meta.url));
  const allow = ["read", "write", "net", "env", "ffi", "sys"].map((p) => `--allow-${p}`);
  return { command: exe, args: ["run", ...allow, ...nodeModulesFlag(), main, ...args] };
}

/**
 * deno.json's `"nodeModulesDir": "auto"` makes every `deno run` lock node_modules while it checks it, so
 * workers started together queue on that lock and Deno prints "Blocking waiting for file lock" into their
 * logs. This process has already set node_modules up (it is running from it), so its children use it as it is.
 */
function nodeModulesFlag(): string[] {
  const installed = fileURLToPath(new URL("../node_modules/.deno", import.meta.url));
  return existsSync(installed) ? ["--node-modules-dir=manual"] : [];
}
