/**
 * Children die with their parent. `retrain` runs collect and train as child processes; if retrain is killed
 * (kill -9, OOM, a systemd stop that reaches only it) a surviving `train` would go on for hours and later
 * write a version nobody asked for. Linux's PR_SET_PDEATHSIG is out of reach without FFI, so the child watches
 * instead: the parent passes its pid in CANDLECAST_PARENT_PID, and when the child's parent pid changes (it was
 * re-parented to init or a subreaper) the child stops at once. Kernel locks the child held die with it.
 */
import { writeStderr } from "../base/index.ts";

export const PARENT_PID_ENV = "CANDLECAST_PARENT_PID";

/** How often the child looks; half a second bounds the orphan's life without measurable cost. */
const CHECK_MS = 500;

/** Starts the watch when a candlecast parent asked for it (true), else does nothing (false). */
export function exitWithParent(
  env: (name: string) => string | undefined = readEnv,
  ppid: () => number = () => Deno.ppid,
  exit: (message: string) => void = (message) => {
    writeStderr(`${message}\n`);
    Deno.exit(1);
  },
): boolean {
  const parent = Number(env(PARENT_PID_ENV));
  if (!Number.isInteger(parent) || parent <= 0) return false;
  const check = () => {
    if (ppid() !== parent) {
      exit(`candlecast: the parent process (pid ${parent}) is gone; stopping`);
    }
  };
  check();
  const timer = setInterval(check, CHECK_MS);
  Deno.unrefTimer(timer); // never keeps an otherwise finished command alive
  return true;
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // run without --allow-env: nobody can have asked for the watch
  }
}

/** The environment a candlecast parent gives a child so that it dies with the parent. */
export function childEnv(): Record<string, string> {
  return { [PARENT_PID_ENV]: String(Deno.pid) };
}
