/**
 * How to start this same program again, for the processes `serve` (its workers) and `retrain` (its steps) run:
 * the compiled binary itself, or `deno run` on main.ts with the permissions the commands need.
 */
import { basename } from "node:path";
import { fileURLToPath } from "node:url";

/** The command and arguments that run `candlecast <args>` as this process was run. */
export function selfCommand(args: readonly string[]): { command: string; args: string[] } {
  const exe = Deno.execPath();
  if (!/^deno(\.exe)?$/.test(basename(exe))) return { command: exe, args: [...args] };
  // fileURLToPath, not URL.pathname: a checkout under a path with spaces or non-ASCII letters stays that path.
  const main = fileURLToPath(new URL("../main.ts", import.meta.url));
  const allow = ["read", "write", "net", "env", "ffi", "sys"].map((p) => `--allow-${p}`);
  return { command: exe, args: ["run", ...allow, main, ...args] };
}
