/**
 * How to start this same program again, for the processes `serve` (its workers) and `retrain` (its steps) run:
 * the compiled binary itself, or `deno run` on main.ts with the permissions the commands need.
 */
import { existsSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "./errors.ts";

/**
 * Deno permission flags, separated by spaces, that this process runs under and its children must run under
 * too (the Dockerfile's narrowed set). Without it a child got the broad set below, so a container started with
 * narrowed permissions ran its `serve` workers and `retrain` steps with all of them again.
 */
export const PERMISSIONS_ENV = "CANDLECAST_DENO_PERMISSIONS";

/** The permission flags `PERMISSIONS_ENV` holds, or null when it is unset (or this process may not read it). */
export function inheritedPermissions(
  read: (name: string) => string | undefined = readEnv,
): string[] | null {
  const value = read(PERMISSIONS_ENV)?.trim();
  if (!value) return null;
  const flags = value.split(/\s+/);
  const bad = flags.find((f) =>
    !/^--(allow|deny)-(read|write|net|env|sys|run|ffi|import)(=\S+)?$|^--no-prompt$/.test(f)
  );
  // Anything else (`-A`, `--allow-all`, a flag of `deno run` itself) is not a narrowed permission: refused,
  // as the user's setting to fix (a plain Error crashed serve with a stack trace once it started its workers).
  if (bad !== undefined) {
    throw new UsageError(
      `${PERMISSIONS_ENV}: ${JSON.stringify(bad)} is not a Deno permission flag (--allow-…)`,
      `set it to --allow-…=… and --deny-… flags separated by spaces (the Dockerfile's ` +
        "CANDLECAST_SERVE_PERMISSIONS or CANDLECAST_COMMAND_PERMISSIONS), or unset it",
    );
  }
  return flags;
}

function readEnv(name: string): string | undefined {
  if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return undefined;
  return Deno.env.get(name);
}

/** Whether `exe` (this process's executable) is deno running main.ts, not the compiled binary. */
const isDeno = (exe: string) => /^deno(\.exe)?$/.test(basename(exe));

/**
 * How a user types this program at a prompt: `candlecast`, the compiled binary, or `deno task cli` (deno.json's
 * task, from the checkout or with `--config`) when deno runs main.ts: there is no `candlecast` on PATH then, and the demo's
 * `$ candlecast collect …` did not run as printed.
 */
export function typedCommand(exe = Deno.execPath()): string {
  return isDeno(exe) ? "deno task cli" : "candlecast";
}

/** The command and arguments that run `candlecast <args>` as this process was run. */
export function selfCommand(args: readonly string[]): { command: string; args: string[] } {
  const exe = Deno.execPath();
  if (!isDeno(exe)) return { command: exe, args: [...args] };
  // fileURLToPath, not URL.pathname: a checkout under a path with spaces or non-ASCII letters stays that path.
  const main = fileURLToPath(new URL("../main.ts", import.meta.url));
  const allow = inheritedPermissions() ??
    ["read", "write", "net", "env", "ffi", "sys"].map((p) => `--allow-${p}`);
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

/**
 * Refuses, before anything starts, a process that may not start itself again (Deno's `--allow-run` leaves its
 * own executable out): serve's workers failed to start one by one after "listening" and were never retried,
 * so serve ran on with fewer workers than asked and a log line. `querySync` never prompts. `what` names the
 * command that needs it (e.g. "serve --workers 2").
 */
export function requireSelfRun(what: string, alternative: string): void {
  const { command } = selfCommand([]);
  if (Deno.permissions.querySync({ name: "run", command }).state === "granted") return;
  throw new UsageError(
    `${what} starts ${command} again, which Deno's --allow-run does not grant`,
    `add --allow-run=${command} (a link on PATH is not the same path), or ${alternative}`,
  );
}
